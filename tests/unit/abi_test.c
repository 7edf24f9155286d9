// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the ioctl argument checks (kmod/abi.c). */
#include "kselftest_harness.h"
#include "abi.h"

TEST(info_accepts_a_well_formed_request)
{
	struct pmsw_info info = { .size = sizeof(info), .nr_cpus = 4 };
	const char *why = "unset";

	EXPECT_EQ(0, pmsw_check_info(&info, &why));
	EXPECT_EQ(NULL, why);
}

TEST(info_refuses_a_wrong_size)
{
	struct pmsw_info info = { .size = sizeof(info) + 8 };
	const char *why = NULL;

	EXPECT_EQ(-EINVAL, pmsw_check_info(&info, &why));
	ASSERT_NE(NULL, why);
	EXPECT_NE(NULL, strstr(why, "size"));
	info.size = 0;
	EXPECT_EQ(-EINVAL, pmsw_check_info(&info, &why));
}

TEST(info_refuses_unknown_flags)
{
	struct pmsw_info info = { .size = sizeof(info), .flags = 1U << 31 };
	const char *why = NULL;

	EXPECT_EQ(-EINVAL, pmsw_check_info(&info, &why));
	EXPECT_NE(NULL, strstr(why, "flags"));
}

TEST(info_refuses_each_nonzero_reserved_field)
{
	const char *why = NULL;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct pmsw_info info = { .size = sizeof(info) };

		info.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-EINVAL, pmsw_check_info(&info, &why));
		EXPECT_NE(NULL, strstr(why, "reserved"));
	}
}

TEST(vmx_commands_take_0_or_the_persistent_flag)
{
	const char *why = "unset";

	EXPECT_EQ(0, pmsw_check_vmx_arg(0, &why));
	EXPECT_EQ(NULL, why);
	EXPECT_EQ(0, pmsw_check_vmx_arg(PMSW_VMX_PERSISTENT, &why));
	EXPECT_EQ(-EINVAL, pmsw_check_vmx_arg(2, &why));
	EXPECT_NE(NULL, strstr(why, "unknown argument bits"));
	EXPECT_EQ(-EINVAL, pmsw_check_vmx_arg(1UL << 63, &why));
}

TEST(info_refuses_a_nonzero_state_on_input)
{
	struct pmsw_info info = { .size = sizeof(info), .state = 1 };
	const char *why = NULL;

	EXPECT_EQ(-EINVAL, pmsw_check_info(&info, &why));
	info.state = 0;
	info.reserved32 = 1;
	EXPECT_EQ(-EINVAL, pmsw_check_info(&info, &why));
}

/* The layout promised by the uapi header: no implicit padding. */
TEST(uapi_structs_have_no_implicit_padding)
{
	EXPECT_EQ(14 * 8, sizeof(struct pmsw_vmx_caps));
	EXPECT_EQ(16, sizeof(struct pmsw_cpu_info));
	EXPECT_EQ(6 * 4 + 2 * 8 + sizeof(struct pmsw_vmx_caps) + 4 * 8,
		  sizeof(struct pmsw_info));
	EXPECT_EQ(0, offsetof(struct pmsw_info, cpus) % 8);
}

/* ABI version 4: the memory view sits between kernel_gs_base and reserved. */
TEST(context_layout_of_abi_version_4)
{
	EXPECT_EQ(24, sizeof(struct pmsw_view_range));
	EXPECT_EQ(16, offsetof(struct pmsw_view_range, perm));
	EXPECT_EQ(560, offsetof(struct pmsw_context, nr_view_ranges));
	EXPECT_EQ(564, offsetof(struct pmsw_context, reserved_view));
	EXPECT_EQ(568, offsetof(struct pmsw_context, view));
	EXPECT_EQ(568 + 8 * 24, offsetof(struct pmsw_context, reserved));
	EXPECT_EQ(568 + 8 * 24 + 16, sizeof(struct pmsw_context));
	EXPECT_EQ(0, sizeof(struct pmsw_context) % 8);
}

/* ABI version 6: a session holds up to 4,096 contexts. */
TEST(max_contexts_of_abi_version_6)
{
	EXPECT_EQ(6, PMSW_ABI_VERSION);
	EXPECT_EQ(4096, PMSW_MAX_CONTEXTS);
}

/*
 * ABI version 5: the reserved range's info page (layout version 2) grew
 * by the 32-bit routine's entry and the transit roots; the exit-less
 * routine's fixed addresses are constants of the ABI.
 */
TEST(reserved_info_of_abi_version_5)
{
	EXPECT_LE(5, PMSW_ABI_VERSION);
	EXPECT_EQ(2, PMSW_RESERVED_VERSION);
	EXPECT_EQ(48, sizeof(struct pmsw_reserved_info));
	EXPECT_EQ(32, offsetof(struct pmsw_reserved_info, routine32));
	EXPECT_EQ(36, offsetof(struct pmsw_reserved_info, transit));
	EXPECT_EQ(40, offsetof(struct pmsw_reserved_info, transit32));
	EXPECT_EQ(0xffc01000ULL, PMSW_XL_ENTRY64);
	EXPECT_EQ(0xffc01800ULL, PMSW_XL_ENTRY32);
	EXPECT_EQ(0xffc08000ULL, PMSW_RESERVED_BASE + PMSW_RESERVED_TRANSIT32);
	EXPECT_EQ(3, PMSW_HC_XL_REFUSED);
	/* PMSW_IOC_XL_STATE: the state page after a 16-byte header. */
	EXPECT_EQ(120, sizeof(struct pmsw_exitless_state));
	EXPECT_EQ(16, offsetof(struct pmsw_xl_state_op, state));
	EXPECT_EQ(136, sizeof(struct pmsw_xl_state_op));
	EXPECT_EQ(0x24, _IOC_NR(PMSW_IOC_XL_STATE));
	EXPECT_EQ(sizeof(struct pmsw_xl_state_op), _IOC_SIZE(PMSW_IOC_XL_STATE));
}

TEST_HARNESS_MAIN
