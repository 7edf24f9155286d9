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

/*
 * 6: PMSW_MAX_CONTEXTS grew from 64 to 4096 (a session's contexts are no
 * longer a fixed array), so context ids up to 4095 are valid, and an
 * exit-less member's id must be below 512 (rule 821).
 */
#define PMSW_ABI_VERSION	6

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
 * @state:	 out: PMSW_STATE_* bits (in: 0).
 * @reserved32:	 must be 0.
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
	__u32 state;
	__u32 reserved32;
	__u64 reserved[3];
};

/* struct pmsw_info.state: the persistent reference is held. */
#define PMSW_STATE_VMX_PERSISTENT	(1U << 0)

/*
 * PMSW_IOC_INFO: report the ABI version, the VMX capabilities and the VMX
 * state of every CPU. Needs no VMX.
 * Errors: EFAULT (@arg or @cpus not accessible), EINVAL (@size, @flags or
 * @reserved wrong).
 */
#define PMSW_IOC_INFO		_IOWR(PMSW_IOC_TYPE, 0x00, struct pmsw_info)

/*
 * The argument of PMSW_IOC_VMXON/VMXOFF: 0 for this file's reference, or
 * PMSW_VMX_PERSISTENT for the module's own reference, which outlives the
 * file (until PMSW_IOC_VMXOFF with the same flag, or module unload).
 */
#define PMSW_VMX_PERSISTENT	(1UL << 0)

/*
 * PMSW_IOC_VMXON: take this file's reference on VMX operation (or the
 * persistent one). The first reference in the system puts every online
 * CPU into VMX operation; CPUs that come online later follow. Taking a
 * reference twice is a no-op.
 * Errors: EINVAL (unknown argument bits), ENODEV (a CPU lacks VMX), EOPNOTSUPP
 * (IA32_FEATURE_CONTROL forbids VMXON outside SMX, or the VMX capability
 * MSRs are unusable), EBUSY (CR4.VMXE already set: another hypervisor
 * such as kvm_intel holds VMX), EIO (VMXON failed), ENOMEM, ESHUTDOWN
 * (the system is rebooting). On error no CPU is left in VMX operation by
 * this call.
 */
#define PMSW_IOC_VMXON		_IO(PMSW_IOC_TYPE, 0x01)

/*
 * PMSW_IOC_VMXOFF: drop this file's reference (or the persistent one);
 * the last one (or the last close of a file holding one) takes every CPU
 * out of VMX operation. Dropping a reference not held is a no-op.
 * Errors: EINVAL (unknown argument bits).
 */
#define PMSW_IOC_VMXOFF		_IO(PMSW_IOC_TYPE, 0x02)

/*
 * ---------------------------------------------------------------------
 * Contexts: complete protected-mode environments (ABI version 2).
 * ---------------------------------------------------------------------
 */

/* Segment registers, in the VMCS's order (SDM 25.4.1). */
#define PMSW_SEG_ES		0
#define PMSW_SEG_CS		1
#define PMSW_SEG_SS		2
#define PMSW_SEG_DS		3
#define PMSW_SEG_FS		4
#define PMSW_SEG_GS		5
#define PMSW_SEG_LDTR		6
#define PMSW_SEG_TR		7
#define PMSW_NR_SEGS		8

/*
 * Access rights in the VMCS format (SDM 25.4.1, Table 25-2): type in
 * bits 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, and bit 16
 * "segment unusable" (a null selector loaded in protected mode).
 */
#define PMSW_AR_TYPE(ar)	((ar) & 0xf)
#define PMSW_AR_S		(1U << 4)
#define PMSW_AR_DPL(ar)		(((ar) >> 5) & 3)
#define PMSW_AR_P		(1U << 7)
#define PMSW_AR_AVL		(1U << 12)
#define PMSW_AR_L		(1U << 13)
#define PMSW_AR_DB		(1U << 14)
#define PMSW_AR_G		(1U << 15)
#define PMSW_AR_UNUSABLE	(1U << 16)

/**
 * struct pmsw_segment - one segment register, hidden part included.
 * @base:	base address.
 * @limit:	limit in bytes (already scaled when G is set).
 * @selector:	selector (bits 15:0).
 * @ar:		access rights, PMSW_AR_*.
 */
struct pmsw_segment {
	__u64 base;
	__u32 limit;
	__u32 selector;
	__u32 ar;
	__u32 reserved;
};

/** struct pmsw_dtable - GDTR or IDTR. */
struct pmsw_dtable {
	__u64 base;
	__u32 limit;
	__u32 reserved;
};

/* General registers, indexed in the x86 encoding order; RSP is @rsp. */
#define PMSW_RAX	0
#define PMSW_RCX	1
#define PMSW_RDX	2
#define PMSW_RBX	3
#define PMSW_RBP	5
#define PMSW_RSI	6
#define PMSW_RDI	7
#define PMSW_R8		8
#define PMSW_R15	15
#define PMSW_NR_GPRS	16

