/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the pmswitch selftests: device access, PMSW_IOC_INFO
 * snapshots, and reading the reasons the module logs to /dev/kmsg.
 */
#ifndef PMSW_UTIL_H
#define PMSW_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pmswitch.h>

#define PMSW_DEV	"/dev/" PMSW_DEVICE_NAME
#define PMSW_MAX_CPUS	64

struct pmsw_snapshot {
	struct pmsw_info info;
	struct pmsw_cpu_info cpus[PMSW_MAX_CPUS];
};

static inline int pmsw_get_info(int fd, struct pmsw_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->info.size = sizeof(s->info);
	s->info.nr_cpus = PMSW_MAX_CPUS;
	s->info.cpus = (__u64)(unsigned long)s->cpus;
	return ioctl(fd, PMSW_IOC_INFO, &s->info);
}

/* Online CPUs whose flags contain all of @flags. */
static inline unsigned int pmsw_count(const struct pmsw_snapshot *s,
				      __u32 flags)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->info.nr_cpus; i++)
		if ((s->cpus[i].flags & (flags | PMSW_CPU_ONLINE)) ==
		    (flags | PMSW_CPU_ONLINE))
			n++;
	return n;
}

/* Every online CPU can do VMXON: it has VMX and firmware allows it. */
static inline bool pmsw_vmx_usable(const struct pmsw_snapshot *s)
{
	unsigned int online = pmsw_count(s, 0);

	return online &&
	       pmsw_count(s, PMSW_CPU_VMX | PMSW_CPU_FC_LOCKED |
			     PMSW_CPU_FC_VMX) == online;
}

/* The value an environment variable set by the test job expects, or -1. */
static inline long pmsw_expect(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : -1;
}

/* Write @val to @path (a module parameter in sysfs): true if all of it went. */
static inline bool pmsw_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/* The module's reference count (sysfs), or -1 if it cannot be read. */
#define PMSW_MOD_REFCNT	"/sys/module/pmswitch/refcnt"

static inline long pmsw_module_refs(void)
{
	FILE *f = fopen(PMSW_MOD_REFCNT, "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * /dev/kmsg positioned at its end, so that pmsw_kmsg_has() sees only
 * what the module logs from now on.
 */
static inline int pmsw_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Does a record logged since pmsw_kmsg_open() contain @needle? */
static inline bool pmsw_kmsg_has(int fd, const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	return found;
}

#endif /* PMSW_UTIL_H */
