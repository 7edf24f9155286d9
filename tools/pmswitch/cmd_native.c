// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch native TARGET: the native switch (Documentation/native.rst).
 * The running kernel is the origin: PMSW_IOC_NATIVE hands the calling
 * CPU to the target through the host-state area of a VMCS (the VM exit
 * loads the target, which continues after VMXOFF outside VMX operation,
 * SDM 28.5 and 31.3 "VMXOFF") and a return routine gives it back. The
 * target is a context file; its memory is the session's, laid out from
 * --image files before the switch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "check.h"
#include "cli.h"
#include "native_check.h"
#include "pmsw_guest.h"

struct native_args {
	const char *file;
	struct pmsw_context ctx;
	struct image images[MAX_IMAGES];
	unsigned int nimages;
	uint64_t mem;
	uint32_t limit_us;
	bool tables;
};

static const struct option native_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "image", required_argument, NULL, 'i' },
	{ "mem", required_argument, NULL, 'm' },
	{ "limit-us", required_argument, NULL, 'l' },
	{ "no-tables", no_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 },
};

static int native_option(struct native_args *a, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'i':
		if (a->nimages == MAX_IMAGES)
			return usage_error("native", "at most %d --image", MAX_IMAGES);
		return image_read("native", arg, &a->images[a->nimages++]);
	case 'm':
		return parse_mem("native", arg, &a->mem);
	case 'l':
		if (parse_u64(arg, &v) || v > UINT32_MAX)
			return usage_error("native", "--limit-us: expected 0..%u microseconds, not '%s'",
					   UINT32_MAX, arg);
		a->limit_us = (uint32_t)v;
		return 0;
	default:
		a->tables = false;
		return 0;
	}
}

/* Everything about the arguments, before the device. -1 after --help. */
static int parse_native_args(int argc, char **argv, struct native_args *a)
{
	unsigned int i;
	int c, ret = 0;

	while ((c = cli_getopt(argc, argv, ":hi:m:l:", native_opts, &ret)) != -1) {
		if (c == CLI_OPT_END)
			return ret ? ret : -1;
		ret = native_option(a, c, optarg);
		if (ret)
			return ret;
	}
	if (argc - optind != 1)
		return fail(EXIT_USAGE, "usage: pmswitch native TARGET [--image FILE@GPA]... [--mem BYTES] [--limit-us N] (see pmswitch native --help)");
	a->file = argv[optind];
	ret = load_context_file(a->file, &a->ctx);
	for (i = 0; !ret && i < a->nimages; i++)
		ret = image_check_fit(&a->images[i], a->mem);
	return ret;
}

/*
 * The native rules (900-915) against this CPU, as the module will apply
 * them: the first broken one is the refusal's reason, with its section.
 */
static int native_precheck(int fd, const struct native_args *a)
{
	struct pmsw_info info = { .size = sizeof(info) };
	struct pmsw_native_env env = { .caps = &info.caps, .mem_bytes = a->mem };
	struct pmsw_violation v;
	unsigned int n;

	if (ioctl(fd, PMSW_IOC_INFO, &info))
		return fail(EXIT_FAIL, "PMSW_IOC_INFO: %s", strerror(errno));
	if (!info.caps.basic)
		return fail(EXIT_FAIL, "VMXON: %s", vmxon_error(ENODEV));
	n = pmsw_native_check(&a->ctx, &env, &v, 1);
	if (!n)
		return 0;
	return fail(EXIT_FAIL, "%s: %u native rule(s) broken, first: rule %u (%s%s): %s = %#llx: %s",
		    a->file, n, v.rule, sdm(&v), v.section, violation_field(&v),
		    (unsigned long long)v.value, v.text);
}

/*
 * Why PMSW_IOC_NATIVE was refused when the module gave no reason, for
 * the errnos native.rst names.
 */
static const char *native_error(int err)
{
	switch (err) {
	case EPERM:
		return "refused: native switches need CAP_SYS_ADMIN and a module loaded with native switches allowed (its parameter, default off)";
	case ENOTTY:
		return "this pmswitch.ko has no native switch (PMSW_IOC_NATIVE)";
	case EINVAL:
		return "the module refused the target (pmswitch check --native names the rule)";
	case EOPNOTSUPP:
		return "refused: the native switch needs a second online CPU (its watchdog) and a kernel without FRED";
	default:
		return vmxon_error(err);
	}
}

#define ALLOW_NATIVE	"/sys/module/pmswitch/parameters/allow_native"

/*
 * A refused switch, one line. The module writes its reason into the
 * argument even when the ioctl fails (uapi.rst): its words are the most
 * precise, with the errno; for the parameter, also where to set it.
 */
static int native_refused(const char *file, int err, const struct pmsw_native *n)
{
	if (!n->reason[0])
		return fail(EXIT_FAIL, "%s: PMSW_IOC_NATIVE: %s", file,
			    native_error(err));
	return fail(EXIT_FAIL, "%s: PMSW_IOC_NATIVE refused (%s): %.*s%s", file,
		    strerror(err), (int)sizeof(n->reason), n->reason,
		    strstr(n->reason, "allow_native") ?
		    " (echo 1 > " ALLOW_NATIVE ")" : "");
}

