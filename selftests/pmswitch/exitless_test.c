// SPDX-License-Identifier: GPL-2.0
/*
 * The exit-less switch (issue 10, item 3; Documentation/exitless.rst):
 * two members with different CR3, GDTR, IDTR and stacks, 64-bit and then
 * 32-bit paging, call the switch routine 1,000 times between them; each
 * checks its own state after every switch, and the run needs no VM exit
 * for them. After an exit in the middle of the group the module names
 * the member that was running and resumes the other at its saved point.
 * Attacks (VMFUNC with a foreign or unknown index from a member's own
 * code, a jump into the routine after its VMFUNC, SYSENTER from a
 * member's code, RFLAGS.NT across the switch) never run the other
 * member's code but at its resume point; the group rules refuse shared
 * executable memory, shared roots, CR4.PGE and foreign SYSENTER MSRs.
 * Needs pmswitch.ko and VT-x with EPT and EPTP switching; skips
 * otherwise (and checks the refusal where the CPU lacks VM functions).
 */
#define _GNU_SOURCE
#include <sched.h>

#include "kselftest_harness.h"
#include "check.h"
#include "pmsw_guest.h"

/*
 * Each member's memory, from its base: code (read, execute), page
 * tables (PML4, PDPT, the PDs for 0-1 GiB and 3-4 GiB), its GDT, TSS and
 * IDT, its data page and its stack (read, write).
 */
#define BASE_A		0x100000ULL
#define BASE_B		0x200000ULL
#define OFF_PML4	0x1000
#define OFF_PDPT	0x2000
#define OFF_PD0		0x3000
#define OFF_PD3		0x4000
#define OFF_GDT		0x5000
#define OFF_TSS		0x5400
#define OFF_IDT		0x5800
#define OFF_DATA	0x6000
#define STACK_LOW	0x7000
#define VIEW_END	0x8000

/* The data page (guests.S, xl_member64 and xl_attack64). */
#define XL_CR3		0
#define XL_GDT_BASE	8
#define XL_GDT_LIMIT	16
#define XL_IDT_BASE	24
#define XL_IDT_LIMIT	32
#define XL_STACK_LOW	40
#define XL_STACK_HIGH	48
#define XL_OK		56
#define XL_OTHER	64
#define XL_RUNS		72
#define XL_REMAINING	80
#define XL_MARKER	88
#define XL_STOP_CODE	96
#define XL_ATTACK	104
#define XL_ARG		112
#define XL_TSC0		120
#define XL_TSC1		128
#define XL_ENTRIES	136
#define XL_EXITS	144
#define XL_ID		152

#define ROUTINE		(PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE)
#define ROUNDS		500
#define MAX_T		64

/* The routine's parts (kmod/exitless_routine.S, linked in as data). */
extern const unsigned int pmsw_xl_offsets[6];
#define VMFUNC64_OFFSET	(pmsw_xl_offsets[1])

FIXTURE(xl) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	struct pmsw_context_op op;
	struct pmsw_context a, b;
	bool ready;
	bool has_xl;
};

FIXTURE_SETUP(xl)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap);
	self->has_xl = self->snap.info.features & PMSW_FEAT_EPTP_SWITCHING;
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(xl)
{
	session_close(&self->s);
}

#define NEED_XL()							\
	do {								\
		if (!self->ready)					\
			SKIP(return, "needs pmswitch.ko and VT-x with EPT"); \
		if (!self->has_xl)					\
			SKIP(return, "the CPU lacks VM functions with EPTP switching"); \
	} while (0)

static uint64_t *q(uint8_t *mem, uint64_t gpa)
{
	return (uint64_t *)(mem + gpa);
}

static void add_range(struct pmsw_context *c, uint64_t gpa, uint64_t bytes,
		      uint32_t perm)
{
	c->view[c->nr_view_ranges++] = (struct pmsw_view_range){
		.gpa = gpa, .bytes = bytes, .perm = perm,
	};
}