/* Guest activity state (SDM 25.4.2); pmswitch enters active only. */
#define PMSW_ACTIVITY_ACTIVE	0

/*
 * struct pmsw_context.flags: let the CPU judge the context. The software
 * copy of the SDM's VM-entry checks (rules 100-699) is skipped; the CPU
 * decides at VM entry and the run reports its verdict (VMfail with the
 * VM-instruction error, or exit reason 33/34 with its qualification).
 * Rules that protect the host (1-99, 700-799) still apply. Refused with
 * EPERM unless the module parameter allow_cpu_checks is set and the
 * caller has CAP_SYS_ADMIN.
 */
#define PMSW_CONTEXT_F_CPU_CHECKS	(1U << 0)

/*
 * struct pmsw_context.flags: EPT-violation #VE (SDM 26.5.7). An EPT
 * violation in the context's memory is delivered to its own IDT as
 * vector 20 (#VE) instead of stopping the run, with the details in its
 * #VE information page (PMSW_RESERVED_VE_INFO, struct pmsw_ve_info). The
 * CPU delivers a #VE only while the page's busy word is 0 and sets it to
 * 0xffffffff; the handler clears it to receive the next one. A violation
 * while it is set, or one inside the reserved range, is an ordinary
 * EPT-violation exit. Needs the secondary processor-based control 18
 * "EPT-violation #VE" (IA32_VMX_PROCBASED_CTLS2 bit 50): refused with
 * EOPNOTSUPP and rule 810 on a CPU without it.
 */
#define PMSW_CONTEXT_F_VE		(1U << 1)

/*
 * struct pmsw_context.flags: member of the session's exit-less group
 * (Documentation/exitless.rst). The members of a session (the contexts
 * with this flag) switch between each other without a VM exit by calling
 * the switch routine with the target's context id in RDI/EDI, at CPL 0
 * with the range mapped identity in the caller's page tables: a 64-bit
 * member at PMSW_XL_ENTRY64, a 32-bit paging member at PMSW_XL_ENTRY32.
 * The routine returns to the caller when another member switches back to
 * it. A member's index in the EPTP list is its context id. Its state page
 * (PMSW_RESERVED_STATE, struct pmsw_exitless_state) holds its resume
 * point. Its IA32_SYSENTER_CS/ESP/EIP belong to the routine: submit 0
 * (the module sets PMSW_XL_SYSENTER_*) or those values. Rules 811-821
 * (Documentation/checks.rst): the context needs a view, 64-bit mode or
 * 32-bit paging, CR4.PGE = CR4.PCIDE = 0, no PMSW_CONTEXT_F_VE (not
 * yet), the routine's SYSENTER MSRs; the CPU needs VM functions with
 * EPTP switching (EOPNOTSUPP); the group needs equal CR0, CR4, EFER,
 * exception bitmaps and CR masks, private executable memory and private
 * page-table roots, and at most as many members as the CPU offers
 * CR3-target values, less one; the member's id must be below 512, the
 * EPTP list's size (EINVAL, rule 821).
 */
#define PMSW_CONTEXT_F_EXITLESS		(1U << 2)

/*
 * The monitor-reserved range (Documentation/exitless.rst): guest-physical
 * [PMSW_RESERVED_BASE, PMSW_RESERVED_BASE + PMSW_RESERVED_SIZE), the
 * 4 MiB below 4 GiB, never session memory (PMSW_MAX_MEMORY is far below
 * it). Found through CPUID leaf PMSW_CPUID_RESERVED. Its pages, at these
 * offsets from the base:
 * - PMSW_RESERVED_INFO: struct pmsw_reserved_info, read-only, in every
 *   context's EPT;
 * - PMSW_RESERVED_ROUTINE: the exit-less switch routine, read and
 *   execute, in the EPT of every PMSW_CONTEXT_F_EXITLESS context;
 * - PMSW_RESERVED_STATE: such a context's own state page (struct
 *   pmsw_exitless_state), read/write, in its own EPT only;
 * - PMSW_RESERVED_TRANSIT..+3: the transit paging structures (a 4-level
 *   table that maps only the range, identity), read-only, in every
 *   member's EPT; PMSW_RESERVED_TRANSIT is their root (a CR3 value);
 *   PMSW_RESERVED_TRANSIT32..+1 the same in 32-bit paging format;
 * - PMSW_RESERVED_VE_INFO: the context's own #VE information page
 *   (struct pmsw_ve_info), read/write, mapped only for a context with
 *   PMSW_CONTEXT_F_VE.
 * Every other page of the range is not mapped. Any EPT violation inside
 * the range (a write to the info page, a touch of an unmapped page) is a
 * VM exit, never a #VE.
 */
