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
#include <asm/cpufeature.h>

void *pmsw_fpu_alloc(void);
void pmsw_fpu_free(void *area);
u64 pmsw_fpu_mask(void);

/* Legacy FXSAVE area (SDM Vol. 1, 10.5.1), without XSAVE. */
#define PMSW_FXSAVE_SIZE	512

/*
 * Inline: they run on every switch between two contexts, and the XSAVE
 * check is patched into a jump at boot (static_cpu_has()).
 */
static __always_inline void pmsw_fpu_load(void *area, u64 mask)
{
	if (!static_cpu_has(X86_FEATURE_XSAVE)) {
		asm volatile("fxrstor64 %0"
			     : : "m" (*(u8 (*)[PMSW_FXSAVE_SIZE])area));
		return;
	}
	asm volatile("xrstor64 %0"
		     : : "m" (*(u8 *)area), "a" ((u32)mask),
		       "d" ((u32)(mask >> 32)) : "memory");
}

static __always_inline void pmsw_fpu_save(void *area, u64 mask)
{
	if (!static_cpu_has(X86_FEATURE_XSAVE)) {
		asm volatile("fxsave64 %0"
			     : "=m" (*(u8 (*)[PMSW_FXSAVE_SIZE])area));
		return;
	}
	asm volatile("xsave64 %0"
		     : "+m" (*(u8 *)area) : "a" ((u32)mask),
		       "d" ((u32)(mask >> 32)) : "memory");
}

#endif /* PMSW_FPU_H */
