/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PMSW_IOC_RUN: the run loop (run.c), the VM entry with the guest's state
 * live (enter.c, vmenter.S) and the exit handlers (exits.c).
 */
#ifndef PMSW_RUN_H
#define PMSW_RUN_H

#include <linux/types.h>
#include <linux/pmswitch.h>

struct pmsw_ctx;
struct pmsw_session;
struct pmsw_vmcs;

/* __pmsw_vmenter() flags. */
#define PMSW_VMENTER_RESUME	(1U << 0)	/* VMRESUME, else VMLAUNCH */
/* The host or another context ran since this context's last entry here. */
#define PMSW_VMENTER_L1D	(1U << 1)

/* Exceptions that always exit, whatever a context's bitmap says. */
#define PMSW_EXC_DB		1
#define PMSW_EXC_AC		17
#define PMSW_EXC_MC		18

/* VM-exit/entry interruption information (SDM 25.9.2, 25.8.3). */
#define PMSW_INTR_VECTOR(i)	((i) & 0xff)
#define PMSW_INTR_TYPE(i)	(((i) >> 8) & 7)
#define PMSW_INTR_ERROR_VALID	(1U << 11)
#define PMSW_INTR_NMI_UNBLOCK	(1U << 12)
#define PMSW_INTR_VALID		(1U << 31)
#define PMSW_INTR_TYPE_EXT_INTR	0
#define PMSW_INTR_TYPE_NMI		2
#define PMSW_INTR_TYPE_HW_EXC	3
#define PMSW_INTR_TYPE_SOFT_INTR	4
#define PMSW_INTR_TYPE_PRIV_SW_EXC	5
#define PMSW_INTR_TYPE_SOFT_EXC	6

#define PMSW_EXIT_FAILED_ENTRY	(1U << 31)

/* vmenter.S */
int __pmsw_vmenter(struct pmsw_vmcs *vmcs, u64 *regs, unsigned int flags);
void pmsw_do_nmi_irqoff(void);
extern const char pmsw_vmexit[];

/* enter.c */
void pmsw_enter_exit(struct pmsw_ctx *ctx, unsigned int flags,
		     struct pmsw_exit *e, int *ret);
void pmsw_spec_ctrl_restore_host(void);
void pmsw_machine_check(void);
int pmsw_enter_init(void);
void pmsw_enter_exit_module(void);

long pmsw_run(struct pmsw_session *s, void __user *uarg);
void pmsw_run_init(void);

#endif /* PMSW_RUN_H */
