// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, multi-threaded ioctl fuzzer for /dev/pmswitch.
 *
 * Two threads share one file and a third uses its own. Each draws its
 * operations from a PRNG derived from one seed: random ioctl numbers,
 * every real ioctl with valid, boundary and garbage contents behind good,
 * NULL, read-only, PROT_NONE, unmapped, kernel and non-canonical
 * pointers, SET_MEMORY up to and beyond the machine's RAM, mmap/munmap,
 * contexts mutated from valid ones, RUNs with short budgets, VMXON and
 * VMXOFF with and without the persistent reference, close and reopen.
 *
 * Every result is judged: the errno must be one the command documents
 * (Documentation/uapi.rst), EFAULT only when a pointer was bad, exactly
 * EFAULT when the argument itself was unreadable, ENOTTY for every
 * number that is not a command, and no operation may take longer than
 * OP_LIMIT_S. The kernel log is watched for splats and OOM kills while
 * the fuzzer runs. At the end no VMX reference and no module reference
 * may be left behind. Prints the seed first, then an errno table.
 *
 * Environment: PMSW_FUZZ_SEED (number, or "random"; default DEFAULT_SEED),
 * PMSW_FUZZ_OPS (operations in all, default DEFAULT_OPS), PMSW_FUZZ_VERBOSE=1
 * (one line per operation), PMSW_FUZZ_FREE_PROBES=0 (no SET_MEMORY above
 * the free memory while the threads run). The sequence of each thread depends on the
 * seed alone; how the threads interleave does not replay.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>

#include "kselftest.h"
#include "pmsw_guest.h"

#define DEFAULT_SEED	0x9b5e7c0de5eedULL
#define DEFAULT_OPS	50000
#define NR_THREADS	3
/* An operation that takes longer than this fails the run. */
#define OP_LIMIT_S	30
/* A RUN without a transition limit is interrupted by SIGUSR1 after this. */
#define RUN_SIGNAL_MS	2000
#define MAX_MAPS	4
#define NR_IDS		4	/* context ids the fuzzer mostly aims at */
#define MAX_T		64
#define RWBUF_SIZE	(64u << 10)
#define BIG_MEMORY	(16ULL << 20)
#define FREE_MARGIN	(64ULL << 20)
#define ERRNO_MAX	134
#define RING		16
/* Far from where mmap() places anything: a page we unmapped stays so. */
#define FAR_PAGE	((void *)0x100000000000ULL)

/* Where the setup operation loads guest programs (pmsw_guest.h layout). */
#define GPA_EXTRA	0x40000

enum op {
	OP_FOREIGN, OP_BADNR, OP_INFO, OP_VMXON, OP_VMXOFF, OP_SET_MEMORY,
	OP_MEMORY_RW, OP_CREATE, OP_SET, OP_GET, OP_DESTROY, OP_RUN, OP_STATS,
	OP_MMAP, OP_MUNMAP, OP_TOUCH, OP_REOPEN, OP_SETUP, OP_NR
};

static const char *const op_names[OP_NR] = {
	"ioctl(other nr)", "ioctl(0xB9 bad nr)", "INFO", "VMXON", "VMXOFF",
	"SET_MEMORY", "MEMORY_RW", "CONTEXT_CREATE", "CONTEXT_SET",
	"CONTEXT_GET", "CONTEXT_DESTROY", "RUN", "STATS", "mmap", "munmap",
	"touch mapping", "close+reopen", "setup session",
};

/* Per mille: how often each operation is drawn. */
static const unsigned int op_weight[OP_NR] = {
	[OP_FOREIGN] = 40, [OP_BADNR] = 40, [OP_INFO] = 40, [OP_VMXON] = 30,
	[OP_VMXOFF] = 30, [OP_SET_MEMORY] = 40, [OP_MEMORY_RW] = 80,
	[OP_CREATE] = 120, [OP_SET] = 80, [OP_GET] = 70, [OP_DESTROY] = 50,
	[OP_RUN] = 180, [OP_STATS] = 30, [OP_MMAP] = 40, [OP_MUNMAP] = 30,
	[OP_TOUCH] = 30, [OP_REOPEN] = 20, [OP_SETUP] = 30,
};

/* Where a user pointer points. */
enum ptr_kind {
	PK_GOOD, PK_RO, PK_NULL, PK_NONE, PK_UNMAPPED, PK_KERNEL,
	PK_NONCANON, PK_LOW, PK_STRADDLE, PK_NR
};

static const char *const pk_names[PK_NR] = {
	"good", "read-only", "NULL", "PROT_NONE", "unmapped", "kernel",
	"non-canonical", "low", "straddling",
};

struct mapping {
	uint8_t *addr;
	size_t len;
	int prot;
};

struct thr {
	int id;
	pthread_t thread;
	uint64_t rng;
	unsigned long ops;
	int own_fd;			/* thread 2; threads 0 and 1 share */
	/* Memory for arguments: RW pages with a PROT_NONE page after. */
	uint8_t *arena, *guard;
	uint8_t *ro_w, *ro_r;		/* two views of one memfd page pair */
	struct pmsw_context ctx;
	struct pmsw_transition trans[MAX_T];
	struct pmsw_cpu_info *cpus;
	uint8_t *rwbuf;
	struct mapping maps[MAX_MAPS];
	unsigned int nr_maps;
	uint64_t mem_guess;		/* guest memory size it last set up */
	/* Judgement. */
	unsigned long counts[OP_NR][ERRNO_MAX + 1];
	unsigned long failures;
	char ring[RING][128];
	unsigned int ring_pos;
	/* Watchdog. */
	volatile int64_t op_start_ns;	/* 0 when idle */
	volatile enum op cur_op;
	volatile int signalled;
	int64_t max_ns[OP_NR];
};

static struct thr thr[NR_THREADS];
static uint64_t seed;
static unsigned long total_ops;
static bool verbose;
static bool free_probes = true;	/* PMSW_FUZZ_FREE_PROBES=0: none */
static bool vmx_usable;
static uint64_t mem_total;		/* bytes, /proc/meminfo */
static unsigned int nr_cpu_ids;
/* Writers first: a reopen must not wait behind the other thread's ioctls. */
static pthread_rwlock_t shared_lock;
static int shared_fd = -1;
static volatile int stop_watchdog;
static unsigned long splats;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- PRNG: splitmix64, one stream per thread ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct thr *t)
{
	return splitmix(&t->rng);
}

/* Uniform in [0, n). */
static uint64_t below(struct thr *t, uint64_t n)
{
	return n ? rnd(t) % n : 0;
}

/* True with probability @pm per mille. */
static bool chance(struct thr *t, unsigned int pm)
{
	return below(t, 1000) < pm;
}

static const uint64_t boundary64[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x00007fffffffffffULL, 0x0000800000000000ULL, 0xffff800000000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffff000ULL,
	0xfffffffffffffffeULL, 0xffffffffffffffffULL,
};

/* A boundary value, a random one, or a random single bit. */
static uint64_t garbage(struct thr *t)
{
	switch (below(t, 3)) {
	case 0:
		return boundary64[below(t, ARRAY_SIZE(boundary64))];
	case 1:
		return rnd(t);
	default:
		return 1ULL << below(t, 64);
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- reporting ---- */

static void note(struct thr *t, const char *fmt, ...)
{
	va_list ap;
	char *line = t->ring[t->ring_pos++ % RING];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(t->ring[0]), fmt, ap);
	va_end(ap);
	if (verbose) {
		pthread_mutex_lock(&print_lock);
		printf("# T%d %lu %s\n", t->id, t->ops, line);
		pthread_mutex_unlock(&print_lock);
	}
}

/* The operations that led here, oldest first. */
static void dump_ring(struct thr *t)
{
	unsigned int i, n = t->ring_pos < RING ? t->ring_pos : RING;

	for (i = 0; i < n; i++)
		printf("#   T%d: %s\n", t->id,
		       t->ring[(t->ring_pos - n + i) % RING]);
}

static void fail(struct thr *t, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&print_lock);
	if (t->failures++ < 5) {
		printf("# FAIL T%d op %lu (seed %#" PRIx64 "): ", t->id, t->ops,
		       seed);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		dump_ring(t);
	}
	pthread_mutex_unlock(&print_lock);
}

