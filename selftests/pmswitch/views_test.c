// SPDX-License-Identifier: GPL-2.0
/*
 * Memory views (issue 10): contexts that see only parts of session
 * memory, each through an EPT of its own. Two 32-bit paging contexts
 * with disjoint views ping-pong; each writes and reads back its own
 * memory; a touch of the other's memory, or of its own beyond the view's
 * permissions, stops the run with an EPT violation naming the address
 * and the access. Views the rules refuse come back with the rule. Needs
 * pmswitch.ko and VT-x with EPT; skips otherwise.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "kselftest_harness.h"
#include "check.h"
#include "pmsw_guest.h"

/*
 * Each context's view, from its base: code (read, execute), then the
 * page directory, a page with its GDT, TSS and IDT, its data and its
 * stack (read, write: the CPU sets accessed and dirty bits in the page
 * directory, SDM 29.3.3.2).
 */
#define BASE_A		0x100000ULL
#define BASE_B		0x200000ULL
#define OFF_PD		0x1000
#define OFF_TABLES	0x2000
#define OFF_TSS		0x2400
#define OFF_IDT		0x2800
#define OFF_DATA	0x3000
#define VIEW_END	0x5000

#define TOUCH_READ	0
#define TOUCH_WRITE	1
#define TOUCH_FETCH	2

/* EPT-violation qualification (SDM 28.2.1, Table 28-7). */
#define Q_READ		(1ULL << 0)
#define Q_WRITE		(1ULL << 1)
#define Q_FETCH		(1ULL << 2)
#define Q_ACCESS	(Q_READ | Q_WRITE | Q_FETCH)

#define SEED_A		0x1000000
#define SEED_B		0x2000000
#define MAX_T		512

FIXTURE(views) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	struct pmsw_context_op op;
	struct pmsw_context a, b;
	bool ready;
};

FIXTURE_SETUP(views)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap);
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(views)
{
	session_close(&self->s);
}

static void add_range(struct pmsw_context *c, uint64_t gpa, uint64_t bytes,
		      uint32_t perm)
{
	c->view[c->nr_view_ranges++] = (struct pmsw_view_range){
		.gpa = gpa, .bytes = bytes, .perm = perm,
	};
}

/*
 * A 32-bit paging context whose code, page directory, tables, data and
 * stack all lie in [@base, @base + VIEW_END), and whose view is exactly
 * that: @code_perm for the code page, read/write for the rest. It runs
 * views32: @rounds switches to @other, then touches @touch (0: none).
 */
static void view_context(uint8_t *mem, struct pmsw_context *c, uint64_t base,
			 uint32_t code_perm, unsigned int other,
			 unsigned int rounds, uint32_t seed, uint64_t touch)
{
	uint32_t *pd = (uint32_t *)(mem + base + OFF_PD);

	memcpy(mem + base, guest_views32, guest_views32_end - guest_views32);
	memcpy(mem + base + OFF_TABLES, mem + GPA_GDT, 0x40);
	memset(mem + base + OFF_DATA, 0, 8);
	pd[0] = 0x83;			/* 4 MiB identity: P, RW, PS */
	make_context(c, PAGING32, base, base + VIEW_END);
	c->cr3 = base + OFF_PD;
	c->gdtr.base = base + OFF_TABLES;
	c->idtr.base = base + OFF_IDT;
	c->seg[PMSW_SEG_TR].base = base + OFF_TSS;
	c->gpr[PMSW_RCX] = rounds;
	c->gpr[PMSW_RDX] = seed;
	c->gpr[PMSW_RSI] = other;
	c->gpr[PMSW_RDI] = base + OFF_DATA;
	c->gpr[PMSW_RBP] = touch;
	add_range(c, base, 0x1000, code_perm);
	add_range(c, base + OFF_PD, VIEW_END - OFF_PD,
		  PMSW_VIEW_R | PMSW_VIEW_W);
}

static uint32_t word_at(const uint8_t *mem, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, mem + gpa, 4);
	return v;
}

