// SPDX-License-Identifier: GPL-2.0
/*
 * The exit-less switch (Documentation/exitless.rst): the session's
 * contexts with PMSW_CONTEXT_F_EXITLESS form one group. Each member runs
 * on its own view; the group shares an EPTP list (entry i: context i's
 * view), the switch routine and the transit paging structures, and each
 * member has a state page of its own at one fixed guest-physical address.
 *
 * What the module does besides building those pages: applying the group
 * rules (815-818 and 821, check.c), the VMCS controls of a member (VM functions, CR3-target
 * list, instruction-fetch page faults), and after every exit finding
 * which member the CPU is running, since VMFUNC changes the view inside
 * a VMCS that belongs to the member that was entered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/msr-index.h>

#include "caps.h"
#include "check.h"
#include "exitless.h"
#include "run.h"
#include "run_int.h"
#include "session.h"
#include "trace.h"
#include "vmx_ops.h"

#define XL_GPA(off)	(PMSW_RESERVED_BASE + (off))
/*
 * Guest paging-entry bits (SDM 4.3, 4.5): present, writable, accessed,
 * dirty; the same in 32-bit and 4-level entries. Accessed and dirty are
 * preset so that the CPU never writes the transit tables, which every
 * view maps read-only (SDM 4.8). No entry has U/S: a fetch at CPL 3
 * through them is a page fault, and instruction-fetch faults exit.
 */
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_A		0x20ULL
#define PTE_D		0x40ULL
#define PTE_TABLE	(PTE_P | PTE_RW | PTE_A)
#define PTE_LEAF_RO	(PTE_P | PTE_A | PTE_D)
#define PTE_LEAF_RW	(PTE_LEAF_RO | PTE_RW)

/* Page faults on instruction fetches exit (I/D bit, SDM 4.7, 26.2). */
#define PFEC_FETCH	0x10

static bool is_member(const struct pmsw_ctx *ctx)
{
	return ctx && (ctx->cur.flags & PMSW_CONTEXT_F_EXITLESS);
}

/* The tables the transit hierarchies use: 4-level, then 32-bit. */
enum { T_PML4, T_PDPT, T_PD, T_PT, T_PD32, T_PT32, T_NR };
static_assert(!(PMSW_RESERVED_BASE & (SZ_4M - 1)));
static_assert(T_NR == ARRAY_SIZE(((struct pmsw_session *)0)->xl_transit));

/* The guest-physical address of transit table @i. */
u64 pmsw_xl_transit_gpa(unsigned int i)
{
	if (i >= T_PD32)
		return XL_GPA(PMSW_RESERVED_TRANSIT32) + (i - T_PD32) * PAGE_SIZE;
	return XL_GPA(PMSW_RESERVED_TRANSIT) + i * PAGE_SIZE;
}

static void set_leaf(u64 *pt64, u32 *pt32, u64 gpa, u64 flags)
{
	/* The range is 4-MiB aligned: a page's index is its offset in it. */
	unsigned int i = (gpa - PMSW_RESERVED_BASE) >> PAGE_SHIFT;

	if (pt64)
		pt64[i] = gpa | flags;
	else
		pt32[i] = gpa | flags;
}

/*
 * The leaf entries of a transit table (4-level @pt64 or 32-bit @pt32):
 * identity, the info and routine pages and every transit table
 * read-only, the state page read/write (after SYSENTER the routine's
 * scratch stack is its top).
 */
static void transit_leaves(u64 *pt64, u32 *pt32)
{
	unsigned int i;

	set_leaf(pt64, pt32, XL_GPA(PMSW_RESERVED_INFO), PTE_LEAF_RO);
	set_leaf(pt64, pt32, XL_GPA(PMSW_RESERVED_ROUTINE), PTE_LEAF_RO);
	set_leaf(pt64, pt32, XL_GPA(PMSW_RESERVED_STATE), PTE_LEAF_RW);
	for (i = 0; i < T_NR; i++)
		set_leaf(pt64, pt32, pmsw_xl_transit_gpa(i), PTE_LEAF_RO);
}

/*
 * The transit tables: a 4-level hierarchy at PMSW_RESERVED_TRANSIT and a
 * 32-bit one at PMSW_RESERVED_TRANSIT32 (a page directory and a page
 * table, SDM 4.3), each mapping the range's pages above and nothing else.
 */
static void transit_fill(struct pmsw_session *s)
{
	u64 base = PMSW_RESERVED_BASE, **t = (u64 **)s->xl_transit;
	u32 *pd32 = s->xl_transit[T_PD32];

	t[T_PML4][(base >> 39) & 511] = pmsw_xl_transit_gpa(T_PDPT) |
					PTE_TABLE;
	t[T_PDPT][(base >> 30) & 511] = pmsw_xl_transit_gpa(T_PD) | PTE_TABLE;
	t[T_PD][(base >> 21) & 511] = pmsw_xl_transit_gpa(T_PT) | PTE_TABLE;
	transit_leaves(t[T_PT], NULL);
	pd32[base >> 22] = pmsw_xl_transit_gpa(T_PT32) | PTE_TABLE;
	transit_leaves(NULL, s->xl_transit[T_PT32]);
}

