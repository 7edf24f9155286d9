// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch's tracepoints as tracefs shows them (Documentation/tracing.rst):
 * every event with its fields under events/pmswitch/, the sequence a
 * VMCALL ping-pong produces (run start, typed entries, exits, switches,
 * run stop) checked against the run's own transition records, VMXON and
 * VMXOFF once per CPU, and what the events cost per switch. Mounts
 * tracefs at /sys/kernel/tracing if it is not there; skips, with the
 * reason, without tracefs, pmswitch.ko or VT-x with EPT.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"

#define TRACEFS		"/sys/kernel/tracing"
#define TRACEFS_DEBUG	"/sys/kernel/debug/tracing"
#define ROUNDS		3
#define COST_ROUNDS	100
#define MAX_T		(2 * COST_ROUNDS + 64)
#define MAX_EV		512

static const char *const event_names[] = {
	"pmsw_run_start", "pmsw_run_stop", "pmsw_entry", "pmsw_exit",
	"pmsw_switch", "pmsw_vmx", "pmsw_native",
};

/* One event of the text trace: its name and what TP_printk made of it. */
struct event {
	char name[32];
	char args[192];
};

/*
 * The tracefs directory: where it is mounted, or mounted now at
 * /sys/kernel/tracing. NULL with @why if there is none.
 */
static const char *tracefs_dir(char *why, size_t len)
{
	struct stat st;

	if (!stat(TRACEFS "/events", &st))
		return TRACEFS;
	if (!mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return TRACEFS;
	snprintf(why, len, "tracefs unavailable: mount at " TRACEFS ": %s",
		 strerror(errno));
	if (!stat(TRACEFS_DEBUG "/events", &st))
		return TRACEFS_DEBUG;
	return NULL;
}

static int tf_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* A tracefs file's whole text (malloc'd, NUL-terminated), or NULL. */
static char *tf_read(const char *dir, const char *file)
{
	size_t len = 0, cap = 1 << 16;
	char path[256], *buf = malloc(cap), *bigger;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len > 1)
			continue;
		bigger = realloc(buf, cap * 2);
		if (!bigger)
			goto fail;
		buf = bigger;
		cap *= 2;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * The pmswitch events in the trace, in order: "... : pmsw_X: args" lines.
 * Returns how many, at most @max.
 */
static unsigned int parse_trace(const char *text, struct event *ev,
				unsigned int max)
{
	const char *line = text, *p, *colon, *end;
	unsigned int n = 0;

	for (; *line && n < max; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		p = strstr(line, ": pmsw_");
		if (!p || p > end)
			continue;
		p += 2;
		colon = strchr(p, ':');
		if (!colon || colon > end ||
		    colon - p >= (long)sizeof(ev[n].name) || colon[1] != ' ')
			continue;
		memcpy(ev[n].name, p, colon - p);
		ev[n].name[colon - p] = '\0';
		snprintf(ev[n].args, sizeof(ev[n].args), "%.*s",
			 (int)(end - colon - 2), colon + 2);
		n++;
	}
	return n;
}

static bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/pmswitch", &st);
}

