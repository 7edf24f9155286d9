// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the software VM-entry checks (kmod/check.c): a valid
 * context for each mode passes; for every rule a case breaks exactly that
 * rule on an otherwise valid context and expects the exact report first;
 * the parts each rule declares are checked against what it reads.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "caps.h"
#include "check.h"
#include "ctxmap.h"
#include "vmcs_fields.h"

#include "bochs_caps.h"

#define PHYS_BITS	39
/* Session memory of the environments below: what views must lie in. */
#define MEM_BYTES	0x400000ULL

#define CR0_PE		0x1ULL
#define CR0_ET		0x10ULL
#define CR0_NE		0x20ULL
#define CR0_WP		0x10000ULL
#define CR0_PG		0x80000000ULL
#define CR4_PAE		0x20ULL
#define CR4_LA57	0x1000ULL
#define CR4_VMXE	0x2000ULL
#define CR4_PCIDE	0x20000ULL
#define CR4_KL		0x80000ULL
#define CR4_PKE		0x400000ULL
#define CR4_CET		0x800000ULL
#define CR4_FRED	(1ULL << 32)
#define EFER_LME	0x100ULL
#define RFLAGS_TF	0x100ULL
#define RFLAGS_IF	0x200ULL
#define RFLAGS_VM	0x20000ULL
#define NONCANONICAL	0x0000800000000000ULL
#define CANONICAL57	0x00ff000000000000ULL	/* canonical with 57 bits only */
#define PAT_DEFAULT	0x0007040600070406ULL

/* Access rights (SDM 25.4.1): G, D/B, P, S, type. */
#define AR_CODE32	0xc09b		/* G D P S, execute/read accessed */
#define AR_DATA32	0xc093		/* G B P S, read/write accessed */
#define AR_CODE64	0xa09b		/* G L P S, execute/read accessed */
#define AR_CODE16	0x009b
#define AR_DATA16	0x0093
#define AR_TSS_BUSY	0x008b		/* P, 32/64-bit busy TSS */
#define AR_LDT		0x0082		/* P, LDT */
#define AR_V86		0x00f3

enum mode { FLAT, PAGING, PAE, LONG64, REAL, V86, NR_MODES };

static const char *const mode_name[NR_MODES] = {
	"flat", "paging", "pae", "long64", "real", "v86",
};

static void set_seg(struct pmsw_segment *s, __u32 sel, __u64 base,
		    __u32 limit, __u32 ar)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->ar = ar;
	s->reserved = 0;
}

/* 32-bit flat segments: CS 0x08, data 0x10, TSS 0x18, no LDT. */
static void flat_segments(struct pmsw_context *c)
{
	unsigned int i;

	for (i = 0; i < PMSW_NR_SEGS; i++)
		set_seg(&c->seg[i], 0x10, 0, 0xffffffff, AR_DATA32);
	set_seg(&c->seg[PMSW_SEG_CS], 0x08, 0, 0xffffffff, AR_CODE32);
	set_seg(&c->seg[PMSW_SEG_TR], 0x18, 0x3000, 0x67, AR_TSS_BUSY);
	set_seg(&c->seg[PMSW_SEG_LDTR], 0, 0, 0, PMSW_AR_UNUSABLE);
}

/* Virtual-8086 segments: selector (i+1) * 0x1000, base selector << 4. */
static void v86_segments(struct pmsw_context *c)
{
	unsigned int i;

	for (i = PMSW_SEG_ES; i <= PMSW_SEG_GS; i++)
		set_seg(&c->seg[i], (i + 1) * 0x1000, (i + 1) * 0x10000ULL,
			0xffff, AR_V86);
}

/* A valid context for each mode (unrestricted guest for REAL and FLAT). */
static struct pmsw_context valid_ctx(enum mode m)
{
	struct pmsw_context c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.rflags = 0x2;
	c.dr7 = 0x400;
	c.pat = PAT_DEFAULT;
	c.gdtr.base = 0x1000;
	c.gdtr.limit = 0x3f;
	c.idtr.base = 0x2000;
	c.idtr.limit = 0x7ff;
	c.rip = 0x100000;
	c.rsp = 0x200000;
	flat_segments(&c);

	switch (m) {
	case FLAT:
		c.cr0 = CR0_PE | CR0_ET;
		break;
	case PAGING:
		c.cr0 = CR0_PG | CR0_PE | CR0_ET;
		c.cr3 = 0x4000;
		c.cr4 = 0x10;			/* PSE */
		break;
	case PAE:
		c.cr0 = CR0_PG | CR0_PE | CR0_ET;
		c.cr3 = 0x5000;
		c.cr4 = CR4_PAE;
		c.efer = 0x800;			/* NXE */
		c.pdpte[0] = 0x6001;
		break;
	case LONG64:
		c.cr0 = 0x80050033;		/* PG AM WP NE ET MP PE */
		c.cr3 = 0x7000;
		c.cr4 = 0x6a0;			/* OSXMMEXCPT OSFXSR PGE PAE */
		c.efer = 0xd01;			/* NXE LMA LME SCE */
		c.rip = 0xffffffff81000000ULL;
		c.rsp = 0xffffc90000010000ULL;
		c.sysenter_esp = 0xfffffe0000000000ULL;
		c.sysenter_eip = 0xffffffff81800000ULL;
		c.cr2 = 0x7fff00001000ULL;
		c.star = 0x0023001000000000ULL;
		c.lstar = 0xffffffff81a00080ULL;
		c.cstar = 0xffffffff81a001c0ULL;
		c.sfmask = 0x47700;
		c.kernel_gs_base = 0x7fff12350000ULL;
		c.gdtr.base = 0xffffffff82001000ULL;
		c.gdtr.limit = 0x7f;
		c.idtr.base = 0xffffffff82002000ULL;
		c.idtr.limit = 0xfff;
		set_seg(&c.seg[PMSW_SEG_CS], 0x10, 0, 0xffffffff, AR_CODE64);
		for (i = PMSW_SEG_FS; i <= PMSW_SEG_GS; i++)
			set_seg(&c.seg[i], 0, 0x7fff12340000ULL, 0,
				PMSW_AR_UNUSABLE);
		set_seg(&c.seg[PMSW_SEG_TR], 0x28, 0xffffffff82000000ULL,
			0x67, AR_TSS_BUSY);
		break;
	case REAL:
		c.cr0 = 0x60000010;		/* CD NW ET: the reset value */
		c.rip = 0xfff0;
		c.rsp = 0;
		c.gdtr.base = 0;
		c.gdtr.limit = 0xffff;
		c.idtr.base = 0;
		c.idtr.limit = 0xffff;
		for (i = PMSW_SEG_ES; i <= PMSW_SEG_GS; i++)
			set_seg(&c.seg[i], 0, 0, 0xffff, AR_DATA16);
		set_seg(&c.seg[PMSW_SEG_CS], 0xf000, 0xf0000, 0xffff,
			AR_CODE16);
		set_seg(&c.seg[PMSW_SEG_TR], 0, 0, 0xffff, AR_TSS_BUSY);
		set_seg(&c.seg[PMSW_SEG_LDTR], 0, 0, 0xffff, AR_LDT);
		break;
	case V86:
		c.cr0 = CR0_PE | CR0_ET;
		c.rflags = 0x2 | RFLAGS_VM;
		c.rip = 0x100;
		v86_segments(&c);
		break;
	default:
		abort();
	}
	return c;
}

static __u32 ctls(__u32 required, __u64 cap)
{
	__u32 out;

	if (pmsw_adjust_ctls(required, 0, cap, &out))
		abort();
	return out;
}

/* The controls the monitor uses, folded into what Haswell accepts. */
static struct pmsw_check_env valid_env(enum mode m,
				       const struct pmsw_vmx_caps *caps)
{
	struct pmsw_check_env e = {
		.caps = caps,
		.phys_bits = PHYS_BITS,
		.mem_bytes = MEM_BYTES,
	};
	__u32 entry = PMSW_ENTRY_LOAD_DEBUG | PMSW_ENTRY_LOAD_PAT |
		      PMSW_ENTRY_LOAD_EFER;

	if (m == LONG64)
		entry |= PMSW_ENTRY_IA32E_MODE;
	e.pin = ctls(PMSW_PIN_EXT_INTR_EXITING | PMSW_PIN_NMI_EXITING |
		     PMSW_PIN_VIRTUAL_NMIS, caps->pinbased_ctls);
	e.proc = ctls(PMSW_PROC_SECONDARY_CTLS, caps->procbased_ctls);
	e.proc2 = ctls(PMSW_PROC2_EPT | PMSW_PROC2_UNRESTRICTED_GUEST,
		       caps->procbased_ctls2);
	e.exit = ctls(PMSW_EXIT_HOST_ADDR_SPACE_SIZE | PMSW_EXIT_SAVE_PAT |
		      PMSW_EXIT_LOAD_PAT | PMSW_EXIT_SAVE_EFER |
		      PMSW_EXIT_LOAD_EFER, caps->exit_ctls);
	e.entry = ctls(entry, caps->entry_ctls);
	return e;
}

static void no_unrestricted_guest(struct pmsw_check_env *e)
{
	e->proc2 &= ~PMSW_PROC2_UNRESTRICTED_GUEST;
}

#define MAX_OUT	256

static void dump(struct __test_metadata *_metadata,
		 const struct pmsw_violation *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < MAX_OUT; i++)
		TH_LOG("rule %u (%s, field %#x = %#llx): %s", out[i].rule,
		       out[i].section, out[i].field,
		       (unsigned long long)out[i].value, out[i].text);
}

/*
 * All violations of @c; logged when their number is not @expect (-1:
 * when there are none).
 */
static unsigned int check_all_expect(struct __test_metadata *_metadata,
				     const struct pmsw_context *c,
				     const struct pmsw_check_env *e,
				     struct pmsw_violation *out, int expect)
{
	unsigned int n = pmsw_check_context(c, e, PMSW_CP_ALL, out, MAX_OUT);

	if (expect < 0 ? n == 0 : n != (unsigned int)expect)
		dump(_metadata, out, n);
	return n;
}

#define check_all(_metadata, c, e, out)	check_all_expect(_metadata, c, e, out, 0)
#define check_broken(_metadata, c, e, out) \
	check_all_expect(_metadata, c, e, out, -1)

static bool has_rule(const struct pmsw_violation *out, unsigned int n,
		     __u32 rule)
{
	unsigned int i;

	for (i = 0; i < n && i < MAX_OUT; i++)
		if (out[i].rule == rule)
			return true;
	return false;
}

static bool rule_desc(__u32 rule, struct pmsw_rule_desc *d)
{
	unsigned int i;

	for (i = 0; pmsw_check_rule_desc(i, d); i++)
		if (d->rule == rule)
			return true;
	return false;
}

/* ---- valid contexts ------------------------------------------------ */

static void expect_valid(struct __test_metadata *_metadata, enum mode m,
			 bool ug)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(m);
	struct pmsw_check_env e = valid_env(m, &haswell);

	if (!ug)
		no_unrestricted_guest(&e);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out))
		TH_LOG("mode %s, unrestricted guest %d", mode_name[m], ug);
}

TEST(flat_protected_mode_without_paging_is_valid)
{
	expect_valid(_metadata, FLAT, true);
}

TEST(protected_mode_with_32bit_paging_is_valid)
{
	expect_valid(_metadata, PAGING, true);
}

TEST(protected_mode_with_pae_paging_is_valid)
{
	expect_valid(_metadata, PAE, true);
}

TEST(ia32e_64bit_mode_is_valid)
{
	expect_valid(_metadata, LONG64, true);
}

TEST(real_mode_is_valid_with_unrestricted_guest)
{
	expect_valid(_metadata, REAL, true);
}

TEST(virtual_8086_mode_is_valid)
{
	expect_valid(_metadata, V86, true);
}

TEST(paging_modes_are_valid_without_unrestricted_guest)
{
	expect_valid(_metadata, PAGING, false);
	expect_valid(_metadata, PAE, false);
	expect_valid(_metadata, LONG64, false);
}

/* ---- PMSW_CONTEXT_F_CPU_CHECKS: the CPU judges ------------------------ */

