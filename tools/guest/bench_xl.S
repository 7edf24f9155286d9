/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit-less switch benchmark's member programs (switch_bench.c,
 * Documentation/benchmark.rst): guest_xl_bench64 for 64-bit members,
 * guest_xl_bench32 for 32-bit paging members. Both members of a group run
 * a copy in their own memory; the layout is in tools/bench/xl_bench.h.
 *
 * Member 0 times bursts of XB_BURST switches: RDTSC, then the two
 * members call the switch routine in turn, each arrival counting down
 * a register, and member 0 takes the TSC again when the count reaches 0.
 * The start TSC and the count travel in registers the routine passes
 * through (exitless.rst: it clobbers only RAX, RCX and RSI; in 32-bit
 * mode EAX, ECX and ESI): %r8/%r9 in 64-bit mode, %ebx/%ebp in 32-bit
 * mode. A member must not trust the other's registers, but here they
 * carry exactly what is measured. Under Bochs one TSC tick is one
 * instruction (testbed.rst; with two CPUs the TSC steps every 5, hence
 * bursts rather than single switches), RDTSC does not exit (pmswitch
 * never sets RDTSC exiting, SDM 25.6.2) and interrupts stay off
 * (RFLAGS.IF = 0, the routine's CLI, and SYSENTER clears IF, SDM Vol. 2B).
 * A burst's delta less the calibration pair's is XB_BURST times: MOV,
 * MOV, CALL, the routine, then DEC and JNZ, in both modes.
 *
 * Member 0 enters by VM entry at the start: it sums XB_CAL_ROUNDS deltas
 * of RDTSC, MOV, RDTSC, takes the TSC, runs XB_LEFT bursts, takes the
 * TSC again and stops with XB_STOP_CODE. Member 1's entry point is the
 * arrival (guest_xl_bench64_arrive, guest_xl_bench32_arrive), so its
 * first switch is timed like every other; it never stops by itself
 * (bursts have an even length).
 */
#include "../bench/xl_bench.h"

#define HC_STOP		2		/* guests.S: VMCALL, stop with %ebx */
#define XL_ROUTINE	0xffc01000	/* PMSW_XL_ENTRY64 */
#define XL_ROUTINE32	0xffc01800	/* PMSW_XL_ENTRY32 */

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

/*
 * 32-bit code has no RIP-relative operand: the data page is found by
 * CALL/POP outside the timed part, and the target's id is an immediate
 * that switch_bench writes into each member's copy at
 * guest_xl_bench32_other (the MOV's imm32), so the timed part has the
 * same five instructions per switch as the 64-bit program's.
 */
	.code32
	.globl	guest_xl_bench32, guest_xl_bench32_arrive
	.globl	guest_xl_bench32_other, guest_xl_bench32_end
/* %ebx = this copy's data page: CALL/POP gives where the copy runs. */
.macro	xb32_data
	call	9f
9:	pop	%ebx
	add	$(.Lxb32 + XB_OFF_DATA - 9b), %ebx
.endm
guest_xl_bench32:
.Lxb32:
	mov	$XB_CAL_ROUNDS, %ecx
	xor	%ebp, %ebp
1:	rdtsc
	mov	%eax, %ebx
	rdtsc
	sub	%ebx, %eax
	add	%eax, %ebp
	dec	%ecx
	jnz	1b
	xb32_data
	mov	%ebp, XB_CAL(%ebx)
	movl	$0, XB_CAL + 4(%ebx)
	rdtsc
	mov	%eax, XB_TSC0(%ebx)
	mov	%edx, XB_TSC0 + 4(%ebx)

.Lxb32_burst:
	cmpl	$0, XB_LEFT(%ebx)
	je	.Lxb32_done
	decl	XB_LEFT(%ebx)
	mov	XB_BURST(%ebx), %ebp
	rdtsc
	mov	%eax, %ebx
	/* The timed part: every switch of the burst. */
.Lxb32_switch:
	.byte	0xbf			/* mov $imm32, %edi */
guest_xl_bench32_other:
	.long	0
	mov	$XL_ROUTINE32, %eax
	call	*%eax
guest_xl_bench32_arrive:
	dec	%ebp
	jnz	.Lxb32_switch
	rdtsc
	sub	%ebx, %eax
	/* Only member 0 gets here: its own data, not a register. */
	mov	%eax, %edx
	xb32_data
	mov	XB_COUNT(%ebx), %ecx
	mov	%edx, XB_OFF_SAMPLES - XB_OFF_DATA(%ebx, %ecx, 4)
	incl	XB_COUNT(%ebx)
	jmp	.Lxb32_burst

.Lxb32_done:
	rdtsc
	mov	%eax, XB_TSC1(%ebx)
	mov	%edx, XB_TSC1 + 4(%ebx)
	mov	$HC_STOP, %eax
	mov	XB_STOP_CODE(%ebx), %ebx
	vmcall
	hlt
guest_xl_bench32_end:

	.section .note.GNU-stack, "", @progbits
