// SPDX-License-Identifier: GPL-2.0
/*
 * Stress with two or more CPUs: CPU hotplug while runs loop on every
 * CPU, runs on every CPU at once from several sessions and threads,
 * rmmod while files are open, signals at a high rate while runs loop,
 * and close() of the file while another thread is inside RUN. Every run
 * must end with the stop reason its cause gives, and the module must be
 * left whole (its references back where they were). Needs pmswitch.ko,
 * VT-x with EPT and 2 online CPUs; skips otherwise. The module itself is
 * never unloaded here: the test job does that at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"

/* VM-exit reason of VMCALL (SDM Appendix C): one per hypercall. */
#define EXIT_VMCALL	18
#define STOP_OK		0x600d
#define MAX_T		256
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
/* Under Bochs a signal or a join can take a while: bound every wait. */
#define JOIN_SECONDS	30
/* Round trips of a ping-pong that never stops by itself. */
#define ENDLESS		0x7fffffff

static void on_signal(int sig)
{
	(void)sig;
}

/* SIGUSR1 and SIGALRM interrupt RUN: no SA_RESTART. */
static int catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	return sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGALRM, &sa, NULL);
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int pin_thread(pthread_t thread, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(thread, sizeof(set), &set);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int session_stats(int fd, struct pmsw_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, PMSW_IOC_STATS, st);
}

/* The session has made at least @launches launches and @vmcalls VMCALLs. */
static bool wait_progress(int fd, uint64_t launches, uint64_t vmcalls)
{
	struct pmsw_stats st;
	int i;

	for (i = 0; i < 20000; i++) {
		if (session_stats(fd, &st))
			return false;
		if (st.launches >= launches && st.exits[EXIT_VMCALL] >= vmcalls)
			return true;
		usleep(1000);
	}
	return false;
}

static bool wait_launches(int fd, uint64_t n)
{
	return wait_progress(fd, n, 0);
}


static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return ret;
}

/* Online CPUs that are in VMX operation for pmswitch. */
static unsigned int vmx_on_cpus(struct __test_metadata *_metadata, int fd,
				unsigned int *online)
{
	struct pmsw_snapshot snap;

	EXPECT_EQ(0, pmsw_get_info(fd, &snap));
	*online = pmsw_count(&snap, 0);
	return pmsw_count(&snap, PMSW_CPU_VMX_ON);
}


/* ---- one endless run in its own thread, on its own session ---- */

struct looper {
	struct session s;
	pthread_t thread;
	bool started, joined;
	int cpu;		/* pinned there, or -1 */
	bool pingpong;
	int ret, err, pin_err, cpu_after;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
};

static void *loop_thread(void *arg)
{
	struct looper *l = arg;

	if (l->cpu >= 0)
		l->pin_err = pin_to(l->cpu);
	l->ret = run(l->s.fd, 0, &l->r, l->t, MAX_T);
	l->err = errno;
	l->cpu_after = sched_getcpu();
	return NULL;
}

/*
 * Context 0 of a new session runs forever: loop32, or with @pingpong a
 * ping-pong that switches contexts all the time. A thread on @cpu runs it.
 */
static int looper_start(struct looper *l, int cpu, bool pingpong)
{
	struct pmsw_context_op op;
	struct pmsw_context c;
	int err;

	l->cpu = cpu;
	l->pingpong = pingpong;
	if (session_open(&l->s))
		return -1;
	if (pingpong) {
		err = pingpong_create(&l->s, FLAT32, ENDLESS);
	} else {
		LOAD_GUEST(l->s.mem, GPA_ORIGIN, loop32);
		make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
		err = context_create(l->s.fd, &c, &op);
	}
	if (err || pthread_create(&l->thread, NULL, loop_thread, l))
		return -1;
	l->started = true;
	return wait_launches(l->s.fd, 1) ? 0 : -1;
}

/* Still inside RUN: the thread has not returned. */
static bool looper_busy(struct looper *l)
{
	return l->started && !l->joined &&
	       pthread_tryjoin_np(l->thread, NULL) == EBUSY;
}

