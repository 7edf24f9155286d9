// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch and KVM on one machine: only one hypervisor can own VMX
 * operation on a CPU. Whoever comes second must get a clean refusal,
 * and the first keeps running.
 *
 * The KVM modules are loaded from $PMSW_KVM_DIR (irqbypass.ko, kvm.ko,
 * kvm-intel.ko), as the emulated test bed provides them; on a real host
 * set PMSW_KVM_DIR or load kvm_intel first. On 6.12 kernels kvm_intel
 * takes VMX when it loads (kvm.enable_virt_at_load=1), on 6.1 only while
 * a VM exists, so the tests create a VM on both. Loading kvm.ko takes
 * tens of seconds of guest time under Bochs with two CPUs, well past the
 * harness's default 30 s: the tests allow 300.
 *
 * The kernel's emergency virtualization callback has one slot, and KVM
 * WARNs if it is taken when KVM registers (the test bed fails a run on any
 * WARNING): pmswitch holds it only while no KVM vendor module is loaded,
 * and says who does in debugfs (pmswitch/emergency_callback).
 */
#define _GNU_SOURCE
#include <linux/kvm.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "pmsw_util.h"

#define EMERGENCY_FILE	"/sys/kernel/debug/pmswitch/emergency_callback"

static const char *const kvm_modules[] = {
	"irqbypass.ko", "kvm.ko", "kvm-intel.ko",
};

/* finit_module() of DIR/NAME: 0, or the errno of the load. */
static int load_module(const char *dir, const char *name)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
		err = errno;
	close(fd);
	return err;
}

/* Who holds the emergency slot for pmswitch: "pmswitch", "kvm", "none". */
static const char *emergency_owner(void)
{
	static char owner[32];
	FILE *f = fopen(EMERGENCY_FILE, "r");

	if (!f)
		return "unreadable";
	if (!fgets(owner, sizeof(owner), f))
		strcpy(owner, "empty");
	fclose(f);
	owner[strcspn(owner, "\n")] = '\0';
	return owner;
}

/* Load the KVM modules; the errno of kvm-intel.ko's load. */
static int load_kvm(void)
{
	const char *dir = getenv("PMSW_KVM_DIR");
	unsigned int i;
	int err = 0;

	if (!access("/dev/kvm", F_OK))
		return 0;
	if (!dir)
		return ENOENT;
	for (i = 0; i < sizeof(kvm_modules) / sizeof(kvm_modules[0]); i++)
		err = load_module(dir, kvm_modules[i]);
	return err;
}

FIXTURE(kvm) {
	int fd;
	int kmsg;
	struct pmsw_snapshot s;
};

FIXTURE_SETUP(kvm)
{
	self->fd = open(PMSW_DEV, O_RDWR);
	self->kmsg = pmsw_kmsg_open();
	if (self->fd >= 0)
		ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
}

FIXTURE_TEARDOWN(kvm)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

#define NEED_VMX()							\
	do {								\
		if (self->fd < 0)					\
			SKIP(return, PMSW_DEV " missing: pmswitch.ko not loaded"); \
		if (!pmsw_vmx_usable(&self->s))				\
			SKIP(return, "no usable VT-x on this machine");	\
		if (!getenv("PMSW_KVM_DIR") && access("/dev/kvm", F_OK)) \
			SKIP(return, "no KVM: set PMSW_KVM_DIR or load kvm_intel"); \
	} while (0)

TEST_F_TIMEOUT(kvm, kvm_cannot_take_vmx_from_pmswitch, 300)
{
	bool kvm_was_loaded = !access("/sys/module/kvm", F_OK);
	unsigned int online;
	int err, kvm, vm = -1, kmsg2;
	bool ours;

	NEED_VMX();
	if (pmsw_count(&self->s, PMSW_CPU_CR4_VMXE))
		SKIP(return, "another hypervisor already holds VMX");
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ours = !strcmp("pmswitch", emergency_owner());
	if (!kvm_was_loaded)
		EXPECT_TRUE(ours);

	kmsg2 = pmsw_kmsg_open();
	err = load_kvm();
	/* pmswitch's callback left the slot before kvm_intel's init ran... */
	if (ours)
		EXPECT_TRUE(pmsw_kmsg_has(self->kmsg,
					  "kvm_intel loading: the emergency virtualization callback is left to KVM"));
	/* ...and came back if that init failed. */
	if (ours && err)
		EXPECT_TRUE(pmsw_kmsg_has(kmsg2,
					  "kvm_intel gone: the emergency virtualization callback is pmswitch's again"));
	close(kmsg2);
	/* 6.1: kvm_intel loaded and owns the slot; 6.12: it did not load. */
	EXPECT_STREQ(err && ours ? "pmswitch" : "kvm", emergency_owner());

	if (!err) {
		/* 6.1: kvm_intel loaded and takes VMX only for a VM. */
		kvm = open("/dev/kvm", O_RDWR);
		ASSERT_LE(0, kvm);
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		EXPECT_GT(0, vm);
		EXPECT_EQ(EBUSY, errno);
		close(kvm);
	} else {
		/*
		 * 6.12: kvm_intel takes VMX at load and refuses to load;
		 * kvm_init() reports a CPU that failed to enable
		 * virtualization as EIO.
		 */
		TH_LOG("kvm-intel.ko refused to load: %s", strerror(err));
		EXPECT_TRUE(err == EBUSY || err == EIO);
	}

	/* pmswitch still holds every CPU. */
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	online = pmsw_count(&self->s, 0);
	EXPECT_EQ(online, pmsw_count(&self->s, PMSW_CPU_VMX_ON));
	EXPECT_EQ(1, self->s.info.vmx_users);
	if (vm >= 0)
		close(vm);
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
}

TEST_F_TIMEOUT(kvm, vmxon_fails_ebusy_while_kvm_holds_vmx, 300)
{
	unsigned int online;
	int kvm, vm;

	NEED_VMX();
	ASSERT_EQ(0, load_kvm());
	kvm = open("/dev/kvm", O_RDWR);
	ASSERT_LE(0, kvm);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);

	/* KVM has CR4.VMXE set everywhere and pmswitch nowhere. */
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	online = pmsw_count(&self->s, 0);
	EXPECT_EQ(online, pmsw_count(&self->s, PMSW_CPU_CR4_VMXE));
	EXPECT_EQ(0, pmsw_count(&self->s, PMSW_CPU_VMX_ON));

	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "another hypervisor"));
	EXPECT_STREQ("kvm", emergency_owner());

	/* Nothing of pmswitch's is left in VMX operation. */
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, pmsw_count(&self->s, PMSW_CPU_VMX_ON));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_EQ(online, pmsw_count(&self->s, PMSW_CPU_CR4_VMXE));
	close(vm);
	close(kvm);
}

TEST_F_TIMEOUT(kvm, vmxon_works_again_once_kvm_is_unloaded, 300)
{
	NEED_VMX();
	if (access("/dev/kvm", F_OK))
		SKIP(return, "kvm_intel is not loaded");
	ASSERT_EQ(0, syscall(SYS_delete_module, "kvm_intel", O_NONBLOCK));

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(pmsw_count(&self->s, 0),
		  pmsw_count(&self->s, PMSW_CPU_VMX_ON));
	/* kvm.ko may stay, but without kvm_intel the slot is pmswitch's. */
	EXPECT_STREQ("pmswitch", emergency_owner());
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	EXPECT_STREQ("none", emergency_owner());
}

TEST_HARNESS_MAIN
