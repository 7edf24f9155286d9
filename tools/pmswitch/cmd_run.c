// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch run ORIGIN TARGET: the origin is context 0, the target
 * context 1 (a switch in the origin's program is VMCALL with RAX=1,
 * RBX=1). Each repetition continues from where the previous one stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "ctxfile.h"
#include "decode.h"
#include "pmsw_guest.h"

static const char *const type_names[] = { "?", "LAUNCH", "RESUME" };

static const char *ctx_name(__u32 id, const char *const *names)
{
	return id == ~0U ? "-" : names[id];
}

static void transition_json(const struct pmsw_transition *t,
			    const char *const *names)
{
	jw_object();
	jw_kstr("from", ctx_name(t->from, names));
	jw_kstr("to", names[t->to]);
	jw_kstr("type", type_names[t->type % 3]);
	jw_ku64("exit_reason", t->exit_reason);
	jw_kstr("exit", pmsw_exit_reason_name(t->exit_reason));
	jw_ku64("exit_qualification", t->exit_qualification);
	jw_ku64("vmwrites", t->vmwrites);
	jw_ku64("vmwrites_context", t->vmwrites_context);
	jw_ku64("vmwrites_elided", t->vmwrites_elided);
	jw_ku64("ticks", t->ticks);
	jw_end_object();
}

/* A table of transitions, or the "transitions" member in JSON. */
void print_transitions(const struct pmsw_transition *t, __u32 n,
		       const char *const *names)
{
	__u32 i;

	if (json) {
		jw_karray("transitions");
		for (i = 0; i < n; i++)
			transition_json(&t[i], names);
		jw_end_array();
		return;
	}
	printf("  %-3s %-8s %-8s %-7s %-22s %8s %8s %8s\n", "#", "from", "to",
	       "type", "exit", "vmwrite", "ctx-wr", "ticks");
	for (i = 0; i < n; i++)
		printf("  %-3u %-8s %-8s %-7s %-22s %8u %8u %8llu\n", i,
		       ctx_name(t[i].from, names), names[t[i].to],
		       type_names[t[i].type % 3],
		       pmsw_exit_reason_name(t[i].exit_reason), t[i].vmwrites,
		       t[i].vmwrites_context, (unsigned long long)t[i].ticks);
}

/*
 * A session of @mem bytes: memory set and mapped, the presets' GDT and
 * page tables laid out (unless !@tables), the images copied in.
 */
int session_setup(struct session *s, uint64_t mem, bool tables,
		  const struct image *img, unsigned int nimg)
{
	struct pmsw_memory m = { .size = sizeof(m), .bytes = mem };
	unsigned int i;
	int ret;

	s->mem = MAP_FAILED;
	ret = open_dev(&s->fd);
	if (ret)
		return ret;
	if (ioctl(s->fd, PMSW_IOC_SET_MEMORY, &m))
		return fail(EXIT_FAIL, "guest memory: %s", strerror(errno));
	s->mem = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->mem == MAP_FAILED)
		return fail(EXIT_FAIL, "mmap of guest memory: %s", strerror(errno));
	if (tables && mem >= GUEST_MEM)
		build_tables(s->mem);
	for (i = 0; i < nimg; i++)
		memcpy(s->mem + img[i].gpa, img[i].data, img[i].len);
	return 0;
}

void session_teardown(struct session *s, uint64_t mem)
{
	if (s->mem != MAP_FAILED)
		munmap(s->mem, mem);
	if (s->fd >= 0)
		close(s->fd);
}

static const char *const stop_names[] = {
	"?", "hypercall", "hlt", "exit", "entry-failed", "limit", "signal",
};

/*
 * The exit-less switches of a run. The switch routine counts them in
 * each member's state page (struct pmsw_exitless_state): entries as it
 * enters the member, exits as the member leaves. PMSW_IOC_XL_STATE reads
 * that page back; it is refused with EBUSY during a run, so it is read
 * once before the first run and after each one. Every exit-less switch
 * enters exactly one member, so the growth of the sum of the members'
 * entries over a run is that run's number of switches.
 */
struct xl_member {
	bool member;		/* PMSW_CONTEXT_F_EXITLESS */
	int err, err_before;	/* errno of XL_STATE now and before the run */
	struct pmsw_exitless_state now, before;
};