/*
 * A 64-bit member at @base running @code, with its own page tables
 * (identity: 0-4 MiB and the reserved range), GDT (limit @gdt_limit),
 * IDT (limit @idt_limit), TSS, data page and stack, and a view of
 * exactly those. @remaining: checks before it stops with @stop_code.
 */
static void member(uint8_t *mem, struct pmsw_context *c, uint64_t base,
		   const uint8_t *code, size_t len, unsigned int other,
		   uint16_t gdt_limit, uint16_t idt_limit, uint64_t remaining,
		   uint64_t stop_code, bool paging32)
{
	uint64_t data = base + OFF_DATA;

	memcpy(mem + base, code, len);
	if (paging32) {
		/* A page directory of 4-MiB pages: 0-4 MiB and the range. */
		uint32_t *pd = (uint32_t *)(mem + base + OFF_PML4);

		memset(pd, 0, 0x1000);
		pd[0] = 0x83;
		pd[PMSW_RESERVED_BASE >> 22] = PMSW_RESERVED_BASE | 0x83;
	} else {
		*q(mem, base + OFF_PML4) = (base + OFF_PDPT) | 3;
		*q(mem, base + OFF_PDPT) = (base + OFF_PD0) | 3;
		*q(mem, base + OFF_PDPT + 3 * 8) = (base + OFF_PD3) | 3;
		*q(mem, base + OFF_PD0) = 0x83;
		*q(mem, base + OFF_PD0 + 8) = 0x200083;
		/* The first 2 MiB of the range, identity. */
		*q(mem, base + OFF_PD3 + 510 * 8) = PMSW_RESERVED_BASE | 0x83;
	}
	memcpy(mem + base + OFF_GDT, mem + GPA_GDT, 0x40);

	make_context(c, paging32 ? PAGING32 : LONG64, base, base + VIEW_END);
	c->flags = PMSW_CONTEXT_F_EXITLESS;
	c->cr3 = base + OFF_PML4;
	c->gdtr.base = base + OFF_GDT;
	c->gdtr.limit = gdt_limit;
	c->idtr.base = base + OFF_IDT;
	c->idtr.limit = idt_limit;
	c->seg[PMSW_SEG_TR].base = base + OFF_TSS;

	memset(mem + data, 0, 0x1000);
	*q(mem, data + XL_CR3) = c->cr3;
	*q(mem, data + XL_GDT_BASE) = c->gdtr.base;
	*q(mem, data + XL_GDT_LIMIT) = gdt_limit;
	*q(mem, data + XL_IDT_BASE) = c->idtr.base;
	*q(mem, data + XL_IDT_LIMIT) = idt_limit;
	*q(mem, data + XL_STACK_LOW) = base + STACK_LOW;
	*q(mem, data + XL_STACK_HIGH) = base + VIEW_END;
	*q(mem, data + XL_REMAINING) = remaining;
	*q(mem, data + XL_STOP_CODE) = stop_code;
	*q(mem, data + XL_OTHER) = other;

	add_range(c, base, 0x1000, PMSW_VIEW_R | PMSW_VIEW_X);
	add_range(c, base + OFF_PML4, VIEW_END - OFF_PML4,
		  PMSW_VIEW_R | PMSW_VIEW_W);
}