/* A /proc/meminfo field in bytes, 0 if missing. */
static uint64_t meminfo_field(const char *name)
{
	unsigned long long kb = 0;
	char line[128];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n)) {
			kb = strtoull(line + n, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb * 1024;
}

/* ---- judging an errno ---- */

static bool in_list(int err, const int *list)
{
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

static const char *errname(int err)
{
	static const struct { int e; const char *n; } names[] = {
		{ 0, "ok" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { EBADF, "EBADF" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EXDEV, "EXDEV" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" },
		{ EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ESHUTDOWN, "ESHUTDOWN" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == err)
			return names[i].n;
	return NULL;
}

/*
 * Count the result of @op and check it: @err (0 for success) must be in
 * @allowed (0-terminated; success is listed as -1), or EFAULT when
 * @efault_ok. Returns true when it was allowed.
 */
static bool judge(struct thr *t, enum op op, int err, const int *allowed,
		  bool efault_ok)
{
	bool ok;

	t->counts[op][err > ERRNO_MAX ? ERRNO_MAX : err]++;
	if (!err)
		ok = in_list(-1, allowed);
	else
		ok = in_list(err, allowed) || (err == EFAULT && efault_ok);
	if (!ok)
		fail(t, "%s: unexpected %s (%d)", op_names[op],
		     err ? (errname(err) ?: strerror(err)) : "success", err);
	return ok;
}

/* errno of a -1 return, else 0. */
static int result(long ret)
{
	return ret < 0 ? errno : 0;
}

/* ---- argument memory ---- */

static bool readable(enum ptr_kind k)
{
	return k == PK_GOOD || k == PK_RO;
}

static bool writable(enum ptr_kind k)
{
	return k == PK_GOOD;
}

/* Mostly good; now and then read-only or one of the bad kinds. */
static enum ptr_kind pick_kind(struct thr *t)
{
	if (chance(t, 850))
		return PK_GOOD;
	if (chance(t, 250))
		return PK_RO;
	return PK_NULL + below(t, PK_NR - PK_NULL);
}

static uint64_t bad_address(struct thr *t, enum ptr_kind k)
{
	switch (k) {
	case PK_NONE:
		return (uint64_t)(unsigned long)t->guard + below(t, 4096);
	case PK_UNMAPPED:
		return (uint64_t)(unsigned long)FAR_PAGE + below(t, 4096);
	case PK_KERNEL:
		return 0xffffffff81000000ULL + below(t, 1 << 20);
	case PK_NONCANON:
		return 0x0000800000000000ULL + below(t, 1ULL << 46);
	case PK_LOW:
		return 0x1000 + below(t, 0xe000);
	default:
		return 0;
	}
}

/*
 * A user pointer of kind @k holding a copy of @src (@len bytes). @slot 0
 * is for the ioctl argument, 1 for a buffer it points to; @good is the
 * caller's own buffer for slot 1 (NULL: a place in the arena).
 */
static uint64_t place(struct thr *t, int slot, enum ptr_kind k,
		      const void *src, size_t len, void *good)
{
	uint8_t *p;
	size_t cut;

	switch (k) {
	case PK_GOOD:
		p = good;
		if (!p) {
			/* Anywhere it fits, aligned or not. */
			p = t->arena + below(t, 2 * 4096 - len);
			if (chance(t, 700))
				p = (uint8_t *)((unsigned long)p & ~7UL);
		}
		if (p != src)
			memcpy(p, src, len);
		return (uint64_t)(unsigned long)p;
	case PK_RO:
		memcpy(t->ro_w + slot * 4096, src, len);
		return (uint64_t)(unsigned long)(t->ro_r + slot * 4096);
	case PK_STRADDLE:
		/* The first bytes readable, the rest in the PROT_NONE page. */
		cut = 1 + below(t, len > 1 ? len - 1 : 1);
		p = t->guard - cut;
		memcpy(p, src, cut);
		return (uint64_t)(unsigned long)p;
	case PK_NULL:
		return 0;
	default:
		return bad_address(t, k);
	}
}

/* Copy an output back from a good argument. */
static void fetch(void *dst, uint64_t uptr, size_t len, enum ptr_kind k)
{
	if (k == PK_GOOD)
		memcpy(dst, (void *)(unsigned long)uptr, len);
}

/* ---- the file ---- */

static int open_dev(struct thr *t)
{
	int fd = open(PMSW_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail(t, "open %s: %s", PMSW_DEV, strerror(errno));
	return fd;
}

static int fd_get(struct thr *t)
{
	if (t->id == NR_THREADS - 1)
		return t->own_fd;
	pthread_rwlock_rdlock(&shared_lock);
	return shared_fd;
}

static void fd_put(struct thr *t)
{
	if (t->id != NR_THREADS - 1)
		pthread_rwlock_unlock(&shared_lock);
}

/* One ioctl on the thread's file, timed by the watchdog. */
static long xioctl(struct thr *t, unsigned long nr, uint64_t arg)
{
	long ret;
	int err, fd = fd_get(t);

	ret = ioctl(fd, nr, (unsigned long)arg);
	err = errno;
	fd_put(t);
	errno = err;
	return ret;
}

/* ---- structures: valid ones, then garbage in some of them ---- */

/* Flip bits, write boundary values or random bytes anywhere in @obj. */
static void mutate(struct thr *t, void *obj, size_t len, unsigned int n)
{
	uint8_t *b = obj;
	uint64_t v;
	size_t off;

	while (n--) {
		off = below(t, len);
		v = garbage(t);
		switch (below(t, 4)) {
		case 0:
			b[off] ^= 1 << below(t, 8);
			break;
		case 1:
			off &= ~7UL;
			memcpy(b + off, &v, len - off < 8 ? len - off : 8);
			break;
		case 2:
			off &= ~3UL;
			memcpy(b + off, &v, len - off < 4 ? len - off : 4);
			break;
		default:
			b[off] = v;
			break;
		}
	}
}

/* Mutate a command's argument now and then: header, fields, reserved. */
static void maybe_mutate(struct thr *t, void *obj, size_t len)
{
	if (chance(t, 150))
		mutate(t, obj, len, 1 + below(t, 3));
}

#define PROG(name, mode) { guest_##name, guest_##name##_end, mode }

/* Guest programs of the setup operation, one per page from GPA_EXTRA. */
static const struct prog {
	const uint8_t *start, *end;
	enum guest_mode mode;
} progs[] = {
	PROG(stopper32, FLAT32), PROG(hlt32, FLAT32), PROG(loop32, FLAT32),
	PROG(ping32, FLAT32), PROG(pong32, FLAT32), PROG(ud32, FLAT32),
	PROG(wild_write32, FLAT32), PROG(rdmsr32, FLAT32),
	PROG(wrmsr32, FLAT32), PROG(outb32, FLAT32), PROG(cr4_pge32, FLAT32),
	PROG(cpuid32, FLAT32), PROG(vmcall_loop32, FLAT32),
	PROG(stop_loop32, FLAT32), PROG(switch32, FLAT32),
	PROG(report32, FLAT32), PROG(switch64, LONG64),
	PROG(report64, LONG64), PROG(switch16, REAL16),
};

static void load_progs(uint8_t *mem)
{
	size_t i;

	build_tables(mem);
	for (i = 0; i < ARRAY_SIZE(progs); i++)
		memcpy(mem + GPA_EXTRA + i * 4096, progs[i].start,
		       progs[i].end - progs[i].start);
}

/* A valid context for one of the programs, mutated in 60% of cases. */
static void gen_context(struct thr *t, struct pmsw_context *c)
{
	unsigned int i = below(t, ARRAY_SIZE(progs));
	enum guest_mode mode = progs[i].mode;

	if (mode == FLAT32)
		mode = (enum guest_mode[]){ FLAT32, PAGING32, PAE }[below(t, 3)];
	make_context(c, mode, GPA_EXTRA + i * 4096, 0x80000 + below(t, 3) * 0x10000);
	c->gpr[PMSW_RSI] = below(t, NR_IDS);
	c->gpr[PMSW_RBX] = below(t, NR_IDS);
	c->gpr[PMSW_RCX] = below(t, 20);
	c->gpr[PMSW_RDX] = below(t, 20);
	c->gpr[PMSW_RDI] = GPA_RESULTS;
	if (chance(t, 100))
		c->exception_bitmap = garbage(t);
	if (chance(t, 600))
		mutate(t, c, sizeof(*c), 1 + below(t, 4));
}

/* A context id: mostly one that may exist, sometimes any number. */
static uint32_t gen_id(struct thr *t)
{
	return chance(t, 900) ? below(t, NR_IDS) : garbage(t);
}

static bool header_ok(uint32_t size, size_t want, uint32_t flags,
		      uint32_t known_flags, const __u64 *reserved, size_t nr)
{
	size_t i;

	if (size != want || (flags & ~known_flags))
		return false;
	for (i = 0; i < nr; i++)
		if (reserved[i])
			return false;
	return true;
}

/* ---- operations ---- */

/*
 * Types whose numbers the VFS answers itself before the driver
 * (fs/ioctl.c: FIOCLEX, FIONBIO, FIFREEZE, FICLONE, FS_IOC_*,
 * FIGETBSZ, FS_IOC_GETFSUUID): left out, the driver never sees them.
 */
static bool vfs_type(unsigned int type)
{
	return type == 0 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94 || type == 0x15;
}

static const unsigned long real_cmds[] = {
	PMSW_IOC_INFO, PMSW_IOC_VMXON, PMSW_IOC_VMXOFF, PMSW_IOC_SET_MEMORY,
	PMSW_IOC_MEMORY_RW, PMSW_IOC_CONTEXT_CREATE, PMSW_IOC_CONTEXT_SET,
	PMSW_IOC_CONTEXT_GET, PMSW_IOC_CONTEXT_DESTROY, PMSW_IOC_RUN,
	PMSW_IOC_STATS,
};

static bool is_real(unsigned int cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(real_cmds); i++)
		if ((unsigned int)real_cmds[i] == cmd)
			return true;
	return false;
}

/* A pointer of any kind for an argument the driver must not look at. */
static uint64_t any_arg(struct thr *t)
{
	enum ptr_kind k = pick_kind(t);
	uint64_t junk[8];

	if (chance(t, 200))
		return garbage(t);
	mutate(t, junk, sizeof(junk), 8);
	return place(t, 0, k, junk, sizeof(junk), NULL);
}

static const int only_enotty[] = { ENOTTY, 0 };

/* Another driver's number, or none at all: ENOTTY. */
static void op_foreign(struct thr *t)
{
	unsigned int cmd;

	do
		cmd = rnd(t);
	while (vfs_type(_IOC_TYPE(cmd)) || _IOC_TYPE(cmd) == PMSW_IOC_TYPE);
	note(t, "ioctl(%#x)", cmd);
	judge(t, OP_FOREIGN, result(xioctl(t, cmd, any_arg(t))), only_enotty,
	      false);
}

/* Type 0xB9 with a command's number but another size or direction. */
static void op_badnr(struct thr *t)
{
	unsigned int cmd;

	do {
		cmd = real_cmds[below(t, ARRAY_SIZE(real_cmds))];
		if (chance(t, 300))
			cmd = _IOC(_IOC_DIR(cmd), PMSW_IOC_TYPE, below(t, 256),
				   _IOC_SIZE(cmd));
		if (chance(t, 500))
			cmd = _IOC(_IOC_DIR(cmd), PMSW_IOC_TYPE, _IOC_NR(cmd),
				   below(t, 1 << _IOC_SIZEBITS));
		if (chance(t, 300))
			cmd = _IOC(below(t, 4), PMSW_IOC_TYPE, _IOC_NR(cmd),
				   _IOC_SIZE(cmd));
	} while (is_real(cmd));
	note(t, "ioctl(%#x)", cmd);
	judge(t, OP_BADNR, result(xioctl(t, cmd, any_arg(t))), only_enotty,
	      false);
}

static const int only_efault[] = { EFAULT, 0 };
static const int only_einval[] = { EINVAL, 0 };
static const int only_ok[] = { -1, 0 };

static void op_info(struct thr *t)
{
	static const uint32_t nrs[] = { 0, 1, 2, 3, 64, 0xffffffff };
	enum ptr_kind ka = pick_kind(t), kc = pick_kind(t);
	struct pmsw_info in = { .size = sizeof(in) };
	uint32_t want;
	uint64_t arg;
	bool fields, bad;
	int err;

	in.nr_cpus = chance(t, 800) ? nrs[below(t, ARRAY_SIZE(nrs))] : rnd(t);
	maybe_mutate(t, &in, sizeof(in));
	fields = header_ok(in.size, sizeof(in), in.flags, 0, in.reserved, 3) &&
		 !in.state && !in.reserved32;
	want = in.nr_cpus < nr_cpu_ids ? in.nr_cpus : nr_cpu_ids;
	/* Pointers go bad by their kind only: never into our own memory. */
	in.cpus = place(t, 1, kc, t->cpus, want * sizeof(*t->cpus), t->cpus);
	arg = place(t, 0, ka, &in, sizeof(in), NULL);
	note(t, "INFO arg %s cpus %s nr %u fields %d", pk_names[ka],
	     pk_names[kc], in.nr_cpus, fields);
	err = result(xioctl(t, PMSW_IOC_INFO, arg));
	bad = !writable(ka) || (want && !writable(kc));
	if (!readable(ka))
		judge(t, OP_INFO, err, only_efault, false);
	else if (!fields)
		judge(t, OP_INFO, err, only_einval, false);
	else
		judge(t, OP_INFO, err, (const int[]){ -1, ENOMEM, 0 }, bad);
	if (!err && ka == PK_GOOD) {
		fetch(&in, arg, sizeof(in), ka);
		if (in.abi_version != PMSW_ABI_VERSION || in.nr_cpus != want)
			fail(t, "INFO: abi %u, nr_cpus %u (want %u)",
			     in.abi_version, in.nr_cpus, want);
	}
}

/* VMXON's errors besides EINVAL (Documentation/uapi.rst). */
static const int vmxon_errs[] = {
	-1, ENODEV, EOPNOTSUPP, EBUSY, EXDEV, EIO, ENOMEM, ESHUTDOWN, 0
};

static void op_vmx(struct thr *t, bool on)
{
	uint64_t arg = chance(t, 400) ? 0 :
		       chance(t, 500) ? PMSW_VMX_PERSISTENT : garbage(t);
	enum op op = on ? OP_VMXON : OP_VMXOFF;
	int err;

	note(t, "%s %#" PRIx64, op_names[op], arg);
	err = result(xioctl(t, on ? PMSW_IOC_VMXON : PMSW_IOC_VMXOFF, arg));
	if (arg & ~PMSW_VMX_PERSISTENT)
		judge(t, op, err, only_einval, false);
	else if (!on)
		judge(t, op, err, only_ok, false);
	else if (vmx_usable)	/* VT-x here and nobody else holds it */
		judge(t, op, err, (const int[]){ -1, ENOMEM, 0 }, false);
	else
		judge(t, op, err, vmxon_errs, false);
}

static bool bytes_ok(uint64_t b)
{
	return b && !(b % 4096) && b <= PMSW_MAX_MEMORY;
}

/*
 * Guest memory the machine does not have, within the ABI's limit; where
 * the RAM exceeds PMSW_MAX_MEMORY, a size just above the limit (EINVAL).
 */
static uint64_t beyond_ram(struct thr *t, bool *must_fail)
{
	uint64_t over = (mem_total + 4096) & ~4095ULL;

	if (over > PMSW_MAX_MEMORY)
		return PMSW_MAX_MEMORY + 4096;
	*must_fail = true;
	return over + 4096 * below(t, (PMSW_MAX_MEMORY - over) / 4096 + 1);
}

/*
 * Sizes for SET_MEMORY: small, the selftests' 4 MiB, invalid, and more
 * than the machine has. Valid sizes stay at 4 MiB or less, so that what
 * the fuzzer holds (at most 2 + NR_THREADS * MAX_MAPS sessions) stays
 * under FREE_MARGIN: a size above MemAvailable + FREE_MARGIN cannot fit
 * even if every session of ours went away meanwhile. *@must_fail is set
 * for those.
 */
static uint64_t gen_bytes(struct thr *t, bool *must_fail)
{
	uint64_t avail, bytes, hi;

	*must_fail = false;
	switch (below(t, 20)) {
	case 0 ... 9:
		return 4096 * (1 + below(t, 1024));
	case 10 ... 12:
		return GUEST_MEM;
	case 13 ... 15:
		bytes = garbage(t);
		/* A valid size above 4 MiB only if the machine cannot have it. */
		*must_fail = bytes_ok(bytes) && bytes > mem_total;
		if (bytes_ok(bytes) && bytes > GUEST_MEM && !*must_fail)
			bytes &= GUEST_MEM - 1;
		return bytes;
	case 16:
		return 1 + below(t, 1 << 20);
	case 17:
		return beyond_ram(t, must_fail);
	case 18:
		/* More than is free: the allocation itself runs out. */
		if (!free_probes)
			return beyond_ram(t, must_fail);
		avail = meminfo_field("MemAvailable:") + FREE_MARGIN;
		hi = mem_total < PMSW_MAX_MEMORY ? mem_total : PMSW_MAX_MEMORY;
		if (avail >= hi)
			return beyond_ram(t, must_fail);
		*must_fail = true;
		return (avail + below(t, hi - avail)) & ~4095ULL;
	default:
		return PMSW_MAX_MEMORY + 4096 * below(t, 3);
	}
}

/* SET_MEMORY with @bytes; returns the errno. */
static int set_memory(struct thr *t, uint64_t bytes, bool must_fail, bool fuzz)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = bytes };
	enum ptr_kind k = fuzz ? pick_kind(t) : PK_GOOD;
	uint64_t arg;
	bool fields;
	int err;

	if (fuzz)
		maybe_mutate(t, &m, sizeof(m));
	/* A mutation may make a large valid size: keep within our budget. */
	if (m.bytes != bytes && bytes_ok(m.bytes) && m.bytes > GUEST_MEM)
		m.bytes = bytes;
	fields = header_ok(m.size, sizeof(m), m.flags, 0, m.reserved, 2);
	arg = place(t, 0, k, &m, sizeof(m), NULL);
	note(t, "SET_MEMORY arg %s bytes %#llx fields %d", pk_names[k],
	     (unsigned long long)m.bytes, fields);
	err = result(xioctl(t, PMSW_IOC_SET_MEMORY, arg));
	if (!readable(k))
		judge(t, OP_SET_MEMORY, err, only_efault, false);
	else if (!fields || !bytes_ok(m.bytes))
		judge(t, OP_SET_MEMORY, err, only_einval, false);
	else if (must_fail && m.bytes == bytes)	/* and never the OOM killer */
		judge(t, OP_SET_MEMORY, err, (const int[]){ ENOMEM, EBUSY, 0 }, false);
	else
		judge(t, OP_SET_MEMORY, err, (const int[]){ -1, ENOMEM, EBUSY, 0 }, false);
	if (!err)
		t->mem_guess = m.bytes;
	/* Rare and what memory pressure comes from: said at once. */
	if (!err && m.bytes >= BIG_MEMORY) {
		pthread_mutex_lock(&print_lock);
		printf("# T%d op %lu: SET_MEMORY of %llu MiB succeeded\n", t->id,
		       t->ops, (unsigned long long)(m.bytes >> 20));
		pthread_mutex_unlock(&print_lock);
	}
	return err;
}

/*
 * More than the machine has, asked for on a new file of its own so that
 * the allocation really runs (not EBUSY) while the other threads go on.
 */
static void probe_fresh(struct thr *t, uint64_t bytes)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = bytes };
	int fd = open_dev(t);

	if (fd < 0)
		return;
	note(t, "SET_MEMORY bytes %#llx on a new file", (unsigned long long)bytes);
	judge(t, OP_SET_MEMORY, result(ioctl(fd, PMSW_IOC_SET_MEMORY, &m)),
	      (const int[]){ ENOMEM, 0 }, false);
	close(fd);
}

static void op_set_memory(struct thr *t)
{
	bool must_fail;
	uint64_t bytes = gen_bytes(t, &must_fail);

	if (must_fail && chance(t, 500))
		probe_fresh(t, bytes);
	else
		set_memory(t, bytes, must_fail, true);
}

/* A range of guest memory: inside, at the edges, outside, overflowing. */
static void gen_range(struct thr *t, __u64 *gpa, __u64 *len)
{
	uint64_t size = t->mem_guess ? t->mem_guess : GUEST_MEM;

	switch (below(t, 6)) {
	case 0 ... 2:
		*len = below(t, RWBUF_SIZE + 1);
		*gpa = below(t, size - (*len < size ? *len : size) + 1);
		break;
	case 3:
		*len = below(t, 4096 + 1);
		*gpa = size - *len + (chance(t, 500) ? 0 : 1 + below(t, 4096));
		break;
	case 4:
		*gpa = garbage(t);
		*len = garbage(t);
		break;
	default:
		*gpa = below(t, size);
		*len = garbage(t);
		break;
	}
}

/* The buffer of a MEMORY_RW: a good one only when @len fits it. */
static enum ptr_kind rw_buf_kind(struct thr *t, uint64_t len, bool write,
				 uint8_t **good)
{
	enum ptr_kind k = pick_kind(t);
	struct mapping *m;

	*good = t->rwbuf;
	if (k == PK_GOOD && t->nr_maps && chance(t, 200)) {
		/* Into a mapping of guest memory, ours or the other file's. */
		m = &t->maps[below(t, t->nr_maps)];
		if ((m->prot & PROT_READ) && (write || (m->prot & PROT_WRITE)) &&
		    len <= m->len) {
			*good = m->addr;
			return k;
		}
	}
	if ((k == PK_GOOD && len > RWBUF_SIZE) || (k == PK_RO && len > 4096))
		k = PK_NONE;
	return k;
}

static void op_memory_rw(struct thr *t)
{
	struct pmsw_memory_rw rw = { .size = sizeof(rw) };
	enum ptr_kind ka = pick_kind(t), kb;
	bool write = chance(t, 500), fields, bad;
	uint8_t *good;
	uint64_t arg;
	int err;

	rw.flags = write ? PMSW_MEM_WRITE : 0;
	gen_range(t, &rw.gpa, &rw.len);
	maybe_mutate(t, &rw, sizeof(rw));
	write = rw.flags & PMSW_MEM_WRITE;
	fields = header_ok(rw.size, sizeof(rw), rw.flags, PMSW_MEM_WRITE,
			   rw.reserved, 2);
	kb = rw_buf_kind(t, rw.len, write, &good);
	if (kb == PK_GOOD)
		rw.buf = (uint64_t)(unsigned long)good;
	else
		rw.buf = place(t, 1, kb, t->rwbuf, rw.len < 4096 ? rw.len : 4096,
			       NULL);
	arg = place(t, 0, ka, &rw, sizeof(rw), NULL);
	note(t, "MEMORY_RW arg %s buf %s %s gpa %#llx len %#llx", pk_names[ka],
	     pk_names[kb], write ? "write" : "read",
	     (unsigned long long)rw.gpa, (unsigned long long)rw.len);
	err = result(xioctl(t, PMSW_IOC_MEMORY_RW, arg));
	bad = rw.len && !(write ? readable(kb) : writable(kb));
	if (!readable(ka))
		judge(t, OP_MEMORY_RW, err, only_efault, false);
	else if (!fields)
		judge(t, OP_MEMORY_RW, err, only_einval, false);
	else
		judge(t, OP_MEMORY_RW, err, (const int[]){ -1, EINVAL, 0 }, bad);
}

/* A struct pmsw_context_op for context @id at user pointer @ctx. */
static void gen_op(struct thr *t, struct pmsw_context_op *op, uint32_t id,
		   uint64_t ctx)
{
	memset(op, 0, sizeof(*op));
	op->size = sizeof(*op);
	op->id = id;
	if (chance(t, 100))	/* outputs: the driver ignores what is there */
		mutate(t, &op->violation, sizeof(op->violation), 4);
	maybe_mutate(t, op, sizeof(*op));
	op->context = ctx;
}

static bool op_fields_ok(const struct pmsw_context_op *op)
{
	return header_ok(op->size, sizeof(*op), op->flags, 0, op->reserved, 2);
}

/* An EINVAL about the context itself names the rule it breaks. */
static void check_violation(struct thr *t, enum op o, int err,
			    const struct pmsw_context_op *op, enum ptr_kind k)
{
	if (err != EINVAL || k != PK_GOOD)
		return;
	if (!op->nr_violations || !op->violation.rule ||
	    !memchr(op->violation.text, 0, sizeof(op->violation.text)) ||
	    !memchr(op->violation.section, 0, sizeof(op->violation.section)))
		fail(t, "%s: EINVAL without a complete violation report (%u, rule %u)",
		     op_names[o], op->nr_violations, op->violation.rule);
}

/*
 * A session may hold PMSW_MAX_CONTEXTS (4096) contexts of about 8 KiB
 * each; several sessions filled that far would drive the 256-MiB test
 * machine into the OOM killer, which is not what the fuzzer is after.
 * It keeps each session at the former bound of 64: a context created
 * above it is destroyed again at once, which must succeed (no run can
 * be in progress: CREATE just took the session lock, but another thread
 * may start one, hence EBUSY too).
 */
#define FUZZ_MAX_CONTEXTS	64

static void trim_context(struct thr *t, uint32_t id)
{
	struct pmsw_context_op op = { .size = sizeof(op), .id = id };
	int err;

	err = result(xioctl(t, PMSW_IOC_CONTEXT_DESTROY,
			    (uint64_t)(unsigned long)&op));
	if (err && err != EBUSY && err != ENOENT)
		fail(t, "CONTEXT_DESTROY of new context %u: %s", id, strerror(err));
}

/* CREATE and SET: the context is read, the op written back. */
static void op_create_set(struct thr *t, bool create)
{
	static const int create_errs[] = {
		-1, EINVAL, EBUSY, ENODEV, EPERM, ENOSPC, ENOMEM, EOPNOTSUPP,
		EXDEV, EIO, ESHUTDOWN, 0
	};
	static const int set_errs[] = {
		-1, EINVAL, EBUSY, ENOENT, EPERM, ENOMEM, EIO, 0
	};
	enum op o = create ? OP_CREATE : OP_SET;
	enum ptr_kind ka = pick_kind(t), kc = pick_kind(t);
	struct pmsw_context_op op;
	uint64_t arg, ctx;
	int err;

	gen_context(t, &t->ctx);
	ctx = place(t, 1, kc, &t->ctx, sizeof(t->ctx), &t->ctx);
	gen_op(t, &op, gen_id(t), ctx);
	arg = place(t, 0, ka, &op, sizeof(op), NULL);
	note(t, "%s id %u arg %s ctx %s rip %#llx cr0 %#llx", op_names[o],
	     op.id, pk_names[ka], pk_names[kc],
	     (unsigned long long)t->ctx.rip, (unsigned long long)t->ctx.cr0);
	err = result(xioctl(t, create ? PMSW_IOC_CONTEXT_CREATE :
					PMSW_IOC_CONTEXT_SET, arg));
	if (!readable(ka))
		judge(t, o, err, only_efault, false);
	else if (!op_fields_ok(&op))
		judge(t, o, err, only_einval, false);
	else if (!readable(kc))
		judge(t, o, err, (const int[]){ EFAULT, 0 }, false);
	else
		judge(t, o, err, create ? create_errs : set_errs, !writable(ka));
	fetch(&op, arg, sizeof(op), ka);
	if (op_fields_ok(&op) && readable(kc))
		check_violation(t, o, err, &op, ka);
	if (create && !err && ka == PK_GOOD && op.id >= PMSW_MAX_CONTEXTS)
		fail(t, "CONTEXT_CREATE: id %u", op.id);
	if (create && !err && ka == PK_GOOD && op.id >= FUZZ_MAX_CONTEXTS)
		trim_context(t, op.id);
}

/* GET writes the context; the op is only read. */
static void op_get(struct thr *t)
{
	enum ptr_kind ka = pick_kind(t), kc = pick_kind(t);
	struct pmsw_context_op op;
	uint64_t arg, ctx;
	int err;

	memset(&t->ctx, 0xa5, sizeof(t->ctx));
	ctx = place(t, 1, kc, &t->ctx, sizeof(t->ctx), &t->ctx);
	gen_op(t, &op, gen_id(t), ctx);
	arg = place(t, 0, ka, &op, sizeof(op), NULL);
	note(t, "CONTEXT_GET id %u arg %s ctx %s", op.id, pk_names[ka],
	     pk_names[kc]);
	err = result(xioctl(t, PMSW_IOC_CONTEXT_GET, arg));
	if (!readable(ka))
		judge(t, OP_GET, err, only_efault, false);
	else if (!op_fields_ok(&op))
		judge(t, OP_GET, err, only_einval, false);
	else if (op.id >= PMSW_MAX_CONTEXTS)
		judge(t, OP_GET, err, (const int[]){ ENOENT, EBUSY, 0 }, false);
	else
		judge(t, OP_GET, err, (const int[]){ -1, EBUSY, ENOENT, EIO, 0 },
		      !writable(kc));
	if (!err && kc == PK_GOOD && t->ctx.size != sizeof(t->ctx))
		fail(t, "CONTEXT_GET: size %u", t->ctx.size);
}

static void op_destroy(struct thr *t)
{
	enum ptr_kind ka = pick_kind(t);
	struct pmsw_context_op op;
	uint64_t arg;
	int err;

	gen_op(t, &op, gen_id(t), garbage(t));
	arg = place(t, 0, ka, &op, sizeof(op), NULL);
	note(t, "CONTEXT_DESTROY id %u arg %s", op.id, pk_names[ka]);
	err = result(xioctl(t, PMSW_IOC_CONTEXT_DESTROY, arg));
	if (!readable(ka))
		judge(t, OP_DESTROY, err, only_efault, false);
	else if (!op_fields_ok(&op))
		judge(t, OP_DESTROY, err, only_einval, false);
	else if (op.id >= PMSW_MAX_CONTEXTS)
		judge(t, OP_DESTROY, err, (const int[]){ ENOENT, EBUSY, 0 }, false);
	else
		judge(t, OP_DESTROY, err, (const int[]){ -1, EBUSY, ENOENT, 0 },
		      false);
}

/* What a RUN that returned 0 or EINTR must have reported. */
static void check_run(struct thr *t, int err, const struct pmsw_run *r,
		      uint32_t max, uint32_t nr_in)
{
	if (err == EINTR && r->stop_reason != PMSW_STOP_SIGNAL)
		fail(t, "RUN: EINTR with stop reason %u", r->stop_reason);
	if (!err && (r->stop_reason < PMSW_STOP_HYPERCALL ||
		     r->stop_reason > PMSW_STOP_LIMIT))
		fail(t, "RUN: returned 0 with stop reason %u", r->stop_reason);
	if (max && r->total_transitions > max)
		fail(t, "RUN: %u transitions, limit %u", r->total_transitions, max);
	if (r->nr_transitions > nr_in || r->nr_transitions > r->total_transitions)
		fail(t, "RUN: %u records of %u, %u transitions",
		     r->nr_transitions, nr_in, r->total_transitions);
	if (!memchr(r->reason, 0, sizeof(r->reason)))
		fail(t, "RUN: reason not NUL-terminated");
}

/*
 * RUN with a small transition limit (each transition ends by the
 * preemption timer at the latest, about 1 ms): it always ends quickly.
 * Without a limit (1%) the watchdog interrupts it with SIGUSR1.
 */
static void op_run(struct thr *t)
{
	static const int run_errs[] = { -1, EINVAL, EBUSY, ENOMEM, EIO, 0 };
	enum ptr_kind ka = pick_kind(t), kt = pick_kind(t);
	struct pmsw_run r = { .size = sizeof(r) };
	uint32_t max, nr;
	uint64_t arg;
	bool fields;
	int err;

	r.context = gen_id(t);
	r.max_transitions = chance(t, 10) ? 0 : 1 + below(t, 16);
	r.nr_transitions = below(t, MAX_T + 1);
	maybe_mutate(t, &r, sizeof(r));
	if (!r.max_transitions && chance(t, 900))
		r.max_transitions = 1;	/* unbounded only as often as chosen */
	max = r.max_transitions;
	nr = r.nr_transitions;
	fields = header_ok(r.size, sizeof(r), r.flags, 0, r.reserved, 2);
	if (kt == PK_GOOD && nr > MAX_T)
		kt = PK_STRADDLE;
	r.transitions = place(t, 1, kt, t->trans, 48, t->trans);
	arg = place(t, 0, ka, &r, sizeof(r), NULL);
	note(t, "RUN ctx %u max %u nr %u arg %s records %s", r.context, max,
	     nr, pk_names[ka], pk_names[kt]);
	t->signalled = 0;
	err = result(xioctl(t, PMSW_IOC_RUN, arg));
	if (!readable(ka))
		judge(t, OP_RUN, err, (const int[]){ EFAULT, EBUSY, ENOMEM, 0 }, false);
	else if (!fields)
		judge(t, OP_RUN, err, (const int[]){ EINVAL, EBUSY, ENOMEM, 0 }, false);
	else if (err == EINTR && t->signalled)
		judge(t, OP_RUN, err, (const int[]){ EINTR, 0 }, false);
	else
		judge(t, OP_RUN, err, run_errs,
		      !writable(ka) || (nr && !writable(kt)));
	if (ka == PK_GOOD && fields && (!err || err == EINTR)) {
		fetch(&r, arg, sizeof(r), ka);
		check_run(t, err, &r, max, nr);
	}
}

static void op_stats(struct thr *t)
{
	struct pmsw_stats st = { .size = sizeof(st) };
	enum ptr_kind ka = pick_kind(t);
	uint64_t arg;
	bool fields;
	int err;

	st.flags = chance(t, 500) ? PMSW_STATS_GLOBAL : 0;
	maybe_mutate(t, &st, sizeof(st));
	fields = st.size == sizeof(st) && !(st.flags & ~PMSW_STATS_GLOBAL);
	arg = place(t, 0, ka, &st, sizeof(st), NULL);
	note(t, "STATS arg %s flags %#x", pk_names[ka], st.flags);
	err = result(xioctl(t, PMSW_IOC_STATS, arg));
	if (!readable(ka))
		judge(t, OP_STATS, err, only_efault, false);
	else if (!fields)
		judge(t, OP_STATS, err, only_einval, false);
	else
		judge(t, OP_STATS, err, only_ok, !writable(ka));
}

/* ---- mappings ---- */

static void unmap_at(struct thr *t, unsigned int i)
{
	struct mapping *m = &t->maps[i];

	note(t, "munmap %p+%#zx", (void *)m->addr, m->len);
	judge(t, OP_MUNMAP, result(munmap(m->addr, m->len)), only_ok, false);
	*m = t->maps[--t->nr_maps];
}

static void unmap_all(struct thr *t)
{
	while (t->nr_maps)
		unmap_at(t, t->nr_maps - 1);
}

static void add_map(struct thr *t, void *addr, size_t len, int prot)
{
	if (t->nr_maps == MAX_MAPS)
		unmap_at(t, 0);
	/* mmap() maps whole pages: so must the munmap() of the last one. */
	len = (len + 4095) & ~4095UL;
	t->maps[t->nr_maps++] = (struct mapping){ addr, len, prot };
}

/* mmap() of the file; returns the address or MAP_FAILED. */
static void *map_file(struct thr *t, size_t len, int prot, int flags,
		      uint64_t off, const int *allowed)
{
	void *p;
	int err, fd = fd_get(t);

	p = mmap(NULL, len, prot, flags, fd, off);
	err = p == MAP_FAILED ? errno : 0;
	fd_put(t);
	note(t, "mmap len %#zx prot %d flags %#x off %#llx: %s", len, prot,
	     flags, (unsigned long long)off, err ? strerror(err) : "ok");
	judge(t, OP_MMAP, err, allowed, false);
	if (!err)
		add_map(t, p, len, prot);
	return p;
}

static void op_mmap(struct thr *t)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE, PROT_WRITE,
		PROT_READ | PROT_EXEC,
	};
	uint64_t size = t->mem_guess ? t->mem_guess : GUEST_MEM, off;
	int flags = chance(t, 800) ? MAP_SHARED : MAP_PRIVATE;
	size_t len;

	off = chance(t, 700) ? 4096 * below(t, size / 4096) :
	      chance(t, 500) ? size + 4096 * below(t, 4) : garbage(t);
	len = chance(t, 800) ? 4096 * (1 + below(t, (size - (off < size ? off : 0)) / 4096)) :
	      chance(t, 500) ? 4096 * (1 + below(t, 4096)) : garbage(t);
	int prot = prots[below(t, ARRAY_SIZE(prots))];
	/* EPERM: PROT_EXEC where /dev is mounted noexec. */
	int errs[] = { -1, EINVAL, ENODEV, ENOMEM, EOVERFLOW,
		       prot & PROT_EXEC ? EPERM : EINVAL, 0 };

	if (chance(t, 50))
		flags |= MAP_POPULATE;
	/* A private mapping is refused (by the driver or mmap() itself). */
	map_file(t, len, prot, flags, off, flags & MAP_PRIVATE ? errs + 1 : errs);
}