static int pin_here(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The text the exit event prints for basic exit reasons a ping-pong sees. */
static const char *reason_text(uint32_t reason)
{
	switch (reason) {
	case PMSW_EXIT_VMCALL:
		return "VMCALL";
	case PMSW_EXIT_EXTERNAL_INTERRUPT:
		return "EXTERNAL_INTERRUPT";
	case PMSW_EXIT_PREEMPTION_TIMER:
		return "PREEMPTION_TIMER";
	case PMSW_EXIT_EXCEPTION_NMI:
		return "EXCEPTION_NMI";
	}
	return "?";
}

FIXTURE(tr) {
	struct session s;
	struct pmsw_run r;
	struct pmsw_transition t[MAX_T];
	struct event ev[MAX_EV];
	const char *dir;
	char why[128];
	bool ready;
};

FIXTURE_SETUP(tr)
{
	self->s.fd = -1;
	self->s.mem = MAP_FAILED;
	snprintf(self->why, sizeof(self->why), "needs pmswitch.ko and VT-x with EPT");
	self->ready = pmsw_can_switch(NULL);
	self->dir = tracefs_dir(self->why, sizeof(self->why));
	if (!self->dir)
		self->ready = false;
	if (self->ready)
		ASSERT_EQ(0, session_open(&self->s));
}

FIXTURE_TEARDOWN(tr)
{
	if (self->dir && module_loaded())
		tf_write(self->dir, "events/pmswitch/enable", "0");
	session_close(&self->s);
}

/* Empty the trace buffer and turn every pmswitch event on or off. */
static int trace_events(const char *dir, bool on)
{
	if (on && (tf_write(dir, "trace", "") || tf_write(dir, "tracing_on", "1")))
		return -1;
	return tf_write(dir, "events/pmswitch/enable", on ? "1" : "0");
}

TEST_F(tr, every_event_in_tracefs_with_its_fields)
{
	static const char *const fields[][6] = {
		{ "session", "ctx", "max_transitions" },
		{ "session", "reason", "ctx", "transitions", "code", "err" },
		{ "session", "ctx", "type" },
		{ "session", "ctx", "running", "reason", "qualification" },
		{ "session", "from", "to", "kind", "count" },
		{ "cpu", "on", "err" },
		{ "cpu", "stop_reason", "vector", "forward_exit",
		  "forward_ticks", "return_ticks" },
	};
	unsigned int i, j;
	char file[96], field[48];
	char *fmt;

	if (!self->dir)
		SKIP(return, "%s", self->why);
	if (!module_loaded())
		SKIP(return, "needs pmswitch.ko");
	for (i = 0; i < ARRAY_SIZE(event_names); i++) {
		snprintf(file, sizeof(file), "events/pmswitch/%s/format",
			 event_names[i]);
		fmt = tf_read(self->dir, file);
		ASSERT_NE(NULL, fmt) TH_LOG("%s/%s missing", self->dir, file);
		for (j = 0; j < 6 && fields[i][j]; j++) {
			snprintf(field, sizeof(field), " %s;", fields[i][j]);
			EXPECT_NE(NULL, strstr(fmt, field))
				TH_LOG("%s has no field %s", event_names[i],
				       fields[i][j]);
		}
		free(fmt);
	}
}

/* Finds the next event named @name from *@i on; its args, or NULL. */
static const char *next_event(const struct event *ev, unsigned int n,
			      unsigned int *i, const char *name)
{
	for (; *i < n; (*i)++) {
		if (!strcmp(ev[*i].name, "pmsw_vmx"))
			continue;
		if (strcmp(ev[*i].name, name))
			return NULL;
		return ev[(*i)++].args;
	}
	return NULL;
}

/*
 * Each transition @t of the run is an entry event (context, LAUNCH or
 * RESUME) and an exit event (the same context, the same reason), and a
 * VMCALL that moved to another context a switch event between them.
 */
static void check_transitions(struct __test_metadata *_metadata,
			      const struct event *ev, unsigned int n,
			      unsigned int *i, const struct pmsw_run *r,
			      const struct pmsw_transition *t,
			      unsigned long long session)
{
	unsigned long long ses, count;
	unsigned int k, ctx, run, from, to;
	char type[16], reason[32], kind[16];
	const char *a;

	for (k = 0; k < r->nr_transitions; k++) {
		a = next_event(ev, n, i, "pmsw_entry");
		ASSERT_NE(NULL, a) TH_LOG("transition %u: no entry event", k);
		ASSERT_EQ(3, sscanf(a, "session %llu ctx %u %15s", &ses, &ctx, type));
		EXPECT_EQ(session, ses);
		EXPECT_EQ(t[k].to, ctx);
		EXPECT_STREQ(t[k].type == PMSW_ENTRY_LAUNCH ? "LAUNCH" : "RESUME", type);

		a = next_event(ev, n, i, "pmsw_exit");
		ASSERT_NE(NULL, a) TH_LOG("transition %u: no exit event", k);
		ASSERT_EQ(4, sscanf(a, "session %llu ctx %u running %u reason %31s",
				    &ses, &ctx, &run, reason));
		EXPECT_EQ(t[k].to, ctx);
		EXPECT_EQ(t[k].to, run);
		EXPECT_STREQ(reason_text(t[k].exit_reason), reason);

		if (k + 1 == r->nr_transitions || t[k + 1].to == t[k].to)
			continue;
		a = next_event(ev, n, i, "pmsw_switch");
		ASSERT_NE(NULL, a) TH_LOG("transition %u: no switch event", k);
		ASSERT_EQ(5, sscanf(a, "session %llu %u -> %u %15s count %llu",
				    &ses, &from, &to, kind, &count));
		EXPECT_EQ(t[k].to, from);
		EXPECT_EQ(t[k + 1].to, to);
		EXPECT_STREQ("VMCALL", kind);
		EXPECT_EQ(1, count);
	}
}

TEST_F(tr, pingpong_produces_the_expected_event_sequence)
{
	unsigned int i = 0, n, ctx, max, transitions, entries = 0, switches = 0;
	unsigned long long session, ses, code;
	char *text, reason[16];
	const char *a;
	int err;

	if (!self->ready)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, pin_here());
	ASSERT_EQ(0, pingpong_create(&self->s, FLAT32, ROUNDS));
	ASSERT_EQ(0, trace_events(self->dir, true));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(0, trace_events(self->dir, false));
	ASSERT_EQ(PMSW_STOP_HYPERCALL, self->r.stop_reason);
	ASSERT_EQ(self->r.total_transitions, self->r.nr_transitions);
	ASSERT_EQ(2 * ROUNDS, count_switches(self->t, self->r.nr_transitions));

	text = tf_read(self->dir, "trace");
	ASSERT_NE(NULL, text);
	n = parse_trace(text, self->ev, MAX_EV);
	free(text);
	for (i = 0; i < n; i++) {
		entries += !strcmp(self->ev[i].name, "pmsw_entry");
		switches += !strcmp(self->ev[i].name, "pmsw_switch");
	}
	EXPECT_EQ(self->r.total_transitions, entries);
	EXPECT_EQ(2 * ROUNDS, switches);

	/* run start, entry LAUNCH 0, exit VMCALL, switch 0 -> 1, entry LAUNCH 1 */
	i = 0;
	a = next_event(self->ev, n, &i, "pmsw_run_start");
	ASSERT_NE(NULL, a) TH_LOG("the first event is not pmsw_run_start");
	ASSERT_EQ(3, sscanf(a, "session %llu ctx %u max_transitions %u",
			    &session, &ctx, &max));
	EXPECT_EQ(0, ctx);
	ASSERT_EQ(PMSW_ENTRY_LAUNCH, self->t[0].type);
	ASSERT_EQ(0, self->t[0].to);
	ASSERT_EQ(PMSW_EXIT_VMCALL, self->t[0].exit_reason);
	ASSERT_EQ(1, self->t[1].to);
	ASSERT_EQ(PMSW_ENTRY_LAUNCH, self->t[1].type);
	check_transitions(_metadata, self->ev, n, &i, &self->r, self->t, session);

	/* ... RESUMEs, and the stop: ping32's PMSW_HC_STOP with 0x600d. */
	EXPECT_EQ(PMSW_ENTRY_RESUME, self->t[self->r.nr_transitions - 1].type);
	a = next_event(self->ev, n, &i, "pmsw_run_stop");
	ASSERT_NE(NULL, a) TH_LOG("no pmsw_run_stop after the last transition");
	ASSERT_EQ(6, sscanf(a, "session %llu reason %15s ctx %u transitions %u code %llx err %d",
			    &ses, reason, &ctx, &transitions, &code, &err));
	EXPECT_EQ(session, ses);
	EXPECT_STREQ("HYPERCALL", reason);
	EXPECT_EQ(0, ctx);
	EXPECT_EQ(self->r.total_transitions, transitions);
	EXPECT_EQ(0x600d, code);
	EXPECT_EQ(0, err);
	EXPECT_EQ(n, i) TH_LOG("events after pmsw_run_stop: %s", self->ev[i].name);
}