struct xl_track {
	struct xl_member m[2];
	struct pmsw_stats stats_before;	/* the session's, at the run's start */
	struct pmsw_stats stats;
};

static int session_stats(int fd, struct pmsw_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, PMSW_IOC_STATS, st))
		return fail(EXIT_FAIL, "PMSW_IOC_STATS: %s", strerror(errno));
	return 0;
}

static int xl_state(int fd, uint32_t id, struct pmsw_exitless_state *st)
{
	struct pmsw_xl_state_op op = { .size = sizeof(op), .id = id };

	if (ioctl(fd, PMSW_IOC_XL_STATE, &op))
		return errno;
	*st = op.state;
	return 0;
}

/* Each member's state page now; the previous reading becomes "before". */
static void xl_read(struct xl_track *xl, int fd)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct xl_member *m = &xl->m[i];

		if (!m->member)
			continue;
		m->before = m->now;
		m->err_before = m->err;
		m->err = xl_state(fd, i, &m->now);
	}
}

/* Before the first run: which contexts are members, and their pages. */
static void xl_start(struct xl_track *xl, int fd,
		     const struct pmsw_context *ctx)
{
	int i;

	for (i = 0; i < 2; i++)
		xl->m[i].member = ctx[i].flags & PMSW_CONTEXT_F_EXITLESS;
	xl_read(xl, fd);
}

static bool xl_delta_known(const struct xl_member *m)
{
	return !m->err && !m->err_before;
}

/* The run's switches: the sum of the entries' growth, -1 if unknown. */
static long long xl_switches(const struct xl_track *xl)
{
	long long sum = 0;
	int i;

	for (i = 0; i < 2; i++) {
		const struct xl_member *m = &xl->m[i];

		if (!m->member)
			continue;
		if (!xl_delta_known(m))
			return -1;
		sum += (long long)(m->now.entries - m->before.entries);
	}
	return sum;
}

/* The VM exits of the run, by reason, from the session's counters. */
static uint64_t exit_delta(const struct xl_track *xl, int reason)
{
	return xl->stats.exits[reason] - xl->stats_before.exits[reason];
}

static void print_vm_exits(const struct xl_track *xl)
{
	uint64_t total = 0;
	bool first = true;
	char key[16];
	int i;

	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
		total += exit_delta(xl, i);
	if (json) {
		jw_kobject("vm_exits");
		jw_ku64("total", total);
		jw_kobject("by_reason");
	} else {
		printf("%llu VM exits (", (unsigned long long)total);
	}
	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++) {
		if (!exit_delta(xl, i))
			continue;
		snprintf(key, sizeof(key), "%d", i);
		if (json)
			jw_ku64(key, exit_delta(xl, i));
		else
			printf("%s%llu %s", first ? "" : ", ",
			       (unsigned long long)exit_delta(xl, i),
			       pmsw_exit_reason_name(i));
		first = false;
	}
	if (json) {
		jw_end_object();
		jw_end_object();
	} else {
		printf(")\n");
	}
}

static void print_member_text(const char *name, int id,
			      const struct xl_member *m)
{
	const struct pmsw_exitless_state *s = &m->now;

	if (m->err) {
		printf("  %-7s %3d %9s %9s %9s %9s  PMSW_IOC_XL_STATE: %s\n",
		       name, id, "?", "?", "?", "?", strerror(m->err));
		return;
	}
	printf("  %-7s %3llu ", name, (unsigned long long)s->id);
	if (xl_delta_known(m))
		printf("%9llu %9llu ",
		       (unsigned long long)(s->entries - m->before.entries),
		       (unsigned long long)(s->exits - m->before.exits));
	else
		printf("%9s %9s ", "?", "?");
	printf("%9llu %9llu  %#llx\n", (unsigned long long)s->entries,
	       (unsigned long long)s->exits, (unsigned long long)s->rip);
}

static void print_member_json(const char *name, int id,
			      const struct xl_member *m)
{
	const struct pmsw_exitless_state *s = &m->now;
	static const char *const counts[] = {
		"entries", "exits", "total_entries", "total_exits", "rip",
	};
	unsigned int i;

	jw_object();
	jw_kstr("context", name);
	if (m->err) {
		jw_kint("id", id);
		for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			jw_knull(counts[i]);
		jw_kstr("error", strerror(m->err));
		jw_end_object();
		return;
	}
	jw_ku64("id", s->id);
	if (xl_delta_known(m)) {
		jw_ku64("entries", s->entries - m->before.entries);
		jw_ku64("exits", s->exits - m->before.exits);
	} else {
		jw_knull("entries");
		jw_knull("exits");
	}
	jw_ku64("total_entries", s->entries);
	jw_ku64("total_exits", s->exits);
	jw_ku64("rip", s->rip);
	jw_knull("error");
	jw_end_object();
}

