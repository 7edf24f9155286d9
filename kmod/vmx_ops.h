/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX instructions pmswitch executes outside of VM entry and exit, as
 * small inline wrappers. This header and vmenter.S are the only places
 * that contain VMX instructions.
 *
 * Outcome of a VMX instruction (SDM Vol. 3C, 31.2 "Conventions"):
 * VMsucceed clears CF and ZF, VMfailInvalid sets CF, VMfailValid sets ZF
 * (the VM-instruction error field then says why). "jbe" catches both
 * failures. A fault (#UD with CR4.VMXE clear, #GP from
 * IA32_FEATURE_CONTROL or CPL) is caught through the exception table
 * rather than oopsing, so that a bad state is reported, not fatal.
 */
#ifndef PMSW_VMX_OPS_H
#define PMSW_VMX_OPS_H

#include <linux/build_bug.h>
#include <linux/instrumentation.h>
#include <linux/types.h>
#include <asm/asm.h>

/* Return values of the wrappers. */
#define PMSW_VMX_OK		0
#define PMSW_VMX_FAIL		1	/* VMfailInvalid or VMfailValid */
#define PMSW_VMX_FAULT		2	/* the instruction faulted */

/* Enter VMX root operation with the VMXON region at @phys (SDM 31.3). */
static __always_inline int pmsw_vmxon(u64 phys)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (phys) : "cc", "memory" : fail, fault);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
fault:
	return PMSW_VMX_FAULT;
}

/* Leave VMX operation (SDM 31.3, VMXOFF). */
static __always_inline int pmsw_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fail, fault);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
fault:
	return PMSW_VMX_FAULT;
}

/* Flush the VMCS at @phys to memory and make it clear (SDM 31.3). */
static __always_inline int pmsw_vmclear(u64 phys)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (phys) : "cc", "memory" : fail, fault);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
fault:
	return PMSW_VMX_FAULT;
}

/* Make the VMCS at @phys current and active on this CPU (SDM 31.3). */
static __always_inline int pmsw_vmptrld(u64 phys)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (phys) : "cc", "memory" : fail, fault);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
fault:
	return PMSW_VMX_FAULT;
}

/*
 * VMWRITE/VMREAD of the current VMCS. A failure means a bug in pmswitch
 * (unsupported field, no current VMCS), never bad user input. It is not
 * swallowed: pmsw_vmx_insn_failed() logs it and marks this CPU, and the
 * run that saw it stops with the field named (a failed VMREAD is never
 * taken for a field that reads 0).
 */
void pmsw_vmx_insn_failed(const char *insn, unsigned long field);

static __always_inline int pmsw_vmwrite(unsigned long field, unsigned long val)
{
	asm goto("1: vmwrite %[val], %[field]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [field] "r" (field), [val] "rm" (val) : "cc" : fail);
	return PMSW_VMX_OK;
fail:
	instrumentation_begin();
	pmsw_vmx_insn_failed("VMWRITE", field);
	instrumentation_end();
	return PMSW_VMX_FAIL;
}

static __always_inline unsigned long pmsw_vmread(unsigned long field)
{
	unsigned long v;
	bool ok;

	/*
	 * VMsucceed is CF = ZF = 0 ("above", SDM 31.2): the flag output
	 * lets the compiler branch on it directly. A fault (#UD after an
	 * emergency VMXOFF) lands on the out-of-line STC, which makes it
	 * a failure too.
	 */
	asm volatile("1: vmread %[field], %[v]\n\t"
		     "2:\n\t"
		     ".pushsection .text.unlikely, \"ax\"\n\t"
		     "3: stc\n\t"
		     "jmp 2b\n\t"
		     ".popsection\n\t"
		     _ASM_EXTABLE(1b, 3b)
		     : [v] "=rm" (v), "=@cca" (ok)
		     : [field] "r" (field));
	if (unlikely(!ok)) {
		instrumentation_begin();
		pmsw_vmx_insn_failed("VMREAD", field);
		instrumentation_end();
		return 0;
	}
	return v;
}

/*
 * Typed reads: the encoding carries the field's width (SDM B, bits
 * 14:13); a constant field read with the wrong accessor fails the build.
 */
#define PMSW_VMCS_CHECK_WIDTH(field, w)					\
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&			\
			 (((field) >> 13) & 3) != (w),			\
			 "VMCS field read with the wrong width")

static __always_inline u16 pmsw_vmread16(unsigned long field)
{
	PMSW_VMCS_CHECK_WIDTH(field, 0);
	return pmsw_vmread(field);
}

static __always_inline u32 pmsw_vmread32(unsigned long field)
{
	PMSW_VMCS_CHECK_WIDTH(field, 2);
	return pmsw_vmread(field);
}

static __always_inline u64 pmsw_vmread64(unsigned long field)
{
	PMSW_VMCS_CHECK_WIDTH(field, 1);
	return pmsw_vmread(field);
}

static __always_inline unsigned long pmsw_vmreadl(unsigned long field)
{
	PMSW_VMCS_CHECK_WIDTH(field, 3);
	return pmsw_vmread(field);
}

/* INVEPT types (SDM 31.3, INVEPT; IA32_VMX_EPT_VPID_CAP bits 25/26). */
#define PMSW_INVEPT_SINGLE	1
#define PMSW_INVEPT_GLOBAL	2

/* Invalidate EPT-derived translations (SDM 31.3, 29.4.3.1). */
static __always_inline int pmsw_invept(unsigned long type, u64 eptp)
{
	struct {
		u64 eptp;
		u64 reserved;
	} desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory"
		 : fail);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
}

/*
 * INVVPID types (SDM 31.3, INVVPID; IA32_VMX_EPT_VPID_CAP bits 41/42,
 * SDM A.10).
 */
#define PMSW_INVVPID_SINGLE	1
#define PMSW_INVVPID_ALL	2

/*
 * Invalidate the linear and combined mappings tagged with @vpid (single
 * context) or with any VPID but 0 (all contexts), SDM 31.3, 29.4.3.3.
 */
static __always_inline int pmsw_invvpid(unsigned long type, u16 vpid)
{
	struct {
		u64 vpid;	/* bits 15:0; the rest must be 0 */
		u64 gla;	/* used only by the individual-address type */
	} desc = { vpid, 0 };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory"
		 : fail);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
}

#endif /* PMSW_VMX_OPS_H */