/* The median host path of the entries that switched, in TSC ticks. */
static unsigned long long switch_median(const struct pmsw_transition *t,
					unsigned int n)
{
	static unsigned long long v[MAX_T];
	unsigned long long x;
	unsigned int i, j, k = 0;

	for (i = 1; i < n; i++)
		if (t[i].from != t[i].to)
			v[k++] = t[i].ticks;
	for (i = 1; i < k; i++)		/* insertion sort: k is small */
		for (j = i; j && v[j - 1] > v[j]; j--) {
			x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return k ? v[k / 2] : 0;
}

/*
 * What the three events of a switch (exit, switch, entry) add to it:
 * under Bochs one TSC tick is one instruction (testbed.rst), so these
 * are instructions per switch; elsewhere, cycles.
 */
TEST_F(tr, cost_per_switch_disabled_and_enabled)
{
	unsigned long long off, on;

	if (!self->ready)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(0, pin_here());
	ASSERT_EQ(0, pingpong_create(&self->s, FLAT32, COST_ROUNDS));
	ASSERT_EQ(0, trace_events(self->dir, false));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(2 * COST_ROUNDS, count_switches(self->t, self->r.nr_transitions));
	off = switch_median(self->t, self->r.nr_transitions);

	ASSERT_EQ(0, trace_events(self->dir, true));
	ASSERT_EQ(0, run(self->s.fd, 0, &self->r, self->t, MAX_T));
	ASSERT_EQ(0, trace_events(self->dir, false));
	ASSERT_EQ(2 * COST_ROUNDS, count_switches(self->t, self->r.nr_transitions));
	on = switch_median(self->t, self->r.nr_transitions);

	TH_LOG("ticks per switch (median of %u): events off %llu, on %llu (+%lld)",
	       2 * COST_ROUNDS, off, on, (long long)(on - off));
	EXPECT_LT(0, off);
	EXPECT_LT(off, on);
}

/* VMXON and VMXOFF: one event each per online CPU, with that CPU. */
TEST(vmx_on_and_off_once_per_cpu)
{
	struct pmsw_snapshot snap;
	unsigned int i, n, cpu, online, on = 0, off = 0;
	unsigned long long seen_on = 0, seen_off = 0;
	static struct event ev[MAX_EV];
	char why[128], what[16], *text;
	const char *dir;
	int fd, err;

	if (!pmsw_can_switch(&snap))
		SKIP(return, "needs pmswitch.ko and VT-x with EPT");
	dir = tracefs_dir(why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	if (snap.info.vmx_users || pmsw_count(&snap, PMSW_CPU_VMX_ON))
		SKIP(return, "VMX is held already (%u users): no VMXON to see",
		     snap.info.vmx_users);
	online = pmsw_count(&snap, 0);
	ASSERT_GT(64, online);
	fd = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tf_write(dir, "trace", ""));
	ASSERT_EQ(0, tf_write(dir, "events/pmswitch/pmsw_vmx/enable", "1"));
	err = ioctl(fd, PMSW_IOC_VMXON, 0);
	if (!err)
		EXPECT_EQ(0, ioctl(fd, PMSW_IOC_VMXOFF, 0));
	tf_write(dir, "events/pmswitch/pmsw_vmx/enable", "0");
	close(fd);
	ASSERT_EQ(0, err) TH_LOG("VMXON: %s", strerror(errno));

	text = tf_read(dir, "trace");
	ASSERT_NE(NULL, text);
	n = parse_trace(text, ev, MAX_EV);
	free(text);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(3, sscanf(ev[i].args, "cpu %u %15s err %d", &cpu,
				    what, &err)) TH_LOG("%s", ev[i].args);
		ASSERT_GT(64, cpu);
		EXPECT_EQ(0, err);
		if (!strcmp(what, "VMXON")) {
			EXPECT_FALSE(seen_on & (1ULL << cpu));
			seen_on |= 1ULL << cpu;
			on++;
		} else {
			EXPECT_STREQ("VMXOFF", what);
			EXPECT_TRUE(seen_on & (1ULL << cpu));
			seen_off |= 1ULL << cpu;
			off++;
		}
	}
	EXPECT_EQ(online, on);
	EXPECT_EQ(online, off);
	EXPECT_EQ(seen_on, seen_off);
}

TEST_HARNESS_MAIN