#define PMSW_RESERVED_BASE	0xffc00000ULL
#define PMSW_RESERVED_SIZE	0x400000ULL
#define PMSW_RESERVED_INFO	0x0000
#define PMSW_RESERVED_ROUTINE	0x1000
#define PMSW_RESERVED_STATE	0x2000
#define PMSW_RESERVED_VE_INFO	0x3000
#define PMSW_RESERVED_TRANSIT	0x4000
#define PMSW_RESERVED_TRANSIT32	0x8000

/*
 * The routine page's fixed parts (kmod/exitless_routine.S): the entries
 * a member calls, and the post-VMFUNC paths that are every member's
 * IA32_SYSENTER_EIP (with CS PMSW_XL_SYSENTER_CS and ESP the top of the
 * state page), by the group's mode.
 */
#define PMSW_XL_ENTRY64		(PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE)
#define PMSW_XL_POST64		(PMSW_XL_ENTRY64 + 0x400)
#define PMSW_XL_ENTRY32		(PMSW_XL_ENTRY64 + 0x800)
#define PMSW_XL_POST32		(PMSW_XL_ENTRY64 + 0xc00)
#define PMSW_XL_SYSENTER_CS	0x8
#define PMSW_XL_SYSENTER_ESP	(PMSW_RESERVED_BASE + PMSW_RESERVED_STATE + 0x1000)

/**
 * struct pmsw_exitless_state - a member's state page, as the switch
 * routine reads and writes it (Documentation/exitless.rst). The module
 * fills it from the context at CONTEXT_CREATE and CONTEXT_SET (the entry
 * point); the routine overwrites it when the member switches out.
 * @rip, @cs, @rflags, @rsp, @ss: the IRETQ frame that resumes the member.
 * @cr3:	its CR3.
 * @gdtr_pad, @gdtr_limit, @gdtr_base: GDTR as SGDT stores it (at +6).
 * @idtr_pad, @idtr_limit, @idtr_base: IDTR likewise.
 * @ds, @es:	data segment selectors.
 * @entries:	exit-less switches into the member (routine).
 * @exits:	exit-less switches out of it (routine).
 * @id:		the member's context id (module).
 */
struct pmsw_exitless_state {
	__u64 rip;
	__u64 cs;
	__u64 rflags;
	__u64 rsp;
	__u64 ss;
	__u64 cr3;
	__u16 gdtr_pad[3];
	__u16 gdtr_limit;
	__u64 gdtr_base;
	__u16 idtr_pad[3];
	__u16 idtr_limit;
	__u64 idtr_base;
	__u64 ds;
	__u64 es;
	__u64 entries;
	__u64 exits;
	__u64 id;
};

/**
 * struct pmsw_xl_state_op - PMSW_IOC_XL_STATE: an exit-less member's
 * state page as the routine and the module last left it (its resume
 * point and the routine's counters). Like CONTEXT_GET, refused with
 * EBUSY while a run is in progress.
 * @size:	sizeof(struct pmsw_xl_state_op).
 * @flags:	0.
 * @id:		in: the member's context id (ENOENT: no such context;
 *		EINVAL: not a PMSW_CONTEXT_F_EXITLESS member).
 * @reserved:	0.
 * @state:	out.
 */
struct pmsw_xl_state_op {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 reserved;
	struct pmsw_exitless_state state;
};
/* struct pmsw_reserved_info.magic: "PMSR" read as a little-endian word. */
#define PMSW_RESERVED_MAGIC	0x52534d50U
#define PMSW_RESERVED_VERSION	2

/* Features of the range: pmsw_reserved_info.features, CPUID 0x40000001 ECX. */
#define PMSW_RF_VIEWS		(1U << 0)	/* memory views */
#define PMSW_RF_VE		(1U << 1)	/* PMSW_CONTEXT_F_VE on this CPU */
#define PMSW_RF_EXITLESS	(1U << 2)	/* PMSW_CONTEXT_F_EXITLESS here */

/**
 * struct pmsw_reserved_info - the range's info page, read-only to guests.
 * @magic:	PMSW_RESERVED_MAGIC.
 * @version:	PMSW_RESERVED_VERSION: this layout.
 * @features:	PMSW_RF_* bits.
 * @size:	PMSW_RESERVED_SIZE.
 * @info, @routine, @state, @ve_info: the pages' offsets from the base.
 * @routine32:	offset of the 32-bit entry (version 2).
 * @transit, @transit32: offsets of the transit roots (version 2).
 */
struct pmsw_reserved_info {
	__u32 magic;
	__u32 version;
	__u32 features;
	__u32 size;
	__u32 info;
	__u32 routine;
	__u32 state;
	__u32 ve_info;
	__u32 routine32;
	__u32 transit;
	__u32 transit32;
	__u32 reserved;
};

