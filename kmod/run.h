/* SPDX-License-Identifier: GPL-2.0 */
/* PMSW_IOC_RUN: the run loop and exit handling. */
#ifndef PMSW_RUN_H
#define PMSW_RUN_H

struct pmsw_session;

long pmsw_run(struct pmsw_session *s, void __user *uarg);
void pmsw_run_init(void);

#endif /* PMSW_RUN_H */
