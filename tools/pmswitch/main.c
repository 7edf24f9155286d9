// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch: command-line front end of /dev/pmswitch (Documentation/cli.rst,
 * pmswitch(8)). This file dispatches: global options anywhere on the
 * line, then the command, which parses its own options (getopt_long) and
 * validates its arguments before it opens the device.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error. With
 * --json every result, and every error as "error", is one JSON object on
 * stdout.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef PMSW_CLI_VERSION
#define PMSW_CLI_VERSION "unknown"
#endif

const struct command commands[] = {
	{ "info", cmd_info, "",
	  "VMX capabilities and the VMX state of every CPU",
	  "The module's state (libkmod), the VMX capability MSRs, the features\n"
	  "pmswitch uses and the VMX state of every online CPU.\n" },
	{ "vmx", cmd_vmx, "on|off|status|cycle|hold [SECONDS]",
	  "VMX operation on every CPU",
	  "  on       VMX on every CPU until 'vmx off' (the module's persistent\n"
	  "           reference, which outlives this process)\n"
	  "  off      drop the persistent reference\n"
	  "  status   the VMX state of every CPU\n"
	  "  cycle    VMXON on every CPU, show, VMXOFF, show\n"
	  "  hold     keep VMX on until killed, or for SECONDS\n" },
	{ "check", cmd_check, "[--mem BYTES] [--native] FILE...",
	  "check context files against the VM-entry rules, offline",
	  "Parse each context file and apply the module's checks without the\n"
	  "module; every broken rule is printed with its SDM section.\n"
	  "  -m, --mem BYTES  session memory the views are checked against\n"
	  "                   (default 4 MiB, as run)\n"
	  "  -n, --native     the native switch's target rules (900-915)\n"
	  "                   instead of the VM-entry rules\n" },
	{ "run", cmd_run, "ORIGIN TARGET [OPTIONS]",
	  "run two context files, the origin switching to the target",
	  "  -i, --image FILE@GPA  copy FILE into guest memory at GPA (repeatable,\n"
	  "                        at most 16)\n"
	  "  -r, --repeat N        N runs, each continuing where the last stopped\n"
	  "  -m, --mem BYTES       guest memory (default 4 MiB)\n"
	  "      --no-tables       do not lay out the presets' GDT and page tables\n"
	  "  -t, --trace           every transition, not the first 32 a run\n" },
	{ "native", cmd_native, "TARGET [OPTIONS]",
	  "hand this CPU to a 64-bit target natively, and get it back",
	  "The running kernel is the origin; the target runs outside VMX\n"
	  "operation until it calls the return routine, faults or hits the limit.\n"
	  "  -i, --image FILE@GPA  copy FILE into session memory at GPA (repeatable)\n"
	  "  -m, --mem BYTES       session memory (default 4 MiB)\n"
	  "  -l, --limit-us N      run-time limit in microseconds (0: the module's\n"
	  "                        default, at most its native_max_us)\n"
	  "      --no-tables       do not lay out the presets' GDT\n" },
	{ "stats", cmd_stats, "",
	  "module-wide counters: VMWRITEs, entries by type, exits by reason",
	  "VMWRITEs issued and elided by the field cache, VMREADs, entries by\n"
	  "type, VMCLEARs, VMPTRLDs and VM exits by reason, module-wide.\n" },
	{ "load", cmd_load, "[PATH]",
	  "insert pmswitch.ko (the installed module, or a .ko file)",
	  "Insert the module with libkmod: the .ko at PATH, or the module\n"
	  "installed for the running kernel.\n" },
	{ "unload", cmd_unload, "", "remove pmswitch.ko",
	  "Remove the module with libkmod (it must not be in use).\n" },
	{ "example", cmd_example, "",
	  "an atomic 32-bit to 64-bit switch, then a ping-pong",
	  "A 32-bit protected-mode origin hands the CPU to a 64-bit target in one\n"
	  "VM entry; then two contexts ping-pong (LAUNCH, then RESUME).\n" },
	{ "help", cmd_help, "[COMMAND]", "this text, or a command's help",
	  "" },
};

