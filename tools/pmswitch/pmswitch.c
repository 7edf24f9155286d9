// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch: command-line front end of /dev/pmswitch.
 *
 *   pmswitch [--json] info          capabilities and per-CPU VMX state
 *   pmswitch [--json] vmx on|off    VMX on every CPU until 'vmx off'
 *   pmswitch [--json] vmx status    per-CPU VMX state only
 *   pmswitch [--json] vmx cycle     VMXON on every CPU, show, VMXOFF, show
 *   pmswitch vmx hold [SECONDS]     keep VMX on until killed (or SECONDS)
 *   pmswitch [--json] example       the embedded example switch
 *   pmswitch load [PATH] | unload   insert/remove pmswitch.ko (libkmod)
 *   pmswitch [--json] check FILE... VM-entry checks of context files, offline
 *   pmswitch [--json] run ORIGIN TARGET [--image FILE@GPA]... [--repeat N]
 *                     [--mem BYTES] [--no-tables] [--trace]
 *   pmswitch [--json] stats
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 * With --json every result, and every error as {"error": ...}, is one
 * JSON object on stdout (schema in Documentation/cli.rst).
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libkmod.h>
#include <linux/pmswitch.h>

#include "bochs_caps.h"
#include "caps.h"
#include "check.h"
#include "ctxfile.h"
#include "decode.h"
#include "pmsw_guest.h"
#include "vmcs_fields.h"

#define DEV_PATH	"/dev/" PMSW_DEVICE_NAME
#define MAX_CPUS	1024

enum { EXIT_OK, EXIT_FAIL, EXIT_USAGE };

static bool json;

static void module_state(char *state, size_t size, char *version,
			 size_t vsize, int *refcnt);

struct snapshot {
	struct pmsw_info info;
	struct pmsw_cpu_info cpus[MAX_CPUS];
};

