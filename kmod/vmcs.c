// SPDX-License-Identifier: GPL-2.0
/*
 * VMCS lifecycle and field cache.
 *
 * A VMCS is active on at most one CPU (SDM 25.1). pmswitch keeps, per
 * CPU, the list of VMCSs active there and the current one: a VMCS moves
 * to another CPU only after a VMCLEAR on its old CPU (by IPI), which also
 * sets its launch state to "clear", so that its next entry is a VMLAUNCH
 * ([launch-resume], Documentation/references.rst: the monitor tells the CPU whether an entry is a first launch
 * or a resume). Before VMXOFF, or when a CPU goes offline, every VMCS
 * active there is VMCLEARed so that its data reaches memory (SDM 25.11.1).
 *
 * The field cache remembers the last value written to every field. A
 * VMCLEAR writes the VMCS's data back to its region and keeps it, so the
 * cache stays valid across migrations; fields the processor itself
 * changes (guest state saved at VM exit) are forgotten after each exit
 * by the caller.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/io.h>
#include <asm/msr.h>

#include "caps.h"
#include "vmcs.h"
#include "vmx_ops.h"

DEFINE_PER_CPU(struct pmsw_vmx_counters, pmsw_global_counters);
DEFINE_PER_CPU(u64 [PMSW_NR_EXIT_REASONS], pmsw_global_exits);
static DEFINE_PER_CPU(struct list_head, loaded_vmcss);
DEFINE_PER_CPU(struct pmsw_vmcs *, pmsw_current_vmcs);
static u32 vmcs_revision;

int pmsw_vmcs_init(void)
{
	unsigned int cpu;
	u64 basic;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(per_cpu_ptr(&loaded_vmcss, cpu));
	if (!rdmsrl_safe(PMSW_MSR_VMX_BASIC, &basic))
		vmcs_revision = pmsw_basic_revision(basic);
	return 0;
}

struct pmsw_vmcs *pmsw_vmcs_alloc(struct pmsw_vmx_counters *counters)
{
	struct pmsw_vmcs *vmcs;

	vmcs = kzalloc(sizeof(*vmcs), GFP_KERNEL_ACCOUNT);
	if (!vmcs)
		return NULL;
	vmcs->page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vmcs->page) {
		kfree(vmcs);
		return NULL;
	}
	/* Revision identifier, bit 31 clear: an ordinary VMCS (SDM 25.2). */
	*(u32 *)page_address(vmcs->page) = vmcs_revision;
	vmcs->phys = page_to_phys(vmcs->page);
	vmcs->cpu = -1;
	vmcs->counters = counters;
	INIT_LIST_HEAD(&vmcs->loaded_node);
	return vmcs;
}

/* VMCLEAR on the CPU the VMCS is active on, interrupts off. */
void pmsw_vmcs_clear_here(struct pmsw_vmcs *vmcs)
{
	WARN_ON_ONCE(pmsw_vmclear(vmcs->phys) != PMSW_VMX_OK);
	PMSW_COUNT(vmcs, vmclears);
	if (this_cpu_read(pmsw_current_vmcs) == vmcs)
		this_cpu_write(pmsw_current_vmcs, NULL);
	list_del_init(&vmcs->loaded_node);
	vmcs->launched = false;
	/* Pairs with READ_ONCE() in pmsw_vmcs_clear(). */
	smp_store_release(&vmcs->cpu, -1);
}

static void vmcs_clear_ipi(void *arg)
{
	struct pmsw_vmcs *vmcs = arg;

	if (vmcs->cpu == smp_processor_id())
		pmsw_vmcs_clear_here(vmcs);
}

/*
 * Make @vmcs clear, wherever it is active. Holding the hotplug lock keeps
 * its CPU online until the IPI is done; a CPU going offline clears its
 * VMCSs itself (pmsw_vmcs_clear_this_cpu()).
 */
