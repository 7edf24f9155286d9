// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic origin-to-target switches: contexts in every protected mode,
 * switches between them by VMCALL, typed transitions (LAUNCH/RESUME),
 * migration between CPUs, the VMCS field cache, and what a guest that
 * misbehaves gets. Needs pmswitch.ko and VT-x with EPT; skips otherwise.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"

#define MAX_T	1200

#define SWITCH_FIXTURE(name)						\
	FIXTURE(name) {							\
		struct session s;					\
		struct pmsw_snapshot snap;				\
		struct pmsw_run r;					\
		struct pmsw_transition t[MAX_T];			\
		struct pmsw_context_op op;				\
		bool ready;						\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		self->s.fd = -1;					\
		self->s.mem = MAP_FAILED;				\
		self->ready = pmsw_can_switch(&self->snap);	\
		if (self->ready)					\
			ASSERT_EQ(0, session_open(&self->s));		\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		session_close(&self->s);				\
	}

SWITCH_FIXTURE(sw)
SWITCH_FIXTURE(modes)

static bool has_ug(const struct pmsw_snapshot *s)
{
	return s->info.features & PMSW_FEAT_UNRESTRICTED_GUEST;
}

/* Load the program for @mode's switch and report parts. */
static void load_switch(uint8_t *mem, enum guest_mode mode, uint64_t gpa)
{
	switch (mode) {
	case REAL16:
		LOAD_GUEST(mem, gpa, switch16);
		break;
	case LONG64:
		LOAD_GUEST(mem, gpa, switch64);
		break;
	default:
		LOAD_GUEST(mem, gpa, switch32);
	}
}

static void load_report(uint8_t *mem, enum guest_mode mode, uint64_t gpa)
{
	if (mode == LONG64)
		LOAD_GUEST(mem, gpa, report64);
	else
		LOAD_GUEST(mem, gpa, report32);
}

FIXTURE_VARIANT(modes) {
	enum guest_mode origin;
	enum guest_mode target;
};

FIXTURE_VARIANT_ADD(modes, flat32_to_pae) { .origin = FLAT32, .target = PAE };
FIXTURE_VARIANT_ADD(modes, pae_to_long64) { .origin = PAE, .target = LONG64 };
FIXTURE_VARIANT_ADD(modes, long64_to_paging32) { .origin = LONG64, .target = PAGING32 };
FIXTURE_VARIANT_ADD(modes, real16_to_flat32) { .origin = REAL16, .target = FLAT32 };
FIXTURE_VARIANT_ADD(modes, flat32_to_long64) { .origin = FLAT32, .target = LONG64 };
FIXTURE_VARIANT_ADD(modes, paging32_to_flat32) { .origin = PAGING32, .target = FLAT32 };

/* Target and origin in the variant's modes; returns the origin's id. */
static int setup_pair(struct __test_metadata *_metadata,
		      FIXTURE_DATA(modes) *self,
		      const FIXTURE_VARIANT(modes) *variant,
		      struct pmsw_context *target)
{
	struct pmsw_context origin;
	int tid, oid;

	load_report(self->s.mem, variant->target, GPA_TARGET);
	make_context(target, variant->target, GPA_TARGET, 0x90000);
	target->gpr[PMSW_RDI] = GPA_RESULTS;
	tid = context_create(self->s.fd, target, &self->op);
	if (tid < 0)
		TH_LOG("target refused: %s %s (rule %u)", self->op.violation.section,
		       self->op.violation.text, self->op.violation.rule);
	EXPECT_EQ(0, tid);

	load_switch(self->s.mem, variant->origin, GPA_ORIGIN);
	make_context(&origin, variant->origin, GPA_ORIGIN, 0x80000);
	origin.gpr[PMSW_RSI] = tid;
	oid = context_create(self->s.fd, &origin, &self->op);
	if (oid < 0)
		TH_LOG("origin refused: %s %s (rule %u)", self->op.violation.section,
		       self->op.violation.text, self->op.violation.rule);
	EXPECT_EQ(1, oid);
	return oid;
}

