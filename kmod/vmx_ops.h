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
 * (unsupported field, no current VMCS), never bad user input: the field
 * table only names fields the CPU has, so they report and carry on.
 */
static __always_inline int pmsw_vmwrite(unsigned long field, unsigned long val)
{
	asm goto("1: vmwrite %[val], %[field]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [field] "r" (field), [val] "rm" (val) : "cc" : fail);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
}

static __always_inline int pmsw_vmread(unsigned long field, u64 *val)
{
	unsigned long v;
	bool ok;

	/* asm goto with outputs needs a newer compiler than 6.1 demands. */
	asm volatile("1: vmread %[field], %[v]\n\t"
		     "setnbe %[ok]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [v] "=rm" (v), [ok] "=qm" (ok)
		     : [field] "r" (field), "1" (false) : "cc");
	*val = ok ? v : 0;
	return ok ? PMSW_VMX_OK : PMSW_VMX_FAIL;
}

/* INVEPT type 1: invalidate mappings derived from one EPTP (SDM 31.3). */
static __always_inline int pmsw_invept_single(u64 eptp)
{
	struct {
		u64 eptp;
		u64 reserved;
	} desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [desc] "m" (desc), [type] "r" (1UL) : "cc", "memory"
		 : fail);
	return PMSW_VMX_OK;
fail:
	return PMSW_VMX_FAIL;
}

#endif /* PMSW_VMX_OPS_H */