/*
 * CPUID leaf PMSW_CPUID_RESERVED, answered by the monitor: EAX the
 * range's base, EBX its size, ECX the PMSW_RF_* bits, EDX 0. Leaf
 * 0x40000000 reports it as the highest pmswitch leaf (EAX).
 */
#define PMSW_CPUID_RESERVED	0x40000001U

/**
 * struct pmsw_ve_info - the #VE information area (SDM 26.5.7.2), as the
 * CPU writes it at the start of the context's #VE information page.
 * @exit_reason:	48 (EPT violation).
 * @busy:		0xffffffff after a delivery; the guest writes 0 to
 *			receive the next #VE.
 * @qualification:	as an EPT-violation exit's (SDM 28.2.1).
 * @guest_linear:	the linear address, when @qualification bit 7 says so.
 * @guest_physical:	the guest-physical address.
 * @eptp_index:		the EPTP index VMCS field (0: pmswitch has no EPTP
 *			list yet).
 */
struct pmsw_ve_info {
	__u32 exit_reason;
	__u32 busy;
	__u64 qualification;
	__u64 guest_linear;
	__u64 guest_physical;
	__u16 eptp_index;
};

/*
 * Permissions of a memory-view range (struct pmsw_view_range.perm): the
 * values of the read, write and execute bits of an EPT entry (SDM 29.3.2,
 * Table 29-6). Write needs read: an EPT entry with write and without
 * read is a misconfiguration (SDM 29.3.3.1). Execute without read
 * (execute-only) needs IA32_VMX_EPT_VPID_CAP bit 0 (SDM A.10), else it is
 * refused with EOPNOTSUPP. A context's paging structures (and its GDT,
 * IDT and TSS when it uses them) must lie in ranges with read and write:
 * the processor sets their accessed and dirty bits, which is a write to
 * guest memory (SDM 29.3.3.2).
 */
#define PMSW_VIEW_R		(1U << 0)
#define PMSW_VIEW_W		(1U << 1)
#define PMSW_VIEW_X		(1U << 2)
#define PMSW_VIEW_RWX		(PMSW_VIEW_R | PMSW_VIEW_W | PMSW_VIEW_X)

/* Ranges one context's view may have. */
#define PMSW_MAX_VIEW_RANGES	8

/**
 * struct pmsw_view_range - a part of session memory a context sees.
 * @gpa:	guest-physical start, a multiple of 4096.
 * @bytes:	length, a multiple of 4096, > 0; [@gpa, @gpa + @bytes) lies
 *		in the session's memory and overlaps no other range of the
 *		same view.
 * @perm:	PMSW_VIEW_* bits, not 0.
 * @reserved:	must be 0.
 */
struct pmsw_view_range {
	__u64 gpa;
	__u64 bytes;
	__u32 perm;
	__u32 reserved;
};

/**
 * struct pmsw_context - a protected-mode environment.
 * @size:		sizeof(struct pmsw_context).
 * @flags:		PMSW_CONTEXT_F_* or 0.
 * @gpr:		general registers, PMSW_RAX..PMSW_R15; gpr[4] (RSP)
 *			is ignored, RSP is @rsp.
 * @rip, @rsp, @rflags:	instruction pointer, stack, flags.
 * @cr0, @cr3, @cr4:	control registers as the environment sees them.
 *			Bits the CPU requires in VMX non-root operation
 *			(CR0.NE, CR4.VMXE, and CR0.PE/PG without
 *			unrestricted guest) are set in the real register
 *			and hidden by the read shadow.
 * @efer, @pat:		IA32_EFER and IA32_PAT.
 * @dr7:		DR7 (breakpoints are per context).
 * @sysenter_cs, @sysenter_esp, @sysenter_eip: IA32_SYSENTER_* MSRs.
 * @seg:		segment registers, PMSW_SEG_*.
 * @gdtr, @idtr:	descriptor-table registers.
 * @pdpte:		out only: the PAE page-directory-pointer entries.
 *			On entry they are read from guest memory at CR3,
 *			as MOV CR3 would (SDM 4.4.1).
 * @exception_bitmap:	exceptions that exit to the monitor instead of
 *			being delivered through the environment's IDT (bit n
 *			for vector n, SDM 26.2); the run stops and reports
 *			vector and error code.
 *			#DB (1), #AC (17) and #MC (18) always exit: #DB
 *			and #AC are then delivered through the environment's
 *			IDT unless their bit is set here; #MC goes to the
 *			host's machine-check handler (ABI version 3).
 * @interruptibility:	guest interruptibility state (SDM 25.4.2).
 * @cr0_mask, @cr4_mask: guest/host masks: a MOV to CR0/CR4 that would
 *			change a masked bit exits to the monitor and stops
 *			the run (SDM 26.3). The bits the CPU requires and
 *			the CR4 bits whose state pmswitch does not switch
 *			(PKE, CET, PKS, ...) are always masked in addition.
 * @cr2:		CR2, the last page-fault address: the environment's
 *			own, kept across exits (ABI version 3).
 * @star, @lstar, @cstar, @sfmask: the SYSCALL MSRs (IA32_STAR,
 *			IA32_LSTAR, IA32_CSTAR, IA32_FMASK): a SYSCALL in
 *			the environment uses these, never the host's.
 * @kernel_gs_base:	IA32_KERNEL_GS_BASE, what SWAPGS exchanges with the
 *			GS base in 64-bit mode.
 * @nr_view_ranges:	the context's memory view: how many entries of @view
 *			are used, 0..PMSW_MAX_VIEW_RANGES. 0: the context
 *			sees all of the session's memory, readable, writable
 *			and executable, through the session's EPT (the
 *			behaviour before ABI version 4). Otherwise it sees
 *			only the ranges in @view, through an EPT of its own:
 *			any other access stops the run with an EPT violation
 *			(PMSW_EXIT_EPT_VIOLATION: the guest-physical address
 *			and, in the qualification, the access) (ABI
 *			version 4; Documentation/switching.rst, "Memory
 *			views").
 * @reserved_view:	must be 0.
 * @view:		the ranges, struct pmsw_view_range; entries from
 *			@nr_view_ranges on must be all 0.
 * @reserved:		must be 0.
 *
 * Every context also has its own x87/SSE/AVX register state, in the
 * initial state (all zero, MXCSR 0x1f80) when it is created; it is not
 * part of this structure.
 */
