/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pmswitch: atomic protected-mode switching on Intel VT-x.
 *
 * This is the only definition of the ABI between pmswitch.ko, the pmswitch
 * CLI and the selftests. Any change to a structure layout or to the meaning
 * of a field bumps PMSW_ABI_VERSION.
 *
 * Conventions (Documentation/process/botching-up-ioctls.rst):
 * - only __u32/__u64, user pointers travel as __u64;
 * - every structure is naturally aligned with no implicit padding;
 * - structures start with a size field that must equal sizeof() and a
 *   flags field whose unknown bits are refused; reserved fields must be 0;
 * - errors come back as -1/errno, and the module writes a one-line reason
 *   to the kernel log (rate-limited).
 */
#ifndef _UAPI_LINUX_PMSWITCH_H
#define _UAPI_LINUX_PMSWITCH_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PMSW_ABI_VERSION	1

/* The misc device's name: /dev/pmswitch. */
#define PMSW_DEVICE_NAME	"pmswitch"

/*
 * ioctl type byte. 0xB9 is not assigned in
 * Documentation/userspace-api/ioctl/ioctl-number.rst.
 */
#define PMSW_IOC_TYPE		0xB9

/**
 * struct pmsw_vmx_caps - the VMX capability MSRs (Intel SDM Vol. 3D,
 * Appendix A), read on the first online CPU.
 *
 * For the four control MSRs the low 32 bits are the allowed-0 settings (a
 * 1 there means the control must be 1) and the high 32 bits the allowed-1
 * settings (a 0 there means the control must be 0), SDM A.3-A.5.
 *
 * @basic:		IA32_VMX_BASIC (0x480), SDM A.1.
 * @pinbased_ctls:	IA32_VMX_TRUE_PINBASED_CTLS (0x48d) when
 *			PMSW_FEAT_TRUE_CTLS is set, else
 *			IA32_VMX_PINBASED_CTLS (0x481).
 * @procbased_ctls:	TRUE_PROCBASED_CTLS (0x48e) / PROCBASED_CTLS (0x482).
 * @exit_ctls:		TRUE_EXIT_CTLS (0x48f) / EXIT_CTLS (0x483).
 * @entry_ctls:		TRUE_ENTRY_CTLS (0x490) / ENTRY_CTLS (0x484).
 * @procbased_ctls2:	IA32_VMX_PROCBASED_CTLS2 (0x48b); 0 when the CPU has
 *			no secondary processor-based controls.
 * @ept_vpid_cap:	IA32_VMX_EPT_VPID_CAP (0x48c); 0 when the CPU allows
 *			neither EPT nor VPID.
 * @vmfunc:		IA32_VMX_VMFUNC (0x491); 0 without VM functions.
 * @misc:		IA32_VMX_MISC (0x485), SDM A.6.
 * @cr0_fixed0:		IA32_VMX_CR0_FIXED0 (0x486), SDM A.7: bits that
 *			must be 1 in CR0 in VMX operation.
 * @cr0_fixed1:		IA32_VMX_CR0_FIXED1 (0x487): bits that may be 1.
 * @cr4_fixed0:		IA32_VMX_CR4_FIXED0 (0x488), SDM A.8.
 * @cr4_fixed1:		IA32_VMX_CR4_FIXED1 (0x489).
 * @vmcs_enum:		IA32_VMX_VMCS_ENUM (0x48a), SDM A.9.
 */
struct pmsw_vmx_caps {
	__u64 basic;
	__u64 pinbased_ctls;
	__u64 procbased_ctls;
	__u64 exit_ctls;
	__u64 entry_ctls;
	__u64 procbased_ctls2;
	__u64 ept_vpid_cap;
	__u64 vmfunc;
	__u64 misc;
	__u64 cr0_fixed0;
	__u64 cr0_fixed1;
	__u64 cr4_fixed0;
	__u64 cr4_fixed1;
	__u64 vmcs_enum;
};

/*
 * Decoded features (struct pmsw_info.features). A bit is set when the CPU
 * allows the control (allowed-1 setting, SDM Appendix A) and the
 * prerequisites pmswitch relies on for it hold.
 */
/* IA32_VMX_BASIC[55]: the TRUE control MSRs exist (SDM A.1). */
#define PMSW_FEAT_TRUE_CTLS		(1ULL << 0)
/* Primary proc-based control 31: secondary controls (SDM A.3.2). */
#define PMSW_FEAT_SECONDARY_CTLS	(1ULL << 1)
/* Secondary control 1, with a 4-level walk and write-back EPT paging
 * structures in IA32_VMX_EPT_VPID_CAP (SDM A.10).
 */
#define PMSW_FEAT_EPT			(1ULL << 2)
/* Secondary control 5: VPID (SDM A.3.3). */
#define PMSW_FEAT_VPID			(1ULL << 3)
/* Secondary control 7, requires EPT (SDM 27.2.1.1). */
#define PMSW_FEAT_UNRESTRICTED_GUEST	(1ULL << 4)
/* Secondary control 13: VM functions (SDM A.11). */
#define PMSW_FEAT_VMFUNC		(1ULL << 5)
/* VM function 0, EPTP switching: IA32_VMX_VMFUNC[0] and EPT. */
#define PMSW_FEAT_EPTP_SWITCHING	(1ULL << 6)
/* Secondary control 18: EPT-violation #VE, requires EPT. */
#define PMSW_FEAT_EPT_VE		(1ULL << 7)
/* Secondary control 14: VMCS shadowing. */
#define PMSW_FEAT_SHADOW_VMCS		(1ULL << 8)
/* Pin-based control 6: activate VMX-preemption timer (SDM A.3.1). */
#define PMSW_FEAT_PREEMPTION_TIMER	(1ULL << 9)
/* Primary proc-based control 28: use MSR bitmaps. */
#define PMSW_FEAT_MSR_BITMAPS		(1ULL << 10)
/* Primary proc-based control 25: use I/O bitmaps. */
#define PMSW_FEAT_IO_BITMAPS		(1ULL << 11)
/* IA32_VMX_BASIC[53:50] == 6: VMCS accessed with write-back type. */
#define PMSW_FEAT_VMCS_WB		(1ULL << 12)
/* Every bit this ABI version defines. */
#define PMSW_FEAT_ALL			((1ULL << 13) - 1)

