/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel lines pmswitch supports (Debian 12's
 * 6.1 and 6.12), in one place so that no .c or .S file needs a version
 * test of its own.
 */
#ifndef PMSW_COMPAT_H
#define PMSW_COMPAT_H

#include <linux/version.h>

/*
 * The kernel's NMI entry for a hypervisor that took an NMI by VM exit:
 * an IDT entry that runs on the current stack (no IST), exported for
 * kvm_intel. Renamed in 6.2.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define PMSW_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#else
#define PMSW_NMI_ENTRY	asm_exc_nmi_noist
#endif

/*
 * Unwind hint for code with no caller frame (a VM's guest RIP): renamed
 * from UNWIND_HINT_EMPTY in 6.4.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define PMSW_UNWIND_HINT_NO_FRAME	UNWIND_HINT_UNDEFINED
#else
#define PMSW_UNWIND_HINT_NO_FRAME	UNWIND_HINT_EMPTY
#endif

#ifndef __ASSEMBLY__
#include <linux/mm.h>
#include <linux/syscore_ops.h>
#include <asm/cpufeature.h>

/* FRED replaces the IDT entries used above (6.9 and later only). */
static inline bool pmsw_kernel_uses_fred(void)
{
#ifdef X86_FEATURE_FRED
	return cpu_feature_enabled(X86_FEATURE_FRED);
#else
	return false;
#endif
}

/*
 * Since 6.3 vma->vm_flags is read-only and changed through vm_flags_set(),
 * which also checks that the mmap lock is held for writing.
 */
static inline void pmsw_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * System-core suspend/resume callbacks. 6.1 registers a struct syscore_ops
 * whose callbacks take no argument (register_syscore_ops()). "syscore:
 * Pass context data to callbacks", which 6.12.117 took from mainline,
 * registers a struct syscore pointing at const ops whose callbacks take a
 * data pointer (register_syscore()), and the old calls are gone. The
 * header defines no macro to test, so the kernel version decides: the
 * 6.12 line has the new API from 6.12.117 on, the 6.1 line the old one.
 *
 * PMSW_SYSCORE(name, suspend, resume) defines @name for
 * pmsw_register_syscore(&name), with @suspend as int (*)(void) and
 * @resume as void (*)(void), on either API.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 117)

#define PMSW_SYSCORE(name, suspend_fn, resume_fn)			\
static int name##_suspend(void *data) { return suspend_fn(); }		\
static void name##_resume(void *data) { resume_fn(); }			\
static const struct syscore_ops name##_ops = {				\
	.suspend = name##_suspend,					\
	.resume = name##_resume,					\
};									\
static struct syscore name = { .ops = &name##_ops }

static inline void pmsw_register_syscore(struct syscore *s)
{
	register_syscore(s);
}

static inline void pmsw_unregister_syscore(struct syscore *s)
{
	unregister_syscore(s);
}

#else

#define PMSW_SYSCORE(name, suspend_fn, resume_fn)			\
static struct syscore_ops name = {					\
	.suspend = suspend_fn,						\
	.resume = resume_fn,						\
}

static inline void pmsw_register_syscore(struct syscore_ops *ops)
{
	register_syscore_ops(ops);
}

static inline void pmsw_unregister_syscore(struct syscore_ops *ops)
{
	unregister_syscore_ops(ops);
}

#endif
#endif /* __ASSEMBLY__ */

#endif /* PMSW_COMPAT_H */
