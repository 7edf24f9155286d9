/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit-less ping (context 0, 64-bit, its block at 0x100000, xl_member.h):
 * switches to pong (context 1) through the routine RBX times a run, RBX
 * as the context file sets it, then stops with PMSW_HC_STOP. The stop
 * code says how it went: 0x600d every arrival was in ping's own CR3,
 * GDT, IDT and stack, and the routine counted each of ping's switches
 * once each way (entries = exits = switches made); 0xbadc the counts
 * disagree; 0xbad (xl_arrived) a wrong environment. A continued run
 * (--repeat) makes another RBX round trips.
 */
#define XL_BASE		0x100000
#include "xl_member.h"

#define ROUNDS		(XL_DATA + 0x20)	/* round trips per run */
#define LEFT		(XL_DATA + 0x28)	/* of this run */
#define DONE		(XL_DATA + 0x30)	/* switches, all runs */
#define XL_GOOD		0x600d
#define XL_MISCOUNT	0xbadc

	.code64
	.text
	mov	%rbx, ROUNDS
run:
	call	xl_arrived
	mov	ROUNDS, %rax
	mov	%rax, LEFT
	test	%rax, %rax
	jz	stop
next:
	XL_SWITCH_TO 1
	call	xl_arrived
	incq	DONE
	decq	LEFT
	jnz	next
stop:
	/* The routine's own counts, against the switches ping made. */
	mov	$XL_GOOD, %ebx
	mov	DONE, %rax
	cmp	%rax, XL_COPY			/* entries */
	jne	1f
	cmp	%rax, XL_COPY + 8		/* exits */
	je	2f
1:	mov	$XL_MISCOUNT, %ebx
2:	mov	$HC_STOP, %eax
	vmcall
	jmp	run

	XL_ARRIVED_FN
	XL_TABLES
	.section .note.GNU-stack, "", @progbits
