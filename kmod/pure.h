/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common ground for code that runs in the module and in userspace alike
 * (capability decoding, request checks, later the VM-entry checks). Such
 * files use only __u32/__u64, bool and the helpers below, include nothing
 * else from the kernel, and are unit-tested on the host (tests/unit/).
 */
#ifndef PMSW_PURE_H
#define PMSW_PURE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#endif

/* Inlined even without optimisation, so that constants fold. */
#define PMSW_ALWAYS_INLINE	inline __attribute__((__always_inline__))

#define PMSW_BIT(n)		(1ULL << (n))
#define PMSW_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A refusal's reason, for code that cannot log (pure code, IPIs): store
 * @reason in *@why and return @err. The caller that can log passes it
 * on to pmsw_refuse() (refuse.h), the one place refusals are logged.
 */
static inline int pmsw_why(int err, const char *reason, const char **why)
{
	*why = reason;
	return err;
}

/* Low and high halves of a VMX control capability MSR (SDM A.3). */
static inline __u32 pmsw_allowed0(__u64 msr)
{
	return (__u32)msr;
}

static inline __u32 pmsw_allowed1(__u64 msr)
{
	return (__u32)(msr >> 32);
}

#endif /* PMSW_PURE_H */
