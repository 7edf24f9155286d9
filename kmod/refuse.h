/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Refusals: every error userspace can provoke comes with one line in the
 * kernel log naming the command and the reason ("pmswitch: CMD: WHY
 * (errno N)"), rate-limited module-wide (main.c) so that a buggy caller
 * cannot flood the log.
 */
#ifndef PMSW_REFUSE_H
#define PMSW_REFUSE_H

#include <linux/compiler.h>

/* Log @why for @cmd and return @err (a negative errno). */
int __cold pmsw_refuse(int err, const char *cmd, const char *why);

#endif /* PMSW_REFUSE_H */
