// SPDX-License-Identifier: GPL-2.0
/*
 * switch_bench: the cost of pmswitch's transitions, in TSC ticks, and the
 * VMWRITEs each one needs. Under Bochs one tick is one executed
 * instruction, so the numbers are exact path lengths of the monitor
 * between a VM exit and the next VM entry (struct pmsw_transition.ticks),
 * not hardware cycles; for the exit-less switch, of the guest's own
 * path through the switch routine; for the native switch, of the forward
 * switch and the return as the module stamps them (struct pmsw_native)
 * and of the whole ioctl from userspace. Reports numbers; it passes or fails
 * nothing, but stops with an error when a path does not run as built.
 *
 *   switch_bench [-n SWITCHES] [-s SESSIONS] [-b BURST] [-m]
 *
 * -b: exit-less switches per timed burst (default XB_BURST_LEN, even).
 * -m prints one machine-readable line per path for tools/run-bench:
 * "name median min max samples vmwrites-per-transition vmreads-per-transition",
 * then for some paths "key=value" figures; "skip name reason" for a path
 * this machine cannot measure.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "pmsw_guest.h"
#include "xl_bench.h"
#include "bench_ring.h"

DECLARE_GUEST(xl_bench64);
DECLARE_GUEST(xl_bench32);
extern const uint8_t guest_xl_bench64_arrive[], guest_xl_bench32_arrive[];
extern const uint8_t guest_xl_bench32_other[];
DECLARE_GUEST(bench_ring32);
extern const uint8_t guest_bench_ring32_arrive[];

struct sample_set {
	const char *name;
	const char *key;	/* machine-readable name */
	unsigned int n;
	unsigned long long *ticks;
	unsigned long long writes, ctx_writes, elided, reads;
	bool no_vmcs_counts;	/* a path the VMCS counters do not describe */
	const char *skip;	/* why this machine cannot measure it */
};

static bool machine;

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void add(struct sample_set *set, const struct pmsw_transition *t)
{
	set->ticks[set->n++] = t->ticks;
	set->writes += t->vmwrites;
	set->ctx_writes += t->vmwrites_context;
	set->elided += t->vmwrites_elided;
}

static void print_row(struct sample_set *set)
{
	if (machine) {
		if (set->skip)
			printf("skip %s %s\n", set->key, set->skip);
		if (!set->n)
			return;
		qsort(set->ticks, set->n, sizeof(set->ticks[0]), cmp_u64);
		printf("%s %llu %llu %llu %u", set->key, set->ticks[set->n / 2],
		       set->ticks[0], set->ticks[set->n - 1], set->n);
		if (!set->no_vmcs_counts)
			printf(" %.2f %.2f", (double)set->writes / set->n,
			       (double)set->reads / set->n);
		printf("\n");
		return;
	}
	if (!set->n) {
		printf("%-34s %8s%s%s\n", set->name, "(none)",
		       set->skip ? ": " : "", set->skip ? set->skip : "");
		return;
	}
	qsort(set->ticks, set->n, sizeof(set->ticks[0]), cmp_u64);
	printf("%-34s %8u %10llu %10llu %10llu %8.1f %8.1f %8.1f\n", set->name,
	       set->n, set->ticks[set->n / 2], set->ticks[0],
	       set->ticks[set->n - 1], (double)set->writes / set->n,
	       (double)set->ctx_writes / set->n, (double)set->elided / set->n);
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* A session with ping (flat 32-bit) and pong (PAE) contexts. */
static int pingpong_session(struct session *s, unsigned int rounds)
{
	if (session_open(s))
		return -1;
	return pingpong_create(s, PAE, rounds);
}

static int session_stats(int fd, struct pmsw_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, PMSW_IOC_STATS, st);
}

/*
 * The guest times VMCALLs the monitor answers in the kernel and resumes
 * (tools/guest vmcall_loop32, the same program kvm_bench runs).
 */
