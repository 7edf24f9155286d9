// SPDX-License-Identifier: GPL-2.0
/*
 * Thousands of contexts: one session holds PMSW_MAX_CONTEXTS (4096) of
 * them, refuses the next with ENOSPC, and runs a ring through all of
 * them (tools/guest/bench_ring.S: each context counts itself in its own
 * word of guest memory and switches to the next id, the last one stops),
 * once with every VMCS fresh and once more with all of them launched.
 * Destroyed ids are reused lowest first; an exit-less member needs an id
 * below 512, its index in the EPTP list (rule 821); closing the session
 * gives the contexts' memory back.
 * Needs pmswitch.ko and VT-x with EPT; skips otherwise.
 */
#include "kselftest_harness.h"
#include "pmsw_guest.h"
#include "bench_ring.h"

DECLARE_GUEST(bench_ring32);
extern const uint8_t guest_bench_ring32_arrive[];

#define NR	PMSW_MAX_CONTEXTS
/* The exit-less group's EPTP list has 512 entries (SDM 25.6.14). */
#define XL_IDS	512

FIXTURE(scale) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_context_op op;
	bool ready;
};

FIXTURE_SETUP(scale)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap);
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(scale)
{
	session_close(&self->s);
}

static uint32_t *ring_word(uint8_t *mem, uint32_t gpa)
{
	return (uint32_t *)(mem + gpa);
}

/* Context @id of a ring of @n: switches to @next (the first calibrates). */
static void ring_context(struct pmsw_context *c, uint32_t id, uint32_t next)
{
	uint64_t entry = RING_CODE;

	if (id)
		entry += guest_bench_ring32_arrive - guest_bench_ring32;
	make_context(c, FLAT32, entry, 0x80000);
	c->gpr[PMSW_RSI] = next;
	c->gpr[PMSW_RDI] = RING_DATA;
	c->gpr[PMSW_RBP] = RING_COUNTERS + 4 * id;
}

/* Free pages in KiB (/proc/meminfo MemFree), or -1. */
static long mem_free_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Contexts 0..@n-1 of a ring of @n, in order; 0 or -1. */
static int ring_create(struct __test_metadata *_metadata, struct session *s,
		       struct pmsw_context_op *op, uint32_t n)
{
	struct pmsw_context c;
	uint32_t id;

	LOAD_GUEST(s->mem, RING_CODE, bench_ring32);
	memset(s->mem + RING_COUNTERS, 0, 4 * NR);
	for (id = 0; id < n; id++) {
		ring_context(&c, id, (id + 1) % n);
		if (context_create(s->fd, &c, op) != (int)id) {
			TH_LOG("context %u: %s, rule %u: %s", id, strerror(errno),
			       op->violation.rule, op->violation.text);
			return -1;
		}
	}
	return 0;
}

/* Run from @from with @left switches to make; records off. */
static void ring_run(struct __test_metadata *_metadata,
		     FIXTURE_DATA(scale) *self, uint32_t from, uint32_t left,
		     uint32_t last)
{
	uint8_t *mem = self->s.mem;

	*ring_word(mem, RING_DATA + RING_LEFT) = left;
	*ring_word(mem, RING_DATA + RING_COUNT) = 0;
	ASSERT_EQ(0, run(self->s.fd, from, &self->r, NULL, 0));
	TH_LOG("run from %u: %s", from, self->r.reason);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	EXPECT_EQ(RING_STOP_CODE, self->r.stop_code);
	EXPECT_EQ(last, self->r.stop_context);
	EXPECT_EQ(0, *ring_word(mem, RING_DATA + RING_LEFT));
	/* One sample per arrival: every switch arrived somewhere. */
	EXPECT_EQ(left, *ring_word(mem, RING_DATA + RING_COUNT));
	EXPECT_EQ(0, self->r.nr_transitions);
}

/* Contexts whose counter is not @want (context @extra: @want + 1). */
static unsigned int miscounted(uint8_t *mem, uint32_t want, uint32_t extra)
{
	unsigned int id, bad = 0;

	for (id = 0; id < NR; id++)
		bad += *ring_word(mem, RING_COUNTERS + 4 * id) !=
		       want + (id == extra);
	return bad;
}

