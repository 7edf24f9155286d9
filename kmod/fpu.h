/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-context x87/SSE/AVX state. A context's registers are its own: they
 * are loaded before it runs and saved when another context or the host
 * takes the CPU, so that no byte of the calling thread, of in-kernel FPU
 * users or of another context reaches it.
 */
#ifndef PMSW_FPU_H
#define PMSW_FPU_H

#include <linux/types.h>

void *pmsw_fpu_alloc(void);
void pmsw_fpu_free(void *area);
u64 pmsw_fpu_mask(void);
void pmsw_fpu_load(void *area, u64 mask);
void pmsw_fpu_save(void *area, u64 mask);

#endif /* PMSW_FPU_H */
