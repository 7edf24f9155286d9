/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One member of the exit-less example pair (xl_ping.S, xl_pong.S): a
 * 64-bit environment of its own in 32 KiB at XL_BASE, which the including
 * file defines. The image is the whole block, so its page tables, GDT
 * and IDT come with it and `pmswitch run --image` lays out everything:
 *
 *   +0x0000 code                          view: rx
 *   +0x1000 PML4  +0x2000 PDPT            view: rw (the CPU sets the
 *   +0x3000 PD 0-1 GiB  +0x4000 PD 3-4 GiB      A and D bits, SDM 4.8)
 *   +0x5000 GDT  +0x5400 TSS  +0x5800 IDT (empty: any exception ends in
 *           a triple fault, which exits)
 *   +0x6000 data: the copy of the routine's counters (XL_COPY), cells
 *   +0x7000 stack, RSP = +0x8000 at the entry point
 *
 * Both members map 0-4 MiB and the reserved range's first 2 MiB
 * identity; their views keep each to its own block, so neither can reach
 * the other's memory, and no CR3 page is in the other's view (rule 817).
 */
#ifndef XL_MEMBER_H
#define XL_MEMBER_H

#define XL_ROUTINE	0xffc01000	/* PMSW_RESERVED_BASE + ROUTINE */
#define XL_STATE	0xffc02000	/* PMSW_RESERVED_BASE + STATE */
/* struct pmsw_exitless_state: entries, exits, id (uapi pmswitch.h). */
#define XL_ST_ENTRIES	96
#define XL_ST_EXITS	104
#define XL_ST_ID	112

#define HC_STOP		2		/* PMSW_HC_STOP */
#define XL_WRONG_ENV	0xbad		/* arrived with another CR3/GDTR/... */

#define XL_CR3		(XL_BASE + 0x1000)
#define XL_GDT		(XL_BASE + 0x5000)
#define XL_TSS		(XL_BASE + 0x5400)
#define XL_IDT		(XL_BASE + 0x5800)
#define XL_DATA		(XL_BASE + 0x6000)
#define XL_STACK_LOW	(XL_BASE + 0x7000)
#define XL_STACK_TOP	(XL_BASE + 0x8000)

/* The member's copy of entries, exits, id, as the state page has them. */
#define XL_COPY		XL_DATA

/*
 * xl_arrived: called first thing after the entry point and after every
 * return from the routine. The routine leaves no register of ours (the
 * other member's values reach us, exitless.rst), so the checks read the
 * CPU's own state: CR3, GDTR and IDTR must be this member's and RSP on
 * its stack, else the run stops with XL_WRONG_ENV. Then the routine's
 * counters are copied from the state page, which only this member's
 * view maps, to XL_COPY in its memory, for the member's own checks
 * (xl_ping.S); `pmswitch run` reads the page itself with
 * PMSW_IOC_XL_STATE and does not depend on the copy.
 * Clobbers rax, rcx, rsi, rflags.
 */
.macro XL_ARRIVED_FN
xl_arrived:
	mov	%cr3, %rax
	cmp	$XL_CR3, %rax
	jne	1f
	sub	$16, %rsp
	sgdt	6(%rsp)
	cmpq	$XL_GDT, 8(%rsp)
	jne	2f
	sidt	6(%rsp)
	cmpq	$XL_IDT, 8(%rsp)
	jne	2f
	add	$16, %rsp
	cmp	$XL_STACK_LOW, %rsp
	jb	1f
	cmp	$XL_STACK_TOP, %rsp
	jae	1f
	mov	$XL_STATE, %esi
	mov	XL_ST_ENTRIES(%rsi), %rax
	mov	%rax, XL_COPY
	mov	XL_ST_EXITS(%rsi), %rax
	mov	%rax, XL_COPY + 8
	mov	XL_ST_ID(%rsi), %rax
	mov	%rax, XL_COPY + 16
	ret
2:	add	$16, %rsp
1:	mov	$HC_STOP, %eax
	mov	$XL_WRONG_ENV, %ebx
	vmcall
	hlt
.endm

/* Call the routine: switch to the member whose context id is \id. */
.macro XL_SWITCH_TO id
	mov	$\id, %edi
	mov	$XL_ROUTINE, %eax
	call	*%rax
.endm

/*
 * Everything after the code: page tables (identity, 2-MiB pages, SDM
 * 4.5: P | RW | PS = 0x83 in the PDs, P | RW = 3 above them), the GDT
 * with the selectors of the long64 preset (0x08 code32, 0x10 data,
 * 0x18 code64, 0x20 busy 64-bit TSS), an empty IDT, the data page and
 * the stack. The members' IDT limits differ (context files).
 */
.macro XL_TABLES
	.org	0x1000				/* PML4 */
	.quad	XL_BASE + 0x2000 + 3
	.org	0x2000				/* PDPT: 0-1 GiB and 3-4 GiB */
	.quad	XL_BASE + 0x3000 + 3
	.quad	0, 0
	.quad	XL_BASE + 0x4000 + 3
	.org	0x3000				/* PD: 0-4 MiB, identity */
	.quad	0x000000 + 0x83
	.quad	0x200000 + 0x83
	.org	0x4000 + 510 * 8		/* PD: the reserved range */
	.quad	XL_ROUTINE - 0x1000 + 0x83
	.org	0x5000				/* GDT */
	.quad	0
	.quad	0x00cf9b000000ffff		/* 0x08 code32 */
	.quad	0x00cf93000000ffff		/* 0x10 data */
	.quad	0x00af9b000000ffff		/* 0x18 code64, L = 1 */
	/* 0x20: TSS, limit 0x67, type 0xb (busy), base XL_TSS (< 16 MiB) */
	.quad	0x00008b0000000067 | ((XL_TSS & 0xffffff) << 16)
	.quad	0
	.org	0x8000
.endm

#endif /* XL_MEMBER_H */
