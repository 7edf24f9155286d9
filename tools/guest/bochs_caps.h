/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX capability MSRs of Bochs 2.7's corei7_haswell_4770 CPU model,
 * as read in the test bed (Documentation/testbed.rst): the unit tests' CPU,
 * and the one "pmswitch check" assumes when no module is loaded.
 */
#ifndef PMSW_BOCHS_CAPS_H
#define PMSW_BOCHS_CAPS_H

#include <linux/pmswitch.h>

static const struct pmsw_vmx_caps haswell = {
	.basic		 = 0x00d810000000002bULL,
	.pinbased_ctls	 = 0x0000007f00000016ULL,
	.procbased_ctls	 = 0xf7f9fffe04006172ULL,
	.exit_ctls	 = 0x007fffff00036dfbULL,
	.entry_ctls	 = 0x0000ffff000011fbULL,
	.procbased_ctls2 = 0x00047fff00000000ULL,
	.ept_vpid_cap	 = 0x00000f0106334141ULL,
	.vmfunc		 = 0x1,
	.misc		 = 0x200401e0,
	.cr0_fixed0	 = 0x80000021,
	.cr0_fixed1	 = 0xffffffff,
	.cr4_fixed0	 = 0x2000,
	.cr4_fixed1	 = 0x1727ff,
};

#endif /* PMSW_BOCHS_CAPS_H */