void pmsw_vmcs_clear(struct pmsw_vmcs *vmcs)
{
	int cpu;

	cpus_read_lock();
	cpu = READ_ONCE(vmcs->cpu);
	if (cpu >= 0)
		smp_call_function_single(cpu, vmcs_clear_ipi, vmcs, 1);
	cpus_read_unlock();
}

/* Before VMXOFF on this CPU: clear every VMCS active here. */
void pmsw_vmcs_clear_this_cpu(void)
{
	struct pmsw_vmcs *vmcs, *tmp;

	list_for_each_entry_safe(vmcs, tmp, this_cpu_ptr(&loaded_vmcss),
				 loaded_node)
		pmsw_vmcs_clear_here(vmcs);
}

/*
 * Crash or emergency restart, NMI context: VMCLEAR what is active here so
 * that a crash dump holds each VMCS's data (SDM 25.11.1). The interrupted
 * code may be changing the list, so it is only read and the bookkeeping
 * is left alone; an entry half added may still point at itself.
 */
void pmsw_vmcs_emergency_clear_this_cpu(void)
{
	struct pmsw_vmcs *vmcs;

	list_for_each_entry(vmcs, this_cpu_ptr(&loaded_vmcss), loaded_node) {
		pmsw_vmclear(vmcs->phys);
		if (vmcs->loaded_node.next == &vmcs->loaded_node)
			break;
	}
}

void pmsw_vmcs_free(struct pmsw_vmcs *vmcs)
{
	if (!vmcs)
		return;
	pmsw_vmcs_clear(vmcs);
	__free_page(vmcs->page);
	kfree(vmcs);
}

/*
 * Make @vmcs current on this CPU (preemption off). A VMCS still active on
 * another CPU must be cleared there first: -EAGAIN asks the caller to
 * pmsw_vmcs_clear() it with preemption on and retry. Its next entry is
 * then a LAUNCH.
 */
int pmsw_vmcs_load(struct pmsw_vmcs *vmcs)
{
	int cpu = smp_processor_id();
	unsigned long flags;

	if (vmcs->cpu != cpu) {
		if (READ_ONCE(vmcs->cpu) >= 0)
			return -EAGAIN;
		local_irq_save(flags);
		list_add(&vmcs->loaded_node, this_cpu_ptr(&loaded_vmcss));
		vmcs->cpu = cpu;
		local_irq_restore(flags);
	}
	if (this_cpu_read(pmsw_current_vmcs) != vmcs) {
		if (pmsw_vmptrld(vmcs->phys) != PMSW_VMX_OK)
			return -EIO;
		PMSW_COUNT(vmcs, vmptrlds);
		this_cpu_write(pmsw_current_vmcs, vmcs);
	}
	return 0;
}

void pmsw_vmcs_write_slot(struct pmsw_vmcs *vmcs, unsigned int slot, u64 val)
{
	pmsw_vmcs_write_cached(vmcs, slot, pmsw_vmcs_field_encoding(slot), val);
}

/* Called from vmenter.S with the RSP the VM exit will restore. */
noinstr void pmsw_vmcs_set_host_rsp(struct pmsw_vmcs *vmcs, unsigned long rsp)
{
	pmsw_vmcs_write_cached(vmcs, VF_HOST_RSP, VMCS_HOST_RSP, rsp);
}

/* The field of the last failed VMREAD/VMWRITE on this CPU, 0 if none. */
DEFINE_PER_CPU(unsigned long, pmsw_vmx_insn_failed_field);

/* A VMREAD or VMWRITE failed (vmx_ops.h): a bug, logged and reported. */
void pmsw_vmx_insn_failed(const char *insn, unsigned long field)
{
	pr_warn_ratelimited("%s of %s (%#lx) failed\n", insn,
			    pmsw_vmcs_field_name(field) ?: "?", field);
	/* Bit 63 keeps "field 0" (VIRTUAL_PROCESSOR_ID) distinct from none. */
	this_cpu_write(pmsw_vmx_insn_failed_field, field | BIT_ULL(63));
}