/* One error line, or {"error": ...} in JSON mode. */
static int __attribute__((format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json) {
		fprintf(stderr, "pmswitch: %s\n", msg);
		return status;
	}
	fputs("{\"error\": \"", stdout);
	for (p = msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	fputs("\"}\n", stdout);
	return status;
}

static int open_dev(int *fd)
{
	*fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	switch (errno) {
	case ENOENT:
		return fail(EXIT_FAIL, "%s: no such device: is pmswitch.ko loaded?",
			    DEV_PATH);
	case EACCES:
	case EPERM:
		return fail(EXIT_FAIL, "%s: permission denied: needs root (CAP_SYS_ADMIN)",
			    DEV_PATH);
	default:
		return fail(EXIT_FAIL, "%s: %s", DEV_PATH, strerror(errno));
	}
}

static int get_info(int fd, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->info.size = sizeof(s->info);
	s->info.nr_cpus = MAX_CPUS;
	s->info.cpus = (__u64)(unsigned long)s->cpus;
	if (ioctl(fd, PMSW_IOC_INFO, &s->info))
		return fail(EXIT_FAIL, "PMSW_IOC_INFO: %s", strerror(errno));
	return 0;
}

static const char *vmxon_error(int err)
{
	switch (err) {
	case ENODEV:
		return "a CPU has no VMX (CPUID.1:ECX.VMX = 0)";
	case EBUSY:
		return "another hypervisor (e.g. kvm_intel) holds VMX on a CPU";
	case EOPNOTSUPP:
		return "VT-x is disabled by firmware or unusable (see dmesg)";
	case ESHUTDOWN:
		return "the system is shutting down";
	case EXDEV:
		return "CPUs report different VMX capabilities (dmesg names the CPU and MSR)";
	default:
		return strerror(err);
	}
}

static const struct {
	__u32 flag;
	const char *name;
} cpu_flags[] = {
	{ PMSW_CPU_ONLINE, "online" },
	{ PMSW_CPU_VMX, "vmx" },
	{ PMSW_CPU_FC_LOCKED, "fc_locked" },
	{ PMSW_CPU_FC_VMX_SMX, "fc_vmx_in_smx" },
	{ PMSW_CPU_FC_VMX, "fc_vmx" },
	{ PMSW_CPU_VMX_ON, "vmx_on" },
	{ PMSW_CPU_CR4_VMXE, "cr4_vmxe" },
	{ PMSW_CPU_CAPS_DIFFER, "caps_differ" },
};

/* What a CPU's VMX state means, in words. */
static const char *cpu_state(__u32 f)
{
	if (!(f & PMSW_CPU_ONLINE))
		return "offline";
	if (!(f & PMSW_CPU_VMX))
		return "no VMX";
	if (!(f & PMSW_CPU_FC_LOCKED) || !(f & PMSW_CPU_FC_VMX))
		return "VMX disabled by firmware";
	if (f & PMSW_CPU_VMX_ON)
		return "VMX on (pmswitch)";
	if (f & PMSW_CPU_CR4_VMXE)
		return "VMX held by another hypervisor";
	return "VMX off";
}

static void print_cpus_text(const struct snapshot *s)
{
	__u32 i;

	printf("vmx users:    %u%s\n", s->info.vmx_users,
	       s->info.state & PMSW_STATE_VMX_PERSISTENT ?
	       " (one is the persistent reference: pmswitch vmx off drops it)" : "");
	for (i = 0; i < s->info.nr_cpus; i++) {
		const struct pmsw_cpu_info *c = &s->cpus[i];

		if (!(c->flags & PMSW_CPU_ONLINE))
			continue;
		printf("cpu%-3u        %-32s IA32_FEATURE_CONTROL=%#llx%s\n",
		       c->cpu, cpu_state(c->flags),
		       (unsigned long long)c->feature_control,
		       c->flags & PMSW_CPU_CAPS_DIFFER ? " (caps differ)" : "");
	}
}

static void print_cpus_json(const struct snapshot *s)
{
	__u32 i, j;
	bool first = true;

	printf("\"vmx_users\": %u, \"vmx_persistent\": %s, \"cpus\": [",
	       s->info.vmx_users,
	       s->info.state & PMSW_STATE_VMX_PERSISTENT ? "true" : "false");
	for (i = 0; i < s->info.nr_cpus; i++) {
		const struct pmsw_cpu_info *c = &s->cpus[i];
		bool ffirst = true;

		if (!(c->flags & PMSW_CPU_ONLINE))
			continue;
		printf("%s{\"cpu\": %u, \"state\": \"%s\", \"feature_control\": %llu, \"flags\": [",
		       first ? "" : ", ", c->cpu, cpu_state(c->flags),
		       (unsigned long long)c->feature_control);
		for (j = 0; j < sizeof(cpu_flags) / sizeof(cpu_flags[0]); j++) {
			if (!(c->flags & cpu_flags[j].flag))
				continue;
			printf("%s\"%s\"", ffirst ? "" : ", ", cpu_flags[j].name);
			ffirst = false;
		}
		printf("]}");
		first = false;
	}
	printf("]");
}

static const struct {
	const char *name;
	size_t off;
} cap_fields[] = {
#define CAP(f) { #f, offsetof(struct pmsw_vmx_caps, f) }
	CAP(basic), CAP(pinbased_ctls), CAP(procbased_ctls), CAP(exit_ctls),
	CAP(entry_ctls), CAP(procbased_ctls2), CAP(ept_vpid_cap), CAP(vmfunc),
	CAP(misc), CAP(cr0_fixed0), CAP(cr0_fixed1), CAP(cr4_fixed0),
	CAP(cr4_fixed1), CAP(vmcs_enum),
#undef CAP
};

static __u64 cap_value(const struct pmsw_vmx_caps *c, unsigned int i)
{
	__u64 v;

	memcpy(&v, (const char *)c + cap_fields[i].off, sizeof(v));
	return v;
}

static void print_info_text(const struct snapshot *s)
{
	const struct pmsw_vmx_caps *c = &s->info.caps;
	char state[48], version[32];
	unsigned int i;
	int refcnt;

	module_state(state, sizeof(state), version, sizeof(version), &refcnt);
	printf("module:       %s%s%s", state, version[0] ? ", version " : "",
	       version);
	if (refcnt >= 0)
		printf(", %d reference(s)", refcnt);
	printf("\nabi version:  %u\n", s->info.abi_version);
	printf("cpu ids:      %u\n", s->info.nr_cpu_ids);
	if (!c->basic) {
		printf("vmx:          not available\n");
	} else {
		printf("vmcs:         revision %#x, %u bytes\n",
		       pmsw_basic_revision(c->basic),
		       pmsw_basic_vmcs_size(c->basic));
		printf("features:    ");
		for (i = 0; pmsw_feature_name(i); i++)
			if (s->info.features & (1ULL << i))
				printf(" %s", pmsw_feature_name(i));
		printf("\n");
		for (i = 0; i < sizeof(cap_fields) / sizeof(cap_fields[0]); i++)
			printf("  %-16s %#018llx\n", cap_fields[i].name,
			       (unsigned long long)cap_value(c, i));
	}
	print_cpus_text(s);
}

static void print_info_json(const struct snapshot *s)
{
	const struct pmsw_vmx_caps *c = &s->info.caps;
	unsigned int i;
	bool first = true;

	char state[48], version[32];
	int refcnt;

	module_state(state, sizeof(state), version, sizeof(version), &refcnt);
	printf("{\"module\": {\"state\": \"%s\", \"version\": \"%s\", \"refcnt\": %d}, ",
	       state, version, refcnt);
	printf("\"abi_version\": %u, \"nr_cpu_ids\": %u, \"features\": [",
	       s->info.abi_version, s->info.nr_cpu_ids);
	for (i = 0; pmsw_feature_name(i); i++) {
		if (!(s->info.features & (1ULL << i)))
			continue;
		printf("%s\"%s\"", first ? "" : ", ", pmsw_feature_name(i));
		first = false;
	}
	printf("], \"caps\": {");
	for (i = 0; i < sizeof(cap_fields) / sizeof(cap_fields[0]); i++)
		printf("%s\"%s\": %llu", i ? ", " : "", cap_fields[i].name,
		       (unsigned long long)cap_value(c, i));
	printf("}, ");
	print_cpus_json(s);
	printf("}\n");
}

static int cmd_info(int argc, char **argv)
{
	struct snapshot *s;
	int fd, ret;

	(void)argv;
	if (argc > 1)
		return fail(EXIT_USAGE, "info: unexpected argument '%s'", argv[1]);
	if (access(DEV_PATH, F_OK)) {
		char state[48], version[32];
		int refcnt;

		/* Without the module, its state is all there is to say. */
		module_state(state, sizeof(state), version, sizeof(version),
			     &refcnt);
		if (json) {
			printf("{\"module\": {\"state\": \"%s\", \"version\": \"\", \"refcnt\": -1}, \"error\": \"%s: no such device: is pmswitch.ko loaded?\"}\n",
			       state, DEV_PATH);
			return EXIT_FAIL;
		}
		printf("module:       %s\n", state);
	}
	ret = open_dev(&fd);
	if (ret)
		return ret;
	s = malloc(sizeof(*s));
	if (!s)
		return fail(EXIT_FAIL, "out of memory");
	ret = get_info(fd, s);
	if (!ret) {
		if (json)
			print_info_json(s);
		else
			print_info_text(s);
	}
	free(s);
	close(fd);
	return ret;
}

static int show_state(int fd, const char *label, bool *first)
{
	struct snapshot *s = malloc(sizeof(*s));
	int ret;

	if (!s)
		return fail(EXIT_FAIL, "out of memory");
	ret = get_info(fd, s);
	if (!ret && json) {
		printf("%s\"%s\": {", *first ? "{" : ", ", label);
		print_cpus_json(s);
		printf("}");
		*first = false;
	} else if (!ret) {
		printf("[%s]\n", label);
		print_cpus_text(s);
	}
	free(s);
	return ret;
}

/*
 * Hold a VMX reference until killed or for @seconds: the reference is the
 * open file, so it goes away with this process however it ends.
 */
static int vmx_hold(int fd, const char *seconds, bool *first)
{
	char *end;
	long secs = -1;
	int ret;

	if (seconds) {
		secs = strtol(seconds, &end, 10);
		if (*end || secs < 0)
			return fail(EXIT_USAGE, "vmx hold: SECONDS must be a number >= 0, not '%s'",
				    seconds);
	}
	if (ioctl(fd, PMSW_IOC_VMXON, 0))
		return fail(EXIT_FAIL, "VMXON: %s", vmxon_error(errno));
	ret = show_state(fd, "holding VMX", first);
	if (json && !*first)
		printf("}\n");
	*first = true;
	fflush(stdout);
	if (secs < 0)
		for (;;)
			pause();
	while (secs > 0)
		secs = sleep(secs);
	return ret;
}

static int cmd_vmx(int argc, char **argv)
{
	bool first = true;
	int fd, ret;

	if (argc < 2 || (strcmp(argv[1], "status") && strcmp(argv[1], "cycle") &&
			 strcmp(argv[1], "hold") && strcmp(argv[1], "on") &&
			 strcmp(argv[1], "off")) ||
	    argc > (strcmp(argv[1], "hold") ? 2 : 3))
		return fail(EXIT_USAGE, "usage: pmswitch vmx on|off|status|cycle|hold [SECONDS]");
	ret = open_dev(&fd);
	if (ret)
		return ret;

	/* on/off: the module's persistent reference, which outlives us. */
	if (!strcmp(argv[1], "on") || !strcmp(argv[1], "off")) {
		bool on = !strcmp(argv[1], "on");

		if (ioctl(fd, on ? PMSW_IOC_VMXON : PMSW_IOC_VMXOFF,
			  PMSW_VMX_PERSISTENT)) {
			ret = fail(EXIT_FAIL, "VMX%s: %s", on ? "ON" : "OFF",
				   on ? vmxon_error(errno) : strerror(errno));
			goto out;
		}
		ret = show_state(fd, on ? "after vmx on" : "after vmx off",
				 &first);
		goto out;
	}

	if (!strcmp(argv[1], "status")) {
		ret = show_state(fd, "status", &first);
		goto out;
	}
	if (!strcmp(argv[1], "hold")) {
		ret = vmx_hold(fd, argc == 3 ? argv[2] : NULL, &first);
		goto out;
	}

	/* cycle: the reference lives as long as this file stays open. */
	if (ioctl(fd, PMSW_IOC_VMXON, 0)) {
		ret = fail(EXIT_FAIL, "VMXON: %s", vmxon_error(errno));
		goto out;
	}
	ret = show_state(fd, "after VMXON", &first);
	if (ioctl(fd, PMSW_IOC_VMXOFF, 0) && !ret)
		ret = fail(EXIT_FAIL, "VMXOFF: %s", strerror(errno));
	if (!ret)
		ret = show_state(fd, "after VMXOFF", &first);
out:
	if (json && !first)
		printf("}\n");
	close(fd);
	return ret;
}

static const char *const type_names[] = { "?", "LAUNCH", "RESUME" };

static const char *ctx_name(__u32 id, const char *const *names)
{
	return id == ~0U ? "-" : names[id];
}

static void print_transitions(const struct pmsw_transition *t, __u32 n,
			      const char *const *names, bool *first)
{
	__u32 i;

	if (json) {
		printf("%s\"transitions\": [", *first ? "" : ", ");
		for (i = 0; i < n; i++)
			printf("%s{\"from\": \"%s\", \"to\": \"%s\", \"type\": \"%s\", \"exit_reason\": %u, \"exit\": \"%s\", \"exit_qualification\": %llu, \"vmwrites\": %u, \"vmwrites_context\": %u, \"vmwrites_elided\": %u, \"ticks\": %llu}",
			       i ? ", " : "", ctx_name(t[i].from, names),
			       names[t[i].to], type_names[t[i].type % 3],
			       t[i].exit_reason, pmsw_exit_reason_name(t[i].exit_reason),
			       (unsigned long long)t[i].exit_qualification,
			       t[i].vmwrites, t[i].vmwrites_context,
			       t[i].vmwrites_elided,
			       (unsigned long long)t[i].ticks);
		printf("]");
		*first = false;
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
 * The example switch: a 32-bit protected-mode origin (no paging) hands
 * the CPU to a 64-bit target with VMCALL; one VM entry loads the whole
 * target (CR0, CR3, CR4, GDTR, IDTR, segments, RSP, RIP), which reports
 * what it sees and stops the run. Then two contexts ping-pong, to show
 * the first entry of each as LAUNCH and every later one as RESUME.
 */
static int cmd_example(int argc, char **argv)
{
	static const char *const names[] = { "target", "origin" };
	static const char *const pp_names[] = { "ping", "pong" };
	struct pmsw_transition t[64];
	struct pmsw_context target, origin, a, b;
	struct pmsw_context_op op;
	struct session s;
	struct pmsw_run r;
	uint64_t gdt_base = 0, cr0 = 0, cr3 = 0, cr4 = 0, rsp = 0;
	uint16_t cs;
	bool first = true;
	int ret = 0;

	(void)argv;
	if (argc > 1)
		return fail(EXIT_USAGE, "example: unexpected argument '%s'", argv[1]);
	if (session_open(&s)) {
		ret = fail(EXIT_FAIL, "cannot open a session: %s", strerror(errno));
		goto out;
	}
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
	memcpy(&gdt_base, s.mem + GPA_RESULTS + 2, 8);
	memcpy(&cr0, s.mem + GPA_RESULTS + 32, 8);
	memcpy(&cr3, s.mem + GPA_RESULTS + 40, 8);
	memcpy(&cr4, s.mem + GPA_RESULTS + 48, 8);
	memcpy(&cs, s.mem + GPA_RESULTS + 56, 2);
	memcpy(&rsp, s.mem + GPA_RESULTS + 72, 8);
	if (json) {
		printf("{\"switch\": {");
		print_transitions(t, r.nr_transitions, names, &first);
		printf(", \"stop\": \"%s\", \"target_saw\": {\"cr0\": %llu, \"cr3\": %llu, \"cr4\": %llu, \"gdtr_base\": %llu, \"cs\": %u, \"rsp\": %llu}}",
		       r.reason, (unsigned long long)cr0,
		       (unsigned long long)cr3, (unsigned long long)cr4,
		       (unsigned long long)gdt_base, cs,
		       (unsigned long long)rsp);
	} else {
		printf("origin: 32-bit protected mode, no paging (CR0=%#llx CR3=%#llx CR4=%#llx CS=%#x)\n",
		       (unsigned long long)origin.cr0, (unsigned long long)origin.cr3,
		       (unsigned long long)origin.cr4, origin.seg[PMSW_SEG_CS].selector);
		printf("target: 64-bit mode, 4-level paging (CR0=%#llx CR3=%#llx CR4=%#llx CS=%#x)\n\n",
		       (unsigned long long)target.cr0, (unsigned long long)target.cr3,
		       (unsigned long long)target.cr4, target.seg[PMSW_SEG_CS].selector);
		print_transitions(t, r.nr_transitions, names, &first);
		printf("\nstopped: %s\n", r.reason);
		printf("the target saw: CR0=%#llx CR3=%#llx CR4=%#llx GDTR.base=%#llx CS=%#x RSP=%#llx (%s)\n\n",
		       (unsigned long long)cr0, (unsigned long long)cr3,
		       (unsigned long long)cr4, (unsigned long long)gdt_base, cs,
		       (unsigned long long)rsp,
		       cr0 == target.cr0 && cr3 == target.cr3 && cr4 == target.cr4 &&
		       cs == target.seg[PMSW_SEG_CS].selector && rsp == target.rsp ?
		       "exactly as submitted" : "DIFFERENT from what was submitted");
	}
	session_close(&s);

	/* Ping-pong: A (32-bit) and B (PAE) switch to each other 3 times. */
	if (session_open(&s)) {
		ret = fail(EXIT_FAIL, "cannot open a session: %s", strerror(errno));
		goto out;
	}
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
		printf(", \"pingpong\": {");
		first = true;
		print_transitions(t, r.nr_transitions, pp_names, &first);
		printf(", \"stop\": \"%s\"}}\n", r.reason);
	} else {
		printf("ping-pong between ping (32-bit) and pong (PAE):\n");
		print_transitions(t, r.nr_transitions, pp_names, &first);
		printf("\nstopped: %s\n", r.reason);
	}
out:
	session_close(&s);
	return ret;
}

/* Read all of @path into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/*
 * The capabilities to check against: the machine's, if the module is
 * loaded and VT-x usable; else Bochs' Haswell model (a VT-x CPU with EPT
 * and unrestricted guest).
 */
static const char *check_caps(struct pmsw_vmx_caps *caps)
{
	struct snapshot *s = malloc(sizeof(*s));
	const char *which = "reference CPU (no module)";
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	*caps = haswell;
	if (fd >= 0 && s) {
		memset(s, 0, sizeof(*s));
		s->info.size = sizeof(s->info);
		if (!ioctl(fd, PMSW_IOC_INFO, &s->info) && s->info.caps.basic) {
			*caps = s->info.caps;
			which = "this machine's CPU";
		}
	}
	if (fd >= 0)
		close(fd);
	free(s);
	return which;
}

/* MAXPHYADDR (CPUID 0x80000008 EAX[7:0]); 36 if the leaf is missing. */
/* CPUID.(EAX=7,ECX=0):EBX[2]: the enclave-interruption bit exists. */
static bool cpu_has_sgx(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1U << 2));
}

