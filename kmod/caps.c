// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capability decoding, SDM Vol. 3D Appendix A. No privileged
 * instruction here: the module feeds it MSR values read on a CPU, the
 * host unit tests feed it values recorded from real and emulated CPUs.
 */
#include "caps.h"
#include "check.h"

static const char *const feature_names[] = {
	"true_ctls", "secondary_ctls", "ept", "vpid", "unrestricted_guest",
	"vmfunc", "eptp_switching", "ept_ve", "shadow_vmcs",
	"preemption_timer", "msr_bitmaps", "io_bitmaps", "vmcs_wb",
};

/* A control may be set to 1 when its allowed-1 bit is 1 (SDM A.3). */
static bool may_set(__u64 cap, __u64 ctl)
{
	return (pmsw_allowed1(cap) & ctl) == ctl;
}

__u64 pmsw_decode_features(const struct pmsw_vmx_caps *c)
{
	__u64 f = 0;
	__u64 proc2 = 0;

	if (c->basic & PMSW_BASIC_TRUE_CTLS)
		f |= PMSW_FEAT_TRUE_CTLS;
	if (pmsw_basic_memtype(c->basic) == PMSW_MEMTYPE_WB)
		f |= PMSW_FEAT_VMCS_WB;
	if (may_set(c->pinbased_ctls, PMSW_PIN_PREEMPTION_TIMER))
		f |= PMSW_FEAT_PREEMPTION_TIMER;
	if (may_set(c->procbased_ctls, PMSW_PROC_USE_MSR_BITMAPS))
		f |= PMSW_FEAT_MSR_BITMAPS;
	if (may_set(c->procbased_ctls, PMSW_PROC_USE_IO_BITMAPS))
		f |= PMSW_FEAT_IO_BITMAPS;

	/*
	 * IA32_VMX_PROCBASED_CTLS2 exists only if the primary control 31
	 * may be 1 (SDM A.3.3); ignore whatever was read otherwise.
	 */
	if (may_set(c->procbased_ctls, PMSW_PROC_SECONDARY_CTLS)) {
		f |= PMSW_FEAT_SECONDARY_CTLS;
		proc2 = c->procbased_ctls2;
	}

	/* pmswitch builds 4-level EPT tables in write-back memory (A.10). */
	if (may_set(proc2, PMSW_PROC2_EPT) &&
	    (c->ept_vpid_cap & PMSW_EPT_CAP_WALK4) &&
	    (c->ept_vpid_cap & PMSW_EPT_CAP_WB))
		f |= PMSW_FEAT_EPT;
	if (may_set(proc2, PMSW_PROC2_VPID))
		f |= PMSW_FEAT_VPID;
	if (may_set(proc2, PMSW_PROC2_SHADOW_VMCS))
		f |= PMSW_FEAT_SHADOW_VMCS;
	if (may_set(proc2, PMSW_PROC2_VMFUNC))
		f |= PMSW_FEAT_VMFUNC;

	/*
	 * Unrestricted guest, EPTP switching and #VE are defined on top of
	 * EPT: VM entry fails if "unrestricted guest" is 1 with "enable EPT"
	 * 0 (SDM 27.2.1.1), EPTP switching loads EPT pointers (SDM 26.5.6.3),
	 * #VE is raised only for EPT violations (SDM 26.5.7).
	 */
	if (f & PMSW_FEAT_EPT) {
		if (may_set(proc2, PMSW_PROC2_UNRESTRICTED_GUEST))
			f |= PMSW_FEAT_UNRESTRICTED_GUEST;
		if (may_set(proc2, PMSW_PROC2_EPT_VE))
			f |= PMSW_FEAT_EPT_VE;
		if ((f & PMSW_FEAT_VMFUNC) &&
		    (c->vmfunc & PMSW_VMFUNC_EPTP_SWITCHING))
			f |= PMSW_FEAT_EPTP_SWITCHING;
	}
	return f;
}

