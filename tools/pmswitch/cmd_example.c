// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch example: a 32-bit protected-mode origin (no paging) hands the
 * CPU to a 64-bit target with VMCALL; one VM entry loads the whole target
 * (CR0, CR3, CR4, GDTR, IDTR, segments, RSP, RIP), which reports what it
 * sees and stops the run. Then two contexts ping-pong, to show the first
 * entry of each as LAUNCH and every later one as RESUME.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pmsw_guest.h"

/* What report64 wrote at GPA_RESULTS (tools/pmswitch/examples/). */
struct target_saw {
	uint64_t gdt_base, cr0, cr3, cr4, rsp;
	uint16_t cs;
};

static void read_results(const uint8_t *mem, struct target_saw *saw)
{
	memcpy(&saw->gdt_base, mem + GPA_RESULTS + 2, 8);
	memcpy(&saw->cr0, mem + GPA_RESULTS + 32, 8);
	memcpy(&saw->cr3, mem + GPA_RESULTS + 40, 8);
	memcpy(&saw->cr4, mem + GPA_RESULTS + 48, 8);
	memcpy(&saw->cs, mem + GPA_RESULTS + 56, 2);
	memcpy(&saw->rsp, mem + GPA_RESULTS + 72, 8);
}

static void print_saw_json(const struct target_saw *saw)
{
	jw_kobject("target_saw");
	jw_ku64("cr0", saw->cr0);
	jw_ku64("cr3", saw->cr3);
	jw_ku64("cr4", saw->cr4);
	jw_ku64("gdtr_base", saw->gdt_base);
	jw_ku64("cs", saw->cs);
	jw_ku64("rsp", saw->rsp);
	jw_end_object();
}

static void print_envs_text(const struct pmsw_context *o,
			    const struct pmsw_context *t)
{
	printf("origin: 32-bit protected mode, no paging (CR0=%#llx CR3=%#llx CR4=%#llx CS=%#x)\n",
	       (unsigned long long)o->cr0, (unsigned long long)o->cr3,
	       (unsigned long long)o->cr4, o->seg[PMSW_SEG_CS].selector);
	printf("target: 64-bit mode, 4-level paging (CR0=%#llx CR3=%#llx CR4=%#llx CS=%#x)\n\n",
	       (unsigned long long)t->cr0, (unsigned long long)t->cr3,
	       (unsigned long long)t->cr4, t->seg[PMSW_SEG_CS].selector);
}

static void print_saw_text(const struct target_saw *saw,
			   const struct pmsw_context *t)
{
	bool same = saw->cr0 == t->cr0 && saw->cr3 == t->cr3 &&
		    saw->cr4 == t->cr4 && saw->rsp == t->rsp &&
		    saw->cs == t->seg[PMSW_SEG_CS].selector;

	printf("the target saw: CR0=%#llx CR3=%#llx CR4=%#llx GDTR.base=%#llx CS=%#x RSP=%#llx (%s)\n\n",
	       (unsigned long long)saw->cr0, (unsigned long long)saw->cr3,
	       (unsigned long long)saw->cr4, (unsigned long long)saw->gdt_base,
	       saw->cs, (unsigned long long)saw->rsp,
	       same ? "exactly as submitted" : "DIFFERENT from what was submitted");
}

/* The atomic switch: origin (context 1) to target (context 0). */
static int example_switch(struct pmsw_transition *t)
{
	static const char *const names[] = { "target", "origin" };
	struct pmsw_context target, origin;
	struct pmsw_context_op op;
	struct target_saw saw;
	struct session s;
	struct pmsw_run r;
	int ret = 0;

	if (session_open(&s))
		return fail(EXIT_FAIL, "cannot open a session: %s", strerror(errno));
	LOAD_GUEST(s.mem, GPA_TARGET, report64);
	make_context(&target, LONG64, GPA_TARGET, 0x90000);
	target.gpr[PMSW_RDI] = GPA_RESULTS;
	LOAD_GUEST(s.mem, GPA_ORIGIN, switch32);
	make_context(&origin, FLAT32, GPA_ORIGIN, 0x80000);
	origin.gpr[PMSW_RSI] = 0;
	if (context_create(s.fd, &target, &op) != 0 ||
	    context_create(s.fd, &origin, &op) != 1) {
		if (errno == EINVAL && op.nr_violations)
			ret = fail(EXIT_FAIL, "context refused: %s (SDM %s)",
				   op.violation.text, op.violation.section);
		else
			ret = fail(EXIT_FAIL, "cannot create a context: %s",
				   vmxon_error(errno));
		goto out;
	}
	if (run(s.fd, 1, &r, t, 64)) {
		ret = fail(EXIT_FAIL, "run: %s: %s", strerror(errno), r.reason);
		goto out;
	}
	read_results(s.mem, &saw);
	if (json) {
		jw_kobject("switch");
		print_transitions(t, r.nr_transitions, names);
		jw_kstr("stop", r.reason);
		print_saw_json(&saw);
		jw_end_object();
	} else {
		print_envs_text(&origin, &target);
		print_transitions(t, r.nr_transitions, names);
		printf("\nstopped: %s\n", r.reason);
		print_saw_text(&saw, &target);
	}
out:
	session_close(&s);
	return ret;
}

/* Ping-pong: A (32-bit) and B (PAE) switch to each other 3 times. */
static int example_pingpong(struct pmsw_transition *t)
{
	static const char *const names[] = { "ping", "pong" };
	struct pmsw_context a, b;
	struct pmsw_context_op op;
	struct session s;
	struct pmsw_run r;
	int ret = 0;

	if (session_open(&s))
		return fail(EXIT_FAIL, "cannot open a session: %s", strerror(errno));
	LOAD_GUEST(s.mem, GPA_ORIGIN, ping32);
	LOAD_GUEST(s.mem, GPA_TARGET, pong32);
	make_context(&a, FLAT32, GPA_ORIGIN, 0x80000);
	make_context(&b, PAE, GPA_TARGET, 0x90000);
	a.gpr[PMSW_RSI] = 1;
	a.gpr[PMSW_RCX] = a.gpr[PMSW_RDX] = 3;
	if (context_create(s.fd, &a, &op) != 0 ||
	    context_create(s.fd, &b, &op) != 1 || run(s.fd, 0, &r, t, 64)) {
		ret = fail(EXIT_FAIL, "ping-pong: %s", strerror(errno));
		goto out;
	}
	if (json) {
		jw_kobject("pingpong");
		print_transitions(t, r.nr_transitions, names);
		jw_kstr("stop", r.reason);
		jw_end_object();
	} else {
		printf("ping-pong between ping (32-bit) and pong (PAE):\n");
		print_transitions(t, r.nr_transitions, names);
		printf("\nstopped: %s\n", r.reason);
	}
out:
	session_close(&s);
	return ret;
}

static const struct option example_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_example(int argc, char **argv)
{
	struct pmsw_transition t[64];
	int ret;

	if (cli_getopt(argc, argv, ":h", example_opts, &ret) == CLI_OPT_END)
		return ret;
	if (optind < argc)
		return usage_error("example", "unexpected argument '%s'",
				   argv[optind]);
	if (json)
		jw_object();
	ret = example_switch(t);
	if (!ret)
		ret = example_pingpong(t);
	if (json && jw_depth())
		jw_end_object();
	return ret;
}