TEST(cpu_checks_flag_skips_the_sdm_rules)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &haswell);

	c.seg[PMSW_SEG_CS].ar |= PMSW_AR_DB;	/* L=1 with D=1: rule 266 */
	c.rflags &= ~2ULL;			/* bit 1 clear: rule 403 */
	EXPECT_EQ(2, check_all(_metadata, &c, &e, out));
	c.flags = PMSW_CONTEXT_F_CPU_CHECKS;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(cpu_checks_flag_keeps_the_host_and_abi_rules)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &haswell);

	c.flags = PMSW_CONTEXT_F_CPU_CHECKS;
	c.cr4 |= 1ULL << 22;			/* PKE: rule 710 */
	c.reserved[0] = 1;			/* rule 3 */
	ASSERT_EQ(2, check_all(_metadata, &c, &e, out));
	EXPECT_EQ(PMSW_RULE_CTX_RESERVED, out[0].rule);
	EXPECT_EQ(710, out[1].rule);
}

/* ---- guest CR0/CR4 -------------------------------------------------- */

TEST(guest_cr0_forces_ne_and_leaves_pe_pg_to_an_unrestricted_guest)
{
	struct pmsw_context c = valid_ctx(REAL);
	struct pmsw_check_env e = valid_env(REAL, &haswell);

	EXPECT_EQ(0x60000030, pmsw_guest_cr0(&c, &e));
}

TEST(guest_cr0_forces_pe_and_pg_without_unrestricted_guest)
{
	struct pmsw_context c = valid_ctx(REAL);
	struct pmsw_check_env e = valid_env(REAL, &haswell);

	no_unrestricted_guest(&e);
	EXPECT_EQ(0xe0000031, pmsw_guest_cr0(&c, &e));
	/* Secondary controls count only with primary control 31. */
	e = valid_env(REAL, &haswell);
	e.proc &= ~PMSW_PROC_SECONDARY_CTLS;
	EXPECT_EQ(0xe0000031, pmsw_guest_cr0(&c, &e));
}

TEST(guest_cr4_forces_vmxe)
{
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &haswell);

	EXPECT_EQ(0x6a0 | CR4_VMXE, pmsw_guest_cr4(&c, &e));
}

TEST(bits_forced_and_hidden_by_the_read_shadow_are_no_violation)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &haswell);

	c.cr0 &= ~CR0_NE;
	c.cr4 &= ~CR4_VMXE;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(unrestricted_guest_needs_the_secondary_controls_active)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	e.proc &= ~PMSW_PROC_SECONDARY_CTLS;
	ASSERT_LE(1, check_broken(_metadata, &c, &e, out));
	EXPECT_EQ(PMSW_RULE_CR0_PE_PG_FORCED, out[0].rule);
}

/* ---- one case per rule ---------------------------------------------- */

typedef void (*mutate_fn)(struct pmsw_context *c, struct pmsw_check_env *e,
			  struct pmsw_vmx_caps *caps);

/* Rules that some case below breaks, filled by the cases' constructors. */
static __u32 covered[512];
static unsigned int nr_covered;

static void cover(__u32 rule)
{
	if (nr_covered < PMSW_ARRAY_SIZE(covered))
		covered[nr_covered++] = rule;
}

FIXTURE(rule) {
	struct pmsw_vmx_caps base_caps, caps;
	struct pmsw_context base, ctx;
	struct pmsw_check_env base_env, env;
};

FIXTURE_VARIANT(rule) {
	enum mode mode;
	mutate_fn mutate;
	__u32 rule;
	const char *section;
	__u32 field;
	__u64 value;
	bool alone;	/* the case breaks no other rule */
};

FIXTURE_SETUP(rule)
{
	self->base_caps = haswell;
	self->caps = haswell;
	self->base = valid_ctx(variant->mode);
	self->base_env = valid_env(variant->mode, &self->base_caps);
	self->ctx = self->base;
	self->env = valid_env(variant->mode, &self->caps);
	variant->mutate(&self->ctx, &self->env, &self->caps);
}

FIXTURE_TEARDOWN(rule)
{
}

/*
 * BREAK(name, mode, rule, section, field, value) { mutation } declares a
 * case: on the valid context of @mode, the mutation breaks @rule, which
 * must be reported first with @section, @field and @value. BREAK_HOST
 * declares one of a host-protection rule, which must be the only one
 * reported. (BREAK_CASE takes the whole PMSW_RULE_* name, so that rule
 * names are pasted before any macro of this file could expand them.)
 */
#define BREAK_CASE(name, m, r, sect, fld, val, alone_)			\
	static void name##_mutate(struct pmsw_context *c,		\
				  struct pmsw_check_env *e,		\
				  struct pmsw_vmx_caps *caps);		\
	FIXTURE_VARIANT_ADD(rule, name) {				\
		.mode = m, .mutate = name##_mutate,			\
		.rule = r, .section = sect,				\
		.field = fld, .value = val, .alone = alone_,		\
	};								\
	static void __attribute__((constructor)) name##_cover(void)	\
	{								\
		cover(r);						\
	}								\
	static void name##_mutate(					\
		struct pmsw_context __attribute__((unused)) *c,		\
		struct pmsw_check_env __attribute__((unused)) *e,	\
		struct pmsw_vmx_caps __attribute__((unused)) *caps)