/* Signal the thread out of RUN and join it; false if it does not end. */
static bool looper_stop(struct looper *l)
{
	struct timespec limit;

	if (!l->started || l->joined)
		return l->joined;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += JOIN_SECONDS;
	if (pthread_kill(l->thread, SIGUSR1) ||
	    pthread_timedjoin_np(l->thread, NULL, &limit))
		return false;
	l->joined = true;
	return true;
}

/* The run ended because of the signal, as a signal must end it. */
static void expect_signal_stop(struct __test_metadata *_metadata,
			       const struct looper *l)
{
	EXPECT_TRUE(l->joined);
	EXPECT_EQ(0, l->pin_err);
	EXPECT_EQ(-1, l->ret);
	EXPECT_EQ(EINTR, l->err);
	EXPECT_EQ(PMSW_STOP_SIGNAL, l->r.stop_reason);
	/* The ping-pong stops in either of its contexts. */
	EXPECT_GE(l->pingpong ? 1 : 0, l->r.stop_context);
	TH_LOG("looper pinned to CPU %d: %s (ended on CPU %d)", l->cpu,
	       l->r.reason, l->cpu_after);
}

static void looper_close(struct looper *l)
{
	looper_stop(l);
	session_close(&l->s);
}

/* ---- ping-pong ---- */

/* One complete ping-pong run: @rounds round trips, then the stop. */
static bool pingpong_ok(int fd, unsigned int rounds, struct pmsw_run *r,
			struct pmsw_transition *t)
{
	return !run(fd, 0, r, t, MAX_T) &&
	       r->stop_reason == PMSW_STOP_HYPERCALL &&
	       r->stop_code == STOP_OK && r->stop_context == 0 &&
	       r->nr_transitions == r->total_transitions &&
	       count_switches(t, r->nr_transitions) == 2 * rounds;
}

FIXTURE(stress) {
	struct pmsw_snapshot snap;
	unsigned int cpus;
	const char *why;
	bool cpu1_offlined;
};

FIXTURE_SETUP(stress)
{
	self->why = NULL;
	self->cpu1_offlined = false;
	if (!pmsw_can_switch(&self->snap)) {
		self->why = "needs pmswitch.ko and VT-x with EPT";
		return;
	}
	self->cpus = pmsw_count(&self->snap, 0);
	if (self->cpus < 2) {
		self->why = "needs 2 online CPUs";
		return;
	}
	ASSERT_EQ(0, catch_signals());
}

FIXTURE_TEARDOWN(stress)
{
	/* Never leave CPU1 offline for the suites that follow. */
	if (self->cpu1_offlined)
		write_file(CPU1_ONLINE, "1");
}

#define NEED_SMP()							\
	do {								\
		if (self->why)						\
			SKIP(return, "%s", self->why);			\
	} while (0)

/* ---- CPU hotplug ---- */

#define HOTPLUG_CYCLES	3

/* Both runs still inside RUN, the ping-pong switching; VMX on @cpus. */
static void expect_progress(struct __test_metadata *_metadata,
			    struct looper *l, unsigned int cpus)
{
	struct pmsw_stats st;
	unsigned int online, on;

	ASSERT_EQ(0, session_stats(l[1].s.fd, &st));
	EXPECT_TRUE(wait_progress(l[1].s.fd, 0, st.exits[EXIT_VMCALL] + 100));
	EXPECT_TRUE(looper_busy(&l[0]));
	EXPECT_TRUE(looper_busy(&l[1]));
	on = vmx_on_cpus(_metadata, l[0].s.fd, &online);
	EXPECT_EQ(cpus, online);
	EXPECT_EQ(online, on);
}

/*
 * CPU1 goes offline under the ping-pong pinned there: the kernel moves
 * the thread (and widens its affinity), CPU1 clears its VMCSs as it
 * leaves VMX operation, so the run goes on on CPU0 with new launches.
 * Then CPU1 comes back and the thread is pinned there again: the move
 * back clears the VMCSs on CPU0 and launches them on CPU1.
 */