/* Name of PMSW_FEAT_* bit @bit, or NULL for a bit this ABI lacks. */
const char *pmsw_feature_name(unsigned int bit)
{
	if (bit >= PMSW_ARRAY_SIZE(feature_names))
		return NULL;
	return feature_names[bit];
}

/*
 * Fold the controls pmswitch needs (@required) and would like (@optional)
 * into a value the CPU accepts: bits whose allowed-1 setting is 0 are
 * dropped, bits whose allowed-0 setting is 1 are forced on (SDM A.3,
 * "default1" controls included). Fails only when a required control
 * cannot be 1.
 */
int pmsw_adjust_ctls(__u32 required, __u32 optional, __u64 cap, __u32 *out)
{
	__u32 must = pmsw_allowed0(cap);
	__u32 may = pmsw_allowed1(cap);

	if (required & ~may)
		return -EOPNOTSUPP;
	*out = ((required | optional) & may) | must;
	return 0;
}

/*
 * In VMX operation every bit set in FIXED0 must be 1 and every bit clear
 * in FIXED1 must be 0 (SDM 24.8 and A.7/A.8).
 */
bool pmsw_cr_fixed_ok(__u64 val, __u64 fixed0, __u64 fixed1)
{
	return (val & fixed0) == fixed0 && (val & ~fixed1) == 0;
}

/*
 * Why the VMXON/VMCS regions described by IA32_VMX_BASIC cannot be used by
 * this 64-bit module, or NULL if they can (SDM A.1).
 */
const char *pmsw_vmx_basic_unusable(__u64 basic)
{
	__u32 size = pmsw_basic_vmcs_size(basic);

	if (pmsw_basic_revision(basic) == 0)
		return "IA32_VMX_BASIC reports VMCS revision 0";
	if (size == 0 || size > 4096)
		return "IA32_VMX_BASIC reports a VMCS region size outside 1..4096";
	/* Always 0 on processors that support Intel 64 (SDM A.1). */
	if (basic & PMSW_BASIC_PA32)
		return "IA32_VMX_BASIC limits VMX regions to 32-bit addresses";
	if (pmsw_basic_memtype(basic) != PMSW_MEMTYPE_WB)
		return "IA32_VMX_BASIC does not allow write-back VMCS memory";
	return NULL;
}

/*
 * The preconditions of VMXON (SDM 24.7, 24.8 and the VMXON reference in
 * 31.3), one at a time, so that a refusal names the one that failed:
 * -ENODEV without VMX, -EBUSY when another hypervisor holds VMX,
 * -EOPNOTSUPP when firmware or the capability MSRs rule it out.
 */
int pmsw_vmxon_check(const struct pmsw_vmxon_env *env, const char **why)
{
	const struct pmsw_vmx_caps *c = env->caps;
	const char *basic_why;

	*why = NULL;
	if (!env->vmx)
		return pmsw_why(-ENODEV, "no VMX on this CPU (CPUID.1:ECX.VMX = 0)", why);
	/*
	 * CR4.VMXE set by someone else means another hypervisor (kvm_intel)
	 * is in VMX operation here: VMXON would VMfail, and sharing the CPU
	 * would corrupt its state. KVM makes the same check against us.
	 */
	if (env->cr4_vmxe)
		return pmsw_why(-EBUSY, "CR4.VMXE already set: another hypervisor (e.g. kvm_intel) holds VMX", why);
	if (!env->fc_readable || !(env->feature_control & PMSW_FC_LOCKED))
		return pmsw_why(-EOPNOTSUPP, "IA32_FEATURE_CONTROL is not locked, VMXON would #GP (SDM 24.7)", why);
	if (!(env->feature_control & PMSW_FC_VMX_OUTSIDE_SMX))
		return pmsw_why(-EOPNOTSUPP, "VT-x disabled by firmware (IA32_FEATURE_CONTROL locked, VMX outside SMX off)", why);
	basic_why = pmsw_vmx_basic_unusable(c->basic);
	if (basic_why)
		return pmsw_why(-EOPNOTSUPP, basic_why, why);
	if (!pmsw_cr_fixed_ok(env->cr0, c->cr0_fixed0, c->cr0_fixed1))
		return pmsw_why(-EOPNOTSUPP, "CR0 violates IA32_VMX_CR0_FIXED0/1 (SDM 24.8)", why);
	if (!pmsw_cr_fixed_ok(env->cr4 | PMSW_CR4_VMXE, c->cr4_fixed0,
			      c->cr4_fixed1))
		return pmsw_why(-EOPNOTSUPP, "CR4 violates IA32_VMX_CR4_FIXED0/1 (SDM 24.8)", why);
	return 0;
}

