/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test hooks and state reports in debugfs (pmswitch/ under the debugfs
 * mount), not module parameters: they stay out of the module's production
 * interface (modinfo, /sys/module/pmswitch/parameters, modprobe.d), are
 * root-only (0600), and a kernel in lockdown refuses to open them.
 */
#ifndef PMSW_HOOKS_H
#define PMSW_HOOKS_H

struct dentry;

/*
 * A file @name in @dir that reads and writes @hook: -1 (inert) or a
 * possible CPU number; anything else is refused with -EINVAL.
 */
void pmsw_debugfs_cpu_hook(struct dentry *dir, const char *name, int *hook);

/* Each unit adds its files to pmswitch's debugfs directory @dir. */
void pmsw_probe_debugfs(struct dentry *dir);
void pmsw_vmx_debugfs(struct dentry *dir);

#endif /* PMSW_HOOKS_H */