/* Contexts 0 (A) and 1 (B) with disjoint views; then a run from A. */
static int create_pair(struct __test_metadata *_metadata,
		       FIXTURE_DATA(views) *self)
{
	EXPECT_EQ(0, context_create(self->s.fd, &self->a, &self->op))
		TH_LOG("A: errno %d, rule %u: %s", errno,
		       self->op.violation.rule, self->op.violation.text);
	EXPECT_EQ(1, context_create(self->s.fd, &self->b, &self->op))
		TH_LOG("B: errno %d, rule %u: %s", errno,
		       self->op.violation.rule, self->op.violation.text);
	return run(self->s.fd, 0, &self->r, self->t, MAX_T);
}

/* The run stopped on an EPT violation by @ctx: @access at @gpa. */
static void expect_violation(struct __test_metadata *_metadata,
			     const struct pmsw_run *r, unsigned int ctx,
			     uint64_t gpa, uint64_t access, const char *words)
{
	char want[96];

	EXPECT_EQ(PMSW_STOP_EXIT, r->stop_reason) TH_LOG("%s", r->reason);
	EXPECT_EQ(PMSW_EXIT_EPT_VIOLATION, r->exit.reason & 0xffff);
	EXPECT_EQ(ctx, r->stop_context);
	EXPECT_EQ(gpa, r->exit.guest_physical);
	EXPECT_EQ(access, r->exit.qualification & Q_ACCESS)
		TH_LOG("qualification %#llx",
		       (unsigned long long)r->exit.qualification);
	snprintf(want, sizeof(want), "%s at guest-physical %#llx", words,
		 (unsigned long long)gpa);
	EXPECT_NE(NULL, strstr(r->reason, want))
		TH_LOG("reason '%s', want '%s'", r->reason, want);
}

TEST_F(views, disjoint_views_each_keep_their_own_memory)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 50, SEED_A, 0);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 50, SEED_B, 0);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0x600d, self->r.stop_code);
	EXPECT_EQ(0, self->r.stop_context);
	EXPECT_EQ(100, count_switches(self->t, self->r.nr_transitions));
	/* Each wrote its own word 50 times; the last value is seed + 1. */
	EXPECT_EQ(SEED_A + 1, word_at(self->s.mem, BASE_A + OFF_DATA));
	EXPECT_EQ(50, word_at(self->s.mem, BASE_A + OFF_DATA + 4));
	EXPECT_EQ(SEED_B + 1, word_at(self->s.mem, BASE_B + OFF_DATA));
	EXPECT_EQ(50, word_at(self->s.mem, BASE_B + OFF_DATA + 4));
	/* The CPU set A/D in each page directory: a write in the view. */
	EXPECT_EQ(0x83 | 0x60, word_at(self->s.mem, BASE_A + OFF_PD) & 0xe3);
	EXPECT_EQ(0x83 | 0x60, word_at(self->s.mem, BASE_B + OFF_PD) & 0xe3);
}

TEST_F(views, reading_the_other_view_stops_with_its_address)
{
	struct pmsw_context got;

	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 3, SEED_A, BASE_B + OFF_DATA + TOUCH_READ);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 3, SEED_B, 0);
	ASSERT_EQ(0, create_pair(_metadata, self));
	expect_violation(_metadata, &self->r, 0, BASE_B + OFF_DATA, Q_READ,
			 "read");
	/* The stopped context is where it faulted, with its view. */
	ASSERT_EQ(0, context_get(self->s.fd, 0, &got));
	EXPECT_LE(BASE_A, got.rip);
	EXPECT_GT(BASE_A + (guest_views32_end - guest_views32), got.rip);
	EXPECT_EQ(BASE_B + OFF_DATA, got.gpr[PMSW_RBP]);
	EXPECT_EQ(2, got.nr_view_ranges);
	EXPECT_EQ(0, memcmp(self->a.view, got.view, sizeof(got.view)));
}

TEST_F(views, writing_the_other_view_stops_and_changes_nothing)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 3, SEED_A, BASE_B + OFF_DATA + TOUCH_WRITE);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 3, SEED_B, 0);
	ASSERT_EQ(0, create_pair(_metadata, self));
	expect_violation(_metadata, &self->r, 0, BASE_B + OFF_DATA, Q_WRITE,
			 "write");
	EXPECT_EQ(SEED_B + 1, word_at(self->s.mem, BASE_B + OFF_DATA));
}

