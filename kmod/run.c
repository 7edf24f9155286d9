// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop.
 *
 * A run enters a context and keeps going until something stops it. When
 * the running context executes VMCALL with PMSW_HC_SWITCH, the monitor
 * makes the target's VMCS current (VMPTRLD) and enters it: CR0, CR3, CR4,
 * GDTR, IDTR, segments, stack and entry point are all loaded by that one
 * VM entry ([switching], Documentation/references.rst), so the processor
 * is never half-switched.
 * Every entry is typed ([launch-resume]): VMLAUNCH while the VMCS's launch
 * state is clear, VMRESUME once it is launched and current on this CPU.
 *
 * Entries run in blocks with preemption and interrupts off. Inside a
 * block a switch costs a few VMREADs, the RIP advance, a VMPTRLD and the
 * entry; interrupts are off only for that short path, because any host
 * interrupt that arrives while a guest runs makes it exit (external-
 * interrupt exiting) and ends the block, as do the preemption timer,
 * need_resched(), a signal or a full record buffer.
 *
 * Host state a context can reach without a VM exit is saved when a block
 * begins and put back when it ends, each in one place (block_begin() and
 * block_end()): DR6, DR7, IA32_DEBUGCTL, IA32_KERNEL_GS_BASE, PKRU, the
 * SYSCALL MSRs, the FPU registers, and what a VM exit itself leaves
 * behind (SDM 28.5: descriptor-table limits, TR limit). HOST_CR3 and
 * HOST_CR4 are read again at every block (between blocks the task may
 * have been given a new PCID, CR4 may have changed), HOST_FS_BASE at
 * every run (another thread may run the session); the rest of the host
 * state is per CPU and kept in the session's run state
 * (read_host_state()). The
 * controls and host fields are written again only when one of these, or
 * the session, changed (update_gen()). Each context's
 * CR2, FPU state, SYSCALL MSRs and KERNEL_GS_BASE are its own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/pkru.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "exitless.h"
#include "fpu.h"
#include "refuse.h"
#include "run.h"
#include "run_int.h"
#include "session.h"
#include "trace.h"
#include "vmx_ops.h"

/* Guest interruptibility state: STI and MOV-SS blocking (SDM 25.4.2). */
#define INTR_STI_MOVSS			(BIT(0) | BIT(1))

/* A block gives the CPU back after about 1 ms (TSC ticks). */
#define BLOCK_TSC			((u64)tsc_khz)

/*
 * MSRs, debug registers and IDTR on the run path without paravirt calls:
 * pmswitch runs where VMX does, never in a Xen PV guest, so the kernel's
 * paravirt operations are the native ones here, and calling them
 * indirectly costs more than the instructions (KVM's VMX code uses the
 * native forms for the same reason).
 */
#define run_rdmsrl(msr, val)	((val) = native_read_msr(msr))
#define run_wrmsrl(msr, val)	native_wrmsrl(msr, val)

/* L0-L3 and G0-G3: a breakpoint of the host's is armed (SDM 18.2.4). */
#define DR7_BREAKPOINT_ENABLES		0xffUL

/* The session (serial) whose guests last ran on each CPU, for IBPB. */
static DEFINE_PER_CPU(u64, last_session);

