/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit-less switch routine (Documentation/exitless.rst). This is
 * GUEST code: the module never executes it. It is assembled into
 * read-only data, copied into the routine page, and runs at
 * guest-physical (and, through identity paging, linear)
 * PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE in 64-bit mode at CPL 0.
 * It contains no RIP-relative or relocated operand: every address is an
 * immediate, so the bytes are position-fixed by construction.
 *
 * Called by a member with the target's context id in %rdi:
 *	mov $target, %edi; mov $0xffc01000, %eax; call *%rax
 * and returns to that call when another member switches back. Clobbers
 * %rax, %rcx, %rsi; every other general register reaches the target as
 * the origin left it (the target must not trust them).
 *
 * Offsets into the state page, struct pmsw_exitless_state (pmswitch.h).
 */
#define ST_BASE		0xffc02000	/* PMSW_RESERVED_BASE + STATE */
#define TRANSIT_ROOT	0xffc04000	/* PMSW_RESERVED_BASE + TRANSIT */
#define ST_RIP		0
#define ST_CS		8
#define ST_RFLAGS	16
#define ST_RSP		24
#define ST_SS		32
#define ST_CR3		40
#define ST_GDTR		54	/* limit, then base: SGDT/LGDT operand */
#define ST_IDTR		70
#define ST_DS		80
#define ST_ES		88
#define ST_ENTRIES	96
#define ST_EXITS	104

	.section .rodata, "a"
	.balign 16
	.globl pmsw_xl_routine, pmsw_xl_routine_end, pmsw_xl_vmfunc_offset
	.code64
pmsw_xl_routine:
	/* 1. The origin's resume point, in its own state page. */
	pushfq
	cli
	movl	$ST_BASE, %esi
	popq	ST_RFLAGS(%rsi)
	popq	ST_RIP(%rsi)		/* the return address */
	movq	%rsp, ST_RSP(%rsi)	/* as after RET */
	movw	%cs, ST_CS(%rsi)
	movw	%ss, ST_SS(%rsi)
	movw	%ds, ST_DS(%rsi)
	movw	%es, ST_ES(%rsi)
	sgdt	ST_GDTR(%rsi)
	sidt	ST_IDTR(%rsi)
	movq	%cr3, %rax
	movq	%rax, ST_CR3(%rsi)
	incq	ST_EXITS(%rsi)
	/*
	 * 2. The transit tables: they map only the range, so whatever
	 * runs between here and the target's CR3 is the routine.
	 */
	movl	%edi, %ecx
	movl	$TRANSIT_ROOT, %eax
	movq	%rax, %cr3
	/* 3. VMFUNC 0 (EPTP switching) to view %ecx (SDM 26.5.6.3). */
	xorl	%eax, %eax
vmfunc_insn:
	.byte	0x0f, 0x01, 0xd4
	/*
	 * 4. In the target's view. Nothing from here on uses a register the
	 * origin set: %rsi is reloaded from an immediate, and every other
	 * operand comes from the state page, which this view maps to the
	 * target's own page. Entered here without the VMFUNC (a jump), the
	 * view is still the caller's: it resumes itself.
	 */
	movl	$ST_BASE, %esi
	lgdt	ST_GDTR(%rsi)
	lidt	ST_IDTR(%rsi)
	movq	ST_CR3(%rsi), %rax
	movq	%rax, %cr3		/* a CR3-target value, or it exits */
	movl	ST_DS(%rsi), %eax
	movl	%eax, %ds
	movl	ST_ES(%rsi), %eax
	movl	%eax, %es
	incq	ST_ENTRIES(%rsi)
	/* CS, RIP, RFLAGS, SS and RSP in one instruction. */
	movq	%rsi, %rsp
	iretq
pmsw_xl_routine_end:

	.balign 4
pmsw_xl_vmfunc_offset:
	.long	vmfunc_insn - pmsw_xl_routine

#ifndef __KERNEL__
	/* Linked into the host tests too: no executable stack there. */
	.section .note.GNU-stack, "", @progbits
#endif