static unsigned int phys_bits(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000008, &a, &b, &c, &d))
		return 36;
	return a & 0xff;
}

/*
 * The name of a violation's VMCS field, "context" when the rule names
 * none (0, which is also the VPID field's encoding).
 */
static const char *violation_field(const struct pmsw_violation *v)
{
	const char *name = v->field ? pmsw_vmcs_field_name(v->field) : NULL;

	return name ?: "context";
}

/* "SDM " before an SDM section; pmswitch's own rules name no SDM. */
static const char *sdm(const struct pmsw_violation *v)
{
	return v->section[0] >= '0' && v->section[0] <= '9' ? "SDM " : "";
}

/*
 * Parse and check one file; its context goes to @ctx (flags 0 if it does
 * not parse, so that the group check passes it over).
 */
static int check_one(const char *path, const struct pmsw_vmx_caps *caps,
		     uint64_t mem, bool first, struct pmsw_context *out)
{
	struct pmsw_violation v[64];
	struct pmsw_check_env env;
	struct ctxfile_error err;
	struct pmsw_context ctx;
	unsigned int n, i;
	const char *why;
	size_t len;
	char *text;

	out->flags = 0;
	if (json && !first)
		printf(", ");
	text = read_file(path, &len);
	if (!text) {
		if (json) {
			printf("{\"file\": ");
			json_str(path);
			printf(", \"error\": ");
			json_str(strerror(errno));
			printf("}");
		} else {
			fprintf(stderr, "pmswitch: %s: %s\n", path, strerror(errno));
		}
		return EXIT_FAIL;
	}
	if (ctxfile_parse(text, len, &ctx, &err)) {
		free(text);
		if (json) {
			printf("{\"file\": ");
			json_str(path);
			printf(", \"error\": ");
			json_str(err.msg);
			printf(", \"line\": %u, \"column\": %u}", err.line, err.col);
		} else {
			fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col,
				err.msg);
		}
		return EXIT_FAIL;
	}
	free(text);
	*out = ctx;
	if (pmsw_derive_env(caps, phys_bits(), &env, &why))
		return fail(EXIT_FAIL, "%s", why);
	if (ctx.efer & EFER_LMA)
		env.entry |= PMSW_ENTRY_IA32E_MODE;
	env.sgx = cpu_has_sgx();
	env.mem_bytes = mem;
	n = pmsw_check_context(&ctx, &env, PMSW_CP_ALL, v, 64);
	if (json) {
		printf("{\"file\": ");
		json_str(path);
		printf(", \"violations\": [");
	} else if (!n) {
		printf("%s: ok\n", path);
	}
	for (i = 0; i < n && i < 64; i++) {
		const char *field = violation_field(&v[i]);

		if (json) {
			printf("%s{\"rule\": %u, \"section\": ", i ? ", " : "",
			       v[i].rule);
			json_str(v[i].section);
			printf(", \"field\": ");
			json_str(field);
			printf(", \"value\": %llu, \"text\": ",
			       (unsigned long long)v[i].value);
			json_str(v[i].text);
			printf("}");
		} else {
			printf("%s: rule %u (%s%s): %s = %#llx: %s\n", path,
			       v[i].rule, sdm(&v[i]), v[i].section, field,
			       (unsigned long long)v[i].value, v[i].text);
		}
	}
	if (json)
		printf("]}");
	return n ? EXIT_FAIL : EXIT_OK;
}