/* The context MSRs, in struct pmsw_context order from @star. */
static const u32 ctx_msr_index[NR_CTX_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

/*
 * The complement of the fields a VM exit may change (SDM 28.3): what the
 * field cache keeps across an exit. Computed once.
 */
static __u64 exit_kept[PMSW_FIELD_WORDS] __read_mostly;

void pmsw_run_init(void)
{
	__u64 exit_changed[PMSW_FIELD_WORDS];
	unsigned int i;
	u64 misc = 0;

	pmsw_exit_changed_fields(exit_changed);
	/* A VM exit clears the valid bit of the injection field (28.2). */
	pmsw_field_set(exit_changed, VF_VM_ENTRY_INTR_INFO);
	/*
	 * With IA32_VMX_MISC[5] a VM exit stores EFER.LMA in the "IA-32e
	 * mode guest" entry control (SDM 28.2, A.6): a context that entered
	 * IA-32e mode by itself has a new value there.
	 */
	rdmsrl_safe(PMSW_MSR_VMX_MISC, &misc);
	if (misc & BIT(5))
		pmsw_field_set(exit_changed, VF_VM_ENTRY_CONTROLS);
	for (i = 0; i < PMSW_FIELD_WORDS; i++)
		exit_kept[i] = ~exit_changed[i];
}

/*
 * The host state that is the same for every thread on @cpu for as long
 * as the kernel runs: the per-CPU GDT, TSS and entry stack, the IDT,
 * CR0, the per-CPU GS base, PAT and EFER. Read when the session's run
 * state meets a CPU it did not last run on; CR3 and CR4 are read at
 * every block, FS base (the calling thread's) at every run instead.
 */
static void read_host_state(struct host_state *h, int cpu)
{
	h->cpu = cpu;
	native_store_gdt(&h->gdt);
	store_idt(&h->idt);
	h->cr0 = read_cr0();
	rdmsrl(MSR_GS_BASE, h->gs_base);
	h->tr_base = (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss;
	rdmsrl(MSR_IA32_SYSENTER_CS, h->sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_ESP, h->sysenter_esp);
	rdmsrl(MSR_IA32_SYSENTER_EIP, h->sysenter_eip);
	rdmsrl(MSR_IA32_CR_PAT, h->pat);
	rdmsrl(MSR_EFER, h->efer);
}

/*
 * Controls, host state and constant fields, through the field cache:
 * after the first entry on a CPU these are all elided.
 */
static void write_static_fields(struct pmsw_session *s, struct pmsw_ctx *ctx,
				const struct host_state *h)
{
	struct pmsw_vmcs *v = ctx->vmcs;

	pmsw_vmcs_write32(v, VMCS_PIN_BASED_VM_EXEC_CONTROL, ctx->env.pin);
	pmsw_vmcs_write32(v, VMCS_CPU_BASED_VM_EXEC_CONTROL, ctx->env.proc);
	pmsw_vmcs_write32(v, VMCS_SECONDARY_VM_EXEC_CONTROL, ctx->env.proc2);
	pmsw_vmcs_write32(v, VMCS_VM_EXIT_CONTROLS, ctx->env.exit);
	pmsw_vmcs_write64(v, VMCS_EPT_POINTER, pmsw_ctx_eptp(s, ctx));
	/* Tags the context's TLB entries across entries and exits (29.1). */
	if (ctx->env.proc2 & PMSW_PROC2_VPID)
		pmsw_vmcs_write16(v, VMCS_VIRTUAL_PROCESSOR_ID,
				  pmsw_ctx_vpid(s, ctx));
	/*
	 * #VE (SDM 25.6.18, 26.5.7.2): the CPU writes the information to
	 * this host-physical page, not through the EPT; EPTP index 0 until
	 * there is an EPTP list.
	 */
	if (ctx->env.proc2 & PMSW_PROC2_EPT_VE) {
		pmsw_vmcs_write64(v, VMCS_VE_INFO_ADDRESS, ctx->ve_phys);
		pmsw_vmcs_write16(v, VMCS_EPTP_INDEX, 0);
	}
	pmsw_vmcs_write32(v, VMCS_VM_EXIT_MSR_STORE_COUNT, 0);
	pmsw_vmcs_write32(v, VMCS_VM_EXIT_MSR_LOAD_COUNT, 0);
	pmsw_vmcs_write32(v, VMCS_VM_ENTRY_MSR_LOAD_COUNT, 0);
	/* CR3 targets, page-fault filter, VM functions (exitless.c). */
	pmsw_xl_write_controls(s, ctx);
	if (ctx->env.pin & PMSW_PIN_PREEMPTION_TIMER)
		pmsw_vmcs_write32(v, VMCS_VMX_PREEMPTION_TIMER_VALUE,
				  s->preemption_ticks);
	/*
	 * Nothing to inject in a new VMCS; afterwards the field is the
	 * context's (a pending event survives blocks and migration).
	 */
	if (!v->entry_intr_init) {
		pmsw_vmcs_write32(v, VMCS_VM_ENTRY_INTR_INFO, 0);
		v->entry_intr_init = true;
	}

	/* Host state (SDM 27.2.3): selectors with RPL 0 and TI 0. */
	pmsw_vmcs_write16(v, VMCS_HOST_CS_SELECTOR, __KERNEL_CS);
	pmsw_vmcs_write16(v, VMCS_HOST_SS_SELECTOR, __KERNEL_DS);
	pmsw_vmcs_write16(v, VMCS_HOST_DS_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_ES_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_FS_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_GS_SELECTOR, 0);
	pmsw_vmcs_write16(v, VMCS_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	pmsw_vmcs_writel(v, VMCS_HOST_RIP, (unsigned long)pmsw_vmexit);
	pmsw_vmcs_writel(v, VMCS_HOST_CR0, h->cr0);
	pmsw_vmcs_writel(v, VMCS_HOST_CR3, h->cr3);
	pmsw_vmcs_writel(v, VMCS_HOST_CR4, h->cr4);
	pmsw_vmcs_writel(v, VMCS_HOST_FS_BASE, h->fs_base);
	pmsw_vmcs_writel(v, VMCS_HOST_GS_BASE, h->gs_base);
	pmsw_vmcs_writel(v, VMCS_HOST_TR_BASE, h->tr_base);
	pmsw_vmcs_writel(v, VMCS_HOST_GDTR_BASE, h->gdt.address);
	pmsw_vmcs_writel(v, VMCS_HOST_IDTR_BASE, h->idt.address);
	pmsw_vmcs_write32(v, VMCS_HOST_IA32_SYSENTER_CS, h->sysenter_cs);
	pmsw_vmcs_writel(v, VMCS_HOST_IA32_SYSENTER_ESP, h->sysenter_esp);
	pmsw_vmcs_writel(v, VMCS_HOST_IA32_SYSENTER_EIP, h->sysenter_eip);
	pmsw_vmcs_write64(v, VMCS_HOST_IA32_PAT, h->pat);
	pmsw_vmcs_write64(v, VMCS_HOST_IA32_EFER, h->efer);
}

/* The context fields changed since the last entry, and only those. */
static void write_dirty_fields(struct pmsw_ctx *ctx)
{
	struct pmsw_ctx_fields *f = &ctx->fields;
	unsigned int i;

	for (i = 0; i < PMSW_VMCS_NR_FIELDS; i++) {
		if (!pmsw_field_test(ctx->dirty, i))
			continue;
		pmsw_vmcs_write_slot(ctx->vmcs, i, f->val[i]);
	}
	memset(ctx->dirty, 0, sizeof(ctx->dirty));
}

/*
 * The SYSCALL MSRs and IA32_KERNEL_GS_BASE of @ctx, loaded when it may
 * use them: SYSCALL needs EFER.SCE, SWAPGS 64-bit mode (EFER.LME). The
 * host's kernel never uses them while the block runs (interrupts off, no
 * return to user space), so they are put back once, at block end.
 */
static void load_ctx_msrs(struct run_state *rs, struct pmsw_ctx *ctx)
{
	const u64 *val = &ctx->cur.star;
	unsigned int i;

	if (rs->msr_owner == ctx || !(ctx->cur.efer & (EFER_SCE | EFER_LME)))
		return;
	if (!rs->host_msrs_saved) {
		for (i = 0; i < NR_CTX_MSRS - 1; i++)
			run_rdmsrl(ctx_msr_index[i], rs->host_msrs[i]);
		rs->host_msrs_saved = true;
	}
	/* SWAPGS may have changed the previous owner's value. */
	if (rs->msr_owner)
		run_rdmsrl(MSR_KERNEL_GS_BASE, rs->msr_owner->cur.kernel_gs_base);
	for (i = 0; i < NR_CTX_MSRS; i++)
		run_wrmsrl(ctx_msr_index[i], val[i]);
	rs->msr_owner = ctx;
}

/* Put the host's SYSCALL MSRs and KERNEL_GS_BASE back. */
static void restore_host_msrs(struct run_state *rs)
{
	unsigned int i;

	if (rs->msr_owner)
		run_rdmsrl(MSR_KERNEL_GS_BASE, rs->msr_owner->cur.kernel_gs_base);
	rs->msr_owner = NULL;
	if (rs->host_msrs_saved) {
		for (i = 0; i < NR_CTX_MSRS - 1; i++)
			run_wrmsrl(ctx_msr_index[i], rs->host_msrs[i]);
		rs->host_msrs_saved = false;
	}
	/*
	 * Always, not only after a context with EFER.LME=1 ran: a context
	 * started with LME=1 and paging off can enter IA-32e mode by itself
	 * and SWAPGS; the value belongs to the calling thread's user GS.
	 */
	run_wrmsrl(MSR_KERNEL_GS_BASE, rs->kernel_gs_base);
}

/* Make @ctx's FPU state the one in the registers. */
static void load_ctx_fpu(struct run_state *rs, struct pmsw_ctx *ctx)
{
	if (rs->fpu_owner == ctx)
		return;
	if (rs->fpu_owner)
		pmsw_fpu_save(rs->fpu_owner->fpu, rs->fpu_mask);
	pmsw_fpu_load(ctx->fpu, rs->fpu_mask);
	rs->fpu_owner = ctx;
}

/*
 * Make @ctx's VMCS ready for an entry in this block: controls and host
 * state once per generation (update_gen()), the context's changed fields
 * always, and the context's registers outside the VMCS.
 */
static void prepare_entry(struct run_state *rs, struct pmsw_ctx *ctx,
			  struct pmsw_transition *t)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	u32 ctx_writes;

	v->writes = 0;
	v->elided = 0;
	/* The switch path checked both, and the VMCS was launched. */
	if (rs->ready) {
		rs->ready = false;
		t->vmwrites_context = 0;
		t->type = PMSW_ENTRY_RESUME;
		goto regs;
	}
	if (v->prepared_gen != rs->gen) {
		write_static_fields(rs->s, ctx, &rs->host);
		v->prepared_gen = rs->gen;
	}
	ctx_writes = v->writes;
	if (pmsw_ctx_dirty(ctx))
		write_dirty_fields(ctx);
	t->vmwrites_context = v->writes - ctx_writes;
	t->type = v->launched ? PMSW_ENTRY_RESUME : PMSW_ENTRY_LAUNCH;
regs:
	load_ctx_msrs(rs, ctx);
	load_ctx_fpu(rs, ctx);
}

/*
 * The cache forgets what a VM exit may have changed (SDM 28.3): a few
 * words of a constant mask, inline on the switch path.
 */
static void forget_exit_changed(struct pmsw_vmcs *v)
{
	unsigned int i;

	BUILD_BUG_ON(sizeof(v->valid) != sizeof(exit_kept));
	for (i = 0; i < PMSW_FIELD_WORDS; i++)
		v->valid[i] &= exit_kept[i];
}

/*
 * One VM entry into @ctx and the exit that ends it: this CPU, preemption
 * and interrupts off, @ctx's VMCS current. Fills @t; the TSC stamps of
 * its @ticks only when the run keeps records.
 */
static void enter_once(struct run_state *rs, struct pmsw_ctx *ctx,
		       struct pmsw_transition *t)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	unsigned int flags;
	u32 reason;

	prepare_entry(rs, ctx, t);
	/* After the switch path, only the reason and length were set. */
	if (rs->exit_used) {
		memset(&rs->exit, 0, sizeof(rs->exit));
		rs->exit_used = false;
	} else {
		rs->exit.instruction_len = 0;
	}
	rs->end_block = false;
	trace_pmsw_entry(rs, ctx);
	if (rs->recording)
		t->ticks = rdtsc() - rs->last_exit_tsc;
	flags = v->launched ? PMSW_VMENTER_RESUME : 0;
	if (ctx != rs->last_entered) {
		flags |= PMSW_VMENTER_L1D;
		rs->last_entered = ctx;
	}
	pmsw_enter_exit(ctx, flags, &rs->exit, &rs->enter_ret);
	rs->last_exit_tsc = rdtsc();

	/* The count includes HOST_RSP, written from vmenter.S. */
	t->vmwrites = v->writes;
	t->vmwrites_elided = v->elided;
	if (rs->enter_ret) {
		if (rs->enter_ret == 1)
			rs->exit.vm_instruction_error =
				pmsw_vmcs_read32(v, VMCS_VM_INSTRUCTION_ERROR);
		t->exit_reason = PMSW_EXIT_FAILED_ENTRY;
		rs->exit_used = true;
		return;
	}

	reason = rs->exit.reason;
	/* An entry that failed its checks (bit 31) did not launch. */
	if (!(reason & PMSW_EXIT_FAILED_ENTRY))
		v->launched = true;
	if (t->type == PMSW_ENTRY_LAUNCH)
		PMSW_COUNT(v, launches);
	else
		PMSW_COUNT(v, resumes);
	forget_exit_changed(v);
	ctx->stale = true;
	t->exit_reason = reason;
	reason &= 0xffff;
	if (likely(reason < PMSW_NR_EXIT_REASONS)) {
		rs->s->exits[reason]++;
		this_cpu_inc(pmsw_global_exits[reason]);
	}
}

/* The rest of an exit that stops the run, for the report. */
static void read_exit_details(struct pmsw_ctx *ctx, struct pmsw_exit *e)
{
	if (!e->instruction_len)
		e->instruction_len = pmsw_vmcs_read32(ctx->vmcs,
						      VMCS_VM_EXIT_INSTRUCTION_LEN);
	/*
	 * An exit by VMCALL or HLT, the common ends of a run, never comes
	 * during event delivery: its IDT-vectoring information is invalid
	 * (SDM 28.2.4), reported as 0.
	 */
	if (e->reason == PMSW_EXIT_VMCALL || e->reason == PMSW_EXIT_HLT)
		return;
	if (!e->idt_vectoring_info)
		e->idt_vectoring_info =
			pmsw_vmcs_read32(ctx->vmcs, VMCS_IDT_VECTORING_INFO_FIELD);
}

static int run_validate(struct pmsw_session *s, struct pmsw_run *run,
			const char **why)
{
	if (run->size != sizeof(*run))
		*why = "struct pmsw_run: size is not sizeof(struct pmsw_run)";
	else if (run->flags)
		*why = "struct pmsw_run: unknown flags";
	else if (run->reserved[0] || run->reserved[1])
		*why = "struct pmsw_run: reserved fields must be 0";
	else if (!pmsw_session_ctx(s, run->context))
		*why = "struct pmsw_run: no context with this id";
	else
		return 0;
	return -EINVAL;
}

/* Append the decimal digits of @v at @p; returns the end. */
static char *put_decimal(char *p, u64 v)
{
	char digits[20];
	unsigned int n = 0;

	do {
		digits[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

/*
 * PMSW_HC_STOP, the common end of a run: the same words as pmsw_stop()
 * would print, put together without vsnprintf(), which alone cost about
 * 1,000 instructions of a 5,000-instruction round trip under Bochs.
 */
void pmsw_stop_hypercall(struct run_state *rs, u32 id, u64 code)
{
	static const char a[] = "context ", b[] = " stopped the run (code ";
	char *p = rs->run->reason;

	BUILD_BUG_ON(sizeof(a) + 10 + sizeof(b) + 20 + 2 >
		     sizeof(rs->run->reason));
	rs->run->stop_reason = PMSW_STOP_HYPERCALL;
	memcpy(p, a, sizeof(a) - 1);
	p = put_decimal(p + sizeof(a) - 1, id);
	memcpy(p, b, sizeof(b) - 1);
	p = put_decimal(p + sizeof(b) - 1, code);
	*p++ = ')';
	*p = '\0';
}

/* Load @ctx's VMCS here with preemption off (VMCLEAR elsewhere first). */
static int load_vmcs(struct pmsw_ctx *ctx)
{
	int err;

	for (;;) {
		preempt_disable();
		err = pmsw_vmcs_load(ctx->vmcs);
		if (err != -EAGAIN)
			return err;
		preempt_enable();
		pmsw_vmcs_clear(ctx->vmcs);
	}
}

/*
 * A new generation when what write_static_fields() writes may differ
 * from what the session's VMCSs were last prepared with: another CPU or
 * thread (host state), or a command that changed the session since the
 * last block (contexts, memory, the exit-less group). Otherwise every
 * VMCS prepared in this generation still holds the right controls and
 * host state, and the next entry skips the ~40 cached writes.
 */
static void update_gen(struct run_state *rs)
{
	struct host_state *h = &rs->host;
	struct prepared_key *k = &rs->prepared;
	u32 cmd_gen = READ_ONCE(rs->s->cmd_gen);

	if (k->cpu == h->cpu && k->cr3 == h->cr3 && k->cr4 == h->cr4 &&
	    k->fs_base == h->fs_base && k->cmd_gen == cmd_gen && rs->gen)
		return;
	k->cpu = h->cpu;
	k->cr3 = h->cr3;
	k->cr4 = h->cr4;
	k->fs_base = h->fs_base;
	k->cmd_gen = cmd_gen;
	/* 0 is "not prepared" (exitless.c): skip it when the counter wraps. */
	rs->gen = ++rs->s->block_gen ?: ++rs->s->block_gen;
}

/*
 * Start a block of entries on this CPU: preemption is off (load_vmcs()),
 * FPU registers are the guests' to clobber, interrupts go off, and the
 * host state a context can reach is saved.
 */
static void block_begin(struct run_state *rs)
{
	struct pmsw_session *s = rs->s;
	int cpu = smp_processor_id();

	if (rs->host.cpu != cpu)
		read_host_state(&rs->host, cpu);
	kernel_fpu_begin();
	local_irq_disable();

	/* Current now: the mm may have a new PCID, CR4 may have changed. */
	rs->host.cr3 = __get_current_cr3_fast();
	rs->host.cr4 = cr4_read_shadow();
	update_gen(rs);
	/* What the switch path found ready held for the last generation. */
	rs->ready = false;
	/* The host ran: the block's first entry flushes L1D (enter.c). */
	rs->last_entered = NULL;
	rs->block_deadline = rdtsc() + BLOCK_TSC;
	/* Interrupts off: nothing can change these until block_end(). */
	rs->dr7 = native_get_debugreg(7);
	rs->dr6 = native_get_debugreg(6);
	run_rdmsrl(MSR_IA32_DEBUGCTLMSR, rs->debugctl);
	run_rdmsrl(MSR_KERNEL_GS_BASE, rs->kernel_gs_base);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		rs->pkru = rdpkru();

	/* Guests of another session must not steer this one's branches. */
	if (this_cpu_read(last_session) != s->serial) {
		indirect_branch_prediction_barrier();
		this_cpu_write(last_session, s->serial);
	}
	/* Translations of a freed EPT may linger with the same EPTP. */
	pmsw_session_ept_fresh(s, cpu);
	/* ... and translations of a reused VPID or of changed paging. */
	pmsw_session_vpid_fresh(s, cpu);
}

/*
 * Put back what a VM exit changes of the host beyond the VMCS host-state
 * area (SDM 28.5): GDTR and IDTR limits are set to 0xffff, the TR limit
 * to 0x67, IA32_DEBUGCTL is cleared and DR7 set to 0x400; and what a
 * context can change without an exit. Interrupts off.
 */
static void restore_host(struct run_state *rs)
{
	unsigned long dr6;

	if (rs->fpu_owner) {
		pmsw_fpu_save(rs->fpu_owner->fpu, rs->fpu_mask);
		rs->fpu_owner = NULL;
	}
	/* XRSTOR in a context can load PKRU: the kernel relies on its own. */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && rdpkru() != rs->pkru)
		wrpkru(rs->pkru);
	restore_host_msrs(rs);
	native_load_gdt(&rs->host.gdt);
	native_load_idt(&rs->host.idt);
	invalidate_tss_limit();
	if (rs->debugctl)
		run_wrmsrl(MSR_IA32_DEBUGCTLMSR, rs->debugctl);
	if (rs->dr7 & DR7_BREAKPOINT_ENABLES)
		native_set_debugreg(7, rs->dr7);
	/*
	 * #DB always exits, and a VM exit by #DB leaves DR6 alone (SDM
	 * 28.1), but a stale BS or Bn bit would make the host's next #DB
	 * look like a single-step of the calling thread.
	 */
	dr6 = native_get_debugreg(6);
	if (dr6 != rs->dr6)
		native_set_debugreg(6, rs->dr6);
}

/* End a block: host state back, interrupts on, records to userspace. */
static int block_end(struct run_state *rs)
{
	struct pmsw_run *run = rs->run;
	unsigned int i, idx;

	restore_host(rs);
	local_irq_enable();
	kernel_fpu_end();
	preempt_enable();

	/* Records only where userspace made room for them. */
	for (i = 0; i < rs->nr_buf; i++) {
		idx = rs->buf_first + i;
		if (idx < run->nr_transitions &&
		    copy_to_user(&rs->records[idx], &rs->buf[i], sizeof(rs->buf[i])))
			return -EFAULT;
	}
	rs->nr_buf = 0;
	return 0;
}

/*
 * Reasons to leave the interrupts-off block (not the run). The last one
 * bounds it in time: a host interrupt makes the guest exit and ends the
 * block, but not under Bochs while the guest's RFLAGS.IF is 0, and the
 * VMX-preemption timer starts again at every entry, so contexts that
 * switch all the time with interrupts masked would keep the CPU.
 */
static bool block_must_end(struct run_state *rs)
{
	/*
	 * need_resched() or signal_pending(current), in one read of the
	 * thread's flags (TIF_NOTIFY_SIGNAL is signal_pending()'s too;
	 * run_loop() then asks signal_pending() itself).
	 */
	return rs->end_block || rs->nr_buf == ARRAY_SIZE(rs->buf) ||
	       (read_thread_flags() &
		(_TIF_NEED_RESCHED | _TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL)) ||
	       (s64)(rs->last_exit_tsc - rs->block_deadline) > 0;
}

/* A failed VMREAD/VMWRITE during the last transition stops the run. */
static bool vmx_insn_failed(struct run_state *rs, struct pmsw_ctx *ctx)
{
	unsigned long field;

	if (likely(!pmsw_vmx_insn_failed_take(&field)))
		return false;
	pmsw_stop(rs, PMSW_STOP_ENTRY_FAILED,
		  "context %u: VMREAD/VMWRITE of VMCS field %#lx (%s) failed",
		  ctx->id, field, pmsw_vmcs_field_name(field) ?: "?");
	return true;
}

/*
 * The switch path: the exit of a VMCALL PMSW_HC_SWITCH whose target can be
 * entered at once, handled here instead of by handle_vmcall() (exits.c) and the
 * general run-loop steps (Documentation/benchmark.rst, "The switch path").
 * It does exactly what they would do, and is taken only when that is
 * little: the caller is at CPL 0 and neither in STI/MOV-SS blocking nor
 * single-stepping (nothing to end or raise after the VMCALL), the
 * operands mean the same in every mode (their upper halves are 0, so the
 * mode need not be read), and the target's VMCS is active on this CPU,
 * launched, prepared in this block's generation and without changed
 * fields, so its entry needs no VMWRITE. Neither side may be an exit-less
 * member (their VMCS can hold another member's view). Otherwise nothing
 * has changed and the general path handles the exit.
 *
 * Returns the target (its VMCS active here, not yet current), or NULL.
 */
static __always_inline struct pmsw_ctx *switch_fast(struct run_state *rs,
						    struct pmsw_ctx *ctx)
{
	struct pmsw_vmcs *v = ctx->vmcs, *tv;
	u64 arg = ctx->regs[PMSW_RBX];
	struct pmsw_ctx *to;
	unsigned long rip;
	u32 len;

	if (ctx->regs[PMSW_RAX] != PMSW_HC_SWITCH || arg > U32_MAX)
		return NULL;
	to = pmsw_session_ctx(rs->s, arg);
	if (!to)
		return NULL;
	tv = to->vmcs;
	if (tv->cpu != rs->host.cpu || !tv->launched ||
	    tv->prepared_gen != rs->gen || pmsw_ctx_dirty(to) ||
	    ((ctx->cur.flags | to->cur.flags) & PMSW_CONTEXT_F_EXITLESS))
		return NULL;
	/* Five VMREADs, counted at once below. */
	if (PMSW_AR_DPL(pmsw_vmread32(VMCS_GUEST_SS_AR_BYTES)) ||
	    (pmsw_vmread32(VMCS_GUEST_INTERRUPTIBILITY_INFO) &
	     INTR_STI_MOVSS) ||
	    (pmsw_vmreadl(VMCS_GUEST_RFLAGS) & X86_EFLAGS_TF))
		return NULL;
	rip = pmsw_vmreadl(VMCS_GUEST_RIP);
	len = pmsw_vmread32(VMCS_VM_EXIT_INSTRUCTION_LEN);
	v->counters->vmreads += 5;
	this_cpu_add(pmsw_global_counters.vmreads, 5);
	/* Not through the cache: the exit made it forget RIP (28.3). */
	if (pmsw_vmwrite(VMCS_GUEST_RIP, rip + len) == PMSW_VMX_OK)
		PMSW_COUNT(v, vmwrites);
	rs->exit.instruction_len = len;
	ctx->regs[PMSW_RAX] = 0;
	trace_pmsw_switch(rs, ctx, arg, PMSW_TRACE_SWITCH_VMCALL, 1);
	return to;
}

/*
 * The record of the next transition: a slot of the block's buffer while
 * the run keeps records and userspace has room for them, else a scratch
 * slot nobody reads.
 */
static struct pmsw_transition *next_record(struct run_state *rs)
{
	struct pmsw_run *run = rs->run;
	struct pmsw_transition *t;

	if (!rs->recording)
		return &rs->scratch;
	if (run->total_transitions >= run->nr_transitions) {
		rs->recording = false;
		return &rs->scratch;
	}
	if (!rs->nr_buf)
		rs->buf_first = run->total_transitions;
	t = &rs->buf[rs->nr_buf++];
	t->exit_qualification = 0;
	t->reserved = 0;
	return t;
}

/*
 * One transition of the block: enter @ctx, handle its exit. A switch by
 * the switch path (switch_fast()) comes back as NEXT_RESUME with
 * the target in *@ctxp, its VMCS current.
 */
static enum next_step transition(struct run_state *rs, struct pmsw_ctx **ctxp,
				 u32 *next)
{
	struct pmsw_run *run = rs->run;
	struct pmsw_transition *t = next_record(rs);
	struct pmsw_ctx *ctx = *ctxp, *to = NULL;
	enum next_step step;

	t->from = rs->from;
	t->to = ctx->id;
	enter_once(rs, ctx, t);
	/* An exit-less switch may have moved the VMCS to another member. */
	if (ctx->cur.flags & PMSW_CONTEXT_F_EXITLESS)
		*ctxp = ctx = pmsw_xl_track(rs, ctx);
	trace_pmsw_exit(rs, ctx);
	/* Full reason: not failed (bit 31), no enclave or other flag. */
	if (rs->exit.reason == PMSW_EXIT_VMCALL && !rs->enter_ret)
		to = switch_fast(rs, ctx);
	if (likely(to)) {
		step = NEXT_RESUME;
		rs->ready = true;
		if (unlikely(pmsw_vmcs_make_current(to->vmcs))) {
			pmsw_stop(rs, PMSW_STOP_ENTRY_FAILED, "VMPTRLD of context %u failed",
				  to->id);
			step = NEXT_STOP;
		}
	} else {
		rs->exit_used = true;
		step = pmsw_handle_exit(rs, ctx, next);
		t->exit_qualification = rs->exit.qualification;
	}
	if (vmx_insn_failed(rs, ctx))
		step = NEXT_STOP;
	if (step == NEXT_STOP && !rs->enter_ret)
		read_exit_details(ctx, &rs->exit);
	run->total_transitions++;
	rs->from = ctx->id;
	run->stop_context = ctx->id;
	if (to && step != NEXT_STOP)
		*ctxp = to;
	return step;
}

/*
 * The run: blocks of entries with interrupts off, where a switch costs a
 * VMPTRLD and a VM entry and nothing that could wait, separated by the
 * points where the host gets the CPU back (interrupts, rescheduling,
 * signals, copying records out).
 */
static long run_loop(struct run_state *rs)
{
	struct pmsw_run *run = rs->run;
	struct pmsw_ctx *ctx = pmsw_session_ctx(rs->s, run->context);
	enum next_step step = NEXT_RESUME;
	u32 next = 0;
	int err;

	while (step != NEXT_STOP) {
		if (run->max_transitions &&
		    run->total_transitions >= run->max_transitions) {
			pmsw_stop(rs, PMSW_STOP_LIMIT, "%u transitions done",
				  run->total_transitions);
			break;
		}
		if (signal_pending(current)) {
			pmsw_stop(rs, PMSW_STOP_SIGNAL, "interrupted by a signal; run context %u again to continue",
				  ctx->id);
			run->stop_context = ctx->id;
			return -EINTR;
		}
		cond_resched();

		err = load_vmcs(ctx);
		if (err) {
			preempt_enable();
			pmsw_stop(rs, PMSW_STOP_ENTRY_FAILED, "VMPTRLD of context %u failed",
				  ctx->id);
			return err;
		}
		block_begin(rs);
		for (;;) {
			step = transition(rs, &ctx, &next);
			if (step == NEXT_STOP)
				break;
			if (step == NEXT_SWITCH) {
				ctx = pmsw_session_ctx(rs->s, next);
				/* Active on another CPU: clear it outside. */
				if (pmsw_vmcs_load(ctx->vmcs))
					break;
			}
			if (block_must_end(rs) || (run->max_transitions &&
			    run->total_transitions >= run->max_transitions))
				break;
		}
		err = block_end(rs);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The session's run state, allocated by its first run and kept until the
 * session goes (session.c): nothing is allocated or zeroed in bulk per
 * run, and the host state and VMCS generation carry over between runs.
 * Only one run at a time uses it (pmsw_session_run_begin()).
 */
static struct run_state *run_state_get(struct pmsw_session *s)
{
	struct run_state *rs = s->run_state;

	if (likely(rs))
		return rs;
	rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
	if (!rs)
		return NULL;
	rs->s = s;
	rs->run = &rs->arg;
	rs->host.cpu = -1;
	rs->prepared.cpu = -1;
	s->run_state = rs;
	return rs;
}

/*
 * The argument, copied (one copy of a constant size: no hardened-
 * usercopy walk) and checked once; the out fields are reset here, except
 * @stop_context, which a run that makes no entry leaves as it was.
 */
static int run_args_in(struct run_state *rs, void __user *uarg)
{
	struct pmsw_run *run = &rs->arg;
	const char *why;
	int err;

	if (copy_from_user(run, uarg, sizeof(*run)))
		return -EFAULT;
	err = run_validate(rs->s, run, &why);
	if (err)
		return pmsw_refuse(err, "RUN", why);
	run->total_transitions = 0;
	run->stop_reason = 0;
	run->stop_code = 0;
	/* Zero past the words too: the whole field is copied out. */
	memset(run->reason, 0, sizeof(run->reason));
	rs->records = u64_to_user_ptr(run->transitions);
	rs->recording = run->nr_transitions != 0;
	rs->from = ~0U;
	rs->nr_buf = 0;
	memset(&rs->exit, 0, sizeof(rs->exit));
	rs->exit_used = false;
	return 0;
}

/*
 * What the run reports, @nr_transitions to @reason, in one copy of a
 * constant size (a variable one costs a hardened-usercopy walk of the
 * slab object, ~300 instructions under Bochs).
 */
static int run_args_out(struct run_state *rs, void __user *uarg)
{
	struct pmsw_run *run = &rs->arg;
	const size_t from = offsetof(struct pmsw_run, nr_transitions);
	const size_t to = offsetof(struct pmsw_run, reserved);

	run->exit = rs->exit;
	run->nr_transitions = min(run->nr_transitions, run->total_transitions);
	if (copy_to_user(uarg + from, (void *)run + from, to - from))
		return -EFAULT;
	return 0;
}

/* VM exits load null DS/ES/FS/GS/LDTR selectors (SDM 28.5.2). */
static void restore_selectors(struct run_state *rs)
{
	if (rs->ds | rs->es) {
		loadsegment(ds, rs->ds);
		loadsegment(es, rs->es);
	}
	if (rs->ldt_sel)
		asm volatile("lldt %0" : : "rm" (rs->ldt_sel));
	if (rs->fs_sel || rs->gs_sel) {
		u64 fs_base, kernel_gs_base;

		rdmsrl(MSR_FS_BASE, fs_base);
		rdmsrl(MSR_KERNEL_GS_BASE, kernel_gs_base);
		if (rs->fs_sel)
			loadsegment(fs, rs->fs_sel);
		wrmsrl(MSR_FS_BASE, fs_base);
		if (rs->gs_sel)
			load_gs_index(rs->gs_sel);
		wrmsrl(MSR_KERNEL_GS_BASE, kernel_gs_base);
	}
}

long pmsw_run(struct pmsw_session *s, void __user *uarg)
{
	struct run_state *rs;
	long err;

	/* Called without the session lock: this marks the session running. */
	err = pmsw_session_run_begin(s);
	if (err)
		return err;
	rs = run_state_get(s);
	err = -ENOMEM;
	if (!rs)
		goto out;
	err = run_args_in(rs, uarg);
	if (err)
		goto out;

	/* What a VM exit does not restore, kept for the whole run. */
	savesegment(ds, rs->ds);
	savesegment(es, rs->es);
	savesegment(fs, rs->fs_sel);
	savesegment(gs, rs->gs_sel);
	asm volatile("sldt %0" : "=rm" (rs->ldt_sel));
	/*
	 * The calling thread's FS base and FPU components (XCR0 less what
	 * its IA32_XFD disarms): only the thread itself changes them, so
	 * they hold for the whole ioctl, whichever CPU it runs on; another
	 * thread may run the session next time.
	 */
	run_rdmsrl(MSR_FS_BASE, rs->host.fs_base);
	rs->fpu_mask = pmsw_fpu_mask();
	rs->last_exit_tsc = rdtsc();

	trace_pmsw_run_start(s, rs->run);
	err = run_loop(rs);
	trace_pmsw_run_stop(s, rs->run, err);
	restore_selectors(rs);
	if (run_args_out(rs, uarg))
		err = -EFAULT;
out:
	pmsw_session_run_end(s);
	return err;
}
