/* SPDX-License-Identifier: GPL-2.0 */
/* The native switch (native.c, Documentation/native.rst). */
#ifndef PMSW_NATIVE_H
#define PMSW_NATIVE_H

#include <linux/types.h>

struct pmsw_session;

long pmsw_native(struct pmsw_session *s, void __user *uarg);
void pmsw_native_free_session(struct pmsw_session *s);
int pmsw_native_init(void);
void pmsw_native_exit(void);

/*
 * vmenter.S. pmsw_native_enter() stores its RSP in *@krsp (the return
 * routine makes it the return VMCS's HOST_RSP) and VMLAUNCHes the current,
 * forward VMCS: 0 after the round trip, 1 if VMLAUNCH failed, 2 if it
 * faulted. pmsw_native_guest is the forward VMCS's guest RIP (a VMCALL),
 * pmsw_native_back the return VMCS's host RIP. pmsw_native_code.. is the
 * native code page's content (guest-side code, never run in place).
 */
int pmsw_native_enter(u64 *krsp);
void pmsw_native_guest(void);
void pmsw_native_back(void);
extern const unsigned char pmsw_native_code[], pmsw_native_code_end[];

#endif /* PMSW_NATIVE_H */
