// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch stats: the module-wide counters (a session's own die with its
 * file, and this process has no other session).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "decode.h"

static void print_stats_json(const struct pmsw_stats *st)
{
	char key[16];
	int i;

	jw_object();
	jw_ku64("vmwrites", st->vmwrites);
	jw_ku64("vmwrites_elided", st->vmwrites_elided);
	jw_ku64("vmreads", st->vmreads);
	jw_ku64("launches", st->launches);
	jw_ku64("resumes", st->resumes);
	jw_ku64("vmclears", st->vmclears);
	jw_ku64("vmptrlds", st->vmptrlds);
	jw_kobject("exits");
	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++) {
		if (!st->exits[i])
			continue;
		snprintf(key, sizeof(key), "%d", i);
		jw_ku64(key, st->exits[i]);
	}
	jw_end_object();
	jw_end_object();
}

static void print_stats_text(const struct pmsw_stats *st)
{
	int i;

	printf("module-wide counters\n");
	printf("  VMWRITEs issued   %llu\n  VMWRITEs elided   %llu\n"
	       "  VMREADs           %llu\n  entries LAUNCH    %llu\n"
	       "  entries RESUME    %llu\n  VMCLEARs          %llu\n"
	       "  VMPTRLDs          %llu\nexits by reason\n",
	       (unsigned long long)st->vmwrites,
	       (unsigned long long)st->vmwrites_elided,
	       (unsigned long long)st->vmreads,
	       (unsigned long long)st->launches,
	       (unsigned long long)st->resumes,
	       (unsigned long long)st->vmclears,
	       (unsigned long long)st->vmptrlds);
	for (i = 0; i < PMSW_NR_EXIT_REASONS; i++)
		if (st->exits[i])
			printf("  %-3d %-40s %llu\n", i, pmsw_exit_reason_name(i),
			       (unsigned long long)st->exits[i]);
}

static const struct option stats_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_stats(int argc, char **argv)
{
	struct pmsw_stats st = { .size = sizeof(st), .flags = PMSW_STATS_GLOBAL };
	int fd, ret;

	if (cli_getopt(argc, argv, ":h", stats_opts, &ret) == CLI_OPT_END)
		return ret;
	if (optind < argc)
		return usage_error("stats", "unexpected argument '%s'", argv[optind]);
	ret = open_dev(&fd);
	if (ret)
		return ret;
	if (ioctl(fd, PMSW_IOC_STATS, &st)) {
		ret = fail(EXIT_FAIL, "PMSW_IOC_STATS: %s", strerror(errno));
		close(fd);
		return ret;
	}
	close(fd);
	if (json)
		print_stats_json(&st);
	else
		print_stats_text(&st);
	return 0;
}
