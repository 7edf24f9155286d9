// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the VMX capability MSRs and each CPU's VMX state. MSRs are read
 * on the CPU they describe (they are per logical processor) and with
 * rdmsr_safe, because an emulator or hypervisor may not implement all of
 * them; an unreadable MSR reports as 0.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "probe.h"
#include "vmx_cpu.h"

struct cpu_probe {
	u32 flags;
	u64 feature_control;
	struct pmsw_vmx_caps caps;
};

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
	u32 i;

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
			} else if (memcmp(&p.caps, &info->caps,
					  sizeof(p.caps))) {
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
