/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ring of contexts switching with pmswitch's SWITCH hypercall
 * (switch_bench's scale series and scale_test; layout in bench_ring.h).
 * All contexts run this one copy in 32-bit flat protected mode, with
 * their own registers: ESI the id to switch to, EDI the data page, EBP
 * the context's own counter.
 *
 * Each switch is timed from the guest: the departing context takes the
 * TSC and stores it right before its VMCALL, and the arriving context
 * takes the TSC first thing, so a sample is the delta between two
 * RDTSCs across VMCALL, the VM exit, the monitor's path, VMPTRLD and the
 * VM entry of the next context. The store and the second RDTSC are in
 * every calibration round too (RDTSC, MOV to memory, RDTSC), so a
 * sample less the calibration mean leaves the switch and the MOV of
 * the hypercall number. Under Bochs one TSC tick is one instruction
 * (testbed.rst), RDTSC does not exit (pmswitch sets no RDTSC exiting,
 * SDM 25.6.2) and the guest keeps interrupts off (RFLAGS.IF = 0).
 *
 * Context 0 enters at guest_bench_ring32: it calibrates, counts itself
 * and departs. Every other context is first entered at
 * guest_bench_ring32_arrive, as at every later arrival, since a
 * context resumes right after its VMCALL. An arrival stores its sample
 * (while there is room), counts itself, and departs while RING_LEFT is
 * not 0; the context that finds it 0 stops the run with RING_STOP_CODE.
 * A RUN of the stopped context continues the ring from there (RING_LEFT
 * set again), its re-entry counted but not timed.
 */
#include "bench_ring.h"

#define HC_SWITCH	1	/* PMSW_HC_SWITCH: to the id in EBX */
#define HC_STOP		2	/* PMSW_HC_STOP: code in EBX */

	.section .rodata.guests, "a"
	.code32
	.globl	guest_bench_ring32, guest_bench_ring32_arrive
	.globl	guest_bench_ring32_end
guest_bench_ring32:
	mov	$RING_CAL_ROUNDS, %ecx
	xor	%ebx, %ebx
1:	rdtsc
	mov	%eax, RING_T0(%edi)
	rdtsc
	sub	RING_T0(%edi), %eax
	add	%eax, %ebx
	dec	%ecx
	jnz	1b
	mov	%ebx, RING_CAL(%edi)
	jmp	.Lcount

.Ldepart:
	decl	RING_LEFT(%edi)
	mov	%esi, %ebx
	rdtsc
	mov	%eax, RING_T0(%edi)
	mov	$HC_SWITCH, %eax
	vmcall
	/* Resumed here when a context switches back to this one. */
guest_bench_ring32_arrive:
	rdtsc
	sub	RING_T0(%edi), %eax
	mov	RING_COUNT(%edi), %ecx
	cmp	$RING_MAX_SAMPLES, %ecx
	jae	.Lcount
	mov	%eax, RING_SAMPLES - RING_DATA(%edi, %ecx, 4)
	inc	%ecx
	mov	%ecx, RING_COUNT(%edi)
.Lcount:
	incl	(%ebp)
	cmpl	$0, RING_LEFT(%edi)
	jne	.Ldepart
	mov	$RING_STOP_CODE, %ebx
	mov	$HC_STOP, %eax
	vmcall
	/* Run again after the stop: count and go on, without a sample. */
	jmp	.Lcount
guest_bench_ring32_end:

	/* Guest code only: the host stack is not executable. */
	.section .note.GNU-stack, "", @progbits