#define MEMBER(mem, c, base, name, ...)					\
	member(mem, c, base, guest_##name,				\
	       guest_##name##_end - guest_##name, __VA_ARGS__, false)
#define MEMBER32(mem, c, base, name, ...)				\
	member(mem, c, base, guest_##name,				\
	       guest_##name##_end - guest_##name, __VA_ARGS__, true)

/* A (0) and B (1) as ping-pong members; A stops with 0xa, B with 0xb. */
static void pair(FIXTURE_DATA(xl) *self, uint64_t rem_a, uint64_t rem_b)
{
	MEMBER(self->s.mem, &self->a, BASE_A, xl_member64, 1, 0x3f, 0x7ff,
	       rem_a, 0xa);
	MEMBER(self->s.mem, &self->b, BASE_B, xl_member64, 0, 0x27, 0x3ff,
	       rem_b, 0xb);
}

/* The same pair in 32-bit paging. */
static void pair32(FIXTURE_DATA(xl) *self, uint64_t rem_a, uint64_t rem_b)
{
	MEMBER32(self->s.mem, &self->a, BASE_A, xl_member32, 1, 0x3f, 0x7ff,
		 rem_a, 0xa);
	MEMBER32(self->s.mem, &self->b, BASE_B, xl_member32, 0, 0x27, 0x3ff,
		 rem_b, 0xb);
}

static int create_pair(struct __test_metadata *_metadata,
		       FIXTURE_DATA(xl) *self)
{
	EXPECT_EQ(0, context_create(self->s.fd, &self->a, &self->op))
		TH_LOG("A: errno %d, rule %u: %s", errno,
		       self->op.violation.rule, self->op.violation.text);
	EXPECT_EQ(1, context_create(self->s.fd, &self->b, &self->op))
		TH_LOG("B: errno %d, rule %u: %s", errno,
		       self->op.violation.rule, self->op.violation.text);
	return _metadata->passed ? 0 : -1;
}

static uint64_t data(FIXTURE_DATA(xl) *self, uint64_t base, unsigned int off)
{
	return *q(self->s.mem, base + OFF_DATA + off);
}

static void stats(FIXTURE_DATA(xl) *self, struct pmsw_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(self->s.fd, PMSW_IOC_STATS, st))
		memset(st->exits, 0xff, sizeof(st->exits));
}

/*
 * A and B switch 500 times each; the checks each made (XL_OK) count the
 * switches that arrived with the right CR3, GDTR, IDTR and stack.
 */
static int xl_state(int fd, uint32_t id, struct pmsw_xl_state_op *xs)
{
	memset(xs, 0, sizeof(*xs));
	xs->size = sizeof(*xs);
	xs->id = id;
	return ioctl(fd, PMSW_IOC_XL_STATE, xs);
}

static void thousand_switches(struct __test_metadata *_metadata,
			      FIXTURE_DATA(xl) *self, const char *mode)
{
	struct pmsw_xl_state_op xs;
	struct pmsw_stats st;
	uint64_t host_exits;

	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0xa, self->r.stop_code);
	EXPECT_EQ(0, self->r.stop_context);
	/* A: a check at entry and after each of B's 500 switches back. */
	EXPECT_EQ(ROUNDS + 1, data(self, BASE_A, XL_OK));
	/* B: a check at entry and after each of A's 499 later switches. */
	EXPECT_EQ(ROUNDS, data(self, BASE_B, XL_OK));
	/* The routine's counts in each state page, as each last saw them. */
	EXPECT_EQ(ROUNDS, data(self, BASE_A, XL_ENTRIES));
	EXPECT_EQ(ROUNDS, data(self, BASE_A, XL_EXITS));
	EXPECT_EQ(0, data(self, BASE_A, XL_ID));
	EXPECT_EQ(ROUNDS, data(self, BASE_B, XL_ENTRIES));
	EXPECT_EQ(ROUNDS - 1, data(self, BASE_B, XL_EXITS));
	EXPECT_EQ(1, data(self, BASE_B, XL_ID));
	/* The same counts through PMSW_IOC_XL_STATE; B's last exit too. */
	ASSERT_EQ(0, xl_state(self->s.fd, 0, &xs));
	EXPECT_EQ(ROUNDS, xs.state.entries);
	EXPECT_EQ(ROUNDS, xs.state.exits);
	EXPECT_EQ(0, xs.state.id);
	ASSERT_EQ(0, xl_state(self->s.fd, 1, &xs));
	EXPECT_EQ(ROUNDS, xs.state.entries);
	EXPECT_EQ(ROUNDS, xs.state.exits);
	EXPECT_EQ(1, xs.state.id);
	EXPECT_EQ(BASE_B + OFF_PML4, xs.state.cr3);

	stats(self, &st);
	host_exits = st.exits[PMSW_EXIT_EXTERNAL_INTERRUPT] +
		     st.exits[PMSW_EXIT_PREEMPTION_TIMER] +
		     st.exits[PMSW_EXIT_EXCEPTION_NMI];
	TH_LOG("%s, 1000 switches: %u entries, exits: %llu VMCALL, %llu host interrupt, %llu preemption timer, %llu NMI",
	       mode, self->r.total_transitions,
	       (unsigned long long)st.exits[PMSW_EXIT_VMCALL],
	       (unsigned long long)st.exits[PMSW_EXIT_EXTERNAL_INTERRUPT],
	       (unsigned long long)st.exits[PMSW_EXIT_PREEMPTION_TIMER],
	       (unsigned long long)st.exits[PMSW_EXIT_EXCEPTION_NMI]);
	/*
	 * The path length: under Bochs one TSC tick is one instruction
	 * (testbed.rst); the members' own checks (about 30 instructions
	 * per switch) and any host exit are included.
	 */
	TH_LOG("%s: %llu TSC ticks per exit-less switch, checks included",
	       mode, (unsigned long long)(data(self, BASE_A, XL_TSC1) -
					  data(self, BASE_A, XL_TSC0)) /
	       (2 * ROUNDS));
	EXPECT_LT(data(self, BASE_A, XL_TSC0), data(self, BASE_A, XL_TSC1));
	/* One VMCALL (the stop); every other exit is the host's. */
	EXPECT_EQ(1, st.exits[PMSW_EXIT_VMCALL]);
	EXPECT_EQ(0, st.exits[PMSW_EXIT_VMFUNC]);
	EXPECT_EQ(0, st.exits[PMSW_EXIT_EPT_VIOLATION]);
	EXPECT_EQ(0, st.exits[PMSW_EXIT_CR_ACCESS]);
	EXPECT_EQ(1 + host_exits, self->r.total_transitions);
}

