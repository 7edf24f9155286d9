// SPDX-License-Identifier: GPL-2.0
/*
 * VMX operation on every online CPU.
 *
 * Open files take references (PMSW_IOC_VMXON); the first reference puts
 * every online CPU into VMX root operation, the last one takes them all
 * out. CPUs that come online in between follow, CPUs going offline leave
 * VMX operation first, and a reboot leaves it everywhere, because a CPU
 * in VMX operation blocks INIT (SDM 24.8) and firmware or the next kernel
 * may not expect that. The same holds for the whole-machine events:
 * system sleep (syscore suspend/resume on the last CPU) and a crash or
 * emergency restart (the kernel's emergency virtualization callback, which
 * pmswitch shares with KVM, see "Emergency callback" below).
 *
 * Locking: cpu_hotplug_lock (read side here, write side in hotplug) is
 * always taken before vmx_lock, which guards vmx_users, vmx_shutdown, the
 * per-CPU state and the emergency-callback state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/reboot.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "caps.h"
#include "compat.h"
#include "hooks.h"
#include "probe.h"
#include "trace.h"
#include "vmcs.h"
#include "vmx_cpu.h"
#include "vmx_ops.h"

struct vmx_cpu {
	struct page *vmxon_region;
	bool on;
	/* Outcome of the last enable on this CPU, read after the IPI. */
	int err;
	const char *why;
	char why_buf[96];
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);
static DEFINE_MUTEX(vmx_lock);
static unsigned int vmx_users;
static bool vmx_shutdown;
static int vmx_hp_state = -1;

/*
 * The capabilities every CPU must report, read on the first online CPU by
 * the enable that put VMX on (SDM Appendix A: the MSRs are per logical
 * processor).
 */
static struct pmsw_vmx_caps ref_caps;
static unsigned int ref_cpu;

/*
 * Test hook (debugfs pmswitch/fail_vmxon_on_cpu): the CPU whose VMXON is
 * refused as if another hypervisor held VMX there, so that the selftests
 * can check the roll-back of the other CPUs. -1 (the default) injects
 * nothing.
 */
static int fail_vmxon_on_cpu = -1;

/*
 * A session derives its VMCS controls from one CPU's capabilities and may
 * run on any CPU: refuse a CPU that reports other capabilities than the
 * first one.
 */
static int caps_match(struct vmx_cpu *v, const struct pmsw_vmx_caps *caps)
{
	const char *name;
	u32 msr;

	name = pmsw_caps_differ(caps, &ref_caps, &msr);
	if (!name)
		return 0;
	snprintf(v->why_buf, sizeof(v->why_buf),
		 "capability MSR %s (0x%x) differs from CPU%u's",
		 name, msr, ref_cpu);
	return pmsw_why(-EXDEV, v->why_buf, &v->why);
}

/*
 * May this CPU enter VMX operation? The preconditions are checked by
 * pmsw_vmxon_check() (pure, unit-tested) from what this CPU reports, so
 * that a refusal says which one failed; then the CPU must be like the
 * first one. Fills @caps.
 */
static int vmx_cpu_check(struct vmx_cpu *v, struct pmsw_vmx_caps *caps)
{
	struct pmsw_vmxon_env env = { .caps = caps };
	const char *why;
	int ret;

	env.vmx = pmsw_this_cpu_has_vmx();
	env.cr4_vmxe = cr4_read_shadow() & X86_CR4_VMXE;
	env.fc_readable = !rdmsrl_safe(PMSW_MSR_FEATURE_CONTROL,
				       &env.feature_control);
	env.cr0 = read_cr0();
	env.cr4 = __read_cr4();
	if (env.vmx)
		pmsw_read_caps(caps);

	ret = pmsw_vmxon_check(&env, &why);
	if (ret)
		return pmsw_why(ret, why, &v->why);
	ret = caps_match(v, caps);
	if (ret)
		return ret;
	if (smp_processor_id() == READ_ONCE(fail_vmxon_on_cpu))
		return pmsw_why(-EBUSY, "VMX in use (injected by fail_vmxon_on_cpu)",
				&v->why);
	if (!v->vmxon_region)
		return pmsw_why(-ENOMEM, "no VMXON region for this CPU", &v->why);
	return 0;
}

