// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the native switch target's rules (kmod/
 * native_check.c, checks.rst 900-915): a well-formed target passes on
 * Bochs' Haswell capabilities, and each rule, broken alone, is reported
 * alone with its number and value.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "native_check.h"

#include "bochs_caps.h"

#define MEM	0x400000ULL

static struct pmsw_context target(void)
{
	struct pmsw_context c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.rip = 0x100000;
	c.rsp = 0x108000;
	c.rflags = 0x2;
	c.cr0 = 0x80000033;	/* PG, NE, ET, MP, PE */
	c.cr4 = 0x20;		/* PAE */
	c.efer = 0x500;		/* LMA, LME */
	c.pat = 0x0007040600070406ULL;
	for (i = 0; i < PMSW_NR_SEGS; i++)
		c.seg[i].selector = PMSW_NATIVE_SEL_DATA;
	c.seg[PMSW_SEG_CS].selector = PMSW_NATIVE_SEL_CODE;
	c.seg[PMSW_SEG_TR].selector = PMSW_NATIVE_SEL_TSS;
	c.seg[PMSW_SEG_TR].base = PMSW_RESERVED_BASE + PMSW_NATIVE_TSS;
	c.seg[PMSW_SEG_LDTR].selector = 0;
	c.gdtr.base = PMSW_RESERVED_BASE + PMSW_NATIVE_GDT;
	c.gdtr.limit = 0x27;
	c.idtr.base = PMSW_RESERVED_BASE + PMSW_NATIVE_IDT;
	c.idtr.limit = 0xfff;
	return c;
}

static unsigned int check(struct pmsw_context *c, struct pmsw_violation *v)
{
	struct pmsw_native_env env = { .caps = &haswell, .mem_bytes = MEM };

	memset(v, 0, sizeof(*v));
	return pmsw_native_check(c, &env, v, 1);
}

TEST(a_well_formed_target_passes)
{
	struct pmsw_context c = target();
	struct pmsw_violation v;

	EXPECT_EQ(0, check(&c, &v)) TH_LOG("rule %u: %s", v.rule, v.text);
	/* Its own tables in session memory are fine too. */
	c.gdtr.base = 0x101000;
	c.idtr.base = 0x102000;
	c.seg[PMSW_SEG_TR].base = 0x103000;
	EXPECT_EQ(0, check(&c, &v)) TH_LOG("rule %u: %s", v.rule, v.text);
}

#define BREAKS(name, rule_, value_, mutation)				\
	TEST(name)							\
	{								\
		struct pmsw_context c = target();			\
		struct pmsw_violation v;				\
									\
		mutation;						\
		EXPECT_EQ(1, check(&c, &v));				\
		EXPECT_EQ(rule_, v.rule) TH_LOG("%s", v.text);		\
		EXPECT_EQ((__u64)(value_), v.value);			\
	}

BREAKS(flags_are_refused, PMSW_RULE_NATIVE_FLAGS, PMSW_CONTEXT_F_VE,
       c.flags = PMSW_CONTEXT_F_VE)
BREAKS(a_32bit_target_is_refused, PMSW_RULE_NATIVE_64BIT, 0,
       c.efer = 0)
BREAKS(unknown_efer_bits_are_refused, PMSW_RULE_NATIVE_EFER, 0x4500,
       c.efer |= 0x4000)
BREAKS(cr0_without_ne_is_refused, PMSW_RULE_NATIVE_CR0, 0x80000013,
       c.cr0 &= ~0x20ULL)
BREAKS(cr4_beyond_fixed1_is_refused, PMSW_RULE_NATIVE_CR4, 0x20 | (1ULL << 30),
       c.cr4 |= 1ULL << 30)
BREAKS(pcid_is_refused, PMSW_RULE_NATIVE_CR4_WORLD, 0x20020,
       c.cr4 |= 0x20000)
BREAKS(a_cr3_is_refused, PMSW_RULE_NATIVE_CR3, 0x1000, c.cr3 = 0x1000)
BREAKS(a_selector_with_rpl_is_refused, PMSW_RULE_NATIVE_SELECTORS, 0x13,
       c.seg[PMSW_SEG_DS].selector = 0x13)
BREAKS(a_null_tr_is_refused, PMSW_RULE_NATIVE_SELECTORS, 0,
       c.seg[PMSW_SEG_TR].selector = 0)
BREAKS(a_cs_base_is_refused, PMSW_RULE_NATIVE_FLAT, 0x1000,
       c.seg[PMSW_SEG_CS].base = 0x1000)
BREAKS(a_noncanonical_gs_base_is_refused, PMSW_RULE_NATIVE_CANONICAL,
       0x0000800000000000ULL, c.seg[PMSW_SEG_GS].base = 0x0000800000000000ULL)
BREAKS(a_bad_pat_is_refused, PMSW_RULE_NATIVE_PAT, 0x0007040600070402ULL,
       c.pat = 0x0007040600070402ULL)
BREAKS(interrupts_on_is_refused, PMSW_RULE_NATIVE_RFLAGS, 0x202,
       c.rflags = 0x202)
BREAKS(rip_outside_memory_is_refused, PMSW_RULE_NATIVE_RIP, MEM,
       c.rip = MEM)
BREAKS(no_stack_is_refused, PMSW_RULE_NATIVE_RSP, 0, c.rsp = 0)
BREAKS(an_idt_elsewhere_is_refused, PMSW_RULE_NATIVE_TABLES, 0x80000000,
       c.idtr.base = 0x80000000)

TEST(rules_are_listed_in_order_and_fit_the_report)
{
	struct pmsw_rule_desc d;
	struct pmsw_violation v;
	__u32 last = 899;
	unsigned int i;

	for (i = 0; pmsw_native_rule_desc(i, &d); i++) {
		EXPECT_EQ(last + 1, d.rule);
		last = d.rule;
		EXPECT_LT(strlen(d.text), sizeof(v.text));
		EXPECT_LT(strlen(d.section), sizeof(v.section));
	}
	EXPECT_EQ(PMSW_RULE_NATIVE_TABLES, last);
}

TEST_HARNESS_MAIN
