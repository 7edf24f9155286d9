// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by the CLI's commands: errors, option parsing, the device,
 * files, numbers and the module's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libkmod.h>

#include "check.h"
#include "cli.h"
#include "ctxfile.h"
#include "vmcs_fields.h"

bool json;

static int vfail(int status, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json)
		jw_error(msg);
	else
		fprintf(stderr, "pmswitch: %s\n", msg);
	return status;
}

/* One error line on stderr, or "error" in the JSON document. */
int fail(int status, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(status, fmt, ap);
	va_end(ap);
	return ret;
}

/* A usage error of @cmd: the reason, and where the help is. */
int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(EXIT_USAGE, "%s: %s (see pmswitch %s --help)", cmd, msg,
		    cmd);
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *status)
{
	const char *cmd = argv[0];
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	switch (c) {
	case 'h':
		print_command_help(find_command(cmd));
		*status = EXIT_OK;
		return CLI_OPT_END;
	case ':':
		*status = usage_error(cmd, "option '%s' needs a value",
				      argv[optind - 1]);
		return CLI_OPT_END;
	case '?':
		if (optopt)
			*status = usage_error(cmd, "unknown option '-%c'", optopt);
		else
			*status = usage_error(cmd, "unknown option '%s'",
					      argv[optind - 1]);
		return CLI_OPT_END;
	default:
		return c;
	}
}

int open_dev(int *fd)
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

/*
 * Why VMXON was refused. EBUSY is CR4.VMXE already set on a CPU: another
 * hypervisor is in VMX operation there and VMXON would VMfail (SDM 24.7
 * and the VMXON reference in 31.3). On Linux that is kvm_intel: on 6.1
 * while a VM exists, on 6.12 and later from its load on, unless kvm.ko
 * is loaded with enable_virt_at_load=0. The message says how to free it.
 */
const char *vmxon_error(int err)
{
	switch (err) {
	case ENODEV:
		return "a CPU has no VMX (CPUID.1:ECX.VMX = 0)";
	case EBUSY:
		return "another hypervisor (e.g. kvm_intel) holds VMX on a CPU: "
		       "unload kvm_intel (modprobe -r kvm_intel), or on Linux "
		       "6.12 and later load it with kvm.enable_virt_at_load=0";
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

int get_info(int fd, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->info.size = sizeof(s->info);
	s->info.nr_cpus = MAX_CPUS;
	s->info.cpus = (__u64)(unsigned long)s->cpus;
	if (ioctl(fd, PMSW_IOC_INFO, &s->info))
		return fail(EXIT_FAIL, "PMSW_IOC_INFO: %s", strerror(errno));
	return 0;
}

/* All of @path in a malloc'd buffer; NULL with errno on failure. */
char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			nb = realloc(buf, cap = cap ? 2 * cap : 4096);
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
		errno = EIO;
	}
	fclose(f);
	*len = n;
	return buf;
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (*s == '-')
		return -1;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

/* --mem BYTES: whole pages, at most what the module allows. */
int parse_mem(const char *cmd, const char *arg, uint64_t *mem)
{
	if (parse_u64(arg, mem) || !*mem || *mem % 4096 ||
	    *mem > PMSW_MAX_MEMORY)
		return fail(EXIT_USAGE, "--mem: expected a multiple of 4096 up to %llu, not '%s' (see pmswitch %s --help)",
			    (unsigned long long)PMSW_MAX_MEMORY, arg, cmd);
	return 0;
}

int load_context_file(const char *path, struct pmsw_context *ctx)
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

/* FILE@GPA: the file read now, so that a bad one fails before the device. */
int image_read(const char *cmd, const char *spec, struct image *img)
{
	const char *at = strrchr(spec, '@');
	char path[4096];

	img->spec = spec;
	img->data = NULL;
	if (!at || at == spec || (size_t)(at - spec) >= sizeof(path) ||
	    parse_u64(at + 1, &img->gpa))
		return usage_error(cmd, "--image %s: expected FILE@GPA, e.g. origin.bin@0x10000",
				   spec);
	memcpy(path, spec, at - spec);
	path[at - spec] = '\0';
	img->data = read_file(path, &img->len);
	if (!img->data)
		return fail(EXIT_FAIL, "%s: %s", path, strerror(errno));
	return 0;
}

int image_check_fit(const struct image *img, uint64_t mem)
{
	if (img->gpa <= mem && img->len <= mem - img->gpa)
		return 0;
	return fail(EXIT_FAIL, "%s: %zu bytes do not fit at %#llx in %llu bytes of guest memory",
		    img->spec, img->len, (unsigned long long)img->gpa,
		    (unsigned long long)mem);
}

void images_free(struct image *img, unsigned int n)
{
	while (n--)
		free(img[n].data);
}

static const char *const initstates[] = {
	[KMOD_MODULE_BUILTIN] = "builtin", [KMOD_MODULE_LIVE] = "live",
	[KMOD_MODULE_COMING] = "coming", [KMOD_MODULE_GOING] = "going",
};

/* The loaded module's version from sysfs, "" if there is none. */
static void sysfs_version(char *version, size_t size)
{
	FILE *f = fopen("/sys/module/" MODULE_NAME "/version", "r");

	version[0] = '\0';
	if (!f)
		return;
	if (fgets(version, (int)size, f))
		version[strcspn(version, "\n")] = '\0';
	fclose(f);
}

/*
 * The module's state as libkmod sees it: "not loaded", or its init
 * state, with the version from /sys/module and the reference count.
 */
void module_state(char *state, size_t size, char *version, size_t vsize,
		  int *refcnt)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int st;

	snprintf(state, size, "not loaded");
	*refcnt = -1;
	sysfs_version(version, vsize);
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
		if (*refcnt < 0)
			*refcnt = -1;
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
}

/* --version's module part: the version, or why there is none. */
void module_version(char *version, size_t size)
{
	sysfs_version(version, size);
	if (version[0])
		return;
	if (access("/sys/module/" MODULE_NAME, F_OK))
		snprintf(version, size, "not loaded");
	else
		snprintf(version, size, "loaded, no version");
}

/*
 * The name of a violation's VMCS field, "context" when the rule names
 * none (0, which is also the VPID field's encoding).
 */
const char *violation_field(const struct pmsw_violation *v)
{
	const char *name = v->field ? pmsw_vmcs_field_name(v->field) : NULL;

	return name ?: "context";
}

/* "SDM " before an SDM section; pmswitch's own rules name no SDM. */
const char *sdm(const struct pmsw_violation *v)
{
	return v->section[0] >= '0' && v->section[0] <= '9' ? "SDM " : "";
}
