// SPDX-License-Identifier: GPL-2.0
/*
 * pmswitch selftests: the information ioctl, VMX operation on every CPU
 * with its reference counting and CPU hotplug, and every refusal of bad
 * input. Runs as root on a machine where pmswitch.ko is loaded; tests
 * that need VT-x skip with the reason when it is missing.
 *
 * The test job may set:
 *   PMSW_EXPECT_VMX=0|1      info must report VMX absent/present
 *   PMSW_EXPECT_CPUS=N       number of online CPUs
 *   PMSW_EXPECT_FEATURES=a,b feature names info must report
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "pmsw_util.h"
#include "caps.h"

#define SYSFS_FAIL_PARAM "/sys/module/pmswitch/parameters/fail_vmxon_on_cpu"

FIXTURE(dev) {
	int fd;
	int kmsg;
	struct pmsw_snapshot s;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(PMSW_DEV, O_RDWR);
	self->kmsg = pmsw_kmsg_open();
	if (self->fd >= 0)
		ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/* kselftest_harness of 6.1 runs the body even after SKIP in setup. */
#define NEED_DEVICE()							\
	do {								\
		if (self->fd < 0)					\
			SKIP(return, PMSW_DEV " missing: pmswitch.ko not loaded"); \
	} while (0)

#define NEED_VMX()							\
	do {								\
		NEED_DEVICE();						\
		if (!pmsw_vmx_usable(&self->s))				\
			SKIP(return, "no usable VT-x on this machine");	\
	} while (0)

/* Every online CPU has exactly @flags among VMX_ON and CR4_VMXE. */
static bool all_cpus_vmx(const struct pmsw_snapshot *s, bool on)
{
	unsigned int online = pmsw_count(s, 0);
	__u32 want = PMSW_CPU_VMX_ON | PMSW_CPU_CR4_VMXE;

	if (on)
		return pmsw_count(s, want) == online;
	return pmsw_count(s, PMSW_CPU_VMX_ON) == 0 &&
	       pmsw_count(s, PMSW_CPU_CR4_VMXE) == 0;
}

