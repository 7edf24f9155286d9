// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch: atomic protected-mode switching on Intel VT-x.
 *
 * The misc device /dev/pmswitch and its ioctl dispatch. Each command is
 * one handler; the ABI is in uapi/linux/pmswitch.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/pmswitch.h>

#include "abi.h"
#include "hooks.h"
#include "probe.h"
#include "refuse.h"
#include "run.h"
#include "native.h"
#include "session.h"
#include "vmcs.h"
#include "vmx_cpu.h"

/*
 * Every refusal userspace can provoke leaves one line, rate-limited so a
 * buggy caller cannot flood the log: 50 lines per 5 seconds lets a test
 * suite see each of its refusals.
 */
static DEFINE_RATELIMIT_STATE(refuse_rs, 5 * HZ, 50);

int pmsw_refuse(int err, const char *cmd, const char *why)
{
	if (__ratelimit(&refuse_rs))
		pr_info("%s: %s (errno %d)\n", cmd, why, -err);
	return err;
}

static int pmsw_open(struct inode *inode, struct file *file)
{
	struct pmsw_session *s;

	/* The device hands out VMX root operation: administrators only. */
	if (!capable(CAP_SYS_ADMIN))
		return pmsw_refuse(-EPERM, "open", "CAP_SYS_ADMIN required");

	s = pmsw_session_create();
	if (!s)
		return -ENOMEM;
	file->private_data = s;
	return nonseekable_open(inode, file);
}

static int pmsw_release(struct inode *inode, struct file *file)
{
	pmsw_session_destroy(file->private_data);
	return 0;
}

/*
 * No session lock: mmap() runs with the mmap lock held for writing, so
 * taking the session lock here would deadlock against any holder of it
 * whose copy from or to userspace faults. None is needed: the memory is
 * published once and lives as long as the file.
 */
static int pmsw_mmap(struct file *file, struct vm_area_struct *vma)
{
	return pmsw_session_mmap(file->private_data, vma);
}

/* The module's own VMX reference (PMSW_VMX_PERSISTENT). */
static DEFINE_MUTEX(persistent_lock);
static bool persistent_vmx;

static long pmsw_ioctl_info(void __user *uarg)
{
	struct pmsw_cpu_info *cpus = NULL;
	struct pmsw_info info;
	const char *why;
	u32 nr;
	int err;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return pmsw_refuse(-EFAULT, "INFO", "argument not readable");
	err = pmsw_check_info(&info, &why);
	if (err)
		return pmsw_refuse(err, "INFO", why);

	nr = min_t(u32, info.nr_cpus, nr_cpu_ids);
	if (nr) {
		cpus = kvcalloc(nr, sizeof(*cpus), GFP_KERNEL);
		if (!cpus)
			return -ENOMEM;
	}
	pmsw_probe_all(&info, cpus, nr);
	info.abi_version = PMSW_ABI_VERSION;
	info.state = READ_ONCE(persistent_vmx) ? PMSW_STATE_VMX_PERSISTENT : 0;
	info.nr_cpu_ids = nr_cpu_ids;
	info.nr_cpus = nr;

	err = 0;
	if (nr && copy_to_user(u64_to_user_ptr(info.cpus), cpus,
			       array_size(nr, sizeof(*cpus))))
		err = pmsw_refuse(-EFAULT, "INFO", "cpus array not writable");
	else if (copy_to_user(uarg, &info, sizeof(info)))
		err = pmsw_refuse(-EFAULT, "INFO", "argument not writable");
	kvfree(cpus);
	return err;
}

static long vmx_persistent(bool on)
{
	long err = 0;

	mutex_lock(&persistent_lock);
	if (on && !persistent_vmx) {
		err = pmsw_vmx_get();
		persistent_vmx = !err;
	} else if (!on && persistent_vmx) {
		pmsw_vmx_put();
		persistent_vmx = false;
	}
	mutex_unlock(&persistent_lock);
	return err;
}

static long pmsw_ioctl_vmxon(struct pmsw_session *s, unsigned long arg)
{
	const char *why;
	int err;

	err = pmsw_check_vmx_arg(arg, &why);
	if (err)
		return pmsw_refuse(err, "VMXON", why);
	if (arg & PMSW_VMX_PERSISTENT)
		return vmx_persistent(true);

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (!s->holds_vmx) {
		err = pmsw_vmx_get();
		s->holds_vmx = !err;
	}
	mutex_unlock(&s->lock);
	return err;
}

static long pmsw_ioctl_vmxoff(struct pmsw_session *s, unsigned long arg)
{
	const char *why;
	int err;

	err = pmsw_check_vmx_arg(arg, &why);
	if (err)
		return pmsw_refuse(err, "VMXOFF", why);
	if (arg & PMSW_VMX_PERSISTENT)
		return vmx_persistent(false);

	/* A run keeps VMX on through its contexts' reference. */
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (s->holds_vmx) {
		pmsw_vmx_put();
		s->holds_vmx = false;
	}
	mutex_unlock(&s->lock);
	return 0;
}

/*
 * No lock is held here: the commands that change the session take its
 * lock themselves, never across a copy from or to userspace; RUN holds it
 * only to mark the session running (pmsw_session_run_begin/end), and
 * MEMORY_RW, STATS and INFO take none (Documentation/design.rst,
 * "Sessions"). The ioctl holds a reference on the file, so a close() from
 * another thread cannot free the session under it.
 */
