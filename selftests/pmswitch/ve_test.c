// SPDX-License-Identifier: GPL-2.0
/*
 * #VE per context (issue 10, item 4) and the reserved range's first
 * pages: a context with PMSW_CONTEXT_F_VE handles its own EPT violations
 * through vector 20 with the information in its #VE page at
 * PMSW_RESERVED_BASE + PMSW_RESERVED_VE_INFO; a violation while the busy
 * word is set, or inside the reserved range, is an ordinary exit; a #VE
 * without a handler ends in a triple fault. CPUID leaf 0x40000001 and the
 * info page describe the range. On a CPU without the "EPT-violation #VE"
 * control the flag is refused with rule 810. Needs pmswitch.ko and VT-x
 * with EPT; skips otherwise.
 */
#include "kselftest_harness.h"
#include "check.h"
#include "pmsw_guest.h"

/*
 * Layout on top of pmsw_guest.h's: the context's IDT at GPA_VE_IDT, the
 * handler at GPA_HANDLER; results at GPA_RESULTS: the #VE count, the
 * records from 0x10 (0x30 bytes each), CPUID and info words at 0x100.
 */
#define GPA_VE_IDT	0x5000
#define GPA_HANDLER	0x18000
#define VIEW_BYTES	0x100000ULL

/* 4-MiB pages of the 32-bit page directory (GPA_PD32). */
#define LA_ALIAS	0x800000ULL	/* linear 8 MiB -> guest-physical 0 */
#define LA_BEYOND	0xc00000ULL	/* linear 12 MiB -> 0x40000000 */
#define GPA_BEYOND	0x40000000ULL

#define Q_READ		(1ULL << 0)
#define Q_WRITE		(1ULL << 1)
#define Q_ACCESS	7ULL
#define Q_GLA_VALID	(1ULL << 7)

#define MAX_T		64

struct ve_record {
	uint32_t exit_reason;
	uint32_t busy;
	uint64_t qualification;
	uint64_t guest_linear;
	uint64_t guest_physical;
	uint16_t eptp_index;
	uint8_t pad[14];
};

FIXTURE(ve) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	struct pmsw_context_op op;
	struct pmsw_context c;
	bool ready;
	bool has_ve;
};

FIXTURE_SETUP(ve)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap);
	self->has_ve = self->snap.info.features & PMSW_FEAT_EPT_VE;
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(ve)
{
	session_close(&self->s);
}

#define NEED_VE()							\
	do {								\
		if (!self->ready)					\
			SKIP(return, "needs pmswitch.ko and VT-x with EPT"); \
		if (!self->has_ve)					\
			SKIP(return, "the CPU lacks \"EPT-violation #VE\" (IA32_VMX_PROCBASED_CTLS2[50])"); \
	} while (0)

/* An interrupt gate (type 14, DPL 0) for @vector to @handler. */
static void set_gate(uint8_t *mem, unsigned int vector, uint32_t handler)
{
	uint64_t g = (handler & 0xffffULL) | ((uint64_t)SEL_CODE32 << 16) |
		     (0x8eULL << 40) | ((uint64_t)(handler >> 16) << 48);

	memcpy(mem + GPA_VE_IDT + vector * 8, &g, 8);
}

/*
 * A #VE context running ve32 with 32-bit paging: linear = physical for
 * the first 4 MiB and the reserved range, LA_ALIAS and LA_BEYOND as
 * above. It reads @read_la, then writes @write_la; the handler re-arms
 * if @rearm. With @handler false its IDT is empty (limit 0).
 */