static int parse_u64(const char *s, uint64_t *v);

static void group_violation(const char *path, const struct pmsw_violation *v,
			    bool *first)
{
	if (!json) {
		printf("%s: rule %u (%s): context = %#llx: %s\n", path, v->rule,
		       v->section, (unsigned long long)v->value, v->text);
		return;
	}
	printf("%s{\"file\": ", *first ? "" : ", ");
	json_str(path);
	printf(", \"rule\": %u, \"section\": ", v->rule);
	json_str(v->section);
	printf(", \"field\": \"context\", \"value\": %llu, \"text\": ",
	       (unsigned long long)v->value);
	json_str(v->text);
	printf("}");
	*first = false;
}

/*
 * Rules 815-818, which the module applies at CONTEXT_CREATE to each
 * member against the members before it (kmod/exitless.c): the files'
 * members, in the order given, as run would create them. A violation
 * is reported on the later file, the one the module would refuse. 818:
 * the transit root takes one of the CPU's CR3-target values
 * (IA32_VMX_MISC[24:16], SDM A.6), each member one more.
 */
static unsigned int check_group(char **paths, const struct pmsw_context *c,
				int nr, const struct pmsw_vmx_caps *caps)
{
	unsigned int members = 0, n = 0, k, m;
	struct pmsw_violation v[3];
	bool first = true;
	int i, j;

	if (json)
		printf("], \"group\": [");
	for (i = 0; i < nr; i++) {
		if (!(c[i].flags & PMSW_CONTEXT_F_EXITLESS))
			continue;
		for (j = 0; j < i; j++) {
			if (!(c[j].flags & PMSW_CONTEXT_F_EXITLESS))
				continue;
			m = pmsw_xl_check_pair(&c[i], &c[j], v, 3);
			for (k = 0; k < m; k++)
				group_violation(paths[i], &v[k], &first);
			n += m;
		}
		if (pmsw_xl_check_size(++members, caps->misc, v)) {
			group_violation(paths[i], v, &first);
			n++;
		}
	}
	return n;
}