#define BREAK(name, m, r, sect, fld, val) \
	BREAK_CASE(name, m, PMSW_RULE_##r, sect, fld, val, false)
/* The host-protection cases break their rule and nothing else. */
#define BREAK_HOST(name, m, r, fld, val) \
	BREAK_CASE(name, m, PMSW_RULE_##r, S_HOST, fld, val, true)

#define S_CTX	"pmswitch.h"
#define S_CR	"27.3.1.1"
#define S_SEG	"27.3.1.2"
#define S_DT	"27.3.1.3"
#define S_RIP	"27.3.1.4"
#define S_NR	"27.3.1.5"
#define S_PDPTE	"27.3.1.6"
#define S_HOST	"pmswitch host"
#define G(name)	VMCS_GUEST_##name
#define SEG(c, r)	((c)->seg[PMSW_SEG_##r])

/* 1-99: the context as an ABI structure. */
BREAK(size_other_than_sizeof_is_refused, FLAT, CTX_SIZE, S_CTX, 0,
	sizeof(struct pmsw_context) - 8)
{
	c->size -= 8;
}

BREAK(unknown_flags_are_refused, FLAT, CTX_FLAGS, S_CTX, 0, 8)
{
	c->flags = 8;
}

/* The last word: ABI version 3 left two. */
BREAK(nonzero_reserved_word_is_refused, FLAT, CTX_RESERVED, S_CTX, 0, 0x55)
{
	c->reserved[PMSW_ARRAY_SIZE(c->reserved) - 1] = 0x55;
}

BREAK(nonzero_segment_reserved_is_refused, FLAT, SEG_RESERVED, S_CTX, 0, 7)
{
	SEG(c, GS).reserved = 7;
}

BREAK(nonzero_idtr_reserved_is_refused, FLAT, DTABLE_RESERVED, S_CTX, 0, 9)
{
	c->idtr.reserved = 9;
}

/* 100-199: 27.3.1.1. */
BREAK(cr0_without_pe_pg_is_refused_without_unrestricted_guest, FLAT,
	CR0_PE_PG_FORCED, S_CR, G(CR0), CR0_PE | CR0_ET)
{
	no_unrestricted_guest(e);
}

BREAK(cr0_bit_beyond_fixed1_is_refused, FLAT, CR0_FIXED1, S_CR, G(CR0),
	(1ULL << 32) | CR0_NE | CR0_ET | CR0_PE)
{
	c->cr0 |= 1ULL << 32;
}

BREAK(cr0_paging_without_protection_is_refused, PAGING, CR0_PG_WITHOUT_PE,
	S_CR, G(CR0), CR0_PG | CR0_NE | CR0_ET)
{
	c->cr0 &= ~CR0_PE;
}

BREAK(cr4_la57_beyond_fixed1_is_refused, FLAT, CR4_FIXED1, S_CR, G(CR4),
	CR4_LA57 | CR4_VMXE)
{
	c->cr4 |= CR4_LA57;
}

BREAK(cr4_cet_without_cr0_wp_is_refused, LONG64, CR4_CET_WITHOUT_WP, S_CR,
	G(CR0), 0x80040033)
{
	caps->cr4_fixed1 |= CR4_CET;
	c->cr4 |= CR4_CET;
	c->cr0 &= ~CR0_WP;
}

BREAK(ia32e_mode_without_paging_is_refused, LONG64, IA32E_WITHOUT_PG, S_CR,
	G(CR0), 0x00050033)
{
	c->cr0 &= ~CR0_PG;
}

BREAK(ia32e_mode_without_pae_is_refused, LONG64, IA32E_WITHOUT_PAE, S_CR,
	G(CR4), 0x680 | CR4_VMXE)
{
	c->cr4 &= ~CR4_PAE;
}

BREAK(pcide_outside_ia32e_mode_is_refused, FLAT, PCIDE_WITHOUT_IA32E, S_CR,
	G(CR4), CR4_PCIDE | CR4_VMXE)
{
	c->cr4 |= CR4_PCIDE;
}

BREAK(cr3_beyond_the_physical_address_width_is_refused, PAGING,
	CR3_RESERVED, S_CR, G(CR3), (1ULL << PHYS_BITS) | 0x4000)
{
	c->cr3 |= 1ULL << PHYS_BITS;
}

BREAK(dr7_high_half_is_refused, FLAT, DR7_HIGH, S_CR, G(DR7),
	(1ULL << 32) | 0x400)
{
	c->dr7 |= 1ULL << 32;
}

BREAK(noncanonical_sysenter_esp_is_refused, LONG64, SYSENTER_ESP, S_CR,
	G(SYSENTER_ESP), NONCANONICAL)
{
	c->sysenter_esp = NONCANONICAL;
}

BREAK(noncanonical_sysenter_eip_is_refused, LONG64, SYSENTER_EIP, S_CR,
	G(SYSENTER_EIP), NONCANONICAL)
{
	c->sysenter_eip = NONCANONICAL;
}

BREAK(pat_with_reserved_memory_type_2_is_refused, FLAT, PAT, S_CR,
	G(IA32_PAT), 0x0007040600070206ULL)
{
	c->pat = 0x0007040600070206ULL;
}

BREAK(efer_reserved_bit_is_refused, FLAT, EFER_RESERVED, S_CR,
	G(IA32_EFER), 0x4000)
{
	c->efer |= 0x4000;	/* FFXSR: AMD only */
}

BREAK(efer_lma_disagreeing_with_the_entry_control_is_refused, LONG64,
	EFER_LMA, S_CR, G(IA32_EFER), 0xd01)
{
	e->entry &= ~PMSW_ENTRY_IA32E_MODE;
}

BREAK(efer_lme_without_lma_under_paging_is_refused, PAE, EFER_LME, S_CR,
	G(IA32_EFER), 0x900)
{
	c->efer |= EFER_LME;
}

/* 200-299: 27.3.1.2, selectors. */
BREAK(tr_selector_pointing_into_the_ldt_is_refused, FLAT, TR_SEL_TI, S_SEG,
	G(TR_SELECTOR), 0x1c)
{
	SEG(c, TR).selector |= 4;
}

BREAK(usable_ldtr_selector_pointing_into_the_ldt_is_refused, REAL,
	LDTR_SEL_TI, S_SEG, G(LDTR_SELECTOR), 0x4)
{
	SEG(c, LDTR).selector = 4;
}

BREAK(ss_rpl_other_than_cs_rpl_is_refused_without_unrestricted_guest, LONG64,
	SS_RPL, S_SEG, G(SS_SELECTOR), 0x1b)
{
	no_unrestricted_guest(e);
	SEG(c, SS).selector = 0x1b;
}

/* Bases. */
#define V86_SEL(r)	((PMSW_SEG_##r + 1) * 0x1000)
#define V86_BASE(r)	((PMSW_SEG_##r + 1) * 0x10000ULL)

#define BREAK_V86_BASE(name, r)						\
	BREAK(name, V86, V86_BASE_##r, S_SEG, G(r##_BASE),		\
	      V86_BASE(r) + 0x10)					\
	{								\
		SEG(c, r).base += 0x10;					\
	}
BREAK_V86_BASE(v86_cs_base_other_than_selector_times_16_is_refused, CS)
BREAK_V86_BASE(v86_ss_base_other_than_selector_times_16_is_refused, SS)
BREAK_V86_BASE(v86_ds_base_other_than_selector_times_16_is_refused, DS)
BREAK_V86_BASE(v86_es_base_other_than_selector_times_16_is_refused, ES)
BREAK_V86_BASE(v86_fs_base_other_than_selector_times_16_is_refused, FS)
BREAK_V86_BASE(v86_gs_base_other_than_selector_times_16_is_refused, GS)

BREAK(noncanonical_tr_base_is_refused, LONG64, TR_BASE, S_SEG, G(TR_BASE),
	NONCANONICAL)
{
	SEG(c, TR).base = NONCANONICAL;
}

BREAK(noncanonical_fs_base_is_refused_even_when_unusable, LONG64, FS_BASE,
	S_SEG, G(FS_BASE), NONCANONICAL)
{
	SEG(c, FS).base = NONCANONICAL;
}

BREAK(noncanonical_gs_base_is_refused_even_when_unusable, LONG64, GS_BASE,
	S_SEG, G(GS_BASE), NONCANONICAL)
{
	SEG(c, GS).base = NONCANONICAL;
}

BREAK(noncanonical_base_of_a_usable_ldtr_is_refused, REAL, LDTR_BASE, S_SEG,
	G(LDTR_BASE), NONCANONICAL)
{
	SEG(c, LDTR).base = NONCANONICAL;
}

#define BREAK_BASE_HIGH(name, r)					\
	BREAK(name, FLAT, r##_BASE_HIGH, S_SEG, G(r##_BASE), 1ULL << 32) \
	{								\
		SEG(c, r).base = 1ULL << 32;				\
	}
BREAK_BASE_HIGH(cs_base_above_4g_is_refused, CS)
BREAK_BASE_HIGH(usable_ss_base_above_4g_is_refused, SS)
BREAK_BASE_HIGH(usable_ds_base_above_4g_is_refused, DS)
BREAK_BASE_HIGH(usable_es_base_above_4g_is_refused, ES)

/* Limits and access rights in virtual-8086 mode. */
#define BREAK_V86_LIMIT(name, r)					\
	BREAK(name, V86, V86_LIMIT_##r, S_SEG, G(r##_LIMIT), 0x1ffff)	\
	{								\
		SEG(c, r).limit = 0x1ffff;				\
	}
BREAK_V86_LIMIT(v86_cs_limit_other_than_64k_is_refused, CS)
BREAK_V86_LIMIT(v86_ss_limit_other_than_64k_is_refused, SS)
BREAK_V86_LIMIT(v86_ds_limit_other_than_64k_is_refused, DS)
BREAK_V86_LIMIT(v86_es_limit_other_than_64k_is_refused, ES)
BREAK_V86_LIMIT(v86_fs_limit_other_than_64k_is_refused, FS)
BREAK_V86_LIMIT(v86_gs_limit_other_than_64k_is_refused, GS)

#define BREAK_V86_AR(name, r)						\
	BREAK(name, V86, V86_AR_##r, S_SEG, G(r##_AR_BYTES),		\
	      AR_V86 | PMSW_AR_DB)					\
	{								\
		SEG(c, r).ar |= PMSW_AR_DB;				\
	}
BREAK_V86_AR(v86_cs_access_rights_other_than_f3_are_refused, CS)
BREAK_V86_AR(v86_ss_access_rights_other_than_f3_are_refused, SS)
BREAK_V86_AR(v86_ds_access_rights_other_than_f3_are_refused, DS)
BREAK_V86_AR(v86_es_access_rights_other_than_f3_are_refused, ES)
BREAK_V86_AR(v86_fs_access_rights_other_than_f3_are_refused, FS)
BREAK_V86_AR(v86_gs_access_rights_other_than_f3_are_refused, GS)

/* Access rights: types. */
BREAK(cs_type_not_accessed_code_is_refused, FLAT, CS_TYPE, S_SEG,
	G(CS_AR_BYTES), 0xc09a)
{
	SEG(c, CS).ar = 0xc09a;
}

BREAK(cs_data_type_is_refused_without_unrestricted_guest, PAGING, CS_TYPE,
	S_SEG, G(CS_AR_BYTES), AR_DATA32)
{
	no_unrestricted_guest(e);
	SEG(c, CS).ar = AR_DATA32;
}

BREAK(ss_read_only_data_type_is_refused, FLAT, SS_TYPE, S_SEG,
	G(SS_AR_BYTES), 0xc091)
{
	SEG(c, SS).ar = 0xc091;
}

#define BREAK_DATA_AR(name, r, rule, ar_)				\
	BREAK(name, FLAT, r##_##rule, S_SEG, G(r##_AR_BYTES), ar_)	\
	{								\
		SEG(c, r).ar = ar_;					\
	}
BREAK_DATA_AR(ds_type_not_accessed_is_refused, DS, ACCESSED, 0xc092)
BREAK_DATA_AR(es_type_not_accessed_is_refused, ES, ACCESSED, 0xc092)
BREAK_DATA_AR(fs_type_not_accessed_is_refused, FS, ACCESSED, 0xc092)
BREAK_DATA_AR(gs_type_not_accessed_is_refused, GS, ACCESSED, 0xc092)
BREAK_DATA_AR(ds_execute_only_code_is_refused, DS, READABLE, 0xc099)
BREAK_DATA_AR(es_execute_only_code_is_refused, ES, READABLE, 0xc099)
BREAK_DATA_AR(fs_execute_only_code_is_refused, FS, READABLE, 0xc099)
BREAK_DATA_AR(gs_execute_only_code_is_refused, GS, READABLE, 0xc099)

/* S. */
BREAK_DATA_AR(cs_system_descriptor_is_refused, CS, S, 0xc08b)
BREAK_DATA_AR(ss_system_descriptor_is_refused, SS, S, 0xc083)
BREAK_DATA_AR(ds_system_descriptor_is_refused, DS, S, 0xc083)
BREAK_DATA_AR(es_system_descriptor_is_refused, ES, S, 0xc083)
BREAK_DATA_AR(fs_system_descriptor_is_refused, FS, S, 0xc083)
BREAK_DATA_AR(gs_system_descriptor_is_refused, GS, S, 0xc083)

/* DPL. */
BREAK(cs_data_type_with_nonzero_dpl_is_refused, REAL, CS_DPL_DATA, S_SEG,
	G(CS_AR_BYTES), 0xf3)
{
	SEG(c, CS).ar = 0xf3;
}

BREAK(nonconforming_cs_dpl_other_than_ss_dpl_is_refused, FLAT,
	CS_DPL_NONCONFORMING, S_SEG, G(CS_AR_BYTES), 0xc0fb)
{
	SEG(c, CS).ar = 0xc0fb;
}

BREAK(conforming_cs_dpl_above_ss_dpl_is_refused, FLAT, CS_DPL_CONFORMING,
	S_SEG, G(CS_AR_BYTES), 0xc0bf)
{
	SEG(c, CS).ar = 0xc0bf;
}

/* CPL 3 through a conforming CS with SS.DPL left at 0. */
BREAK(ss_dpl_other_than_ss_rpl_is_refused_without_unrestricted_guest,
	LONG64, SS_DPL_RPL, S_SEG, G(SS_AR_BYTES), AR_DATA32)
{
	no_unrestricted_guest(e);
	SEG(c, CS).ar = 0xa09f;
	SEG(c, CS).selector |= 3;
	SEG(c, SS).selector |= 3;
}

BREAK(ss_dpl_other_than_0_in_real_mode_is_refused, REAL, SS_DPL_ZERO,
	S_SEG, G(SS_AR_BYTES), 0xf3)
{
	SEG(c, CS).ar = 0xfb;
	SEG(c, SS).ar = 0xf3;
}

BREAK(ss_dpl_other_than_0_with_a_data_type_cs_is_refused, FLAT, SS_DPL_ZERO,
	S_SEG, G(SS_AR_BYTES), 0xc0f3)
{
	SEG(c, CS).ar = AR_DATA32;
	SEG(c, SS).ar = 0xc0f3;
}

#define BREAK_DATA_DPL(name, r)						\
	BREAK(name, PAGING, r##_DPL, S_SEG, G(r##_AR_BYTES), AR_DATA32)	\
	{								\
		no_unrestricted_guest(e);				\
		SEG(c, r).selector |= 3;				\
	}
BREAK_DATA_DPL(ds_dpl_below_rpl_is_refused_without_unrestricted_guest, DS)
BREAK_DATA_DPL(es_dpl_below_rpl_is_refused_without_unrestricted_guest, ES)
BREAK_DATA_DPL(fs_dpl_below_rpl_is_refused_without_unrestricted_guest, FS)
BREAK_DATA_DPL(gs_dpl_below_rpl_is_refused_without_unrestricted_guest, GS)

BREAK(ds_nonconforming_code_dpl_below_rpl_is_refused, PAGING, DS_DPL, S_SEG,
	G(DS_AR_BYTES), AR_CODE32)
{
	no_unrestricted_guest(e);
	SEG(c, DS).ar = AR_CODE32;
	SEG(c, DS).selector |= 3;
}

/* P, reserved 11:8. */
BREAK_DATA_AR(cs_not_present_is_refused, CS, P, 0xc01b)
BREAK_DATA_AR(usable_ss_not_present_is_refused, SS, P, 0xc013)
BREAK_DATA_AR(usable_ds_not_present_is_refused, DS, P, 0xc013)
BREAK_DATA_AR(usable_es_not_present_is_refused, ES, P, 0xc013)
BREAK_DATA_AR(usable_fs_not_present_is_refused, FS, P, 0xc013)
BREAK_DATA_AR(usable_gs_not_present_is_refused, GS, P, 0xc013)
BREAK_DATA_AR(cs_access_rights_bit_8_is_refused, CS, AR_11_8, 0xc19b)
BREAK_DATA_AR(ss_access_rights_bit_8_is_refused, SS, AR_11_8, 0xc193)
BREAK_DATA_AR(ds_access_rights_bit_8_is_refused, DS, AR_11_8, 0xc193)
BREAK_DATA_AR(es_access_rights_bit_8_is_refused, ES, AR_11_8, 0xc193)
BREAK_DATA_AR(fs_access_rights_bit_8_is_refused, FS, AR_11_8, 0xc193)
BREAK_DATA_AR(gs_access_rights_bit_8_is_refused, GS, AR_11_8, 0xc193)

BREAK(cs_long_mode_with_d_bit_is_refused, LONG64, CS_L_D, S_SEG,
	G(CS_AR_BYTES), AR_CODE64 | PMSW_AR_DB)
{
	SEG(c, CS).ar |= PMSW_AR_DB;
}

/* Limit and G. */
#define BREAK_G(name, r, ar_)						\
	BREAK(name, FLAT, r##_G, S_SEG, G(r##_AR_BYTES), ar_)		\
	{								\
		SEG(c, r).limit = 0xfffff000;				\
	}
BREAK_G(cs_page_granular_limit_without_low_bits_set_is_refused, CS,
	AR_CODE32)
BREAK_G(ss_page_granular_limit_without_low_bits_set_is_refused, SS,
	AR_DATA32)
BREAK_G(ds_page_granular_limit_without_low_bits_set_is_refused, DS,
	AR_DATA32)
BREAK_G(es_page_granular_limit_without_low_bits_set_is_refused, ES,
	AR_DATA32)
BREAK_G(fs_page_granular_limit_without_low_bits_set_is_refused, FS,
	AR_DATA32)
BREAK_G(gs_page_granular_limit_without_low_bits_set_is_refused, GS,
	AR_DATA32)

BREAK(cs_byte_granular_limit_above_1m_is_refused, FLAT, CS_G, S_SEG,
	G(CS_AR_BYTES), 0x409b)
{
	SEG(c, CS).ar = 0x409b;
}

/* Reserved 31:17. */
BREAK_DATA_AR(cs_access_rights_bit_17_is_refused, CS, AR_31_17, 0x2c09b)
BREAK_DATA_AR(ss_access_rights_bit_17_is_refused, SS, AR_31_17, 0x2c093)
BREAK_DATA_AR(ds_access_rights_bit_17_is_refused, DS, AR_31_17, 0x2c093)
BREAK_DATA_AR(es_access_rights_bit_17_is_refused, ES, AR_31_17, 0x2c093)
BREAK_DATA_AR(fs_access_rights_bit_17_is_refused, FS, AR_31_17, 0x2c093)
BREAK_DATA_AR(gs_access_rights_bit_17_is_refused, GS, AR_31_17, 0x2c093)

/* TR. */
BREAK_DATA_AR(tr_available_tss_is_refused, TR, TYPE, 0x89)

BREAK(tr_16bit_busy_tss_is_refused_in_ia32e_mode, LONG64, TR_TYPE_IA32E,
	S_SEG, G(TR_AR_BYTES), 0x83)
{
	SEG(c, TR).ar = 0x83;
}

BREAK_DATA_AR(tr_code_or_data_descriptor_is_refused, TR, S, 0x9b)
BREAK_DATA_AR(tr_not_present_is_refused, TR, P, 0x0b)
BREAK_DATA_AR(tr_access_rights_bit_8_is_refused, TR, AR_11_8, 0x18b)
BREAK_DATA_AR(tr_page_granular_small_limit_is_refused, TR, G, 0x808b)
BREAK_DATA_AR(unusable_tr_is_refused, TR, UNUSABLE, 0x1008b)
BREAK_DATA_AR(tr_access_rights_bit_17_is_refused, TR, AR_31_17, 0x2008b)

/* LDTR, usable in the real-mode context. */
#define BREAK_LDTR(name, rule, ar_)					\
	BREAK(name, REAL, LDTR_##rule, S_SEG, G(LDTR_AR_BYTES), ar_)	\
	{								\
		SEG(c, LDTR).ar = ar_;					\
	}
BREAK_LDTR(usable_ldtr_of_another_type_is_refused, TYPE, 0x83)
BREAK_LDTR(usable_ldtr_code_or_data_descriptor_is_refused, S, 0x92)
BREAK_LDTR(usable_ldtr_not_present_is_refused, P, 0x02)
BREAK_LDTR(usable_ldtr_access_rights_bit_8_is_refused, AR_11_8, 0x182)
BREAK(usable_ldtr_byte_granular_limit_above_1m_is_refused, REAL, LDTR_G,
	S_SEG, G(LDTR_AR_BYTES), AR_LDT)
{
	SEG(c, LDTR).limit = 0x100000;
}

BREAK_LDTR(usable_ldtr_access_rights_bit_17_is_refused, AR_31_17, 0x20082)

/* 300-399: 27.3.1.3. */
BREAK(noncanonical_gdtr_base_is_refused, LONG64, GDTR_BASE, S_DT,
	G(GDTR_BASE), NONCANONICAL)
{
	c->gdtr.base = NONCANONICAL;
}

BREAK(noncanonical_idtr_base_is_refused, LONG64, IDTR_BASE, S_DT,
	G(IDTR_BASE), NONCANONICAL)
{
	c->idtr.base = NONCANONICAL;
}

BREAK(gdtr_limit_above_64k_is_refused, FLAT, GDTR_LIMIT, S_DT,
	G(GDTR_LIMIT), 0x10000)
{
	c->gdtr.limit = 0x10000;
}

BREAK(idtr_limit_above_64k_is_refused, FLAT, IDTR_LIMIT, S_DT,
	G(IDTR_LIMIT), 0x10000)
{
	c->idtr.limit = 0x10000;
}

/* 400-499: 27.3.1.4. */
BREAK(rip_above_4g_outside_ia32e_mode_is_refused, FLAT, RIP_HIGH, S_RIP,
	G(RIP), 1ULL << 32)
{
	c->rip = 1ULL << 32;
}

BREAK(rip_above_4g_in_compatibility_mode_is_refused, LONG64, RIP_HIGH,
	S_RIP, G(RIP), 0xffffffff81000000ULL)
{
	SEG(c, CS).ar = AR_CODE32;
}

BREAK(noncanonical_rip_in_64bit_mode_is_refused, LONG64, RIP_CANONICAL,
	S_RIP, G(RIP), NONCANONICAL)
{
	c->rip = NONCANONICAL;
}

BREAK(rflags_reserved_bit_3_is_refused, FLAT, RFLAGS_RESERVED, S_RIP,
	G(RFLAGS), 0xa)
{
	c->rflags |= 0x8;
}

BREAK(rflags_without_bit_1_is_refused, FLAT, RFLAGS_BIT1, S_RIP, G(RFLAGS),
	0)
{
	c->rflags = 0;
}

/* Segments fit for virtual-8086 mode, so that only RFLAGS.VM is wrong. */
BREAK(virtual_8086_mode_in_ia32e_mode_is_refused, LONG64, RFLAGS_VM_IA32E,
	S_RIP, G(RFLAGS), 0x2 | RFLAGS_VM)
{
	v86_segments(c);
	c->rip = 0x1000;
	c->rflags |= RFLAGS_VM;
}

BREAK(virtual_8086_mode_without_protection_is_refused, REAL,
	RFLAGS_VM_REAL, S_RIP, G(RFLAGS), 0x2 | RFLAGS_VM)
{
	unsigned int i;

	for (i = PMSW_SEG_ES; i <= PMSW_SEG_GS; i++)
		c->seg[i].ar = AR_V86;
	c->rflags |= RFLAGS_VM;
}

/* 500-599: 27.3.1.5. */
BREAK(interruptibility_reserved_bit_is_refused, FLAT, INTR_RESERVED, S_NR,
	G(INTERRUPTIBILITY_INFO), 0x20)
{
	c->interruptibility = 0x20;
}

BREAK(sti_and_mov_ss_blocking_together_are_refused, FLAT, INTR_STI_MOVSS,
	S_NR, G(INTERRUPTIBILITY_INFO), 0x3)
{
	c->rflags |= RFLAGS_IF;
	c->interruptibility = 0x3;
}

BREAK(sti_blocking_with_interrupts_disabled_is_refused, FLAT, INTR_STI_IF,
	S_NR, G(INTERRUPTIBILITY_INFO), 0x1)
{
	c->interruptibility = 0x1;
}

BREAK(smi_blocking_outside_smm_is_refused, FLAT, INTR_SMI, S_NR,
	G(INTERRUPTIBILITY_INFO), 0x4)
{
	c->interruptibility = 0x4;
}

BREAK(enclave_interruption_with_mov_ss_blocking_is_refused, FLAT,
	INTR_ENCLAVE_MOVSS, S_NR, G(INTERRUPTIBILITY_INFO), 0x12)
{
	e->sgx = true;
	c->interruptibility = 0x12;
}

BREAK(enclave_interruption_without_sgx_is_reserved, FLAT,
	INTR_RESERVED, S_NR, G(INTERRUPTIBILITY_INFO), 0x10)
{
	c->interruptibility = 0x10;
}

BREAK_HOST(non_conforming_cs_with_rpl_other_than_dpl_is_refused, FLAT,
	   CS_RPL_DPL, G(CS_SELECTOR), 0x0b)
{
	c->seg[PMSW_SEG_CS].selector = 0x0b;	/* RPL 3, DPL 0 */
}

BREAK(single_step_under_sti_blocking_is_refused, FLAT, TF_WITHOUT_BS, S_NR,
	G(RFLAGS), 0x2 | RFLAGS_IF | RFLAGS_TF)
{
	c->rflags |= RFLAGS_IF | RFLAGS_TF;
	c->interruptibility = 0x1;
}

BREAK(single_step_under_mov_ss_blocking_is_refused, FLAT, TF_WITHOUT_BS,
	S_NR, G(RFLAGS), 0x2 | RFLAGS_TF)
{
	c->rflags |= RFLAGS_TF;
	c->interruptibility = 0x2;
}

/* 600-699: 27.3.1.6. */
BREAK(present_pdpte0_with_reserved_bit_1_is_refused, PAE, PDPTE0, S_PDPTE,
	G(PDPTE0), 0x6003)
{
	c->pdpte[0] |= 0x2;
}

BREAK(present_pdpte1_beyond_the_physical_address_width_is_refused, PAE,
	PDPTE1, S_PDPTE, G(PDPTE1), (1ULL << PHYS_BITS) | 0x7001)
{
	c->pdpte[1] = (1ULL << PHYS_BITS) | 0x7001;
}

BREAK(present_pdpte2_with_reserved_bit_5_is_refused, PAE, PDPTE2, S_PDPTE,
	G(PDPTE2), 0x8021)
{
	c->pdpte[2] = 0x8021;
}

BREAK(present_pdpte3_with_xd_is_refused, PAE, PDPTE3, S_PDPTE, G(PDPTE3),
	0x8000000000009001ULL)
{
	c->pdpte[3] = 0x8000000000009001ULL;
}

/* 700-799: host protection. */
#define BREAK_SEL_HIGH(name, r, sel)					\
	BREAK_HOST(name, FLAT, r##_SEL_HIGH, G(r##_SELECTOR), sel)	\
	{								\
		SEG(c, r).selector |= 0x10000;				\
	}
BREAK_SEL_HIGH(es_selector_above_16_bits_is_refused, ES, 0x10010)
BREAK_SEL_HIGH(cs_selector_above_16_bits_is_refused, CS, 0x10008)
BREAK_SEL_HIGH(ss_selector_above_16_bits_is_refused, SS, 0x10010)
BREAK_SEL_HIGH(ds_selector_above_16_bits_is_refused, DS, 0x10010)
BREAK_SEL_HIGH(fs_selector_above_16_bits_is_refused, FS, 0x10010)
BREAK_SEL_HIGH(gs_selector_above_16_bits_is_refused, GS, 0x10010)
BREAK_SEL_HIGH(unusable_ldtr_selector_above_16_bits_is_refused, LDTR,
	       0x10000)
BREAK_SEL_HIGH(tr_selector_above_16_bits_is_refused, TR, 0x10018)

BREAK_HOST(gs_selector_bit_31_is_refused, LONG64, GS_SEL_HIGH,
	   G(GS_SELECTOR), 0x80000000)
{
	SEG(c, GS).selector = 0x80000000;
}

/* CPUs that have the feature, so that only the host rule breaks. */
BREAK_HOST(cr4_pke_is_refused, FLAT, CR4_PKE, G(CR4), CR4_PKE | CR4_VMXE)
{
	caps->cr4_fixed1 |= CR4_PKE;
	c->cr4 |= CR4_PKE;
}

BREAK_HOST(cr4_cet_is_refused, LONG64, CR4_CET, G(CR4),
	   0x6a0 | CR4_VMXE | CR4_CET)
{
	caps->cr4_fixed1 |= CR4_CET;
	c->cr4 |= CR4_CET;
}

BREAK_HOST(cr4_fred_is_refused, LONG64, CR4_FRED, G(CR4),
	   0x6a0 | CR4_VMXE | CR4_FRED)
{
	caps->cr4_fixed1 |= CR4_FRED;
	c->cr4 |= CR4_FRED;
}

BREAK_HOST(cr4_key_locker_is_refused, FLAT, CR4_UNSWITCHED, G(CR4),
	   CR4_KL | CR4_VMXE)
{
	caps->cr4_fixed1 |= CR4_KL;
	c->cr4 |= CR4_KL;
}

BREAK_HOST(cr4_pks_is_refused, LONG64, CR4_UNSWITCHED, G(CR4),
	   0x6a0 | CR4_VMXE | (1ULL << 24))
{
	caps->cr4_fixed1 |= 1ULL << 24;
	c->cr4 |= 1ULL << 24;
}

BREAK_HOST(dr7_local_breakpoint_0_is_refused, FLAT, DR7_ENABLES, G(DR7),
	   0x401)
{
	c->dr7 |= 0x1;
}

BREAK_HOST(dr7_global_breakpoint_3_is_refused, LONG64, DR7_ENABLES, G(DR7),
	   0x480)
{
	c->dr7 |= 0x80;
}

BREAK_HOST(nmi_blocking_without_virtual_nmis_is_refused, FLAT, INTR_NMI,
	   G(INTERRUPTIBILITY_INFO), 0x8)
{
	e->pin &= ~PMSW_PIN_VIRTUAL_NMIS;
	c->interruptibility = 0x8;
}

BREAK_HOST(noncanonical_lstar_is_refused, LONG64, LSTAR_CANONICAL, 0,
	   NONCANONICAL)
{
	c->lstar = NONCANONICAL;
}

/* WRMSR refuses it in any mode of the context. */
BREAK_HOST(noncanonical_cstar_is_refused_outside_ia32e_mode, FLAT,
	   CSTAR_CANONICAL, 0, 0x1234567800000000ULL)
{
	c->cstar = 0x1234567800000000ULL;
}

BREAK_HOST(noncanonical_kernel_gs_base_is_refused, LONG64, KERNEL_GS_BASE,
	   0, NONCANONICAL)
{
	c->kernel_gs_base = NONCANONICAL;
}

BREAK_HOST(sfmask_high_half_is_refused, LONG64, SFMASK_HIGH, 0,
	   (1ULL << 32) | 0x47700)
{
	c->sfmask |= 1ULL << 32;
}

/* 800-899: memory views; each case breaks its rule alone. */
#define BREAK_VIEW(name, r, sect, val) \
	BREAK_CASE(name, FLAT, PMSW_RULE_##r, sect, 0, val, true)
#define S_VIEW	"pmswitch view"
#define S_EPT	"29.3.3.1"

static void set_range(struct pmsw_context *c, unsigned int i, __u64 gpa,
		      __u64 bytes, __u32 perm)
{
	c->view[i] = (struct pmsw_view_range){ gpa, bytes, perm, 0 };
	if (c->nr_view_ranges <= i)
		c->nr_view_ranges = i + 1;
}

BREAK_VIEW(more_than_8_view_ranges_are_refused, VIEW_COUNT, S_VIEW, 9)
{
	unsigned int i;

	for (i = 0; i < PMSW_MAX_VIEW_RANGES; i++)
		set_range(c, i, i * 0x1000, 0x1000, PMSW_VIEW_R);
	c->nr_view_ranges = 9;
}

BREAK_VIEW(nonzero_reserved_view_is_refused, VIEW_RESERVED, S_VIEW, 5)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_R);
	c->reserved_view = 5;
}

BREAK_VIEW(nonzero_range_reserved_is_refused, VIEW_RESERVED, S_VIEW, 3)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_R);
	c->view[0].reserved = 3;
}

BREAK_VIEW(unused_view_entry_must_be_zero, VIEW_RESERVED, S_VIEW, 0x7000)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_R);
	c->view[5].gpa = 0x7000;
}

BREAK_VIEW(unknown_view_permission_is_refused, VIEW_PERM_UNKNOWN, S_VIEW,
	   0x9)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_R | 0x8);
}

BREAK_VIEW(view_range_without_permission_is_refused, VIEW_PERM_NONE, S_VIEW,
	   0)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_RWX);
	set_range(c, 1, 0x8000, 0x1000, 0);
}

