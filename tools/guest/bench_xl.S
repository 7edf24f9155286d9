/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit-less switch benchmark's member program (switch_bench.c,
 * Documentation/benchmark.rst). Both members of the group run a copy in
 * their own memory; the layout is in tools/bench/xl_bench.h.
 *
 * Each call of the switch routine is timed from the caller's RDTSC to
 * the target's RDTSC right after it arrives. The caller leaves the low
 * half of its TSC in %r8, which the routine passes through to the target
 * (exitless.rst: only RAX, RCX and RSI are clobbered): a member must not
 * trust another's registers, but for a measurement this is exactly the
 * number wanted. Under Bochs one TSC tick is one instruction
 * (testbed.rst), RDTSC does not exit (pmswitch never sets RDTSC exiting,
 * SDM 25.6.2) and interrupts stay off (RFLAGS.IF = 0 and the routine's
 * CLI), so the delta less the calibration pair's counts exactly the
 * caller's MOV, MOV, CALL and the routine's instructions.
 *
 * The first member enters by VM entry at the start: it calibrates (the
 * smallest delta of RDTSC, MOV, RDTSC), takes the TSC and starts the
 * loop. Its return address, guest_xl_bench64_arrive, is also the second
 * member's entry point, so the first switch into it is timed like every
 * later one. A member makes XB_LEFT calls; when its count has run out at
 * an arrival it takes the TSC again and stops with XB_STOP_CODE.
 */
#include "../bench/xl_bench.h"

#define HC_STOP		2		/* guests.S: VMCALL, stop with %ebx */
#define XL_ROUTINE	0xffc01000	/* PMSW_RESERVED_BASE + ROUTINE */

	.section .rodata.guests, "a"
	.code64
	.globl	guest_xl_bench64, guest_xl_bench64_arrive, guest_xl_bench64_end
guest_xl_bench64:
.Lxb:
	lea	.Lxb + XB_OFF_DATA(%rip), %rbx
	mov	$XB_CAL_ROUNDS, %ecx
	movq	$-1, XB_CAL(%rbx)
1:	rdtsc
	mov	%eax, %r8d
	rdtsc
	sub	%r8d, %eax
	cmp	XB_CAL(%rbx), %rax
	jae	2f
	mov	%rax, XB_CAL(%rbx)
2:	dec	%ecx
	jnz	1b
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, XB_TSC0(%rbx)
	jmp	.Lxb_next

	/* The timed part: RDTSC ... CALL here, RDTSC at the arrival. */
.Lxb_call:
	decq	XB_LEFT(%rbx)
	rdtsc
	mov	%eax, %r8d
	mov	XB_OTHER(%rbx), %edi
	mov	$XL_ROUTINE, %eax
	call	*%rax
guest_xl_bench64_arrive:
	rdtsc
	sub	%r8d, %eax
	/* Nothing else from the other member's registers: its own data. */
	lea	.Lxb + XB_OFF_DATA(%rip), %rbx
	mov	XB_COUNT(%rbx), %rcx
	mov	%eax, XB_OFF_SAMPLES - XB_OFF_DATA(%rbx, %rcx, 4)
	inc	%rcx
	mov	%rcx, XB_COUNT(%rbx)
.Lxb_next:
	cmpq	$0, XB_LEFT(%rbx)
	jne	.Lxb_call
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, XB_TSC1(%rbx)
	mov	$HC_STOP, %eax
	mov	XB_STOP_CODE(%rbx), %rbx
	vmcall
	hlt
guest_xl_bench64_end:

	.section .note.GNU-stack, "", @progbits
