// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the VMX capability MSRs and each CPU's VMX state. MSRs are read
 * on the CPU they describe (they are per logical processor) and with
 * rdmsr_safe, because an emulator or hypervisor may not implement all of
 * them; an unreadable MSR reports as 0.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/cpu.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "hooks.h"
#include "probe.h"
#include "vmx_cpu.h"

struct cpu_probe {
	u32 flags;
	u64 feature_control;
	struct pmsw_vmx_caps caps;
};

/*
 * Test hook (debugfs pmswitch/fake_caps_differ_on_cpu): the CPU whose
 * capability MSRs read as if that CPU were not like the others
 * (IA32_VMX_VMCS_ENUM reports another highest field index), so that the
 * selftests can check that VMXON refuses a machine whose CPUs differ. -1
 * (the default) changes nothing.
 */
static int fake_caps_differ_on_cpu = -1;

/* IA32_VMX_VMCS_ENUM bits 9:1 are the highest field index (SDM A.9). */
#define FAKE_VMCS_ENUM_FLIP	BIT_ULL(1)

/*
 * The capability MSRs in struct pmsw_vmx_caps, to name the one that
 * differs between two CPUs. Four fields hold a TRUE control MSR instead
 * when IA32_VMX_BASIC[55] is set (SDM A.1).
 */
static const struct caps_msr {
	size_t offset;
	const char *name;
	u32 index;
	const char *true_name;
	u32 true_index;
} caps_msrs[] = {
#define MSR(f, n, i)	{ offsetof(struct pmsw_vmx_caps, f), n, i }
#define CTL(f, n, i, tn, ti) \
			{ offsetof(struct pmsw_vmx_caps, f), n, i, tn, ti }
	MSR(basic, "IA32_VMX_BASIC", PMSW_MSR_VMX_BASIC),
	CTL(pinbased_ctls, "IA32_VMX_PINBASED_CTLS", PMSW_MSR_VMX_PINBASED_CTLS,
	    "IA32_VMX_TRUE_PINBASED_CTLS", PMSW_MSR_VMX_TRUE_PINBASED),
	CTL(procbased_ctls, "IA32_VMX_PROCBASED_CTLS", PMSW_MSR_VMX_PROCBASED_CTLS,
	    "IA32_VMX_TRUE_PROCBASED_CTLS", PMSW_MSR_VMX_TRUE_PROCBASED),
	CTL(exit_ctls, "IA32_VMX_EXIT_CTLS", PMSW_MSR_VMX_EXIT_CTLS,
	    "IA32_VMX_TRUE_EXIT_CTLS", PMSW_MSR_VMX_TRUE_EXIT),
	CTL(entry_ctls, "IA32_VMX_ENTRY_CTLS", PMSW_MSR_VMX_ENTRY_CTLS,
	    "IA32_VMX_TRUE_ENTRY_CTLS", PMSW_MSR_VMX_TRUE_ENTRY),
	MSR(procbased_ctls2, "IA32_VMX_PROCBASED_CTLS2",
	    PMSW_MSR_VMX_PROCBASED_CTLS2),
	MSR(ept_vpid_cap, "IA32_VMX_EPT_VPID_CAP", PMSW_MSR_VMX_EPT_VPID_CAP),
	MSR(vmfunc, "IA32_VMX_VMFUNC", PMSW_MSR_VMX_VMFUNC),
	MSR(misc, "IA32_VMX_MISC", PMSW_MSR_VMX_MISC),
	MSR(cr0_fixed0, "IA32_VMX_CR0_FIXED0", PMSW_MSR_VMX_CR0_FIXED0),
	MSR(cr0_fixed1, "IA32_VMX_CR0_FIXED1", PMSW_MSR_VMX_CR0_FIXED1),
	MSR(cr4_fixed0, "IA32_VMX_CR4_FIXED0", PMSW_MSR_VMX_CR4_FIXED0),
	MSR(cr4_fixed1, "IA32_VMX_CR4_FIXED1", PMSW_MSR_VMX_CR4_FIXED1),
	MSR(vmcs_enum, "IA32_VMX_VMCS_ENUM", PMSW_MSR_VMX_VMCS_ENUM),
#undef MSR
#undef CTL
};

static u64 caps_field(const struct pmsw_vmx_caps *c, size_t offset)
{
	return *(const u64 *)((const char *)c + offset);
}

/*
 * NULL if @a and @b report the same capabilities, else the name of the
 * first MSR that differs, its index in @msr.
 */
const char *pmsw_caps_differ(const struct pmsw_vmx_caps *a,
			     const struct pmsw_vmx_caps *b, u32 *msr)
{
	bool true_ctls = a->basic & PMSW_BASIC_TRUE_CTLS;
	const struct caps_msr *m;

	for (m = caps_msrs; m < caps_msrs + ARRAY_SIZE(caps_msrs); m++) {
		if (caps_field(a, m->offset) == caps_field(b, m->offset))
			continue;
		if (true_ctls && m->true_name) {
			*msr = m->true_index;
			return m->true_name;
		}
		*msr = m->index;
		return m->name;
	}
	return NULL;
}

static u64 read_msr_or_zero(u32 msr)
{
	u64 val;

	return rdmsrl_safe(msr, &val) ? 0 : val;
}

bool pmsw_this_cpu_has_vmx(void)
{
	/*
	 * Raw CPUID rather than boot_cpu_has(X86_FEATURE_VMX): Linux clears
	 * the feature flag when firmware disabled VMX, and we want to tell
	 * "no VMX" apart from "VMX disabled by firmware".
	 */
	return cpuid_ecx(1) & PMSW_CPUID1_ECX_VMX;
}