/* A control pmswitch requires, and the refusal that names it. */
struct ctl_need {
	__u32 bit;
	const char *why;
};

#define NEED(bit, word, n, name)					\
	{ bit, "the CPU does not allow " word " control " #n " (" name	\
	       "), which pmswitch requires (SDM A.3)" }

/*
 * External interrupts and NMIs belong to the host (SDM 25.6.1); with
 * "virtual NMIs" (which needs NMI exiting, SDM 27.2.1.1) a context's
 * blocking by NMI blocks only virtual NMIs, never the host's (SDM 25.4.2);
 * without it the checks refuse that bit (rule 730). The VMX-preemption
 * timer bounds how long a guest runs without an exit (SDM 26.5.1), since
 * Bochs does not exit on external interrupts while the guest's RFLAGS.IF
 * is 0.
 */
static const struct ctl_need pin_need[] = {
	NEED(PMSW_PIN_EXT_INTR_EXITING, "pin-based", 0, "external-interrupt exiting"),
	NEED(PMSW_PIN_NMI_EXITING, "pin-based", 3, "NMI exiting"),
};

/*
 * Everything that would reach host state exits: HLT, MWAIT/MONITOR,
 * RDPMC, CR8 (the host's TPR), MOV DR, all I/O; without MSR bitmaps every
 * RDMSR/WRMSR exits too (SDM 26.1.3).
 */
static const struct ctl_need proc_need[] = {
	NEED(PMSW_PROC_HLT_EXITING, "processor-based", 7, "HLT exiting"),
	NEED(PMSW_PROC_MWAIT_EXITING, "processor-based", 10, "MWAIT exiting"),
	NEED(PMSW_PROC_RDPMC_EXITING, "processor-based", 11, "RDPMC exiting"),
	NEED(PMSW_PROC_CR8_LOAD_EXITING, "processor-based", 19, "CR8-load exiting"),
	NEED(PMSW_PROC_CR8_STORE_EXITING, "processor-based", 20, "CR8-store exiting"),
	NEED(PMSW_PROC_MOV_DR_EXITING, "processor-based", 23, "MOV-DR exiting"),
	NEED(PMSW_PROC_UNCOND_IO_EXITING, "processor-based", 24, "unconditional I/O exiting"),
	NEED(PMSW_PROC_MONITOR_EXITING, "processor-based", 29, "MONITOR exiting"),
	NEED(PMSW_PROC_SECONDARY_CTLS, "processor-based", 31, "activate secondary controls"),
};

/* Guest memory is reachable only through EPT (SDM 29.3). */
static const struct ctl_need proc2_need[] = {
	NEED(PMSW_PROC2_EPT, "secondary processor-based", 1, "enable EPT"),
};