TEST_F(xl, thousand_switches_without_an_exit)
{
	NEED_XL();
	pair(self, ROUNDS + 1, ROUNDS + 2);
	thousand_switches(_metadata, self, "64-bit");
}

TEST_F(xl, thousand_32bit_paging_switches_without_an_exit)
{
	NEED_XL();
	pair32(self, ROUNDS + 1, ROUNDS + 2);
	thousand_switches(_metadata, self, "32-bit paging");
}

/*
 * A member submitted with its SYSENTER MSRs at 0 gets the routine's, by
 * its mode (rule 820); its own values are refused.
 */
TEST_F(xl, members_get_the_routines_sysenter_msrs)
{
	struct pmsw_context got;

	NEED_XL();
	pair32(self, 1, 1);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, context_get(self->s.fd, 0, &got));
	EXPECT_EQ(PMSW_XL_SYSENTER_CS, got.sysenter_cs);
	EXPECT_EQ(PMSW_XL_SYSENTER_ESP, got.sysenter_esp);
	EXPECT_EQ(PMSW_XL_POST32, got.sysenter_eip);
	/* Given back unchanged, it is accepted. */
	EXPECT_EQ(0, context_set(self->s.fd, 0, &got, &self->op))
		TH_LOG("rule %u: %s", self->op.violation.rule,
		       self->op.violation.text);
	got.sysenter_eip = PMSW_XL_POST64;
	errno = 0;
	EXPECT_EQ(-1, context_set(self->s.fd, 0, &got, &self->op));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(PMSW_RULE_XL_SYSENTER, self->op.violation.rule);
	/* XL_STATE: a member's page; no context; not a member; bad size. */
	{
		struct pmsw_xl_state_op xs;

		ASSERT_EQ(0, xl_state(self->s.fd, 1, &xs));
		EXPECT_EQ(1, xs.state.id);
		EXPECT_EQ(BASE_B, xs.state.rip);
		EXPECT_EQ(-1, xl_state(self->s.fd, 9, &xs));
		EXPECT_EQ(ENOENT, errno);
		xs.size--;
		EXPECT_EQ(-1, ioctl(self->s.fd, PMSW_IOC_XL_STATE, &xs));
		EXPECT_EQ(EINVAL, errno);
	}
	/* A 64-bit member gets the 64-bit path. */
	MEMBER(self->s.mem, &self->a, 0x300000, xl_member64, 0, 0x3f, 0x7ff,
	       1, 0xa);
	self->a.flags = 0;
	ASSERT_EQ(2, context_create(self->s.fd, &self->a, &self->op));
	{
		struct pmsw_xl_state_op xs;

		EXPECT_EQ(-1, xl_state(self->s.fd, 2, &xs));
		EXPECT_EQ(EINVAL, errno);
	}
	self->a.flags = PMSW_CONTEXT_F_EXITLESS;
	errno = 0;
	/* Not the group's mode (815), but the MSRs come first (820). */
	self->a.sysenter_eip = 0x1000;
	EXPECT_EQ(-1, context_set(self->s.fd, 2, &self->a, &self->op));
	EXPECT_EQ(PMSW_RULE_XL_SYSENTER, self->op.violation.rule);
}

