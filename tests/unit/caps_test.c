// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the capability decoding (kmod/caps.c), fed with the
 * MSR values of the CPU models the test bed emulates and with crafted
 * values that take each rule away.
 */
#include "kselftest_harness.h"
#include "caps.h"
#include "check.h"

#include "bochs_caps.h"

TEST(haswell_reports_every_feature_it_has)
{
	EXPECT_EQ(PMSW_FEAT_ALL, pmsw_decode_features(&haswell));
}

TEST(secondary_controls_msr_is_ignored_without_control_31)
{
	struct pmsw_vmx_caps c = haswell;
	__u64 f;

	c.procbased_ctls &= ~(PMSW_PROC_SECONDARY_CTLS << 32);
	f = pmsw_decode_features(&c);
	EXPECT_EQ(0, f & PMSW_FEAT_SECONDARY_CTLS);
	EXPECT_EQ(0, f & (PMSW_FEAT_EPT | PMSW_FEAT_VPID |
			  PMSW_FEAT_UNRESTRICTED_GUEST | PMSW_FEAT_VMFUNC |
			  PMSW_FEAT_SHADOW_VMCS | PMSW_FEAT_EPT_VE));
	EXPECT_TRUE(f & PMSW_FEAT_PREEMPTION_TIMER);
}

TEST(ept_needs_a_4_level_walk_and_write_back_tables)
{
	struct pmsw_vmx_caps c = haswell;

	c.ept_vpid_cap &= ~PMSW_EPT_CAP_WB;
	EXPECT_EQ(0, pmsw_decode_features(&c) & PMSW_FEAT_EPT);
	c = haswell;
	c.ept_vpid_cap &= ~PMSW_EPT_CAP_WALK4;
	EXPECT_EQ(0, pmsw_decode_features(&c) & PMSW_FEAT_EPT);
}

TEST(unrestricted_guest_ve_and_eptp_switching_need_ept)
{
	struct pmsw_vmx_caps c = haswell;
	__u64 f;

	c.procbased_ctls2 &= ~(PMSW_PROC2_EPT << 32);
	f = pmsw_decode_features(&c);
	EXPECT_EQ(0, f & (PMSW_FEAT_EPT | PMSW_FEAT_UNRESTRICTED_GUEST |
			  PMSW_FEAT_EPT_VE | PMSW_FEAT_EPTP_SWITCHING));
	/* VPID and VM functions themselves do not depend on EPT. */
	EXPECT_TRUE(f & PMSW_FEAT_VPID);
	EXPECT_TRUE(f & PMSW_FEAT_VMFUNC);
}

TEST(eptp_switching_needs_vm_function_0)
{
	struct pmsw_vmx_caps c = haswell;

	c.vmfunc = 0;
	EXPECT_EQ(0, pmsw_decode_features(&c) & PMSW_FEAT_EPTP_SWITCHING);
	EXPECT_TRUE(pmsw_decode_features(&c) & PMSW_FEAT_VMFUNC);
}

TEST(no_true_controls_without_basic_bit_55)
{
	struct pmsw_vmx_caps c = haswell;

	c.basic &= ~PMSW_BASIC_TRUE_CTLS;
	EXPECT_EQ(0, pmsw_decode_features(&c) & PMSW_FEAT_TRUE_CTLS);
}

TEST(all_zero_capabilities_decode_to_nothing)
{
	struct pmsw_vmx_caps c = { 0 };

	EXPECT_EQ(0, pmsw_decode_features(&c));
}

TEST(every_feature_bit_has_a_name)
{
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		if (PMSW_FEAT_ALL & (1ULL << bit)) {
			EXPECT_NE(NULL, pmsw_feature_name(bit));
		} else {
			EXPECT_EQ(NULL, pmsw_feature_name(bit));
		}
	}
	EXPECT_STREQ("ept", pmsw_feature_name(2));
}

