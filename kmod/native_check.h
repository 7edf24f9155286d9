/* SPDX-License-Identifier: GPL-2.0 */
/* The native switch target's rules (native_check.c, checks.rst 900-915). */
#ifndef PMSW_NATIVE_CHECK_H
#define PMSW_NATIVE_CHECK_H

#include "check.h"

/* What the rules judge a target against. */
struct pmsw_native_env {
	const struct pmsw_vmx_caps *caps;
	__u64 mem_bytes;	/* the session's memory */
};

/*
 * Check target @c; write the first @max violations to @out and return
 * how many there are (0: the forward switch can load it).
 */
unsigned int pmsw_native_check(const struct pmsw_context *c,
			       const struct pmsw_native_env *env,
			       struct pmsw_violation *out, unsigned int max);

/* The @index-th native rule, for listings; false past the last. */
bool pmsw_native_rule_desc(unsigned int index, struct pmsw_rule_desc *d);

#endif /* PMSW_NATIVE_CHECK_H */