static void hotplug_cycle(struct __test_metadata *_metadata,
			  FIXTURE_DATA(stress) *self, struct looper *l)
{
	struct pmsw_snapshot snap;
	struct pmsw_stats st;

	ASSERT_EQ(0, session_stats(l[1].s.fd, &st));
	ASSERT_EQ(0, write_file(CPU1_ONLINE, "0"));
	self->cpu1_offlined = true;
	ASSERT_EQ(0, pmsw_get_info(l[0].s.fd, &snap));
	EXPECT_FALSE(snap.cpus[1].flags & PMSW_CPU_ONLINE);
	EXPECT_TRUE(wait_launches(l[1].s.fd, st.launches + 1));
	expect_progress(_metadata, l, self->cpus - 1);

	ASSERT_EQ(0, session_stats(l[1].s.fd, &st));
	ASSERT_EQ(0, write_file(CPU1_ONLINE, "1"));
	self->cpu1_offlined = false;
	ASSERT_EQ(0, pin_thread(l[1].thread, 1));
	EXPECT_TRUE(wait_launches(l[1].s.fd, st.launches + 1));
	expect_progress(_metadata, l, self->cpus);
}

TEST_F_TIMEOUT(stress, cpu_hotplug_while_runs_loop_on_both_cpus, 120)
{
	struct looper l[2] = { { .s.fd = -1 }, { .s.fd = -1 } };
	struct session s = { .fd = -1, .mem = MAP_FAILED };
	struct pmsw_context_op op;
	struct pmsw_context c;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	int i;

	NEED_SMP();
	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "CPU1 cannot go offline (%s)", CPU1_ONLINE);
	ASSERT_EQ(0, looper_start(&l[0], 0, false));
	ASSERT_EQ(0, looper_start(&l[1], 1, true));

	for (i = 0; i < HOTPLUG_CYCLES; i++)
		hotplug_cycle(_metadata, self, l);
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(looper_stop(&l[i]));
		expect_signal_stop(_metadata, &l[i]);
	}

	/* A new run on CPU1 works. */
	ASSERT_EQ(0, pin_to(1));
	ASSERT_EQ(0, session_open(&s));
	LOAD_GUEST(s.mem, GPA_ORIGIN, stopper32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	ASSERT_EQ(0, context_create(s.fd, &c, &op));
	EXPECT_EQ(0, run(s.fd, 0, &r, t, MAX_T));
	EXPECT_EQ(PMSW_STOP_HYPERCALL, r.stop_reason);
	EXPECT_EQ(7, r.stop_code);
	EXPECT_EQ(1, sched_getcpu());
	session_close(&s);
	for (i = 0; i < 2; i++)
		looper_close(&l[i]);
}

/* ---- runs on every CPU at once ---- */

#define SESSIONS	2
#define RUNS		40
#define ROUNDS		50

struct worker {
	struct session *s;
	pthread_t thread;
	int cpu, pin_err, wrong_cpu;
	unsigned int done, busy, bad;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
};

/* RUNS complete runs of the session's ping-pong; EBUSY means retry. */
static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	w->pin_err = pin_to(w->cpu);
	while (w->done < RUNS && w->bad < 10) {
		if (pingpong_ok(w->s->fd, ROUNDS, &w->r, w->t)) {
			w->done++;
			w->wrong_cpu += sched_getcpu() != w->cpu;
		} else if (errno == EBUSY) {
			w->busy++;
			sched_yield();
		} else {
			w->bad++;
		}
	}
	return NULL;
}

/* Every VMCALL ran once: two per round trip and the stop, per run. */
static void expect_session_totals(struct __test_metadata *_metadata,
				  struct session *s, unsigned int runs)
{
	struct pmsw_stats st;
	struct pmsw_context c;

	ASSERT_EQ(0, session_stats(s->fd, &st));
	EXPECT_EQ((uint64_t)runs * (2 * ROUNDS + 1), st.exits[EXIT_VMCALL]);
	EXPECT_LE(2, st.launches);
	ASSERT_EQ(0, context_get(s->fd, 0, &c));
	EXPECT_EQ(0, c.gpr[PMSW_RCX]);
}