/* The host's EFER, PAT and debug state come back on every exit. */
static const struct ctl_need exit_need[] = {
	NEED(PMSW_EXIT_SAVE_DEBUG, "VM-exit", 2, "save debug controls"),
	NEED(PMSW_EXIT_HOST_ADDR_SPACE_SIZE, "VM-exit", 9, "host address-space size"),
	NEED(PMSW_EXIT_SAVE_PAT, "VM-exit", 18, "save IA32_PAT"),
	NEED(PMSW_EXIT_LOAD_PAT, "VM-exit", 19, "load IA32_PAT"),
	NEED(PMSW_EXIT_SAVE_EFER, "VM-exit", 20, "save IA32_EFER"),
	NEED(PMSW_EXIT_LOAD_EFER, "VM-exit", 21, "load IA32_EFER"),
};

/* Each context's EFER, PAT and debug state go in on every entry. */
static const struct ctl_need entry_need[] = {
	NEED(PMSW_ENTRY_LOAD_DEBUG, "VM-entry", 2, "load debug controls"),
	NEED(PMSW_ENTRY_LOAD_PAT, "VM-entry", 14, "load IA32_PAT"),
	NEED(PMSW_ENTRY_LOAD_EFER, "VM-entry", 15, "load IA32_EFER"),
};

#undef NEED

/*
 * pmsw_adjust_ctls() for the controls in @need plus @optional; a refusal
 * names the first required control the capability MSR @cap rules out.
 */
static int adjust_needed(const struct ctl_need *need, unsigned int n,
			 __u32 optional, __u64 cap, __u32 *out,
			 const char **why)
{
	__u32 required = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		required |= need[i].bit;
	if (!pmsw_adjust_ctls(required, optional, cap, out))
		return 0;
	for (i = 0; i < n; i++)
		if (!(pmsw_allowed1(cap) & need[i].bit))
			return pmsw_why(-EOPNOTSUPP, need[i].why, why);
	return pmsw_why(-EOPNOTSUPP, "a required VMX control is not allowed", why);
}

#define ADJUST(need, opt, cap, out, why)				\
	adjust_needed(need, PMSW_ARRAY_SIZE(need), opt, cap, out, why)

int pmsw_derive_env(const struct pmsw_vmx_caps *caps, unsigned int phys_bits,
		    struct pmsw_check_env *env, const char **why)
{
	int err;

	*why = NULL;
	env->caps = caps;
	env->phys_bits = phys_bits;
	err = ADJUST(pin_need,
		     PMSW_PIN_PREEMPTION_TIMER | PMSW_PIN_VIRTUAL_NMIS,
		     caps->pinbased_ctls, &env->pin, why);
	err = err ?: ADJUST(proc_need, 0, caps->procbased_ctls, &env->proc,
			    why);
	err = err ?: ADJUST(proc2_need,
			    PMSW_PROC2_UNRESTRICTED_GUEST |
			    PMSW_PROC2_WBINVD_EXITING,
			    caps->procbased_ctls2, &env->proc2, why);
	err = err ?: ADJUST(exit_need, 0, caps->exit_ctls, &env->exit, why);
	err = err ?: ADJUST(entry_need, 0, caps->entry_ctls, &env->entry, why);
	env->entry &= ~PMSW_ENTRY_IA32E_MODE;
	return err;
}

/*
 * The INVVPID type pmswitch flushes a VPID with: single-context where the
 * CPU offers it, else all-context (IA32_VMX_EPT_VPID_CAP bits 32, 41, 42,
 * SDM A.10); 0 when VPID cannot be used. Without INVVPID a VPID could
 * never be invalidated when a context's paging changes or a VPID is
 * reused, so the control stays off.
 */
unsigned int pmsw_invvpid_type(const struct pmsw_vmx_caps *caps)
{
	__u64 cap = caps->ept_vpid_cap;

	if (!(pmsw_decode_features(caps) & PMSW_FEAT_VPID) ||
	    !(cap & PMSW_VPID_CAP_INVVPID))
		return 0;
	if (cap & PMSW_VPID_CAP_SINGLE)
		return 1;
	if (cap & PMSW_VPID_CAP_ALL)
		return 2;
	return 0;
}
