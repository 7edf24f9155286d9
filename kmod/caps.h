/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX capability decoding (Intel SDM Vol. 3D, Appendix A "VMX Capability
 * Reporting Facility"). Pure logic: compiles in the module and in
 * userspace.
 */
#ifndef PMSW_CAPS_H
#define PMSW_CAPS_H

#include "pure.h"
#include <linux/pmswitch.h>

/* Capability MSR indexes, SDM Vol. 4 and Appendix A. */
#define PMSW_MSR_FEATURE_CONTROL	0x3a
#define PMSW_MSR_VMX_BASIC		0x480
#define PMSW_MSR_VMX_PINBASED_CTLS	0x481
#define PMSW_MSR_VMX_PROCBASED_CTLS	0x482
#define PMSW_MSR_VMX_EXIT_CTLS		0x483
#define PMSW_MSR_VMX_ENTRY_CTLS		0x484
#define PMSW_MSR_VMX_MISC		0x485
#define PMSW_MSR_VMX_CR0_FIXED0		0x486
#define PMSW_MSR_VMX_CR0_FIXED1		0x487
#define PMSW_MSR_VMX_CR4_FIXED0		0x488
#define PMSW_MSR_VMX_CR4_FIXED1		0x489
#define PMSW_MSR_VMX_VMCS_ENUM		0x48a
#define PMSW_MSR_VMX_PROCBASED_CTLS2	0x48b
#define PMSW_MSR_VMX_EPT_VPID_CAP	0x48c
#define PMSW_MSR_VMX_TRUE_PINBASED	0x48d
#define PMSW_MSR_VMX_TRUE_PROCBASED	0x48e
#define PMSW_MSR_VMX_TRUE_EXIT		0x48f
#define PMSW_MSR_VMX_TRUE_ENTRY		0x490
#define PMSW_MSR_VMX_VMFUNC		0x491

/* IA32_FEATURE_CONTROL bits, SDM 24.7. */
#define PMSW_FC_LOCKED			PMSW_BIT(0)
#define PMSW_FC_VMX_INSIDE_SMX		PMSW_BIT(1)
#define PMSW_FC_VMX_OUTSIDE_SMX		PMSW_BIT(2)

/* IA32_VMX_BASIC layout, SDM A.1. */
#define PMSW_BASIC_PA32			PMSW_BIT(48)
#define PMSW_BASIC_TRUE_CTLS		PMSW_BIT(55)
#define PMSW_MEMTYPE_WB			6

static inline __u32 pmsw_basic_revision(__u64 basic)
{
	return (__u32)(basic & 0x7fffffff);
}

static inline __u32 pmsw_basic_vmcs_size(__u64 basic)
{
	return (__u32)((basic >> 32) & 0x1fff);
}

static inline __u32 pmsw_basic_memtype(__u64 basic)
{
	return (__u32)((basic >> 50) & 0xf);
}

/* Pin-based VM-execution controls (SDM 25.6.1). */
#define PMSW_PIN_EXT_INTR_EXITING	PMSW_BIT(0)
#define PMSW_PIN_NMI_EXITING		PMSW_BIT(3)
#define PMSW_PIN_VIRTUAL_NMIS		PMSW_BIT(5)
#define PMSW_PIN_PREEMPTION_TIMER	PMSW_BIT(6)

/* Primary processor-based VM-execution controls (SDM 25.6.2). */
#define PMSW_PROC_INTR_WINDOW		PMSW_BIT(2)
#define PMSW_PROC_TSC_OFFSETTING	PMSW_BIT(3)
#define PMSW_PROC_HLT_EXITING		PMSW_BIT(7)
#define PMSW_PROC_INVLPG_EXITING	PMSW_BIT(9)
#define PMSW_PROC_MWAIT_EXITING		PMSW_BIT(10)
#define PMSW_PROC_RDPMC_EXITING		PMSW_BIT(11)
#define PMSW_PROC_RDTSC_EXITING		PMSW_BIT(12)
#define PMSW_PROC_CR3_LOAD_EXITING	PMSW_BIT(15)
#define PMSW_PROC_CR3_STORE_EXITING	PMSW_BIT(16)
#define PMSW_PROC_CR8_LOAD_EXITING	PMSW_BIT(19)
#define PMSW_PROC_CR8_STORE_EXITING	PMSW_BIT(20)
#define PMSW_PROC_TPR_SHADOW		PMSW_BIT(21)
#define PMSW_PROC_NMI_WINDOW		PMSW_BIT(22)
#define PMSW_PROC_MOV_DR_EXITING	PMSW_BIT(23)
#define PMSW_PROC_UNCOND_IO_EXITING	PMSW_BIT(24)
#define PMSW_PROC_USE_IO_BITMAPS	PMSW_BIT(25)
#define PMSW_PROC_MONITOR_TRAP_FLAG	PMSW_BIT(27)
#define PMSW_PROC_USE_MSR_BITMAPS	PMSW_BIT(28)
#define PMSW_PROC_MONITOR_EXITING	PMSW_BIT(29)
#define PMSW_PROC_PAUSE_EXITING		PMSW_BIT(30)
#define PMSW_PROC_SECONDARY_CTLS	PMSW_BIT(31)

/* Secondary processor-based VM-execution controls (SDM 25.6.2). */
#define PMSW_PROC2_VIRT_APIC_ACCESS	PMSW_BIT(0)
#define PMSW_PROC2_EPT			PMSW_BIT(1)
#define PMSW_PROC2_DESC_TABLE_EXITING	PMSW_BIT(2)
#define PMSW_PROC2_RDTSCP		PMSW_BIT(3)
#define PMSW_PROC2_VIRT_X2APIC		PMSW_BIT(4)
#define PMSW_PROC2_VPID			PMSW_BIT(5)
#define PMSW_PROC2_WBINVD_EXITING	PMSW_BIT(6)
#define PMSW_PROC2_UNRESTRICTED_GUEST	PMSW_BIT(7)
#define PMSW_PROC2_APIC_REG_VIRT	PMSW_BIT(8)
#define PMSW_PROC2_VIRT_INTR_DELIVERY	PMSW_BIT(9)
#define PMSW_PROC2_INVPCID		PMSW_BIT(12)
#define PMSW_PROC2_VMFUNC		PMSW_BIT(13)
#define PMSW_PROC2_SHADOW_VMCS		PMSW_BIT(14)
#define PMSW_PROC2_EPT_VE		PMSW_BIT(18)
#define PMSW_PROC2_XSAVES		PMSW_BIT(20)

/* VM-exit controls (SDM 25.7.1). */
#define PMSW_EXIT_SAVE_DEBUG		PMSW_BIT(2)
#define PMSW_EXIT_HOST_ADDR_SPACE_SIZE	PMSW_BIT(9)
#define PMSW_EXIT_LOAD_PERF_GLOBAL	PMSW_BIT(12)
#define PMSW_EXIT_ACK_INTR_ON_EXIT	PMSW_BIT(15)
#define PMSW_EXIT_SAVE_PAT		PMSW_BIT(18)
#define PMSW_EXIT_LOAD_PAT		PMSW_BIT(19)
#define PMSW_EXIT_SAVE_EFER		PMSW_BIT(20)
#define PMSW_EXIT_LOAD_EFER		PMSW_BIT(21)
#define PMSW_EXIT_SAVE_PREEMPTION_TIMER	PMSW_BIT(22)

/* VM-entry controls (SDM 25.8.1). */
#define PMSW_ENTRY_LOAD_DEBUG		PMSW_BIT(2)
#define PMSW_ENTRY_IA32E_MODE		PMSW_BIT(9)
#define PMSW_ENTRY_SMM			PMSW_BIT(10)
#define PMSW_ENTRY_DUAL_MONITOR		PMSW_BIT(11)
#define PMSW_ENTRY_LOAD_PERF_GLOBAL	PMSW_BIT(13)
#define PMSW_ENTRY_LOAD_PAT		PMSW_BIT(14)
#define PMSW_ENTRY_LOAD_EFER		PMSW_BIT(15)

/* IA32_VMX_EPT_VPID_CAP bits, SDM A.10. */
#define PMSW_EPT_CAP_WALK4		PMSW_BIT(6)
#define PMSW_EPT_CAP_WB			PMSW_BIT(14)
#define PMSW_VPID_CAP_INVVPID		PMSW_BIT(32)
#define PMSW_VPID_CAP_SINGLE		PMSW_BIT(41)
#define PMSW_VPID_CAP_ALL		PMSW_BIT(42)

/* IA32_VMX_VMFUNC bits, SDM A.11. */
#define PMSW_VMFUNC_EPTP_SWITCHING	PMSW_BIT(0)

/* CR0/CR4 bits the VMX fixed MSRs speak about, SDM 24.8. */
#define PMSW_CR4_VMXE			PMSW_BIT(13)

/* What VMXON depends on, as read on one CPU (see pmsw_vmxon_check()). */
struct pmsw_vmxon_env {
	bool vmx;		/* CPUID.1:ECX.VMX */
	bool cr4_vmxe;		/* CR4.VMXE already set */
	bool fc_readable;	/* IA32_FEATURE_CONTROL could be read */
	__u64 feature_control;
	__u64 cr0;
	__u64 cr4;		/* current CR4; VMXE is added by the check */
	const struct pmsw_vmx_caps *caps;
};

int pmsw_vmxon_check(const struct pmsw_vmxon_env *env, const char **why);
__u64 pmsw_decode_features(const struct pmsw_vmx_caps *caps);
const char *pmsw_feature_name(unsigned int bit);
int pmsw_adjust_ctls(__u32 required, __u32 optional, __u64 cap, __u32 *out);
bool pmsw_cr_fixed_ok(__u64 val, __u64 fixed0, __u64 fixed1);
const char *pmsw_vmx_basic_unusable(__u64 basic);
unsigned int pmsw_invvpid_type(const struct pmsw_vmx_caps *caps);

#endif /* PMSW_CAPS_H */
