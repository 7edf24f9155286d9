// SPDX-License-Identifier: GPL-2.0
/*
 * Session locking and lifetime: what other threads can do while one
 * thread runs a guest that loops forever, mmap() against MEMORY_RW (the
 * copy faults on the caller's pages, which needs the mmap lock an mmap()
 * holds), which mappings are refused, and a guest-memory request the
 * machine cannot satisfy. Needs pmswitch.ko; the run tests also need
 * VT-x with EPT. Skips otherwise.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"

#define PAGE		4096u
/* Everything another thread asks for while a run loops: under 1 s. */
#define MAX_MS		1000
#define HAMMER_ROUNDS	2000
/*
 * Pages each MEMORY_RW of the hammer copies into fresh pages: each one
 * faults, so the copy spans many mmap-lock acquisitions; with 16 the old
 * module (session lock held across the copy and taken by mmap()) hung in
 * the first seconds on 6.1 and 6.12.
 */
#define HAMMER_PAGES	16
/* Where the hammer counts: guest memory no guest program uses. */
#define HAMMER_GPA	0x100000

static struct timespec clock_start(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t = clock_start();

	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int memory_rw(int fd, uint64_t gpa, void *buf, uint64_t len,
		     bool to_guest)
{
	struct pmsw_memory_rw rw = {
		.size = sizeof(rw), .flags = to_guest ? PMSW_MEM_WRITE : 0,
		.gpa = gpa, .len = len, .buf = (uint64_t)(unsigned long)buf,
	};

	return ioctl(fd, PMSW_IOC_MEMORY_RW, &rw);
}

static int context_destroy(int fd, int id)
{
	struct pmsw_context_op op = { .size = sizeof(op), .id = id };

	return ioctl(fd, PMSW_IOC_CONTEXT_DESTROY, &op);
}

static int set_memory(int fd, uint64_t bytes)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = bytes };

	return ioctl(fd, PMSW_IOC_SET_MEMORY, &m);
}

