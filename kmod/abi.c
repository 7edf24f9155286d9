// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl argument checks. Each refusal comes with a one-line reason that
 * the module logs and the CLI can print, so that a user learns which
 * field is wrong rather than only "Invalid argument".
 */
#include "abi.h"

static bool all_zero(const __u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

int pmsw_check_info(const struct pmsw_info *info, const char **why)
{
	if (info->size != sizeof(*info)) {
		*why = "struct pmsw_info: size is not sizeof(struct pmsw_info)";
		return -EINVAL;
	}
	if (info->flags) {
		*why = "struct pmsw_info: unknown flags";
		return -EINVAL;
	}
	if (info->state || info->reserved32 ||
	    !all_zero(info->reserved, PMSW_ARRAY_SIZE(info->reserved))) {
		*why = "struct pmsw_info: state and reserved fields must be 0";
		return -EINVAL;
	}
	*why = NULL;
	return 0;
}

/* VMXON/VMXOFF take 0 or PMSW_VMX_PERSISTENT; other bits are refused. */
int pmsw_check_vmx_arg(unsigned long arg, const char **why)
{
	if (arg & ~PMSW_VMX_PERSISTENT) {
		*why = "unknown argument bits: pass 0 or PMSW_VMX_PERSISTENT";
		return -EINVAL;
	}
	*why = NULL;
	return 0;
}
