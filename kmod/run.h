/* SPDX-License-Identifier: GPL-2.0 */
/* PMSW_IOC_RUN: the run loop and exit handling. */
#ifndef PMSW_RUN_H
#define PMSW_RUN_H

#include <linux/types.h>

struct pmsw_session;
struct pmsw_vmcs;

/* The entry/exit trampoline and the host RIP of every VMCS, vmenter.S. */
int pmsw_vmenter(struct pmsw_vmcs *vmcs, u64 *regs, unsigned int launched);
extern const char pmsw_vmexit[];

long pmsw_run(struct pmsw_session *s, void __user *uarg);
void pmsw_run_init(void);

#endif /* PMSW_RUN_H */