/* The members' counters, apart from the VM-exit transitions. */
static void print_exitless(const struct xl_track *xl,
			   const char *const *names)
{
	int i;

	if (json)
		jw_karray("members");
	else if (xl->m[0].member || xl->m[1].member)
		printf("exit-less switches (the routine's counters, PMSW_IOC_XL_STATE):\n"
		       "  %-7s %3s %9s %9s %9s %9s  %s\n", "member", "id",
		       "entries", "exits", "total in", "total out", "resume at");
	for (i = 0; i < 2; i++) {
		if (!xl->m[i].member)
			continue;
		if (json)
			print_member_json(names[i], i, &xl->m[i]);
		else
			print_member_text(names[i], i, &xl->m[i]);
	}
	if (json)
		jw_end_array();
}

/*
 * After a run: the exit-less switches apart from the transitions, then
 * (text: after the stop line) "N exit-less switches, M VM exits".
 */
static void xl_report(struct xl_track *xl, int fd, const char *const *names,
		      const struct pmsw_run *r)
{
	long long switches;

	xl_read(xl, fd);
	switches = xl_switches(xl);
	if (session_stats(fd, &xl->stats))
		xl->stats = xl->stats_before;
	if (json)
		jw_kobject("exitless");
	print_exitless(xl, names);
	if (json) {
		if (switches < 0)
			jw_knull("switches");
		else
			jw_kint("switches", switches);
		jw_end_object();
	} else {
		printf("stopped: %s: %s\n", stop_names[r->stop_reason % 7],
		       r->reason);
		if (switches < 0)
			printf("summary: ? exit-less switches (PMSW_IOC_XL_STATE failed), ");
		else
			printf("summary: %lld exit-less switches, ", switches);
	}
	print_vm_exits(xl);
	xl->stats_before = xl->stats;
}

/* CR2 and the SYSCALL MSRs (ABI version 3), after the other registers. */
static void print_syscall_state(const struct pmsw_context *c)
{
	static const char *const names[] = {
		"cr2", "star", "lstar", "cstar", "sfmask", "kernel_gs_base",
	};
	unsigned long long v[6] = {
		c->cr2, c->star, c->lstar, c->cstar, c->sfmask,
		c->kernel_gs_base,
	};
	unsigned int i;

	if (json) {
		for (i = 0; i < 6; i++)
			jw_ku64(names[i], v[i]);
		return;
	}
	printf("        cr2=%#llx star=%#llx lstar=%#llx cstar=%#llx sfmask=%#llx kernel_gs_base=%#llx\n",
	       v[0], v[1], v[2], v[3], v[4], v[5]);
}

/* The memory view, as the context-file lines that set it. */
static void print_view(const struct pmsw_context *c)
{
	char line[80];
	__u32 i;

	if (json)
		jw_karray("view");
	for (i = 0; i < c->nr_view_ranges && i < PMSW_MAX_VIEW_RANGES; i++) {
		if (json) {
			jw_object();
			jw_ku64("gpa", c->view[i].gpa);
			jw_ku64("bytes", c->view[i].bytes);
			jw_ku64("perm", c->view[i].perm);
			jw_end_object();
		} else if (ctxfile_format_view(&c->view[i], line, sizeof(line)) > 0) {
			printf("        %s\n", line);
		}
	}
	if (json)
		jw_end_array();
}

static void print_state_json(const char *name, const struct pmsw_context *c)
{
	jw_kobject(name);
	jw_ku64("rip", c->rip);
	jw_ku64("rsp", c->rsp);
	jw_ku64("rax", c->gpr[PMSW_RAX]);
	jw_ku64("rbx", c->gpr[PMSW_RBX]);
	jw_ku64("rcx", c->gpr[PMSW_RCX]);
	jw_ku64("rdx", c->gpr[PMSW_RDX]);
	jw_ku64("cr0", c->cr0);
	jw_ku64("cr3", c->cr3);
	jw_ku64("cr4", c->cr4);
	jw_ku64("efer", c->efer);
	print_syscall_state(c);
	print_view(c);
	jw_ku64("flags", c->flags);
	jw_end_object();
}