BREAK_VIEW(write_without_read_is_refused, VIEW_W_WITHOUT_R, S_EPT,
	   PMSW_VIEW_W)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_W);
}

BREAK_VIEW(write_execute_without_read_is_refused, VIEW_W_WITHOUT_R, S_EPT,
	   PMSW_VIEW_W | PMSW_VIEW_X)
{
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_W | PMSW_VIEW_X);
}

BREAK_VIEW(execute_only_is_refused_without_the_capability, VIEW_EXEC_ONLY,
	   S_EPT, PMSW_VIEW_X)
{
	caps->ept_vpid_cap &= ~1ULL;
	set_range(c, 0, 0x1000, 0x1000, PMSW_VIEW_X);
}

BREAK_VIEW(unaligned_view_gpa_is_refused, VIEW_ALIGN, S_VIEW, 0x1800)
{
	set_range(c, 0, 0x1800, 0x1000, PMSW_VIEW_R);
}

BREAK_VIEW(unaligned_view_length_is_refused, VIEW_ALIGN, S_VIEW, 0x1800)
{
	set_range(c, 0, 0x1000, 0x1800, PMSW_VIEW_R);
}

BREAK_VIEW(empty_view_range_is_refused, VIEW_EMPTY, S_VIEW, 0x2000)
{
	set_range(c, 0, 0x2000, 0, PMSW_VIEW_R);
}