struct pmsw_context {
	__u32 size;
	__u32 flags;
	__u64 gpr[PMSW_NR_GPRS];
	__u64 rip;
	__u64 rsp;
	__u64 rflags;
	__u64 cr0;
	__u64 cr3;
	__u64 cr4;
	__u64 efer;
	__u64 pat;
	__u64 dr7;
	__u64 sysenter_cs;
	__u64 sysenter_esp;
	__u64 sysenter_eip;
	struct pmsw_segment seg[PMSW_NR_SEGS];
	struct pmsw_dtable gdtr;
	struct pmsw_dtable idtr;
	__u64 pdpte[4];
	__u32 exception_bitmap;
	__u32 interruptibility;
	__u64 cr0_mask;
	__u64 cr4_mask;
	__u64 cr2;
	__u64 star;
	__u64 lstar;
	__u64 cstar;
	__u64 sfmask;
	__u64 kernel_gs_base;
	__u32 nr_view_ranges;
	__u32 reserved_view;
	struct pmsw_view_range view[PMSW_MAX_VIEW_RANGES];
	__u64 reserved[2];
};

/**
 * struct pmsw_violation - one broken VM-entry rule.
 * @rule:	PMSW rule number (stable; see Documentation/checks.rst).
 * @field:	VMCS field encoding of the offending field (SDM Appendix B),
 *		or 0 when the rule is about the context as a whole.
 * @value:	the offending value.
 * @section:	SDM section of the rule, NUL-terminated, e.g. "27.3.1.1".
 * @text:	the rule in words, NUL-terminated.
 */
struct pmsw_violation {
	__u32 rule;
	__u32 field;
	__u64 value;
	char section[16];
	char text[112];
};

/*
 * ---------------------------------------------------------------------
 * Sessions: guest memory, contexts, runs.
 * ---------------------------------------------------------------------
 *
 * Each open file of /dev/pmswitch is a session. It owns one block of
 * guest-physical memory starting at guest-physical address 0 (set once
 * with PMSW_IOC_SET_MEMORY; mmap() the file at offset 0 to fill and read
 * it, or use PMSW_IOC_MEMORY_RW) and up to PMSW_MAX_CONTEXTS contexts.
 * Every context has its own VMCS; all share the memory (one EPT), unless
 * a context names a view (struct pmsw_context.view): then it sees only
 * those parts, through an EPT of its own.
 */
#define PMSW_MAX_MEMORY		(256ULL << 20)
#define PMSW_MAX_CONTEXTS	4096

/**
 * struct pmsw_memory - argument of PMSW_IOC_SET_MEMORY.
 * @size:	sizeof(struct pmsw_memory).
 * @flags:	0.
 * @bytes:	memory size: a multiple of 4096, 4096..PMSW_MAX_MEMORY.
 */
struct pmsw_memory {
	__u32 size;
	__u32 flags;
	__u64 bytes;
	__u64 reserved[2];
};

/* struct pmsw_memory_rw.flags */
#define PMSW_MEM_WRITE		(1U << 0)	/* user -> guest; else guest -> user */

