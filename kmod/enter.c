// SPDX-License-Identifier: GPL-2.0
/*
 * The few instructions around one VM entry that run with the guest's
 * state live in the CPU: from "interrupts off, everything prepared" to
 * "back from the VM exit, NMI handed to the host". Like KVM's
 * vmx_vcpu_enter_exit() this is noinstr: no ftrace, kprobe or other
 * instrumentation can run between the VM exit and the delivery of an NMI
 * that caused it, or while the guest's CR2 is loaded.
 *
 * What happens here and nowhere else:
 * - the L1D flush before entry where L1TF needs one (SDM and Intel's
 *   "L1 Terminal Fault" guidance: VMM entry is the flush point), as
 *   KVM decides it (always, or when other code ran since);
 * - the guest's CR2 loaded before entry and saved after the exit (CR2 is
 *   not part of the VMCS, SDM 28.3.1);
 * - VM entry and exit (vmenter.S: VERW, RSB, SPEC_CTRL, BHI);
 * - the exit reason and, for exits by NMI, the NMI handed to the
 *   kernel's handler before anything else runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/hardirq.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/cpufeature.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/vmx.h>

#include "run.h"
#include "session.h"
#include "vmx_ops.h"

/*
 * Flush L1D before VM entries (L1TF): always, or only when something
 * else than the entering context may have left data in it.
 */
static DEFINE_STATIC_KEY_FALSE(l1d_flush);
static DEFINE_STATIC_KEY_FALSE(l1d_flush_cond);
/* Without IA32_FLUSH_CMD: fill L1D from this buffer instead. */
#define L1D_FILL_SIZE	(64 * 1024)
static void *l1d_fill;

/*
 * Does the running kernel want the L1D flushed on VM entry? Only CPUs
 * with the L1TF bug need it; not with mitigations=off or l1tf=off, not
 * when the CPU says a flush on VM entry is unnecessary
 * (IA32_ARCH_CAPABILITIES.SKIP_L1DFL_VMENTRY), and not when the
 * administrator told kvm_intel "vmentry_l1d_flush=never".
 */
static bool want_l1d_flush(void)
{
	u64 arch_cap = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) || cpu_mitigations_off() ||
	    l1tf_mitigation == L1TF_MITIGATION_OFF ||
	    l1tf_vmx_mitigation == VMENTER_L1D_FLUSH_NEVER)
		return false;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &arch_cap);
	return !(arch_cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH);
}

/*
 * KVM's policy, which kvm_intel's "vmentry_l1d_flush" sets: "always"
 * flushes before every entry; otherwise ("cond", its default) only
 * when the host may have brought data into L1D since the entering
 * context last ran: the host ran between blocks, an interrupt or NMI
 * came (the kernel's per-CPU flag, irq_stat.kvm_cpu_l1tf_flush_l1d), or
 * another context ran (its registers, FPU state and memory views are its
 * own; Documentation/security.rst).
 */
static bool l1d_flush_always(void)
{
	return l1tf_vmx_mitigation == VMENTER_L1D_FLUSH_ALWAYS ||
	       !IS_ENABLED(CONFIG_KVM_INTEL);
}

int pmsw_enter_init(void)
{
	if (!want_l1d_flush())
		return 0;
	if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		l1d_fill = vmalloc(L1D_FILL_SIZE);
		if (!l1d_fill)
			return -ENOMEM;
	}
	static_branch_enable(&l1d_flush);
	if (!l1d_flush_always())
		static_branch_enable(&l1d_flush_cond);
	pr_info("L1TF: flushing L1D before %s VM entry (%s)\n",
		l1d_flush_always() ? "every" : "a context's first",
		l1d_fill ? "software fill" : "IA32_FLUSH_CMD");
	return 0;
}

void pmsw_enter_exit_module(void)
{
	vfree(l1d_fill);
}

/* Evict the L1D: the MSR where the CPU has it, else read 64 KiB. */
static noinstr void flush_l1d(unsigned int flags)
{
	unsigned int i;

#if IS_ENABLED(CONFIG_KVM_INTEL)
	if (static_branch_likely(&l1d_flush_cond)) {
		bool irq = kvm_get_cpu_l1tf_flush_l1d();

		kvm_clear_cpu_l1tf_flush_l1d();
		if (!irq && !(flags & PMSW_VMENTER_L1D))
			return;
	}
#endif
	if (!l1d_fill) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	for (i = 0; i < L1D_FILL_SIZE; i += 64)
		(void)READ_ONCE(*(const u8 *)(l1d_fill + i));
}

/*
 * Called from vmenter.S right after the exit. The guest cannot write
 * IA32_SPEC_CTRL (every WRMSR exits), so it ran with the host's value;
 * with legacy IBRS the bit must still be written again after less
 * privileged code ran, for IBRS to restrict the predictions that code
 * trained (Intel, "Indirect Branch Restricted Speculation").
 */
noinstr void pmsw_spec_ctrl_restore_host(void)
{
	if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS))
		native_wrmsrl(MSR_IA32_SPEC_CTRL,
			      this_cpu_read(x86_spec_ctrl_current));
	barrier_nospec();
}

/*
 * A machine check that caused a VM exit (exception 18 or exit reason 41)
 * belongs to the host: run the kernel's handler as if it had arrived in
 * user mode (CS RPL 3, interrupts on), so that a recoverable error in the
 * caller's memory is handled like one in its own code.
 */
void pmsw_machine_check(void)
{
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
}

/*
 * One VM entry into @ctx (VMCS current, interrupts off) and its exit.
 * Stores the exit reason (and the interruption information of exits by
 * exception or NMI) in @e and the outcome of the entry in @ret (see
 * __pmsw_vmenter()).
 */
noinstr void pmsw_enter_exit(struct pmsw_ctx *ctx, unsigned int flags,
			     struct pmsw_exit *e, int *ret)
{
	struct pmsw_vmcs *v = ctx->vmcs;

	if (static_branch_unlikely(&l1d_flush))
		flush_l1d(flags);
	/* A context's CR2 is its own, and the host's never reaches it. */
	if (native_read_cr2() != ctx->cur.cr2)
		native_write_cr2(ctx->cur.cr2);

	*ret = __pmsw_vmenter(v, ctx->regs, flags);

	ctx->cur.cr2 = native_read_cr2();
	if (*ret)
		return;
	e->reason = pmsw_vmcs_read32(v, VMCS_VM_EXIT_REASON);
	if ((u16)e->reason != PMSW_EXIT_EXCEPTION_NMI)
		return;
	e->intr_info = pmsw_vmcs_read32(v, VMCS_VM_EXIT_INTR_INFO);
	/* The NMI is the host's: deliver it before anything else runs. */
	if (PMSW_INTR_TYPE(e->intr_info) == PMSW_INTR_TYPE_NMI)
		pmsw_do_nmi_irqoff();
}
