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
 *   PMSW_TEST_SUSPEND=1      run the suspend/resume test (it suspends the
 *                            devices and CPUs for a moment); the emulated
 *                            test bed (PMSW_EMU set) runs it anyway
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "pmsw_guest.h"
#include "pmsw_util.h"
#include "caps.h"

/* Test hooks live in debugfs, not among the module parameters. */
#define DEBUGFS_DIR	"/sys/kernel/debug/pmswitch"
#define HOOK_FAIL_VMXON	DEBUGFS_DIR "/fail_vmxon_on_cpu"
#define HOOK_FAKE_CAPS	DEBUGFS_DIR "/fake_caps_differ_on_cpu"
#define EMERGENCY_FILE	DEBUGFS_DIR "/emergency_callback"
#define PARAMS_DIR	"/sys/module/pmswitch/parameters"
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

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

/* Write @val to @path: 0, or -1 with the errno of the write. */
static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* The first line of @path, without its newline, in @buf: 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f);
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

TEST_F(dev, test_hooks_are_not_module_parameters)
{
	NEED_DEVICE();
	/* allow_cpu_checks is a feature and stays a parameter. */
	ASSERT_EQ(0, access(PARAMS_DIR "/allow_cpu_checks", F_OK));
	EXPECT_EQ(-1, access(PARAMS_DIR "/fail_vmxon_on_cpu", F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, access(PARAMS_DIR "/fake_caps_differ_on_cpu", F_OK));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * Why the test hook @path cannot be used, or NULL: debugfs not mounted, or
 * a kernel in lockdown, which refuses to open writable debugfs files
 * (EPERM). A hook missing from a mounted debugfs is a failure, not this.
 */
static const char *hook_unusable(const char *path)
{
	int fd;

	if (access(DEBUGFS_DIR, F_OK))
		return DEBUGFS_DIR " missing (debugfs not mounted?)";
	fd = open(path, O_RDWR);
	if (fd < 0 && errno == EPERM)
		return "kernel lockdown: the debugfs test hooks cannot be opened";
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * A hook reads -1 and refuses what is neither -1 nor a possible CPU with
 * EINVAL and one log line that says why.
 */
static void check_hook(struct __test_metadata *_metadata, int kmsg,
		       const char *path)
{
	static const struct {
		const char *val, *why;
	} bad[] = {
		{ "-2", "neither -1 nor a possible CPU (errno 22)" },
		{ "1000000", "neither -1 nor a possible CPU (errno 22)" },
		{ "1x", "not a number (errno 22)" },
		{ "cpu1", "not a number (errno 22)" },
	};
	char val[32];
	unsigned int i;

	ASSERT_EQ(0, read_line(path, val, sizeof(val)));
	EXPECT_STREQ("-1", val);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, write_file(path, bad[i].val));
		EXPECT_EQ(EINVAL, errno) TH_LOG("wrote '%s' to %s", bad[i].val, path);
		EXPECT_TRUE(pmsw_kmsg_has(kmsg, bad[i].why))
			TH_LOG("no log line '%s'", bad[i].why);
	}
	ASSERT_EQ(0, read_line(path, val, sizeof(val)));
	EXPECT_STREQ("-1", val);

	/* "0\n" as echo writes it: accepted and read back; then reset. */
	ASSERT_EQ(0, write_file(path, "0\n"));
	ASSERT_EQ(0, read_line(path, val, sizeof(val)));
	EXPECT_STREQ("0", val);
	ASSERT_EQ(0, write_file(path, "-1"));
}

TEST_F(dev, debugfs_test_hooks_are_inert_and_refuse_bad_cpus)
{
	const char *why = hook_unusable(HOOK_FAIL_VMXON);
	struct stat st;

	NEED_DEVICE();
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, stat(HOOK_FAIL_VMXON, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	ASSERT_EQ(0, stat(HOOK_FAKE_CAPS, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	check_hook(_metadata, self->kmsg, HOOK_FAIL_VMXON);
	check_hook(_metadata, self->kmsg, HOOK_FAKE_CAPS);
}

TEST_F(dev, vmx_follows_cpu_hotplug)
{
	const char *online = CPU1_ONLINE;

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
	const char *why = hook_unusable(HOOK_FAIL_VMXON);
	char cpu[16];

	NEED_VMX();
	if (online_cpus() < 2)
		SKIP(return, "needs 2 CPUs");
	if (why)
		SKIP(return, "%s", why);

	snprintf(cpu, sizeof(cpu), "%u", online_cpus() - 1);
	ASSERT_EQ(0, write_file(HOOK_FAIL_VMXON, cpu));
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, write_file(HOOK_FAIL_VMXON, "-1"));

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

TEST_F(dev, vmxon_refused_when_a_cpu_reports_other_capabilities)
{
	const char *why = hook_unusable(HOOK_FAKE_CAPS);
	char cpu[16], msg[128];
	unsigned int last = online_cpus() - 1;

	NEED_VMX();
	if (online_cpus() < 2)
		SKIP(return, "needs 2 CPUs");
	if (why)
		SKIP(return, "%s", why);

	snprintf(cpu, sizeof(cpu), "%u", last);
	ASSERT_EQ(0, write_file(HOOK_FAKE_CAPS, cpu));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(PMSW_CPU_CAPS_DIFFER,
		  self->s.cpus[last].flags & PMSW_CPU_CAPS_DIFFER);
	EXPECT_EQ(-1, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	EXPECT_EQ(EXDEV, errno);
	ASSERT_EQ(0, write_file(HOOK_FAKE_CAPS, "-1"));

	/* Every CPU was rolled back, and the log names CPU and MSR. */
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
	EXPECT_EQ(0, pmsw_count(&self->s, PMSW_CPU_CAPS_DIFFER));
	snprintf(msg, sizeof(msg),
		 "VMXON refused on CPU%u: capability MSR IA32_VMX_VMCS_ENUM (0x48a) differs from CPU0's",
		 last);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg, msg));

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
}

TEST_F(dev, cpu_with_other_capabilities_cannot_come_online)
{
	const char *why = hook_unusable(HOOK_FAKE_CAPS);
	int err;

	NEED_VMX();
	if (online_cpus() < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "needs CPU1 and CPU hotplug");
	if (why)
		SKIP(return, "%s", why);

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, write_file(CPU1_ONLINE, "0"));
	ASSERT_EQ(0, write_file(HOOK_FAKE_CAPS, "1"));
	err = write_file(CPU1_ONLINE, "1") ? errno : 0;
	ASSERT_EQ(0, write_file(HOOK_FAKE_CAPS, "-1"));
	EXPECT_EQ(EXDEV, err);
	EXPECT_TRUE(pmsw_kmsg_has(self->kmsg,
				  "CPU1 cannot come online while pmswitch holds VMX: capability MSR IA32_VMX_VMCS_ENUM"));

	/* CPU1 stayed offline; the others still hold VMX. */
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.cpus[1].flags);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));

	ASSERT_EQ(0, write_file(CPU1_ONLINE, "1"));
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_TRUE(self->s.cpus[1].flags & PMSW_CPU_VMX_ON);
	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
}

