/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A session: one open file of /dev/pmswitch, with its guest memory (and
 * the EPT that maps it), its contexts (one VMCS each, and an EPT of their
 * own for those with a memory view) and its counters.
 *
 * Lifetime and locking (Documentation/design.rst, "Sessions"):
 * - the session lives until the file's last reference is dropped; an
 *   ioctl or a mapping holds a reference, so nothing runs against a
 *   freed session;
 * - @mem and @mem_bytes are set once, by SET_MEMORY, and freed only with
 *   the session: @mem is published with release semantics after the EPT
 *   is built, and mmap() and MEMORY_RW read it with acquire semantics and
 *   no lock;
 * - @lock serialises the commands that change the session (SET_MEMORY,
 *   CONTEXT_*, VMXON/VMXOFF) and guards @running; it is never held across
 *   a copy from or to userspace, and neither mmap() nor a page fault
 *   takes it;
 * - a run does not hold @lock: it marks the session @running instead,
 *   and while it is set SET_MEMORY and CONTEXT_* refuse with EBUSY, so
 *   the contexts, VMCSs, memory and EPTs a run uses stay as they are; a
 *   view's EPT is therefore replaced or freed only while no CPU can be
 *   in VMX non-root operation with it.
 */
#ifndef PMSW_SESSION_H
#define PMSW_SESSION_H

#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/pmswitch.h>

#include "ctxmap.h"
#include "vmcs.h"

/*
 * Marks the exit-less members in pmsw_session.ctxs; XA_MARK_0 is the
 * free mark of an XA_FLAGS_ALLOC array.
 */
#define PMSW_XL_MARK	XA_MARK_1

/* pmsw_session.ctx_tab: a page of context pointers per 512 ids. */
#define PMSW_CTX_TAB_SHIFT	9
#define PMSW_CTX_TAB_IDS	(1U << PMSW_CTX_TAB_SHIFT)
#define PMSW_CTX_TAB_PAGES	DIV_ROUND_UP(PMSW_MAX_CONTEXTS, PMSW_CTX_TAB_IDS)

/* One EPT: its paging-structure pages and the EPTP that points at them. */
struct run_state;

struct pmsw_ept {
	struct list_head pages;
	u64 eptp;
};

struct pmsw_ctx {
	unsigned int id;
	/* In pmsw_session.ctx_list. */
	struct list_head node;
	/*
	 * Its VPID (1..65535, unique in the module; 0: VPID not in use),
	 * which tags its TLB entries; exit-less members run with the
	 * group's instead (pmsw_ctx_vpid()).
	 */
	u16 vpid;
	/*
	 * The context's own EPT: its memory view's, or all memory for a #VE
	 * context without a view; NULL: the session's.
	 */
	struct pmsw_ept *view;
	/*
	 * The #VE information page (PMSW_RESERVED_VE_INFO), allocated with
	 * the first PMSW_CONTEXT_F_VE and kept until the context goes.
	 */
	void *ve_page;
	u64 ve_phys;
	/*
	 * Exit-less member (PMSW_CONTEXT_F_EXITLESS): its state page
	 * (struct pmsw_exitless_state, PMSW_RESERVED_STATE in its own EPT),
	 * allocated with the first flag and kept until the context goes,
	 * and the page's @exits counter as the module last saw it.
	 */
	struct pmsw_exitless_state *xl_state;
	u64 xl_exits_seen;
	struct pmsw_vmcs *vmcs;
	/* The context as last submitted or read back. */
	struct pmsw_context cur;
	/* The VMCS's guest state is newer than @cur: it ran since. */
	bool stale;
	/* VMCS field values of @cur, and which to VMWRITE before the next entry. */
	struct pmsw_ctx_fields fields;
	__u64 dirty[PMSW_FIELD_WORDS];
	struct pmsw_check_env env;
	u64 regs[PMSW_NR_GPRS];
	/* x87/SSE/AVX state (fpu.c), the context's own. */
	void *fpu;
};

struct pmsw_session {
	struct mutex lock;
	/* Unique for the module's lifetime. */
	u64 serial;
	/* PMSW_IOC_VMXON was called on this file. */
	bool holds_vmx;
	/* The session's own VMX reference, held while contexts exist. */
	bool ctx_vmx_ref;
	/* A PMSW_IOC_RUN is in progress (pmsw_session_run_begin/end). */
	bool running;

	/* Guest memory: written once, before @mem is published. */
	void *mem;
	u64 mem_bytes;
	/* All of @mem, RWX: the EPT of every context without a view. */
	struct pmsw_ept ept;
	/*
	 * The reserved range's info page (struct pmsw_reserved_info),
	 * read-only in every EPT of the session; allocated with @mem.
	 */
	struct pmsw_reserved_info *info_page;
	/* INVEPT type the CPU supports for it (IA32_VMX_EPT_VPID_CAP). */
	unsigned long invept_type;
	/*
	 * CPUs that have flushed stale translations of every EPT of the
	 * session (INVEPT) since the last one was built.
	 */
	cpumask_var_t ept_fresh;
	/*
	 * INVVPID type (PMSW_INVVPID_*, 0: VPID unused), the exit-less
	 * group's shared VPID, and the CPUs that have flushed every VPID of
	 * the session since a context was last created or set.
	 */
	unsigned int invvpid_type;
	u16 xl_vpid;
	cpumask_var_t vpid_fresh;