static void print_state(const char *name, const struct pmsw_context *c)
{
	if (json) {
		print_state_json(name, c);
		return;
	}
	printf("%-7s rip=%#llx rsp=%#llx rax=%#llx rbx=%#llx rcx=%#llx rdx=%#llx\n"
	       "        cr0=%#llx cr3=%#llx cr4=%#llx efer=%#llx cs=%#x\n",
	       name, (unsigned long long)c->rip, (unsigned long long)c->rsp,
	       (unsigned long long)c->gpr[PMSW_RAX],
	       (unsigned long long)c->gpr[PMSW_RBX],
	       (unsigned long long)c->gpr[PMSW_RCX],
	       (unsigned long long)c->gpr[PMSW_RDX],
	       (unsigned long long)c->cr0, (unsigned long long)c->cr3,
	       (unsigned long long)c->cr4, (unsigned long long)c->efer,
	       c->seg[PMSW_SEG_CS].selector);
	print_syscall_state(c);
	print_view(c);
	if (c->flags)
		printf("        flags=%#x%s%s\n", c->flags,
		       c->flags & PMSW_CONTEXT_F_VE ? " (VE)" : "",
		       c->flags & PMSW_CONTEXT_F_EXITLESS ? " (EXITLESS)" : "");
}

struct run_args {
	const char *files[2];
	struct pmsw_context ctx[2];
	struct image images[MAX_IMAGES];
	unsigned int nimages, repeat;
	uint64_t mem;
	bool tables, trace;
};

static const struct option run_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "image", required_argument, NULL, 'i' },
	{ "repeat", required_argument, NULL, 'r' },
	{ "mem", required_argument, NULL, 'm' },
	{ "no-tables", no_argument, NULL, 'T' },
	{ "trace", no_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 },
};

static int run_option(struct run_args *a, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'i':
		if (a->nimages == MAX_IMAGES)
			return usage_error("run", "at most %d --image", MAX_IMAGES);
		return image_read("run", arg, &a->images[a->nimages++]);
	case 'r':
		if (parse_u64(arg, &v) || !v || v > 1000000)
			return usage_error("run", "--repeat: expected 1..1000000, not '%s'",
					   arg);
		a->repeat = (unsigned int)v;
		return 0;
	case 'm':
		return parse_mem("run", arg, &a->mem);
	case 'T':
		a->tables = false;
		return 0;
	default:
		a->trace = true;
		return 0;
	}
}

/*
 * Options, the two context files parsed and the images read and sized:
 * everything that can be wrong with the arguments, before the device.
 * Returns -1 after --help.
 */
