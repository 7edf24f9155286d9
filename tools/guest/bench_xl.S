/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit-less switch benchmark's member program (switch_bench.c,
 * Documentation/benchmark.rst). Both members of the group run a copy in
 * their own memory; the layout is in tools/bench/xl_bench.h.
 *
 * Member 0 times bursts of XB_BURST switches: RDTSC, then the two
 * members call the switch routine in turn, each arrival counting down
 * %r9, and member 0 takes the TSC again when the count reaches 0. The
 * start TSC and the count travel in %r8 and %r9, which the routine
 * passes through (exitless.rst: it clobbers only RAX, RCX and RSI); a
 * member must not trust the other's registers, but here they carry
 * exactly what is measured. Under Bochs one TSC tick is one instruction
 * (testbed.rst; with two CPUs the TSC steps every 5, hence bursts rather
 * than single switches), RDTSC does not exit (pmswitch never sets RDTSC
 * exiting, SDM 25.6.2) and interrupts stay off (RFLAGS.IF = 0 and the
 * routine's CLI). A burst's delta less the calibration pair's is
 * XB_BURST times: MOV, MOV, CALL, the routine, then DEC and JNZ.
 *
 * Member 0 enters by VM entry at the start: it sums XB_CAL_ROUNDS deltas
 * of RDTSC, MOV, RDTSC, takes the TSC, runs XB_LEFT bursts, takes the
 * TSC again and stops with XB_STOP_CODE. Member 1's entry point is the
 * arrival, guest_xl_bench64_arrive, so its first switch is timed like
 * every other; it never stops by itself (bursts have an even length).
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
	xor	%r9d, %r9d
1:	rdtsc
	mov	%eax, %r8d
	rdtsc
	sub	%r8d, %eax
	add	%rax, %r9
	dec	%ecx
	jnz	1b
	mov	%r9, XB_CAL(%rbx)
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, XB_TSC0(%rbx)

.Lxb_burst:
	cmpq	$0, XB_LEFT(%rbx)
	je	.Lxb_done
	decq	XB_LEFT(%rbx)
	mov	XB_BURST(%rbx), %r9
	rdtsc
	mov	%eax, %r8d
	/* The timed part: every switch of the burst. */
.Lxb_switch:
	mov	.Lxb + XB_OFF_DATA + XB_OTHER(%rip), %edi
	mov	$XL_ROUTINE, %eax
	call	*%rax
guest_xl_bench64_arrive:
	dec	%r9
	jnz	.Lxb_switch
	rdtsc
	sub	%r8d, %eax
	/* Only member 0 gets here: its own data, not a register. */
	lea	.Lxb + XB_OFF_DATA(%rip), %rbx
	mov	XB_COUNT(%rbx), %rcx
	mov	%eax, XB_OFF_SAMPLES - XB_OFF_DATA(%rbx, %rcx, 4)
	incq	XB_COUNT(%rbx)
	jmp	.Lxb_burst

.Lxb_done:
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