/*
 * xl_member64's return address from the routine holds the JMP back to
 * its checks (short or near); where it stops, HLT follows the VMCALL.
 */
static bool at_jmp(const uint8_t *mem, uint64_t rip)
{
	return mem[rip] == 0xeb || mem[rip] == 0xe9;
}

/*
 * B stops the run in the middle: the module names B, shows A at its
 * resume point (after its call), and a VM entry of A continues there
 * with A's own CR3, GDTR, IDTR and stack.
 */
TEST_F(xl, exit_in_the_group_names_the_running_member)
{
	struct pmsw_context got;
	struct pmsw_stats st;

	NEED_XL();
	pair(self, 3, 1);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0xb, self->r.stop_code);
	EXPECT_EQ(1, self->r.stop_context);
	/* One VM exit of the guests' own (B's stop); host exits may add. */
	stats(self, &st);
	EXPECT_EQ(1, st.exits[PMSW_EXIT_VMCALL]);
	EXPECT_EQ(1 + st.exits[PMSW_EXIT_EXTERNAL_INTERRUPT] +
		  st.exits[PMSW_EXIT_PREEMPTION_TIMER] +
		  st.exits[PMSW_EXIT_EXCEPTION_NMI],
		  self->r.total_transitions);
	EXPECT_EQ(1, data(self, BASE_A, XL_OK));
	EXPECT_EQ(1, data(self, BASE_B, XL_OK));

	/* A: its resume point, inside its code, on its stack, its CR3. */
	ASSERT_EQ(0, context_get(self->s.fd, 0, &got));
	EXPECT_LT(BASE_A, got.rip);
	EXPECT_GT(BASE_A + (guest_xl_member64_end - guest_xl_member64),
		  got.rip);
	EXPECT_TRUE(at_jmp(self->s.mem, got.rip));
	EXPECT_EQ(BASE_A + OFF_PML4, got.cr3);
	EXPECT_EQ(BASE_A + VIEW_END, got.rsp);
	EXPECT_EQ(BASE_A + OFF_GDT, got.gdtr.base);
	EXPECT_EQ(0x3f, got.gdtr.limit);
	/* B: after its VMCALL, in its code, its CR3. */
	ASSERT_EQ(0, context_get(self->s.fd, 1, &got));
	EXPECT_LT(BASE_B, got.rip);
	EXPECT_GT(BASE_B + (guest_xl_member64_end - guest_xl_member64),
		  got.rip);
	EXPECT_EQ(BASE_B + OFF_PML4, got.cr3);
	EXPECT_EQ(BASE_B + OFF_IDT, got.idtr.base);
	EXPECT_EQ(0x3ff, got.idtr.limit);

	/*
	 * Enter A: it checks its state after the return (2), switches to B,
	 * which starts over from its entry point (its state page: it left
	 * through VMCALL) and checks (2), switches back: A checks (3), and
	 * its count has run out.
	 */
	*q(self->s.mem, BASE_B + OFF_DATA + XL_REMAINING) = 100;
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0xa, self->r.stop_code);
	EXPECT_EQ(0, self->r.stop_context);
	EXPECT_EQ(3, data(self, BASE_A, XL_OK));
	EXPECT_EQ(2, data(self, BASE_B, XL_OK));
}

