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

#endif /* PMSW_VMX_OPS_H */
