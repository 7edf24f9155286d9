// SPDX-License-Identifier: GPL-2.0
/*
 * Host integrity: a context can neither change nor read the host's state
 * without a VM exit that the monitor answers. #DB and #AC always exit and
 * are given back to the context; host DR6/DR7, KERNEL_GS_BASE, the
 * SYSCALL MSRs, the FPU/SSE registers, CR2 and PKRU stay the host's;
 * hypercalls need CPL 0 and use the width of the mode at the VMCALL;
 * CR4 bits pmswitch does not switch are refused or trapped; a context
 * that enters long mode by itself can be put back and run again.
 * Each test checks what the host or the calling thread can observe, so it
 * fails when the protection it is about is missing. Needs pmswitch.ko and
 * VT-x with EPT; skips otherwise.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "integrity_guest.h"

#define MAX_T		1200
/* The calling thread's GS base while contexts SWAPGS (canonical, unused). */
#define CALLER_GS	0x12345000UL
/* An address pmsw_guest.h's 32-bit page directory leaves unmapped. */
#define FAULT_ADDR	0x00800123u
/* VMCS encoding of the guest CR4 field (SDM Appendix B.4.3). */
#define VMCS_GUEST_CR4	0x6804
/* VM-exit interruption information (SDM 25.9.2). */
#define INTR_VECTOR(i)	((i) & 0xff)
#define INTR_TYPE(i)	(((i) >> 8) & 7)
#define INTR_HW_EXC	3
#define INTR_ERR_VALID	(1u << 11)
/* Exit qualification of a #DB: DR6-like, BS is bit 14 (SDM 28.2.1). */
#define DB_QUAL_BS	(1u << 14)

FIXTURE(integrity) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	struct pmsw_context_op op;
	bool ready;
};

FIXTURE_SETUP(integrity)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap);
	if (!self->ready)
		return;
	ASSERT_EQ(0, session_open(&self->s));
	build_integrity_tables(self->s.mem);
}

FIXTURE_TEARDOWN(integrity)
{
	session_close(&self->s);
}

typedef FIXTURE_DATA(integrity) fixture_t;

static uint32_t rd32(fixture_t *self, unsigned int off)
{
	return *(volatile uint32_t *)(self->s.mem + GPA_RESULTS + off);
}

static uint64_t rd64(fixture_t *self, unsigned int off)
{
	return *(volatile uint64_t *)(self->s.mem + GPA_RESULTS + off);
}

/* Create @c; its id, or -1 with the refusal logged. */
static int create(struct __test_metadata *_metadata, fixture_t *self,
		  struct pmsw_context *c)
{
	int id = context_create(self->s.fd, c, &self->op);

	if (id < 0)
		TH_LOG("context refused: %s; SDM %s: %s (rule %u)",
		       strerror(errno), self->op.violation.section,
		       self->op.violation.text, self->op.violation.rule);
	return id;
}

static int do_run(fixture_t *self, int id)
{
	return run(self->s.fd, id, &self->r, self->t, MAX_T);
}

/* Recorded exits with basic reason @reason. */
static unsigned int count_exits(const struct pmsw_transition *t,
				unsigned int n, uint32_t reason)
{
	unsigned int i, hits = 0;

	for (i = 0; i < n; i++)
		hits += (t[i].exit_reason & 0xffff) == reason;
	return hits;
}

/* Recorded exits that gave the CPU back to the host: interrupts, timer. */
static unsigned int host_exits(const struct pmsw_transition *t, unsigned int n)
{
	return count_exits(t, n, PMSW_EXIT_EXTERNAL_INTERRUPT) +
	       count_exits(t, n, PMSW_EXIT_PREEMPTION_TIMER);
}

static unsigned int entries_to(const struct pmsw_transition *t,
			       unsigned int n, unsigned int id)
{
	unsigned int i, hits = 0;

	for (i = 0; i < n; i++)
		hits += t[i].to == id;
	return hits;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Run context 0 until a signal 200 ms from now; 0 if it ended so. */
static int run_until_signal(struct __test_metadata *_metadata, fixture_t *self)
{
	struct itimerval tv = { .it_value = { .tv_usec = 200000 } };
	struct sigaction sa = { .sa_handler = on_alarm };

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &tv, NULL));
	EXPECT_EQ(-1, do_run(self, 0)) TH_LOG("run ended: %s", self->r.reason);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(PMSW_STOP_SIGNAL, self->r.stop_reason);
	return self->r.stop_reason == PMSW_STOP_SIGNAL ? 0 : -1;
}

static unsigned long caller_gs(void)
{
	unsigned long gs = 0;

	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	return gs;
}

/* ---- #AC: always exits, given back to the context's IDT ---- */

/*
 * Ring 3 with alignment checking on (CR0.AM, EFLAGS.AC) running ac32;
 * #AC goes to @retry ? ac_retry_h32 : ac_stop_h32, INT 0x80 stops.
 */