static int measure_vmcall(struct sample_set *set, unsigned int n)
{
	struct pmsw_stats before, after;
	struct pmsw_context c;
	struct pmsw_context_op op;
	struct pmsw_run r;
	struct session s;
	unsigned int i;

	if (session_open(&s))
		return -1;
	LOAD_GUEST(s.mem, GPA_ORIGIN, vmcall_loop32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	c.gpr[PMSW_RCX] = n;
	c.gpr[PMSW_RDI] = 0x100000;
	if (context_create(s.fd, &c, &op) != 0 || session_stats(s.fd, &before))
		return -1;
	if (run(s.fd, 0, &r, NULL, 0) || (r.exit.reason & 0xffff) != PMSW_EXIT_IO) {
		fprintf(stderr, "vmcall loop: %s\n", r.reason);
		return -1;
	}
	session_stats(s.fd, &after);
	for (i = 0; i < n; i++)
		set->ticks[set->n++] = ((uint32_t *)(s.mem + 0x100000))[i];
	/* Per transition: the loop's entries, less the first (LAUNCH). */
	set->writes = (after.vmwrites - before.vmwrites) * n / r.total_transitions;
	set->reads = (after.vmreads - before.vmreads) * n / r.total_transitions;
	session_close(&s);
	return 0;
}

/* Userspace times RUN ioctls whose guest stops at once (stop_loop32). */
static int measure_run(struct sample_set *set, unsigned int n)
{
	struct pmsw_stats before, after;
	struct pmsw_context c;
	struct pmsw_context_op op;
	struct pmsw_run r;
	struct session s;
	unsigned long long t0;
	unsigned int i;

	if (session_open(&s))
		return -1;
	LOAD_GUEST(s.mem, GPA_ORIGIN, stop_loop32);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	if (context_create(s.fd, &c, &op) != 0 || run(s.fd, 0, &r, NULL, 0))
		return -1;
	session_stats(s.fd, &before);
	for (i = 0; i < n; i++) {
		t0 = __rdtsc();
		if (run(s.fd, 0, &r, NULL, 0))
			return -1;
		set->ticks[set->n++] = __rdtsc() - t0;
	}
	session_stats(s.fd, &after);
	set->writes = after.vmwrites - before.vmwrites;
	set->reads = after.vmreads - before.vmreads;
	session_close(&s);
	return 0;
}

/*
 * The native switch (PMSW_IOC_NATIVE, uapi.rst): the kernel hands this
 * CPU to a 64-bit target through the host-state area of a VMCS and gets
 * it back through the return routine. The target calls the routine at
 * once, so the ioctl is the whole round trip. The module times the
 * forward switch (before VMLAUNCH to the target's first instruction)
 * and the return (the routine's first instruction to the kernel's);
 * userspace times the ioctl. It needs the module parameter allow_native
 * (bench.sh sets it) and a second online CPU for the module's watchdog.
 *
 * The ioctl takes a VMX reference for its duration. If it is the only
 * one, that is VMXON on every CPU and, at the end, VMXOFF on every CPU
 * and the removal of the emergency-reboot callback, which waits for an
 * RCU grace period: the "cold" row, a few samples. The timed rows hold
 * the file's own reference (PMSW_IOC_VMXON), as a session with contexts
 * does for PMSW_IOC_RUN, so they measure the switch and not VMXON.
 */
#define NATIVE_CODE	0x100000ULL
#define NATIVE_STACK	0x108000ULL
#define NATIVE_COLD	20

struct native_sets {
	struct sample_set *forward, *ret, *urun, *cold;
};

/* mov $PMSW_NATIVE_RETURN, %eax; call *%rax; hlt */
static void native_load(uint8_t *mem)
{
	uint32_t ret = PMSW_NATIVE_RETURN;
	uint8_t *p = mem + NATIVE_CODE;

	p[0] = 0xb8;
	memcpy(p + 1, &ret, sizeof(ret));
	p[5] = 0xff;
	p[6] = 0xd0;
	p[7] = 0xf4;
}

/* The target: 64-bit, the module's page tables, GDT, IDT and TSS. */
static void native_context(struct pmsw_context *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->rip = NATIVE_CODE;
	c->rsp = NATIVE_STACK;
	c->rflags = 0x2;
	c->cr0 = 0x80000033;	/* PE MP ET NE PG */
	c->cr4 = 0x6a0;		/* PAE PGE OSFXSR OSXMMEXCPT */
	c->efer = 0x500;	/* LME LMA */
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
}

static int native_once(int fd, struct pmsw_context *c, struct pmsw_native *n)
{
	memset(n, 0, sizeof(*n));
	n->size = sizeof(*n);
	n->context = (uint64_t)(unsigned long)c;
	return ioctl(fd, PMSW_IOC_NATIVE, n);
}

/* Why there are no native rows: the module's reason for refusing. */
static void native_skip(struct native_sets *ns, const struct pmsw_native *n,
			int err)
{
	static char why[sizeof(n->reason) + 32];

	snprintf(why, sizeof(why), "refused (%s): %s", strerror(err),
		 n->reason[0] ? n->reason : "no reason given");
	ns->forward->skip = ns->ret->skip = ns->urun->skip = why;
	ns->cold->skip = why;
}

/* @n round trips, each in @rt; the module's stamps in @fwd and @ret. */
static int native_loop(int fd, struct pmsw_context *c, unsigned int n,
		       struct sample_set *rt, struct sample_set *fwd,
		       struct sample_set *ret)
{
	unsigned long long t0, t1;
	struct pmsw_native r;
	unsigned int i;

	for (i = 0; i < n; i++) {
		t0 = __rdtsc();
		if (native_once(fd, c, &r))
			return -1;
		t1 = __rdtsc();
		if (r.stop_reason != PMSW_NATIVE_RETURNED) {
			fprintf(stderr, "native target did not return: %s\n", r.reason);
			return -1;
		}
		rt->ticks[rt->n++] = t1 - t0;
		if (fwd) {
			fwd->ticks[fwd->n++] = r.forward_ticks;
			ret->ticks[ret->n++] = r.return_ticks;
		}
	}
	return 0;
}

static int measure_native(struct native_sets *ns, unsigned int n)
{
	struct pmsw_context c;
	struct pmsw_native r;
	struct session s;

	if (session_open(&s))
		return -1;
	native_load(s.mem);
	native_context(&c);
	/* The first round trip warms the caches; a refusal skips the rows. */
	if (native_once(s.fd, &c, &r)) {
		native_skip(ns, &r, errno);
		session_close(&s);
		return 0;
	}
	if (native_loop(s.fd, &c, NATIVE_COLD, ns->cold, NULL, NULL) ||
	    ioctl(s.fd, PMSW_IOC_VMXON, 0) ||
	    native_loop(s.fd, &c, n, ns->urun, ns->forward, ns->ret))
		return -1;
	session_close(&s);
	return 0;
}

/*
 * The exit-less switch (Documentation/exitless.rst): two members of one
 * group, both 64-bit or both in 32-bit paging, each with its own CR3,
 * GDTR, IDTR, TSS and stack, call the switch routine's entry for their
 * mode in turn, timed in bursts (tools/guest/bench_xl.S). Member 0
 * starts at XB_BASE, member 1 XB_SPAN above it.
 */
#define XB_BASE		0x100000ULL
#define XB_STOP_CODE_0	0xa

struct xl_figures {
	bool paging32;			/* in: 32-bit paging members */
	const char *skip;		/* why there is no row, or NULL */
	double *per_switch;		/* one value per burst */
	unsigned int n, burst;		/* bursts, switches in each */
	double cal;			/* RDTSC, MOV, RDTSC: mean delta */
	double loop;			/* all ticks of the bursts per switch */
	long long writes, reads;	/* of the switches: run less baseline */
	long long guest_exits;		/* exits of the switches, likewise */
	unsigned long long intr, timer, nmi;	/* host events in the run */
	unsigned int entries;		/* VM entries of the run */
};

static uint64_t *xl_data(uint8_t *mem, unsigned int id)
{
	return (uint64_t *)(mem + XB_BASE + id * XB_SPAN + XB_OFF_DATA);
}

/*
 * Member @id's page tables: identity paging of 0-4 MiB and of the
 * reserved range (the routine needs pages 0-7 of it). 32-bit paging: a
 * page directory of two 4-MiB pages (CR4.PSE); 64-bit: 2-MiB pages.
 */
static void xl_tables(uint8_t *mem, uint64_t base, bool paging32)
{
	uint64_t *pt = (uint64_t *)(mem + base);
	uint32_t *pd = (uint32_t *)(mem + base + XB_OFF_PML4);

	if (paging32) {
		pd[0] = 0x83;
		pd[PMSW_RESERVED_BASE >> 22] = PMSW_RESERVED_BASE | 0x83;
		return;
	}
	pt[XB_OFF_PML4 / 8] = (base + XB_OFF_PDPT) | 3;
	pt[XB_OFF_PDPT / 8] = (base + XB_OFF_PD0) | 3;
	pt[XB_OFF_PDPT / 8 + 3] = (base + XB_OFF_PD3) | 3;
	pt[XB_OFF_PD0 / 8] = 0x83;
	pt[XB_OFF_PD0 / 8 + 1] = 0x200083;
	pt[XB_OFF_PD3 / 8 + 510] = PMSW_RESERVED_BASE | 0x83;
}

/*
 * Member @id's program at @base; its entry point (member 1: the
 * arrival). The 32-bit program takes the target's id as an immediate
 * in its own copy.
 */
static uint64_t xl_code(uint8_t *mem, uint64_t base, unsigned int id,
			bool paging32)
{
	uint32_t other = !id;

	if (!paging32) {
		LOAD_GUEST(mem, base, xl_bench64);
		return base + (id ? guest_xl_bench64_arrive - guest_xl_bench64 : 0);
	}
	LOAD_GUEST(mem, base, xl_bench32);
	memcpy(mem + base + (guest_xl_bench32_other - guest_xl_bench32),
	       &other, sizeof(other));
	return base + (id ? guest_xl_bench32_arrive - guest_xl_bench32 : 0);
}

/*
 * Member @id's memory and context: its tables, its program, a copy of
 * the common GDT, a zero IDT, and a view of exactly its own memory with
 * only the code page executable (rules 811-819). Its SYSENTER MSRs stay
 * 0 from make_context, so the module sets the routine's (rule 820).
 * Member 0 times @bursts bursts of @burst switches.
 */
static void xl_member(uint8_t *mem, struct pmsw_context *c, unsigned int id,
		      unsigned int bursts, unsigned int burst, bool paging32)
{
	uint64_t base = XB_BASE + id * XB_SPAN, rip;
	uint64_t *d = xl_data(mem, id);

	rip = xl_code(mem, base, id, paging32);
	xl_tables(mem, base, paging32);
	memcpy(mem + base + XB_OFF_GDT, mem + GPA_GDT, 0x40);
	d[XB_OTHER / 8] = !id;
	d[XB_LEFT / 8] = id ? 0 : bursts;
	d[XB_BURST / 8] = burst;
	d[XB_STOP_CODE / 8] = XB_STOP_CODE_0 + id;

	make_context(c, paging32 ? PAGING32 : LONG64, base,
		     base + XB_OFF_STACK);
	/* Member 1 is first entered by the routine, as at every arrival. */
	c->rip = rip;
	c->flags = PMSW_CONTEXT_F_EXITLESS;
	c->cr3 = base + XB_OFF_PML4;
	c->gdtr.base = base + XB_OFF_GDT;
	c->idtr.base = base + XB_OFF_IDT;
	c->seg[PMSW_SEG_TR].base = base + XB_OFF_TSS;
	c->nr_view_ranges = 2;
	c->view[0] = (struct pmsw_view_range){
		.gpa = base, .bytes = 0x1000, .perm = PMSW_VIEW_R | PMSW_VIEW_X,
	};
	c->view[1] = (struct pmsw_view_range){
		.gpa = base + 0x1000, .bytes = XB_SPAN - 0x1000,
		.perm = PMSW_VIEW_R | PMSW_VIEW_W,
	};
}

/*
 * Rule 820: the member's IA32_SYSENTER_* must now be the routine's, so
 * that the SYSENTER after its VMFUNC lands on the post part of its mode.
 */
static int xl_check_sysenter(int fd, unsigned int id, bool paging32)
{
	uint64_t eip = paging32 ? PMSW_XL_POST32 : PMSW_XL_POST64;
	struct pmsw_context c;

	if (context_get(fd, id, &c))
		return -1;
	if (c.sysenter_cs == PMSW_XL_SYSENTER_CS &&
	    c.sysenter_esp == PMSW_XL_SYSENTER_ESP && c.sysenter_eip == eip)
		return 0;
	fprintf(stderr, "exit-less member %u: SYSENTER CS/ESP/EIP %#llx/%#llx/%#llx, not the routine's %#x/%#llx/%#llx\n",
		id, (unsigned long long)c.sysenter_cs,
		(unsigned long long)c.sysenter_esp,
		(unsigned long long)c.sysenter_eip, PMSW_XL_SYSENTER_CS,
		(unsigned long long)PMSW_XL_SYSENTER_ESP,
		(unsigned long long)eip);
	return -1;
}

/* Exits the guests caused: all but host interrupts, timer and NMIs. */
static long long guest_exits(const struct pmsw_stats *d)
{
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
		sum += d->exits[i];
	return sum - d->exits[PMSW_EXIT_EXTERNAL_INTERRUPT] -
	       d->exits[PMSW_EXIT_PREEMPTION_TIMER] -
	       d->exits[PMSW_EXIT_EXCEPTION_NMI];
}

/*
 * A fresh session with the pair timing @bursts bursts, run from member 0
 * until it stops; @d: the session's counters of the run alone.
 */
static int xl_pair_run(struct session *s, const struct xl_figures *x,
		       unsigned int bursts, struct pmsw_run *r,
		       struct pmsw_stats *d)
{
	struct pmsw_stats before;
	struct pmsw_context_op op;
	struct pmsw_context c;
	unsigned int id, i;

	if (session_open(s))
		return -1;
	for (id = 0; id < 2; id++) {
		xl_member(s->mem, &c, id, bursts, x->burst, x->paging32);
		if (context_create(s->fd, &c, &op) != (int)id) {
			fprintf(stderr, "exit-less member %u refused: %m, rule %u: %s\n",
				id, op.violation.rule, op.violation.text);
			return -1;
		}
		if (xl_check_sysenter(s->fd, id, x->paging32))
			return -1;
	}
	if (session_stats(s->fd, &before) || run(s->fd, 0, r, NULL, 0) ||
	    session_stats(s->fd, d))
		return -1;
	d->vmwrites -= before.vmwrites;
	d->vmreads -= before.vmreads;
	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
		d->exits[i] -= before.exits[i];
	if (r->stop_reason != PMSW_STOP_HYPERCALL ||
	    r->stop_code != XB_STOP_CODE_0 || r->stop_context != 0) {
		fprintf(stderr, "exit-less pair: stop %u, code %#llx, context %u: %s\n",
			r->stop_reason, (unsigned long long)r->stop_code,
			r->stop_context, r->reason);
		return -1;
	}
	return 0;
}

/* Why the exit-less row cannot be measured here, or NULL. */
static const char *xl_skip_reason(void)
{
	struct pmsw_snapshot snap;

	if (!pmsw_can_switch(&snap))
		return "needs pmswitch.ko and VT-x with EPT";
	if (!(snap.info.features & PMSW_FEAT_EPTP_SWITCHING))
		return "the CPU lacks VM functions with EPTP switching (IA32_VMX_PROCBASED_CTLS2[45], IA32_VMX_VMFUNC[0])";
	return NULL;
}

/*
 * Member 0's bursts as instructions per switch: the delta less the
 * calibration pair's, over the burst's length, less the loop's DEC/JNZ.
 */
static int xl_collect(struct xl_figures *x, uint8_t *mem)
{
	uint64_t *d = xl_data(mem, 0);
	uint32_t *t = (uint32_t *)((uint8_t *)d + XB_OFF_SAMPLES -
				   XB_OFF_DATA);
	unsigned int i;

	if (d[XB_COUNT / 8] != x->n || d[XB_LEFT / 8]) {
		fprintf(stderr, "exit-less pair: %llu bursts timed, %llu left; %u expected, 0\n",
			(unsigned long long)d[XB_COUNT / 8],
			(unsigned long long)d[XB_LEFT / 8], x->n);
		return -1;
	}
	x->cal = (double)d[XB_CAL / 8] / XB_CAL_ROUNDS;
	for (i = 0; i < x->n; i++)
		x->per_switch[i] = (t[i] - x->cal) / x->burst - XB_LOOP_INSNS;
	x->loop = (double)(d[XB_TSC1 / 8] - d[XB_TSC0 / 8]) /
		  ((double)x->n * x->burst);
	return 0;
}

/*
 * About @n switches in bursts of @burst (even, at least 2): a run with
 * them and a baseline run without any (the same LAUNCH, calibration and
 * stop), whose difference gives the switches' VMWRITEs, VMREADs and
 * exits. Host events (interrupts, the preemption timer, NMIs) are those
 * of the whole run, reported apart.
 */
static int measure_exitless(unsigned int n, unsigned int burst,
			    struct xl_figures *x)
{
	struct pmsw_stats d0, d;
	struct pmsw_run r;
	struct session s;

	x->skip = xl_skip_reason();
	if (x->skip)
		return 0;
	x->burst = burst < 2 ? 2 : burst & ~1U;
	x->n = n / x->burst ? n / x->burst : 1;
	if (x->n > XB_MAX_SAMPLES)
		x->n = XB_MAX_SAMPLES;
	x->per_switch = calloc(x->n, sizeof(*x->per_switch));
	if (!x->per_switch || xl_pair_run(&s, x, 0, &r, &d0))
		return -1;
	session_close(&s);
	if (xl_pair_run(&s, x, x->n, &r, &d) || xl_collect(x, s.mem))
		return -1;
	x->writes = (long long)(d.vmwrites - d0.vmwrites);
	x->reads = (long long)(d.vmreads - d0.vmreads);
	x->guest_exits = guest_exits(&d) - guest_exits(&d0);
	x->intr = d.exits[PMSW_EXIT_EXTERNAL_INTERRUPT];
	x->timer = d.exits[PMSW_EXIT_PREEMPTION_TIMER];
	x->nmi = d.exits[PMSW_EXIT_EXCEPTION_NMI];
	x->entries = r.total_transitions;
	session_close(&s);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The scale series (benchmark.rst, "Thousands of contexts"): a ring of
 * N contexts, all running tools/guest/bench_ring.S, each switching to the
 * next with PMSW_HC_SWITCH. The guest times every switch itself: the
 * departing context's RDTSC right before its VMCALL, the arriving one's
 * first thing after its entry; less the calibration (the mean of RDTSC,
 * MOV, RDTSC), a sample is the guest-to-guest cost of one switch: the
 * VMCALL, the VM exit, the monitor's path, VMPTRLD and the VM entry.
 * A first lap through the ring launches every VMCS and is not timed; the
 * switches after it in the same run are RESUMEs, with records off
 * (nr_transitions 0).
 */
#define NR_RINGS		4
static const unsigned int ring_sizes[NR_RINGS] = { 2, 64, 1024, 4096 };
#define RING_MIN_SWITCHES	4096

struct ring_figures {
	unsigned int n;			/* contexts in the ring */
	double *per_switch;		/* one sample per switch, less cal */
	unsigned int samples;
	double cal;			/* RDTSC, MOV, RDTSC: mean delta */
	double writes, reads;		/* per switch, from PMSW_IOC_STATS */
	long long bytes_per_context;	/* MemFree drop over the contexts */
};

/* Free memory in bytes (/proc/meminfo MemFree), or -1. */
static long long mem_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* The ring's @n contexts, context @id switching to @id + 1 mod @n. */
static int ring_create(struct session *s, unsigned int n)
{
	uint64_t arrive = RING_CODE +
			  (guest_bench_ring32_arrive - guest_bench_ring32);
	struct pmsw_context_op op;
	struct pmsw_context c;
	unsigned int id;

	LOAD_GUEST(s->mem, RING_CODE, bench_ring32);
	for (id = 0; id < n; id++) {
		make_context(&c, FLAT32, id ? arrive : RING_CODE, 0x80000);
		c.gpr[PMSW_RSI] = (id + 1) % n;
		c.gpr[PMSW_RDI] = RING_DATA;
		c.gpr[PMSW_RBP] = RING_COUNTERS + 4 * id;
		if (context_create(s->fd, &c, &op) != (int)id) {
			fprintf(stderr, "ring context %u refused: %m, rule %u: %s\n",
				id, op.violation.rule, op.violation.text);
			return -1;
		}
	}
	return 0;
}

/* Run the ring from @from for @left switches; it must stop at @last. */
static int ring_run(struct session *s, unsigned int from, unsigned int left,
		    unsigned int last)
{
	uint32_t *data = (uint32_t *)(s->mem + RING_DATA);
	struct pmsw_run r;

	data[RING_LEFT / 4] = left;
	data[RING_COUNT / 4] = 0;
	if (run(s->fd, from, &r, NULL, 0) ||
	    r.stop_reason != PMSW_STOP_HYPERCALL ||
	    r.stop_code != RING_STOP_CODE || r.stop_context != last ||
	    data[RING_COUNT / 4] != left) {
		fprintf(stderr, "ring from %u: stop %u, code %#llx, context %u (%u expected), %u samples of %u: %s\n",
			from, r.stop_reason, (unsigned long long)r.stop_code,
			r.stop_context, last, data[RING_COUNT / 4], left,
			r.reason);
		return -1;
	}
	return 0;
}

/*
 * A fresh session with the ring of @n, run from context 0 for @left
 * switches; @d: the session's counters over the run. The MemFree drop
 * over creating the contexts into *@bytes when not NULL.
 */
static int ring_session_run(struct session *s, unsigned int n,
			    unsigned int left, struct pmsw_stats *d,
			    long long *bytes)
{
	struct pmsw_stats before;
	long long free0, free1;

	if (session_open(s))
		return -1;
	free0 = mem_free();
	if (ring_create(s, n))
		return -1;
	free1 = mem_free();
	if (bytes)
		*bytes = free0 < 0 || free1 < 0 ? -1 : (free0 - free1) / n;
	if (session_stats(s->fd, &before) ||
	    ring_run(s, 0, left, left % n) || session_stats(s->fd, d))
		return -1;
	d->vmwrites -= before.vmwrites;
	d->vmreads -= before.vmreads;
	return 0;
}

/*
 * A ring of @x->n contexts: one run whose first lap (n - 1 switches)
 * launches every VMCS, untimed, and whose next @switches switches are
 * timed, all RESUMEs in the same run (the first entry of a context in a
 * run may take the general path). VMWRITEs and VMREADs per switch: the
 * run's, less those of a baseline run of the first lap alone.
 */
static int measure_ring(struct ring_figures *x, unsigned int switches)
{
	struct pmsw_stats d0, d;
	const uint32_t *data, *t;
	unsigned int i, n = x->n;
	struct session s;

	if (ring_session_run(&s, n, n - 1, &d0, NULL))
		return -1;
	session_close(&s);
	if (ring_session_run(&s, n, n - 1 + switches, &d,
			     &x->bytes_per_context))
		return -1;
	data = (const uint32_t *)(s.mem + RING_DATA);
	t = (const uint32_t *)(s.mem + RING_SAMPLES) + (n - 1);
	x->samples = switches;
	x->per_switch = calloc(switches, sizeof(*x->per_switch));
	if (!x->per_switch)
		return -1;
	x->cal = (double)data[RING_CAL / 4] / RING_CAL_ROUNDS;
	for (i = 0; i < switches; i++)
		x->per_switch[i] = t[i] - x->cal;
	x->writes = (double)(d.vmwrites - d0.vmwrites) / switches;
	x->reads = (double)(d.vmreads - d0.vmreads) / switches;
	session_close(&s);
	return 0;
}

static void print_ring_row(struct ring_figures *x, unsigned int switches)
{
	double med;

	qsort(x->per_switch, x->samples, sizeof(*x->per_switch), cmp_double);
	med = x->per_switch[x->samples / 2];
	if (machine) {
		printf("pmswitch_switch_ring_%u %.1f %.1f %.1f %u %.2f %.2f contexts=%u bytes_per_context=%lld calibration=%.2f switches=%u\n",
		       x->n, med, x->per_switch[0],
		       x->per_switch[x->samples - 1], x->samples, x->writes,
		       x->reads, x->n, x->bytes_per_context, x->cal, switches);
		return;
	}
	printf("%-34s %8u %10.1f %10.1f %10.1f %8.2f %8.2f %10lld\n",
	       "", x->samples, med, x->per_switch[0],
	       x->per_switch[x->samples - 1], x->writes, x->reads,
	       x->bytes_per_context);
}

/* The series, each ring in a fresh session. */
static int measure_rings(struct ring_figures *rings, unsigned int switches)
{
	unsigned int i;

	for (i = 0; i < NR_RINGS; i++) {
		rings[i].n = ring_sizes[i];
		if (measure_ring(&rings[i], switches))
			return -1;
	}
	return 0;
}

static void print_rings(struct ring_figures *rings, unsigned int switches)
{
	unsigned int i;

	if (!machine) {
		printf("\nscale: RESUME switch in a ring of N contexts (guest RDTSC to guest RDTSC, %u switches each):\n",
		       switches);
		printf("%-34s %8s %10s %10s %10s %8s %8s %10s\n", "contexts",
		       "samples", "median", "min", "max", "vmwrite", "vmread",
		       "bytes/ctx");
	}
	for (i = 0; i < NR_RINGS; i++) {
		if (!machine)
			printf("%-34u", rings[i].n);
		print_ring_row(&rings[i], switches);
	}
}

/*
 * The exit-less row, per switch. Machine form: the usual columns, then
 * key=value pairs tools/run-bench copies into the JSON; or "skip KEY
 * REASON".
 */
static void print_xl_row(const char *key, struct xl_figures *x)
{
	const char *name = x->paging32 ? "exit-less switch, 32-bit paging" :
					 "exit-less switch, 64-bit";
	double sw = (double)x->n * x->burst, med;

	if (x->skip) {
		if (machine)
			printf("skip %s %s\n", key, x->skip);
		else
			printf("%-34s skipped: %s\n", name, x->skip);
		return;
	}
	qsort(x->per_switch, x->n, sizeof(*x->per_switch), cmp_double);
	med = x->per_switch[x->n / 2];
	if (!machine) {
		printf("%-34s %8u %10.1f %10.1f %10.1f %8.2f\n",
		       name, x->n, med,
		       x->per_switch[0], x->per_switch[x->n - 1],
		       x->writes / sw);
		printf("  bursts of %u switches; the routine %.1f instructions, the call's MOV, MOV, CALL %d; all ticks of the bursts: %.1f per switch\n",
		       x->burst, med - XB_CALL_INSNS, XB_CALL_INSNS, x->loop);
		printf("  per switch: %.2f VMREADs, %.4f guest exits; host events in the run: %llu interrupts, %llu preemption timer, %llu NMI/exception (%u entries)\n",
		       x->reads / sw, x->guest_exits / sw, x->intr, x->timer,
		       x->nmi, x->entries);
		return;
	}
	printf("%s %.1f %.1f %.1f %u %.2f %.2f exits=%.4f host_exits=%.4f external_interrupts=%llu preemption_timer=%llu exception_nmi=%llu entries=%u vmwrites_total=%lld vmreads_total=%lld burst=%u switches=%.0f loop=%.1f calibration=%.2f routine=%.1f\n",
	       key, med, x->per_switch[0], x->per_switch[x->n - 1], x->n,
	       x->writes / sw, x->reads / sw, x->guest_exits / sw,
	       (x->intr + x->timer + x->nmi) / sw, x->intr, x->timer, x->nmi,
	       x->entries, x->writes, x->reads, x->burst, sw, x->loop, x->cal,
	       med - XB_CALL_INSNS);
}

int main(int argc, char **argv)
{
	unsigned int switches = 2000, sessions = 20, i, j;
	struct sample_set launch = { .name = "switch, LAUNCH (first entry)",
				     .key = "pmswitch_switch_launch" };
	struct sample_set resume = { .name = "switch, RESUME (cached VMCS)",
				     .key = "pmswitch_switch_resume" };
	struct sample_set update = { .name = "RESUME after a one-field update",
				     .key = "pmswitch_resume_after_update" };
	struct sample_set migrate = { .name = "LAUNCH after a CPU migration",
				      .key = "pmswitch_launch_after_migration" };
	struct sample_set other = { .name = "re-entry, same context",
				    .key = "pmswitch_reentry" };
	struct sample_set vmcall = { .name = "guest VMCALL round trip (kernel)",
				     .key = "pmswitch_vmcall_in_kernel" };
	struct sample_set urun = { .name = "RUN ioctl round trip (userspace)",
				   .key = "pmswitch_run_roundtrip_userspace" };
	struct sample_set nfwd = { .name = "native switch, forward",
				   .key = "pmswitch_native_forward",
				   .no_vmcs_counts = true };
	struct sample_set nret = { .name = "native switch, return",
				   .key = "pmswitch_native_return",
				   .no_vmcs_counts = true };
	struct sample_set nrt = { .name = "NATIVE ioctl round trip (userspace)",
				  .key = "pmswitch_native_round_trip_userspace",
				  .no_vmcs_counts = true };
	struct sample_set ncold = { .name = "NATIVE round trip, VMX off before",
				    .key = "pmswitch_native_round_trip_vmx_cold",
				    .no_vmcs_counts = true };
	struct native_sets ns = { &nfwd, &nret, &nrt, &ncold };
	struct xl_figures xl = { 0 }, xl32 = { .paging32 = true };
	struct ring_figures rings[NR_RINGS] = { 0 };
	unsigned int ring_switches;
	unsigned int burst = XB_BURST_LEN;
	struct pmsw_stats before, after;
	struct pmsw_transition *t;
	struct pmsw_run r;
	struct session s;
	int opt, ncpus;

	while ((opt = getopt(argc, argv, "n:s:mb:")) != -1) {
		if (opt == 'n')
			switches = strtoul(optarg, NULL, 0);
		else if (opt == 'b')
			burst = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			sessions = strtoul(optarg, NULL, 0);
		else if (opt == 'm')
			machine = true;
		else {
			fprintf(stderr, "usage: switch_bench [-n SWITCHES] [-s SESSIONS] [-b BURST] [-m]\n");
			return 2;
		}
	}
	if (switches < 2)
		switches = 2;
	t = calloc(switches + 64, sizeof(*t));
	launch.ticks = calloc(2 * sessions + 2, sizeof(unsigned long long));
	resume.ticks = calloc(switches + 64, sizeof(unsigned long long));
	other.ticks = calloc(switches + 64, sizeof(unsigned long long));
	update.ticks = calloc(sessions + 1, sizeof(unsigned long long));
	migrate.ticks = calloc(2 * sessions + 2, sizeof(unsigned long long));
	vmcall.ticks = calloc(switches + 64, sizeof(unsigned long long));
	urun.ticks = calloc(switches + 64, sizeof(unsigned long long));
	nfwd.ticks = calloc(switches, sizeof(unsigned long long));
	nret.ticks = calloc(switches, sizeof(unsigned long long));
	nrt.ticks = calloc(switches, sizeof(unsigned long long));
	ncold.ticks = calloc(NATIVE_COLD, sizeof(unsigned long long));
	if (!t || !launch.ticks || !resume.ticks || !other.ticks ||
	    !update.ticks || !migrate.ticks || !vmcall.ticks || !urun.ticks ||
	    !nfwd.ticks || !nret.ticks || !nrt.ticks || !ncold.ticks)
		return 1;
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	pin_to(0);

	/* RESUME: one long ping-pong on cached VMCSs. */
	if (pingpong_session(&s, switches / 2)) {
		perror("pmswitch session (is pmswitch.ko loaded, VT-x with EPT?)");
		return 1;
	}
	if (session_stats(s.fd, &before) ||
	    run(s.fd, 0, &r, t, switches + 64) || r.stop_reason != PMSW_STOP_HYPERCALL ||
	    session_stats(s.fd, &after)) {
		fprintf(stderr, "ping-pong run failed: %s\n", r.reason);
		return 1;
	}
	for (i = 0; i < r.nr_transitions; i++) {
		if (t[i].type != PMSW_ENTRY_RESUME)
			continue;
		add(t[i].from != t[i].to ? &resume : &other, &t[i]);
	}
	/*
	 * VMREADs are not in the records, and their VMWRITEs count only the
	 * preparation of the entry, not the RIP advance of the exit before:
	 * take both from the run's counters, averaged per entry.
	 */
	resume.reads = (after.vmreads - before.vmreads) * resume.n /
		       r.total_transitions;
	resume.writes = (after.vmwrites - before.vmwrites) * resume.n /
			r.total_transitions;
	session_close(&s);

	/* LAUNCH: the first entries of fresh contexts; update; migration. */
	for (j = 0; j < sessions; j++) {
		struct pmsw_context c;
		struct pmsw_context_op op;

		pin_to(0);
		if (pingpong_session(&s, 2) || run(s.fd, 0, &r, t, 64))
			return 1;
		for (i = 0; i < r.nr_transitions; i++)
			if (t[i].type == PMSW_ENTRY_LAUNCH && i)
				add(&launch, &t[i]);

		/* A stopped at its STOP hypercall: change one field, resume. */
		if (context_get(s.fd, 0, &c))
			return 1;
		c.rsp -= 16;
		if (context_set(s.fd, 0, &c, &op) || run(s.fd, 0, &r, t, 64))
			return 1;
		add(&update, &t[0]);

		if (ncpus > 1) {
			pin_to(1);
			if (run(s.fd, 0, &r, t, 64))
				return 1;
			for (i = 0; i < r.nr_transitions; i++)
				if (t[i].type == PMSW_ENTRY_LAUNCH)
					add(&migrate, &t[i]);
		}
		session_close(&s);
	}

	pin_to(0);
	if (measure_vmcall(&vmcall, switches) || measure_run(&urun, switches))
		return 1;
	if (measure_native(&ns, switches)) {
		perror("native switch");
		return 1;
	}
	ring_switches = switches > RING_MIN_SWITCHES ? switches :
						       RING_MIN_SWITCHES;
	if (measure_rings(rings, ring_switches))
		return 1;
	/*
	 * Last: Bochs keeps a VMFUNC's EPTP index in its per-CPU VMCS cache
	 * (exitless.rst), which no other path here should inherit.
	 */
	if (measure_exitless(switches, burst, &xl) ||
	    measure_exitless(switches, burst, &xl32))
		return 1;

	if (machine) {
		print_row(&launch);
		print_row(&resume);
		print_xl_row("pmswitch_exitless_switch", &xl);
		print_xl_row("pmswitch_exitless_switch32", &xl32);
		print_row(&update);
		print_row(&migrate);
		print_row(&vmcall);
		print_row(&urun);
		print_row(&nfwd);
		print_row(&nret);
		print_row(&nrt);
		print_row(&ncold);
		print_rings(rings, ring_switches);
		return 0;
	}
	printf("pmswitch transitions: TSC ticks from the VM exit before to the VM entry\n");
	printf("(under Bochs: executed instructions of the monitor's path)\n\n");
	printf("%-34s %8s %10s %10s %10s %8s %8s %8s\n", "path", "samples",
	       "median", "min", "max", "vmwrite", "ctx-wr", "elided");
	print_row(&launch);
	print_row(&resume);
	print_row(&update);
	print_row(&migrate);
	print_row(&other);
	printf("\nexit-less switch (guest RDTSC around bursts of switches, per switch):\n");
	print_xl_row("pmswitch_exitless_switch", &xl);
	print_xl_row("pmswitch_exitless_switch32", &xl32);
	printf("\nround trips (guest RDTSC around VMCALL; userspace RDTSC around RUN):\n");
	print_row(&vmcall);
	print_row(&urun);
	printf("\nnative switch (module's TSC stamps; userspace RDTSC around NATIVE):\n");
	print_row(&nfwd);
	print_row(&nret);
	print_row(&nrt);
	print_row(&ncold);
	print_rings(rings, ring_switches);
	return 0;
}
