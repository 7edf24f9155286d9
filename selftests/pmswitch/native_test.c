// SPDX-License-Identifier: GPL-2.0
/*
 * The native switch (issue 11; Documentation/native.rst): the kernel
 * hands the calling CPU to a 64-bit target through the host-state area
 * of a VMCS, the target runs outside VMX operation, and the return
 * routine gives the CPU back the same way. The target observes exactly
 * the state it was given and that VMREAD raises #UD; 1,000 round trips
 * leave the kernel working (a VMCALL ping-pong afterwards); faults come
 * back with their vector; the run-time limit ends a looping target; a
 * CPU that held VMX holds it again. Refusals: without the module
 * parameter, without CAP_SYS_ADMIN, a 32-bit target, a single CPU.
 * Needs pmswitch.ko and VT-x; writes the parameter allow_native.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"
#include "pmsw_util.h"

#define PARAM		"/sys/module/pmswitch/parameters/allow_native"
#define CODE		0x100000ULL
#define DATA		(CODE + 0x2000)	/* NR_DATA in guests.S */
#define STACK_TOP	(CODE + 0x8000)

/* native_report64's data page. */
#define NR_CR0		0
#define NR_CR3		8
#define NR_CR4		16
#define NR_EFER		24
#define NR_GDT_LIMIT	38
#define NR_GDT_BASE	40
#define NR_IDT_LIMIT	54
#define NR_IDT_BASE	56
#define NR_TR		64
#define NR_CS		72
#define NR_SS		80
#define NR_RSP		88
#define NR_RFLAGS	96
#define NR_UD		104
#define NR_RDI		112
#define NR_DS		120

static bool set_param(const char *val)
{
	return pmsw_write_file(PARAM, val);
}

FIXTURE(native) {
	struct session s;
	struct pmsw_snapshot snap;
	struct pmsw_context c;
	struct pmsw_native n;
	bool ready;
	int cpus;
};

/* A 64-bit target at CODE running @code, on the module's GDT/IDT/TSS. */
static void target(FIXTURE_DATA(native) *self, const uint8_t *code,
		   size_t len)
{
	struct pmsw_context *c = &self->c;
	unsigned int i;

	memcpy(self->s.mem + CODE, code, len);
	memset(self->s.mem + DATA, 0, 0x1000);
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->rip = CODE;
	c->rsp = STACK_TOP;
	c->rflags = 0x2;
	c->cr0 = 0x80000033;
	c->cr4 = 0x6a0;		/* PAE, PGE, OSFXSR, OSXMMEXCPT */
	c->efer = 0x500;
	c->pat = 0x0007040600070406ULL;
	for (i = 0; i < PMSW_NR_SEGS; i++)
		c->seg[i].selector = PMSW_NATIVE_SEL_DATA;
	c->seg[PMSW_SEG_CS].selector = PMSW_NATIVE_SEL_CODE;
	c->seg[PMSW_SEG_LDTR].selector = 0;
	c->seg[PMSW_SEG_TR].selector = PMSW_NATIVE_SEL_TSS;
	c->seg[PMSW_SEG_TR].base = PMSW_RESERVED_BASE + PMSW_NATIVE_TSS;
	c->gdtr.base = PMSW_RESERVED_BASE + PMSW_NATIVE_GDT;
	c->gdtr.limit = 0x27;
	c->idtr.base = PMSW_RESERVED_BASE + PMSW_NATIVE_IDT;
	c->idtr.limit = 0xfff;
	c->gpr[PMSW_RDI] = 0x1234abcd;
	c->cr2 = 0xc2c2000;
}

