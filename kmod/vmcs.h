/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMCS lifecycle (allocate, VMCLEAR, VMPTRLD, launch state, the CPU it is
 * active on) and the VMCS field cache.
 */
#ifndef PMSW_VMCS_H
#define PMSW_VMCS_H

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <linux/pmswitch.h>

#include "vmcs_fields.h"

/* Counters of VMX instructions, per session and module-wide. */
struct pmsw_vmx_counters {
	u64 vmwrites;
	u64 vmwrites_elided;
	u64 vmreads;
	u64 launches;
	u64 resumes;
	u64 vmclears;
	u64 vmptrlds;
};

/* Module-wide counters, per CPU so that counting needs no lock. */
DECLARE_PER_CPU(struct pmsw_vmx_counters, pmsw_global_counters);
DECLARE_PER_CPU(u64 [PMSW_NR_EXIT_REASONS], pmsw_global_exits);

/* Count one event for the VMCS's session and for the module. */
#define PMSW_COUNT(vmcs, field)						\
	do {								\
		(vmcs)->counters->field++;				\
		this_cpu_inc(pmsw_global_counters.field);		\
	} while (0)

struct pmsw_vmcs {
	struct page *page;
	u64 phys;
	/* CPU the VMCS is active on, -1 when clear (SDM 25.1). */
	int cpu;
	/* Launch state "launched": the next entry is VMRESUME. */
	bool launched;
	/* Run block in which controls and host state were last written. */
	u32 prepared_gen;
	struct list_head loaded_node;
	struct pmsw_vmx_counters *counters;
	/* Writes and elisions since pmsw_vmcs_take_counts(). */
	u32 writes;
	u32 elided;
	/* The field cache: last value known to be in each field. */
	u64 val[PMSW_VMCS_NR_FIELDS];
	DECLARE_BITMAP(valid, PMSW_VMCS_NR_FIELDS);
};

struct pmsw_vmcs *pmsw_vmcs_alloc(struct pmsw_vmx_counters *counters);
void pmsw_vmcs_free(struct pmsw_vmcs *vmcs);
int pmsw_vmcs_load(struct pmsw_vmcs *vmcs);
void pmsw_vmcs_clear(struct pmsw_vmcs *vmcs);
void pmsw_vmcs_clear_this_cpu(void);

void pmsw_vmcs_write(struct pmsw_vmcs *vmcs, unsigned int index, u64 val);
u64 pmsw_vmcs_read(struct pmsw_vmcs *vmcs, unsigned int enc);
void pmsw_vmcs_forget(struct pmsw_vmcs *vmcs, const unsigned long *fields);
void pmsw_vmcs_set_host_rsp(struct pmsw_vmcs *vmcs, unsigned long rsp);

int pmsw_vmcs_init(void);

#endif /* PMSW_VMCS_H */