/* Fresh anonymous pages, never touched: a copy into them faults. */
static void *fresh_pages(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* Everything logged since pmsw_kmsg_open(), one string (free it). */
static char *kmsg_since(int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *all = calloc(1, cap);
	ssize_t n;

	while (all) {
		if (cap - len < 2048) {
			cap *= 2;
			all = realloc(all, cap);
			if (!all)
				break;
		}
		n = read(fd, all + len, cap - len - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		len += n;
		all[len] = '\0';
	}
	return all;
}

/* Console lines run-vm fails a run on, and allocation-failure reports. */
static const char *const bad_lines[] = {
	"WARNING", "Call Trace", "vmalloc error", "page allocation failure",
	"invoked oom-killer", "blocked for more than",
};

/* One PMSW_IOC_RUN in its own thread. */
struct runner {
	pthread_t thread;
	bool started, joined;
	int fd;
	int ret, err;
	struct pmsw_run r;
	struct pmsw_transition t[64];
};

static void *run_thread(void *arg)
{
	struct runner *rn = arg;

	rn->ret = run(rn->fd, 0, &rn->r, rn->t, 64);
	rn->err = errno;
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Signal the runner (its RUN returns EINTR) and join it; ms taken or -1. */
static long stop_runner(struct runner *rn)
{
	struct timespec t0 = clock_start(), limit;

	if (!rn->started || rn->joined)
		return 0;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 10;
	if (pthread_kill(rn->thread, SIGUSR1) ||
	    pthread_timedjoin_np(rn->thread, NULL, &limit))
		return -1;
	rn->joined = true;
	return ms_since(&t0);
}

/* The session's guest has entered at least once. */
static bool wait_running(int fd)
{
	struct pmsw_stats st = { .size = sizeof(st) };
	int i;

	for (i = 0; i < 10000; i++) {
		if (ioctl(fd, PMSW_IOC_STATS, &st))
			return false;
		if (st.launches)
			return true;
		usleep(1000);
	}
	return false;
}

FIXTURE(busy) {
	struct session s;
	struct runner rn;
	struct pmsw_context_op op;
	bool ready;
};

FIXTURE_SETUP(busy)
{
	struct sigaction sa = { .sa_handler = on_signal };

	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->rn.fd = -1;
	self->ready = pmsw_can_switch(NULL);
	if (!self->ready)
		return;
	ASSERT_EQ(0, session_open(&self->s));
	/* No SA_RESTART: the run returns EINTR to the runner. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(busy)
{
	stop_runner(&self->rn);
	if (self->rn.fd >= 0)
		close(self->rn.fd);
	session_close(&self->s);
}

/* Context 0 loops forever; a thread runs it on a dup of the session fd. */
static void start_loop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(busy) *self)
{
	struct pmsw_context c;

	LOAD_GUEST(self->s.mem, GPA_ORIGIN, loop32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	ASSERT_EQ(0, context_create(self->s.fd, &c, &self->op));
	self->rn.fd = dup(self->s.fd);
	ASSERT_LE(0, self->rn.fd);
	ASSERT_EQ(0, pthread_create(&self->rn.thread, NULL, run_thread,
				    &self->rn));
	self->rn.started = true;
	ASSERT_TRUE(wait_running(self->s.fd));
}

/* Log how long @what took since @t0 and expect under MAX_MS. */
#define EXPECT_QUICK(what, t0)						\
	do {								\
		long __ms = ms_since(&(t0));				\
									\
		TH_LOG("%-44s %4ld ms", what, __ms);			\
		EXPECT_GT(MAX_MS, __ms);				\
	} while (0)

/* @cmd on context 0 is refused with EBUSY at once. */
static void expect_busy(struct __test_metadata *_metadata, int fd,
			unsigned long cmd, const char *what)
{
	struct pmsw_context c;
	struct pmsw_context_op op = {
		.size = sizeof(op), .context = (uint64_t)(unsigned long)&c,
	};
	struct timespec t0 = clock_start();
	int ret, err;

	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	ret = ioctl(fd, cmd, &op);
	err = errno;
	EXPECT_QUICK(what, t0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);
}

TEST_F(busy, context_commands_are_refused_at_once_while_a_run_loops)
{
	struct pmsw_run r;
	struct pmsw_transition t[4];
	struct timespec t0;
	int kmsg, ret, err;
	char *log;

	if (!self->ready)
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	kmsg = pmsw_kmsg_open();
	start_loop(_metadata, self);

	expect_busy(_metadata, self->s.fd, PMSW_IOC_CONTEXT_DESTROY,
		    "CONTEXT_DESTROY: EBUSY");
	expect_busy(_metadata, self->s.fd, PMSW_IOC_CONTEXT_GET,
		    "CONTEXT_GET: EBUSY");
	expect_busy(_metadata, self->s.fd, PMSW_IOC_CONTEXT_SET,
		    "CONTEXT_SET: EBUSY");
	expect_busy(_metadata, self->s.fd, PMSW_IOC_CONTEXT_CREATE,
		    "CONTEXT_CREATE: EBUSY");

	t0 = clock_start();
	ret = run(self->s.fd, 0, &r, t, 4);
	err = errno;
	EXPECT_QUICK("a second RUN: EBUSY", t0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);

	t0 = clock_start();
	ret = set_memory(self->s.fd, GUEST_MEM);
	err = errno;
	EXPECT_QUICK("SET_MEMORY: EBUSY", t0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);

	EXPECT_LE(0, stop_runner(&self->rn));
	EXPECT_EQ(EINTR, self->rn.err);
	if (kmsg >= 0) {
		log = kmsg_since(kmsg);
		ASSERT_NE(NULL, log);
		EXPECT_NE(NULL, strstr(log, "CONTEXT_DESTROY: a run is in progress on this session"));
		EXPECT_NE(NULL, strstr(log, "RUN: a run is in progress on this session"));
		free(log);
		close(kmsg);
	}
}

/* mmap() and MEMORY_RW next to a looping run: the deadlock of old. */
static void memory_while_running(struct __test_metadata *_metadata,
				 FIXTURE_DATA(busy) *self)
{
	struct timespec t0;
	uint8_t *p, *anon, *zero;
	int ret, i;

	t0 = clock_start();
	p = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->s.fd, 0);
	ret = p == MAP_FAILED ? -1 : munmap(p, GUEST_MEM);
	EXPECT_QUICK("mmap + munmap of guest memory", t0);
	EXPECT_EQ(0, ret);

	anon = fresh_pages(2 * PAGE);
	ASSERT_NE(MAP_FAILED, anon);
	t0 = clock_start();
	ret = memory_rw(self->s.fd, GPA_ORIGIN, anon, 2 * PAGE, false);
	EXPECT_QUICK("MEMORY_RW into untouched anonymous pages", t0);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(anon, self->s.mem + GPA_ORIGIN, 2 * PAGE));
	munmap(anon, 2 * PAGE);

	memset(self->s.mem + GPA_THIRD, 0xaa, PAGE);
	zero = fresh_pages(PAGE);
	ASSERT_NE(MAP_FAILED, zero);
	t0 = clock_start();
	ret = memory_rw(self->s.fd, GPA_THIRD, zero, PAGE, true);
	EXPECT_QUICK("MEMORY_RW from untouched anonymous pages", t0);
	EXPECT_EQ(0, ret);
	for (i = 0; i < (int)PAGE; i++)
		if (self->s.mem[GPA_THIRD + i])
			break;
	EXPECT_EQ(PAGE, i);
	munmap(zero, PAGE);

	t0 = clock_start();
	p = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->s.fd, 0);
	ret = p == MAP_FAILED ? -1 :
	      memory_rw(self->s.fd, GPA_RESULTS, p + GPA_ORIGIN, 64, true);
	EXPECT_QUICK("MEMORY_RW from a new mapping of guest memory", t0);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(self->s.mem + GPA_RESULTS, guest_loop32,
			    guest_loop32_end - guest_loop32));
	if (p != MAP_FAILED)
		munmap(p, GUEST_MEM);
}