/* munmap a whole mapping or its first or last page. */
static void op_munmap(struct thr *t)
{
	unsigned int i;
	struct mapping *m;

	if (!t->nr_maps) {
		t->counts[OP_MUNMAP][0]++;	/* nothing to do is a no-op */
		return;
	}
	i = below(t, t->nr_maps);
	m = &t->maps[i];
	if (m->len <= 4096 || chance(t, 600)) {
		unmap_at(t, i);
		return;
	}
	note(t, "munmap one page of %p+%#zx", (void *)m->addr, m->len);
	if (chance(t, 500)) {
		judge(t, OP_MUNMAP, result(munmap(m->addr, 4096)), only_ok, false);
		m->addr += 4096;
	} else {
		judge(t, OP_MUNMAP, result(munmap(m->addr + m->len - 4096, 4096)),
		      only_ok, false);
	}
	m->len -= 4096;
}

/* Read and write a mapping: its pages stay valid whatever the file does. */
static void op_touch(struct thr *t)
{
	struct mapping *m;
	size_t off;

	t->counts[OP_TOUCH][0]++;
	if (!t->nr_maps)
		return;
	m = &t->maps[below(t, t->nr_maps)];
	off = below(t, m->len);
	note(t, "touch %p+%#zx prot %d", (void *)m->addr, off, m->prot);
	if (m->prot & PROT_WRITE && m->prot & PROT_READ)
		((volatile uint8_t *)m->addr)[off] ^= 0;
	else if (m->prot & PROT_READ)
		(void)((volatile uint8_t *)m->addr)[off];
}