BREAK_VIEW(view_range_past_the_memory_is_refused, VIEW_BOUNDS, S_VIEW,
	   MEM_BYTES - 0x1000)
{
	set_range(c, 0, MEM_BYTES - 0x1000, 0x2000, PMSW_VIEW_R);
}

BREAK_VIEW(view_range_wrapping_around_is_refused, VIEW_BOUNDS, S_VIEW,
	   ~0xfffULL)
{
	set_range(c, 0, ~0xfffULL, 0x2000, PMSW_VIEW_R);
}

BREAK_VIEW(overlapping_view_ranges_are_refused, VIEW_OVERLAP, S_VIEW,
	   0x2000)
{
	set_range(c, 0, 0x1000, 0x2000, PMSW_VIEW_RWX);
	set_range(c, 1, 0x2000, 0x2000, PMSW_VIEW_R);
}

/* 810: #VE needs secondary control 18 (allowed-1 bit 50 of CTLS2). */
BREAK_CASE(ve_is_refused_without_the_control, FLAT, PMSW_RULE_VE_UNSUPPORTED,
	   "26.5.7", 0, 0x00007fff00000000ULL, true)
{
	caps->procbased_ctls2 &= ~(1ULL << 50);
	c->flags = PMSW_CONTEXT_F_VE;
}

/* 811-814: an exit-less member (exitless.rst), one context at a time. */
#define S_XL	"pmsw exitless"

static void xl_member(struct pmsw_context *c)
{
	c->flags = PMSW_CONTEXT_F_EXITLESS;
	c->cr4 &= ~0x80ULL;	/* PGE: rule 814 */
	set_range(c, 0, 0, 0x10000, PMSW_VIEW_RWX);
	/* The routine's (rule 820): 0, the module fills them in. */
	c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
}

/* 811: VM functions (CTLS2 bit 45) with EPTP switching (VMFUNC bit 0). */
BREAK_CASE(exitless_is_refused_without_eptp_switching, LONG64,
	   PMSW_RULE_XL_UNSUPPORTED, "26.5.6.3", 0, 0, true)
{
	xl_member(c);
	caps->vmfunc = 0;
}

BREAK_CASE(exitless_is_refused_without_vm_functions, LONG64,
	   PMSW_RULE_XL_UNSUPPORTED, "26.5.6.3", 0, 1, true)
{
	xl_member(c);
	caps->procbased_ctls2 &= ~(1ULL << 45);
}

BREAK_CASE(exitless_member_without_a_view_is_refused, LONG64,
	   PMSW_RULE_XL_NO_VIEW, S_XL, 0, 0, true)
{
	xl_member(c);
	c->nr_view_ranges = 0;
	memset(c->view, 0, sizeof(c->view));
}

/* 815-818 (pmsw_xl_check_pair/_size): the group rules, each alone. */
TEST(exitless_group_rules_judge_a_pair_and_the_size)
{
	struct pmsw_context a = valid_ctx(LONG64), b = valid_ctx(LONG64);
	struct pmsw_violation v;

	xl_member(&a);
	xl_member(&b);
	set_range(&a, 0, 0x100000, 0x1000, PMSW_VIEW_R | PMSW_VIEW_X);
	set_range(&a, 1, 0x101000, 0x1000, PMSW_VIEW_R | PMSW_VIEW_W);
	set_range(&b, 0, 0x200000, 0x1000, PMSW_VIEW_R | PMSW_VIEW_X);
	set_range(&b, 1, 0x201000, 0x1000, PMSW_VIEW_R | PMSW_VIEW_W);
	a.cr3 = 0x101000;
	b.cr3 = 0x201000;
	EXPECT_EQ(0, pmsw_xl_check_pair(&b, &a, &v, 1));

	b.cr0 ^= 1ULL << 16;	/* WP */
	ASSERT_EQ(1, pmsw_xl_check_pair(&b, &a, &v, 1));
	EXPECT_EQ(PMSW_RULE_XL_SAME, v.rule);
	EXPECT_STREQ(S_XL, v.section);
	b.cr0 ^= 1ULL << 16;

	/* Readable is fine, executable in both is not. */
	set_range(&b, 2, 0x100000, 0x1000, PMSW_VIEW_R);
	EXPECT_EQ(0, pmsw_xl_check_pair(&b, &a, &v, 1));
	b.view[2].perm = PMSW_VIEW_R | PMSW_VIEW_X;
	ASSERT_EQ(1, pmsw_xl_check_pair(&b, &a, &v, 1));
	EXPECT_EQ(PMSW_RULE_XL_EXEC, v.rule);
	EXPECT_EQ(0x100000, v.value);

	/* A's root in B's view, either way round. */
	b.view[2].gpa = 0x101000;
	b.view[2].perm = PMSW_VIEW_R;
	ASSERT_EQ(1, pmsw_xl_check_pair(&b, &a, &v, 1));
	EXPECT_EQ(PMSW_RULE_XL_ROOT, v.rule);
	ASSERT_EQ(1, pmsw_xl_check_pair(&a, &b, &v, 1));
	EXPECT_EQ(PMSW_RULE_XL_ROOT, v.rule);

	/* All three at once, counted beyond @max. */
	b.cr0 ^= 1ULL << 16;
	b.view[2].perm = PMSW_VIEW_R | PMSW_VIEW_X;
	b.view[2].bytes = 0x2000;
	b.view[2].gpa = 0x100000;
	EXPECT_EQ(3, pmsw_xl_check_pair(&b, &a, &v, 1));
	EXPECT_EQ(PMSW_RULE_XL_SAME, v.rule);

	/* 4 CR3-target values: the transit root and 3 members. */
	EXPECT_FALSE(pmsw_xl_check_size(3, 4ULL << 16, &v));
	ASSERT_TRUE(pmsw_xl_check_size(4, 4ULL << 16, &v));
	EXPECT_EQ(PMSW_RULE_XL_SIZE, v.rule);
	EXPECT_EQ(4, v.value);
	/* No more than the VMCS's 4 fields, whatever MISC says. */
	EXPECT_TRUE(pmsw_xl_check_size(4, 0x1ffULL << 16, &v));
}

/* 821 (pmsw_xl_check_id): the EPTP list's 512 entries bound a member's id. */
TEST(exitless_member_id_must_index_the_eptp_list)
{
	struct pmsw_violation v;

	memset(&v, 0, sizeof(v));
	EXPECT_FALSE(pmsw_xl_check_id(0, &v));
	EXPECT_FALSE(pmsw_xl_check_id(511, &v));
	EXPECT_EQ(0, v.rule);
	ASSERT_TRUE(pmsw_xl_check_id(512, &v));
	EXPECT_EQ(PMSW_RULE_XL_ID, v.rule);
	EXPECT_EQ(821, v.rule);
	EXPECT_EQ(512, v.value);
	EXPECT_STREQ(S_XL, v.section);
	EXPECT_NE(NULL, strstr(v.text, "512"));
	ASSERT_TRUE(pmsw_xl_check_id(PMSW_MAX_CONTEXTS - 1, &v));
	EXPECT_EQ(PMSW_MAX_CONTEXTS - 1, v.value);
	EXPECT_TRUE(pmsw_xl_check_id(0xffffffff, &v));
}

/* 813: 64-bit mode or 32-bit paging; not PAE, not unpaged (value: CR0). */
BREAK_CASE(exitless_member_with_pae_paging_is_refused, PAE,
	   PMSW_RULE_XL_MODE, S_XL, VMCS_GUEST_CR0, 0x80000031, true)
{
	xl_member(c);
}

BREAK_CASE(exitless_member_without_paging_is_refused, FLAT,
	   PMSW_RULE_XL_MODE, S_XL, VMCS_GUEST_CR0, 0x31, true)
{
	xl_member(c);
}