TEST_F_TIMEOUT(stress, runs_on_every_cpu_from_several_sessions, 120)
{
	struct session s[SESSIONS];
	struct worker *w;
	unsigned int i, n, busy = 0;

	NEED_SMP();
	n = SESSIONS * self->cpus;
	w = calloc(n, sizeof(*w));
	ASSERT_NE(NULL, w);
	for (i = 0; i < SESSIONS; i++) {
		ASSERT_EQ(0, session_open(&s[i]));
		ASSERT_EQ(0, pingpong_create(&s[i], FLAT32, ROUNDS));
	}
	/* Each session has a thread on every CPU. */
	for (i = 0; i < n; i++) {
		w[i].s = &s[i % SESSIONS];
		w[i].cpu = i / SESSIONS;
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, worker_thread,
					    &w[i]));
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		EXPECT_EQ(0, w[i].pin_err);
		EXPECT_EQ(RUNS, w[i].done);
		EXPECT_EQ(0, w[i].bad);
		EXPECT_EQ(0, w[i].wrong_cpu);
		busy += w[i].busy;
	}
	TH_LOG("%u threads x %u runs x %u round trips; %u RUNs refused with EBUSY",
	       n, RUNS, ROUNDS, busy);
	for (i = 0; i < SESSIONS; i++) {
		expect_session_totals(_metadata, &s[i], RUNS * self->cpus);
		session_close(&s[i]);
	}
	free(w);
}

/* ---- rmmod while files are open ---- */

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

/* Refused with EBUSY or EWOULDBLOCK (kernel/module/main.c: in use). */
static void expect_rmmod_refused(struct __test_metadata *_metadata,
				 unsigned int flags)
{
	int ret = delete_module("pmswitch", flags), err = errno;

	TH_LOG("delete_module(pmswitch, %#x): %s", flags,
	       ret ? strerror(err) : "unloaded!");
	ASSERT_EQ(-1, ret);
	EXPECT_TRUE(err == EBUSY || err == EWOULDBLOCK);
}

TEST_F_TIMEOUT(stress, rmmod_while_files_are_open_is_refused, 120)
{
	struct looper l = { .s.fd = -1 };
	struct session idle = { .fd = -1, .mem = MAP_FAILED };
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	long refs;

	NEED_SMP();
	refs = pmsw_module_refs();
	if (refs < 0)
		SKIP(return, "no %s", PMSW_MOD_REFCNT);
	ASSERT_EQ(0, looper_start(&l, 1, true));
	ASSERT_EQ(0, session_open(&idle));
	/* Two files, one mapping each: each holds the module. */
	EXPECT_LE(refs + 2, pmsw_module_refs());

	expect_rmmod_refused(_metadata, O_NONBLOCK);
	expect_rmmod_refused(_metadata, 0);

	/* Nothing was lost: the run loops on, the idle session runs. */
	EXPECT_EQ(0, access(PMSW_DEV, R_OK | W_OK));
	EXPECT_TRUE(looper_busy(&l));
	ASSERT_EQ(0, pingpong_create(&idle, FLAT32, ROUNDS));
	EXPECT_TRUE(pingpong_ok(idle.fd, ROUNDS, &r, t));
	ASSERT_TRUE(looper_stop(&l));
	expect_signal_stop(_metadata, &l);

	looper_close(&l);
	session_close(&idle);
	EXPECT_EQ(refs, pmsw_module_refs());
}

/* ---- signals at a high rate ---- */

#define SIGNAL_US	2000
#define STORM_MS	1500
#define STORM_ROUNDS	20000

static int storm(long us)
{
	struct itimerval tv = {
		.it_interval = { .tv_usec = us }, .it_value = { .tv_usec = us },
	};

	return setitimer(ITIMER_REAL, &tv, NULL);
}

/* Context 2 loops: under the storm every RUN ends with the signal. */
static void loop_under_storm(struct __test_metadata *_metadata, int fd)
{
	struct pmsw_transition t[MAX_T];
	struct timespec t0;
	struct pmsw_run r;
	unsigned int runs = 0, wrong = 0, entered = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < STORM_MS) {
		runs++;
		if (run(fd, 2, &r, t, MAX_T) != -1 || errno != EINTR ||
		    r.stop_reason != PMSW_STOP_SIGNAL || r.stop_context != 2)
			wrong++;
		entered += r.total_transitions > 0;
	}
	TH_LOG("looping guest: %u RUNs in %d ms, %u entered the guest, %u wrong",
	       runs, STORM_MS, entered, wrong);
	EXPECT_EQ(0, wrong);
	EXPECT_LE(STORM_MS * 1000 / SIGNAL_US / 4, runs);
	EXPECT_LE(1, entered);
}

