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

#ifndef __ASSEMBLY__
#include <linux/mm.h>
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
#endif /* __ASSEMBLY__ */

#endif /* PMSW_COMPAT_H */