static void ve_context(FIXTURE_DATA(ve) *self, uint64_t read_la,
		       uint64_t write_la, bool rearm, bool handler)
{
	uint32_t *pd = (uint32_t *)(self->s.mem + GPA_PD32);
	struct pmsw_context *c = &self->c;

	pd[LA_ALIAS >> 22] = 0x83;
	pd[LA_BEYOND >> 22] = GPA_BEYOND | 0x83;
	pd[PMSW_RESERVED_BASE >> 22] = PMSW_RESERVED_BASE | 0x83;
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, ve32);
	LOAD_GUEST(self->s.mem, GPA_HANDLER, ve32_handler);
	memset(self->s.mem + GPA_RESULTS, 0, 0x1000);
	memset(self->s.mem + GPA_VE_IDT, 0, 0x1000);
	set_gate(self->s.mem, 20, GPA_HANDLER);

	make_context(c, PAGING32, GPA_ORIGIN, 0x80000);
	c->flags = PMSW_CONTEXT_F_VE;
	c->idtr.base = GPA_VE_IDT;
	c->idtr.limit = handler ? 21 * 8 - 1 : 0;
	c->gpr[PMSW_RDI] = GPA_RESULTS;
	c->gpr[PMSW_RBP] = read_la;
	c->gpr[PMSW_RSI] = write_la;
	c->gpr[PMSW_RBX] = rearm;
}

/* A scratch word the guest may touch without a violation. */
#define LA_OK	(GPA_RESULTS + 0x800)

static uint32_t word(const uint8_t *mem, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, mem + gpa, 4);
	return v;
}

static struct ve_record record(const uint8_t *mem, unsigned int i)
{
	struct ve_record r;

	memcpy(&r, mem + GPA_RESULTS + 0x10 + i * 0x30, sizeof(r));
	return r;
}

static uint64_t ept_exits(FIXTURE_DATA(ve) *self)
{
	struct pmsw_stats st = { .size = sizeof(st) };

	if (ioctl(self->s.fd, PMSW_IOC_STATS, &st))
		return ~0ULL;
	return st.exits[PMSW_EXIT_EPT_VIOLATION];
}

static int create_and_run(FIXTURE_DATA(ve) *self)
{
	if (context_create(self->s.fd, &self->c, &self->op) != 0)
		return -1;
	return run(self->s.fd, 0, &self->r, self->t, MAX_T);
}

static void expect_record(struct __test_metadata *_metadata,
			  const struct ve_record *r, uint64_t access,
			  uint64_t gla, uint64_t gpa)
{
	EXPECT_EQ(PMSW_EXIT_EPT_VIOLATION, r->exit_reason);
	EXPECT_EQ(0xffffffffu, r->busy);
	EXPECT_EQ(access, r->qualification & Q_ACCESS)
		TH_LOG("qualification %#llx",
		       (unsigned long long)r->qualification);
	EXPECT_TRUE(r->qualification & Q_GLA_VALID);
	EXPECT_EQ(gla, r->guest_linear);
	EXPECT_EQ(gpa, r->guest_physical);
	EXPECT_EQ(0, r->eptp_index);
}

static void expect_exit(struct __test_metadata *_metadata,
			const struct pmsw_run *r, uint64_t gpa,
			uint64_t access, const char *words)
{
	char want[96];

	EXPECT_EQ(PMSW_STOP_EXIT, r->stop_reason) TH_LOG("%s", r->reason);
	EXPECT_EQ(PMSW_EXIT_EPT_VIOLATION, r->exit.reason & 0xffff);
	EXPECT_EQ(gpa, r->exit.guest_physical);
	EXPECT_EQ(access, r->exit.qualification & Q_ACCESS);
	snprintf(want, sizeof(want), "%s at guest-physical %#llx", words,
		 (unsigned long long)gpa);
	EXPECT_NE(NULL, strstr(r->reason, want))
		TH_LOG("reason '%s', want '%s'", r->reason, want);
}

/*
 * Outside its view (a read) and beyond session memory (a write): two
 * #VEs the handler records and re-arms, no EPT-violation exit at all.
 */