/* Enter VMX operation on this CPU, interrupts off. */
static int vmx_cpu_enable(struct vmx_cpu *v)
{
	struct pmsw_vmx_caps caps = { 0 };
	int ret;

	if (v->on)
		return 0;
	ret = vmx_cpu_check(v, &caps);
	if (ret) {
		trace_pmsw_vmx(true, ret);
		return ret;
	}

	/* Revision identifier in bits 30:0, bit 31 clear (SDM 25.11.5). */
	*(u32 *)page_address(v->vmxon_region) = pmsw_basic_revision(caps.basic);

	cr4_set_bits(X86_CR4_VMXE);
	/*
	 * Where Intel PT cannot trace in VMX operation (IA32_VMX_MISC[14] = 0),
	 * VMXON clears IA32_RTIT_CTL.TraceEn and setting it again faults
	 * until VMXOFF (SDM A.6): tell perf's PT driver first.
	 */
	intel_pt_handle_vmx(1);
	ret = pmsw_vmxon(page_to_phys(v->vmxon_region));
	if (ret != PMSW_VMX_OK) {
		intel_pt_handle_vmx(0);
		cr4_clear_bits(X86_CR4_VMXE);
		trace_pmsw_vmx(true, -EIO);
		return pmsw_why(-EIO, ret == PMSW_VMX_FAULT ?
				"VMXON faulted (#GP or #UD)" :
				"VMXON failed (VMfailInvalid: VMXON region rejected)",
				&v->why);
	}
	v->on = true;
	trace_pmsw_vmx(true, 0);
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
	/* Intel PT may trace again (see vmx_cpu_enable()). */
	intel_pt_handle_vmx(0);
	v->on = false;
	trace_pmsw_vmx(false, 0);
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

static void read_ref_caps_ipi(void *unused)
{
	pmsw_read_caps(&ref_caps);
}

/*
 * VMXON on every online CPU, or on none: if one CPU refuses, the others
 * are rolled back. One log line names the first CPU that refused and why.
 * Every CPU is compared with the capabilities of the first online one.
 */
static int vmx_enable_all(void)
{
	unsigned int cpu, first = 0, failed = 0;
	int err = 0;

	lockdep_assert_held(&vmx_lock);
	ref_cpu = cpumask_first(cpu_online_mask);
	smp_call_function_single(ref_cpu, read_ref_caps_ipi, NULL, 1);
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

/*
 * Emergency callback. On a crash (kdump), an emergency restart or an NMI
 * shootdown the kernel calls one virtualization callback on every CPU,
 * in NMI context on all but the crashing one, so that no CPU is left in
 * VMX operation to block the INIT that starts the next kernel (SDM 24.8).
 * There is one slot, and registering into a full one or unregistering
 * another's callback WARNs. kvm_intel owns it: on 6.1 from its module init
 * until unload, on 6.12 while KVM has virtualization enabled (from load
 * with kvm.enable_virt_at_load=1, else while a VM exists). KVM's callback
 * leaves VMX operation on any CPU with CR4.VMXE set, whoever entered it,
 * so while it is registered pmswitch is covered too.
 *
 * So pmswitch's callback is in the slot exactly while pmswitch holds VMX
 * and no KVM vendor module may own the slot. Only the vendor modules
 * register there (6.1: kvm_intel itself; 6.12: kvm.ko on behalf of the
 * vendor module, from its init or a VM's creation), so a module notifier
 * takes pmswitch's callback out when kvm_intel or kvm_amd is coming,
 * before its init runs, and puts it back when that module is gone (after
 * its exit or failed init, which both unregister KVM's callback). A
 * vendor module loaded before pmswitch was not seen coming: if kvm.ko is
 * loaded at pmswitch's init, the slot counts as KVM's until a vendor
 * module pmswitch did not see coming goes, or kvm.ko goes.
 */
static bool emerg_registered;
static bool kvm_before_us;
static unsigned long kvm_vendors_seen;
static const char *const kvm_vendors[] = { "kvm_intel", "kvm_amd" };

/*
 * Runs with no lock safe to take and pmswitch's bookkeeping possibly
 * half-changed by the interrupted code: only CR4, the VMCS list (read)
 * and the VMX instructions, whose faults are caught.
 */
static void vmx_emergency_off(void)
{
	/* CR4 itself: the shadow may be mid-update in the interrupted code. */
	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	pmsw_vmcs_emergency_clear_this_cpu();
	/* #UD if VMXON had not run yet: caught, and CR4.VMXE goes anyway. */
	pmsw_vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
}

static bool kvm_may_own_slot(void)
{
	return kvm_before_us || kvm_vendors_seen;
}

/* Put pmswitch's callback in the slot or take it out; true if it moved. */
static bool emerg_sync(bool hold)
{
	bool want = hold && !kvm_may_own_slot();

	lockdep_assert_held(&vmx_lock);
	if (want == emerg_registered)
		return false;
	if (want)
		cpu_emergency_register_virt_callback(vmx_emergency_off);
	else
		cpu_emergency_unregister_virt_callback(vmx_emergency_off);
	emerg_registered = want;
	return true;
}

static int kvm_vendor_index(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kvm_vendors); i++)
		if (!strcmp(name, kvm_vendors[i]))
			return i;
	return -1;
}

/* A KVM module is gone: which one tells what the slot may still hold. */
static void kvm_module_gone(int vendor)
{
	/* Without kvm.ko no vendor module is left. */
	if (vendor < 0)
		kvm_before_us = false;
	/* A vendor module not seen coming is the one loaded before us. */
	else if (!__test_and_clear_bit(vendor, &kvm_vendors_seen))
		kvm_before_us = false;
}