/* 820: the routine's SYSENTER MSRs, or all 0. */
BREAK_CASE(exitless_member_with_its_own_sysenter_eip_is_refused, LONG64,
	   PMSW_RULE_XL_SYSENTER, S_XL, VMCS_GUEST_SYSENTER_EIP, 0x1000, true)
{
	xl_member(c);
	c->sysenter_cs = 0x10;
	c->sysenter_eip = 0x1000;
}

BREAK_CASE(exitless_32bit_member_with_the_64bit_entry_is_refused, PAGING,
	   PMSW_RULE_XL_SYSENTER, S_XL, VMCS_GUEST_SYSENTER_EIP,
	   PMSW_XL_POST64, true)
{
	xl_member(c);
	c->sysenter_cs = PMSW_XL_SYSENTER_CS;
	c->sysenter_esp = PMSW_XL_SYSENTER_ESP;
	c->sysenter_eip = PMSW_XL_POST64;
}

/*
 * A 32-bit paging member and a 64-bit one are valid with the MSRs at 0
 * and with the values pmsw_xl_sysenter() fills in, which depend on the
 * mode; a context that is not a member keeps its own.
 */
TEST(exitless_members_take_the_routines_sysenter_msrs)
{
	static const enum mode modes[] = { PAGING, LONG64 };
	static const __u64 post[] = { PMSW_XL_POST32, PMSW_XL_POST64 };
	struct pmsw_violation out[MAX_OUT];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct pmsw_context c = valid_ctx(modes[i]);
		struct pmsw_check_env e = valid_env(modes[i], &haswell);

		xl_member(&c);
		c.sysenter_cs = c.sysenter_esp = c.sysenter_eip = 0;
		EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
		pmsw_xl_sysenter(&c);
		EXPECT_EQ(PMSW_XL_SYSENTER_CS, c.sysenter_cs);
		EXPECT_EQ(PMSW_XL_SYSENTER_ESP, c.sysenter_esp);
		EXPECT_EQ(post[i], c.sysenter_eip);
		EXPECT_EQ(0, check_all(_metadata, &c, &e, out))
			TH_LOG("%s with the routine's values", mode_name[modes[i]]);
		c.flags = 0;
		c.sysenter_eip = 0x1234;
		pmsw_xl_sysenter(&c);
		EXPECT_EQ(0x1234, c.sysenter_eip);
	}
}

BREAK_CASE(exitless_member_with_global_pages_is_refused, LONG64,
	   PMSW_RULE_XL_CR4, S_XL, VMCS_GUEST_CR4, 0x26a0, true)
{
	xl_member(c);
	c->cr4 |= 0x80;
}

BREAK_CASE(exitless_member_with_ve_is_refused, LONG64, PMSW_RULE_XL_VE, S_XL,
	   0, PMSW_CONTEXT_F_EXITLESS | PMSW_CONTEXT_F_VE, true)
{
	xl_member(c);
	c->flags |= PMSW_CONTEXT_F_VE;
}

BREAK_VIEW(contained_view_range_is_refused, VIEW_OVERLAP, S_VIEW, 0x1000)
{
	set_range(c, 0, 0x3000, 0x1000, PMSW_VIEW_R);
	set_range(c, 1, 0x1000, 0x8000, PMSW_VIEW_R);
}

TEST_F(rule, is_reported_first_with_field_and_value)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_rule_desc d;
	unsigned int n;

	ASSERT_EQ(0, check_all(_metadata, &self->base, &self->base_env, out));
	n = check_broken(_metadata, &self->ctx, &self->env, out);
	ASSERT_LE(1, n);
	EXPECT_EQ(variant->rule, out[0].rule)
		dump(_metadata, out, n);
	EXPECT_STREQ(variant->section, out[0].section);
	EXPECT_EQ(variant->field, out[0].field);
	EXPECT_EQ(variant->value, out[0].value);
	ASSERT_TRUE(rule_desc(variant->rule, &d));
	EXPECT_STREQ(d.text, out[0].text);
	if (variant->alone)
		EXPECT_EQ(1, n);
}

/* PMSW_CP_* bits in use: up to PMSW_CP_VIEW. */
#define NR_PART_BITS	27

/* Copy from @src to @dst the fields of part @bit (one PMSW_CP_* bit). */
static void copy_part(struct pmsw_context *dst, const struct pmsw_context *src,
		      unsigned int bit)
{
	switch (bit) {
	case 0:
		dst->cr0 = src->cr0;
		break;
	case 1:
		dst->cr3 = src->cr3;
		break;
	case 2:
		dst->cr4 = src->cr4;
		break;
	case 3:
		dst->efer = src->efer;
		break;
	case 4:
		dst->pat = src->pat;
		break;
	case 5:
		dst->dr7 = src->dr7;
		break;
	case 6:
		dst->rip = src->rip;
		break;
	case 7:
		dst->rflags = src->rflags;
		break;
	case 8:
		dst->sysenter_cs = src->sysenter_cs;
		dst->sysenter_esp = src->sysenter_esp;
		dst->sysenter_eip = src->sysenter_eip;
		break;
	case 9:
		dst->gdtr = src->gdtr;
		break;
	case 10:
		dst->idtr = src->idtr;
		break;
	case 11:
		dst->interruptibility = src->interruptibility;
		break;
	case 12:
		dst->exception_bitmap = src->exception_bitmap;
		dst->cr0_mask = src->cr0_mask;
		dst->cr4_mask = src->cr4_mask;
		break;
	case 13:
		dst->rsp = src->rsp;
		break;
	case 14:
		memcpy(dst->pdpte, src->pdpte, sizeof(dst->pdpte));
		break;
	case 15:
		dst->size = src->size;
		dst->flags = src->flags;
		memcpy(dst->reserved, src->reserved, sizeof(dst->reserved));
		break;
	case 24:
		dst->star = src->star;
		dst->lstar = src->lstar;
		dst->cstar = src->cstar;
		dst->sfmask = src->sfmask;
		dst->kernel_gs_base = src->kernel_gs_base;
		break;
	case 25:
		dst->cr2 = src->cr2;
		break;
	case 26:
		dst->nr_view_ranges = src->nr_view_ranges;
		dst->reserved_view = src->reserved_view;
		memcpy(dst->view, src->view, sizeof(dst->view));
		break;
	default:
		if (bit >= 16 && bit < 16 + PMSW_NR_SEGS)
			dst->seg[bit - 16] = src->seg[bit - 16];
		break;
	}
}

static void copy_parts(struct pmsw_context *dst,
		       const struct pmsw_context *src, __u64 parts)
{
	unsigned int bit;

	for (bit = 0; bit < 64; bit++)
		if (parts & PMSW_BIT(bit))
			copy_part(dst, src, bit);
}

/*
 * Re-validation runs a rule only when a part it names changed, so the
 * verdict must follow those parts alone: the valid context with the
 * broken one's parts breaks the rule, the broken context with the valid
 * one's parts does not (when the case changed only the context).
 */
TEST_F(rule, follows_only_the_parts_it_names)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_rule_desc d;
	struct pmsw_context x;
	unsigned int n;

	ASSERT_TRUE(rule_desc(variant->rule, &d));
	x = self->base;
	copy_parts(&x, &self->ctx, d.parts);
	n = pmsw_check_context(&x, &self->env, PMSW_CP_ALL, out, MAX_OUT);
	EXPECT_TRUE(has_rule(out, n, variant->rule));

	if (memcmp(&self->env, &self->base_env, sizeof(self->env) -
		   sizeof(self->env.caps)) ||
	    memcmp(&self->caps, &self->base_caps, sizeof(self->caps)))
		return;
	x = self->ctx;
	copy_parts(&x, &self->base, d.parts);
	n = pmsw_check_context(&x, &self->env, PMSW_CP_ALL, out, MAX_OUT);
	EXPECT_FALSE(has_rule(out, n, variant->rule));
}

/*
 * The converse: replacing a part the rule does not name, with the value
 * it has in any mode's valid context, changes neither the broken verdict
 * nor the valid one.
 */
TEST_F(rule, ignores_the_parts_it_does_not_name)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_rule_desc d;
	struct pmsw_context other, x;
	unsigned int m, bit, n;

	ASSERT_TRUE(rule_desc(variant->rule, &d));
	for (m = 0; m < NR_MODES; m++) {
		other = valid_ctx(m);
		for (bit = 0; bit < NR_PART_BITS; bit++) {
			if (d.parts & PMSW_BIT(bit))
				continue;
			x = self->ctx;
			copy_part(&x, &other, bit);
			n = pmsw_check_context(&x, &self->env, PMSW_CP_ALL,
					       out, MAX_OUT);
			EXPECT_TRUE(has_rule(out, n, variant->rule))
				TH_LOG("part bit %u from mode %s", bit,
				       mode_name[m]);
			x = self->base;
			copy_part(&x, &other, bit);
			n = pmsw_check_context(&x, &self->base_env, PMSW_CP_ALL,
					       out, MAX_OUT);
			EXPECT_FALSE(has_rule(out, n, variant->rule))
				TH_LOG("part bit %u from mode %s", bit,
				       mode_name[m]);
		}
	}
}

TEST(every_rule_has_a_breaking_case)
{
	struct pmsw_rule_desc d;
	unsigned int i, j;

	for (i = 0; pmsw_check_rule_desc(i, &d); i++) {
		for (j = 0; j < nr_covered; j++)
			if (covered[j] == d.rule)
				break;
		EXPECT_LT(j, nr_covered) TH_LOG("rule %u has no case", d.rule);
	}
	EXPECT_LE(nr_covered, PMSW_ARRAY_SIZE(covered));
}

/* ---- the table and the reports -------------------------------------- */

static const char *expected_section(__u32 rule)
{
	static const char *const sections[] = {
		"pmswitch.h", "27.3.1.1", "27.3.1.2", "27.3.1.3", "27.3.1.4",
		"27.3.1.5", "27.3.1.6", "pmswitch host",
	};

	/* Views: the ABI's own rules, and the EPT misconfigurations. */
	if (rule == PMSW_RULE_VIEW_W_WITHOUT_R || rule == PMSW_RULE_VIEW_EXEC_ONLY)
		return "29.3.3.1";
	if (rule == PMSW_RULE_VE_UNSUPPORTED)
		return "26.5.7";
	if (rule == PMSW_RULE_XL_UNSUPPORTED)
		return "26.5.6.3";
	if (rule > PMSW_RULE_XL_UNSUPPORTED && rule <= PMSW_RULE_XL_SYSENTER)
		return "pmsw exitless";
	if (rule / 100 == 8)
		return "pmswitch view";
	return rule / 100 < PMSW_ARRAY_SIZE(sections) ?
	       sections[rule / 100] : "?";
}

TEST(rule_table_is_sorted_unique_and_fits_the_report)
{
	struct pmsw_violation v;
	struct pmsw_rule_desc d;
	__u32 last = 0;
	unsigned int i;

	for (i = 0; pmsw_check_rule_desc(i, &d); i++) {
		EXPECT_LT(last, d.rule) TH_LOG("rule %u", d.rule);
		last = d.rule;
		EXPECT_STREQ(expected_section(d.rule), d.section);
		EXPECT_LT(strlen(d.section), sizeof(v.section));
		EXPECT_LT(strlen(d.text), sizeof(v.text));
		EXPECT_NE(0, d.parts);
		if (d.rule < 100) {
			EXPECT_EQ(0, d.field);
		} else if (d.rule >= 700 && d.field == 0) {
			/* A rule about state outside the VMCS, or the flags. */
			EXPECT_EQ(0, d.parts & ~(PMSW_CP_SYSCALL | PMSW_CP_VIEW |
						 (d.rule == PMSW_RULE_VE_UNSUPPORTED ||
						  d.rule == PMSW_RULE_XL_UNSUPPORTED ||
						  d.rule == PMSW_RULE_XL_NO_VIEW ||
						  d.rule == PMSW_RULE_XL_VE ?
						  PMSW_CP_META | PMSW_CP_CTLS : 0)));
		} else {
			EXPECT_NE(NULL, pmsw_vmcs_field_name(d.field));
			EXPECT_EQ(PMSW_VMCS_KIND_GUEST,
				  pmsw_vmcs_kind(d.field));
		}
	}
	EXPECT_LT(100, i);
	EXPECT_FALSE(pmsw_check_rule_desc(i, &d));
}

