/* SPDX-License-Identifier: GPL-2.0 */
/* Capability and per-CPU state probing for PMSW_IOC_INFO. */
#ifndef PMSW_PROBE_H
#define PMSW_PROBE_H

#include <linux/pmswitch.h>

/* CPUID.1:ECX bit 5, VMX (SDM 24.6 "Discovering Support for VMX"). */
#define PMSW_CPUID1_ECX_VMX	(1U << 5)

bool pmsw_this_cpu_has_vmx(void);
void pmsw_read_caps(struct pmsw_vmx_caps *caps);
const char *pmsw_caps_differ(const struct pmsw_vmx_caps *a,
			     const struct pmsw_vmx_caps *b, u32 *msr);
void pmsw_probe_all(struct pmsw_info *info, struct pmsw_cpu_info *cpus,
		    u32 nr_cpus);

#endif /* PMSW_PROBE_H */
