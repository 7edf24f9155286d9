/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit-less switch benchmark's guest pair (tools/guest/bench_xl.S)
 * and its host side (switch_bench.c) share this layout. Each member owns
 * the memory from its base: code, page tables, descriptor tables, data,
 * stack, then its samples; no byte of it is in the other member's view.
 * Included from assembly: definitions only.
 */
#ifndef PMSW_XL_BENCH_H
#define PMSW_XL_BENCH_H

/* Offsets from a member's base. */
#define XB_OFF_PML4	0x1000		/* 32-bit paging: the page directory */
#define XB_OFF_PDPT	0x2000
#define XB_OFF_PD0	0x3000
#define XB_OFF_PD3	0x4000
#define XB_OFF_GDT	0x5000
#define XB_OFF_TSS	0x5400
#define XB_OFF_IDT	0x5800
#define XB_OFF_DATA	0x6000
#define XB_OFF_STACK	0x8000		/* top; the stack is 0x7000-0x7fff */
#define XB_OFF_SAMPLES	0x10000		/* 32-bit TSC deltas, one per arrival */
#define XB_SPAN		0x100000	/* from one member's base to the next */
#define XB_MAX_SAMPLES	((XB_SPAN - XB_OFF_SAMPLES) / 4)

/* The data page, 64-bit words at these offsets. */
#define XB_OTHER	0	/* in: the other member's context id */
#define XB_LEFT		8	/* in: bursts still to time (member 0) */
#define XB_BURST	16	/* in: switches per burst, even */
#define XB_STOP_CODE	24	/* in: the STOP hypercall's code */
#define XB_COUNT	32	/* out: samples stored (member 0) */
#define XB_CAL		40	/* out: sum of the calibration deltas */
#define XB_TSC0		48	/* out: TSC when the bursts start */
#define XB_TSC1		56	/* out: TSC when they end */

/*
 * Calibration rounds (RDTSC, MOV, RDTSC) before the bursts. Seven
 * instructions a round: with a TSC that steps every 5 instructions
 * (two emulated CPUs) the rounds start at every phase equally often.
 */
#define XB_CAL_ROUNDS	1000

/* Switches per timed burst, unless switch_bench is told otherwise. */
#define XB_BURST_LEN	40

/*
 * Instructions of each switch in a burst that are not the switch: the
 * loop's DEC and JNZ at the arrival (bench_xl.S). The switch itself is
 * the caller's MOV of the target id, MOV of the routine's address, CALL
 * (XB_CALL_INSNS) and the routine. The same in both modes.
 */
#define XB_LOOP_INSNS	2
#define XB_CALL_INSNS	3

#endif /* PMSW_XL_BENCH_H */