/**
 * struct pmsw_memory_rw - argument of PMSW_IOC_MEMORY_RW.
 * @size:	sizeof(struct pmsw_memory_rw).
 * @flags:	PMSW_MEM_WRITE or 0.
 * @gpa:	guest-physical address.
 * @len:	bytes; [@gpa, @gpa + @len) must lie in the memory.
 * @buf:	user pointer.
 */
struct pmsw_memory_rw {
	__u32 size;
	__u32 flags;
	__u64 gpa;
	__u64 len;
	__u64 buf;
	__u64 reserved[2];
};

/**
 * struct pmsw_context_op - argument of the PMSW_IOC_CONTEXT_* commands.
 * @size:	 sizeof(struct pmsw_context_op).
 * @flags:	 0.
 * @id:		 CREATE: out; SET, GET, DESTROY: in.
 * @nr_violations: out: rules the context breaks (EINVAL); the first is
 *		 in @violation.
 * @context:	 user pointer to struct pmsw_context: read by CREATE and
 *		 SET, written by GET.
 * @violation:	 out: the first broken rule.
 */
struct pmsw_context_op {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 nr_violations;
	__u64 context;
	struct pmsw_violation violation;
	__u64 reserved[2];
};

/*
 * Hypercalls: VMCALL from a context with the function in RAX (and EAX
 * outside 64-bit mode: the operand width is that of the CPU mode at the
 * VMCALL). The result comes back in RAX (0 or -errno) when the caller is
 * resumed. Only CPL 0 of a context may call: from CPL 1-3 every function
 * returns -EPERM and changes nothing.
 */
/* Switch to the context whose id is in RBX: one VM entry loads it all. */
#define PMSW_HC_SWITCH		1
/* Stop the run; RBX is returned as struct pmsw_run.stop_code. */
#define PMSW_HC_STOP		2
/*
 * The exit-less routine's refusal: its post-VMFUNC path was entered by a
 * SYSENTER that did not come through its VMFUNC (exitless.rst). Stops
 * the run (PMSW_STOP_EXIT, exit reason VMCALL) with the reason in words.
 */
#define PMSW_HC_XL_REFUSED	3

/* Transition types: which instruction entered the context (VMLAUNCH/VMRESUME). */
#define PMSW_ENTRY_LAUNCH	1	/* VMLAUNCH: the VMCS was clear */
#define PMSW_ENTRY_RESUME	2	/* VMRESUME: launched, current here */

/* Basic exit reasons the module reports (SDM Appendix C). */
#define PMSW_EXIT_EXCEPTION_NMI		0
#define PMSW_EXIT_EXTERNAL_INTERRUPT	1
#define PMSW_EXIT_TRIPLE_FAULT		2
#define PMSW_EXIT_CPUID			10
#define PMSW_EXIT_HLT			12
#define PMSW_EXIT_VMCALL		18
#define PMSW_EXIT_CR_ACCESS		28
#define PMSW_EXIT_DR_ACCESS		29
#define PMSW_EXIT_IO			30
#define PMSW_EXIT_RDMSR			31
#define PMSW_EXIT_WRMSR			32
#define PMSW_EXIT_INVALID_GUEST_STATE	33
#define PMSW_EXIT_MSR_LOADING		34
#define PMSW_EXIT_MCE_DURING_ENTRY	41
#define PMSW_EXIT_EPT_VIOLATION		48
#define PMSW_EXIT_EPT_MISCONFIG		49
#define PMSW_EXIT_PREEMPTION_TIMER	52
#define PMSW_EXIT_VMFUNC		59
#define PMSW_NR_EXIT_REASONS		80

/**
 * struct pmsw_transition - one VM entry and the exit that ended it.
 * @from:	context that ran before (the origin), or ~0 for the first.
 * @to:		context entered.
 * @type:	PMSW_ENTRY_LAUNCH or PMSW_ENTRY_RESUME.
 * @exit_reason: basic exit reason (bits 15:0 of the exit-reason field);
 *		bit 31 set if the entry itself failed (SDM 28.1).
 * @exit_qualification: exit qualification of that exit.
 * @vmwrites:	VMWRITEs issued to prepare this entry.
 * @vmwrites_context: of those, writes of the context's own fields
 *		(the rest is host state and controls).
 * @vmwrites_elided: VMWRITEs the field cache skipped (same value).
 * @ticks:	TSC ticks from the previous exit (or the run's start) to
 *		this entry: the monitor's path. Under Bochs one tick is one
 *		executed instruction.
 */
struct pmsw_transition {
	__u32 from;
	__u32 to;
	__u32 type;
	__u32 exit_reason;
	__u64 exit_qualification;
	__u32 vmwrites;
	__u32 vmwrites_context;
	__u32 vmwrites_elided;
	__u32 reserved;
	__u64 ticks;
};