/*
 * Parse and check context files without the module (SDM 27.3.1 rules);
 * views are checked against --mem bytes of session memory (run's
 * default if not given); the exit-less members among them against each
 * other (rules 815-818).
 */
static int cmd_check(int argc, char **argv)
{
	struct pmsw_context *ctx;
	struct pmsw_vmx_caps caps;
	uint64_t mem = GUEST_MEM;
	const char *which;
	int i, ret = EXIT_OK;

	if (argc >= 3 && !strcmp(argv[1], "--mem")) {
		if (parse_u64(argv[2], &mem) || !mem || mem % 4096 ||
		    mem > PMSW_MAX_MEMORY)
			return fail(EXIT_USAGE, "--mem: expected a multiple of 4096 up to %llu, not '%s'",
				    (unsigned long long)PMSW_MAX_MEMORY, argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return fail(EXIT_USAGE, "usage: pmswitch check [--mem BYTES] FILE...");
	ctx = calloc(argc, sizeof(*ctx));
	if (!ctx)
		return fail(EXIT_FAIL, "out of memory");
	which = check_caps(&caps);
	if (json)
		printf("{\"cpu\": \"%s\", \"files\": [", which);
	for (i = 1; i < argc; i++)
		if (check_one(argv[i], &caps, mem, i == 1, &ctx[i]) != EXIT_OK)
			ret = EXIT_FAIL;
	if (check_group(argv, ctx, argc, &caps))
		ret = EXIT_FAIL;
	if (json)
		printf("]}\n");
	free(ctx);
	return ret;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

/* FILE@GPA: copy FILE into guest memory at GPA. */
static int load_image(struct session *s, uint64_t mem, const char *spec)
{
	const char *at = strrchr(spec, '@');
	char path[4096];
	uint64_t gpa;
	size_t len;
	char *data;

	if (!at || at == spec || (size_t)(at - spec) >= sizeof(path) ||
	    parse_u64(at + 1, &gpa))
		return fail(EXIT_USAGE, "--image %s: expected FILE@GPA, e.g. origin.bin@0x10000",
			    spec);
	memcpy(path, spec, at - spec);
	path[at - spec] = '\0';
	data = read_file(path, &len);
	if (!data)
		return fail(EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (gpa > mem || len > mem - gpa) {
		free(data);
		return fail(EXIT_FAIL, "%s (%zu bytes) does not fit at %#llx in %llu bytes of guest memory",
			    path, len, (unsigned long long)gpa,
			    (unsigned long long)mem);
	}
	memcpy(s->mem + gpa, data, len);
	free(data);
	return 0;
}

static int load_context_file(const char *path, struct pmsw_context *ctx)
{
	struct ctxfile_error err;
	size_t len;
	char *text = read_file(path, &len);
	int ret;

	if (!text)
		return fail(EXIT_FAIL, "%s: %s", path, strerror(errno));
	ret = ctxfile_parse(text, len, ctx, &err);
	free(text);
	if (ret)
		return fail(EXIT_FAIL, "%s:%u:%u: %s", path, err.line, err.col,
			    err.msg);
	return 0;
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
	int i;

	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
		total += exit_delta(xl, i);
	printf(json ? "\"vm_exits\": {\"total\": %llu, \"by_reason\": {" :
		      "%llu VM exits (", (unsigned long long)total);
	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++) {
		if (!exit_delta(xl, i))
			continue;
		if (json)
			printf("%s\"%d\": %llu", first ? "" : ", ", i,
			       (unsigned long long)exit_delta(xl, i));
		else
			printf("%s%llu %s", first ? "" : ", ",
			       (unsigned long long)exit_delta(xl, i),
			       pmsw_exit_reason_name(i));
		first = false;
	}
	printf(json ? "}}" : ")\n");
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
			      const struct xl_member *m, bool first)
{
	const struct pmsw_exitless_state *s = &m->now;

	printf("%s{\"context\": \"%s\", ", first ? "" : ", ", name);
	if (m->err) {
		printf("\"id\": %d, \"entries\": null, \"exits\": null, \"total_entries\": null, \"total_exits\": null, \"rip\": null, \"error\": ",
		       id);
		json_str(strerror(m->err));
		printf("}");
		return;
	}
	printf("\"id\": %llu, ", (unsigned long long)s->id);
	if (xl_delta_known(m))
		printf("\"entries\": %llu, \"exits\": %llu, ",
		       (unsigned long long)(s->entries - m->before.entries),
		       (unsigned long long)(s->exits - m->before.exits));
	else
		printf("\"entries\": null, \"exits\": null, ");
	printf("\"total_entries\": %llu, \"total_exits\": %llu, \"rip\": %llu, \"error\": null}",
	       (unsigned long long)s->entries, (unsigned long long)s->exits,
	       (unsigned long long)s->rip);
}

/* The members' counters, apart from the VM-exit transitions. */
static void print_exitless(const struct xl_track *xl,
			   const char *const *names)
{
	bool first = true;
	int i;

	if (json)
		printf("\"exitless\": {\"members\": [");
	else if (xl->m[0].member || xl->m[1].member)
		printf("exit-less switches (the routine's counters, PMSW_IOC_XL_STATE):\n"
		       "  %-7s %3s %9s %9s %9s %9s  %s\n", "member", "id",
		       "entries", "exits", "total in", "total out", "resume at");
	for (i = 0; i < 2; i++) {
		if (!xl->m[i].member)
			continue;
		if (json)
			print_member_json(names[i], i, &xl->m[i], first);
		else
			print_member_text(names[i], i, &xl->m[i]);
		first = false;
	}
	if (json)
		printf("], ");
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
	print_exitless(xl, names);
	if (json) {
		if (switches < 0)
			printf("\"switches\": null}, ");
		else
			printf("\"switches\": %lld}, ", switches);
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
	unsigned long long v[6] = {
		c->cr2, c->star, c->lstar, c->cstar, c->sfmask,
		c->kernel_gs_base,
	};

	if (json)
		printf(", \"cr2\": %llu, \"star\": %llu, \"lstar\": %llu, \"cstar\": %llu, \"sfmask\": %llu, \"kernel_gs_base\": %llu",
		       v[0], v[1], v[2], v[3], v[4], v[5]);
	else
		printf("        cr2=%#llx star=%#llx lstar=%#llx cstar=%#llx sfmask=%#llx kernel_gs_base=%#llx\n",
		       v[0], v[1], v[2], v[3], v[4], v[5]);
}

/* The memory view, as the context-file lines that set it. */
static void print_view(const struct pmsw_context *c)
{
	char line[80];
	__u32 i;

	if (json)
		printf(", \"view\": [");
	for (i = 0; i < c->nr_view_ranges && i < PMSW_MAX_VIEW_RANGES; i++) {
		if (json)
			printf("%s{\"gpa\": %llu, \"bytes\": %llu, \"perm\": %u}",
			       i ? ", " : "", (unsigned long long)c->view[i].gpa,
			       (unsigned long long)c->view[i].bytes,
			       c->view[i].perm);
		else if (ctxfile_format_view(&c->view[i], line, sizeof(line)) > 0)
			printf("        %s\n", line);
	}
	if (json)
		printf("]");
}

static void print_state(const char *name, const struct pmsw_context *c)
{
	if (json) {
		printf("\"%s\": {\"rip\": %llu, \"rsp\": %llu, \"rax\": %llu, \"rbx\": %llu, \"rcx\": %llu, \"rdx\": %llu, \"cr0\": %llu, \"cr3\": %llu, \"cr4\": %llu, \"efer\": %llu",
		       name, (unsigned long long)c->rip, (unsigned long long)c->rsp,
		       (unsigned long long)c->gpr[PMSW_RAX],
		       (unsigned long long)c->gpr[PMSW_RBX],
		       (unsigned long long)c->gpr[PMSW_RCX],
		       (unsigned long long)c->gpr[PMSW_RDX],
		       (unsigned long long)c->cr0, (unsigned long long)c->cr3,
		       (unsigned long long)c->cr4, (unsigned long long)c->efer);
		print_syscall_state(c);
		print_view(c);
		printf(", \"flags\": %u}", c->flags);
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

/*
 * run ORIGIN TARGET: the origin is context 0, the target context 1 (a
 * switch in the origin's program is VMCALL with RAX=1, RBX=1). Each
 * repetition continues from where the previous one stopped.
 */
static int cmd_run(int argc, char **argv)
{
	static const char *const names[] = { "origin", "target" };
	const char *files[2] = { NULL, NULL }, *images[16];
	unsigned int nimages = 0, repeat = 1, rep, shown, cap = 4096;
	uint64_t mem = GUEST_MEM, v;
	bool tables = true, trace = false, first = true;
	struct pmsw_context ctx[2];
	struct pmsw_transition *t = NULL;
	struct pmsw_context_op op;
	struct pmsw_memory m;
	struct pmsw_run r;
	struct session s = { .fd = -1, .mem = MAP_FAILED };
	struct xl_track xl = { 0 };
	int i, nfiles = 0, ret = 0, cur = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--image") && i + 1 < argc) {
			if (nimages == 16)
				return fail(EXIT_USAGE, "at most 16 --image");
			images[nimages++] = argv[++i];
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			if (parse_u64(argv[++i], &v) || !v || v > 1000000)
				return fail(EXIT_USAGE, "--repeat: expected 1..1000000, not '%s'", argv[i]);
			repeat = (unsigned int)v;
		} else if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
			if (parse_u64(argv[++i], &mem) || !mem || mem % 4096 ||
			    mem > PMSW_MAX_MEMORY)
				return fail(EXIT_USAGE, "--mem: expected a multiple of 4096 up to %llu, not '%s'",
					    (unsigned long long)PMSW_MAX_MEMORY, argv[i]);
		} else if (!strcmp(argv[i], "--no-tables")) {
			tables = false;
		} else if (!strcmp(argv[i], "--trace")) {
			trace = true;
		} else if (argv[i][0] == '-') {
			return fail(EXIT_USAGE, "run: unknown option '%s' (or missing value)", argv[i]);
		} else if (nfiles < 2) {
			files[nfiles++] = argv[i];
		} else {
			return fail(EXIT_USAGE, "run: unexpected argument '%s'", argv[i]);
		}
	}
	if (nfiles != 2)
		return fail(EXIT_USAGE, "usage: pmswitch run ORIGIN TARGET [--image FILE@GPA]... [--repeat N] [--mem BYTES] [--no-tables] [--trace]");
	for (i = 0; i < 2; i++) {
		ret = load_context_file(files[i], &ctx[i]);
		if (ret)
			return ret;
	}

	ret = open_dev(&s.fd);
	if (ret)
		return ret;
	m = (struct pmsw_memory){ .size = sizeof(m), .bytes = mem };
	if (ioctl(s.fd, PMSW_IOC_SET_MEMORY, &m)) {
		ret = fail(EXIT_FAIL, "guest memory: %s", strerror(errno));
		goto out;
	}
	s.mem = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd, 0);
	if (s.mem == MAP_FAILED) {
		ret = fail(EXIT_FAIL, "mmap of guest memory: %s", strerror(errno));
		goto out;
	}
	/* The standard GDT and page tables the presets point at. */
	if (tables && mem >= GUEST_MEM)
		build_tables(s.mem);
	for (i = 0; i < (int)nimages; i++) {
		ret = load_image(&s, mem, images[i]);
		if (ret)
			goto out;
	}
	for (i = 0; i < 2; i++) {
		if (context_create(s.fd, &ctx[i], &op) == i)
			continue;
		/* EOPNOTSUPP with a rule: the CPU lacks what the rule needs. */
		if ((errno == EINVAL || errno == EOPNOTSUPP) && op.nr_violations)
			ret = fail(EXIT_FAIL, "%s: %u rule(s) broken, first: rule %u (%s%s): %s = %#llx: %s",
				   files[i], op.nr_violations, op.violation.rule,
				   sdm(&op.violation), op.violation.section,
				   violation_field(&op.violation),
				   (unsigned long long)op.violation.value,
				   op.violation.text);
		else
			ret = fail(EXIT_FAIL, "%s: %s", files[i], vmxon_error(errno));
		goto out;
	}

	xl_start(&xl, s.fd, ctx);
	ret = session_stats(s.fd, &xl.stats_before);
	if (ret)
		goto out;
	t = calloc(cap, sizeof(*t));
	if (!t) {
		ret = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (json)
		printf("{\"runs\": [");
	for (rep = 0; rep < repeat; rep++) {
		if (run(s.fd, cur, &r, t, cap) && errno != EINTR) {
			ret = fail(EXIT_FAIL, "run: %s", strerror(errno));
			goto out_json;
		}
		shown = trace ? r.nr_transitions :
			(r.nr_transitions < 32 ? r.nr_transitions : 32);
		if (json) {
			printf("%s{\"total_transitions\": %u, ", rep ? ", " : "",
			       r.total_transitions);
			first = true;
			print_transitions(t, r.nr_transitions, names, &first);
			printf(", \"stop\": \"%s\", \"stop_context\": \"%s\", \"stop_code\": %llu, \"reason\": ",
			       stop_names[r.stop_reason % 7],
			       names[r.stop_context % 2],
			       (unsigned long long)r.stop_code);
			json_str(r.reason);
			printf(", \"exit\": {\"reason\": %u, \"qualification\": %llu, \"guest_physical\": %llu}, ",
			       r.exit.reason,
			       (unsigned long long)r.exit.qualification,
			       (unsigned long long)r.exit.guest_physical);
			xl_report(&xl, s.fd, names, &r);
			printf("}");
		} else {
			printf("run %u: %u transition(s)\n", rep + 1, r.total_transitions);
			print_transitions(t, shown, names, &first);
			if (shown < r.total_transitions)
				printf("  ... %u more (--trace shows all)\n",
				       r.total_transitions - shown);
			xl_report(&xl, s.fd, names, &r);
		}
		cur = r.stop_context;
		if (r.stop_reason != PMSW_STOP_HYPERCALL &&
		    r.stop_reason != PMSW_STOP_HLT) {
			ret = EXIT_FAIL;
			break;
		}
	}
	for (i = 0; i < 2; i++)
		context_get(s.fd, i, &ctx[i]);
	if (json) {
		printf("], \"final\": {");
		print_state("origin", &ctx[0]);
		printf(", ");
		print_state("target", &ctx[1]);
		printf("}}\n");
	} else {
		printf("final state:\n");
		print_state("origin", &ctx[0]);
		print_state("target", &ctx[1]);
	}
	goto out;
out_json:
	if (json)
		printf("]}\n");
out:
	free(t);
	if (s.mem != MAP_FAILED)
		munmap(s.mem, mem);
	if (s.fd >= 0)
		close(s.fd);
	return ret;
}

/*
 * stats: the module-wide counters (a session's own die with its file,
 * and this process has no other session).
 */
static int cmd_stats(int argc, char **argv)
{
	struct pmsw_stats st = { .size = sizeof(st), .flags = PMSW_STATS_GLOBAL };
	bool firstexit = true;
	int fd, ret, i;

	if (argc > 1)
		return fail(EXIT_USAGE, "stats: unexpected argument '%s'", argv[1]);
	ret = open_dev(&fd);
	if (ret)
		return ret;
	if (ioctl(fd, PMSW_IOC_STATS, &st)) {
		ret = fail(EXIT_FAIL, "PMSW_IOC_STATS: %s", strerror(errno));
		close(fd);
		return ret;
	}
	close(fd);
	if (json) {
		printf("{\"vmwrites\": %llu, \"vmwrites_elided\": %llu, \"vmreads\": %llu, \"launches\": %llu, \"resumes\": %llu, \"vmclears\": %llu, \"vmptrlds\": %llu, \"exits\": {",
		       (unsigned long long)st.vmwrites,
		       (unsigned long long)st.vmwrites_elided,
		       (unsigned long long)st.vmreads,
		       (unsigned long long)st.launches,
		       (unsigned long long)st.resumes,
		       (unsigned long long)st.vmclears,
		       (unsigned long long)st.vmptrlds);
		for (i = 0; i < PMSW_NR_EXIT_REASONS; i++) {
			if (!st.exits[i])
				continue;
			printf("%s\"%d\": %llu", firstexit ? "" : ", ", i,
			       (unsigned long long)st.exits[i]);
			firstexit = false;
		}
		printf("}}\n");
		return 0;
	}
	printf("module-wide counters\n");
	printf("  VMWRITEs issued   %llu\n  VMWRITEs elided   %llu\n"
	       "  VMREADs           %llu\n  entries LAUNCH    %llu\n"
	       "  entries RESUME    %llu\n  VMCLEARs          %llu\n"
	       "  VMPTRLDs          %llu\nexits by reason\n",
	       (unsigned long long)st.vmwrites,
	       (unsigned long long)st.vmwrites_elided,
	       (unsigned long long)st.vmreads,
	       (unsigned long long)st.launches,
	       (unsigned long long)st.resumes,
	       (unsigned long long)st.vmclears,
	       (unsigned long long)st.vmptrlds);
	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
		if (st.exits[i])
			printf("  %-3d %-40s %llu\n", i, pmsw_exit_reason_name(i),
			       (unsigned long long)st.exits[i]);
	return 0;
}

#define MODULE_NAME	"pmswitch"

static const char *const initstates[] = {
	[KMOD_MODULE_BUILTIN] = "builtin", [KMOD_MODULE_LIVE] = "live",
	[KMOD_MODULE_COMING] = "coming", [KMOD_MODULE_GOING] = "going",
};

/*
 * The module's state as libkmod sees it: "not loaded", or its init
 * state, with the version from /sys/module and the reference count.
 */
static void module_state(char *state, size_t size, char *version,
			 size_t vsize, int *refcnt)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	FILE *f;
	int st;

	snprintf(state, size, "not loaded");
	version[0] = '\0';
	*refcnt = -1;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		snprintf(state, size, "unknown (libkmod failed)");
		return;
	}
	if (!kmod_module_new_from_name(ctx, MODULE_NAME, &mod)) {
		st = kmod_module_get_initstate(mod);
		if (st >= 0 && st <= KMOD_MODULE_GOING)
			snprintf(state, size, "%s", initstates[st]);
		*refcnt = kmod_module_get_refcnt(mod);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	f = fopen("/sys/module/" MODULE_NAME "/version", "r");
	if (f) {
		if (fgets(version, (int)vsize, f))
			version[strcspn(version, "\n")] = '\0';
		fclose(f);
	}
}

static const char *kmod_error(int err)
{
	switch (err) {
	case EEXIST:
		return "already loaded";
	case ENOEXEC:
		return "invalid module format: built for another kernel (vermagic)?";
	case EPERM:
	case EACCES:
		return "permission denied: needs root (CAP_SYS_MODULE)";
	case ENOENT:
		return "not found";
	case EBUSY:
	case EAGAIN:
		return "in use: close every user of /dev/pmswitch first";
	case ENODEV:
		return "the module's init refused (see dmesg)";
	default:
		return strerror(err);
	}
}

/* load [PATH]: a .ko file, or the installed module by name. */
static int cmd_load(int argc, char **argv)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int err;

	if (argc > 2)
		return fail(EXIT_USAGE, "usage: pmswitch load [PATH-TO-pmswitch.ko]");
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return fail(EXIT_FAIL, "libkmod: cannot create a context");
	if (argc == 2) {
		err = kmod_module_new_from_path(ctx, argv[1], &mod);
		if (err < 0) {
			kmod_unref(ctx);
			return fail(EXIT_FAIL, "%s: %s", argv[1], kmod_error(-err));
		}
		err = kmod_module_insert_module(mod, 0, NULL);
	} else {
		err = kmod_module_new_from_lookup(ctx, MODULE_NAME, &list);
		if (err < 0 || !list) {
			kmod_unref(ctx);
			return fail(EXIT_FAIL, "%s: not installed for this kernel (give the path of pmswitch.ko)",
				    MODULE_NAME);
		}
		mod = kmod_module_get_module(list);
		err = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED,
						      NULL, NULL, NULL, NULL);
		kmod_module_unref_list(list);
	}
	kmod_module_unref(mod);
	kmod_unref(ctx);
	if (err < 0)
		return fail(EXIT_FAIL, "load %s: %s", argc == 2 ? argv[1] : MODULE_NAME,
			    kmod_error(-err));
	if (json)
		printf("{\"loaded\": true}\n");
	return 0;
}