TEST_F(ve, handler_records_violations_without_an_exit)
{
	struct ve_record a, b;

	NEED_VE();
	ve_context(self, LA_ALIAS + 0x200010, LA_BEYOND + 0x2008, true, true);
	self->c.view[0] = (struct pmsw_view_range){
		.gpa = 0, .bytes = VIEW_BYTES, .perm = PMSW_VIEW_RWX,
	};
	self->c.nr_view_ranges = 1;
	ASSERT_EQ(0, create_and_run(self))
		TH_LOG("errno %d, rule %u: %s", errno, self->op.violation.rule,
		       self->op.violation.text);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0x600d, self->r.stop_code);
	ASSERT_EQ(2, word(self->s.mem, GPA_RESULTS));
	a = record(self->s.mem, 0);
	b = record(self->s.mem, 1);
	expect_record(_metadata, &a, Q_READ, LA_ALIAS + 0x200010, 0x200010);
	expect_record(_metadata, &b, Q_WRITE, LA_BEYOND + 0x2008,
		      GPA_BEYOND + 0x2008);
	/* The write was retried on the scratch word. */
	EXPECT_EQ(0x5a5a5a5a, word(self->s.mem, GPA_RESULTS + 0x400));
	EXPECT_EQ(0, ept_exits(self));
}

/* The handler does not re-arm: the second violation is an exit. */
TEST_F(ve, busy_word_left_set_makes_the_next_violation_an_exit)
{
	struct ve_record a;

	NEED_VE();
	ve_context(self, LA_BEYOND + 0x10, LA_BEYOND + 0x3000, false, true);
	ASSERT_EQ(0, create_and_run(self))
		TH_LOG("errno %d, rule %u: %s", errno, self->op.violation.rule,
		       self->op.violation.text);
	expect_exit(_metadata, &self->r, GPA_BEYOND + 0x3000, Q_WRITE,
		    "write");
	ASSERT_EQ(1, word(self->s.mem, GPA_RESULTS));
	a = record(self->s.mem, 0);
	expect_record(_metadata, &a, Q_READ, LA_BEYOND + 0x10,
		      GPA_BEYOND + 0x10);
	EXPECT_EQ(1, ept_exits(self));
}

/*
 * CONTEXT_SET that sets the flag gives the context its own EPT with the
 * #VE page from the next entry on; clearing it again makes the same
 * touch an exit, on the session's EPT.
 */
TEST_F(ve, setting_and_clearing_the_flag_applies_from_the_next_entry)
{
	struct pmsw_context plain;
	struct ve_record a;

	NEED_VE();
	ve_context(self, LA_BEYOND + 0x10, LA_OK, true, true);
	plain = self->c;
	plain.flags = 0;
	ASSERT_EQ(0, context_create(self->s.fd, &plain, &self->op));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	expect_exit(_metadata, &self->r, GPA_BEYOND + 0x10, Q_READ, "read");
	EXPECT_EQ(0, word(self->s.mem, GPA_RESULTS));

	ASSERT_EQ(0, context_set(self->s.fd, 0, &self->c, &self->op))
		TH_LOG("errno %d, rule %u", errno, self->op.violation.rule);
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	ASSERT_EQ(1, word(self->s.mem, GPA_RESULTS));
	a = record(self->s.mem, 0);
	expect_record(_metadata, &a, Q_READ, LA_BEYOND + 0x10,
		      GPA_BEYOND + 0x10);
	EXPECT_EQ(1, ept_exits(self));

	memset(self->s.mem + GPA_RESULTS, 0, 0x1000);
	ASSERT_EQ(0, context_set(self->s.fd, 0, &plain, &self->op));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	expect_exit(_metadata, &self->r, GPA_BEYOND + 0x10, Q_READ, "read");
	EXPECT_EQ(0, word(self->s.mem, GPA_RESULTS));
	EXPECT_EQ(2, ept_exits(self));
}

/* The info page is read-only and suppresses #VE: the write exits. */
TEST_F(ve, write_to_the_info_page_stops_the_run)
{
	NEED_VE();
	ve_context(self, LA_OK, PMSW_RESERVED_BASE + PMSW_RESERVED_INFO + 8,
		   true, true);
	ASSERT_EQ(0, create_and_run(self));
	expect_exit(_metadata, &self->r,
		    PMSW_RESERVED_BASE + PMSW_RESERVED_INFO + 8, Q_WRITE,
		    "write");
	EXPECT_EQ(0, word(self->s.mem, GPA_RESULTS));
	/* The page still says what it said. */
	EXPECT_EQ(PMSW_RESERVED_MAGIC, word(self->s.mem, GPA_RESULTS + 0x110));
}