#define TARGET(self, name) \
	target(self, guest_##name, guest_##name##_end - guest_##name)

static int native(FIXTURE_DATA(native) *self, uint32_t limit_us)
{
	memset(&self->n, 0, sizeof(self->n));
	self->n.size = sizeof(self->n);
	self->n.context = (uint64_t)(unsigned long)&self->c;
	self->n.limit_us = limit_us;
	return ioctl(self->s.fd, PMSW_IOC_NATIVE, &self->n);
}

static uint64_t data(FIXTURE_DATA(native) *self, unsigned int off)
{
	uint64_t v;

	memcpy(&v, self->s.mem + DATA + off, sizeof(v));
	return v;
}

FIXTURE_SETUP(native)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	self->ready = pmsw_can_switch(&self->snap) && set_param("1");
	self->cpus = pmsw_count(&self->snap, 0);
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(native)
{
	session_close(&self->s);
	set_param("0");
}

#define NEED_NATIVE()							\
	do {								\
		if (!self->ready)					\
			SKIP(return, "needs pmswitch.ko, VT-x and the allow_native parameter"); \
		if (self->cpus < 2)					\
			SKIP(return, "the native switch needs a second online CPU (its watchdog)"); \
	} while (0)

static void expect_returned(struct __test_metadata *_metadata,
			    FIXTURE_DATA(native) *self)
{
	EXPECT_EQ(PMSW_NATIVE_RETURNED, self->n.stop_reason)
		TH_LOG("%s", self->n.reason);
	EXPECT_EQ(18, self->n.forward_exit);
}

/*
 * The forward switch loads exactly the target: what it records equals
 * the context (CR4 without VMXE, which the trampoline clears after
 * VMXOFF), and VMREAD raises #UD, so VMX operation is off.
 */
TEST_F(native, target_sees_its_state_outside_vmx)
{
	NEED_NATIVE();
	TARGET(self, native_report64);
	ASSERT_EQ(0, native(self, 0)) TH_LOG("errno %d: %s", errno,
					      self->n.reason);
	expect_returned(_metadata, self);
	EXPECT_EQ(self->c.cr0, data(self, NR_CR0));
	EXPECT_EQ(self->c.cr4, data(self, NR_CR4));
	EXPECT_EQ(self->c.efer, data(self, NR_EFER));
	EXPECT_EQ(self->c.gdtr.base, data(self, NR_GDT_BASE));
	EXPECT_EQ(self->c.gdtr.limit, data(self, NR_GDT_LIMIT) & 0xffff);
	EXPECT_EQ(self->c.idtr.base, data(self, NR_IDT_BASE));
	EXPECT_EQ(self->c.idtr.limit, data(self, NR_IDT_LIMIT) & 0xffff);
	EXPECT_EQ(PMSW_NATIVE_SEL_TSS, data(self, NR_TR));
	EXPECT_EQ(PMSW_NATIVE_SEL_CODE, data(self, NR_CS));
	EXPECT_EQ(PMSW_NATIVE_SEL_DATA, data(self, NR_SS));
	EXPECT_EQ(PMSW_NATIVE_SEL_DATA, data(self, NR_DS));
	EXPECT_EQ(self->c.rsp, data(self, NR_RSP));
	EXPECT_EQ(self->c.rflags, data(self, NR_RFLAGS));
	EXPECT_EQ(self->c.gpr[PMSW_RDI], data(self, NR_RDI));
	/* The module's tables: a page-aligned root, not the kernel's. */
	EXPECT_EQ(0, data(self, NR_CR3) & 0xfff);
	EXPECT_NE(0, data(self, NR_CR3));
	EXPECT_EQ(1, data(self, NR_UD));
	/* CR2 is the context's, not a fault address of the kernel's. */
	EXPECT_EQ(self->c.cr2, self->n.cr2);
	/* The return: RIP after the call, in the target's code. */
	EXPECT_LT(CODE, self->n.rip);
	EXPECT_GT(CODE + 0x1000, self->n.rip);
	EXPECT_EQ(STACK_TOP, self->n.rsp);
	EXPECT_EQ(data(self, NR_CR3), self->n.cr3);
	EXPECT_GT(self->n.forward_ticks, 0);
	EXPECT_GT(self->n.return_ticks + self->n.target_ticks, 0);
	TH_LOG("forward %llu ticks, target %llu, return %llu, CPU %u",
	       (unsigned long long)self->n.forward_ticks,
	       (unsigned long long)self->n.target_ticks,
	       (unsigned long long)self->n.return_ticks, self->n.cpu);
}

/* Then a VMCALL ping-pong: VMX operation and VMCSs still work. */
static void pingpong_still_works(struct __test_metadata *_metadata)
{
	struct pmsw_transition t[8];
	struct session s2;
	struct pmsw_run r;

	ASSERT_EQ(0, session_open(&s2));
	ASSERT_EQ(0, pingpong_create(&s2, FLAT32, 3));
	ASSERT_EQ(0, run(s2.fd, 0, &r, t, 8));
	EXPECT_EQ(PMSW_STOP_HYPERCALL, r.stop_reason) TH_LOG("%s", r.reason);
	EXPECT_EQ(0x600d, r.stop_code);
	session_close(&s2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

TEST_F(native, thousand_round_trips_and_the_kernel_goes_on)
{
	static uint64_t ticks[1000];
	unsigned int i, ok = 0;
	int holder;
	uint64_t t0;

	NEED_NATIVE();
	/* Hold VMX meanwhile, as a user who switches often would. */
	holder = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, ioctl(holder, PMSW_IOC_VMXON, 0));
	TARGET(self, native_report64);
	for (i = 0; i < 1000; i++) {
		t0 = __builtin_ia32_rdtsc();
		if (native(self, 0)) {
			TH_LOG("round trip %u: errno %d: %s", i, errno,
			       self->n.reason);
			break;
		}
		ticks[i] = __builtin_ia32_rdtsc() - t0;
		ok += self->n.stop_reason == PMSW_NATIVE_RETURNED &&
		      data(self, NR_UD) == 1;
	}
	EXPECT_EQ(1000, ok);
	/* Under Bochs one tick is one instruction (testbed.rst). */
	qsort(ticks, i, sizeof(ticks[0]), cmp_u64);
	if (i)
		TH_LOG("ioctl round trip, VMX held: median %llu TSC ticks over %u",
		       (unsigned long long)ticks[i / 2], i);
	close(holder);
	pingpong_still_works(_metadata);
}

TEST_F(native, divide_error_comes_back_with_vector_0)
{
	NEED_NATIVE();
	TARGET(self, native_divide64);
	ASSERT_EQ(0, native(self, 0)) TH_LOG("%s", self->n.reason);
	EXPECT_EQ(PMSW_NATIVE_EXCEPTION, self->n.stop_reason)
		TH_LOG("%s", self->n.reason);
	EXPECT_EQ(0, self->n.vector);
	/* RIP of the DIV: after XOR, MOV, XOR (2 + 5 + 2 bytes). */
	EXPECT_EQ(CODE + 9, self->n.rip);
	EXPECT_NE(NULL, strstr(self->n.reason, "exception 0"));
}

TEST_F(native, page_fault_comes_back_with_vector_14)
{
	NEED_NATIVE();
	TARGET(self, native_unmapped64);
	ASSERT_EQ(0, native(self, 0)) TH_LOG("%s", self->n.reason);
	EXPECT_EQ(PMSW_NATIVE_EXCEPTION, self->n.stop_reason)
		TH_LOG("%s", self->n.reason);
	EXPECT_EQ(14, self->n.vector);
	EXPECT_EQ(0x40000000, self->n.cr2);
	/* Not present, read, supervisor (SDM 4.7). */
	EXPECT_EQ(0, self->n.error_code);
	EXPECT_EQ(CODE, self->n.rip);
}

TEST_F(native, the_limit_ends_a_looping_target)
{
	NEED_NATIVE();
	TARGET(self, native_loop64);
	ASSERT_EQ(0, native(self, 2000)) TH_LOG("%s", self->n.reason);
	EXPECT_EQ(PMSW_NATIVE_LIMIT, self->n.stop_reason)
		TH_LOG("%s", self->n.reason);
	EXPECT_EQ(2, self->n.vector);
	EXPECT_EQ(CODE, self->n.rip);
	pingpong_still_works(_metadata);
}

/* With VMX held by another file, every CPU is in VMX operation after. */
TEST_F(native, vmx_held_before_is_held_after)
{
	struct pmsw_snapshot after;
	int holder;

	NEED_NATIVE();
	holder = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, ioctl(holder, PMSW_IOC_VMXON, 0));
	TARGET(self, native_report64);
	ASSERT_EQ(0, native(self, 0)) TH_LOG("%s", self->n.reason);
	expect_returned(_metadata, self);
	ASSERT_EQ(0, pmsw_get_info(holder, &after));
	EXPECT_EQ(pmsw_count(&after, 0),
		  pmsw_count(&after, PMSW_CPU_VMX_ON | PMSW_CPU_CR4_VMXE));
	pingpong_still_works(_metadata);
	close(holder);
}

struct pp_arg {
	int cpu;
	volatile bool stop;
	unsigned int runs, bad;
};

static void *pingpong_loop(void *p)
{
	struct pp_arg *a = p;
	struct pmsw_transition t[8];
	struct session s;
	struct pmsw_run r;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(a->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (session_open(&s) || pingpong_create(&s, FLAT32, 2)) {
		a->bad++;
		return NULL;
	}
	while (!a->stop) {
		if (run(s.fd, 0, &r, t, 8) || r.stop_code != 0x600d)
			a->bad++;
		a->runs++;
	}
	session_close(&s);
	return NULL;
}

/* CPU 0 switches natively while CPU 1 runs ordinary sessions. */
TEST_F(native, next_to_ordinary_sessions_on_the_other_cpu)
{
	struct pp_arg a = { .cpu = 1 };
	unsigned int i, ok = 0;
	pthread_t th;
	cpu_set_t set;

	NEED_NATIVE();
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(0, pthread_create(&th, NULL, pingpong_loop, &a));
	TARGET(self, native_report64);
	for (i = 0; i < 200; i++)
		ok += !native(self, 0) &&
		      self->n.stop_reason == PMSW_NATIVE_RETURNED &&
		      self->n.cpu == 0;
	a.stop = true;
	pthread_join(th, NULL);
	EXPECT_EQ(200, ok);
	EXPECT_LT(0, a.runs);
	EXPECT_EQ(0, a.bad);
	TH_LOG("200 native round trips on CPU 0, %u runs on CPU 1", a.runs);
}

static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(native) *self, int err,
			   const char *words)
{
	errno = 0;
	EXPECT_EQ(-1, native(self, 0));
	EXPECT_EQ(err, errno);
	EXPECT_NE(NULL, strstr(self->n.reason, words))
		TH_LOG("reason: %s", self->n.reason);
}

TEST_F(native, refused_without_the_module_parameter)
{
	if (!self->ready)
		SKIP(return, "needs pmswitch.ko, VT-x and the allow_native parameter");
	ASSERT_TRUE(set_param("0"));
	TARGET(self, native_report64);
	expect_refused(_metadata, self, EPERM, "allow_native=1");
}

TEST_F(native, refused_without_cap_sys_admin)
{
	int status;
	pid_t pid;

	if (!self->ready)
		SKIP(return, "needs pmswitch.ko, VT-x and the allow_native parameter");
	TARGET(self, native_report64);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct cap[2];

		if (syscall(SYS_capget, &hdr, cap))
			_exit(10);
		cap[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &=
			~CAP_TO_MASK(CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &hdr, cap))
			_exit(11);
		_exit(native(self, 0) == -1 && errno == EPERM &&
		      strstr(self->n.reason, "CAP_SYS_ADMIN") ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(native, a_32bit_target_is_refused_with_its_rule)
{
	if (!self->ready)
		SKIP(return, "needs pmswitch.ko, VT-x and the allow_native parameter");
	TARGET(self, native_report64);
	self->c.efer = 0;
	expect_refused(_metadata, self, EINVAL, "rule 901");
}

/* One CPU: nothing could bound the run, so the switch is refused. */
TEST_F(native, refused_on_a_single_cpu)
{
	if (!self->ready)
		SKIP(return, "needs pmswitch.ko, VT-x and the allow_native parameter");
	if (self->cpus >= 2)
		SKIP(return, "%d CPUs online: the watchdog has a CPU", self->cpus);
	TARGET(self, native_report64);
	expect_refused(_metadata, self, EOPNOTSUPP, "no other online CPU");
}

TEST_HARNESS_MAIN
