/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pmswitch CLI's commands share: exit codes, the error path
 * (text on stderr or the JSON writer), the device, option parsing with
 * per-command help, and reading files and numbers.
 */
#ifndef PMSW_CLI_H
#define PMSW_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/pmswitch.h>

#include "json_writer.h"

#define DEV_PATH	"/dev/" PMSW_DEVICE_NAME
#define MODULE_NAME	"pmswitch"
#define MAX_CPUS	1024

enum { EXIT_OK, EXIT_FAIL, EXIT_USAGE };

extern bool json;

/* A command: its name, synopsis and help text for CMD --help. */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;	/* after "pmswitch NAME " */
	const char *summary;	/* one line, for pmswitch --help */
	const char *help;	/* options and arguments, for NAME --help */
};

extern const struct command commands[];
extern const unsigned int nr_commands;
const struct command *find_command(const char *name);
void print_command_help(const struct command *cmd);

/*
 * getopt_long for command @cmd: returns the next option, or -1 after
 * the last. --help prints the command's help; that and a bad option end
 * the command: CLI_OPT_END is returned with the exit status in @status.
 */
#define CLI_OPT_END	(-2)
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *status);

int __attribute__((format(printf, 2, 3))) fail(int status, const char *fmt, ...);
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int open_dev(int *fd);
const char *vmxon_error(int err);

struct snapshot {
	struct pmsw_info info;
	struct pmsw_cpu_info cpus[MAX_CPUS];
};
int get_info(int fd, struct snapshot *s);

char *read_file(const char *path, size_t *len);
int parse_u64(const char *s, uint64_t *v);
int parse_mem(const char *cmd, const char *arg, uint64_t *mem);
int load_context_file(const char *path, struct pmsw_context *ctx);

/* An --image FILE@GPA, read before the device is opened. */
struct image {
	const char *spec;
	char *data;
	size_t len;
	uint64_t gpa;
};
#define MAX_IMAGES	16
int image_read(const char *cmd, const char *spec, struct image *img);
int image_check_fit(const struct image *img, uint64_t mem);
void images_free(struct image *img, unsigned int n);

void module_state(char *state, size_t size, char *version, size_t vsize,
		  int *refcnt);
void module_version(char *version, size_t size);

const char *violation_field(const struct pmsw_violation *v);
const char *sdm(const struct pmsw_violation *v);

/* A session for run and native (struct session: pmsw_guest.h). */
struct session;
int session_setup(struct session *s, uint64_t mem, bool tables,
		  const struct image *img, unsigned int nimg);
void session_teardown(struct session *s, uint64_t mem);
void print_transitions(const struct pmsw_transition *t, __u32 n,
		       const char *const *names);

/* info's per-CPU report, shared with vmx. */
void print_cpus(const struct snapshot *s);
int show_state(int fd, const char *label);

int cmd_info(int argc, char **argv);
int cmd_vmx(int argc, char **argv);
int cmd_example(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_native(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_help(int argc, char **argv);

#endif /* PMSW_CLI_H */
