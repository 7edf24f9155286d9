// SPDX-License-Identifier: GPL-2.0
/* pmswitch vmx on|off|status|cycle|hold: VMX operation on every CPU. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

enum vmx_action { VMX_ON, VMX_OFF, VMX_STATUS, VMX_CYCLE, VMX_HOLD };

static const char *const actions[] = {
	[VMX_ON] = "on", [VMX_OFF] = "off", [VMX_STATUS] = "status",
	[VMX_CYCLE] = "cycle", [VMX_HOLD] = "hold",
};

/* on/off: the module's persistent reference, which outlives us. */
static int vmx_persistent(int fd, bool on)
{
	if (ioctl(fd, on ? PMSW_IOC_VMXON : PMSW_IOC_VMXOFF,
		  PMSW_VMX_PERSISTENT))
		return fail(EXIT_FAIL, "VMX%s: %s", on ? "ON" : "OFF",
			    on ? vmxon_error(errno) : strerror(errno));
	return show_state(fd, on ? "after vmx on" : "after vmx off");
}

/*
 * Hold a VMX reference until killed or for @secs (-1: forever): the
 * reference is the open file, so it goes away with this process however
 * it ends. The JSON document ends before the wait.
 */
static int vmx_hold(int fd, long secs)
{
	int ret;

	if (ioctl(fd, PMSW_IOC_VMXON, 0))
		return fail(EXIT_FAIL, "VMXON: %s", vmxon_error(errno));
	ret = show_state(fd, "holding VMX");
	if (json)
		jw_end_object();
	fflush(stdout);
	if (secs < 0)
		for (;;)
			pause();
	while (secs > 0)
		secs = sleep(secs);
	return ret;
}

/* cycle: the reference lives as long as this file stays open. */
static int vmx_cycle(int fd)
{
	int ret;

	if (ioctl(fd, PMSW_IOC_VMXON, 0))
		return fail(EXIT_FAIL, "VMXON: %s", vmxon_error(errno));
	ret = show_state(fd, "after VMXON");
	if (ioctl(fd, PMSW_IOC_VMXOFF, 0) && !ret)
		ret = fail(EXIT_FAIL, "VMXOFF: %s", strerror(errno));
	if (!ret)
		ret = show_state(fd, "after VMXOFF");
	return ret;
}

static int parse_args(int argc, char **argv, enum vmx_action *a, long *secs)
{
	unsigned int i;
	uint64_t v;

	*secs = -1;
	if (optind >= argc)
		return usage_error("vmx", "expected on, off, status, cycle or hold");
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(argv[optind], actions[i]))
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return usage_error("vmx", "unknown action '%s' (expected on, off, status, cycle or hold)",
				   argv[optind]);
	*a = i;
	if (*a == VMX_HOLD && optind + 1 < argc) {
		if (parse_u64(argv[optind + 1], &v) || v > 0x7fffffff)
			return usage_error("vmx", "hold: SECONDS must be a number >= 0, not '%s'",
					   argv[optind + 1]);
		*secs = (long)v;
		optind++;
	}
	if (optind + 1 < argc)
		return usage_error("vmx", "unexpected argument '%s'",
				   argv[optind + 1]);
	return 0;
}

static const struct option vmx_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_vmx(int argc, char **argv)
{
	enum vmx_action a = VMX_STATUS;
	long secs;
	int fd, ret;

	if (cli_getopt(argc, argv, ":h", vmx_opts, &ret) == CLI_OPT_END)
		return ret;
	ret = parse_args(argc, argv, &a, &secs);
	if (ret)
		return ret;
	ret = open_dev(&fd);
	if (ret)
		return ret;
	if (json)
		jw_object();
	if (a == VMX_ON || a == VMX_OFF)
		ret = vmx_persistent(fd, a == VMX_ON);
	else if (a == VMX_STATUS)
		ret = show_state(fd, "status");
	else if (a == VMX_HOLD)
		ret = vmx_hold(fd, secs);
	else
		ret = vmx_cycle(fd);
	if (json && jw_depth())
		jw_end_object();
	close(fd);
	return ret;
}