/* Ping-pong continued after every signal, until it stops by itself. */
static void pingpong_under_storm(struct __test_metadata *_metadata,
				 int fd)
{
	struct pmsw_transition t[MAX_T];
	struct pmsw_run r;
	unsigned int intr = 0, wrong = 0, id = 0;
	int ret;

	for (;;) {
		ret = run(fd, id, &r, t, MAX_T);
		if (!ret || intr + wrong > 100000)
			break;
		if (errno != EINTR || r.stop_reason != PMSW_STOP_SIGNAL ||
		    r.stop_context > 1)
			wrong++;
		else
			intr++;
		/* Continue where the signal stopped it (ping or pong). */
		id = r.stop_context;
	}
	TH_LOG("ping-pong of %u round trips: %u RUNs interrupted, %u wrong",
	       STORM_ROUNDS, intr, wrong);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, wrong);
	EXPECT_LE(1, intr);
	EXPECT_EQ(PMSW_STOP_HYPERCALL, r.stop_reason);
	EXPECT_EQ(STOP_OK, r.stop_code);
}

TEST_F_TIMEOUT(stress, signals_at_a_high_rate_while_runs_loop, 120)
{
	struct session s = { .fd = -1, .mem = MAP_FAILED };
	struct pmsw_context_op op;
	struct pmsw_context c;
	struct pmsw_stats st;

	NEED_SMP();
	ASSERT_EQ(0, session_open(&s));
	ASSERT_EQ(0, pingpong_create(&s, FLAT32, STORM_ROUNDS));
	LOAD_GUEST(s.mem, GPA_THIRD, loop32);
	make_context(&c, FLAT32, GPA_THIRD, 0xa0000);
	ASSERT_EQ(2, context_create(s.fd, &c, &op));

	ASSERT_EQ(0, storm(SIGNAL_US));
	loop_under_storm(_metadata, s.fd);
	pingpong_under_storm(_metadata, s.fd);
	ASSERT_EQ(0, storm(0));

	/* No hypercall ran twice or was lost across the interruptions. */
	ASSERT_EQ(0, session_stats(s.fd, &st));
	EXPECT_EQ(2 * STORM_ROUNDS + 1, st.exits[EXIT_VMCALL]);
	ASSERT_EQ(0, context_get(s.fd, 2, &c));
	EXPECT_EQ(GPA_THIRD, c.rip);
	session_close(&s);
}

/* ---- close() while another thread is inside RUN ---- */

TEST_F_TIMEOUT(stress, close_while_another_thread_is_in_run, 120)
{
	struct looper l = { .s.fd = -1 };
	struct session s = { .fd = -1, .mem = MAP_FAILED };
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	unsigned int online, vmx_before;
	long refs;
	int fd;

	NEED_SMP();
	refs = pmsw_module_refs();
	fd = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	vmx_before = vmx_on_cpus(_metadata, fd, &online);
	close(fd);

	ASSERT_EQ(0, looper_start(&l, 1, false));
	/* Only the descriptor holds the file besides the running ioctl. */
	ASSERT_EQ(0, munmap(l.s.mem, GUEST_MEM));
	l.s.mem = MAP_FAILED;
	fd = l.s.fd;
	ASSERT_EQ(0, close(fd));
	l.s.fd = -1;
	usleep(200000);
	EXPECT_TRUE(looper_busy(&l));

	/* The descriptor number is free: a new session gets its own file. */
	ASSERT_EQ(0, session_open(&s));
	ASSERT_EQ(0, pingpong_create(&s, FLAT32, ROUNDS));
	EXPECT_TRUE(pingpong_ok(s.fd, ROUNDS, &r, t));
	session_close(&s);

	ASSERT_TRUE(looper_stop(&l));
	expect_signal_stop(_metadata, &l);
	/* The last reference went with the run: everything is released. */
	if (refs >= 0)
		EXPECT_EQ(refs, pmsw_module_refs());
	fd = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(vmx_before, vmx_on_cpus(_metadata, fd, &online));
	close(fd);
}

TEST_HARNESS_MAIN