/* A flat context with three broken rules: DR7 (109), PAT (112), CS (229). */
static struct pmsw_context three_violations(void)
{
	struct pmsw_context c = valid_ctx(FLAT);

	c.dr7 |= 1ULL << 40;
	c.pat = 0x08;
	SEG(&c, CS).ar = 0xc09a;
	return c;
}

TEST(violations_come_in_rule_order)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = three_violations();
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	ASSERT_EQ(3, check_all_expect(_metadata, &c, &e, out, 3));
	EXPECT_EQ(PMSW_RULE_DR7_HIGH, out[0].rule);
	EXPECT_EQ(PMSW_RULE_PAT, out[1].rule);
	EXPECT_EQ(PMSW_RULE_CS_TYPE, out[2].rule);
}

TEST(parts_filter_skips_rules_that_do_not_read_them)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = three_violations();
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	ASSERT_EQ(1, pmsw_check_context(&c, &e, PMSW_CP_PAT, out, MAX_OUT));
	EXPECT_EQ(PMSW_RULE_PAT, out[0].rule);
	ASSERT_EQ(1, pmsw_check_context(&c, &e, PMSW_CP_SEG(PMSW_SEG_CS),
					out, MAX_OUT));
	EXPECT_EQ(PMSW_RULE_CS_TYPE, out[0].rule);
	ASSERT_EQ(2, pmsw_check_context(&c, &e, PMSW_CP_DR7 | PMSW_CP_SEGS,
					out, MAX_OUT));
	EXPECT_EQ(PMSW_RULE_DR7_HIGH, out[0].rule);
	EXPECT_EQ(PMSW_RULE_CS_TYPE, out[1].rule);
	EXPECT_EQ(0, pmsw_check_context(&c, &e, PMSW_CP_GDTR |
					PMSW_CP_INTR | PMSW_CP_CTLS,
					out, MAX_OUT));
	EXPECT_EQ(0, pmsw_check_context(&c, &e, 0, out, MAX_OUT));
}

TEST(total_count_is_returned_beyond_max)
{
	struct pmsw_violation out[3];
	struct pmsw_context c = three_violations();
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	memset(out, 0xa5, sizeof(out));
	EXPECT_EQ(3, pmsw_check_context(&c, &e, PMSW_CP_ALL, out, 1));
	EXPECT_EQ(PMSW_RULE_DR7_HIGH, out[0].rule);
	/* Nothing is written past @max. */
	EXPECT_EQ(0xa5a5a5a5, out[1].rule);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, out[1].value);
	EXPECT_EQ(3, pmsw_check_context(&c, &e, PMSW_CP_ALL, NULL, 0));
}

TEST(report_strings_are_nul_terminated_and_zero_padded)
{
	struct pmsw_violation out[1];
	struct pmsw_context c = three_violations();
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	size_t i, len;

	memset(out, 0xa5, sizeof(out));
	ASSERT_EQ(3, pmsw_check_context(&c, &e, PMSW_CP_ALL, out, 1));
	EXPECT_EQ(VMCS_GUEST_DR7, out[0].field);
	EXPECT_EQ((1ULL << 40) | 0x400, out[0].value);
	EXPECT_STREQ("27.3.1.1", out[0].section);
	EXPECT_STREQ("DR7 bits 63:32 must be 0", out[0].text);
	len = strlen(out[0].section);
	for (i = len; i < sizeof(out[0].section); i++)
		EXPECT_EQ(0, out[0].section[i]);
	len = strlen(out[0].text);
	for (i = len; i < sizeof(out[0].text); i++)
		EXPECT_EQ(0, out[0].text[i]);
}

/* ---- relaxations and boundaries ------------------------------------- */

TEST(unusable_data_segments_are_not_checked)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	static const unsigned int segs[] = {
		PMSW_SEG_DS, PMSW_SEG_ES, PMSW_SEG_FS, PMSW_SEG_GS,
	};
	unsigned int i;

	/* TI set, RPL 3, base above 4G, bad limit/G, every AR bit wrong. */
	for (i = 0; i < PMSW_ARRAY_SIZE(segs); i++)
		set_seg(&c.seg[segs[i]], 0x7, 1ULL << 40, 0x12345,
			PMSW_AR_UNUSABLE | 0xfffe8f7c);
	set_seg(&SEG(&c, LDTR), 0x7, NONCANONICAL, 0x12345,
		PMSW_AR_UNUSABLE | 0xfffe8f7c);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(unusable_ss_is_accepted_in_64bit_mode_if_its_dpl_is_the_cpl)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &haswell);

	set_seg(&SEG(&c, SS), 0, 0, 0, PMSW_AR_UNUSABLE);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	/* SS.DPL is the CPL even when SS is unusable. */
	SEG(&c, SS).ar |= 3 << 5;
	ASSERT_LE(1, check_broken(_metadata, &c, &e, out));
	EXPECT_EQ(PMSW_RULE_CS_DPL_NONCONFORMING, out[0].rule);
}

TEST(cs_is_checked_even_when_marked_unusable)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	unsigned int n;

	SEG(&c, CS).ar = PMSW_AR_UNUSABLE;
	n = check_broken(_metadata, &c, &e, out);
	ASSERT_LE(1, n);
	EXPECT_EQ(PMSW_RULE_CS_TYPE, out[0].rule);
	EXPECT_TRUE(has_rule(out, n, PMSW_RULE_CS_S));
	EXPECT_TRUE(has_rule(out, n, PMSW_RULE_CS_P));
	c = valid_ctx(FLAT);
	SEG(&c, CS).ar |= PMSW_AR_UNUSABLE;
	SEG(&c, CS).base = 1ULL << 32;
	ASSERT_EQ(1, check_all_expect(_metadata, &c, &e, out, 1));
	EXPECT_EQ(PMSW_RULE_CS_BASE_HIGH, out[0].rule);
}

TEST(tr_is_checked_even_when_marked_unusable)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	unsigned int n;

	SEG(&c, TR).ar = PMSW_AR_UNUSABLE;
	n = check_broken(_metadata, &c, &e, out);
	ASSERT_LE(1, n);
	EXPECT_EQ(PMSW_RULE_TR_TYPE, out[0].rule);
	EXPECT_TRUE(has_rule(out, n, PMSW_RULE_TR_P));
	EXPECT_TRUE(has_rule(out, n, PMSW_RULE_TR_UNUSABLE));
}

TEST(unrestricted_guest_relaxes_the_rpl_rules)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	SEG(&c, SS).selector |= 3;
	SEG(&c, DS).selector |= 3;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(efer_lme_before_paging_is_accepted)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	c.efer |= EFER_LME;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(conforming_cs_may_have_a_dpl_below_the_cpl)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	SEG(&c, CS).ar = 0xc09f;	/* conforming, DPL 0 */
	SEG(&c, SS).ar = 0xc0f3;	/* CPL 3 */
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(data_segment_rpl_rule_spares_conforming_code)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(PAGING);
	struct pmsw_check_env e = valid_env(PAGING, &haswell);

	no_unrestricted_guest(&e);
	SEG(&c, DS).selector |= 3;
	SEG(&c, DS).ar = 0xc09f;	/* conforming code, DPL 0 */
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(virtual_8086_mode_is_judged_on_the_guest_cr0)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(V86);
	struct pmsw_check_env e = valid_env(V86, &haswell);
	unsigned int n;

	/* Without unrestricted guest the CR0 field has PE=1 after all. */
	no_unrestricted_guest(&e);
	c.cr0 &= ~CR0_PE;
	n = check_broken(_metadata, &c, &e, out);
	ASSERT_LE(1, n);
	EXPECT_EQ(PMSW_RULE_CR0_PE_PG_FORCED, out[0].rule);
	EXPECT_FALSE(has_rule(out, n, PMSW_RULE_RFLAGS_VM_REAL));
}

TEST(expand_down_stack_is_accepted)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	SEG(&c, SS).ar = 0xc097;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(cs_data_type_is_accepted_with_unrestricted_guest)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(REAL);
	struct pmsw_check_env e = valid_env(REAL, &haswell);

	SEG(&c, CS).ar = AR_DATA16;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(pat_accepts_exactly_uc_wc_wt_wp_wb_and_uc_minus)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	unsigned int type, n;
	bool ok;

	for (type = 0; type < 256; type++) {
		c.pat = (PAT_DEFAULT & ~(0xffULL << 56)) | ((__u64)type << 56);
		ok = type < 8 && type != 2 && type != 3;
		n = pmsw_check_context(&c, &e, PMSW_CP_PAT, out, MAX_OUT);
		EXPECT_EQ(ok ? 0 : 1, n) TH_LOG("memory type %u", type);
	}
}

TEST(canonical_width_follows_the_cpus_linear_address_width)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_vmx_caps caps = haswell;
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &caps);

	/* Canonical with 57 bits, not with 48. */
	c.rip = 0x00ff000000000000ULL;
	ASSERT_LE(1, check_broken(_metadata, &c, &e, out));
	EXPECT_EQ(PMSW_RULE_RIP_CANONICAL, out[0].rule);
	caps.cr4_fixed1 |= CR4_LA57;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	c.rip = 0x0100000000000000ULL;
	ASSERT_LE(1, check_broken(_metadata, &c, &e, out));
	EXPECT_EQ(PMSW_RULE_RIP_CANONICAL, out[0].rule);
}

TEST(cr3_may_use_every_physical_address_bit)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(PAGING);
	struct pmsw_check_env e = valid_env(PAGING, &haswell);

	c.cr3 |= 1ULL << (PHYS_BITS - 1);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	/* An unknown width leaves only bits 63:52. */
	e.phys_bits = 0;
	c.cr3 = 0x4000 | (1ULL << 51);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	c.cr3 = 0x4000 | (1ULL << 52);
	ASSERT_LE(1, check_broken(_metadata, &c, &e, out));
	EXPECT_EQ(PMSW_RULE_CR3_RESERVED, out[0].rule);
}

TEST(pdptes_are_checked_only_when_present_and_under_pae_paging)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(PAE);
	struct pmsw_check_env e = valid_env(PAE, &haswell);
	static const enum mode others[] = { FLAT, PAGING, LONG64 };
	unsigned int i;

	c.pdpte[1] = ~1ULL;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	for (i = 0; i < PMSW_ARRAY_SIZE(others); i++) {
		c = valid_ctx(others[i]);
		e = valid_env(others[i], &haswell);
		c.pdpte[0] = 0x3;
		EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	}
}

TEST(single_step_without_blocking_is_accepted)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	c.rflags |= RFLAGS_TF | RFLAGS_IF;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	c.interruptibility = 0x1;	/* STI blocking, no single-step */
	c.rflags &= ~RFLAGS_TF;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

/* ---- host protection ------------------------------------------------ */

/* The rule a CR4 bit set alone breaks, on a CPU that allows every bit. */
static __u32 cr4_bit_rule(unsigned int bit)
{
	__u64 b = 1ULL << bit;

	if (b & PMSW_CR4_SWITCHED)
		return 0;
	if (b == CR4_PKE)
		return PMSW_RULE_CR4_PKE;
	if (b == CR4_CET)
		return PMSW_RULE_CR4_CET;
	return b == CR4_FRED ? PMSW_RULE_CR4_FRED : PMSW_RULE_CR4_UNSWITCHED;
}