static unsigned int online_cpus(void)
{
	return (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
}

TEST_F(dev, device_is_a_root_only_char_device)
{
	struct stat st;

	NEED_DEVICE();
	ASSERT_EQ(0, stat(PMSW_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
}

TEST_F(dev, open_without_cap_sys_admin_fails_eperm)
{
	int status;
	pid_t pid;

	NEED_DEVICE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		int fd;

		/* Stay root (file mode passes), lose only CAP_SYS_ADMIN. */
		if (syscall(SYS_capget, &hdr, data))
			_exit(10);
		data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &=
			~CAP_TO_MASK(CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			_exit(11);
		fd = open(PMSW_DEV, O_RDWR);
		_exit(fd < 0 && errno == EPERM ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "CAP_SYS_ADMIN required"));
}

TEST_F(dev, info_reports_abi_version_and_every_cpu)
{
	unsigned int i;

	NEED_DEVICE();
	EXPECT_EQ(PMSW_ABI_VERSION, self->s.info.abi_version);
	ASSERT_LE(online_cpus(), self->s.info.nr_cpu_ids);
	ASSERT_LE(self->s.info.nr_cpus, PMSW_MAX_CPUS);
	EXPECT_EQ(self->s.info.nr_cpu_ids < PMSW_MAX_CPUS ?
		  self->s.info.nr_cpu_ids : PMSW_MAX_CPUS, self->s.info.nr_cpus);
	for (i = 0; i < self->s.info.nr_cpus; i++)
		EXPECT_EQ(i, self->s.cpus[i].cpu);
	EXPECT_EQ(online_cpus(), pmsw_count(&self->s, 0));
	if (pmsw_expect("PMSW_EXPECT_CPUS") >= 0)
		EXPECT_EQ(pmsw_expect("PMSW_EXPECT_CPUS"),
			  pmsw_count(&self->s, 0));
	EXPECT_EQ(0, self->s.info.vmx_users);
}

TEST_F(dev, info_without_cpu_array_reports_only_the_count)
{
	struct pmsw_info info = { .size = sizeof(info) };

	NEED_DEVICE();
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_INFO, &info));
	EXPECT_EQ(0, info.nr_cpus);
	EXPECT_EQ(self->s.info.nr_cpu_ids, info.nr_cpu_ids);
	EXPECT_EQ(PMSW_ABI_VERSION, info.abi_version);
}

TEST_F(dev, info_vmx_flag_matches_cpuid)
{
	unsigned int a, b, c, d;
	long expect = pmsw_expect("PMSW_EXPECT_VMX");
	bool vmx;

	NEED_DEVICE();
	ASSERT_TRUE(__get_cpuid(1, &a, &b, &c, &d));
	vmx = c & (1U << 5);
	EXPECT_EQ(vmx ? online_cpus() : 0,
		  pmsw_count(&self->s, PMSW_CPU_VMX));
	if (expect >= 0)
		EXPECT_EQ(expect, (long)vmx);
	if (!vmx) {
		/* No VMX: no capabilities, no features. */
		EXPECT_EQ(0, self->s.info.features);
		EXPECT_EQ(0, self->s.info.caps.basic);
	}
}

TEST_F(dev, info_capabilities_are_consistent)
{
	const struct pmsw_vmx_caps *c = &self->s.info.caps;
	const char *want = getenv("PMSW_EXPECT_FEATURES");
	__u64 f = self->s.info.features;
	unsigned int bit;

	NEED_VMX();
	EXPECT_NE(0, pmsw_basic_revision(c->basic));
	EXPECT_LT(0, pmsw_basic_vmcs_size(c->basic));
	EXPECT_GE(4096, pmsw_basic_vmcs_size(c->basic));
	/* PE, NE and PG are fixed to 1 in VMX operation (SDM A.7). */
	EXPECT_EQ(0x80000021ULL, c->cr0_fixed0 & 0x80000021ULL);
	/* CR4.VMXE is fixed to 1 (SDM A.8). */
	EXPECT_EQ(PMSW_CR4_VMXE, c->cr4_fixed0 & PMSW_CR4_VMXE);
	EXPECT_EQ(!!(c->basic & PMSW_BASIC_TRUE_CTLS),
		  !!(f & PMSW_FEAT_TRUE_CTLS));
	EXPECT_EQ(0, f & ~PMSW_FEAT_ALL);
	EXPECT_EQ(0, pmsw_count(&self->s, PMSW_CPU_CAPS_DIFFER));

	while (want && *want) {
		size_t len = strcspn(want, ",");
		bool found = false;

		for (bit = 0; pmsw_feature_name(bit); bit++)
			if (strlen(pmsw_feature_name(bit)) == len &&
			    !strncmp(pmsw_feature_name(bit), want, len))
				found = f & (1ULL << bit);
		if (!found)
			TH_LOG("feature %.*s not reported", (int)len, want);
		EXPECT_TRUE(found);
		want += len + (want[len] == ',');
	}
}

TEST_F(dev, vmxon_enters_vmx_operation_on_every_online_cpu)
{
	NEED_VMX();
	ASSERT_TRUE(all_cpus_vmx(&self->s, false));

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(1, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));
	EXPECT_EQ(online_cpus(), pmsw_count(&self->s, PMSW_CPU_VMX_ON));

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
}

TEST_F(dev, vmxon_twice_on_one_file_takes_one_reference)
{
	NEED_VMX();
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(1, self->s.info.vmx_users);
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
}

TEST_F(dev, vmx_stays_on_until_the_last_file_lets_go)
{
	int other;

	NEED_VMX();
	other = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, other);

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, ioctl(other, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(2, self->s.info.vmx_users);

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(1, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));

	/* The last reference goes with the last close, not an ioctl. */
	ASSERT_EQ(0, close(other));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
}

