// SPDX-License-Identifier: GPL-2.0
/* pmswitch load [PATH] and unload: the module, through libkmod. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libkmod.h>

#include "cli.h"

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

/* The .ko at @path, inserted as it is; 2 if it cannot be opened. */
static int insert_path(struct kmod_ctx *ctx, const char *path)
{
	struct kmod_module *mod = NULL;
	int err;

	err = kmod_module_new_from_path(ctx, path, &mod);
	if (err < 0) {
		fail(EXIT_FAIL, "%s: %s", path, kmod_error(-err));
		return 2;
	}
	err = kmod_module_insert_module(mod, 0, NULL);
	kmod_module_unref(mod);
	return err;
}

/* The module installed for this kernel, with its dependencies. */
static int insert_installed(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod;
	int err;

	err = kmod_module_new_from_lookup(ctx, MODULE_NAME, &list);
	if (err < 0 || !list)
		return 1;
	mod = kmod_module_get_module(list);
	err = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED,
					      NULL, NULL, NULL, NULL);
	kmod_module_unref(mod);
	kmod_module_unref_list(list);
	return err;
}

static const struct option load_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_load(int argc, char **argv)
{
	const char *path = NULL;
	struct kmod_ctx *ctx;
	int err, ret;

	if (cli_getopt(argc, argv, ":h", load_opts, &ret) == CLI_OPT_END)
		return ret;
	if (argc - optind > 1)
		return fail(EXIT_USAGE, "usage: pmswitch load [PATH-TO-pmswitch.ko] (see pmswitch load --help)");
	if (optind < argc)
		path = argv[optind];
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return fail(EXIT_FAIL, "libkmod: cannot create a context");
	err = path ? insert_path(ctx, path) : insert_installed(ctx);
	kmod_unref(ctx);
	if (err == 2)
		return EXIT_FAIL;
	if (err == 1)
		return fail(EXIT_FAIL, "%s: not installed for this kernel (give the path of pmswitch.ko)",
			    MODULE_NAME);
	if (err < 0)
		return fail(EXIT_FAIL, "load %s: %s", path ?: MODULE_NAME,
			    kmod_error(-err));
	if (json) {
		jw_object();
		jw_kbool("loaded", true);
		jw_end_object();
	}
	return 0;
}

static const struct option unload_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_unload(int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int err, ret;

	if (cli_getopt(argc, argv, ":h", unload_opts, &ret) == CLI_OPT_END)
		return ret;
	if (optind < argc)
		return fail(EXIT_USAGE, "usage: pmswitch unload (see pmswitch unload --help)");
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
	if (json) {
		jw_object();
		jw_kbool("unloaded", true);
		jw_end_object();
	}
	return 0;
}