TEST_F(views, second_context_writing_the_first_view_stops_in_it)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 10, SEED_A, 0);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 3, SEED_B, BASE_A + OFF_DATA + TOUCH_WRITE);
	ASSERT_EQ(0, create_pair(_metadata, self));
	expect_violation(_metadata, &self->r, 1, BASE_A + OFF_DATA, Q_WRITE,
			 "write");
	/* A's last write (round 4, counting down from 10) is intact. */
	EXPECT_EQ(SEED_A + 7, word_at(self->s.mem, BASE_A + OFF_DATA));
}

TEST_F(views, own_code_page_is_not_writable_and_data_not_executable)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 2, SEED_A, BASE_A + TOUCH_WRITE);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 2, SEED_B, 0);
	ASSERT_EQ(0, create_pair(_metadata, self));
	expect_violation(_metadata, &self->r, 0, BASE_A, Q_WRITE, "write");
	EXPECT_EQ(0, memcmp(self->s.mem + BASE_A, guest_views32, 16));

	session_close(&self->s);
	ASSERT_EQ(0, session_open(&self->s));
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 2, SEED_A, BASE_A + OFF_DATA + TOUCH_FETCH);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 2, SEED_B, 0);
	ASSERT_EQ(0, create_pair(_metadata, self));
	expect_violation(_metadata, &self->r, 0, BASE_A + OFF_DATA, Q_FETCH,
			 "instruction fetch");
}

/*
 * CONTEXT_SET with another view rebuilds the EPT, and the next entry
 * uses only the new one: a write the old view allowed now stops (a
 * translation cached from the old EPT would let it through).
 */
TEST_F(views, changed_view_applies_from_the_next_entry)
{
	struct pmsw_context again;

	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 3, SEED_A, BASE_B + OFF_DATA + TOUCH_WRITE);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 3, SEED_B, 0);
	again = self->a;
	add_range(&self->a, BASE_B + OFF_DATA, 0x1000,
		  PMSW_VIEW_R | PMSW_VIEW_W);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0x5a5a5a5a, word_at(self->s.mem, BASE_B + OFF_DATA));

	/* The same page, now read-only for A; both start over. */
	add_range(&again, BASE_B + OFF_DATA, 0x1000, PMSW_VIEW_R);
	ASSERT_EQ(0, context_set(self->s.fd, 0, &again, &self->op))
		TH_LOG("errno %d, rule %u", errno, self->op.violation.rule);
	ASSERT_EQ(0, context_set(self->s.fd, 1, &self->b, &self->op));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	expect_violation(_metadata, &self->r, 0, BASE_B + OFF_DATA, Q_WRITE,
			 "write");

	/* No view at all: the whole memory again, read/write/execute. */
	memset(again.view, 0, sizeof(again.view));
	again.nr_view_ranges = 0;
	ASSERT_EQ(0, context_set(self->s.fd, 0, &again, &self->op));
	ASSERT_EQ(0, context_set(self->s.fd, 1, &self->b, &self->op));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	EXPECT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Both contexts from their start again, A with @a, B as first made. */
static int restart_on(FIXTURE_DATA(views) *self, struct pmsw_context *a,
		      int cpu)
{
	if (context_set(self->s.fd, 0, a, &self->op) ||
	    context_set(self->s.fd, 1, &self->b, &self->op) || pin_to(cpu))
		return -1;
	return run(self->s.fd, 0, &self->r, self->t, MAX_T);
}

/*
 * The old view was used on both CPUs; after CONTEXT_SET narrowed it, the
 * write stops on each of them, the second one included, whose first use
 * of the new EPT comes a run later (the session's fresh mask).
 */