static long pmsw_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pmsw_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	/*
	 * RUN first: the kernel builds without jump tables (retpolines), so
	 * the switch below is a chain of compares.
	 */
	if (likely(cmd == PMSW_IOC_RUN))
		return pmsw_run(s, uarg);
	switch (cmd) {
	case PMSW_IOC_INFO:
		return pmsw_ioctl_info(uarg);
	case PMSW_IOC_VMXON:
		return pmsw_ioctl_vmxon(s, arg);
	case PMSW_IOC_VMXOFF:
		return pmsw_ioctl_vmxoff(s, arg);
	case PMSW_IOC_SET_MEMORY:
		return pmsw_session_set_memory(s, uarg);
	case PMSW_IOC_MEMORY_RW:
		return pmsw_session_memory_rw(s, uarg);
	case PMSW_IOC_CONTEXT_CREATE:
		return pmsw_context_create(s, uarg);
	case PMSW_IOC_CONTEXT_SET:
		return pmsw_context_set(s, uarg);
	case PMSW_IOC_CONTEXT_GET:
		return pmsw_context_get(s, uarg);
	case PMSW_IOC_CONTEXT_DESTROY:
		return pmsw_context_destroy(s, uarg);
	case PMSW_IOC_XL_STATE:
		return pmsw_xl_state(s, uarg);
	case PMSW_IOC_NATIVE:
		return pmsw_native(s, uarg);
	case PMSW_IOC_STATS:
		return pmsw_session_stats(s, uarg);
	default:
		return pmsw_refuse(-ENOTTY, "ioctl", "unknown command");
	}
}

static const struct file_operations pmsw_fops = {
	.owner		= THIS_MODULE,
	.open		= pmsw_open,
	.release	= pmsw_release,
	.mmap		= pmsw_mmap,
	.unlocked_ioctl	= pmsw_ioctl,
	/* Every argument is built from __u32/__u64: same layout in compat. */
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice pmsw_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= PMSW_DEVICE_NAME,
	.fops	= &pmsw_fops,
	.mode	= 0600,
};

static struct dentry *pmsw_debugfs;

static ssize_t cpu_hook_read(struct file *file, char __user *buf,
			     size_t len, loff_t *pos)
{
	int *hook = file->private_data;
	char val[16];
	int n;

	n = scnprintf(val, sizeof(val), "%d\n", READ_ONCE(*hook));
	return simple_read_from_buffer(buf, len, pos, val, n);
}

static ssize_t cpu_hook_write(struct file *file, const char __user *buf,
			      size_t len, loff_t *pos)
{
	const char *name = file_dentry(file)->d_name.name;
	int *hook = file->private_data;
	int cpu, err;

	err = kstrtoint_from_user(buf, len, 0, &cpu);
	if (err)
		return pmsw_refuse(err, name, "not a number");
	if (cpu != -1 && (cpu < 0 || cpu >= nr_cpu_ids))
		return pmsw_refuse(-EINVAL, name, "neither -1 nor a possible CPU");
	WRITE_ONCE(*hook, cpu);
	return len;
}

static const struct file_operations cpu_hook_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= cpu_hook_read,
	.write	= cpu_hook_write,
	.llseek	= default_llseek,
};

/* debugfs_create_file()'s proxy keeps a removed file's calls out. */
void pmsw_debugfs_cpu_hook(struct dentry *dir, const char *name, int *hook)
{
	debugfs_create_file(name, 0600, dir, hook, &cpu_hook_fops);
}

/*
 * Without debugfs (CONFIG_DEBUG_FS=n, debugfs=off) the directory is an
 * error pointer, every file creation in it does nothing and the hooks stay
 * inert at -1.
 */
static void pmsw_debugfs_init(void)
{
	pmsw_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	pmsw_probe_debugfs(pmsw_debugfs);
	pmsw_vmx_debugfs(pmsw_debugfs);
}

static int __init pmsw_init(void)
{
	int err;

	pmsw_vmcs_init();
	pmsw_run_init();
	err = pmsw_enter_init();
	if (err)
		return err;
	err = pmsw_vmx_init();
	if (err)
		goto err_enter;
	pmsw_debugfs_init();
	err = pmsw_native_init();
	if (err)
		goto err_vmx;
	err = misc_register(&pmsw_misc);
	if (err)
		goto err_native;
	pr_info("ABI %d, /dev/%s ready%s\n", PMSW_ABI_VERSION, PMSW_DEVICE_NAME,
		pmsw_this_cpu_has_vmx() ? "" :
		"; this CPU has no VMX (CPUID.1:ECX.VMX = 0), VMXON will fail");
	return 0;

err_native:
	pmsw_native_exit();
err_vmx:
	debugfs_remove(pmsw_debugfs);
	pmsw_vmx_exit();
err_enter:
	pmsw_enter_exit_module();
	return err;
}

static void __exit pmsw_exit(void)
{
	misc_deregister(&pmsw_misc);
	/* No file is open; the persistent reference is the last one. */
	vmx_persistent(false);
	pmsw_native_exit();
	/* Before the state its files read goes away. */
	debugfs_remove(pmsw_debugfs);
	pmsw_vmx_exit();
	pmsw_enter_exit_module();
}

module_init(pmsw_init);
module_exit(pmsw_exit);

MODULE_DESCRIPTION("Atomic protected-mode switching on Intel VT-x");
MODULE_LICENSE("GPL");
MODULE_VERSION(PMSW_VERSION);