static const char *const stop_names[] = {
	"?", "returned", "exception", "limit", "nmi",
};

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?",
	"#TS", "#NP", "#SS", "#GP", "#PF", "?", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

static const char *vector_name(uint32_t v)
{
	return v < 32 && vector_names[v] ? vector_names[v] : "?";
}

#define GPR_RSP		4	/* x86 order; the ABI gives RSP apart */

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void print_registers_json(const struct pmsw_native *n)
{
	unsigned int i;

	jw_kobject("registers");
	for (i = 0; i < 16; i++)
		if (i != GPR_RSP)
			jw_ku64(gpr_names[i], n->gpr[i]);
	jw_ku64("rip", n->rip);
	jw_ku64("rsp", n->rsp);
	jw_ku64("rflags", n->rflags);
	jw_ku64("cr0", n->cr0);
	jw_ku64("cr3", n->cr3);
	jw_ku64("cr4", n->cr4);
	jw_ku64("cr2", n->cr2);
	jw_end_object();
}

static void print_native_json(const struct pmsw_native *n)
{
	bool has_vector = n->stop_reason != PMSW_NATIVE_RETURNED;

	jw_object();
	jw_ku64("cpu", n->cpu);
	jw_kstr("stop", stop_names[n->stop_reason % 5]);
	jw_kstr("reason", n->reason);
	if (has_vector) {
		jw_ku64("vector", n->vector);
		jw_kstr("vector_name", vector_name(n->vector));
		jw_ku64("error_code", n->error_code);
	} else {
		jw_knull("vector");
		jw_knull("vector_name");
		jw_knull("error_code");
	}
	jw_ku64("forward_exit", n->forward_exit);
	jw_kobject("ticks");
	jw_ku64("forward", n->forward_ticks);
	jw_ku64("target", n->target_ticks);
	jw_ku64("return", n->return_ticks);
	jw_end_object();
	print_registers_json(n);
	jw_end_object();
}

static void print_native_text(const struct pmsw_native *n)
{
	unsigned int i;

	printf("native switch on cpu %u\n", n->cpu);
	printf("stopped: %s: %s\n", stop_names[n->stop_reason % 5], n->reason);
	if (n->stop_reason != PMSW_NATIVE_RETURNED)
		printf("vector:  %u (%s), error code %#llx\n", n->vector,
		       vector_name(n->vector), (unsigned long long)n->error_code);
	printf("forward exit: %u (%s)\n", n->forward_exit,
	       n->forward_exit == 18 ? "VMCALL" : "NMI first");
	printf("ticks:   forward %llu, target %llu, return %llu\n",
	       (unsigned long long)n->forward_ticks,
	       (unsigned long long)n->target_ticks,
	       (unsigned long long)n->return_ticks);
	printf("final registers:\n ");
	for (i = 0; i < 16; i++) {
		if (i == GPR_RSP)
			continue;
		printf(" %s=%#llx", gpr_names[i], (unsigned long long)n->gpr[i]);
		if (i == 7)
			printf("\n ");
	}
	printf("\n  rip=%#llx rsp=%#llx rflags=%#llx\n"
	       "  cr0=%#llx cr3=%#llx cr4=%#llx cr2=%#llx\n",
	       (unsigned long long)n->rip, (unsigned long long)n->rsp,
	       (unsigned long long)n->rflags, (unsigned long long)n->cr0,
	       (unsigned long long)n->cr3, (unsigned long long)n->cr4,
	       (unsigned long long)n->cr2);
}

static int native_switch(struct native_args *a)
{
	struct session s = { .fd = -1, .mem = MAP_FAILED };
	struct pmsw_native n = {
		.size = sizeof(n),
		.context = (__u64)(unsigned long)&a->ctx,
		.limit_us = a->limit_us,
	};
	int ret;

	ret = session_setup(&s, a->mem, a->tables, a->images, a->nimages);
	if (!ret)
		ret = native_precheck(s.fd, a);
	if (ret)
		goto out;
	if (ioctl(s.fd, PMSW_IOC_NATIVE, &n)) {
		ret = native_refused(a->file, errno, &n);
		goto out;
	}
	if (json)
		print_native_json(&n);
	else
		print_native_text(&n);
	ret = n.stop_reason == PMSW_NATIVE_RETURNED ? EXIT_OK : EXIT_FAIL;
out:
	session_teardown(&s, a->mem);
	return ret;
}

int cmd_native(int argc, char **argv)
{
	struct native_args *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return fail(EXIT_FAIL, "out of memory");
	a->mem = GUEST_MEM;
	a->tables = true;
	ret = parse_native_args(argc, argv, a);
	if (!ret)
		ret = native_switch(a);
	images_free(a->images, a->nimages);
	free(a);
	return ret < 0 ? EXIT_OK : ret;
}