TEST_F(views, narrowed_view_holds_on_every_cpu)
{
	struct pmsw_context wide, narrow;
	int cpu;

	PMSW_NEED_SWITCHING();
	if (pmsw_count(&self->snap, 0) < 2)
		SKIP(return, "needs 2 CPUs");
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 3, SEED_A, BASE_B + OFF_DATA + TOUCH_WRITE);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_R | PMSW_VIEW_X,
		     0, 3, SEED_B, 0);
	narrow = wide = self->a;
	add_range(&wide, BASE_B + OFF_DATA, 0x1000, PMSW_VIEW_R | PMSW_VIEW_W);
	add_range(&narrow, BASE_B + OFF_DATA, 0x1000, PMSW_VIEW_R);
	self->a = wide;
	ASSERT_EQ(0, context_create(self->s.fd, &self->a, &self->op));
	ASSERT_EQ(1, context_create(self->s.fd, &self->b, &self->op));
	for (cpu = 0; cpu < 2; cpu++) {
		ASSERT_EQ(0, restart_on(self, &wide, cpu));
		EXPECT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
			TH_LOG("cpu %d: %s", cpu, self->r.reason);
	}
	for (cpu = 1; cpu >= 0; cpu--) {
		ASSERT_EQ(0, restart_on(self, &narrow, cpu));
		expect_violation(_metadata, &self->r, 0, BASE_B + OFF_DATA,
				 Q_WRITE, "write");
	}
	pin_to(0);
}

static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(views) *self, int err, __u32 rule,
			   const char *section)
{
	errno = 0;
	EXPECT_EQ(-1, context_create(self->s.fd, &self->a, &self->op));
	EXPECT_EQ(err, errno);
	EXPECT_EQ(1, self->op.nr_violations);
	EXPECT_EQ(rule, self->op.violation.rule)
		TH_LOG("rule %u: %s", self->op.violation.rule,
		       self->op.violation.text);
	EXPECT_STREQ(section, self->op.violation.section);
}

TEST_F(views, view_with_write_but_not_read_is_refused)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 1, SEED_A, 0);
	add_range(&self->a, BASE_B, 0x1000, PMSW_VIEW_W);
	expect_refused(_metadata, self, EINVAL, PMSW_RULE_VIEW_W_WITHOUT_R,
		       "29.3.3.1");
}

TEST_F(views, view_beyond_session_memory_is_refused)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_R | PMSW_VIEW_X,
		     1, 1, SEED_A, 0);
	add_range(&self->a, GUEST_MEM - 0x1000, 0x2000, PMSW_VIEW_R);
	expect_refused(_metadata, self, EINVAL, PMSW_RULE_VIEW_BOUNDS,
		       "pmswitch view");
	EXPECT_EQ(GUEST_MEM - 0x1000, self->op.violation.value);
}

/*
 * Execute-only code: refused with EOPNOTSUPP naming the capability on a
 * CPU without IA32_VMX_EPT_VPID_CAP[0]; on one with it, the code runs
 * and a read of its own code page stops the run.
 */
TEST_F(views, execute_only_code_follows_the_capability)
{
	PMSW_NEED_SWITCHING();
	view_context(self->s.mem, &self->a, BASE_A, PMSW_VIEW_X, 1, 3, SEED_A,
		     BASE_A + TOUCH_READ);
	view_context(self->s.mem, &self->b, BASE_B, PMSW_VIEW_X, 0, 3, SEED_B,
		     0);
	if (!(self->snap.info.caps.ept_vpid_cap & 1)) {
		expect_refused(_metadata, self, EOPNOTSUPP,
			       PMSW_RULE_VIEW_EXEC_ONLY, "29.3.3.1");
		EXPECT_NE(NULL, strstr(self->op.violation.text,
				       "IA32_VMX_EPT_VPID_CAP[0]"));
		return;
	}
	ASSERT_EQ(0, create_pair(_metadata, self));
	expect_violation(_metadata, &self->r, 0, BASE_A, Q_READ, "read");
	/* Both ran their rounds from execute-only pages first. */
	EXPECT_EQ(3, word_at(self->s.mem, BASE_A + OFF_DATA + 4));
	EXPECT_EQ(3, word_at(self->s.mem, BASE_B + OFF_DATA + 4));
}

TEST_HARNESS_MAIN
