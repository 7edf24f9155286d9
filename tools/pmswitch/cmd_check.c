// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch check: parse context files and apply the module's own checks
 * without the module: the VM-entry rules (SDM 27.3.1, checks.rst) and
 * the exit-less group rules, or with --native the native switch's target
 * rules (900-915, kmod/native_check.c).
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bochs_caps.h"
#include "caps.h"
#include "check.h"
#include "cli.h"
#include "ctxfile.h"
#include "native_check.h"
#include "pmsw_guest.h"
#include "vmcs_fields.h"

#define MAX_VIOLATIONS	64

struct check_opts {
	uint64_t mem;
	bool native;
	struct pmsw_vmx_caps caps;
};

/*
 * The capabilities to check against: the machine's, if the module is
 * loaded and VT-x usable; else Bochs' Haswell model (a VT-x CPU with EPT
 * and unrestricted guest).
 */
static const char *check_caps(struct pmsw_vmx_caps *caps)
{
	struct pmsw_info info = { .size = sizeof(info) };
	const char *which = "reference CPU (no module)";
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	*caps = haswell;
	if (fd < 0)
		return which;
	if (!ioctl(fd, PMSW_IOC_INFO, &info) && info.caps.basic) {
		*caps = info.caps;
		which = "this machine's CPU";
	}
	close(fd);
	return which;
}

/* CPUID.(EAX=7,ECX=0):EBX[2]: the enclave-interruption bit exists. */
static bool cpu_has_sgx(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1U << 2));
}

/* MAXPHYADDR (CPUID 0x80000008 EAX[7:0]); 36 if the leaf is missing. */
static unsigned int phys_bits(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000008, &a, &b, &c, &d))
		return 36;
	return a & 0xff;
}

/* The rules that apply to @ctx; -1 if the CPU cannot be described. */
static int apply_rules(const struct pmsw_context *ctx,
		       const struct check_opts *o, struct pmsw_violation *v)
{
	struct pmsw_native_env nenv = { .caps = &o->caps, .mem_bytes = o->mem };
	struct pmsw_check_env env;
	const char *why;

	if (o->native)
		return pmsw_native_check(ctx, &nenv, v, MAX_VIOLATIONS);
	if (pmsw_derive_env(&o->caps, phys_bits(), &env, &why)) {
		fail(EXIT_FAIL, "%s", why);
		return -1;
	}
	if (ctx->efer & EFER_LMA)
		env.entry |= PMSW_ENTRY_IA32E_MODE;
	env.sgx = cpu_has_sgx();
	env.mem_bytes = o->mem;
	return pmsw_check_context(ctx, &env, PMSW_CP_ALL, v, MAX_VIOLATIONS);
}

static void print_violation(const char *path, const struct pmsw_violation *v)
{
	const char *field = violation_field(v);

	if (!json) {
		printf("%s: rule %u (%s%s): %s = %#llx: %s\n", path, v->rule,
		       sdm(v), v->section, field, (unsigned long long)v->value,
		       v->text);
		return;
	}
	jw_object();
	jw_ku64("rule", v->rule);
	jw_kstr("section", v->section);
	jw_kstr("field", field);
	jw_ku64("value", v->value);
	jw_kstr("text", v->text);
	jw_end_object();
}

/* A file that cannot be read or parsed: where and why. */
static int file_error(const char *path, const char *msg,
		      const struct ctxfile_error *err)
{
	if (json) {
		jw_object();
		jw_kstr("file", path);
		jw_kstr("error", msg);
		if (err) {
			jw_ku64("line", err->line);
			jw_ku64("column", err->col);
		}
		jw_end_object();
	} else if (err) {
		fprintf(stderr, "%s:%u:%u: %s\n", path, err->line, err->col, msg);
	} else {
		fprintf(stderr, "pmswitch: %s: %s\n", path, msg);
	}
	return EXIT_FAIL;
}

/*
 * Parse and check one file; its context goes to @out (flags 0 if it
 * does not parse, so that the group check passes it over).
 */
static int check_one(const char *path, const struct check_opts *o,
		     struct pmsw_context *out)
{
	struct pmsw_violation v[MAX_VIOLATIONS];
	struct ctxfile_error err;
	struct pmsw_context ctx;
	int n, i, ret;
	size_t len;
	char *text;

