// SPDX-License-Identifier: GPL-2.0
/*
 * Per-context FPU state: one XSAVE area per context, in the standard
 * (non-compacted) format so that its size is CPUID.(EAX=0DH,ECX=0):ECX
 * for every component the CPU supports (SDM Vol. 1, 13.4). The run loop
 * holds kernel_fpu_begin() around a block of entries, so the registers
 * are free for contexts; it loads the entering context's state, saves it
 * when another context or the host takes over.
 *
 * Which components: those enabled in XCR0 (the guest runs with the
 * host's XCR0: XSETBV always exits, SDM 26.1.2) minus those that the
 * calling thread has disarmed through IA32_XFD (AMX tile data while the
 * thread has not asked for it): XRSTOR of an XFD-armed component raises
 * #NM (SDM Vol. 1, 13.14), and a context cannot use such a component
 * anyway. PKRU is a user component too: a context that changes it with
 * XRSTOR changes its own copy.
 */
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "fpu.h"

/* Legacy region: FCW at 0, MXCSR at 24 (SDM Vol. 1, 10.5.1). */
#define FX_FCW		0
#define FX_MXCSR	24
#define FCW_INIT	0x37f
#define MXCSR_INIT	0x1f80
#define FXSAVE_SIZE	PMSW_FXSAVE_SIZE

static unsigned int area_size(void)
{
	unsigned int a, b, c, d;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return FXSAVE_SIZE;
	cpuid_count(0xd, 0, &a, &b, &c, &d);
	return c;
}

/*
 * A zeroed area is the init state for XRSTOR (XSTATE_BV = 0), except
 * MXCSR, which XRSTOR loads from memory whenever SSE or AVX is requested
 * (SDM Vol. 1, 13.8.1), and the FXRSTOR fallback, which loads it all.
 * The size is rounded to a power of two: kmalloc aligns those naturally,
 * and XSAVE needs 64 bytes.
 */
void *pmsw_fpu_alloc(void)
{
	u8 *area = kzalloc(roundup_pow_of_two(area_size()), GFP_KERNEL_ACCOUNT);

	if (!area)
		return NULL;
	*(u16 *)(area + FX_FCW) = FCW_INIT;
	*(u32 *)(area + FX_MXCSR) = MXCSR_INIT;
	return area;
}

void pmsw_fpu_free(void *area)
{
	kfree(area);
}

/* The components to switch on this CPU for the current thread. */
u64 pmsw_fpu_mask(void)
{
	u64 mask, xfd = 0;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	mask = xgetbv(0);
	if (boot_cpu_has(X86_FEATURE_XFD))
		rdmsrl(MSR_IA32_XFD, xfd);
	return mask & ~xfd;
}