TEST_F(dev, persistent_vmx_outlives_the_file_until_vmxoff)
{
	int other;

	NEED_VMX();
	other = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioctl(other, PMSW_IOC_VMXON, PMSW_VMX_PERSISTENT));
	ASSERT_EQ(0, ioctl(other, PMSW_IOC_VMXON, PMSW_VMX_PERSISTENT));
	ASSERT_EQ(0, close(other));

	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(1, self->s.info.vmx_users);
	EXPECT_EQ(PMSW_STATE_VMX_PERSISTENT, self->s.info.state);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));

	/* Any file may drop it. */
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, PMSW_VMX_PERSISTENT));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_EQ(0, self->s.info.state);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
}

TEST_F(dev, vmxoff_without_a_reference_changes_nothing)
{
	int other;

	NEED_VMX();
	other = open(PMSW_DEV, O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioctl(other, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(1, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));
	close(other);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

TEST_F(dev, vmx_follows_cpu_hotplug)
{
	const char *online = "/sys/devices/system/cpu/cpu1/online";

	NEED_VMX();
	if (online_cpus() < 2 || access(online, W_OK))
		SKIP(return, "needs CPU1 and CPU hotplug");

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, write_file(online, "0"));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.cpus[1].flags);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));

	ASSERT_EQ(0, write_file(online, "1"));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_TRUE(self->s.cpus[1].flags & PMSW_CPU_VMX_ON);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
}

TEST_F(dev, vmxon_refused_on_one_cpu_rolls_back_the_others)
{
	char cpu[16];

	NEED_VMX();
	if (online_cpus() < 2 || access(SYSFS_FAIL_PARAM, W_OK))
		SKIP(return, "needs 2 CPUs and the fail_vmxon_on_cpu hook");

	snprintf(cpu, sizeof(cpu), "%u", online_cpus() - 1);
	ASSERT_EQ(0, write_file(SYSFS_FAIL_PARAM, cpu));
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, write_file(SYSFS_FAIL_PARAM, "-1"));

	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "VMXON refused on CPU"));

	/* Nothing was left behind: the next VMXON works. */
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
}

TEST_F(dev, vmxon_without_vmx_fails_enodev)
{
	NEED_DEVICE();
	if (pmsw_count(&self->s, PMSW_CPU_VMX))
		SKIP(return, "this machine has VMX");
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "no VMX on this CPU"));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
}

TEST_F(dev, unknown_ioctl_fails_enotty)
{
	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, _IO(PMSW_IOC_TYPE, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "unknown command"));
}

TEST_F(dev, info_with_another_struct_size_in_the_command_fails_enotty)
{
	char small[16] = { 0 };

	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(PMSW_IOC_TYPE, 0x00, char[16]),
			    small));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, info_with_wrong_size_field_fails_einval)
{
	struct pmsw_info info = { .size = sizeof(info) - 8 };

	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "size is not sizeof"));
}

TEST_F(dev, info_with_unknown_flags_fails_einval)
{
	struct pmsw_info info = { .size = sizeof(info), .flags = 1 };

	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "unknown flags"));
}

TEST_F(dev, info_with_nonzero_reserved_fails_einval)
{
	unsigned int i;

	NEED_DEVICE();
	for (i = 0; i < 5; i++) {
		struct pmsw_info info = { .size = sizeof(info) };

		if (i < 3)
			info.reserved[i] = 1;
		else if (i == 3)
			info.reserved32 = 1;
		else
			info.state = 1;	/* out only */
		EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_INFO, &info));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "reserved fields must be 0"));
}

TEST_F(dev, info_with_null_argument_fails_efault)
{
	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, info_with_bad_cpus_pointer_fails_efault)
{
	struct pmsw_info info = {
		.size = sizeof(info), .nr_cpus = 1, .cpus = 8,
	};

	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_INFO, &info));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "cpus array not writable"));
}

TEST_F(dev, vmxon_and_vmxoff_with_unknown_argument_bits_fail_einval)
{
	NEED_DEVICE();
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXON, 0x80));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXOFF, 0x80));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, "unknown argument bits"));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
}

TEST_HARNESS_MAIN