void pmsw_xl_free_session(struct pmsw_session *s)
{
	unsigned int i;

	free_page((unsigned long)s->xl_routine);
	for (i = 0; i < ARRAY_SIZE(s->xl_transit); i++)
		free_page((unsigned long)s->xl_transit[i]);
	free_page((unsigned long)s->xl_eptp_list);
	s->xl_routine = NULL;
	memset(s->xl_transit, 0, sizeof(s->xl_transit));
	s->xl_eptp_list = NULL;
}

static int session_pages(struct pmsw_session *s)
{
	unsigned int i;

	if (s->xl_routine)
		return 0;
	s->xl_routine = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	s->xl_eptp_list = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	for (i = 0; i < ARRAY_SIZE(s->xl_transit); i++)
		s->xl_transit[i] = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	for (i = 0; i < ARRAY_SIZE(s->xl_transit); i++)
		if (!s->xl_transit[i])
			break;
	if (!s->xl_routine || !s->xl_eptp_list ||
	    i < ARRAY_SIZE(s->xl_transit)) {
		pmsw_xl_free_session(s);
		return -ENOMEM;
	}
	/* The routine page: the routine's fixed parts, zeros after. */
	memcpy(s->xl_routine, pmsw_xl_routine,
	       pmsw_xl_routine_end - pmsw_xl_routine);
	transit_fill(s);
	return 0;
}

/* The session's group pages and @ctx's state page, for a new member. */
int pmsw_xl_alloc(struct pmsw_session *s, struct pmsw_ctx *ctx,
		  const struct pmsw_context *next)
{
	int err;

	if (!(next->flags & PMSW_CONTEXT_F_EXITLESS))
		return 0;
	err = session_pages(s);
	if (err || ctx->xl_state)
		return err;
	ctx->xl_state = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return ctx->xl_state ? 0 : -ENOMEM;
}

/*
 * Rules 821 and 815-818 (check.c), the group as a whole, for @next
 * replacing @ctx (whose id is already fixed); @s->lock held, so the
 * group cannot change.
 */
int pmsw_xl_group_check(struct pmsw_session *s, struct pmsw_ctx *ctx,
			const struct pmsw_context *next,
			struct pmsw_context_op *op)
{
	struct pmsw_violation *v = &op->violation;
	unsigned int members = 1;
	struct pmsw_ctx *m;
	unsigned long id;

	if (!(next->flags & PMSW_CONTEXT_F_EXITLESS))
		return 0;
	if (pmsw_xl_check_id(ctx->id, v))
		goto refused;
	xa_for_each_marked(&s->ctxs, id, m, PMSW_XL_MARK) {
		if (m == ctx || !is_member(m))
			continue;
		members++;
		if (pmsw_xl_check_pair(next, &m->cur, v, 1))
			goto refused;
	}
	if (!pmsw_xl_check_size(members, s->caps.misc, v))
		return 0;
refused:
	op->nr_violations = 1;
	return -EINVAL;
}

/* The entry point of a (re)submitted member, as the routine would save it. */
void pmsw_xl_fill_state(struct pmsw_ctx *ctx)
{
	struct pmsw_exitless_state *st = ctx->xl_state;
	const struct pmsw_context *c = &ctx->cur;

	if (!st || !is_member(ctx))
		return;
	st->rip = c->rip;
	st->cs = c->seg[PMSW_SEG_CS].selector;
	st->rflags = c->rflags;
	st->rsp = c->rsp;
	st->ss = c->seg[PMSW_SEG_SS].selector;
	st->cr3 = c->cr3;
	st->gdtr_limit = c->gdtr.limit;
	st->gdtr_base = c->gdtr.base;
	st->idtr_limit = c->idtr.limit;
	st->idtr_base = c->idtr.base;
	st->ds = c->seg[PMSW_SEG_DS].selector;
	st->es = c->seg[PMSW_SEG_ES].selector;
	st->id = ctx->id;
	ctx->xl_exits_seen = st->exits;
}

/*
 * PMSW_XL_MARK on exactly the members: they all have ids below
 * PMSW_XL_MAX_ID (rule 821), so only those ids need a look.
 */
static void mark_members(struct pmsw_session *s)
{
	struct pmsw_ctx *m;
	unsigned long id;

	xa_for_each_range(&s->ctxs, id, m, 0, PMSW_XL_MAX_ID - 1) {
		if (is_member(m))
			xa_set_mark(&s->ctxs, id, PMSW_XL_MARK);
		else
			xa_clear_mark(&s->ctxs, id, PMSW_XL_MARK);
	}
}