TEST_F(busy, memory_stats_vmx_and_close_answer_while_a_run_loops)
{
	struct pmsw_stats st = { .size = sizeof(st) };
	struct pmsw_snapshot snap;
	struct pmsw_context c;
	struct timespec t0;
	long ms;
	int ret;

	if (!self->ready)
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	start_loop(_metadata, self);

	memory_while_running(_metadata, self);

	t0 = clock_start();
	ret = ioctl(self->s.fd, PMSW_IOC_STATS, &st);
	EXPECT_QUICK("STATS", t0);
	EXPECT_EQ(0, ret);
	EXPECT_LE(1, st.launches);

	t0 = clock_start();
	ret = pmsw_get_info(self->s.fd, &snap);
	EXPECT_QUICK("INFO", t0);
	EXPECT_EQ(0, ret);

	t0 = clock_start();
	ret = ioctl(self->s.fd, PMSW_IOC_VMXON, 0);
	if (!ret)
		ret = ioctl(self->s.fd, PMSW_IOC_VMXOFF, 0);
	EXPECT_QUICK("VMXON + VMXOFF", t0);
	EXPECT_EQ(0, ret);

	/* The running ioctl holds its own reference on the file. */
	t0 = clock_start();
	ret = close(self->rn.fd);
	self->rn.fd = -1;
	EXPECT_QUICK("close() of the descriptor the run uses", t0);
	EXPECT_EQ(0, ret);

	ms = stop_runner(&self->rn);
	TH_LOG("%-44s %4ld ms", "signal to the running thread until joined", ms);
	ASSERT_LE(0, ms);
	EXPECT_GT(MAX_MS, ms);
	EXPECT_EQ(-1, self->rn.ret);
	EXPECT_EQ(EINTR, self->rn.err);
	EXPECT_EQ(PMSW_STOP_SIGNAL, self->rn.r.stop_reason);
	EXPECT_LE(1, self->rn.r.total_transitions);

	/* The run is over: the session is whole and changes again. */
	ASSERT_EQ(0, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(GPA_ORIGIN, c.rip);
	EXPECT_EQ(0, context_destroy(self->s.fd, 0));
	EXPECT_EQ(-1, context_get(self->s.fd, 0, &c));
	EXPECT_EQ(ENOENT, errno);
}

/* Sessions with memory: needs the device, not VT-x. */
FIXTURE(mem) {
	struct session s;
	bool ready;
};

FIXTURE_SETUP(mem)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = !access(PMSW_DEV, R_OK | W_OK);
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(mem)
{
	session_close(&self->s);
}

#define NEED_DEVICE()							\
	do {								\
		if (!self->ready)					\
			SKIP(return, "needs pmswitch.ko loaded (%s)", PMSW_DEV); \
	} while (0)

TEST_F(mem, private_mappings_are_refused)
{
	int kmsg = pmsw_kmsg_open();
	void *p;

	NEED_DEVICE();
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, self->s.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->s.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (kmsg >= 0) {
		EXPECT_TRUE(pmsw_kmsg_has(kmsg, "mmap: MAP_PRIVATE refused"));
		close(kmsg);
	}
}

TEST_F(mem, mappings_must_fit_the_memory)
{
	uint8_t *p;

	NEED_DEVICE();
	p = mmap(NULL, GUEST_MEM + PAGE, PROT_READ, MAP_SHARED, self->s.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->s.fd, GUEST_MEM);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->s.fd,
		 GUEST_MEM - PAGE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* The last page, on its own, is the same memory. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->s.fd,
		 GUEST_MEM - PAGE);
	ASSERT_NE(MAP_FAILED, p);
	self->s.mem[GUEST_MEM - 8] = 0x5a;
	EXPECT_EQ(0x5a, p[PAGE - 8]);
	munmap(p, PAGE);
}

