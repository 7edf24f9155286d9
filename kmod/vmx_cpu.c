// SPDX-License-Identifier: GPL-2.0
/*
 * VMX operation on every online CPU.
 *
 * Open files take references (PMSW_IOC_VMXON); the first reference puts
 * every online CPU into VMX root operation, the last one takes them all
 * out. CPUs that come online in between follow, CPUs going offline leave
 * VMX operation first, and a reboot leaves it everywhere, because a CPU
 * in VMX operation blocks INIT (SDM 24.7, VMXON) and firmware or the next
 * kernel may not expect that.
 *
 * Locking: cpu_hotplug_lock (read side here, write side in hotplug) is
 * always taken before vmx_lock, which guards vmx_users, vmx_shutdown and
 * the per-CPU state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "probe.h"
#include "vmcs.h"
#include "vmx_cpu.h"
#include "vmx_ops.h"

struct vmx_cpu {
	struct page *vmxon_region;
	bool on;
	/* Outcome of the last enable on this CPU, read after the IPI. */
	int err;
	const char *why;
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);
static DEFINE_MUTEX(vmx_lock);
static unsigned int vmx_users;
static bool vmx_shutdown;
static int vmx_hp_state = -1;

/*
 * Test hook: the CPU whose VMXON is refused as if another hypervisor held
 * VMX there, so that the selftests can check the roll-back of the other
 * CPUs. -1 (the default) injects nothing.
 */
static int fail_vmxon_on_cpu = -1;
module_param(fail_vmxon_on_cpu, int, 0600);
MODULE_PARM_DESC(fail_vmxon_on_cpu,
		 "test only: refuse VMXON on this CPU with -EBUSY (-1: none)");

static int refuse(struct vmx_cpu *v, int err, const char *why)
{
	v->why = why;
	return err;
}

/*
 * Enter VMX operation on this CPU, interrupts off. The preconditions are
 * checked by pmsw_vmxon_check() (pure, unit-tested) from what this CPU
 * reports, so that a refusal says which one failed.
 */
static int vmx_cpu_enable(struct vmx_cpu *v)
{
	struct pmsw_vmx_caps caps = { 0 };
	struct pmsw_vmxon_env env = { .caps = &caps };
	const char *why;
	int ret;

	if (v->on)
		return 0;
	env.vmx = pmsw_this_cpu_has_vmx();
	env.cr4_vmxe = cr4_read_shadow() & X86_CR4_VMXE;
	env.fc_readable = !rdmsrl_safe(PMSW_MSR_FEATURE_CONTROL,
				       &env.feature_control);
	env.cr0 = read_cr0();
	env.cr4 = __read_cr4();
	if (env.vmx)
		pmsw_read_caps(&caps);

	ret = pmsw_vmxon_check(&env, &why);
	if (ret)
		return refuse(v, ret, why);
	if (smp_processor_id() == READ_ONCE(fail_vmxon_on_cpu))
		return refuse(v, -EBUSY, "VMX in use (injected by fail_vmxon_on_cpu)");
	if (!v->vmxon_region)
		return refuse(v, -ENOMEM, "no VMXON region for this CPU");

	/* Revision identifier in bits 30:0, bit 31 clear (SDM 25.11.5). */
	*(u32 *)page_address(v->vmxon_region) = pmsw_basic_revision(caps.basic);

	cr4_set_bits(X86_CR4_VMXE);
	ret = pmsw_vmxon(page_to_phys(v->vmxon_region));
	if (ret != PMSW_VMX_OK) {
		cr4_clear_bits(X86_CR4_VMXE);
		return refuse(v, -EIO, ret == PMSW_VMX_FAULT ?
			      "VMXON faulted (#GP or #UD)" :
			      "VMXON failed (VMfailInvalid: VMXON region rejected)");
	}
	v->on = true;
	return 0;
}

/* Leave VMX operation on this CPU; interrupts off. */
static void vmx_cpu_disable(struct vmx_cpu *v)
{
	if (!v->on)
		return;
	/* VMCS data must reach memory before VMXOFF (SDM 25.11.1). */
	pmsw_vmcs_clear_this_cpu();
	/* Only fails if we were not in VMX operation: a bookkeeping bug. */
	WARN_ON_ONCE(pmsw_vmxoff() != PMSW_VMX_OK);
	cr4_clear_bits(X86_CR4_VMXE);
	v->on = false;
}

static void vmx_enable_ipi(void *unused)
{
	struct vmx_cpu *v = this_cpu_ptr(&vmx_cpu);

	v->why = NULL;
	v->err = vmx_cpu_enable(v);
}

static void vmx_disable_ipi(void *unused)
{
	vmx_cpu_disable(this_cpu_ptr(&vmx_cpu));
}

/*
 * VMXON on every online CPU, or on none: if one CPU refuses, the others
 * are rolled back. One log line names the first CPU that refused and why.
 */
