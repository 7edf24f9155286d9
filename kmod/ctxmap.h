/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mapping between a context (struct pmsw_context) and the VMCS fields
 * that hold it: guest-state area, CR0/CR4 guest/host masks and read
 * shadows, exception bitmap, VM-entry controls. Pure logic.
 */
#ifndef PMSW_CTXMAP_H
#define PMSW_CTXMAP_H

#include "pure.h"
#include "check.h"
#include "vmcs_fields.h"

#define PMSW_FIELD_WORDS	((PMSW_VMCS_NR_FIELDS + 63) / 64)

/* #DB (1), #AC (17), #MC (18): in every context's exception bitmap. */
#define PMSW_EXCEPTIONS_ALWAYS_EXIT	((1U << 1) | (1U << 17) | (1U << 18))

/* Values for the VMCS fields a context determines; @set says which. */
struct pmsw_ctx_fields {
	__u64 val[PMSW_VMCS_NR_FIELDS];
	__u64 set[PMSW_FIELD_WORDS];
};

static inline void pmsw_field_set(__u64 *map, unsigned int index)
{
	map[index / 64] |= 1ULL << (index % 64);
}

static inline bool pmsw_field_test(const __u64 *map, unsigned int index)
{
	return map[index / 64] & (1ULL << (index % 64));
}

void pmsw_ctx_fields(const struct pmsw_context *ctx,
		     const struct pmsw_check_env *env,
		     struct pmsw_ctx_fields *out);

/* Guest-state fields the processor may change at a VM exit (SDM 28.3). */
void pmsw_exit_changed_fields(__u64 *map);

/* Rebuild @ctx's register state from the VMCS, read through @read. */
void pmsw_ctx_from_vmcs(struct pmsw_context *ctx,
			__u64 (*read)(void *arg, unsigned int enc), void *arg);

/* Parts of a context (PMSW_CP_*) that differ between @a and @b. */
__u64 pmsw_ctx_changed_parts(const struct pmsw_context *a,
			     const struct pmsw_context *b);

#endif /* PMSW_CTXMAP_H */