TEST_F(mem, mmap_before_set_memory_is_enodev)
{
	void *p;
	int fd;

	NEED_DEVICE();
	fd = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

/*
 * PMSW_MAX_MEMORY is all the RAM of the 256-MiB emulated machine: the
 * request fails with ENOMEM and a one-line reason, without an allocation
 * warning, a stack trace or the OOM killer. Where memory allows it
 * succeeds, and the last page is usable.
 */
TEST_F_TIMEOUT(mem, max_memory_fails_or_works_without_a_warning, 300)
{
	int kmsg = pmsw_kmsg_open(), fd, ret, err;
	uint64_t word = 0x1234, back = 0;
	unsigned int i;
	char *log;

	NEED_DEVICE();
	ASSERT_LE(0, kmsg);
	fd = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ret = set_memory(fd, PMSW_MAX_MEMORY);
	err = errno;
	TH_LOG("SET_MEMORY of %llu MiB: %s", PMSW_MAX_MEMORY >> 20,
	       ret ? strerror(err) : "done");
	if (ret) {
		EXPECT_EQ(ENOMEM, err);
	} else {
		EXPECT_EQ(0, memory_rw(fd, PMSW_MAX_MEMORY - 8, &word, 8, true));
		EXPECT_EQ(0, memory_rw(fd, PMSW_MAX_MEMORY - 8, &back, 8, false));
		EXPECT_EQ(word, back);
	}
	close(fd);

	log = kmsg_since(kmsg);
	ASSERT_NE(NULL, log);
	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		if (strstr(log, bad_lines[i]))
			TH_LOG("kernel log has \"%s\":\n%s", bad_lines[i], log);
		EXPECT_EQ(NULL, strstr(log, bad_lines[i]));
	}
	if (ret)
		EXPECT_NE(NULL, strstr(log, "SET_MEMORY: not enough memory"));
	free(log);
	close(kmsg);
}

/* Two threads: MEMORY_RW through fresh pages against mmap()/munmap(). */
struct hammer {
	int fd;
	unsigned int rounds;
	unsigned int failures;
};

/* Read guest pages into fresh pages, count in them, write them back. */
static void *rw_thread(void *arg)
{
	const size_t len = HAMMER_PAGES * PAGE;
	struct hammer *h = arg;
	uint64_t *buf;
	unsigned int i;

	for (i = 0; i < h->rounds; i++) {
		buf = fresh_pages(len);
		if (buf == MAP_FAILED) {
			h->failures++;
			continue;
		}
		if (memory_rw(h->fd, HAMMER_GPA, buf, len, false)) {
			h->failures++;
		} else {
			buf[0]++;
			if (memory_rw(h->fd, HAMMER_GPA, buf, len, true))
				h->failures++;
		}
		munmap(buf, len);
	}
	return NULL;
}

/* Map four pages of guest memory at a moving offset, read, unmap. */
static void *map_thread(void *arg)
{
	struct hammer *h = arg;
	volatile uint8_t *p;
	unsigned int i;

	for (i = 0; i < h->rounds; i++) {
		p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 h->fd, (i % 64) * 4 * PAGE);
		if (p == MAP_FAILED) {
			h->failures++;
			continue;
		}
		(void)p[0];
		munmap((void *)p, 4 * PAGE);
	}
	return NULL;
}

TEST_F_TIMEOUT(mem, memory_rw_against_mmap_hammer, 120)
{
	struct hammer rw = { .fd = self->s.fd, .rounds = HAMMER_ROUNDS };
	struct hammer map = rw;
	struct timespec t0;
	pthread_t a, b;
	uint64_t count;

	NEED_DEVICE();
	memset(self->s.mem + HAMMER_GPA, 0, HAMMER_PAGES * PAGE);
	t0 = clock_start();
	ASSERT_EQ(0, pthread_create(&a, NULL, rw_thread, &rw));
	ASSERT_EQ(0, pthread_create(&b, NULL, map_thread, &map));
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	TH_LOG("%u MEMORY_RW pairs of %u fresh pages against %u mmap/munmap: %ld ms",
	       HAMMER_ROUNDS, HAMMER_PAGES, HAMMER_ROUNDS, ms_since(&t0));
	EXPECT_EQ(0, rw.failures);
	EXPECT_EQ(0, map.failures);
	/* Every round's write-back landed. */
	memcpy(&count, self->s.mem + HAMMER_GPA, sizeof(count));
	EXPECT_EQ(HAMMER_ROUNDS, count);
}

TEST_HARNESS_MAIN