TEST_F(dev, emergency_callback_is_pmswitchs_while_it_holds_vmx)
{
	char owner[32];

	NEED_VMX();
	if (!access("/sys/module/kvm", F_OK))
		SKIP(return, "KVM is loaded: the emergency callback is KVM's (kvm_conflict_test)");
	if (read_line(EMERGENCY_FILE, owner, sizeof(owner)))
		SKIP(return, EMERGENCY_FILE " not readable (debugfs not mounted?)");
	EXPECT_STREQ("none", owner);

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXON, 0));
	ASSERT_EQ(0, read_line(EMERGENCY_FILE, owner, sizeof(owner)));
	EXPECT_STREQ("pmswitch", owner);

	ASSERT_EQ(0, ioctl(self->fd, PMSW_IOC_VMXOFF, 0));
	ASSERT_EQ(0, read_line(EMERGENCY_FILE, owner, sizeof(owner)));
	EXPECT_STREQ("none", owner);
}

#define PM_TEST		"/sys/power/pm_test"
#define PM_STATE	"/sys/power/state"
#define PM_MEM_SLEEP	"/sys/power/mem_sleep"
#define PM_TEST_DELAY	"/sys/module/suspend/parameters/pm_test_delay"

/*
 * 32-bit guest code: VMCALL PMSW_HC_STOP with RBX = @code, in a loop so
 * that each run, which resumes after the VMCALL, stops again.
 */
static void load_stop_program(uint8_t *mem, uint32_t code)
{
	uint8_t prog[] = {
		0xb8, PMSW_HC_STOP, 0, 0, 0,		/* 1: mov eax, HC_STOP */
		0xbb, 0, 0, 0, 0,			/* mov ebx, code */
		0x0f, 0x01, 0xc1,			/* vmcall */
		0xeb, 0xf1,				/* jmp 1b */
	};

	memcpy(prog + 6, &code, sizeof(code));
	memcpy(mem + GPA_ORIGIN, prog, sizeof(prog));
}