TEST(cr4_allows_exactly_the_bits_pmswitch_switches)
{
	static const unsigned int allowed[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		16, 17, 18, 20, 21,
	};
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_vmx_caps caps = haswell;
	struct pmsw_context c;
	struct pmsw_check_env e;
	unsigned int bit, i, n;
	__u64 list = 0;

	for (i = 0; i < PMSW_ARRAY_SIZE(allowed); i++)
		list |= 1ULL << allowed[i];
	EXPECT_EQ(list, PMSW_CR4_SWITCHED);
	caps.cr4_fixed1 = ~0ULL;
	for (bit = 0; bit < 64; bit++) {
		c = valid_ctx(LONG64);
		e = valid_env(LONG64, &caps);
		c.cr4 |= 1ULL << bit;
		n = pmsw_check_context(&c, &e, PMSW_CP_ALL, out, MAX_OUT);
		if (!cr4_bit_rule(bit)) {
			EXPECT_EQ(0, n) TH_LOG("CR4 bit %u", bit);
			continue;
		}
		ASSERT_EQ(1, n) TH_LOG("CR4 bit %u", bit);
		EXPECT_EQ(cr4_bit_rule(bit), out[0].rule) TH_LOG("CR4 bit %u", bit);
		EXPECT_EQ(c.cr4 | CR4_VMXE, out[0].value);
	}
}

TEST(cr4_bit_the_cpu_lacks_breaks_both_rules)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	c.cr4 |= CR4_PKE;	/* not in Haswell's FIXED1 */
	ASSERT_EQ(2, check_all_expect(_metadata, &c, &e, out, 2));
	EXPECT_EQ(PMSW_RULE_CR4_FIXED1, out[0].rule);
	EXPECT_EQ(PMSW_RULE_CR4_PKE, out[1].rule);
}

static __u64 field(const struct pmsw_ctx_fields *f, unsigned int index)
{
	return pmsw_field_test(f->set, index) ? f->val[index] : 0xbad;
}

TEST(cr4_mask_owns_every_bit_pmswitch_does_not_switch)
{
	struct pmsw_vmx_caps caps = haswell;
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &caps);
	struct pmsw_ctx_fields *f = calloc(1, sizeof(*f));

	ASSERT_NE(NULL, f);
	/* A CPU with every feature: FIXED1 owns nothing then. */
	caps.cr4_fixed1 = ~0ULL;
	pmsw_ctx_fields(&c, &e, f);
	EXPECT_EQ(PMSW_CR4_UNSWITCHED | CR4_VMXE,
		  field(f, VF_CR4_GUEST_HOST_MASK));
	EXPECT_EQ(c.cr4, field(f, VF_CR4_READ_SHADOW));
	EXPECT_EQ(c.cr4 | CR4_VMXE, field(f, VF_GUEST_CR4));
	/* The context's own mask adds to it. */
	c.cr4_mask = 0x80;		/* PGE */
	pmsw_ctx_fields(&c, &e, f);
	EXPECT_EQ(PMSW_CR4_UNSWITCHED | CR4_VMXE | 0x80,
		  field(f, VF_CR4_GUEST_HOST_MASK));
	/* Haswell's FIXED1 lacks some of them: owned all the same. */
	e.caps = &haswell;
	pmsw_ctx_fields(&c, &e, f);
	EXPECT_EQ(PMSW_CR4_UNSWITCHED,
		  field(f, VF_CR4_GUEST_HOST_MASK) & PMSW_CR4_UNSWITCHED);
	free(f);
}

/* A VMCS as pmsw_ctx_fields() wrote it, with the guest's CR4 changed. */
struct fake_vmcs {
	const struct pmsw_ctx_fields *f;
	__u64 guest_cr4;
};

static __u64 fake_read(void *arg, unsigned int enc)
{
	const struct fake_vmcs *v = arg;
	unsigned int i;

	if (enc == VMCS_GUEST_CR4)
		return v->guest_cr4;
	for (i = 0; i < PMSW_VMCS_NR_FIELDS; i++)
		if (pmsw_vmcs_field_encoding(i) == enc)
			return v->f->val[i];
	return 0;
}

TEST(cr4_read_back_shows_owned_bits_from_the_shadow)
{
	struct pmsw_context c = valid_ctx(LONG64), back;
	struct pmsw_check_env e = valid_env(LONG64, &haswell);
	struct pmsw_ctx_fields *f = calloc(1, sizeof(*f));
	struct fake_vmcs v;

	ASSERT_NE(NULL, f);
	pmsw_ctx_fields(&c, &e, f);
	v.f = f;
	v.guest_cr4 = field(f, VF_GUEST_CR4);
	memset(&back, 0, sizeof(back));
	pmsw_ctx_from_vmcs(&back, fake_read, &v);
	EXPECT_EQ(c.cr4, back.cr4);	/* VMXE hidden */
	/* The guest cleared PGE, which it owns: the real value shows. */
	v.guest_cr4 &= ~0x80ULL;
	pmsw_ctx_from_vmcs(&back, fake_read, &v);
	EXPECT_EQ(c.cr4 & ~0x80ULL, back.cr4);
	free(f);
}

TEST(syscall_msrs_are_held_to_48_bits_on_a_57_bit_cpu)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_vmx_caps caps = haswell;
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &caps);

	caps.cr4_fixed1 |= CR4_LA57;
	c.kernel_gs_base = CANONICAL57;
	ASSERT_EQ(1, check_all_expect(_metadata, &c, &e, out, 1));
	EXPECT_EQ(PMSW_RULE_KERNEL_GS_BASE, out[0].rule);
	/* The highest and lowest 48-bit canonical addresses pass. */
	c.kernel_gs_base = 0x00007fffffffffffULL;
	c.lstar = 0xffff800000000000ULL;
	c.cstar = 0;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(cr2_star_and_sfmask_low_half_take_any_value)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	c.cr2 = ~0ULL;
	c.star = ~0ULL;
	c.sfmask = 0xffffffffULL;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(dr7_may_set_every_bit_but_the_breakpoint_enables)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	unsigned int bit;

	/* LE, GE, GD, R/W and LEN fields: no breakpoint without an enable. */
	c.dr7 = 0xffff2700;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	for (bit = 0; bit < 8; bit++) {
		c.dr7 = 0x400 | (1ULL << bit);
		ASSERT_EQ(1, check_all_expect(_metadata, &c, &e, out, 1));
		EXPECT_EQ(PMSW_RULE_DR7_ENABLES, out[0].rule);
	}
}

TEST(nmi_blocking_is_accepted_with_virtual_nmis)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);
	const char *why;

	ASSERT_TRUE(e.pin & PMSW_PIN_VIRTUAL_NMIS);
	c.interruptibility = 0x8;
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	/* The environment pmswitch derives for Bochs has virtual NMIs. */
	ASSERT_EQ(0, pmsw_derive_env(&haswell, PHYS_BITS, &e, &why));
	EXPECT_EQ(0, pmsw_check_context(&c, &e, PMSW_CP_INTR, out, MAX_OUT));
}

TEST(selector_bits_15_0_are_all_free)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(LONG64);
	struct pmsw_check_env e = valid_env(LONG64, &haswell);

	SEG(&c, FS).selector = 0xffff;	/* unusable: no other rule reads it */
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

/* ---- changed parts -------------------------------------------------- */

TEST(changed_parts_name_the_abi_3_fields)
{
	struct pmsw_context a = valid_ctx(LONG64), b;
	unsigned int i;

	b = a;
	EXPECT_EQ(0, pmsw_ctx_changed_parts(&a, &b));
	b.cr2 ^= 1;
	EXPECT_EQ(PMSW_CP_CR2, pmsw_ctx_changed_parts(&a, &b));
#define EXPECT_SYSCALL_PART(m)						\
	do {								\
		b = a;							\
		b.m ^= 1ULL << 40;					\
		EXPECT_EQ(PMSW_CP_SYSCALL, pmsw_ctx_changed_parts(&a, &b)) \
			TH_LOG(#m);					\
	} while (0)
	EXPECT_SYSCALL_PART(star);
	EXPECT_SYSCALL_PART(lstar);
	EXPECT_SYSCALL_PART(cstar);
	EXPECT_SYSCALL_PART(sfmask);
	EXPECT_SYSCALL_PART(kernel_gs_base);
#undef EXPECT_SYSCALL_PART
	for (i = 0; i < PMSW_ARRAY_SIZE(a.reserved); i++) {
		b = a;
		b.reserved[i] = 1;
		EXPECT_EQ(PMSW_CP_META, pmsw_ctx_changed_parts(&a, &b))
			TH_LOG("reserved[%u]", i);
	}
	EXPECT_EQ(PMSW_CP_ALL, PMSW_CP_ALL | PMSW_CP_SYSCALL | PMSW_CP_CR2);
	EXPECT_EQ(0, (PMSW_CP_SYSCALL | PMSW_CP_CR2) & PMSW_CP_SEGS);
}

TEST(views_with_every_allowed_permission_are_accepted)
{
	static const __u32 perms[] = {
		PMSW_VIEW_R, PMSW_VIEW_R | PMSW_VIEW_W,
		PMSW_VIEW_R | PMSW_VIEW_X, PMSW_VIEW_RWX, PMSW_VIEW_X,
	};
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(PAGING);
	struct pmsw_check_env e = valid_env(PAGING, &haswell);
	unsigned int i;

	/* Haswell (Bochs) has execute-only EPT: IA32_VMX_EPT_VPID_CAP[0]. */
	ASSERT_TRUE(haswell.ept_vpid_cap & 1);
	for (i = 0; i < PMSW_ARRAY_SIZE(perms); i++)
		set_range(&c, i, 0x10000 * (i + 1), 0x3000, perms[i]);
	/* Adjacent ranges and the last page of memory are fine. */
	set_range(&c, i++, 0x13000, 0x1000, PMSW_VIEW_R);
	set_range(&c, i, MEM_BYTES - 0x1000, 0x1000, PMSW_VIEW_R);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
	/* All of memory in one range. */
	memset(c.view, 0, sizeof(c.view));
	c.nr_view_ranges = 0;
	set_range(&c, 0, 0, MEM_BYTES, PMSW_VIEW_RWX);
	EXPECT_EQ(0, check_all(_metadata, &c, &e, out));
}

TEST(view_rules_also_bind_contexts_the_cpu_judges)
{
	struct pmsw_violation out[MAX_OUT];
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env e = valid_env(FLAT, &haswell);

	c.flags = PMSW_CONTEXT_F_CPU_CHECKS;
	set_range(&c, 0, 0x1000, 0x1000, PMSW_VIEW_W);
	ASSERT_EQ(1, check_all_expect(_metadata, &c, &e, out, 1));
	EXPECT_EQ(PMSW_RULE_VIEW_W_WITHOUT_R, out[0].rule);
	EXPECT_FALSE(pmsw_rule_mirrors_sdm(PMSW_RULE_VIEW_EXEC_ONLY));
}

/* With the control (Haswell), a #VE context breaks no rule. */
TEST(ve_is_accepted_with_the_control)
{
	struct pmsw_vmx_caps caps = haswell;
	struct pmsw_context c = valid_ctx(FLAT);
	struct pmsw_check_env env = valid_env(FLAT, &caps);
	struct pmsw_violation v;

	c.flags = PMSW_CONTEXT_F_VE;
	EXPECT_EQ(0, pmsw_check_context(&c, &env, PMSW_CP_ALL, &v, 1))
		TH_LOG("rule %u: %s", v.rule, v.text);
	c.flags |= PMSW_CONTEXT_F_CPU_CHECKS;
	EXPECT_EQ(0, pmsw_check_context(&c, &env, PMSW_CP_ALL, &v, 1))
		TH_LOG("rule %u: %s", v.rule, v.text);
}

TEST(changed_parts_name_the_view)
{
	struct pmsw_context a = valid_ctx(FLAT), b;

	set_range(&a, 0, 0x1000, 0x1000, PMSW_VIEW_RWX);
	b = a;
	EXPECT_EQ(0, pmsw_ctx_changed_parts(&a, &b));
	b.view[0].perm = PMSW_VIEW_R;
	EXPECT_EQ(PMSW_CP_VIEW, pmsw_ctx_changed_parts(&a, &b));
	b = a;
	b.nr_view_ranges = 0;
	EXPECT_EQ(PMSW_CP_VIEW, pmsw_ctx_changed_parts(&a, &b));
	b = a;
	b.view[7].reserved = 1;
	EXPECT_EQ(PMSW_CP_VIEW, pmsw_ctx_changed_parts(&a, &b));
	b = a;
	b.reserved_view = 1;
	EXPECT_EQ(PMSW_CP_VIEW, pmsw_ctx_changed_parts(&a, &b));
}

TEST_HARNESS_MAIN
