// SPDX-License-Identifier: GPL-2.0
/*
 * switch_bench: the cost of pmswitch's transitions, in TSC ticks, and the
 * VMWRITEs each one needs. Under Bochs one tick is one executed
 * instruction, so the numbers are exact path lengths of the monitor
 * between a VM exit and the next VM entry (struct pmsw_transition.ticks),
 * not hardware cycles. Reports numbers; it passes or fails nothing.
 *
 *   switch_bench [-n SWITCHES] [-s SESSIONS] [-m]
 *
 * -m prints one machine-readable line per path for tools/run-bench:
 * "name median min max samples vmwrites-per-transition vmreads-per-transition".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "pmsw_guest.h"

struct sample_set {
	const char *name;
	const char *key;	/* machine-readable name */
	unsigned int n;
	unsigned long long *ticks;
	unsigned long long writes, ctx_writes, elided, reads;
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
		if (!set->n)
			return;
		qsort(set->ticks, set->n, sizeof(set->ticks[0]), cmp_u64);
		printf("%s %llu %llu %llu %u %.2f %.2f\n", set->key,
		       set->ticks[set->n / 2], set->ticks[0],
		       set->ticks[set->n - 1], set->n,
		       (double)set->writes / set->n, (double)set->reads / set->n);
		return;
	}
	if (!set->n) {
		printf("%-34s %8s\n", set->name, "(none)");
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
	struct pmsw_stats before, after;
	struct pmsw_transition *t;
	struct pmsw_run r;
	struct session s;
	int opt, ncpus;

	while ((opt = getopt(argc, argv, "n:s:m")) != -1) {
		if (opt == 'n')
			switches = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			sessions = strtoul(optarg, NULL, 0);
		else if (opt == 'm')
			machine = true;
		else {
			fprintf(stderr, "usage: switch_bench [-n SWITCHES] [-s SESSIONS] [-m]\n");
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
	if (!t || !launch.ticks || !resume.ticks || !other.ticks ||
	    !update.ticks || !migrate.ticks || !vmcall.ticks || !urun.ticks)
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

	if (machine) {
		print_row(&launch);
		print_row(&resume);
		print_row(&update);
		print_row(&migrate);
		print_row(&vmcall);
		print_row(&urun);
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
	printf("\nround trips (guest RDTSC around VMCALL; userspace RDTSC around RUN):\n");
	print_row(&vmcall);
	print_row(&urun);
	return 0;
}