/*
 * B ran and stopped by VM exit (its VMCS is newer than its
 * bookkeeping); then, in a run entered as A, B switches out to C
 * without an exit and C stops. B's bookkeeping takes its resume point
 * though its VMCS cannot be read then: a VM entry of B continues after
 * its call, not after its old VMCALL.
 */
TEST_F(xl, member_switched_out_after_its_own_exit_resumes_at_the_switch)
{
	struct pmsw_context c;

	NEED_XL();
	MEMBER(self->s.mem, &self->a, BASE_A, xl_member64, 1, 0x3f, 0x7ff,
	       5, 0xa);
	MEMBER(self->s.mem, &self->b, BASE_B, xl_member64, 2, 0x27, 0x3ff,
	       1, 0xb);
	MEMBER(self->s.mem, &c, 0x300000, xl_member64, 0, 0x2f, 0x5ff, 1,
	       0xc);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(2, context_create(self->s.fd, &c, &self->op))
		TH_LOG("rule %u: %s", self->op.violation.rule,
		       self->op.violation.text);
	/* B alone: one check, then its VMCALL stop. */
	ASSERT_EQ(0, run(self->s.fd, 1, &self->r, self->t, MAX_T));
	ASSERT_EQ(0xb, self->r.stop_code) TH_LOG("%s", self->r.reason);
	/* A -> B (its entry point) -> C, which stops. */
	*q(self->s.mem, BASE_B + OFF_DATA + XL_REMAINING) = 2;
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0xc, self->r.stop_code);
	EXPECT_EQ(2, self->r.stop_context);
	EXPECT_EQ(2, data(self, BASE_B, XL_OK));
	/* CONTEXT_GET shows B at its resume point: the JMP after the call. */
	ASSERT_EQ(0, context_get(self->s.fd, 1, &c));
	EXPECT_TRUE(at_jmp(self->s.mem, c.rip))
		TH_LOG("B at %#llx: byte %#x", (unsigned long long)c.rip,
		       self->s.mem[c.rip]);
	/* B again: after its call, one more check, its stop. */
	ASSERT_EQ(0, run(self->s.fd, 1, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0xb, self->r.stop_code);
	EXPECT_EQ(1, self->r.stop_context);
	EXPECT_EQ(3, data(self, BASE_B, XL_OK));
}

/* The attacker A and B, whose code writes a marker if it ever runs. */
static void attack_pair(FIXTURE_DATA(xl) *self, uint64_t mode, uint64_t arg)
{
	MEMBER(self->s.mem, &self->a, BASE_A, xl_attack64, 1, 0x3f, 0x7ff,
	       0, 0xa);
	MEMBER(self->s.mem, &self->b, BASE_B, xl_marker64, 0, 0x27, 0x3ff,
	       0, 0xb);
	*q(self->s.mem, BASE_A + OFF_DATA + XL_ATTACK) = mode;
	*q(self->s.mem, BASE_A + OFF_DATA + XL_ARG) = arg;
}