TEST_F(modes, target_observes_exactly_its_submitted_state)
{
	uint8_t *res;
	struct pmsw_context target;
	uint64_t gdt_base, idt_base, cr0, cr3, cr4, rsp;
	uint16_t gdt_lim, idt_lim, sel[8];
	int oid;

	PMSW_NEED_SWITCHING();
	if ((variant->origin == REAL16 || variant->target == REAL16) &&
	    !has_ug(&self->snap))
		SKIP(return, "real mode needs unrestricted guest");

	oid = setup_pair(_metadata, self, variant, &target);
	ASSERT_EQ(1, oid);
	ASSERT_EQ(0, run(self->s.fd, oid, &self->r, self->t, MAX_T));
	TH_LOG("run: %s", self->r.reason);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	EXPECT_EQ(0x600d, self->r.stop_code);
	EXPECT_EQ(0, self->r.stop_context);

	/* One switch: origin entered, VMCALL, target entered, VMCALL. */
	ASSERT_LE(2, self->r.nr_transitions);
	EXPECT_EQ(1, self->t[0].to);
	EXPECT_EQ(PMSW_ENTRY_LAUNCH, self->t[0].type);
	EXPECT_EQ(PMSW_EXIT_VMCALL, self->t[0].exit_reason);
	EXPECT_EQ(1, self->t[self->r.nr_transitions - 1].from);
	EXPECT_EQ(0, self->t[self->r.nr_transitions - 1].to);
	EXPECT_EQ(PMSW_ENTRY_LAUNCH, self->t[self->r.nr_transitions - 1].type);

	res = self->s.mem + GPA_RESULTS;
	memcpy(&gdt_lim, res, 2);
	memcpy(&idt_lim, res + 16, 2);
	gdt_base = idt_base = cr0 = cr3 = cr4 = rsp = 0;
	if (variant->target == LONG64) {
		memcpy(&gdt_base, res + 2, 8);
		memcpy(&idt_base, res + 18, 8);
		memcpy(&rsp, res + 72, 8);
	} else {
		memcpy(&gdt_base, res + 2, 4);
		memcpy(&idt_base, res + 18, 4);
		memcpy(&rsp, res + 72, 4);
	}
	memcpy(&cr0, res + 32, 8);
	memcpy(&cr3, res + 40, 8);
	memcpy(&cr4, res + 48, 8);
	memcpy(sel, res + 56, 16);

	EXPECT_EQ(target.gdtr.base, gdt_base);
	EXPECT_EQ(target.gdtr.limit, gdt_lim);
	EXPECT_EQ(target.idtr.base, idt_base);
	EXPECT_EQ(target.idtr.limit, idt_lim);
	EXPECT_EQ(target.cr0, cr0);
	EXPECT_EQ(target.cr3, cr3);
	EXPECT_EQ(target.cr4, cr4);
	EXPECT_EQ(target.rsp, rsp);
	EXPECT_EQ(target.seg[PMSW_SEG_CS].selector, sel[0]);
	EXPECT_EQ(target.seg[PMSW_SEG_SS].selector, sel[1]);
	EXPECT_EQ(target.seg[PMSW_SEG_DS].selector, sel[2]);
	EXPECT_EQ(target.seg[PMSW_SEG_ES].selector, sel[3]);
	EXPECT_EQ(target.seg[PMSW_SEG_FS].selector, sel[4]);
	EXPECT_EQ(target.seg[PMSW_SEG_GS].selector, sel[5]);
	EXPECT_EQ(target.seg[PMSW_SEG_TR].selector, sel[6]);
	EXPECT_EQ(target.seg[PMSW_SEG_LDTR].selector, sel[7]);
}