TEST(adjust_ctls_forces_default1_and_drops_unsupported_optional)
{
	/* allowed-0: bits 1,2 must be 1; allowed-1: bits 1,2,4,6 may be 1. */
	__u64 cap = (0x56ULL << 32) | 0x06;
	__u32 out = 0;

	ASSERT_EQ(0, pmsw_adjust_ctls(0x10, 0x01 | 0x40, cap, &out));
	EXPECT_EQ(0x56, out);
	ASSERT_EQ(0, pmsw_adjust_ctls(0, 0, cap, &out));
	EXPECT_EQ(0x06, out);
}

TEST(adjust_ctls_fails_when_a_required_control_cannot_be_1)
{
	__u64 cap = (0x56ULL << 32) | 0x06;
	__u32 out = 0xdead;

	EXPECT_EQ(-EOPNOTSUPP, pmsw_adjust_ctls(0x08, 0, cap, &out));
	EXPECT_EQ(0xdead, out);
}

TEST(cr_fixed_bits)
{
	/* Linux's usual CR0: PE, MP, ET, NE, WP, AM, PG. */
	EXPECT_TRUE(pmsw_cr_fixed_ok(0x80050033, haswell.cr0_fixed0,
				     haswell.cr0_fixed1));
	/* PG clear violates FIXED0. */
	EXPECT_FALSE(pmsw_cr_fixed_ok(0x00050033, haswell.cr0_fixed0,
				      haswell.cr0_fixed1));
	/* CR4 without VMXE violates FIXED0, with LA57 (bit 12) FIXED1. */
	EXPECT_TRUE(pmsw_cr_fixed_ok((0x3606f0 & 0x1727ff) | 0x2000,
				     haswell.cr4_fixed0, haswell.cr4_fixed1));
	EXPECT_FALSE(pmsw_cr_fixed_ok(0x6f0, haswell.cr4_fixed0,
				      haswell.cr4_fixed1));
	EXPECT_FALSE(pmsw_cr_fixed_ok(0x26f0 | (1 << 12), haswell.cr4_fixed0,
				      haswell.cr4_fixed1));
}

TEST(vmx_basic_usability)
{
	EXPECT_EQ(NULL, pmsw_vmx_basic_unusable(haswell.basic));
	EXPECT_NE(NULL, pmsw_vmx_basic_unusable(haswell.basic & ~0x7fffffffULL));
	EXPECT_NE(NULL, pmsw_vmx_basic_unusable(haswell.basic | PMSW_BASIC_PA32));
	/* Region size 0 and 8 KiB. */
	EXPECT_NE(NULL, pmsw_vmx_basic_unusable(haswell.basic & ~(0x1fffULL << 32)));
	EXPECT_NE(NULL, pmsw_vmx_basic_unusable((haswell.basic & ~(0x1fffULL << 32)) |
						 (0x2000ULL << 32)));
	/* Uncacheable (0) VMCS memory type. */
	EXPECT_NE(NULL, pmsw_vmx_basic_unusable(haswell.basic & ~(0xfULL << 50)));
	EXPECT_EQ(0x2b, pmsw_basic_revision(haswell.basic));
	EXPECT_EQ(4096, pmsw_basic_vmcs_size(haswell.basic));
}

/* A CPU as Linux runs it under Bochs: VMXON may go ahead. */
static struct pmsw_vmxon_env ready_env(void)
{
	struct pmsw_vmxon_env env = {
		.vmx = true,
		.fc_readable = true,
		.feature_control = PMSW_FC_LOCKED | PMSW_FC_VMX_OUTSIDE_SMX,
		.cr0 = 0x80050033,
		.cr4 = 0x3606f0 & 0x1727ff,
		.caps = &haswell,
	};
	return env;
}

TEST(vmxon_allowed_on_a_ready_cpu)
{
	struct pmsw_vmxon_env env = ready_env();
	const char *why = "unset";

	EXPECT_EQ(0, pmsw_vmxon_check(&env, &why));
	EXPECT_EQ(NULL, why);
}

TEST(vmxon_refused_enodev_without_vmx)
{
	struct pmsw_vmxon_env env = ready_env();
	const char *why;

	env.vmx = false;
	EXPECT_EQ(-ENODEV, pmsw_vmxon_check(&env, &why));
	EXPECT_STREQ("no VMX on this CPU (CPUID.1:ECX.VMX = 0)", why);
}