/* ---- sessions ---- */

/* Guest memory, its mapping, page tables and programs. */
static void op_setup(struct thr *t)
{
	uint8_t *mem;

	set_memory(t, GUEST_MEM, false, false);
	mem = map_file(t, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
		       (const int[]){ -1, EINVAL, ENODEV, ENOMEM, 0 });
	if (mem != MAP_FAILED)
		load_progs(mem);
	t->counts[OP_SETUP][0]++;
}

/*
 * A new session on the thread's descriptor: close() then open(), or
 * dup2() over it, which drops the old file at once even while the other
 * thread is inside an ioctl on it. The shared descriptor is closed only
 * with the other thread out of its ioctl (the write lock), so that it
 * never sees the number free or reused.
 */
static void reopen(struct thr *t)
{
	bool swap = chance(t, 500);
	int nfd, *fdp = t->id == NR_THREADS - 1 ? &t->own_fd : &shared_fd;

	note(t, "reopen (%s)", swap ? "dup2" : "close, open");
	if (t->id != NR_THREADS - 1 && !swap)
		pthread_rwlock_wrlock(&shared_lock);
	else if (t->id != NR_THREADS - 1)
		pthread_rwlock_rdlock(&shared_lock);
	if (swap) {
		nfd = open_dev(t);
		if (nfd >= 0 && dup3(nfd, *fdp, O_CLOEXEC) < 0)
			fail(t, "dup3: %s", strerror(errno));
		if (nfd >= 0)
			close(nfd);
	} else {
		if (close(*fdp))
			fail(t, "close: %s", strerror(errno));
		*fdp = open_dev(t);
	}
	if (t->id != NR_THREADS - 1)
		pthread_rwlock_unlock(&shared_lock);
	t->mem_guess = 0;
	t->counts[OP_REOPEN][0]++;
}