const unsigned int nr_commands = sizeof(commands) / sizeof(commands[0]);

/* Exact name, or a prefix that names one command only. */
const struct command *find_command(const char *name)
{
	const struct command *found = NULL;
	unsigned int i;

	for (i = 0; i < nr_commands; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, strlen(name))) {
			if (found)
				return NULL;
			found = &commands[i];
		}
	}
	return found;
}

void print_command_help(const struct command *cmd)
{
	printf("usage: pmswitch [--json] %s%s%s\n\n%s.\n", cmd->name,
	       cmd->synopsis[0] ? " " : "", cmd->synopsis, cmd->summary);
	if (cmd->help[0])
		printf("\n%s", cmd->help);
	printf("  -h, --help            this text\n"
	       "\nGlobal options, anywhere on the line: -j, --json; -V, --version.\n"
	       "Exit status: 0 success, 1 operation failed, 2 usage error.\n");
}

static void print_help(void)
{
	unsigned int i;

	printf("usage: pmswitch [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < nr_commands; i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\n'pmswitch COMMAND --help' shows a command's arguments.\n"
	       "\noptions (anywhere on the line):\n"
	       "  -j, --json     one JSON object on stdout\n"
	       "  -h, --help     this text\n"
	       "  -V, --version  the CLI's version, the uapi ABI, the loaded module's\n"
	       "\nexit status: 0 success, 1 operation failed, 2 usage error\n");
}

int cmd_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc > 2)
		return usage_error("help", "unexpected argument '%s'", argv[2]);
	if (argc == 2) {
		bool self = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");

		cmd = find_command(self ? "help" : argv[1]);
		if (!cmd)
			return usage_error("help", "unknown command '%s'", argv[1]);
		print_command_help(cmd);
		return EXIT_OK;
	}
	print_help();
	return EXIT_OK;
}

static int print_version(void)
{
	char module[64];

	module_version(module, sizeof(module));
	if (json) {
		jw_object();
		jw_kstr("version", PMSW_CLI_VERSION);
		jw_ku64("abi_version", PMSW_ABI_VERSION);
		jw_kstr("module_version", module);
		jw_end_object();
	} else {
		printf("pmswitch %s\nuapi ABI %d\nmodule %s\n", PMSW_CLI_VERSION,
		       PMSW_ABI_VERSION, module);
	}
	return EXIT_OK;
}

/*
 * Take the global options out of argv wherever they are (up to "--");
 * -h/--help is global only before the command. Returns the new argc.
 */
static int global_options(int argc, char **argv, bool *version, bool *help)
{
	bool seen_cmd = false;
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!strcmp(a, "-j") || !strcmp(a, "--json"))
			json = true;
		else if (!strcmp(a, "-V") || !strcmp(a, "--version"))
			*version = true;
		else if (!seen_cmd && (!strcmp(a, "-h") || !strcmp(a, "--help")))
			*help = true;
		else {
			seen_cmd |= a[0] != '-';
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	bool version = false, help = false;

	argc = global_options(argc, argv, &version, &help);
	if (version)
		return print_version();
	if (help) {
		print_help();
		return EXIT_OK;
	}
	if (argc < 2)
		return fail(EXIT_USAGE, "no command given (see pmswitch --help)");
	if (argv[1][0] == '-')
		return fail(EXIT_USAGE, "unknown option '%s' (see pmswitch --help)",
			    argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return fail(EXIT_USAGE, "unknown or ambiguous command '%s' (see pmswitch --help)",
			    argv[1]);
	/* The command's argv[0] is its full name, for its messages. */
	argv[1] = (char *)cmd->name;
	return cmd->fn(argc - 1, argv + 1);
}