TEST_F_TIMEOUT(scale, ring_through_4096_contexts, 900)
{
	struct pmsw_context c;
	long before, full, after;

	PMSW_NEED_SWITCHING();
	before = mem_free_kb();
	ASSERT_EQ(0, ring_create(_metadata, &self->s, &self->op, NR));
	full = mem_free_kb();

	/* #4097: no id left. */
	ring_context(&c, 0, 0);
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, context_get(self->s.fd, NR, &c));
	EXPECT_EQ(ENOENT, errno);

	/* Each context switches to the next, the last one stops. */
	ring_run(_metadata, self, 0, NR - 1, NR - 1);
	EXPECT_EQ(0, miscounted(self->s.mem, 1, NR));
	/* All launched now: the last goes on, round to itself (RESUMEs). */
	ring_run(_metadata, self, NR - 1, NR, NR - 1);
	EXPECT_EQ(0, miscounted(self->s.mem, 2, NR - 1));

	TH_LOG("MemFree %ld kB before, %ld kB with %u contexts: %ld bytes each",
	       before, full, NR, (before - full) * 1024 / NR);
	/* At least the VMCS page each (SDM 25.2): the count is real. */
	EXPECT_GE((before - full) * 1024, (long)NR * 4096);
	session_close(&self->s);
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	after = mem_free_kb();
	TH_LOG("MemFree %ld kB after the session closed", after);
	/* Most of it back (per-CPU page lists and slabs may keep some). */
	EXPECT_GE(after, before - (before - full) / 4);
}

TEST_F_TIMEOUT(scale, destroyed_ids_are_reused_lowest_first, 900)
{
	static const uint32_t gone[] = { 4095, 7, 1000, 3, 2048 };
	static const uint32_t again[] = { 3, 7, 1000, 2048, 4095 };
	struct pmsw_context_op op = { .size = sizeof(op) };
	struct pmsw_context c;
	unsigned int i;

	PMSW_NEED_SWITCHING();
	ASSERT_EQ(0, ring_create(_metadata, &self->s, &self->op, NR));
	for (i = 0; i < ARRAY_SIZE(gone); i++) {
		op.id = gone[i];
		EXPECT_EQ(0, ioctl(self->s.fd, PMSW_IOC_CONTEXT_DESTROY, &op));
		EXPECT_EQ(-1, ioctl(self->s.fd, PMSW_IOC_CONTEXT_DESTROY, &op));
		EXPECT_EQ(ENOENT, errno);
	}
	for (i = 0; i < ARRAY_SIZE(again); i++) {
		ring_context(&c, again[i], (again[i] + 1) % NR);
		EXPECT_EQ((int)again[i], context_create(self->s.fd, &c, &self->op));
	}
	ring_context(&c, 0, 0);
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(ENOSPC, errno);

	/* The ring is whole again: one lap through all. */
	ring_run(_metadata, self, 0, NR - 1, NR - 1);
	EXPECT_EQ(0, miscounted(self->s.mem, 1, NR));
}

/*
 * A valid exit-less member in 32-bit paging (rules 811-820): a view of
 * the ring's memory, executable, and the SYSENTER MSRs left 0.
 */
static void xl_candidate(struct pmsw_context *c)
{
	make_context(c, PAGING32, RING_CODE, 0x80000);
	c->flags = PMSW_CONTEXT_F_EXITLESS;
	c->nr_view_ranges = 1;
	c->view[0] = (struct pmsw_view_range){
		.gpa = RING_CODE, .bytes = 0x10000,
		.perm = PMSW_VIEW_R | PMSW_VIEW_W | PMSW_VIEW_X,
	};
}

TEST_F_TIMEOUT(scale, exitless_member_needs_an_id_below_512, 900)
{
	struct pmsw_context_op op = { .size = sizeof(op) };
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	if (!(self->snap.info.features & PMSW_FEAT_EPTP_SWITCHING))
		SKIP(return, "the CPU lacks VM functions with EPTP switching (rule 811 comes first)");
	ASSERT_EQ(0, ring_create(_metadata, &self->s, &self->op, XL_IDS + 1));

	/* CREATE at id 513: refused with rule 821, nothing created. */
	xl_candidate(&c);
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, self->op.nr_violations);
	EXPECT_EQ(821, self->op.violation.rule);
	EXPECT_EQ(XL_IDS + 1, self->op.violation.value);
	TH_LOG("refused: %s", self->op.violation.text);
	EXPECT_EQ(-1, context_get(self->s.fd, XL_IDS + 1, &c));
	EXPECT_EQ(ENOENT, errno);

	/* SET of id 512 to a member: refused the same way, 512 unchanged. */
	xl_candidate(&c);
	EXPECT_EQ(-1, context_set(self->s.fd, XL_IDS, &c, &self->op));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(821, self->op.violation.rule);
	EXPECT_EQ(XL_IDS, self->op.violation.value);
	ASSERT_EQ(0, context_get(self->s.fd, XL_IDS, &c));
	EXPECT_EQ(0, c.flags & PMSW_CONTEXT_F_EXITLESS);

	/* The same context is a fine member at id 511. */
	op.id = XL_IDS - 1;
	ASSERT_EQ(0, ioctl(self->s.fd, PMSW_IOC_CONTEXT_DESTROY, &op));
	xl_candidate(&c);
	EXPECT_EQ(XL_IDS - 1, context_create(self->s.fd, &c, &self->op))
		TH_LOG("rule %u: %s", self->op.violation.rule,
		       self->op.violation.text);
}

TEST_HARNESS_MAIN