/* Run context 0 to its stop; the entry type of its single entry. */
static __u32 run_stop(struct __test_metadata *_metadata, int fd)
{
	struct pmsw_transition t[4];
	struct pmsw_run r;

	EXPECT_EQ(0, run(fd, 0, &r, t, 4));
	if (r.stop_reason != PMSW_STOP_HYPERCALL)
		TH_LOG("run stopped: %s", r.reason);
	EXPECT_EQ(PMSW_STOP_HYPERCALL, r.stop_reason);
	EXPECT_EQ(0x5a17, r.stop_code);
	EXPECT_EQ(1, r.nr_transitions);
	return t[0].type;
}

/*
 * One suspend cycle that runs syscore_suspend() and syscore_resume()
 * without sleeping (pm_test "core", CONFIG_PM_DEBUG): the last CPU leaves
 * VMX operation in syscore_suspend() and enters it again on resume, the
 * others follow hotplug. 0 or the errno of the write to /sys/power/state.
 */
static int suspend_core_cycle(void)
{
	char test[128], mem_sleep[64], delay[16];
	int err;

	if (read_line(PM_TEST, test, sizeof(test)) ||
	    read_line(PM_MEM_SLEEP, mem_sleep, sizeof(mem_sleep)))
		return ENOENT;
	if (read_line(PM_TEST_DELAY, delay, sizeof(delay)))
		delay[0] = '\0';
	if (write_file(PM_MEM_SLEEP, "deep") || write_file(PM_TEST, "core"))
		return errno;
	if (delay[0])
		write_file(PM_TEST_DELAY, "0");
	err = write_file(PM_STATE, "mem") ? errno : 0;
	write_file(PM_TEST, "none");
	if (delay[0])
		write_file(PM_TEST_DELAY, delay);
	if (strstr(mem_sleep, "[s2idle]"))
		write_file(PM_MEM_SLEEP, "s2idle");
	return err;
}

TEST_F_TIMEOUT(dev, vmx_and_sessions_survive_a_suspend_cycle, 120)
{
	char mem_sleep[64] = "";
	struct session sess;
	struct pmsw_context c;
	struct pmsw_context_op op;
	cpu_set_t cpu0, all;

	NEED_VMX();
	if (!getenv("PMSW_EMU") && !getenv("PMSW_TEST_SUSPEND"))
		SKIP(return, "suspends devices and CPUs for a moment: set PMSW_TEST_SUSPEND=1");
	read_line(PM_MEM_SLEEP, mem_sleep, sizeof(mem_sleep));
	if (access(PM_TEST, W_OK) || !strstr(mem_sleep, "deep"))
		SKIP(return, "needs CONFIG_PM_DEBUG (pm_test) and S3 (mem_sleep: deep)");
	if (!(self->s.info.features & PMSW_FEAT_EPT))
		SKIP(return, "a session needs EPT");

	/* syscore_suspend() runs on CPU0: the session's VMCS is active there. */
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu0), &cpu0));
	ASSERT_EQ(0, session_open(&sess));
	load_stop_program(sess.mem, 0x5a17);
	make_context(&c, FLAT32, GPA_ORIGIN, 0x80000);
	ASSERT_EQ(0, context_create(sess.fd, &c, &op));
	EXPECT_EQ(PMSW_ENTRY_LAUNCH, run_stop(_metadata, sess.fd));
	EXPECT_EQ(PMSW_ENTRY_RESUME, run_stop(_metadata, sess.fd));

	ASSERT_EQ(0, suspend_core_cycle());

	/* Every CPU is back in VMX operation, still for the one session. */
	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(1, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, true));
	EXPECT_FALSE(pmsw_kmsg_has(self->kmsg, "cannot re-enter VMX operation"));

	/* The VMCS was VMCLEARed before VMXOFF: launched again, and it runs. */
	EXPECT_EQ(PMSW_ENTRY_LAUNCH, run_stop(_metadata, sess.fd));
	EXPECT_EQ(PMSW_ENTRY_RESUME, run_stop(_metadata, sess.fd));
	session_close(&sess);
	sched_setaffinity(0, sizeof(all), &all);

	ASSERT_EQ(0, pmsw_get_info(self->fd, &self->s));
	EXPECT_EQ(0, self->s.info.vmx_users);
	EXPECT_TRUE(all_cpus_vmx(&self->s, false));
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