static void setup_ac(fixture_t *self, struct pmsw_context *c, bool retry)
{
	uint8_t *mem = self->s.mem;

	LOAD_GUEST(mem, GPA_ORIGIN, ac32);
	if (retry)
		PUT_HANDLER(mem, 0, VEC_AC, 0, ac_retry_h32);
	else
		PUT_HANDLER(mem, 0, VEC_AC, 0, ac_stop_h32);
	PUT_HANDLER(mem, 1, 0x80, 3, int80_stop_h32);
	make_ig_context(c, PAGING32, GPA_ORIGIN);
	make_ring3(c);
	c->cr0 |= CR0_AM;
	c->rflags |= RFLAGS_AC;
}

TEST_F(integrity, ac_in_ring3_is_delivered_to_the_context_idt)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	setup_ac(self, &c, false);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(17, self->r.stop_code);
	EXPECT_EQ(0, rd32(self, 0));			/* error code */
	EXPECT_EQ(GUEST_ADDR(GPA_ORIGIN, ac32, ac32_fault), rd32(self, 4));
	EXPECT_EQ(SEL_USER_CODE32, rd32(self, 8) & 0xffff);
	/* It reached the IDT through the monitor: an exception exit first. */
	EXPECT_LE(1, count_exits(self->t, self->r.nr_transitions,
				 PMSW_EXIT_EXCEPTION_NMI))
		TH_LOG("#AC did not exit to the monitor");
}

TEST_F(integrity, ac_in_the_exception_bitmap_stops_the_run)
{
	struct pmsw_context c;
	uint32_t info;

	PMSW_NEED_SWITCHING();
	setup_ac(self, &c, false);
	c.exception_bitmap |= 1u << VEC_AC;
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	info = self->r.exit.intr_info;
	ASSERT_EQ(PMSW_STOP_EXIT, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(PMSW_EXIT_EXCEPTION_NMI, self->r.exit.reason & 0xffff);
	EXPECT_EQ(VEC_AC, INTR_VECTOR(info));
	EXPECT_EQ(INTR_HW_EXC, INTR_TYPE(info));
	EXPECT_TRUE(info & INTR_ERR_VALID);
	EXPECT_EQ(0, self->r.exit.intr_error_code);
	EXPECT_EQ(0, rd32(self, 4)) TH_LOG("the context's #AC handler ran");
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(GUEST_ADDR(GPA_ORIGIN, ac32, ac32_fault), c.rip);
}

TEST_F(integrity, ac_loop_stays_interruptible)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	setup_ac(self, &c, true);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, run_until_signal(_metadata, self));
	/* The loop was real: #AC delivered again and again, via exits. */
	EXPECT_LT(1, rd32(self, 16));
	EXPECT_LE(1, count_exits(self->t, self->r.nr_transitions,
				 PMSW_EXIT_EXCEPTION_NMI));
}

/* ---- #DB: single-step, always exits, host debug state kept ---- */

/* Ring 0 running @loop ? step_loop32 : step32, #DB to db_record_h32. */
static void setup_step(fixture_t *self, struct pmsw_context *c, bool loop)
{
	uint8_t *mem = self->s.mem;

	if (loop)
		LOAD_GUEST(mem, GPA_ORIGIN, step_loop32);
	else
		LOAD_GUEST(mem, GPA_ORIGIN, step32);
	PUT_HANDLER(mem, 0, VEC_DB, 0, db_record_h32);
	make_ig_context(c, PAGING32, GPA_ORIGIN);
}

/* step32 traps after each of its 7 traced instructions. */
#define STEP32_TRAPS	7

TEST_F(integrity, single_step_is_delivered_to_the_context_idt)
{
	uint64_t first = GUEST_ADDR(GPA_ORIGIN, step32, step32_traced) + 1;
	uint64_t last = GUEST_ADDR(GPA_ORIGIN, step32, step32_untraced);
	struct pmsw_context c;
	unsigned int i, n;

	PMSW_NEED_SWITCHING();
	setup_step(self, &c, false);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(0x600d, self->r.stop_code);

	/* Each traced instruction trapped once, in order. */
	n = rd32(self, 0);
	ASSERT_EQ(STEP32_TRAPS, n);
	EXPECT_EQ(first, rd32(self, 4));
	EXPECT_EQ(last, rd32(self, 4 + 4 * (n - 1)));
	for (i = 1; i < n; i++)
		EXPECT_LT(rd32(self, 4 * i), rd32(self, 4 + 4 * i));
	/* And each went through the monitor (a host NMI may add an exit). */
	EXPECT_LE(n, count_exits(self->t, self->r.nr_transitions,
				 PMSW_EXIT_EXCEPTION_NMI))
		TH_LOG("single-step #DBs that did not exit to the monitor");
}

TEST_F(integrity, single_step_in_the_exception_bitmap_stops_the_run)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	setup_step(self, &c, false);
	c.exception_bitmap |= 1u << VEC_DB;
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_EXIT, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(PMSW_EXIT_EXCEPTION_NMI, self->r.exit.reason & 0xffff);
	EXPECT_EQ(VEC_DB, INTR_VECTOR(self->r.exit.intr_info));
	EXPECT_TRUE(self->r.exit.qualification & DB_QUAL_BS);
	EXPECT_EQ(0, rd32(self, 0)) TH_LOG("the context's #DB handler ran");
	/* A trap: RIP is past the first traced instruction. */
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(GUEST_ADDR(GPA_ORIGIN, step32, step32_traced) + 1, c.rip);
}