static int cmd_unload(int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int err;

	(void)argv;
	if (argc > 1)
		return fail(EXIT_USAGE, "usage: pmswitch unload");
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return fail(EXIT_FAIL, "libkmod: cannot create a context");
	err = kmod_module_new_from_name(ctx, MODULE_NAME, &mod);
	if (!err) {
		if (kmod_module_get_initstate(mod) < 0)
			err = -ENOENT;
		else
			err = kmod_module_remove_module(mod, KMOD_REMOVE_NOWAIT);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	if (err < 0)
		return fail(EXIT_FAIL, "unload %s: %s", MODULE_NAME,
			    err == -ENOENT ? "not loaded" : kmod_error(-err));
	if (json)
		printf("{\"unloaded\": true}\n");
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} commands[] = {
	{ "info", cmd_info, "", "VMX capabilities and the VMX state of every CPU" },
	{ "vmx", cmd_vmx, "on|off",
	  "VMX on every CPU until 'vmx off' (the module's persistent reference)" },
	{ "vmx", cmd_vmx, "status",
	  "the VMX state of every CPU" },
	{ "vmx", cmd_vmx, "cycle",
	  "turn VMX on on every CPU, show, turn it off, show" },
	{ "vmx", cmd_vmx, "hold [SECS]",
	  "keep VMX on every CPU until killed (or for SECS seconds)" },
	{ "check", cmd_check, "[--mem BYTES] FILE...",
	  "check context files against the VM-entry rules, offline" },
	{ "run", cmd_run, "ORIGIN TARGET",
	  "run two context files: --image FILE@GPA, --repeat N, --trace, --mem, --no-tables" },
	{ "stats", cmd_stats, "",
	  "VMWRITEs issued and elided, entries by type, exits by reason" },
	{ "load", cmd_load, "[PATH]",
	  "insert pmswitch.ko (installed module, or a .ko file) with libkmod" },
	{ "unload", cmd_unload, "", "remove pmswitch.ko" },
	{ "example", cmd_example, "",
	  "the example: an atomic 32-bit to 64-bit switch, then a ping-pong" },
	{ "help", cmd_help, "", "this text" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(int argc, char **argv)
{
	unsigned int i;

	(void)argc;
	(void)argv;
	printf("usage: pmswitch [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		printf("  %-7s %-14s %s\n", commands[i].name, commands[i].args,
		       commands[i].help);
	printf("\noptions:\n  -j, --json     one JSON object on stdout\n"
	       "  -h, --help     this text\n  -V, --version  versions\n"
	       "\nexit status: 0 success, 1 operation failed, 2 usage error\n");
	return EXIT_OK;
}

/* Exact name, or a prefix that names one command only. */
static const struct command *find_command(const char *name)
{
	const struct command *found = NULL;
	unsigned int i;

	for (i = 0; i < NR_COMMANDS; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, strlen(name))) {
			/* Several help lines of one command are one match. */
			if (found && found->fn != commands[i].fn)
				return NULL;
			found = &commands[i];
		}
	}
	return found;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return cmd_help(0, NULL);
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("pmswitch ABI %d\n", PMSW_ABI_VERSION);
			return EXIT_OK;
		} else {
			return fail(EXIT_USAGE, "unknown option '%s' (see --help)",
				    argv[i]);
		}
	}
	if (i == argc)
		return fail(EXIT_USAGE, "no command given (see --help)");
	cmd = find_command(argv[i]);
	if (!cmd)
		return fail(EXIT_USAGE, "unknown or ambiguous command '%s' (see --help)",
			    argv[i]);
	return cmd->fn(argc - i, argv + i);
}