static void op_reopen(struct thr *t)
{
	/* Mappings kept keep the old session alive until unmapped. */
	if (chance(t, 700))
		unmap_all(t);
	reopen(t);
	if (chance(t, 700))
		op_setup(t);
}

/* ---- threads ---- */

static void do_op(struct thr *t, enum op op)
{
	switch (op) {
	case OP_FOREIGN: op_foreign(t); break;
	case OP_BADNR: op_badnr(t); break;
	case OP_INFO: op_info(t); break;
	case OP_VMXON: op_vmx(t, true); break;
	case OP_VMXOFF: op_vmx(t, false); break;
	case OP_SET_MEMORY: op_set_memory(t); break;
	case OP_MEMORY_RW: op_memory_rw(t); break;
	case OP_CREATE: op_create_set(t, true); break;
	case OP_SET: op_create_set(t, false); break;
	case OP_GET: op_get(t); break;
	case OP_DESTROY: op_destroy(t); break;
	case OP_RUN: op_run(t); break;
	case OP_STATS: op_stats(t); break;
	case OP_MMAP: op_mmap(t); break;
	case OP_MUNMAP: op_munmap(t); break;
	case OP_TOUCH: op_touch(t); break;
	case OP_REOPEN: op_reopen(t); break;
	default: op_setup(t); break;
	}
}

