/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks of ioctl arguments against the uapi rules (size, flags, reserved
 * fields). Pure logic, shared with userspace and unit-tested on the host.
 */
#ifndef PMSW_ABI_H
#define PMSW_ABI_H

#include "pure.h"
#include <linux/pmswitch.h>

int pmsw_check_info(const struct pmsw_info *info, const char **why);
int pmsw_check_vmx_arg(unsigned long arg, const char **why);

#endif /* PMSW_ABI_H */