static int vmx_module_event(struct notifier_block *nb, unsigned long state,
			    void *data)
{
	const char *name = ((struct module *)data)->name;
	int vendor = kvm_vendor_index(name);

	if (vendor < 0 && strcmp(name, "kvm"))
		return NOTIFY_DONE;
	if (state != MODULE_STATE_COMING && state != MODULE_STATE_GOING)
		return NOTIFY_DONE;

	mutex_lock(&vmx_lock);
	if (state == MODULE_STATE_GOING)
		kvm_module_gone(vendor);
	else if (vendor >= 0)
		__set_bit(vendor, &kvm_vendors_seen);
	if (emerg_sync(vmx_users > 0))
		pr_info("%s %s: the emergency virtualization callback is %s\n",
			name, state == MODULE_STATE_GOING ? "gone" : "loading",
			emerg_registered ? "pmswitch's again" : "left to KVM");
	mutex_unlock(&vmx_lock);
	return NOTIFY_OK;
}

static struct notifier_block vmx_module_nb = {
	.notifier_call = vmx_module_event,
};

/* Is kvm.ko (or a built-in KVM) there? Only a live module is found. */
static bool kvm_loaded(void)
{
	if (!__symbol_get("kvm_rebooting"))
		return false;
	__symbol_put("kvm_rebooting");
	return true;
}

/* debugfs pmswitch/emergency_callback: who covers pmswitch's VMX. */
static int emerg_show(struct seq_file *m, void *unused)
{
	const char *owner = "none";

	mutex_lock(&vmx_lock);
	if (emerg_registered)
		owner = "pmswitch";
	else if (kvm_may_own_slot())
		owner = "kvm";
	mutex_unlock(&vmx_lock);
	seq_printf(m, "%s\n", owner);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(emerg);

static int emerg_init(void)
{
	int err;

	/* Notifier first: a KVM module loading from now on is seen. */
	err = register_module_notifier(&vmx_module_nb);
	if (err)
		return err;
	mutex_lock(&vmx_lock);
	kvm_before_us = kvm_loaded();
	mutex_unlock(&vmx_lock);
	return 0;
}

static void emerg_exit(void)
{
	unregister_module_notifier(&vmx_module_nb);
	/* VMX is off by now, so the callback is out of the slot. */
	WARN_ON_ONCE(emerg_registered);
}

void pmsw_vmx_debugfs(struct dentry *dir)
{
	debugfs_create_file("emergency_callback", 0444, dir, NULL, &emerg_fops);
	pmsw_debugfs_cpu_hook(dir, "fail_vmxon_on_cpu", &fail_vmxon_on_cpu);
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
		/* Before VMXON: the callback is harmless while VMX is off. */
		emerg_sync(true);
		err = vmx_enable_all();
		if (err)
			emerg_sync(false);
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
	if (!WARN_ON_ONCE(!vmx_users) && !--vmx_users) {
		on_each_cpu(vmx_disable_ipi, NULL, 1);
		emerg_sync(false);
	}
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

/* This CPU's VMXON region, for the native return path; IRQs off. */
u64 pmsw_vmx_this_cpu_vmxon_phys(void)
{
	return page_to_phys(this_cpu_ptr(&vmx_cpu)->vmxon_region);
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

/*
 * System sleep. syscore_suspend() runs on the one CPU still online, with
 * interrupts off; the others went offline through hotplug and left VMX
 * operation there, and come back the same way after syscore_resume().
 * Tasks are frozen, so no VMXON or VMXOFF is in progress and vmx_users
 * cannot change; vmx_lock, a mutex, cannot be taken here. This CPU leaves
 * VMX operation too, with CR4.VMXE cleared, because the CPU loses VMX
 * operation in S3 and the kernel restores the CR4 it saved.
 */
static int vmx_suspend(void)
{
	if (READ_ONCE(vmx_users))
		vmx_cpu_disable(this_cpu_ptr(&vmx_cpu));
	return 0;
}

static void vmx_resume(void)
{
	struct vmx_cpu *v = this_cpu_ptr(&vmx_cpu);

	if (!READ_ONCE(vmx_users) || READ_ONCE(vmx_shutdown))
		return;
	v->why = NULL;
	if (vmx_cpu_enable(v))
		pr_err("resume: CPU%u cannot re-enter VMX operation: %s\n",
		       smp_processor_id(), v->why);
}

PMSW_SYSCORE(vmx_syscore, vmx_suspend, vmx_resume);

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
	err = emerg_init();
	if (err)
		goto err_reboot;
	pmsw_register_syscore(&vmx_syscore);
	return 0;

err_reboot:
	unregister_reboot_notifier(&vmx_reboot_nb);
err_remove_hp_state:
	cpuhp_remove_state(vmx_hp_state);
err_free_regions:
	vmx_free_regions();
	return err;
}

/* Module unload: no file is open any more, so VMX is already off. */
void pmsw_vmx_exit(void)
{
	pmsw_unregister_syscore(&vmx_syscore);
	emerg_exit();
	unregister_reboot_notifier(&vmx_reboot_nb);
	cpuhp_remove_state(vmx_hp_state);
	WARN_ON_ONCE(vmx_users);
	vmx_free_regions();
}