	out->flags = 0;
	text = read_file(path, &len);
	if (!text)
		return file_error(path, strerror(errno), NULL);
	ret = ctxfile_parse(text, len, &ctx, &err);
	free(text);
	if (ret)
		return file_error(path, err.msg, &err);
	*out = ctx;
	n = apply_rules(&ctx, o, v);
	if (n < 0)
		return -1;	/* reported, and the document ended */
	if (json) {
		jw_object();
		jw_kstr("file", path);
		jw_karray("violations");
	} else if (!n) {
		printf("%s: ok\n", path);
	}
	for (i = 0; i < n && i < MAX_VIOLATIONS; i++)
		print_violation(path, &v[i]);
	if (json) {
		jw_end_array();
		jw_end_object();
	}
	return n ? EXIT_FAIL : EXIT_OK;
}

static void group_violation(const char *path, const struct pmsw_violation *v)
{
	if (!json) {
		printf("%s: rule %u (%s): context = %#llx: %s\n", path, v->rule,
		       v->section, (unsigned long long)v->value, v->text);
		return;
	}
	jw_object();
	jw_kstr("file", path);
	jw_ku64("rule", v->rule);
	jw_kstr("section", v->section);
	jw_kstr("field", "context");
	jw_ku64("value", v->value);
	jw_kstr("text", v->text);
	jw_end_object();
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
	int i, j;

	for (i = 0; i < nr; i++) {
		if (!(c[i].flags & PMSW_CONTEXT_F_EXITLESS))
			continue;
		for (j = 0; j < i; j++) {
			if (!(c[j].flags & PMSW_CONTEXT_F_EXITLESS))
				continue;
			m = pmsw_xl_check_pair(&c[i], &c[j], v, 3);
			for (k = 0; k < m; k++)
				group_violation(paths[i], &v[k]);
			n += m;
		}
		if (pmsw_xl_check_size(++members, caps->misc, v)) {
			group_violation(paths[i], v);
			n++;
		}
	}
	return n;
}

static const struct option check_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "mem", required_argument, NULL, 'm' },
	{ "native", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int parse_check_opts(int argc, char **argv, struct check_opts *o)
{
	int c, ret = 0;

	o->mem = GUEST_MEM;
	o->native = false;
	while ((c = cli_getopt(argc, argv, ":hm:n", check_opts, &ret)) != -1) {
		if (c == CLI_OPT_END)
			return ret ? ret : -1;
		if (c == 'm' && parse_mem("check", optarg, &o->mem))
			return EXIT_USAGE;
		if (c == 'n')
			o->native = true;
	}
	if (optind >= argc)
		return fail(EXIT_USAGE, "usage: pmswitch check [--mem BYTES] [--native] FILE... (see pmswitch check --help)");
	return 0;
}

/*
 * Every file's own rules; then, for the VM-entry rules, the exit-less
 * members among them against each other (rules 815-818).
 */
int cmd_check(int argc, char **argv)
{
	struct pmsw_context *ctx;
	struct check_opts o;
	const char *which;
	int i, nr, ret;

	ret = parse_check_opts(argc, argv, &o);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	argv += optind;
	nr = argc - optind;
	ctx = calloc(nr, sizeof(*ctx));
	if (!ctx)
		return fail(EXIT_FAIL, "out of memory");
	which = check_caps(&o.caps);
	if (json) {
		jw_object();
		jw_kstr("cpu", which);
		jw_kstr("rules", o.native ? "native" : "vm-entry");
		jw_karray("files");
	}
	for (i = 0; i < nr; i++) {
		int r = check_one(argv[i], &o, &ctx[i]);

		if (r < 0) {
			free(ctx);
			return EXIT_FAIL;
		}
		if (r != EXIT_OK)
			ret = EXIT_FAIL;
	}
	if (json) {
		jw_end_array();
		jw_karray("group");
	}
	if (!o.native && check_group(argv, ctx, nr, &o.caps))
		ret = EXIT_FAIL;
	if (json && jw_depth()) {
		jw_end_array();
		jw_end_object();
	}
	free(ctx);
	return ret;
}
