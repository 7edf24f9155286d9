/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMCS lifecycle (allocate, VMCLEAR, VMPTRLD, launch state, the CPU it is
 * active on) and the VMCS field cache.
 */
#ifndef PMSW_VMCS_H
#define PMSW_VMCS_H

#include <linux/bitmap.h>
#include <linux/build_bug.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <linux/pmswitch.h>

#include "vmcs_fields.h"
#include "vmx_ops.h"

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
	/* VM-entry interruption information was initialised (to 0). */
	bool entry_intr_init;
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
void pmsw_vmcs_clear_here(struct pmsw_vmcs *vmcs);
void pmsw_vmcs_clear_this_cpu(void);
void pmsw_vmcs_emergency_clear_this_cpu(void);

void pmsw_vmcs_set_host_rsp(struct pmsw_vmcs *vmcs, unsigned long rsp);
void pmsw_vmcs_write_slot(struct pmsw_vmcs *vmcs, unsigned int slot, u64 val);

/* The VMCS current on each CPU (VMPTRLD), NULL if none of pmswitch's. */
DECLARE_PER_CPU(struct pmsw_vmcs *, pmsw_current_vmcs);

/*
 * Make @vmcs current on this CPU when it is already active here (its
 * @cpu is this CPU; preemption off): the switch path's pmsw_vmcs_load().
 */
static __always_inline int pmsw_vmcs_make_current(struct pmsw_vmcs *vmcs)
{
	if (this_cpu_read(pmsw_current_vmcs) == vmcs)
		return 0;
	if (pmsw_vmptrld(vmcs->phys) != PMSW_VMX_OK)
		return -EIO;
	PMSW_COUNT(vmcs, vmptrlds);
	this_cpu_write(pmsw_current_vmcs, vmcs);
	return 0;
}

/*
 * VMWRITE through the cache: a write of the value already there is
 * skipped. Inlined into the HOST_RSP write on the way into the guest,
 * so it uses only non-instrumented operations (arch_ bit operations).
 */
static __always_inline void pmsw_vmcs_write_cached(struct pmsw_vmcs *vmcs,
						   unsigned int slot,
						   unsigned long enc, u64 val)
{
	if (arch_test_bit(slot, vmcs->valid) && vmcs->val[slot] == val) {
		vmcs->elided++;
		PMSW_COUNT(vmcs, vmwrites_elided);
		return;
	}
	if (pmsw_vmwrite(enc, val) != PMSW_VMX_OK) {
		arch___clear_bit(slot, vmcs->valid);
		return;
	}
	vmcs->val[slot] = val;
	arch___set_bit(slot, vmcs->valid);
	vmcs->writes++;
	PMSW_COUNT(vmcs, vmwrites);
}

/*
 * The field of the last failed VMREAD/VMWRITE on this CPU with bit 63
 * set, 0 if none (vmcs.c).
 */
DECLARE_PER_CPU(unsigned long, pmsw_vmx_insn_failed_field);

/*
 * This CPU saw a VMREAD or VMWRITE fail since the last call: its field.
 * Inline: the run loop asks after every transition.
 */
static inline bool pmsw_vmx_insn_failed_take(unsigned long *field)
{
	unsigned long f = this_cpu_read(pmsw_vmx_insn_failed_field);

	if (likely(!f))
		return false;
	this_cpu_write(pmsw_vmx_insn_failed_field, 0);
	*field = f & ~BIT_ULL(63);
	return true;
}

/*
 * VMCS accessors. A field is always named by its encoding (VMCS_<name>,
 * vmcs_fields.h); the width in the accessor's name must match the
 * encoding's (checked at build time for constant fields). Writes go
 * through the field cache: writing the value a field already holds costs
 * nothing. Reads are not cached: they read what the CPU stored.
 */
static __always_inline void __pmsw_vmcs_write(struct pmsw_vmcs *vmcs,
					      unsigned long field, u64 val,
					      unsigned int width)
{
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&
			 (((field) >> 13) & 3) != width,
			 "VMCS field written with the wrong width");
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&
			 pmsw_vmcs_slot(field) < 0,
			 "VMCS field is read-only or missing from vmcs_fields.h");
	/* A constant field: no encoding table, no call. */
	if (__builtin_constant_p(field))
		pmsw_vmcs_write_cached(vmcs, pmsw_vmcs_slot(field), field, val);
	else
		pmsw_vmcs_write_slot(vmcs, pmsw_vmcs_slot(field), val);
}

#define pmsw_vmcs_write16(v, f, val)	__pmsw_vmcs_write(v, f, (u16)(val), 0)
#define pmsw_vmcs_write64(v, f, val)	__pmsw_vmcs_write(v, f, (u64)(val), 1)
#define pmsw_vmcs_write32(v, f, val)	__pmsw_vmcs_write(v, f, (u32)(val), 2)
#define pmsw_vmcs_writel(v, f, val)	__pmsw_vmcs_write(v, f, (unsigned long)(val), 3)

static __always_inline u16 pmsw_vmcs_read16(struct pmsw_vmcs *v, unsigned long f)
{
	PMSW_COUNT(v, vmreads);
	return pmsw_vmread16(f);
}

static __always_inline u32 pmsw_vmcs_read32(struct pmsw_vmcs *v, unsigned long f)
{
	PMSW_COUNT(v, vmreads);
	return pmsw_vmread32(f);
}

static __always_inline u64 pmsw_vmcs_read64(struct pmsw_vmcs *v, unsigned long f)
{
	PMSW_COUNT(v, vmreads);
	return pmsw_vmread64(f);
}

static __always_inline unsigned long pmsw_vmcs_readl(struct pmsw_vmcs *v,
						     unsigned long f)
{
	PMSW_COUNT(v, vmreads);
	return pmsw_vmreadl(f);
}

int pmsw_vmcs_init(void);

#endif /* PMSW_VMCS_H */