TEST_F(xl, vmfunc_with_an_unknown_index_stops_the_run)
{
	struct pmsw_stats st;

	NEED_XL();
	attack_pair(self, 1, 63);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	EXPECT_EQ(PMSW_STOP_EXIT, self->r.stop_reason);
	EXPECT_EQ(PMSW_EXIT_VMFUNC, self->r.exit.reason & 0xffff);
	EXPECT_EQ(0, self->r.stop_context);
	EXPECT_NE(NULL, strstr(self->r.reason,
			       "VMFUNC 0 with EPTP index 63 not in the session's list"))
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0, data(self, BASE_B, XL_MARKER));
	stats(self, &st);
	EXPECT_EQ(1, st.exits[PMSW_EXIT_VMFUNC]);
}

/*
 * VMFUNC to B's view from A's own code, with A's CR3: the next fetch
 * walks A's page tables, which B's view does not map: an EPT violation
 * at A's root, never an instruction of B.
 */
TEST_F(xl, vmfunc_outside_the_routine_never_runs_the_other)
{
	NEED_XL();
	attack_pair(self, 1, 1);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	EXPECT_EQ(PMSW_STOP_EXIT, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(PMSW_EXIT_EPT_VIOLATION, self->r.exit.reason & 0xffff)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(BASE_A + OFF_PML4, self->r.exit.guest_physical & ~0xfffULL)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0, data(self, BASE_B, XL_MARKER));
}

/* The refusal of the routine's post-VMFUNC path (PMSW_HC_XL_REFUSED). */
static void expect_xl_refused(struct __test_metadata *_metadata,
			      FIXTURE_DATA(xl) *self)
{
	EXPECT_EQ(PMSW_STOP_EXIT, self->r.stop_reason);
	EXPECT_EQ(PMSW_EXIT_VMCALL, self->r.exit.reason & 0xffff);
	EXPECT_EQ(0, self->r.stop_context);
	EXPECT_NE(NULL, strstr(self->r.reason,
			       "exit-less routine refused a SYSENTER"))
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(1, data(self, BASE_A, XL_RUNS));
	EXPECT_EQ(0, data(self, BASE_B, XL_MARKER));
}

/*
 * A jump to the routine's SYSENTER after its VMFUNC: the view is still
 * A's, and CR3 is A's own, not the transit root: the post-VMFUNC path
 * refuses, the run stops, nothing of A's state page is loaded.
 */
TEST_F(xl, jump_after_the_vmfunc_is_refused)
{
	NEED_XL();
	attack_pair(self, 2, ROUTINE + VMFUNC64_OFFSET + 3);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	expect_xl_refused(_metadata, self);
}

/* SYSENTER from a member's own code lands on the same refusal. */
TEST_F(xl, sysenter_outside_the_routine_is_refused)
{
	NEED_XL();
	attack_pair(self, 4, 0);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	expect_xl_refused(_metadata, self);
}

/*
 * A calls the routine with RFLAGS.NT set. The routine clears RFLAGS
 * after its VMFUNC: B starts cleanly at its entry point (its marker),
 * where an IRETQ with NT set would have been a #GP inside B (SDM 6.14.3)
 * and, with B's empty IDT, a triple fault.
 */
TEST_F(xl, nt_set_by_the_origin_does_not_reach_the_target)
{
	NEED_XL();
	attack_pair(self, 3, 1);
	ASSERT_EQ(0, create_pair(_metadata, self));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("%s", self->r.reason);
	EXPECT_EQ(0x6d, self->r.stop_code);
	EXPECT_EQ(1, self->r.stop_context);
	EXPECT_EQ(0x6d61726b, data(self, BASE_B, XL_MARKER));
}

static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(xl) *self, int id, int err,
			   uint32_t rule)
{
	errno = 0;
	EXPECT_EQ(-1, context_create(self->s.fd, id ? &self->b : &self->a,
				     &self->op));
	EXPECT_EQ(err, errno);
	EXPECT_EQ(rule, self->op.violation.rule)
		TH_LOG("rule %u: %s", self->op.violation.rule,
		       self->op.violation.text);
}