TEST(vmxon_refused_ebusy_when_another_hypervisor_set_cr4_vmxe)
{
	struct pmsw_vmxon_env env = ready_env();
	const char *why;

	env.cr4_vmxe = true;
	EXPECT_EQ(-EBUSY, pmsw_vmxon_check(&env, &why));
	EXPECT_NE(NULL, strstr(why, "another hypervisor"));
}

TEST(vmxon_refused_when_feature_control_is_unlocked)
{
	struct pmsw_vmxon_env env = ready_env();
	const char *why;

	env.feature_control = PMSW_FC_VMX_OUTSIDE_SMX;
	EXPECT_EQ(-EOPNOTSUPP, pmsw_vmxon_check(&env, &why));
	EXPECT_NE(NULL, strstr(why, "not locked"));
	env = ready_env();
	env.fc_readable = false;
	EXPECT_EQ(-EOPNOTSUPP, pmsw_vmxon_check(&env, &why));
}

TEST(vmxon_refused_when_firmware_locked_vmx_off)
{
	struct pmsw_vmxon_env env = ready_env();
	const char *why;

	/* Locked, VMX allowed only inside SMX. */
	env.feature_control = PMSW_FC_LOCKED | PMSW_FC_VMX_INSIDE_SMX;
	EXPECT_EQ(-EOPNOTSUPP, pmsw_vmxon_check(&env, &why));
	EXPECT_NE(NULL, strstr(why, "VT-x disabled by firmware"));
}

TEST(vmxon_refused_when_vmx_basic_is_unusable)
{
	struct pmsw_vmx_caps c = haswell;
	struct pmsw_vmxon_env env = ready_env();
	const char *why;

	c.basic &= ~(0xfULL << 50);
	env.caps = &c;
	EXPECT_EQ(-EOPNOTSUPP, pmsw_vmxon_check(&env, &why));
	EXPECT_NE(NULL, strstr(why, "write-back"));
}

TEST(vmxon_refused_when_cr0_or_cr4_violate_fixed_bits)
{
	struct pmsw_vmxon_env env = ready_env();
	const char *why;

	env.cr0 &= ~1ULL;	/* PE */
	EXPECT_EQ(-EOPNOTSUPP, pmsw_vmxon_check(&env, &why));
	EXPECT_NE(NULL, strstr(why, "CR0"));
	env = ready_env();
	env.cr4 |= 1ULL << 12;	/* LA57, not in Haswell's FIXED1 */
	EXPECT_EQ(-EOPNOTSUPP, pmsw_vmxon_check(&env, &why));
	EXPECT_NE(NULL, strstr(why, "CR4"));
}

TEST(derived_env_has_every_exit_pmswitch_relies_on)
{
	struct pmsw_check_env env;
	const char *why;

	ASSERT_EQ(0, pmsw_derive_env(&haswell, 39, &env, &why));
	EXPECT_EQ(&haswell, env.caps);
	EXPECT_EQ(39, env.phys_bits);
	EXPECT_TRUE(env.pin & PMSW_PIN_EXT_INTR_EXITING);
	EXPECT_TRUE(env.pin & PMSW_PIN_NMI_EXITING);
	EXPECT_TRUE(env.pin & PMSW_PIN_PREEMPTION_TIMER);
	EXPECT_TRUE(env.pin & PMSW_PIN_VIRTUAL_NMIS);
	/* Default-1 controls of the TRUE MSR's allowed-0 half stay set. */
	EXPECT_EQ(pmsw_allowed0(haswell.pinbased_ctls),
		  env.pin & pmsw_allowed0(haswell.pinbased_ctls));
	EXPECT_TRUE(env.proc & PMSW_PROC_HLT_EXITING);
	EXPECT_TRUE(env.proc & PMSW_PROC_UNCOND_IO_EXITING);
	EXPECT_TRUE(env.proc & PMSW_PROC_MOV_DR_EXITING);
	EXPECT_TRUE(env.proc & PMSW_PROC_CR8_LOAD_EXITING);
	EXPECT_EQ(0, env.proc & PMSW_PROC_USE_MSR_BITMAPS);
	EXPECT_TRUE(env.proc2 & PMSW_PROC2_EPT);
	EXPECT_TRUE(env.proc2 & PMSW_PROC2_UNRESTRICTED_GUEST);
	EXPECT_TRUE(env.exit & PMSW_EXIT_HOST_ADDR_SPACE_SIZE);
	EXPECT_TRUE(env.entry & PMSW_ENTRY_LOAD_EFER);
	EXPECT_EQ(0, env.entry & PMSW_ENTRY_IA32E_MODE);
}