static int vmx_enable_all(void)
{
	unsigned int cpu, first = 0, failed = 0;
	int err = 0;

	lockdep_assert_held(&vmx_lock);
	on_each_cpu(vmx_enable_ipi, NULL, 1);
	for_each_online_cpu(cpu) {
		struct vmx_cpu *v = per_cpu_ptr(&vmx_cpu, cpu);

		if (!v->err)
			continue;
		if (!failed++) {
			first = cpu;
			err = v->err;
		}
	}
	if (!err)
		return 0;

	on_each_cpu(vmx_disable_ipi, NULL, 1);
	pr_warn_ratelimited("VMXON refused on CPU%u%s: %s\n", first,
			    failed > 1 ? " and others" : "",
			    per_cpu_ptr(&vmx_cpu, first)->why);
	return err;
}

/* Take a reference on VMX operation. */
int pmsw_vmx_get(void)
{
	int err = 0;

	cpus_read_lock();
	mutex_lock(&vmx_lock);
	if (vmx_shutdown) {
		pr_warn_ratelimited("VMXON refused: the system is going down\n");
		err = -ESHUTDOWN;
	} else if (!vmx_users) {
		err = vmx_enable_all();
	}
	if (!err)
		vmx_users++;
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
	return err;
}

/* Drop a reference taken by pmsw_vmx_get(). */
void pmsw_vmx_put(void)
{
	cpus_read_lock();
	mutex_lock(&vmx_lock);
	if (!WARN_ON_ONCE(!vmx_users) && !--vmx_users)
		on_each_cpu(vmx_disable_ipi, NULL, 1);
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
}

void pmsw_vmx_state_lock(void)
{
	cpus_read_lock();
	mutex_lock(&vmx_lock);
}

void pmsw_vmx_state_unlock(void)
{
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
}

unsigned int pmsw_vmx_users(void)
{
	lockdep_assert_held(&vmx_lock);
	return vmx_users;
}

bool pmsw_vmx_this_cpu_on(void)
{
	return this_cpu_read(vmx_cpu.on);
}

/*
 * Hotplug: runs on the CPU coming online. While VMX is on, a CPU that
 * cannot enter VMX operation is refused, so that "VMX on" always means
 * every online CPU.
 */
static int vmx_cpu_online(unsigned int cpu)
{
	struct vmx_cpu *v = per_cpu_ptr(&vmx_cpu, cpu);
	int err = 0;

	mutex_lock(&vmx_lock);
	if (vmx_users && !vmx_shutdown) {
		local_irq_disable();
		err = vmx_cpu_enable(v);
		local_irq_enable();
		if (err)
			pr_warn("CPU%u cannot come online while pmswitch holds VMX: %s\n",
				cpu, v->why);
	}
	mutex_unlock(&vmx_lock);
	return err;
}

static int vmx_cpu_offline(unsigned int cpu)
{
	mutex_lock(&vmx_lock);
	local_irq_disable();
	vmx_cpu_disable(per_cpu_ptr(&vmx_cpu, cpu));
	local_irq_enable();
	mutex_unlock(&vmx_lock);
	return 0;
}

static int vmx_reboot(struct notifier_block *nb, unsigned long code,
		      void *unused)
{
	cpus_read_lock();
	mutex_lock(&vmx_lock);
	vmx_shutdown = true;
	if (vmx_users) {
		on_each_cpu(vmx_disable_ipi, NULL, 1);
		pr_info("reboot: left VMX operation on every CPU (%u users)\n",
			vmx_users);
	}
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

static void vmx_free_regions(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *v = per_cpu_ptr(&vmx_cpu, cpu);

		if (v->vmxon_region)
			__free_page(v->vmxon_region);
		v->vmxon_region = NULL;
	}
}

/* One zeroed 4-KByte VMXON region per possible CPU (SDM 25.11.5). */
static int vmx_alloc_regions(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page;

		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_free_regions();
			return -ENOMEM;
		}
		per_cpu_ptr(&vmx_cpu, cpu)->vmxon_region = page;
	}
	return 0;
}

int pmsw_vmx_init(void)
{
	int err;

	/* Without VMX there is nothing to allocate; VMXON says -ENODEV. */
	if (pmsw_this_cpu_has_vmx()) {
		err = vmx_alloc_regions();
		if (err)
			return err;
	}

	err = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "pmswitch:online",
				vmx_cpu_online, vmx_cpu_offline);
	if (err < 0)
		goto err_free_regions;
	vmx_hp_state = err;

	err = register_reboot_notifier(&vmx_reboot_nb);
	if (err)
		goto err_remove_hp_state;
	return 0;

err_remove_hp_state:
	cpuhp_remove_state(vmx_hp_state);
err_free_regions:
	vmx_free_regions();
	return err;
}

/* Module unload: no file is open any more, so VMX is already off. */
void pmsw_vmx_exit(void)
{
	unregister_reboot_notifier(&vmx_reboot_nb);
	cpuhp_remove_state(vmx_hp_state);
	WARN_ON_ONCE(vmx_users);
	vmx_free_regions();
}