/*
 * The members' marks, the EPTP list and the CR3-target values from the
 * members as they are now; after every change of a context, @s->lock
 * held and no run.
 */
void pmsw_xl_group_update(struct pmsw_session *s)
{
	unsigned int transit = PMSW_RESERVED_TRANSIT;
	struct pmsw_ctx *m;
	unsigned long id;

	if (!s->xl_eptp_list)
		return;
	mark_members(s);
	memset(s->xl_eptp_list, 0, PAGE_SIZE);
	/* Members share EFER (rule 815): the transit root of their mode. */
	xa_for_each_marked(&s->ctxs, id, m, PMSW_XL_MARK)
		if (!(m->cur.efer & EFER_LMA))
			transit = PMSW_RESERVED_TRANSIT32;
	s->xl_cr3[0] = XL_GPA(transit);
	s->xl_nr_cr3 = 1;
	xa_for_each_marked(&s->ctxs, id, m, PMSW_XL_MARK) {
		if (!m->view || s->xl_nr_cr3 == ARRAY_SIZE(s->xl_cr3))
			continue;
		s->xl_eptp_list[id] = m->view->eptp;
		s->xl_cr3[s->xl_nr_cr3++] = m->cur.cr3;
	}
}

/* Controls of a member; rule 811 refused the flag where they are missing. */
void pmsw_xl_env(const struct pmsw_context *c, struct pmsw_check_env *env)
{
	if (!(c->flags & PMSW_CONTEXT_F_EXITLESS) ||
	    !(pmsw_decode_features(env->caps) & PMSW_FEAT_EPTP_SWITCHING))
		return;
	env->proc |= PMSW_PROC_CR3_LOAD_EXITING;
	env->proc2 |= PMSW_PROC2_VMFUNC;
}

/*
 * The VMCS fields of the group (SDM 25.6.3, 25.6.7, 25.6.14): VM
 * function 0 with the session's EPTP list; MOV to CR3 exits unless the
 * value is the transit root or a member's root; page faults on
 * instruction fetches exit. For every other context: no CR3 targets,
 * every page fault goes to the context (mask and match 0).
 */
void pmsw_xl_write_controls(struct pmsw_session *s, struct pmsw_ctx *ctx)
{
	struct pmsw_vmcs *v = ctx->vmcs;
	unsigned int i;

	if (!is_member(ctx) || !(ctx->env.proc2 & PMSW_PROC2_VMFUNC)) {
		pmsw_vmcs_write32(v, VMCS_CR3_TARGET_COUNT, 0);
		pmsw_vmcs_write32(v, VMCS_PAGE_FAULT_ERROR_CODE_MASK, 0);
		pmsw_vmcs_write32(v, VMCS_PAGE_FAULT_ERROR_CODE_MATCH, 0);
		return;
	}
	pmsw_vmcs_write64(v, VMCS_VM_FUNCTION_CONTROL, 1);
	pmsw_vmcs_write64(v, VMCS_EPTP_LIST_ADDRESS,
			  virt_to_phys(s->xl_eptp_list));
	/* The field exists with #VE support only (SDM 25.6.18). */
	if (pmsw_decode_features(&s->caps) & PMSW_FEAT_EPT_VE)
		pmsw_vmcs_write16(v, VMCS_EPTP_INDEX, ctx->id);
	pmsw_vmcs_write32(v, VMCS_CR3_TARGET_COUNT, s->xl_nr_cr3);
	for (i = 0; i < s->xl_nr_cr3; i++)
		pmsw_vmcs_writel(v, VMCS_CR3_TARGET_VALUE0 + 2 * i,
				 s->xl_cr3[i]);
	pmsw_vmcs_write32(v, VMCS_PAGE_FAULT_ERROR_CODE_MASK, PFEC_FETCH);
	pmsw_vmcs_write32(v, VMCS_PAGE_FAULT_ERROR_CODE_MATCH, PFEC_FETCH);
}

/* Fields the routine's resume point sets. */
static const unsigned short resume_fields[] = {
	VF_GUEST_RIP, VF_GUEST_RSP, VF_GUEST_RFLAGS, VF_GUEST_CR3,
	VF_GUEST_CS_SELECTOR, VF_GUEST_SS_SELECTOR, VF_GUEST_DS_SELECTOR,
	VF_GUEST_ES_SELECTOR, VF_GUEST_GDTR_BASE, VF_GUEST_GDTR_LIMIT,
	VF_GUEST_IDTR_BASE, VF_GUEST_IDTR_LIMIT,
};

