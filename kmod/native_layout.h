/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The native switch's pages as the target-side code (vmenter.S, the
 * native code page) and native.c both use them. Offsets into the native
 * state page (PMSW_NATIVE_STATE); a byte count after each group.
 */
#ifndef PMSW_NATIVE_LAYOUT_H
#define PMSW_NATIVE_LAYOUT_H

#define NS_GPR		0x000	/* 16 registers, x86 order (RSP unused) */
#define NS_RIP		0x080	/* in: the target's entry; out: where it stopped */
#define NS_RFLAGS	0x088
#define NS_RSP		0x090	/* out */
#define NS_CR0		0x098	/* out */
#define NS_CR3		0x0a0	/* out */
#define NS_CR4		0x0a8	/* out */
#define NS_CR2		0x0b0	/* out */
#define NS_REASON	0x0b8	/* out: PMSW_NATIVE_RETURNED or _EXCEPTION */
#define NS_VECTOR	0x0c0	/* out */
#define NS_ERROR	0x0c8	/* out */
#define NS_FWD_EXIT	0x0d0	/* out: the forward switch's exit reason */
#define NS_TSC_LAUNCH	0x0d8	/* in: TSC before VMLAUNCH */
#define NS_TSC_TARGET	0x0e0	/* out: TSC at the target's first instruction */
#define NS_TSC_RETURN	0x0e8	/* out: TSC at the return routine's first */
#define NS_VMXON_PHYS	0x0f0	/* in: this CPU's VMXON region */
#define NS_VMCS_PHYS	0x0f8	/* in: the return VMCS */
#define NS_MOD_CR0	0x100	/* in: the return path's CR0, CR4, CR3 */
#define NS_MOD_CR4	0x108
#define NS_MOD_CR3	0x110
#define NS_GDTR		0x118	/* in: the target's GDTR (limit at +6) */
#define NS_IDTR		0x128	/* in: its IDTR */
#define NS_MOD_GDTR	0x138	/* in: the module's GDTR */
#define NS_MOD_IDTR	0x148	/* in: the module's IDTR */
#define NS_FAIL		0x158	/* out: the return path's VMX failure */
#define NS_TARGET_CR4	0x160	/* in: the target's CR4 (without VMXE) */
#define NS_NMIS		0x168	/* out: NMIs the module's IDT took */
#define NS_IN_RETURN	0x170	/* the return path has begun */
#define NS_KRSP		0x178	/* in: the kernel's RSP, the return HOST_RSP */
#define NS_TARGET_CR2	0x180	/* in: the target's CR2 */

/* Offsets into the native code page (PMSW_NATIVE_CODE). */
#define NC_TRAMPOLINE	0x000	/* HOST_RIP of the forward VMCS */
#define NC_RETURN	0x800	/* PMSW_NATIVE_RETURN */
#define NC_STUBS	0x900	/* 32 exception stubs, 16 bytes each */
#define NC_STUB_OTHER	0xb00	/* every vector from 32 on */
#define NC_VMCALL	0xf00	/* guest RIP of the return VMCS */

/* NS_FAIL values. */
#define NF_VMXON	1
#define NF_VMPTRLD	2
#define NF_VMLAUNCH	3

#endif /* PMSW_NATIVE_LAYOUT_H */