TEST_F(modes, stopped_context_reads_back_where_it_stopped)
{
	struct pmsw_context target, back;

	PMSW_NEED_SWITCHING();
	if ((variant->origin == REAL16 || variant->target == REAL16) &&
	    !has_ug(&self->snap))
		SKIP(return, "real mode needs unrestricted guest");
	ASSERT_EQ(1, setup_pair(_metadata, self, variant, &target));
	ASSERT_EQ(0, run(self->s.fd, 1, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);

	ASSERT_EQ(0, context_get(self->s.fd, 0, &back));
	/* Past the report program's VMCALL, RAX = 0 from the hypercall. */
	EXPECT_EQ(target.rip + (variant->target == LONG64 ?
				guest_report64_end - guest_report64 :
				guest_report32_end - guest_report32) - 1,
		  back.rip);
	EXPECT_EQ(0, back.gpr[PMSW_RAX]);
	EXPECT_EQ(0x600d, back.gpr[PMSW_RBX]);
	EXPECT_EQ(target.cr0, back.cr0);
	EXPECT_EQ(target.cr3, back.cr3);
	EXPECT_EQ(target.cr4, back.cr4);
	EXPECT_EQ(target.efer, back.efer);
	EXPECT_EQ(target.gdtr.base, back.gdtr.base);
	EXPECT_EQ(target.seg[PMSW_SEG_CS].ar, back.seg[PMSW_SEG_CS].ar);
	EXPECT_EQ(target.rsp, back.rsp);
}

TEST_F(sw, pingpong_1000_switches_launch_once_then_resume)
{
	bool seen[2] = { false, false };
	unsigned int i;

	PMSW_NEED_SWITCHING();
	ASSERT_EQ(0, pingpong_create(&self->s, PAE, 500));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	TH_LOG("run: %s", self->r.reason);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	ASSERT_EQ(self->r.total_transitions, self->r.nr_transitions);
	EXPECT_EQ(1000, count_switches(self->t, self->r.nr_transitions));

	for (i = 0; i < self->r.nr_transitions; i++) {
		unsigned int to = self->t[i].to;

		ASSERT_GT(2, to);
		EXPECT_EQ(seen[to] ? PMSW_ENTRY_RESUME : PMSW_ENTRY_LAUNCH,
			  self->t[i].type);
		seen[to] = true;
	}
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

TEST_F(sw, migration_makes_the_next_entry_a_launch)
{
	struct pmsw_stats before = { .size = sizeof(before) };
	struct pmsw_stats after = { .size = sizeof(after) };
	bool seen[2] = { false, false };
	unsigned int i;

	PMSW_NEED_SWITCHING();
	if (pmsw_count(&self->snap, 0) < 2)
		SKIP(return, "needs 2 CPUs");
	ASSERT_EQ(0, pingpong_create(&self->s, PAE, 5));

	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	EXPECT_EQ(10, count_switches(self->t, self->r.nr_transitions));
	ASSERT_EQ(0, ioctl(self->s.fd, PMSW_IOC_STATS, &before));

	/* Same contexts, other CPU: both VMCSs are cleared and relaunched. */
	ASSERT_EQ(0, pin_to(1));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	EXPECT_EQ(10, count_switches(self->t, self->r.nr_transitions));
	for (i = 0; i < self->r.nr_transitions; i++) {
		unsigned int to = self->t[i].to;

		EXPECT_EQ(seen[to] ? PMSW_ENTRY_RESUME : PMSW_ENTRY_LAUNCH,
			  self->t[i].type);
		seen[to] = true;
	}
	ASSERT_EQ(0, ioctl(self->s.fd, PMSW_IOC_STATS, &after));
	EXPECT_EQ(2, after.vmclears - before.vmclears);
	EXPECT_EQ(2, after.launches - before.launches);
	pin_to(0);
}

TEST_F(sw, updating_one_field_costs_one_vmwrite)
{
	struct pmsw_context c;
	int id;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, stopper32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	id = context_create(self->s.fd, &c, &self->op);
	ASSERT_EQ(0, id);

	ASSERT_EQ(0, run(self->s.fd, id, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	EXPECT_EQ(7, self->r.stop_code);
	EXPECT_EQ(PMSW_ENTRY_LAUNCH, self->t[0].type);
	EXPECT_LT(20, self->t[0].vmwrites_context);

	/* Unchanged context: nothing of the context is written. */
	ASSERT_EQ(0, context_get(self->s.fd, id, &c));
	ASSERT_EQ(0, context_set(self->s.fd, id, &c, &self->op));
	ASSERT_EQ(0, run(self->s.fd, id, &self->r, self->t, MAX_T));
	EXPECT_EQ(PMSW_ENTRY_RESUME, self->t[0].type);
	EXPECT_EQ(0, self->t[0].vmwrites_context);

	/* One field: one VMWRITE. General registers are not VMCS fields. */
	ASSERT_EQ(0, context_get(self->s.fd, id, &c));
	EXPECT_EQ(1, c.gpr[PMSW_RDX]);
	c.rsp -= 16;
	c.gpr[PMSW_RDX] = 100;
	ASSERT_EQ(0, context_set(self->s.fd, id, &c, &self->op));
	ASSERT_EQ(0, run(self->s.fd, id, &self->r, self->t, MAX_T));
	EXPECT_EQ(PMSW_ENTRY_RESUME, self->t[0].type);
	EXPECT_EQ(1, self->t[0].vmwrites_context);
	ASSERT_EQ(0, context_get(self->s.fd, id, &c));
	EXPECT_EQ(101, c.gpr[PMSW_RDX]);
	EXPECT_EQ(0x80000 - 16, c.rsp);
}

TEST_F(sw, cpuid_reports_pmswitch_and_hides_vmx)
{
	struct pmsw_context c;
	uint32_t *res;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, cpuid32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	c.gpr[PMSW_RDI] = GPA_RESULTS;
	ASSERT_EQ(0, context_create(self->s.fd, &c, &self->op));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	res = (uint32_t *)(self->s.mem + GPA_RESULTS);
	EXPECT_EQ(PMSW_CPUID_RESERVED, res[0]);	/* highest leaf */
	EXPECT_EQ(0, memcmp(&res[1], "pmswitch", 8));
	EXPECT_EQ(0, res[4] & (1u << 5));	/* VMX hidden */
	EXPECT_NE(0, res[4] & (1u << 31));	/* hypervisor present */
}

FIXTURE(bad) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_transition t[64];
	struct pmsw_context_op op;
	struct pmsw_context c;
	bool ready;
};

FIXTURE_VARIANT(bad) {
	const uint8_t *code;
	const uint8_t *code_end;
	uint32_t exception_bitmap;
	uint32_t idt_limit;
	uint32_t stop_reason;
	uint32_t exit_reason;
	const char *reason;
	uint64_t cr4_mask;
};

FIXTURE_VARIANT_ADD(bad, write_beyond_memory_is_an_ept_violation) {
	.code = guest_wild_write32, .code_end = guest_wild_write32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_EPT_VIOLATION,
	.reason = "beyond the guest memory",
};
FIXTURE_VARIANT_ADD(bad, rdmsr_is_refused) {
	.code = guest_rdmsr32, .code_end = guest_rdmsr32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_RDMSR,
	.reason = "RDMSR of MSR 0x10 refused",
};
FIXTURE_VARIANT_ADD(bad, wrmsr_is_refused) {
	.code = guest_wrmsr32, .code_end = guest_wrmsr32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_WRMSR,
	.reason = "WRMSR of MSR 0xc0000082 refused",
};
FIXTURE_VARIANT_ADD(bad, port_io_is_refused) {
	.code = guest_outb32, .code_end = guest_outb32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_IO,
	.reason = "I/O write to port 0x80 refused",
};
FIXTURE_VARIANT_ADD(bad, triple_fault_stops_the_run) {
	.code = guest_ud32, .code_end = guest_ud32_end,
	.idt_limit = 0,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_TRIPLE_FAULT,
	.reason = "triple fault",
};
FIXTURE_VARIANT_ADD(bad, exception_in_the_bitmap_exits) {
	.code = guest_ud32, .code_end = guest_ud32_end,
	.exception_bitmap = 1u << 6,
	.idt_limit = 0,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_EXCEPTION_NMI,
	.reason = "exception 6 (#UD",
};
FIXTURE_VARIANT_ADD(bad, hlt_stops_the_run) {
	.code = guest_hlt32, .code_end = guest_hlt32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_HLT, .exit_reason = PMSW_EXIT_HLT,
	.reason = "executed HLT",
};
FIXTURE_VARIANT_ADD(bad, cr4_write_to_a_masked_bit_exits) {
	.code = guest_cr4_pge32, .code_end = guest_cr4_pge32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_EXIT, .exit_reason = PMSW_EXIT_CR_ACCESS,
	.reason = "MOV to CR4 trapped",
	.cr4_mask = 0x80,
};
FIXTURE_VARIANT_ADD(bad, cr4_write_to_a_free_bit_does_not_exit) {
	.code = guest_cr4_pge32, .code_end = guest_cr4_pge32_end,
	.idt_limit = 0x7ff,
	.stop_reason = PMSW_STOP_HLT, .exit_reason = PMSW_EXIT_HLT,
	.reason = "executed HLT",
};

FIXTURE_SETUP(bad)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = false;
	if (!pmsw_can_switch(&self->snap))
		return;
	ASSERT_EQ(0, session_open(&self->s));
	memcpy(self->s.mem + GPA_ORIGIN, variant->code,
	       variant->code_end - variant->code);
	make_context(&self->c, FLAT32, GPA_ORIGIN, 0x80000);
	self->c.exception_bitmap = variant->exception_bitmap;
	self->c.idtr.limit = variant->idt_limit;
	self->c.cr4_mask = variant->cr4_mask;
	ASSERT_EQ(0, context_create(self->s.fd, &self->c, &self->op));
	self->ready = true;
}

FIXTURE_TEARDOWN(bad)
{
	session_close(&self->s);
}

TEST_F(bad, is_stopped_with_the_right_report)
{
	struct pmsw_snapshot after;

	if (!self->ready)
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, 64));
	TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(variant->stop_reason, self->r.stop_reason);
	EXPECT_EQ(variant->exit_reason, self->r.exit.reason & 0xffff);
	EXPECT_NE(NULL, strstr(self->r.reason, variant->reason));
	if (variant->exit_reason == PMSW_EXIT_EPT_VIOLATION) {
		EXPECT_EQ(0x40000000, self->r.exit.guest_physical);
		EXPECT_TRUE(self->r.exit.qualification & 2);	/* write */
	}
	if (variant->exit_reason == PMSW_EXIT_EXCEPTION_NMI)
		EXPECT_EQ(6, self->r.exit.intr_info & 0xff);

	/* The host carries on: the device still answers, VMX still on. */
	ASSERT_EQ(0, pmsw_get_info(self->s.fd, &after));
	EXPECT_EQ(pmsw_count(&after, 0), pmsw_count(&after, PMSW_CPU_VMX_ON));
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(sw, looping_guest_is_interruptible_and_continues)
{
	struct itimerval tv = { .it_value = { .tv_usec = 200000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct pmsw_context c;
	int i;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, loop32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	ASSERT_EQ(0, context_create(self->s.fd, &c, &self->op));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &tv, NULL));
		EXPECT_EQ(-1, run(self->s.fd, 0, &self->r, self->t, MAX_T));
		EXPECT_EQ(EINTR, errno);
		EXPECT_EQ(PMSW_STOP_SIGNAL, self->r.stop_reason);
		EXPECT_EQ(0, self->r.stop_context);
		/* The second run continues the same loop: no new LAUNCH. */
		if (i)
			EXPECT_EQ(PMSW_ENTRY_RESUME, self->t[0].type);
	}
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(GPA_ORIGIN, c.rip);
}