/*
 * @m switched out without an exit since the module last looked: its
 * bookkeeping takes the resume point from its state page, so that
 * CONTEXT_GET shows it and a VM entry of @m continues there. The values
 * are the guest's own; the CPU checks them at that entry (SDM 27.3.1).
 */
static bool take_resume_point(struct pmsw_ctx *m)
{
	const struct pmsw_exitless_state *st = m->xl_state;
	struct pmsw_context *c = &m->cur;

	if (READ_ONCE(st->exits) == m->xl_exits_seen)
		return false;
	m->xl_exits_seen = READ_ONCE(st->exits);
	c->rip = st->rip;
	c->rsp = st->rsp;
	c->rflags = st->rflags;
	c->cr3 = st->cr3;
	c->seg[PMSW_SEG_CS].selector = (u16)st->cs;
	c->seg[PMSW_SEG_SS].selector = (u16)st->ss;
	c->seg[PMSW_SEG_DS].selector = (u16)st->ds;
	c->seg[PMSW_SEG_ES].selector = (u16)st->es;
	c->gdtr.base = st->gdtr_base;
	c->gdtr.limit = st->gdtr_limit;
	c->idtr.base = st->idtr_base;
	c->idtr.limit = st->idtr_limit;
	return true;
}

static void sync_switched_out(struct pmsw_session *s, struct pmsw_ctx *run)
{
	struct pmsw_ctx *m;
	unsigned long id;
	unsigned int j;

	run->xl_exits_seen = READ_ONCE(run->xl_state->exits);
	xa_for_each_marked(&s->ctxs, id, m, PMSW_XL_MARK) {
		if (m == run || !is_member(m) || !take_resume_point(m))
			continue;
		pmsw_ctx_fields(&m->cur, &m->env, &m->fields);
		/*
		 * Its VMCS is newer than @m->cur if it ran since the last
		 * read-back, and cannot be read here (another VMCS is
		 * current): the next entry writes all of @m->cur instead,
		 * so that CONTEXT_GET shows what will be entered.
		 */
		if (m->stale) {
			memcpy(m->dirty, m->fields.set, sizeof(m->dirty));
			m->stale = false;
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(resume_fields); j++)
			pmsw_field_set(m->dirty, resume_fields[j]);
	}
}

static struct pmsw_ctx *member_by_eptp(struct pmsw_session *s, u64 eptp)
{
	struct pmsw_ctx *m;
	unsigned long id;

	xa_for_each_marked(&s->ctxs, id, m, PMSW_XL_MARK)
		if (is_member(m) && m->view && m->view->eptp == eptp)
			return m;
	return NULL;
}

/*
 * The VMCS entered as @from now runs @to: it becomes @to's, and @from
 * takes @to's old VMCS, to be written in full from @from's bookkeeping
 * (its resume point, if it saved one) before its next entry. Both redo
 * their static fields: the EPT pointer, #VE page and EPTP index are
 * per member.
 */
static void take_over(struct run_state *rs, struct pmsw_ctx *from,
		      struct pmsw_ctx *to)
{
	swap(from->vmcs, to->vmcs);
	memcpy(to->regs, from->regs, sizeof(to->regs));
	to->stale = true;
	memset(to->dirty, 0, sizeof(to->dirty));
	to->vmcs->prepared_gen = 0;
	/* The x87/SSE registers travel with the CPU (exitless.rst). */
	if (rs->fpu_owner == from)
		rs->fpu_owner = to;

	take_resume_point(from);
	pmsw_ctx_fields(&from->cur, &from->env, &from->fields);
	memcpy(from->dirty, from->fields.set, sizeof(from->dirty));
	from->stale = false;
	from->vmcs->prepared_gen = 0;
}

/*
 * After an exit of @ctx's VMCS: the member the CPU is running, found
 * from the EPT pointer VMFUNC left in the VMCS.
 */
struct pmsw_ctx *pmsw_xl_track(struct run_state *rs, struct pmsw_ctx *ctx)
{
	struct pmsw_ctx *run = ctx;
	u64 eptp, unseen = 0;

	if (!is_member(ctx) || !ctx->view || rs->enter_ret ||
	    (rs->exit.reason & PMSW_EXIT_FAILED_ENTRY))
		return ctx;
	if (trace_pmsw_switch_enabled())
		unseen = pmsw_trace_xl_unseen(rs->s);
	eptp = pmsw_vmcs_read64(ctx->vmcs, VMCS_EPT_POINTER);
	if (eptp != ctx->view->eptp) {
		run = member_by_eptp(rs->s, eptp);
		if (WARN_ON_ONCE(!run))
			return ctx;
		take_over(rs, ctx, run);
	}
	sync_switched_out(rs->s, run);
	trace_pmsw_switch(rs, ctx, run->id, PMSW_TRACE_SWITCH_EXITLESS,
			  unseen);
	return run;
}