/* An unmapped page of the range (the future routine): an exit too. */
TEST_F(ve, touch_of_an_unmapped_reserved_page_stops_the_run)
{
	NEED_VE();
	ve_context(self, PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE, LA_OK,
		   true, true);
	ASSERT_EQ(0, create_and_run(self));
	expect_exit(_metadata, &self->r,
		    PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE, Q_READ, "read");
	EXPECT_EQ(0, word(self->s.mem, GPA_RESULTS));
}

/* CPUID 0x40000001 and the info page describe the range. */
TEST_F(ve, cpuid_and_info_page_describe_the_range)
{
	const uint8_t *res;
	uint32_t rf;

	NEED_VE();
	ve_context(self, LA_OK, LA_OK, true, true);
	ASSERT_EQ(0, create_and_run(self));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	res = self->s.mem + GPA_RESULTS + 0x100;
	rf = PMSW_RF_VIEWS | PMSW_RF_VE;
	if (self->snap.info.features & PMSW_FEAT_EPTP_SWITCHING)
		rf |= PMSW_RF_EXITLESS;
	EXPECT_EQ((uint32_t)PMSW_RESERVED_BASE, word(res, 0));
	EXPECT_EQ(PMSW_RESERVED_SIZE, word(res, 4));
	EXPECT_EQ(rf, word(res, 8));
	EXPECT_EQ(0, word(res, 12));
	EXPECT_EQ(PMSW_RESERVED_MAGIC, word(res, 0x10));
	EXPECT_EQ(rf, word(res, 0x14));
	EXPECT_EQ(PMSW_RESERVED_VE_INFO, word(res, 0x18));
	EXPECT_EQ(0, word(self->s.mem, GPA_RESULTS));
	EXPECT_EQ(0, ept_exits(self));
}

/*
 * No handler: the #VE's delivery through an IDT with limit 0 faults
 * (#GP, #DF), and the run stops on the triple fault, not in the guest.
 */
TEST_F(ve, ve_without_a_handler_ends_in_a_triple_fault)
{
	NEED_VE();
	ve_context(self, LA_BEYOND, LA_OK, true, false);
	ASSERT_EQ(0, create_and_run(self));
	EXPECT_EQ(PMSW_STOP_EXIT, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(PMSW_EXIT_TRIPLE_FAULT, self->r.exit.reason & 0xffff);
	EXPECT_NE(NULL, strstr(self->r.reason, "triple fault"))
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0, word(self->s.mem, GPA_RESULTS));
	EXPECT_EQ(0, ept_exits(self));
}

/* Without the control the flag is refused, naming it (rule 810). */
TEST_F(ve, refused_where_the_cpu_lacks_the_control)
{
	if (!self->ready)
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	if (self->has_ve)
		SKIP(return, "this CPU has \"EPT-violation #VE\": nothing to refuse");
	ve_context(self, LA_OK, LA_OK, true, true);
	errno = 0;
	EXPECT_EQ(-1, context_create(self->s.fd, &self->c, &self->op));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(1, self->op.nr_violations);
	EXPECT_EQ(PMSW_RULE_VE_UNSUPPORTED, self->op.violation.rule);
	EXPECT_STREQ("26.5.7", self->op.violation.section);
	EXPECT_NE(NULL, strstr(self->op.violation.text,
			       "IA32_VMX_PROCBASED_CTLS2[50]"));
	/* Everything else still works: the same context without #VE. */
	self->c.flags = 0;
	EXPECT_EQ(0, context_create(self->s.fd, &self->c, &self->op));
}

/* Where #VE is missing, leaf 0x40000001 says so too. */
TEST_F(ve, cpuid_reports_no_ve_where_the_cpu_lacks_it)
{
	if (!self->ready)
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	if (self->has_ve)
		SKIP(return, "this CPU has \"EPT-violation #VE\"");
	ve_context(self, LA_OK, LA_OK, true, true);
	self->c.flags = 0;
	ASSERT_EQ(0, create_and_run(self));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(PMSW_RF_VIEWS, word(self->s.mem, GPA_RESULTS + 0x108));
	EXPECT_EQ(PMSW_RF_VIEWS, word(self->s.mem, GPA_RESULTS + 0x114));
}

TEST_HARNESS_MAIN