TEST_F(integrity, db_loop_stays_interruptible)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	setup_step(self, &c, true);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, run_until_signal(_metadata, self));
	EXPECT_LT(1, rd32(self, 0));
	EXPECT_LE(1, count_exits(self->t, self->r.nr_transitions,
				 PMSW_EXIT_EXCEPTION_NMI));
}

static volatile sig_atomic_t sigtrap_code, sigtraps;

static void on_sigtrap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sigtrap_code = si->si_code;
	sigtraps++;
}

static int catch_sigtrap(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigtrap, .sa_flags = SA_SIGINFO,
	};

	return sigaction(SIGTRAP, &sa, NULL);
}

/*
 * INT1 (ICEBP) raises #DB without setting a DR6 bit, so Linux's #DB
 * handler reports what DR6 held before: TRAP_BRKPT while DR6 is clean,
 * TRAP_TRACE if BS (single-step) was left set. The handler clears DR6.
 */
static int icebp_si_code(void)
{
	sigtrap_code = 0;
	asm volatile(".byte 0xf1" ::: "memory");
	return sigtrap_code;
}

TEST_F(integrity, single_step_leaves_host_debug_state)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	ASSERT_EQ(0, pin_to(0));	/* DR6 is per CPU */
	ASSERT_EQ(0, catch_sigtrap());
	icebp_si_code();		/* clean DR6, whatever was before */
	if (icebp_si_code() != TRAP_BRKPT)
		SKIP(return, "INT1 does not report a clean DR6 on this machine");

	setup_step(self, &c, false);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	ASSERT_LT(0, rd32(self, 0)) TH_LOG("the context did not single-step");
	EXPECT_EQ(TRAP_BRKPT, icebp_si_code())
		TH_LOG("host DR6 kept the context's single-step bit (BS)");
}

static volatile int watched;

/* A hardware write breakpoint on @watched for this thread (DR0-3, DR7). */
static int watch(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_BREAKPOINT, .size = sizeof(a),
		.bp_type = HW_BREAKPOINT_W, .bp_len = HW_BREAKPOINT_LEN_4,
		.bp_addr = (unsigned long)&watched,
		.exclude_kernel = 1, .exclude_hv = 1,
	};

	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t hits(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ULL;
	return n;
}

TEST_F(integrity, host_breakpoint_fires_after_a_single_stepping_run)
{
	struct pmsw_context c;
	int bp;

	PMSW_NEED_SWITCHING();
	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, catch_sigtrap());
	bp = watch();
	if (bp < 0)
		SKIP(return, "no hardware breakpoint: perf_event_open: %s",
		     strerror(errno));
	watched++;
	if (hits(bp) != 1)
		SKIP(return, "hardware breakpoints do not fire on this machine");

	setup_step(self, &c, false);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	sigtraps = 0;
	watched++;
	EXPECT_EQ(2, hits(bp)) TH_LOG("host breakpoint lost by the run (DR7)");
	/* A DR6.BS left by the context would add a single-step SIGTRAP. */
	EXPECT_EQ(0, sigtraps) TH_LOG("spurious SIGTRAP, si_code %d",
				      (int)sigtrap_code);
	close(bp);
}

/* ---- SWAPGS and IA32_KERNEL_GS_BASE ---- */

static void setup_swapgs(fixture_t *self, struct pmsw_context *c)
{
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, swapgs64);
	make_ig_context(c, LONG64, GPA_ORIGIN);
	c->seg[PMSW_SEG_GS].base = GPA_GS_PAGE;
	c->kernel_gs_base = GPA_KGS_PAGE;
}

TEST_F(integrity, swapgs_leaves_the_callers_gs_base)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	setup_swapgs(self, &c);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, CALLER_GS));
	ASSERT_EQ(CALLER_GS, caller_gs());
	ASSERT_EQ(0, do_run(self, 0));
	TH_LOG("run: %s", self->r.reason);
	/* The context got to its SWAPGS, however it ended. */
	ASSERT_EQ(GS_MARKER, rd32(self, 0));
	EXPECT_EQ(CALLER_GS, caller_gs());
}

TEST_F(integrity, swapgs_exchanges_with_the_context_kernel_gs_base)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	setup_swapgs(self, &c);
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, CALLER_GS));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(GS_MARKER, rd32(self, 0));
	EXPECT_EQ(KGS_MARKER, rd32(self, 4));
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(GPA_KGS_PAGE, c.seg[PMSW_SEG_GS].base);
	EXPECT_EQ(GPA_GS_PAGE, c.kernel_gs_base);
}

/* ---- SYSCALL MSRs ---- */

