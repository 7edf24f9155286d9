// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints' definitions (CREATE_TRACE_POINTS, once in the module)
 * and what the exit-less switch event counts.
 */
#include <linux/compiler.h>

#include "session.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Exit-less switches since the module last read the members' state
 * pages: the routine counts each member's switches out of it in its page
 * (struct pmsw_exitless_state.exits), and the module's copy
 * (xl_exits_seen) is brought up to date at every exit of the group
 * (pmsw_xl_track()). Called there first, and only while the switch event
 * is enabled: one pass over the members (PMSW_XL_MARK), one read of each
 * member's page.
 * The pages are the guests' to write, so the count is what they say.
 */
u64 pmsw_trace_xl_unseen(const struct pmsw_session *s)
{
	const struct pmsw_ctx *m;
	unsigned long id;
	u64 n = 0;

	/* Not const: xa_for_each_marked() takes the array as it is. */
	xa_for_each_marked((struct xarray *)&s->ctxs, id, m, PMSW_XL_MARK)
		if ((m->cur.flags & PMSW_CONTEXT_F_EXITLESS) && m->xl_state)
			n += READ_ONCE(m->xl_state->exits) - m->xl_exits_seen;
	return n;
}