	/*
	 * The contexts by id (XA_FLAGS_ALLOC: CONTEXT_CREATE takes the
	 * lowest free id below PMSW_MAX_CONTEXTS). Stored and erased under
	 * @lock with no run in progress; the run reads it without @lock
	 * (the exit-less passes, xa_for_each_marked()):
	 * session_lock_idle() refuses those commands with EBUSY while
	 * @running is set, so the tree and the
	 * contexts it points to stay as they are for the whole run. The
	 * xarray's own spinlock is taken only inside its calls, as they
	 * need it. Exit-less members carry PMSW_XL_MARK, set by
	 * pmsw_xl_group_update(), so the passes over the group on the run
	 * path visit the members alone, not every context.
	 */
	struct xarray ctxs;
	/*
	 * The same contexts for lookups by id, in pages of pointers
	 * allocated as ids reach them: the run looks the target up at every
	 * switch, and xa_load() (RCU read side, a walk of the tree) costs
	 * about 90 instructions there, this table a few. Written where
	 * @ctxs is, under @lock with no run in progress.
	 */
	struct pmsw_ctx **ctx_tab[PMSW_CTX_TAB_PAGES];
	/*
	 * And in a list, for the passes over every context before a block
	 * (INVEPT, INVVPID): a few instructions a context, where a walk of
	 * the xarray costs hundreds. Written with @ctx_tab.
	 */
	struct list_head ctx_list;
	/*
	 * The exit-less group (exitless.c), allocated with its first
	 * member: the routine page and the six transit paging structures
	 * (the same host pages in every member's EPT), the EPTP list (entry
	 * i: context i's view if it is a member, else 0, which VMFUNC
	 * refuses), and the CR3-target values (transit root first).
	 */
	void *xl_routine;
	void *xl_transit[6];	/* 4-level, then 32-bit: exitless.c */
	u64 *xl_eptp_list;
	u64 xl_cr3[PMSW_XL_MAX_CR3];
	unsigned int xl_nr_cr3;
	/* Controls every context starts from (derived from the caps). */
	struct pmsw_vmx_caps caps;
	struct pmsw_check_env base_env;
	/* Counter of run blocks, for pmsw_vmcs.prepared_gen. */
	u32 block_gen;
	/* VMX-preemption timer value: the longest stretch a guest runs. */
	u32 preemption_ticks;

	/*
	 * Bumped by every command that takes @lock to change the session
	 * (session_lock_idle()): a run prepares its VMCSs' controls again.
	 */
	u32 cmd_gen;
	/* The run's state and argument, kept between runs (run.c). */
	struct run_state *run_state;

	struct pmsw_vmx_counters counters;
	u64 exits[PMSW_NR_EXIT_REASONS];
	/* The native switch's page tables and pages (native.c), or NULL. */
	struct pmsw_native_world *native;
};

struct pmsw_session *pmsw_session_create(void);
void pmsw_session_destroy(struct pmsw_session *s);

long pmsw_session_set_memory(struct pmsw_session *s, void __user *uarg);
long pmsw_session_memory_rw(struct pmsw_session *s, void __user *uarg);
int pmsw_session_mmap(struct pmsw_session *s, struct vm_area_struct *vma);

long pmsw_context_create(struct pmsw_session *s, void __user *uarg);
long pmsw_context_set(struct pmsw_session *s, void __user *uarg);
long pmsw_context_get(struct pmsw_session *s, void __user *uarg);
long pmsw_xl_state(struct pmsw_session *s, void __user *uarg);
long pmsw_context_destroy(struct pmsw_session *s, void __user *uarg);
long pmsw_session_stats(struct pmsw_session *s, void __user *uarg);

int pmsw_session_run_begin(struct pmsw_session *s);
void pmsw_session_run_end(struct pmsw_session *s);

/*
 * The context with @id, or NULL (a free or reserved id, or beyond
 * PMSW_MAX_CONTEXTS). @id may come from a guest register: the index is
 * clamped under speculation too (array_index_nospec()).
 */
static inline struct pmsw_ctx *pmsw_session_ctx(struct pmsw_session *s,
						u32 id)
{
	struct pmsw_ctx **page;

	if (id >= PMSW_MAX_CONTEXTS)
		return NULL;
	id = array_index_nospec(id, PMSW_MAX_CONTEXTS);
	page = s->ctx_tab[id >> PMSW_CTX_TAB_SHIFT];
	return page ? page[id & (PMSW_CTX_TAB_IDS - 1)] : NULL;
}
void pmsw_session_ept_fresh(struct pmsw_session *s, int cpu);
void pmsw_session_vpid_fresh(struct pmsw_session *s, int cpu);

/* The EPTP @ctx runs with: its view's EPT, or the session's. */
static inline u64 pmsw_ctx_eptp(const struct pmsw_session *s,
				const struct pmsw_ctx *ctx)
{
	return ctx->view ? ctx->view->eptp : s->ept.eptp;
}

/*
 * The VPID @ctx runs with: exit-less members share the group's, because
 * VMFUNC switches members inside one VMCS and the entered member's VPID
 * tags every member's translations (Documentation/exitless.rst).
 */
static inline u16 pmsw_ctx_vpid(const struct pmsw_session *s,
				const struct pmsw_ctx *ctx)
{
	return (ctx->cur.flags & PMSW_CONTEXT_F_EXITLESS) ? s->xl_vpid :
							    ctx->vpid;
}

/* Fields of @ctx to VMWRITE before its next entry? */
static inline bool pmsw_ctx_dirty(const struct pmsw_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < PMSW_FIELD_WORDS; i++)
		if (ctx->dirty[i])
			return true;
	return false;
}

int pmsw_ctx_refresh(struct pmsw_session *s, struct pmsw_ctx *ctx);

#endif /* PMSW_SESSION_H */