/* Why a run stopped (struct pmsw_run.stop_reason). */
#define PMSW_STOP_HYPERCALL	1	/* PMSW_HC_STOP; code in stop_code */
#define PMSW_STOP_HLT		2	/* the context executed HLT */
/* An exit the monitor does not resume from: see @exit. */
#define PMSW_STOP_EXIT		3
#define PMSW_STOP_ENTRY_FAILED	4	/* VMfail or exit reason 33/34 */
#define PMSW_STOP_LIMIT		5	/* max_transitions reached */
#define PMSW_STOP_SIGNAL	6	/* a signal is pending (EINTR) */

/**
 * struct pmsw_exit - details of the exit that stopped a run.
 * @reason:	full exit-reason field.
 * @qualification: exit qualification.
 * @guest_physical: guest-physical address (EPT violations).
 * @guest_linear: guest-linear address, when valid.
 * @intr_info:	VM-exit interruption information (exceptions).
 * @intr_error_code: the exception's error code.
 * @idt_vectoring_info: IDT-vectoring information.
 * @instruction_len: VM-exit instruction length.
 * @vm_instruction_error: VM-instruction error (SDM 31.4) after VMfail.
 */
struct pmsw_exit {
	__u32 reason;
	__u32 intr_info;
	__u64 qualification;
	__u64 guest_physical;
	__u64 guest_linear;
	__u32 intr_error_code;
	__u32 idt_vectoring_info;
	__u32 instruction_len;
	__u32 vm_instruction_error;
};

/**
 * struct pmsw_run - argument of PMSW_IOC_RUN.
 * @size:	 sizeof(struct pmsw_run).
 * @flags:	 0.
 * @context:	 in: the context to enter first (to continue a stopped
 *		 run, pass @stop_context).
 * @max_transitions: in: stop after this many entries; 0: no limit.
 * @transitions: in: user pointer to struct pmsw_transition[@nr_transitions].
 * @nr_transitions: in: room at @transitions; out: records written.
 * @total_transitions: out: entries made, recorded or not.
 * @stop_reason: out: PMSW_STOP_*.
 * @stop_context: out: the context that was running when the run stopped.
 * @stop_code:	 out: RBX of PMSW_HC_STOP.
 * @exit:	 out: the exit that stopped the run.
 * @reason:	 out: why, in words, NUL-terminated.
 */
struct pmsw_run {
	__u32 size;
	__u32 flags;
	__u32 context;
	__u32 max_transitions;
	__u64 transitions;
	__u32 nr_transitions;
	__u32 total_transitions;
	__u32 stop_reason;
	__u32 stop_context;
	__u64 stop_code;
	struct pmsw_exit exit;
	char reason[128];
	__u64 reserved[2];
};

/*
 * ---------------------------------------------------------------------
 * The native switch (Documentation/native.rst): the running kernel hands
 * the calling CPU to a 64-bit target environment through the host-state
 * area of a VMCS, the target runs outside VMX operation, and a return
 * routine gives the CPU back to the kernel the same way.
 * ---------------------------------------------------------------------
 *
 * The target's linear address space, built by the module: session
 * memory at linear = guest-physical [0, size), and these module pages in
 * the reserved range (PMSW_RESERVED_BASE + offset): the native code page
 * (the trampoline the forward switch lands on, the return routine at
 * PMSW_NATIVE_RETURN, default exception handlers), the native state page
 * (what the routines save and read), a default IDT whose handlers return
 * to Linux with the vector as stop reason, a default GDT (selectors
 * PMSW_NATIVE_SEL_*) and 64-bit TSS, and stacks. A target may use its own
 * GDT, IDT and TSS in session memory instead.
 */
#define PMSW_NATIVE_CODE	0x1000	/* offsets from PMSW_RESERVED_BASE */
#define PMSW_NATIVE_STATE	0x2000
#define PMSW_NATIVE_IDT		0x3000	/* 256 gates, limit 0xfff */
#define PMSW_NATIVE_GDT		0x4000	/* null, code64, data, TSS: limit 0x27 */
#define PMSW_NATIVE_TSS		0x4800	/* 64-bit TSS, limit 0x67 */
#define PMSW_NATIVE_STACK	0x6000	/* top of the module's stack page */
/* The return routine: the target calls it (CPL 0, 64-bit mode). */
#define PMSW_NATIVE_RETURN	(PMSW_RESERVED_BASE + PMSW_NATIVE_CODE + 0x800)
#define PMSW_NATIVE_SEL_CODE	0x08
#define PMSW_NATIVE_SEL_DATA	0x10
#define PMSW_NATIVE_SEL_TSS	0x18