TEST_F(sw, switch_to_a_missing_context_returns_enoent_to_the_guest)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, switch32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	c.gpr[PMSW_RSI] = 42;
	ASSERT_EQ(0, context_create(self->s.fd, &c, &self->op));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	EXPECT_EQ(PMSW_STOP_HLT, self->r.stop_reason);
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ((uint32_t)-ENOENT, (uint32_t)c.gpr[PMSW_RAX]);
}

TEST_F(sw, bad_context_is_refused_with_a_report)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	make_context(&c, LONG64, GPA_ORIGIN, 0x80000);
	c.seg[PMSW_SEG_CS].ar |= PMSW_AR_DB;	/* L=1 with D=1 */
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_LE(1, self->op.nr_violations);
	EXPECT_EQ(0x4816, self->op.violation.field);	/* GUEST_CS_AR_BYTES */
	EXPECT_STREQ("27.3.1.2", self->op.violation.section);
	EXPECT_EQ(c.seg[PMSW_SEG_CS].ar, self->op.violation.value);
	TH_LOG("report: rule %u: %s", self->op.violation.rule,
	       self->op.violation.text);
}

TEST_F(sw, session_commands_refuse_bad_input)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = 4096 };
	struct pmsw_context_op op = { .size = sizeof(op), .id = 9 };
	struct pmsw_memory_rw rw = {
		.size = sizeof(rw), .gpa = GUEST_MEM - 8, .len = 16,
	};
	char buf[16];

	PMSW_NEED_SWITCHING();
	EXPECT_EQ(-1, ioctl(self->s.fd, PMSW_IOC_SET_MEMORY, &m));
	EXPECT_EQ(EBUSY, errno);
	rw.buf = (uint64_t)(unsigned long)buf;
	EXPECT_EQ(-1, ioctl(self->s.fd, PMSW_IOC_MEMORY_RW, &rw));
	EXPECT_EQ(EINVAL, errno);
	op.context = (uint64_t)(unsigned long)buf;
	EXPECT_EQ(-1, ioctl(self->s.fd, PMSW_IOC_CONTEXT_GET, &op));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, run(self->s.fd, 5, &self->r, self->t, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