/* entry_SYSCALL_64 from /proc/kallsyms (the host's LSTAR), or 0. */
static uint64_t host_lstar(void)
{
	char line[256], name[128];
	unsigned long long addr;
	uint64_t found = 0;
	char type;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) == 3 &&
		    !strcmp(name, "entry_SYSCALL_64"))
			found = addr;
	fclose(f);
	return found;
}

TEST_F(integrity, syscall_uses_the_context_lstar)
{
	uint64_t host = host_lstar();
	struct pmsw_context c;
	bool at_host;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, syscall64);
	LOAD_GUEST(self->s.mem, GPA_TARGET, lstar64);
	make_ig_context(&c, LONG64, GPA_ORIGIN);
	c.efer |= EFER_SCE;
	c.star = (uint64_t)SEL_STAR_CODE64 << 32;
	c.lstar = GPA_TARGET;
	c.cstar = GPA_THIRD;		/* Intel: SYSCALL only in 64-bit mode */
	c.sfmask = RFLAGS_CF;		/* not DF, which the host masks */
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));

	/* The host's entry point is not mapped: it would be a #PF there. */
	at_host = host && self->r.stop_reason == PMSW_STOP_EXIT &&
		  INTR_VECTOR(self->r.exit.intr_info) == VEC_PF &&
		  self->r.exit.qualification == host;
	EXPECT_FALSE(at_host)
		TH_LOG("SYSCALL went to the host's LSTAR %#lx", (long)host);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(0x5c, self->r.stop_code);
	EXPECT_EQ(GUEST_ADDR(GPA_ORIGIN, syscall64, syscall64_ret),
		  rd64(self, 0));
	EXPECT_EQ(RFLAGS_CF | RFLAGS_DF, rd64(self, 8) & (RFLAGS_CF | RFLAGS_DF));
	EXPECT_EQ(RFLAGS_DF, rd64(self, 16) & (RFLAGS_CF | RFLAGS_DF))
		TH_LOG("RFLAGS not masked by the context's IA32_FMASK");
	EXPECT_EQ(SEL_STAR_CODE64, rd32(self, 24));
	EXPECT_EQ(SEL_STAR_DATA, rd32(self, 28));
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(GPA_TARGET, c.lstar);
	EXPECT_EQ((uint64_t)SEL_STAR_CODE64 << 32, c.star);
	EXPECT_EQ(RFLAGS_CF, c.sfmask);
}

/* ---- x87/SSE state per context ---- */

struct fpu_regs {
	uint8_t xmm0[16];
	uint32_t mxcsr;
	uint16_t fcw;
};

static const struct fpu_regs fpu_init = { .mxcsr = 0x1f80, .fcw = 0x37f };

/*
 * PMSW_IOC_RUN with the thread's XMM0, MXCSR and FCW set to @in just
 * before the SYSCALL and stored to @out just after it, so that no library
 * code runs in between; then MXCSR and FCW back to their defaults. The
 * ioctl's result, or -errno.
 */
static long run_with_fpu(int fd, struct pmsw_run *r, const struct fpu_regs *in,
			 struct fpu_regs *out)
{
	long ret;

	asm volatile("movdqu %[xin], %%xmm0\n\t"
		     "ldmxcsr %[min]\n\t"
		     "fldcw %[cin]\n\t"
		     "syscall\n\t"
		     "movdqu %%xmm0, %[xout]\n\t"
		     "stmxcsr %[mout]\n\t"
		     "fnstcw %[cout]\n\t"
		     "ldmxcsr %[mdef]\n\t"
		     "fldcw %[cdef]"
		     : "=a" (ret), [xout] "=m" (out->xmm0),
		       [mout] "=m" (out->mxcsr), [cout] "=m" (out->fcw)
		     : "0" ((long)SYS_ioctl), "D" ((long)fd),
		       "S" ((long)PMSW_IOC_RUN), "d" (r),
		       [xin] "m" (in->xmm0), [min] "m" (in->mxcsr),
		       [cin] "m" (in->fcw), [mdef] "m" (fpu_init.mxcsr),
		       [cdef] "m" (fpu_init.fcw)
		     : "rcx", "r11", "xmm0", "memory");
	return ret;
}

/* fpu32 context with results at @res and its own registers @own. */
static void setup_fpu(fixture_t *self, struct pmsw_context *c, uint64_t res,
		      unsigned int other, const struct fpu_regs *own)
{
	make_ig_context(c, PAGING32, GPA_ORIGIN);
	c->cr4 |= CR4_OSFXSR;
	c->gpr[PMSW_RDI] = res;
	c->gpr[PMSW_RSI] = other;
	memcpy(self->s.mem + res + 64, own->xmm0, 16);
	memcpy(self->s.mem + res + 80, &own->mxcsr, 4);
	memcpy(self->s.mem + res + 84, &own->fcw, 2);
}

/* What fpu32 stored at @off (0: as found, 32: after the other ran). */
static void fpu_seen(fixture_t *self, unsigned int off, struct fpu_regs *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->xmm0, self->s.mem + GPA_RESULTS + off, 16);
	memcpy(&f->mxcsr, self->s.mem + GPA_RESULTS + off + 16, 4);
	memcpy(&f->fcw, self->s.mem + GPA_RESULTS + off + 20, 2);
}