TEST_F(xl, group_rules_refuse_shared_code_roots_and_pge)
{
	NEED_XL();
	pair(self, 1, 1);
	ASSERT_EQ(0, context_create(self->s.fd, &self->a, &self->op));
	/* B may execute A's code page. */
	add_range(&self->b, BASE_A, 0x1000, PMSW_VIEW_R | PMSW_VIEW_X);
	expect_refused(_metadata, self, 1, EINVAL, PMSW_RULE_XL_EXEC);
	/* B may read A's PML4. */
	self->b.view[2].perm = PMSW_VIEW_R;
	self->b.view[2].gpa = BASE_A + OFF_PML4;
	expect_refused(_metadata, self, 1, EINVAL, PMSW_RULE_XL_ROOT);
	self->b.nr_view_ranges = 2;
	memset(&self->b.view[2], 0, sizeof(self->b.view[2]));
	/* CR4.PGE. */
	self->b.cr4 |= 0x80;
	expect_refused(_metadata, self, 1, EINVAL, PMSW_RULE_XL_CR4);
	self->b.cr4 &= ~0x80ULL;
	/* No view. */
	self->b.nr_view_ranges = 0;
	memset(self->b.view, 0, sizeof(self->b.view));
	expect_refused(_metadata, self, 1, EINVAL, PMSW_RULE_XL_NO_VIEW);
}

/* 815: members share CR0, CR4, EFER, exception bitmap and CR masks. */
TEST_F(xl, group_rules_refuse_a_different_mode)
{
	NEED_XL();
	pair(self, 1, 1);
	ASSERT_EQ(0, context_create(self->s.fd, &self->a, &self->op));
	self->b.exception_bitmap = 1U << 6;
	expect_refused(_metadata, self, 1, EINVAL, PMSW_RULE_XL_SAME);
	self->b.exception_bitmap = 0;
	EXPECT_EQ(1, context_create(self->s.fd, &self->b, &self->op));
}

/* 818: the transit root takes one of the CPU's CR3-target values. */
TEST_F(xl, group_size_follows_the_cr3_target_count)
{
	static const uint64_t base[] = { BASE_A, BASE_B, 0x300000, 0x380000 };
	unsigned int targets = (self->snap.info.caps.misc >> 16) & 0x1ff;
	unsigned int i, max;

	NEED_XL();
	max = (targets < 4 ? targets : 4) - 1;
	ASSERT_GE(3, max);
	for (i = 0; i <= max; i++) {
		MEMBER(self->s.mem, &self->a, base[i], xl_member64, 0, 0x3f,
		       0x7ff, 1, 0xa);
		if (i < max) {
			EXPECT_EQ(i, context_create(self->s.fd, &self->a,
						    &self->op))
				TH_LOG("member %u: rule %u", i,
				       self->op.violation.rule);
		} else {
			expect_refused(_metadata, self, 0, EINVAL,
				       PMSW_RULE_XL_SIZE);
		}
	}
	/* Not a member: no limit. */
	self->a.flags = 0;
	EXPECT_EQ(max, context_create(self->s.fd, &self->a, &self->op));
}

TEST_F(xl, refused_where_the_cpu_lacks_vm_functions)
{
	if (!self->ready)
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	if (self->has_xl)
		SKIP(return, "this CPU has VM functions with EPTP switching: nothing to refuse");
	pair(self, 1, 1);
	expect_refused(_metadata, self, 0, EOPNOTSUPP,
		       PMSW_RULE_XL_UNSUPPORTED);
	EXPECT_NE(NULL, strstr(self->op.violation.text,
			       "IA32_VMX_PROCBASED_CTLS2[45]"));
	EXPECT_NE(NULL, strstr(self->op.violation.text,
			       "IA32_VMX_VMFUNC[0]"));
	self->a.flags = 0;
	EXPECT_EQ(0, context_create(self->s.fd, &self->a, &self->op));
}

TEST_HARNESS_MAIN
