/* SPDX-License-Identifier: GPL-2.0 */
/* The exit-less switch group of a session (Documentation/exitless.rst). */
#ifndef PMSW_EXITLESS_H
#define PMSW_EXITLESS_H

#include <linux/types.h>
#include <linux/pmswitch.h>

struct pmsw_ctx;
struct pmsw_session;
struct pmsw_check_env;
struct run_state;

int pmsw_xl_alloc(struct pmsw_session *s, struct pmsw_ctx *ctx,
		  const struct pmsw_context *next);
void pmsw_xl_free_session(struct pmsw_session *s);
int pmsw_xl_group_check(struct pmsw_session *s, struct pmsw_ctx *ctx,
			const struct pmsw_context *next,
			struct pmsw_context_op *op);
void pmsw_xl_fill_state(struct pmsw_ctx *ctx);
void pmsw_xl_group_update(struct pmsw_session *s);
void pmsw_xl_env(const struct pmsw_context *c, struct pmsw_check_env *env);
void pmsw_xl_write_controls(struct pmsw_session *s, struct pmsw_ctx *ctx);
struct pmsw_ctx *pmsw_xl_track(struct run_state *rs, struct pmsw_ctx *ctx);

u64 pmsw_xl_transit_gpa(unsigned int i);

/*
 * The routine page's bytes and the offsets of its parts
 * (exitless_routine.S): entry, VMFUNC and post-VMFUNC path of the 64-bit
 * and then of the 32-bit routine.
 */
extern const unsigned char pmsw_xl_routine[], pmsw_xl_routine_end[];
extern const unsigned int pmsw_xl_offsets[6];

#endif /* PMSW_EXITLESS_H */