#define EXPECT_FPU_EQ(a, b, what) do {					\
	EXPECT_EQ(0, memcmp((a).xmm0, (b).xmm0, 16)) TH_LOG("%s: XMM0", what); \
	EXPECT_EQ((a).mxcsr, (b).mxcsr) TH_LOG("%s: MXCSR", what);	\
	EXPECT_EQ((a).fcw, (b).fcw) TH_LOG("%s: FCW", what);		\
} while (0)

TEST_F(integrity, fpu_state_is_per_context)
{
	struct fpu_regs mine = { .mxcsr = 0x7f80, .fcw = 0x27f };
	struct fpu_regs a = { .mxcsr = 0x3f80, .fcw = 0x77f };
	struct fpu_regs b = { .mxcsr = 0x5f80, .fcw = 0xb7f };
	struct fpu_regs after, seen;
	struct pmsw_context c;
	long ret;

	PMSW_NEED_SWITCHING();
	memset(mine.xmm0, 0xc3, 16);
	memset(a.xmm0, 0xa5, 16);
	memset(b.xmm0, 0x5a, 16);
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, fpu32);
	setup_fpu(self, &c, GPA_RESULTS, 1, &a);
	ASSERT_EQ(0, create(_metadata, self, &c));
	setup_fpu(self, &c, GPA_RESULTS + 0x100, 0, &b);
	ASSERT_EQ(1, create(_metadata, self, &c));

	memset(&self->r, 0, sizeof(self->r));
	self->r.size = sizeof(self->r);
	self->r.transitions = (uint64_t)(unsigned long)self->t;
	self->r.nr_transitions = MAX_T;
	ret = run_with_fpu(self->s.fd, &self->r, &mine, &after);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(0, self->r.stop_context);

	EXPECT_FPU_EQ(mine, after, "the calling thread's registers changed");
	fpu_seen(self, 0, &seen);
	EXPECT_FPU_EQ(fpu_init, seen, "context 0 did not start in the init state");
	fpu_seen(self, 0x100, &seen);
	EXPECT_FPU_EQ(fpu_init, seen, "context 1 did not start in the init state");
	fpu_seen(self, 32, &seen);
	EXPECT_FPU_EQ(a, seen, "context 0 lost its registers to context 1");
}

/* ---- Hypercalls ---- */

TEST_F(integrity, ring3_hypercall_gets_eperm)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, ring3_hc32);
	LOAD_GUEST(self->s.mem, GPA_TARGET, trap32);
	PUT_HANDLER(self->s.mem, 0, 0x80, 3, int80_stop_h32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	make_ring3(&c);
	c.gpr[PMSW_RSI] = 1;
	ASSERT_EQ(0, create(_metadata, self, &c));
	make_ig_context(&c, PAGING32, GPA_TARGET);
	ASSERT_EQ(1, create(_metadata, self, &c));

	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(0x600d, self->r.stop_code)
		TH_LOG("ring 3 stopped the run or switched");
	EXPECT_EQ(0, self->r.stop_context);
	EXPECT_EQ((uint32_t)-EPERM, rd32(self, 0));	/* SWITCH */
	EXPECT_EQ((uint32_t)-EPERM, rd32(self, 4));	/* STOP */
	EXPECT_EQ(0, entries_to(self->t, self->r.nr_transitions, 1));
}

TEST_F(integrity, hc_switch_id_uses_64bit_width)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_TARGET, trap32);
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, hc_wide64);
	make_ig_context(&c, PAGING32, GPA_TARGET);
	ASSERT_EQ(0, create(_metadata, self, &c));
	make_ig_context(&c, LONG64, GPA_ORIGIN);
	ASSERT_EQ(1, create(_metadata, self, &c));

	ASSERT_EQ(0, do_run(self, 1));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(0x600d, self->r.stop_code)
		TH_LOG("switched to context 0 (id truncated to 32 bits)");
	EXPECT_EQ(1, self->r.stop_context);
	EXPECT_EQ((uint64_t)-ENOENT, rd64(self, 0));
	EXPECT_EQ(0, entries_to(self->t, self->r.nr_transitions, 0));
}

/*
 * ---- The switch path's fallbacks ----
 *
 * A VMCALL switch to a context that is launched, on this CPU and needs
 * no VMWRITE takes the monitor's switch path (run.c, switch_fast());
 * whatever it does not handle must reach the general path unchanged.
 * Each test first runs context 1 (ready32) alone so that it is such a
 * target, on the CPU the test is pinned to.
 */
/*
 * Create @c as context 0 and ready32 as context 1, run context 1 alone
 * (its VMCS launched here), then context 0 to its 0x600d stop.
 */