/* struct pmsw_native.stop_reason */
#define PMSW_NATIVE_RETURNED	1	/* the target called the return routine */
#define PMSW_NATIVE_EXCEPTION	2	/* a default handler: see vector */
#define PMSW_NATIVE_LIMIT	3	/* the run-time limit's NMI */
#define PMSW_NATIVE_NMI		4	/* an NMI not from the limit */

/**
 * struct pmsw_native - argument of PMSW_IOC_NATIVE.
 * @size:	sizeof(struct pmsw_native).
 * @flags:	0.
 * @context:	in: pointer to the target, a struct pmsw_context checked by
 *		the native rules (900-915, checks.rst): 64-bit, CR3 0 (the
 *		module provides the page tables), interrupts off, valid host
 *		state (SDM 27.2.2, 27.2.3). Its RIP, RSP, RFLAGS and general
 *		registers are where and how the target starts.
 * @limit_us:	in: run-time limit in microseconds; 0: the module's
 *		default; at most the module parameter native_max_us.
 * @cpu:	out: the CPU the target ran on.
 * @stop_reason: out: PMSW_NATIVE_*.
 * @vector:	out: exception vector (PMSW_NATIVE_EXCEPTION, _NMI, _LIMIT).
 * @error_code:	out: the exception's error code, if it has one.
 * @forward_exit: out: basic exit reason of the VM exit that loaded the
 *		target (18: its VMCALL; 0: an NMI came first).
 * @reserved:	0.
 * @gpr:	out: the target's general registers when it stopped (x86
 *		order; RSP in @rsp).
 * @rip, @rsp, @rflags, @cr0, @cr3, @cr4, @cr2: out: the same. For a
 *		return, RIP and RSP are as after the call's return.
 * @forward_ticks: out: TSC ticks from just before VMLAUNCH to the
 *		target's first instruction (under Bochs: instructions).
 * @return_ticks: out: from the return routine's first instruction to
 *		the kernel's.
 * @target_ticks: out: from the target's first instruction to the
 *		return routine's.
 * @reason:	out: what happened, in words.
 */
struct pmsw_native {
	__u32 size;
	__u32 flags;
	__u64 context;
	__u32 limit_us;
	__u32 cpu;
	__u32 stop_reason;
	__u32 vector;
	__u64 error_code;
	__u32 forward_exit;
	__u32 reserved;
	__u64 gpr[16];
	__u64 rip;
	__u64 rsp;
	__u64 rflags;
	__u64 cr0;
	__u64 cr3;
	__u64 cr4;
	__u64 cr2;
	__u64 forward_ticks;
	__u64 return_ticks;
	__u64 target_ticks;
	char reason[128];
};

/**
 * struct pmsw_stats - argument of PMSW_IOC_STATS.
 * @size:	 sizeof(struct pmsw_stats).
 * @flags:	 PMSW_STATS_GLOBAL for the module-wide counters, else this
 *		 session's.
 */
#define PMSW_STATS_GLOBAL	(1U << 0)
struct pmsw_stats {
	__u32 size;
	__u32 flags;
	__u64 vmwrites;
	__u64 vmwrites_elided;
	__u64 vmreads;
	__u64 launches;
	__u64 resumes;
	__u64 vmclears;
	__u64 vmptrlds;
	__u64 exits[PMSW_NR_EXIT_REASONS];
	__u64 reserved[4];
};

#define PMSW_IOC_SET_MEMORY	_IOW(PMSW_IOC_TYPE, 0x10, struct pmsw_memory)
#define PMSW_IOC_MEMORY_RW	_IOW(PMSW_IOC_TYPE, 0x11, struct pmsw_memory_rw)
#define PMSW_IOC_CONTEXT_CREATE	_IOWR(PMSW_IOC_TYPE, 0x20, struct pmsw_context_op)
#define PMSW_IOC_CONTEXT_SET	_IOWR(PMSW_IOC_TYPE, 0x21, struct pmsw_context_op)
#define PMSW_IOC_CONTEXT_GET	_IOWR(PMSW_IOC_TYPE, 0x22, struct pmsw_context_op)
#define PMSW_IOC_CONTEXT_DESTROY _IOWR(PMSW_IOC_TYPE, 0x23, struct pmsw_context_op)
#define PMSW_IOC_XL_STATE	_IOWR(PMSW_IOC_TYPE, 0x24, struct pmsw_xl_state_op)
#define PMSW_IOC_RUN		_IOWR(PMSW_IOC_TYPE, 0x30, struct pmsw_run)
#define PMSW_IOC_STATS		_IOWR(PMSW_IOC_TYPE, 0x31, struct pmsw_stats)
#define PMSW_IOC_NATIVE		_IOWR(PMSW_IOC_TYPE, 0x40, struct pmsw_native)

#endif /* _UAPI_LINUX_PMSWITCH_H */