/* Read this CPU's capability MSRs, only those Appendix A says exist. */
void pmsw_read_caps(struct pmsw_vmx_caps *c)
{
	bool true_ctls;
	u32 proc2_may;

	memset(c, 0, sizeof(*c));
	c->basic = read_msr_or_zero(PMSW_MSR_VMX_BASIC);
	true_ctls = c->basic & PMSW_BASIC_TRUE_CTLS;
	c->pinbased_ctls = read_msr_or_zero(true_ctls ?
		PMSW_MSR_VMX_TRUE_PINBASED : PMSW_MSR_VMX_PINBASED_CTLS);
	c->procbased_ctls = read_msr_or_zero(true_ctls ?
		PMSW_MSR_VMX_TRUE_PROCBASED : PMSW_MSR_VMX_PROCBASED_CTLS);
	c->exit_ctls = read_msr_or_zero(true_ctls ?
		PMSW_MSR_VMX_TRUE_EXIT : PMSW_MSR_VMX_EXIT_CTLS);
	c->entry_ctls = read_msr_or_zero(true_ctls ?
		PMSW_MSR_VMX_TRUE_ENTRY : PMSW_MSR_VMX_ENTRY_CTLS);
	c->misc = read_msr_or_zero(PMSW_MSR_VMX_MISC);
	c->cr0_fixed0 = read_msr_or_zero(PMSW_MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = read_msr_or_zero(PMSW_MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = read_msr_or_zero(PMSW_MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = read_msr_or_zero(PMSW_MSR_VMX_CR4_FIXED1);
	c->vmcs_enum = read_msr_or_zero(PMSW_MSR_VMX_VMCS_ENUM);

	/* SDM A.3.3, A.10, A.11: these exist only if the control does. */
	if (pmsw_allowed1(c->procbased_ctls) & PMSW_PROC_SECONDARY_CTLS)
		c->procbased_ctls2 =
			read_msr_or_zero(PMSW_MSR_VMX_PROCBASED_CTLS2);
	proc2_may = pmsw_allowed1(c->procbased_ctls2);
	if (proc2_may & (PMSW_PROC2_EPT | PMSW_PROC2_VPID))
		c->ept_vpid_cap = read_msr_or_zero(PMSW_MSR_VMX_EPT_VPID_CAP);
	if (proc2_may & PMSW_PROC2_VMFUNC)
		c->vmfunc = read_msr_or_zero(PMSW_MSR_VMX_VMFUNC);

	/* Raw: callers outside VMXON may run preemptible. */
	if (raw_smp_processor_id() == READ_ONCE(fake_caps_differ_on_cpu))
		c->vmcs_enum ^= FAKE_VMCS_ENUM_FLIP;
}

void pmsw_probe_debugfs(struct dentry *dir)
{
	pmsw_debugfs_cpu_hook(dir, "fake_caps_differ_on_cpu",
			      &fake_caps_differ_on_cpu);
}

static void probe_this_cpu(void *arg)
{
	struct cpu_probe *p = arg;
	u64 fc;

	memset(p, 0, sizeof(*p));
	p->flags = PMSW_CPU_ONLINE;
	if (cr4_read_shadow() & X86_CR4_VMXE)
		p->flags |= PMSW_CPU_CR4_VMXE;
	if (pmsw_vmx_this_cpu_on())
		p->flags |= PMSW_CPU_VMX_ON;
	if (!pmsw_this_cpu_has_vmx())
		return;

	p->flags |= PMSW_CPU_VMX;
	fc = read_msr_or_zero(PMSW_MSR_FEATURE_CONTROL);
	p->feature_control = fc;
	if (fc & PMSW_FC_LOCKED)
		p->flags |= PMSW_CPU_FC_LOCKED;
	if (fc & PMSW_FC_VMX_INSIDE_SMX)
		p->flags |= PMSW_CPU_FC_VMX_SMX;
	if (fc & PMSW_FC_VMX_OUTSIDE_SMX)
		p->flags |= PMSW_CPU_FC_VMX;
	pmsw_read_caps(&p->caps);
}

/*
 * Fill @info (caps, features, vmx_users) and @cpus[0..@nr_cpus) with a
 * consistent snapshot: VMX cannot be turned on or off and no CPU can come
 * or go while we look.
 */
void pmsw_probe_all(struct pmsw_info *info, struct pmsw_cpu_info *cpus,
		    u32 nr_cpus)
{
	struct cpu_probe p;
	bool have_caps = false;
	unsigned int cpu;
	u32 i, msr;

	memset(&info->caps, 0, sizeof(info->caps));
	info->features = 0;
	for (i = 0; i < nr_cpus; i++) {
		cpus[i].cpu = i;
		cpus[i].flags = 0;
		cpus[i].feature_control = 0;
	}

	pmsw_vmx_state_lock();
	info->vmx_users = pmsw_vmx_users();
	for_each_online_cpu(cpu) {
		smp_call_function_single(cpu, probe_this_cpu, &p, 1);
		if (p.flags & PMSW_CPU_VMX) {
			if (!have_caps) {
				info->caps = p.caps;
				have_caps = true;
			} else if (pmsw_caps_differ(&p.caps, &info->caps,
						    &msr)) {
				p.flags |= PMSW_CPU_CAPS_DIFFER;
			}
		}
		if (cpu < nr_cpus) {
			cpus[cpu].flags = p.flags;
			cpus[cpu].feature_control = p.feature_control;
		}
	}
	pmsw_vmx_state_unlock();

	if (have_caps)
		info->features = pmsw_decode_features(&info->caps);
}