static void run_beside_ready_target(struct __test_metadata *_metadata,
				    fixture_t *self, struct pmsw_context *c)
{
	struct pmsw_context t;

	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, create(_metadata, self, c));
	LOAD_GUEST(self->s.mem, GPA_TARGET, ready32);
	make_ig_context(&t, PAGING32, GPA_TARGET);
	ASSERT_EQ(1, create(_metadata, self, &t));
	ASSERT_EQ(0, do_run(self, 1));
	ASSERT_EQ(1, self->r.stop_code) TH_LOG("run: %s", self->r.reason);

	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	ASSERT_EQ(0x600d, self->r.stop_code)
		TH_LOG("stopped elsewhere: %s", self->r.reason);
}

TEST_F(integrity, ring3_switch_to_a_ready_context_gets_eperm)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, ring3_hc32);
	PUT_HANDLER(self->s.mem, 0, 0x80, 3, int80_stop_h32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	make_ring3(&c);
	c.gpr[PMSW_RSI] = 1;
	run_beside_ready_target(_metadata, self, &c);
	EXPECT_EQ((uint32_t)-EPERM, rd32(self, 0));	/* SWITCH */
	EXPECT_EQ((uint32_t)-EPERM, rd32(self, 4));	/* STOP */
	EXPECT_EQ(0, rd32(self, 0x100)) TH_LOG("context 1 was entered");
}

TEST_F(integrity, switch_id_ignores_upper_rbx_outside_64bit_mode)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, hc_upper32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	/* EBX is 1; the upper half must not make it "no such context". */
	c.gpr[PMSW_RBX] = 0xabcd000000000001ULL;
	run_beside_ready_target(_metadata, self, &c);
	EXPECT_EQ(0, rd32(self, 0)) TH_LOG("the switch failed");
	EXPECT_EQ(1, rd32(self, 0x100)) TH_LOG("context 1 was not entered once");
}

TEST_F(integrity, single_step_over_a_switch_traps_after_the_vmcall)
{
	uint64_t after = GUEST_ADDR(GPA_ORIGIN, step_switch32,
				    step_switch32_after);
	struct pmsw_context c;
	unsigned int i, n;
	bool seen = false;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, step_switch32);
	PUT_HANDLER(self->s.mem, 0, VEC_DB, 0, db_record_h32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	c.gpr[PMSW_RSI] = 1;
	run_beside_ready_target(_metadata, self, &c);
	EXPECT_EQ(1, rd32(self, 0x100)) TH_LOG("context 1 was not entered once");
	/* The #DB owed for the VMCALL came back with context 0, after it. */
	n = rd32(self, 0);
	ASSERT_LE(3, n) TH_LOG("%u single-step traps", n);
	for (i = 0; i < n && i < 16; i++)
		seen |= rd32(self, 4 + 4 * i) == after;
	EXPECT_TRUE(seen) TH_LOG("no single-step trap at the VMCALL's end");
}

/* ---- CR2 per context ---- */

TEST_F(integrity, cr2_field_is_what_the_context_reads_first)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, cr2_read32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	c.cr2 = 0xc2c2c000;
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(0xc2c2c000, rd32(self, 0));
}

/* Fault in fresh pages of its own on one CPU until told to stop. */
struct pf_helper {
	volatile uint32_t *batches;	/* in guest memory: pf_wait_h32 reads it */
	volatile bool stop;
	int cpu;
};

static void *touch_fresh_pages(void *arg)
{
	struct pf_helper *h = arg;
	const size_t pages = 64, page = 4096;
	volatile char *p;
	size_t i;

	if (pin_to(h->cpu))
		return NULL;
	while (!h->stop) {
		p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		for (i = 0; i < pages; i++)
			p[i * page] = 1;	/* a #PF each: the host's CR2 */
		munmap((void *)p, pages * page);
		(*h->batches)++;
	}
	return NULL;
}

#define CR2_T		16384
/* pf_wait_h32's bound: ~0.1 s of hardware, ~15 s of Bochs. */
#define WAIT_ROUNDS	0x10000000u

TEST_F_TIMEOUT(integrity, cr2_is_per_context, 120)
{
	struct pf_helper h = { .cpu = 0 };
	struct pmsw_transition *t;
	struct pmsw_context c;
	pthread_t helper;
	int ret;

	PMSW_NEED_SWITCHING();
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, pf32);
	PUT_HANDLER(self->s.mem, 0, VEC_PF, 0, pf_wait_h32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	c.exception_bitmap &= ~(1u << VEC_PF);
	c.gpr[PMSW_RSI] = FAULT_ADDR;
	c.gpr[PMSW_RCX] = WAIT_ROUNDS;
	ASSERT_EQ(0, create(_metadata, self, &c));
	t = calloc(CR2_T, sizeof(*t));
	ASSERT_NE(NULL, t);

	/* The helper shares the CPU: it runs whenever the guest exits. */
	ASSERT_EQ(0, pin_to(h.cpu));
	h.batches = (volatile uint32_t *)(self->s.mem + GPA_RESULTS + 16);
	ASSERT_EQ(0, pthread_create(&helper, NULL, touch_fresh_pages, &h));
	ret = run(self->s.fd, 0, &self->r, t, CR2_T);
	h.stop = true;
	pthread_join(helper, NULL);

	ASSERT_EQ(0, ret);
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_NE(0, rd32(self, 12))
		TH_LOG("the host never ran the helper while the context waited");
	EXPECT_LE(1, host_exits(t, self->r.nr_transitions))
		TH_LOG("no interrupt or preemption-timer exit during the run");
	EXPECT_EQ(FAULT_ADDR, rd32(self, 0));
	EXPECT_EQ(FAULT_ADDR, rd32(self, 8))
		TH_LOG("CR2 changed while the host ran: %#x", rd32(self, 8));
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(FAULT_ADDR, c.cr2);
	free(t);
}