static enum op pick_op(struct thr *t)
{
	unsigned int w = below(t, 1000);
	enum op op;

	for (op = 0; op < OP_NR - 1; op++) {
		if (w < op_weight[op])
			return op;
		w -= op_weight[op];
	}
	return op;
}

static void *fuzz_thread(void *arg)
{
	struct thr *t = arg;
	int64_t t0, dt;
	enum op op;

	if (t->id == NR_THREADS - 1 || t->id == 0)
		op_setup(t);
	for (t->ops = 0; t->ops < total_ops / NR_THREADS +
	     (t->id == 0 ? total_ops % NR_THREADS : 0); t->ops++) {
		op = pick_op(t);
		t->cur_op = op;
		t0 = now_ns();
		t->op_start_ns = t0;
		do_op(t, op);
		t->op_start_ns = 0;
		dt = now_ns() - t0;
		if (dt > t->max_ns[op])
			t->max_ns[op] = dt;
		if (dt > OP_LIMIT_S * 1000000000LL)
			fail(t, "%s took %lld ms", op_names[op], (long long)(dt / 1000000));
	}
	unmap_all(t);
	return NULL;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/* ---- the watchdog: slow operations and the kernel log ---- */

static const char *const splat_words[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "Call Trace:",
	"Kernel panic", "INFO: ", "possible recursive locking",
	"circular locking dependency", "inconsistent lock state", "UBSAN:",
	"invoked oom-killer", "Out of memory", "oom-kill:", "blocked for more than",
};

/*
 * Records of level warning or more severe: what the console shows under
 * run-vm (loglevel=5), and never the module's refusals (info).
 */
static void scan_kmsg(int fd)
{
	char rec[2048];
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return;
		rec[n] = '\0';
		if ((strtoul(rec, NULL, 10) & 7) > 4)
			continue;
		for (i = 0; i < ARRAY_SIZE(splat_words); i++) {
			if (!strstr(rec, splat_words[i]))
				continue;
			if (splats++ < 10) {
				pthread_mutex_lock(&print_lock);
				printf("# kernel: %s", rec);
				pthread_mutex_unlock(&print_lock);
			}
			break;
		}
	}
}

