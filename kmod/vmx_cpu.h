/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU VMX operation: VMXON/VMXOFF, reference count, hotplug, reboot. */
#ifndef PMSW_VMX_CPU_H
#define PMSW_VMX_CPU_H

#include <linux/types.h>

int pmsw_vmx_init(void);
void pmsw_vmx_exit(void);

int pmsw_vmx_get(void);
void pmsw_vmx_put(void);

/* Hold the VMX state still (no VMXON/VMXOFF, no hotplug) while reading it. */
void pmsw_vmx_state_lock(void);
void pmsw_vmx_state_unlock(void);
unsigned int pmsw_vmx_users(void);
bool pmsw_vmx_this_cpu_on(void);
u64 pmsw_vmx_this_cpu_vmxon_phys(void);

#endif /* PMSW_VMX_CPU_H */