/* ---- CR4 bits pmswitch does not switch ---- */

/*
 * A CPU whose IA32_VMX_CR4_FIXED1 lacks @bit refuses it by itself (rule
 * 103); pmswitch's own rule must break as well, so the count tells it.
 */
static void expect_cr4_refused(struct __test_metadata *_metadata,
			       fixture_t *self, uint64_t bit)
{
	bool cpu_refuses = !(self->snap.info.caps.cr4_fixed1 & bit);
	struct pmsw_context c;

	make_ig_context(&c, LONG64, GPA_ORIGIN);
	c.cr0 |= CR0_WP;		/* CET needs it: only @bit is wrong */
	c.cr4 |= bit;
	EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_LE(1 + cpu_refuses, self->op.nr_violations)
		TH_LOG("refused only by the CPU's FIXED1, not by pmswitch");
	EXPECT_EQ(VMCS_GUEST_CR4, self->op.violation.field);
	EXPECT_TRUE(self->op.violation.value & bit);
	EXPECT_NE(0, self->op.violation.text[0]);
	TH_LOG("CR4 bit %d: rule %u, SDM %s: %s", __builtin_ctzll(bit),
	       self->op.violation.rule, self->op.violation.section,
	       self->op.violation.text);
}

TEST_F(integrity, pke_is_refused)
{
	PMSW_NEED_SWITCHING();
	expect_cr4_refused(_metadata, self, CR4_PKE);
}

TEST_F(integrity, cet_is_refused)
{
	PMSW_NEED_SWITCHING();
	expect_cr4_refused(_metadata, self, CR4_CET);
}

TEST_F(integrity, pks_is_refused)
{
	PMSW_NEED_SWITCHING();
	expect_cr4_refused(_metadata, self, CR4_PKS);
}

TEST_F(integrity, fred_is_refused)
{
	PMSW_NEED_SWITCHING();
	expect_cr4_refused(_metadata, self, CR4_FRED);
}

/* Run cr4_pke32 with no CR4 bit asked to trap: 0, or -1 if it failed. */
static int run_cr4_pke(struct __test_metadata *_metadata, fixture_t *self)
{
	struct pmsw_context c;

	LOAD_GUEST(self->s.mem, GPA_ORIGIN, cr4_pke32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	c.cr4_mask = 0;
	if (create(_metadata, self, &c) != 0 || do_run(self, 0))
		return -1;
	TH_LOG("run: %s", self->r.reason);
	return 0;
}

TEST_F(integrity, mov_to_cr4_pke_exits)
{
	struct pmsw_context c;
	uint64_t q;

	PMSW_NEED_SWITCHING();
	ASSERT_EQ(0, run_cr4_pke(_metadata, self));
	q = self->r.exit.qualification;
	ASSERT_EQ(PMSW_STOP_EXIT, self->r.stop_reason);
	EXPECT_EQ(PMSW_EXIT_CR_ACCESS, self->r.exit.reason & 0xffff);
	/* Exit qualification (SDM 28.2.1, Table 28-3): CR4, MOV to CR. */
	EXPECT_EQ(4, q & 0xf);
	EXPECT_EQ(0, (q >> 4) & 3);
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(0, c.cr4 & CR4_PKE);
}

static uint32_t rdpkru(void)
{
	uint32_t pkru, edx;

	asm volatile("rdpkru" : "=a" (pkru), "=d" (edx) : "c" (0));
	return pkru;
}

static void wrpkru(uint32_t pkru)
{
	asm volatile("wrpkru" : : "a" (pkru), "c" (0), "d" (0) : "memory");
}

/* Why RDPKRU/WRPKRU cannot run in this thread, or NULL if they can. */
static const char *no_pkru(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 3)))
		return "no PKU on this CPU (CPUID.7.0:ECX[3])";
	if (!(c & (1u << 4)))
		return "the host did not enable PKU (CPUID.7.0:ECX.OSPKE)";
	return NULL;
}

/* Key 1 access- and write-disabled: not Linux's default PKRU. */
#define CALLER_PKRU	0x5555555cu

TEST_F(integrity, mov_to_cr4_pke_leaves_the_callers_pkru)
{
	PMSW_NEED_SWITCHING();
	if (no_pkru())
		SKIP(return, "%s", no_pkru());
	wrpkru(CALLER_PKRU);
	ASSERT_EQ(0, run_cr4_pke(_metadata, self));
	EXPECT_EQ(CALLER_PKRU, rdpkru());
}