/*
 * A hang: what every thread was doing, and the kernel's view of it. The
 * stacks of blocked tasks (SysRq w) and of every CPU (SysRq l) go to the
 * kernel log at a level the console may not show: copied to stdout.
 */
static void report_hang(int kmsg)
{
	char rec[2048];
	int fd, i, n = 0;
	ssize_t len;

	for (i = 0; i < NR_THREADS; i++) {
		printf("# T%d is in %s; its last operations:\n", i,
		       thr[i].op_start_ns ? op_names[thr[i].cur_op] : "no operation");
		dump_ring(&thr[i]);
	}
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "w", 1) != 1 || write(fd, "l", 1) != 1)
			printf("# SysRq: %s\n", strerror(errno));
		close(fd);
	}
	sleep(2);
	while (kmsg >= 0 && n++ < 400) {
		len = read(kmsg, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		printf("# kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
	}
}

/* A RUN without limit gets SIGUSR1; any op past OP_LIMIT_S is a hang. */
static void watch_ops(int kmsg)
{
	int64_t now = now_ns(), start;
	int i;

	for (i = 0; i < NR_THREADS; i++) {
		start = thr[i].op_start_ns;
		if (!start)
			continue;
		if (thr[i].cur_op == OP_RUN && now - start > RUN_SIGNAL_MS * 1000000LL &&
		    !thr[i].signalled) {
			thr[i].signalled = 1;
			pthread_kill(thr[i].thread, SIGUSR1);
		}
		if (now - start <= OP_LIMIT_S * 1000000000LL)
			continue;
		pthread_mutex_lock(&print_lock);
		printf("# HANG T%d: %s running for %lld s (seed %#" PRIx64 ")\n",
		       i, op_names[thr[i].cur_op],
		       (long long)((now - start) / 1000000000LL), seed);
		report_hang(kmsg);
		printf("not ok 3 fuzz: an operation hangs\n");
		fflush(stdout);
		/* Joining would hang too; the kernel's hung-task check reports. */
		_exit(KSFT_FAIL);
	}
}

static void *watchdog(void *arg)
{
	int kmsg = *(int *)arg;

	while (!stop_watchdog) {
		watch_ops(kmsg);
		if (kmsg >= 0)
			scan_kmsg(kmsg);
		poll(NULL, 0, 100);
	}
	if (kmsg >= 0)
		scan_kmsg(kmsg);
	return NULL;
}

/* ---- setup ---- */

static uint64_t parse_seed(void)
{
	const char *v = getenv("PMSW_FUZZ_SEED");
	uint64_t x;

	if (!v || !*v)
		return DEFAULT_SEED;
	if (!strcmp(v, "random")) {
		x = now_ns() ^ ((uint64_t)getpid() << 32);
		return splitmix(&x);
	}
	return strtoull(v, NULL, 0);
}


/* Argument memory: 2 RW pages + a PROT_NONE one, a read-only view. */
static int thr_init(struct thr *t, int id)
{
	int mfd = memfd_create("pmsw-fuzz-ro", MFD_CLOEXEC);

	t->id = id;
	t->own_fd = -1;
	t->rng = seed ^ (0x9e3779b97f4a7c15ULL * (id + 1));
	t->arena = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->cpus = calloc(nr_cpu_ids, sizeof(*t->cpus));
	t->rwbuf = malloc(RWBUF_SIZE);
	if (mfd < 0 || ftruncate(mfd, 2 * 4096) || t->arena == MAP_FAILED ||
	    !t->cpus || !t->rwbuf)
		return -1;
	t->guard = t->arena + 2 * 4096;
	t->ro_w = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	t->ro_r = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, mfd, 0);
	close(mfd);
	if (t->ro_w == MAP_FAILED || t->ro_r == MAP_FAILED ||
	    mprotect(t->guard, 4096, PROT_NONE))
		return -1;
	if (id == NR_THREADS - 1)
		t->own_fd = open_dev(t);
	return 0;
}

/* A page that was mapped and is not any more. */
static int make_unmapped_page(void)
{
	void *p = mmap(FAR_PAGE, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != FAR_PAGE)
		return -1;
	return munmap(p, 4096);
}

/* ---- the report ---- */

static void sum_counts(unsigned long c[OP_NR][ERRNO_MAX + 1])
{
	int i, o, e;

	memset(c, 0, sizeof(unsigned long) * OP_NR * (ERRNO_MAX + 1));
	for (i = 0; i < NR_THREADS; i++)
		for (o = 0; o < OP_NR; o++)
			for (e = 0; e <= ERRNO_MAX; e++)
				c[o][e] += thr[i].counts[o][e];
}

/* One row per operation: count of each result seen, slowest in ms. */
static void print_table(void)
{
	static unsigned long c[OP_NR][ERRNO_MAX + 1];
	bool col[ERRNO_MAX + 1] = { false };
	int64_t slow;
	int o, e, i;

	sum_counts(c);
	for (o = 0; o < OP_NR; o++)
		for (e = 0; e <= ERRNO_MAX; e++)
			col[e] |= c[o][e] != 0;
	printf("# %-20s", "operation");
	for (e = 0; e <= ERRNO_MAX; e++)
		if (col[e] && errname(e))
			printf(" %9s", errname(e));
		else if (col[e])
			printf("  errno%-3d", e);
	printf(" %8s\n", "max ms");
	for (o = 0; o < OP_NR; o++) {
		slow = 0;
		for (i = 0; i < NR_THREADS; i++)
			if (thr[i].max_ns[o] > slow)
				slow = thr[i].max_ns[o];
		printf("# %-20s", op_names[o]);
		for (e = 0; e <= ERRNO_MAX; e++)
			if (col[e])
				printf(" %9lu", c[o][e]);
		printf(" %8lld\n", (long long)(slow / 1000000));
	}
}

/* ---- checks before and after ---- */