static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	unsigned int i;
	int c, ret = 0;

	while ((c = cli_getopt(argc, argv, ":hi:r:m:t", run_opts, &ret)) != -1) {
		if (c == CLI_OPT_END)
			return ret ? ret : -1;
		ret = run_option(a, c, optarg);
		if (ret)
			return ret;
	}
	if (argc - optind != 2)
		return fail(EXIT_USAGE, "usage: pmswitch run ORIGIN TARGET [--image FILE@GPA]... [--repeat N] [--mem BYTES] [--no-tables] [--trace] (see pmswitch run --help)");
	for (i = 0; i < 2; i++) {
		a->files[i] = argv[optind + i];
		ret = load_context_file(a->files[i], &a->ctx[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < a->nimages; i++) {
		ret = image_check_fit(&a->images[i], a->mem);
		if (ret)
			return ret;
	}
	return 0;
}

static int create_contexts(int fd, struct run_args *a)
{
	struct pmsw_context_op op;
	const struct pmsw_violation *v = &op.violation;
	int i;

	for (i = 0; i < 2; i++) {
		if (context_create(fd, &a->ctx[i], &op) == i)
			continue;
		/* EOPNOTSUPP with a rule: the CPU lacks what the rule needs. */
		if ((errno == EINVAL || errno == EOPNOTSUPP) && op.nr_violations)
			return fail(EXIT_FAIL, "%s: %u rule(s) broken, first: rule %u (%s%s): %s = %#llx: %s",
				    a->files[i], op.nr_violations, v->rule,
				    sdm(v), v->section, violation_field(v),
				    (unsigned long long)v->value, v->text);
		return fail(EXIT_FAIL, "%s: %s", a->files[i], vmxon_error(errno));
	}
	return 0;
}

static void print_run(const struct run_args *a, unsigned int rep,
		      const struct pmsw_run *r, const struct pmsw_transition *t)
{
	static const char *const names[] = { "origin", "target" };
	unsigned int shown = a->trace || r->nr_transitions < 32 ?
			     r->nr_transitions : 32;

	if (!json) {
		printf("run %u: %u transition(s)\n", rep + 1, r->total_transitions);
		print_transitions(t, shown, names);
		if (shown < r->total_transitions)
			printf("  ... %u more (--trace shows all)\n",
			       r->total_transitions - shown);
		return;
	}
	jw_ku64("total_transitions", r->total_transitions);
	print_transitions(t, r->nr_transitions, names);
	jw_kstr("stop", stop_names[r->stop_reason % 7]);
	jw_kstr("stop_context", names[r->stop_context % 2]);
	jw_ku64("stop_code", r->stop_code);
	jw_kstr("reason", r->reason);
	jw_kobject("exit");
	jw_ku64("reason", r->exit.reason);
	jw_ku64("qualification", r->exit.qualification);
	jw_ku64("guest_physical", r->exit.guest_physical);
	jw_end_object();
}

/* The runs; EXIT_FAIL unless each stopped by PMSW_HC_STOP or HLT. */
static int run_loop(int fd, const struct run_args *a, struct xl_track *xl,
		    struct pmsw_transition *t, unsigned int cap, bool *aborted)
{
	static const char *const names[] = { "origin", "target" };
	unsigned int rep, cur = 0;
	struct pmsw_run r;

	if (json)
		jw_karray("runs");
	for (rep = 0; rep < a->repeat; rep++) {
		if (run(fd, cur, &r, t, cap) && errno != EINTR) {
			*aborted = true;
			return fail(EXIT_FAIL, "run: %s", strerror(errno));
		}
		if (json)
			jw_object();
		print_run(a, rep, &r, t);
		xl_report(xl, fd, names, &r);
		if (json)
			jw_end_object();
		cur = r.stop_context;
		if (r.stop_reason != PMSW_STOP_HYPERCALL &&
		    r.stop_reason != PMSW_STOP_HLT)
			break;
	}
	if (json)
		jw_end_array();
	return rep < a->repeat ? EXIT_FAIL : EXIT_OK;
}

static int run_session(struct run_args *a)
{
	struct session s = { .fd = -1, .mem = MAP_FAILED };
	struct pmsw_transition *t = NULL;
	struct xl_track xl = { 0 };
	unsigned int cap = 4096;
	bool aborted = false;
	int i, ret;

	ret = session_setup(&s, a->mem, a->tables, a->images, a->nimages);
	if (!ret)
		ret = create_contexts(s.fd, a);
	if (ret)
		goto out;
	xl_start(&xl, s.fd, a->ctx);
	ret = session_stats(s.fd, &xl.stats_before);
	t = ret ? NULL : calloc(cap, sizeof(*t));
	if (!ret && !t)
		ret = fail(EXIT_FAIL, "out of memory");
	if (ret)
		goto out;
	if (json)
		jw_object();
	ret = run_loop(s.fd, a, &xl, t, cap, &aborted);
	if (aborted)
		goto out;	/* reported; in JSON, that ended the document */
	for (i = 0; i < 2; i++)
		context_get(s.fd, i, &a->ctx[i]);
	if (json) {
		jw_kobject("final");
	} else {
		printf("final state:\n");
	}
	print_state("origin", &a->ctx[0]);
	print_state("target", &a->ctx[1]);
	if (json) {
		jw_end_object();
		jw_end_object();
	}
out:
	free(t);
	session_teardown(&s, a->mem);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_args *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return fail(EXIT_FAIL, "out of memory");
	a->repeat = 1;
	a->mem = GUEST_MEM;
	a->tables = true;
	ret = parse_run_args(argc, argv, a);
	if (!ret)
		ret = run_session(a);
	images_free(a->images, a->nimages);
	free(a);
	return ret < 0 ? EXIT_OK : ret;
}