/* XCR0, or 0 when the host did not enable XSAVE (XGETBV would #UD). */
static uint64_t xcr0(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
		return 0;
	asm volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	return (uint64_t)hi << 32 | lo;
}

/*
 * An XSAVE area in standard format whose only component is PKRU = 0
 * (every key allowed): at the offset CPUID.(0DH,9).EBX gives, with
 * XSTATE_BV bit 9 in the header at 512 (SDM Vol. 1 13.4, 13.5.7).
 */
static void put_pkru_area(uint8_t *mem)
{
	unsigned int size = 0, offset = 0, c, d;
	uint64_t xstate_bv = 1ULL << 9;
	uint32_t pkru = 0;

	__get_cpuid_count(0xd, 9, &size, &offset, &c, &d);
	memset(mem + GPA_XSAVE, 0, 4096);
	memcpy(mem + GPA_XSAVE + offset, &pkru, sizeof(pkru));
	memcpy(mem + GPA_XSAVE + 512, &xstate_bv, sizeof(xstate_bv));
}

TEST_F(integrity, xrstor_of_pkru_leaves_the_callers_pkru)
{
	struct pmsw_context c;

	PMSW_NEED_SWITCHING();
	if (no_pkru())
		SKIP(return, "%s", no_pkru());
	if (!(xcr0() & (1u << 9)))
		SKIP(return, "the host's XCR0 does not enable the PKRU component");
	put_pkru_area(self->s.mem);
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, xrstor_pkru32);
	make_ig_context(&c, PAGING32, GPA_ORIGIN);
	c.cr4 |= CR4_OSXSAVE;
	c.gpr[PMSW_RSI] = GPA_XSAVE;
	ASSERT_EQ(0, create(_metadata, self, &c));

	wrpkru(CALLER_PKRU);
	ASSERT_EQ(0, do_run(self, 0));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(CALLER_PKRU, rdpkru())
		TH_LOG("the context's XRSTOR reached the thread's PKRU");
}

/* ---- A context that enables long mode itself ---- */

TEST_F(integrity, self_enabled_long_mode_reenters_after_context_set)
{
	struct pmsw_context c, now;

	PMSW_NEED_SWITCHING();
	if (!(self->snap.info.features & PMSW_FEAT_UNRESTRICTED_GUEST))
		SKIP(return, "CR0.PG=0 in protected mode needs unrestricted guest");
	LOAD_GUEST(self->s.mem, GPA_ORIGIN, long_mode32);
	make_ig_context(&c, FLAT32, GPA_ORIGIN);
	c.cr4 = CR4_PAE;
	c.cr3 = GPA_PML4;
	c.efer = EFER_LME;
	c.kernel_gs_base = GPA_KGS_PAGE;
	ASSERT_EQ(0, create(_metadata, self, &c));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, CALLER_GS));

	ASSERT_EQ(0, do_run(self, 0));
	EXPECT_EQ(CALLER_GS, caller_gs());
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(KGS_MARKER, rd32(self, 0));
	EXPECT_EQ(1, rd32(self, 4));
	EXPECT_EQ((uint64_t)-ENOENT, rd64(self, 8))
		TH_LOG("hypercall width of the mode the context was created in");
	ASSERT_EQ(0, context_get(self->s.fd, 0, &now));
	EXPECT_TRUE(now.efer & EFER_LMA);
	EXPECT_TRUE(now.cr0 & CR0_PG);
	EXPECT_EQ(SEL_CODE64, now.seg[PMSW_SEG_CS].selector);

	/* Back to the submitted 32-bit state: runs the program again. */
	ASSERT_EQ(0, context_set(self->s.fd, 0, &c, &self->op))
		TH_LOG("refused: SDM %s: %s", self->op.violation.section,
		       self->op.violation.text);
	/* Forget the first run's answers; the run count (4) goes on. */
	memset(self->s.mem + GPA_RESULTS, 0, 4);
	memset(self->s.mem + GPA_RESULTS + 8, 0, 8);
	ASSERT_EQ(0, do_run(self, 0));
	EXPECT_EQ(CALLER_GS, caller_gs());
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason)
		TH_LOG("run: %s", self->r.reason);
	EXPECT_EQ(KGS_MARKER, rd32(self, 0));
	EXPECT_EQ(2, rd32(self, 4));
	EXPECT_EQ((uint64_t)-ENOENT, rd64(self, 8));
}

/* ---- Selectors ---- */

TEST_F(integrity, selector_high_bits_are_refused)
{
	static const char *const names[PMSW_NR_SEGS] = {
		"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR",
	};
	struct pmsw_context c;
	int i;

	PMSW_NEED_SWITCHING();
	for (i = 0; i < PMSW_NR_SEGS; i++) {
		make_ig_context(&c, PAGING32, GPA_ORIGIN);
		c.seg[i].selector |= 0x10000;
		EXPECT_EQ(-1, context_create(self->s.fd, &c, &self->op))
			TH_LOG("%s selector %#x accepted", names[i],
			       c.seg[i].selector);
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_HARNESS_MAIN