/* struct pmsw_cpu_info.flags */
/* The CPU is online; all other flags are 0 for an offline CPU. */
#define PMSW_CPU_ONLINE		(1U << 0)
/* CPUID.1:ECX.VMX[bit 5]: the CPU implements VMX (SDM 24.6). */
#define PMSW_CPU_VMX		(1U << 1)
/* IA32_FEATURE_CONTROL[0]: the MSR is locked (SDM 24.7). */
#define PMSW_CPU_FC_LOCKED	(1U << 2)
/* IA32_FEATURE_CONTROL[1]: VMXON allowed inside SMX operation. */
#define PMSW_CPU_FC_VMX_SMX	(1U << 3)
/* IA32_FEATURE_CONTROL[2]: VMXON allowed outside SMX operation. */
#define PMSW_CPU_FC_VMX		(1U << 4)
/* pmswitch holds this CPU in VMX operation. */
#define PMSW_CPU_VMX_ON		(1U << 5)
/* CR4.VMXE is set: by pmswitch, or by another hypervisor if VMX_ON is 0. */
#define PMSW_CPU_CR4_VMXE	(1U << 6)
/* This CPU's capability MSRs differ from those in struct pmsw_info.caps. */
#define PMSW_CPU_CAPS_DIFFER	(1U << 7)

/**
 * struct pmsw_cpu_info - the VMX state of one CPU.
 * @cpu:		CPU number.
 * @flags:		PMSW_CPU_* bits.
 * @feature_control:	IA32_FEATURE_CONTROL (0x3a) as read on the CPU,
 *			0 when offline or unreadable.
 */
struct pmsw_cpu_info {
	__u32 cpu;
	__u32 flags;
	__u64 feature_control;
};

/**
 * struct pmsw_info - argument of PMSW_IOC_INFO.
 * @size:	 in: sizeof(struct pmsw_info).
 * @flags:	 in: 0; no flags are defined yet.
 * @abi_version: out: PMSW_ABI_VERSION of the module.
 * @vmx_users:	 out: open files that hold VMX operation (PMSW_IOC_VMXON).
 * @nr_cpu_ids:	 out: CPU numbers run from 0 to nr_cpu_ids - 1.
 * @nr_cpus:	 in: number of entries at @cpus (0 to ask only for
 *		 @nr_cpu_ids); out: entries written, min(in, nr_cpu_ids).
 * @cpus:	 in: user pointer to struct pmsw_cpu_info[@nr_cpus], filled
 *		 for CPUs 0, 1, ... in order.
 * @features:	 out: PMSW_FEAT_* decoded from @caps; 0 without VMX.
 * @caps:	 out: capability MSRs of the first online CPU with VMX;
 *		 all 0 when no CPU has VMX.
 * @reserved:	 must be 0.
 */
struct pmsw_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 vmx_users;
	__u32 nr_cpu_ids;
	__u32 nr_cpus;
	__u64 cpus;
	__u64 features;
	struct pmsw_vmx_caps caps;
	__u64 reserved[4];
};

/*
 * PMSW_IOC_INFO: report the ABI version, the VMX capabilities and the VMX
 * state of every CPU. Needs no VMX.
 * Errors: EFAULT (@arg or @cpus not accessible), EINVAL (@size, @flags or
 * @reserved wrong).
 */
#define PMSW_IOC_INFO		_IOWR(PMSW_IOC_TYPE, 0x00, struct pmsw_info)

/*
 * PMSW_IOC_VMXON: take this file's reference on VMX operation. The first
 * reference in the system puts every online CPU into VMX operation; CPUs
 * that come online later follow. Taking it twice on one file is a no-op.
 * The argument must be 0.
 * Errors: EINVAL (argument not 0), ENODEV (a CPU lacks VMX), EOPNOTSUPP
 * (IA32_FEATURE_CONTROL forbids VMXON outside SMX, or the VMX capability
 * MSRs are unusable), EBUSY (CR4.VMXE already set: another hypervisor
 * such as kvm_intel holds VMX), EIO (VMXON failed), ENOMEM, ESHUTDOWN
 * (the system is rebooting). On error no CPU is left in VMX operation by
 * this call.
 */
#define PMSW_IOC_VMXON		_IO(PMSW_IOC_TYPE, 0x01)

/*
 * PMSW_IOC_VMXOFF: drop this file's reference; the last one (or the last
 * close of a file holding one) takes every CPU out of VMX operation.
 * Dropping a reference the file does not hold is a no-op. The argument
 * must be 0. Errors: EINVAL (argument not 0).
 */
#define PMSW_IOC_VMXOFF		_IO(PMSW_IOC_TYPE, 0x02)

#endif /* _UAPI_LINUX_PMSWITCH_H */