/* Virtual NMIs are wanted, not required: rule 730 covers their absence. */
TEST(derived_env_does_without_virtual_nmis)
{
	struct pmsw_vmx_caps c = haswell;
	struct pmsw_check_env env;
	const char *why;

	c.pinbased_ctls &= ~((__u64)PMSW_PIN_VIRTUAL_NMIS << 32);
	ASSERT_EQ(0, pmsw_derive_env(&c, 39, &env, &why));
	EXPECT_EQ(0, env.pin & PMSW_PIN_VIRTUAL_NMIS);
	EXPECT_TRUE(env.pin & PMSW_PIN_NMI_EXITING);
}

TEST(derived_env_fails_without_ept)
{
	struct pmsw_vmx_caps c = haswell;
	struct pmsw_check_env env;
	const char *why;

	c.procbased_ctls2 &= ~((__u64)PMSW_PROC2_EPT << 32);
	EXPECT_EQ(-EOPNOTSUPP, pmsw_derive_env(&c, 39, &env, &why));
	EXPECT_STREQ("the CPU does not allow secondary processor-based control 1 (enable EPT), which pmswitch requires (SDM A.3)",
		     why);
}

/* Penryn (Bochs core2_penryn_t9600) lacks EPT and EFER/PAT loading. */
TEST(derived_env_names_the_first_missing_control)
{
	struct pmsw_vmx_caps c = haswell;
	struct pmsw_check_env env;
	const char *why;

	c.entry_ctls &= ~((__u64)(PMSW_ENTRY_LOAD_EFER | PMSW_ENTRY_LOAD_PAT) << 32);
	EXPECT_EQ(-EOPNOTSUPP, pmsw_derive_env(&c, 39, &env, &why));
	EXPECT_STREQ("the CPU does not allow VM-entry control 14 (load IA32_PAT), which pmswitch requires (SDM A.3)",
		     why);

	c.procbased_ctls2 &= ~((__u64)PMSW_PROC2_EPT << 32);
	EXPECT_EQ(-EOPNOTSUPP, pmsw_derive_env(&c, 39, &env, &why));
	EXPECT_NE(NULL, strstr(why, "(enable EPT)"));

	c.procbased_ctls &= ~((__u64)PMSW_PROC_MOV_DR_EXITING << 32);
	EXPECT_EQ(-EOPNOTSUPP, pmsw_derive_env(&c, 39, &env, &why));
	EXPECT_NE(NULL, strstr(why, "processor-based control 23 (MOV-DR exiting)"));
}

TEST(invvpid_type_prefers_single_context_and_needs_invvpid)
{
	struct pmsw_vmx_caps c = haswell;

	/* Bochs Haswell: EPT_VPID_CAP 0x00000f0106334141, bits 32, 40-43. */
	EXPECT_EQ(1, pmsw_invvpid_type(&c));
	c.ept_vpid_cap &= ~PMSW_VPID_CAP_SINGLE;
	EXPECT_EQ(2, pmsw_invvpid_type(&c));
	c.ept_vpid_cap &= ~PMSW_VPID_CAP_ALL;
	EXPECT_EQ(0, pmsw_invvpid_type(&c));
	c = haswell;
	c.ept_vpid_cap &= ~PMSW_VPID_CAP_INVVPID;
	EXPECT_EQ(0, pmsw_invvpid_type(&c));
	c = haswell;
	c.procbased_ctls2 &= ~((__u64)PMSW_PROC2_VPID << 32);
	EXPECT_EQ(0, pmsw_invvpid_type(&c));
}

TEST_HARNESS_MAIN
