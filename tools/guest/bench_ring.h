/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring of contexts (tools/guest/bench_ring.S): its layout in guest
 * memory, shared by the guest program, switch_bench's scale series and
 * scale_test. Every context of the ring runs the same code with its own
 * registers: ESI the next context's id, EDI the data page, EBP its own
 * counter. Included from assembly: definitions only.
 */
#ifndef PMSW_BENCH_RING_H
#define PMSW_BENCH_RING_H

#define RING_CODE	0x100000	/* the program, one copy for all */
#define RING_DATA	0x101000	/* the data page, 32-bit words below */
#define RING_COUNTERS	0x102000	/* one 32-bit counter per context id */
#define RING_SAMPLES	0x110000	/* 32-bit TSC deltas, one per arrival */
#define RING_MEM_END	0x400000	/* GUEST_MEM (pmsw_guest.h) */
#define RING_MAX_SAMPLES	((RING_MEM_END - RING_SAMPLES) / 4)

/* The data page. */
#define RING_LEFT	0	/* in: switches still to make; 0: stop */
#define RING_T0		4	/* the departing context's TSC (low half) */
#define RING_COUNT	8	/* in/out: samples stored */
#define RING_CAL	12	/* out: sum of the calibration deltas */

/* Calibration rounds of RDTSC, MOV, RDTSC: 7 instructions a round. */
#define RING_CAL_ROUNDS	1000

/* The STOP hypercall's code (struct pmsw_run.stop_code) at the end. */
#define RING_STOP_CODE	0x5ca1e

#endif /* PMSW_BENCH_RING_H */