/* SET_MEMORY of @bytes on a new file: 0 or the errno. */
static int probe_memory(uint64_t bytes)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = bytes };
	int fd = open(PMSW_DEV, O_RDWR), ret, err;
	int64_t t0 = now_ns();

	ret = fd < 0 ? -1 : ioctl(fd, PMSW_IOC_SET_MEMORY, &m);
	err = ret ? errno : 0;
	if (fd >= 0)
		close(fd);
	ksft_print_msg("SET_MEMORY of %llu MiB (RAM %llu MiB, available %llu MiB): %s in %lld ms\n",
		       (unsigned long long)(bytes >> 20),
		       (unsigned long long)(mem_total >> 20),
		       (unsigned long long)(meminfo_field("MemAvailable:") >> 20),
		       err ? strerror(err) : "success",
		       (long long)((now_ns() - t0) / 1000000));
	return err;
}

/*
 * Guest memory the machine does not have: ENOMEM, never the OOM killer.
 * Above the RAM vmalloc refuses at once; above what is free the
 * allocation runs until memory is exhausted, and must fail then.
 */
static void check_beyond_ram(void)
{
	uint64_t free_plus = (meminfo_field("MemAvailable:") + (32ULL << 20)) & ~4095ULL;

	if (PMSW_MAX_MEMORY <= mem_total)
		ksft_test_result_skip("SET_MEMORY beyond RAM: the machine has %llu MiB, more than PMSW_MAX_MEMORY\n",
				      (unsigned long long)(mem_total >> 20));
	else
		ksft_test_result(probe_memory(PMSW_MAX_MEMORY) == ENOMEM,
				 "SET_MEMORY beyond the machine's RAM: ENOMEM\n");
	if (free_plus > PMSW_MAX_MEMORY || free_plus > mem_total)
		ksft_test_result_skip("SET_MEMORY beyond free memory: %llu MiB is above RAM or PMSW_MAX_MEMORY\n",
				      (unsigned long long)(free_plus >> 20));
	else
		ksft_test_result(probe_memory(free_plus) == ENOMEM,
				 "SET_MEMORY beyond the machine's free memory: ENOMEM\n");
}

static int info_now(struct pmsw_snapshot *s)
{
	int fd = open(PMSW_DEV, O_RDWR), ret;

	if (fd < 0)
		return -1;
	ret = pmsw_get_info(fd, s);
	close(fd);
	return ret;
}

/* Drop the persistent reference the fuzzer took; 0 if none was left. */
static int drop_persistent(const struct pmsw_snapshot *before)
{
	struct pmsw_snapshot now;
	int fd;

	if (info_now(&now))
		return -1;
	if (!(now.info.state & PMSW_STATE_VMX_PERSISTENT) ||
	    (before->info.state & PMSW_STATE_VMX_PERSISTENT))
		return 0;
	ksft_print_msg("the fuzzer left the persistent VMX reference: VMXOFF it\n");
	fd = open(PMSW_DEV, O_RDWR);
	if (fd < 0 || ioctl(fd, PMSW_IOC_VMXOFF, PMSW_VMX_PERSISTENT))
		return -1;
	close(fd);
	return 1;
}

/* Every session gone: VMX users and VMX-on CPUs as before. */
static void check_vmx_released(const struct pmsw_snapshot *before)
{
	struct pmsw_snapshot now;
	bool same = false;
	int i;

	if (drop_persistent(before) < 0) {
		ksft_test_result_fail("VMX references: cannot read or drop\n");
		return;
	}
	for (i = 0; i < 20 && !same; i++) {
		if (i)
			usleep(100000);
		same = !info_now(&now) &&
		       now.info.vmx_users == before->info.vmx_users &&
		       pmsw_count(&now, PMSW_CPU_VMX_ON) ==
		       pmsw_count(before, PMSW_CPU_VMX_ON);
	}
	ksft_print_msg("vmx_users %u (before %u), CPUs in VMX operation %u (before %u)\n",
		       now.info.vmx_users, before->info.vmx_users,
		       pmsw_count(&now, PMSW_CPU_VMX_ON),
		       pmsw_count(before, PMSW_CPU_VMX_ON));
	ksft_test_result(same, "no VMX reference left behind\n");
}

static void check_module_refs(long before)
{
	long now = pmsw_module_refs();
	int i;

	if (before < 0) {
		ksft_test_result_skip("module references: no %s\n", PMSW_MOD_REFCNT);
		return;
	}
	for (i = 0; i < 20 && now != before; i++) {
		usleep(100000);
		now = pmsw_module_refs();
	}
	ksft_print_msg("module references %ld (before %ld)\n", now, before);
	ksft_test_result(now == before, "no module reference left behind (rmmod possible)\n");
}

/* ---- main ---- */

static void run_threads(int kmsg)
{
	unsigned long failures = 0, done = 0;
	pthread_t wd;
	int64_t t0, slow = 0;
	double secs;
	int i, o;

	t0 = now_ns();
	pthread_create(&wd, NULL, watchdog, &kmsg);
	for (i = 0; i < NR_THREADS; i++)
		pthread_create(&thr[i].thread, NULL, fuzz_thread, &thr[i]);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(thr[i].thread, NULL);
		failures += thr[i].failures;
		done += thr[i].ops;
		for (o = 0; o < OP_NR; o++)
			if (thr[i].max_ns[o] > slow)
				slow = thr[i].max_ns[o];
	}
	secs = (now_ns() - t0) / 1e9;
	close(shared_fd);
	close(thr[NR_THREADS - 1].own_fd);
	stop_watchdog = 1;
	pthread_join(wd, NULL);

	print_table();
	ksft_print_msg("%lu operations in %.1f s: %.0f per second (seed %#" PRIx64 ")\n",
		       done, secs, done / secs, seed);
	ksft_test_result(!failures, "fuzz: %lu operations, every result as documented (%lu failures)\n",
			 done, failures);
	ksft_test_result(slow < OP_LIMIT_S * 1000000000LL,
			 "fuzz: slowest operation %lld ms (limit %d s)\n",
			 (long long)(slow / 1000000), OP_LIMIT_S);
	ksft_test_result(!splats && kmsg >= 0,
			 "kernel log: no splat, hung task or OOM kill (%lu found)\n",
			 splats);
}

static int setup(struct pmsw_snapshot *before)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	pthread_rwlockattr_t attr;
	int i;

	if (sigaction(SIGUSR1, &sa, NULL) || make_unmapped_page())
		return -1;
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&shared_lock, &attr))
		return -1;
	vmx_usable = pmsw_vmx_usable(before) &&
		     !(pmsw_count(before, PMSW_CPU_CR4_VMXE) -
		       pmsw_count(before, PMSW_CPU_VMX_ON | PMSW_CPU_CR4_VMXE));
	nr_cpu_ids = before->info.nr_cpu_ids;
	mem_total = meminfo_field("MemTotal:");
	shared_fd = open(PMSW_DEV, O_RDWR | O_CLOEXEC);
	if (shared_fd < 0)
		return -1;
	for (i = 0; i < NR_THREADS; i++)
		if (thr_init(&thr[i], i))
			return -1;
	return 0;
}

int main(void)
{
	struct pmsw_snapshot before;
	const char *v = getenv("PMSW_FUZZ_OPS");
	long refs;
	int kmsg;

	seed = parse_seed();
	total_ops = v && *v ? strtoul(v, NULL, 0) : DEFAULT_OPS;
	verbose = getenv("PMSW_FUZZ_VERBOSE") && *getenv("PMSW_FUZZ_VERBOSE") == '1';
	free_probes = !getenv("PMSW_FUZZ_FREE_PROBES") ||
		      *getenv("PMSW_FUZZ_FREE_PROBES") != '0';
	/* The seed first: whatever happens next, the run can be replayed. */
	printf("# PMSW_FUZZ_SEED=%#" PRIx64 " PMSW_FUZZ_OPS=%lu%s\n", seed, total_ops,
	       free_probes ? "" : " PMSW_FUZZ_FREE_PROBES=0");
	fflush(stdout);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	if (info_now(&before))
		ksft_exit_skip("needs pmswitch.ko: %s: %s\n", PMSW_DEV, strerror(errno));
	ksft_set_plan(7);
	refs = pmsw_module_refs();
	kmsg = pmsw_kmsg_open();
	if (setup(&before))
		ksft_exit_fail_msg("setup: %s\n", strerror(errno));
	ksft_print_msg("%u CPU ids, %llu MiB of RAM, VMX %s\n", nr_cpu_ids,
		       (unsigned long long)(mem_total >> 20),
		       vmx_usable ? "usable" : "not usable");

	check_beyond_ram();
	run_threads(kmsg);
	check_vmx_released(&before);
	check_module_refs(refs);
	ksft_finished();
}
