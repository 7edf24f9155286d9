// SPDX-License-Identifier: GPL-2.0
/*
 * The rules for a native switch target (Documentation/native.rst,
 * checks.rst rules 900-914). The target is not a guest: the forward
 * switch loads it from the host-state area of a VMCS, so the rules are
 * the SDM's checks on host state (27.2.2, 27.2.3, 27.2.4) plus what the
 * module's world for the target needs (its page tables, interrupts off,
 * a start inside session memory). Pure: the module and pmswitch's check
 * use it alike.
 */
#include "native_check.h"

#define CR0_PG		PMSW_BIT(31)
#define CR4_PAE		PMSW_BIT(5)
#define CR4_PCIDE	PMSW_BIT(17)
#define CR4_LA57	PMSW_BIT(12)
#define CR4_VMXE	PMSW_BIT(13)
#define CR4_CET		PMSW_BIT(23)
#define CR4_FRED	PMSW_BIT(32)
#define EFER_LME	PMSW_BIT(8)
#define EFER_LMA	PMSW_BIT(10)
#define EFER_KNOWN	(PMSW_BIT(0) | EFER_LME | EFER_LMA | PMSW_BIT(11))
#define RFLAGS_IF	PMSW_BIT(9)
#define RFLAGS_VM	PMSW_BIT(17)
/* RFLAGS bits 1 (must be 1), 3, 5, 15, 63:22 (reserved 0), SDM 3.4.3. */
#define RFLAGS_RSVD0	(PMSW_BIT(3) | PMSW_BIT(5) | PMSW_BIT(15) | \
			 ~((1ULL << 22) - 1))

struct nstate {
	const struct pmsw_context *c;
	const struct pmsw_native_env *env;
	__u64 val;
};

struct nrule {
	__u32 id;
	const char *section;
	const char *text;
	bool (*broken)(struct nstate *s);
};

static bool report(struct nstate *s, __u64 v)
{
	s->val = v;
	return true;
}

/* Bits 63:47 equal (4-level paging, which the module's tables use). */
static bool canonical48(__u64 v)
{
	__u64 top = v >> 47;

	return top == 0 || top == (~0ULL >> 47);
}

static bool in_memory(const struct nstate *s, __u64 v)
{
	return v < s->env->mem_bytes;
}

static bool in_range(__u64 v, __u64 off, __u64 bytes)
{
	return v >= PMSW_RESERVED_BASE + off &&
	       v < PMSW_RESERVED_BASE + off + bytes;
}

static bool flags(struct nstate *s)
{
	return (s->c->flags || s->c->nr_view_ranges) &&
	       report(s, s->c->flags);
}

/* 27.2.4: the exit loads a 64-bit host; Linux runs in IA-32e mode. */
static bool efer_64(struct nstate *s)
{
	return (s->c->efer & (EFER_LME | EFER_LMA)) != (EFER_LME | EFER_LMA) &&
	       report(s, s->c->efer);
}

static bool efer_rsvd(struct nstate *s)
{
	return (s->c->efer & ~EFER_KNOWN) && report(s, s->c->efer);
}

static bool cr0_fixed(struct nstate *s)
{
	const struct pmsw_vmx_caps *caps = s->env->caps;
	__u64 cr0 = s->c->cr0;

	return ((cr0 >> 32) || (cr0 & caps->cr0_fixed0) != caps->cr0_fixed0 ||
		(cr0 & ~caps->cr0_fixed1)) && report(s, cr0);
}

/* The module sets CR4.VMXE itself: VMX operation needs it (27.2.2). */
static bool cr4_fixed(struct nstate *s)
{
	const struct pmsw_vmx_caps *caps = s->env->caps;
	__u64 cr4 = s->c->cr4 | CR4_VMXE;

	return ((cr4 & caps->cr4_fixed0) != caps->cr4_fixed0 ||
		(cr4 & ~caps->cr4_fixed1)) && report(s, s->c->cr4);
}

static bool cr4_pae(struct nstate *s)
{
	return !(s->c->cr4 & CR4_PAE) && report(s, s->c->cr4);
}

/* The module's tables: 4-level, PCID 0, no shadow stack, no FRED. */
static bool cr4_world(struct nstate *s)
{
	return (s->c->cr4 & (CR4_PCIDE | CR4_LA57 | CR4_CET | CR4_FRED)) &&
	       report(s, s->c->cr4);
}

static bool cr3_zero(struct nstate *s)
{
	return s->c->cr3 && report(s, s->c->cr3);
}

static const unsigned int host_segs[] = {
	PMSW_SEG_CS, PMSW_SEG_SS, PMSW_SEG_DS, PMSW_SEG_ES, PMSW_SEG_FS,
	PMSW_SEG_GS, PMSW_SEG_TR,
};

/* 27.2.3: RPL and TI 0 in every host selector; CS and TR not null. */
static bool selectors(struct nstate *s)
{
	unsigned int i;
	__u32 sel;

	for (i = 0; i < PMSW_ARRAY_SIZE(host_segs); i++) {
		sel = s->c->seg[host_segs[i]].selector;
		if ((sel & 7) || sel > 0xffff)
			return report(s, sel);
	}
	return (!s->c->seg[PMSW_SEG_CS].selector ||
		!s->c->seg[PMSW_SEG_TR].selector) && report(s, 0);
}

/* 28.5.2: the exit loads base 0 into CS, SS, DS and ES. */
static bool flat_bases(struct nstate *s)
{
	static const unsigned int flat[] = {
		PMSW_SEG_CS, PMSW_SEG_SS, PMSW_SEG_DS, PMSW_SEG_ES,
	};
	unsigned int i;

	for (i = 0; i < PMSW_ARRAY_SIZE(flat); i++)
		if (s->c->seg[flat[i]].base)
			return report(s, s->c->seg[flat[i]].base);
	return false;
}

/* 27.2.3: FS, GS, TR, GDTR and IDTR bases; 27.2.2: SYSENTER. */
static bool bases_canonical(struct nstate *s)
{
	const struct pmsw_context *c = s->c;
	const __u64 v[] = {
		c->seg[PMSW_SEG_FS].base, c->seg[PMSW_SEG_GS].base,
		c->seg[PMSW_SEG_TR].base, c->gdtr.base, c->idtr.base,
		c->sysenter_esp, c->sysenter_eip,
	};
	unsigned int i;

	for (i = 0; i < PMSW_ARRAY_SIZE(v); i++)
		if (!canonical48(v[i]))
			return report(s, v[i]);
	return false;
}

/* What WRMSR would take (27.2.2): UC, WC, WT, WP, WB, UC-. */
static bool pat(struct nstate *s)
{
	unsigned int i, type;

	for (i = 0; i < 8; i++) {
		type = (s->c->pat >> (8 * i)) & 0xff;
		if (type == 2 || type == 3 || type > 7)
			return report(s, s->c->pat);
	}
	return false;
}

static bool rflags(struct nstate *s)
{
	__u64 f = s->c->rflags;

	return ((f & (RFLAGS_IF | RFLAGS_VM | RFLAGS_RSVD0)) || !(f & 2)) &&
	       report(s, f);
}

static bool rip(struct nstate *s)
{
	return !in_memory(s, s->c->rip) && report(s, s->c->rip);
}

static bool rsp(struct nstate *s)
{
	return (!s->c->rsp || s->c->rsp > s->env->mem_bytes) &&
	       report(s, s->c->rsp);
}

/*
 * The tables the CPU reads on an event: in session memory or the
 * module's own (a target with tables elsewhere faults on its first
 * event, and a native fault there can only reset the machine).
 */
static bool tables(struct nstate *s)
{
	const struct pmsw_context *c = s->c;

	if (!in_memory(s, c->gdtr.base) &&
	    !in_range(c->gdtr.base, PMSW_NATIVE_GDT, 0x800))
		return report(s, c->gdtr.base);
	if (!in_memory(s, c->idtr.base) &&
	    !in_range(c->idtr.base, PMSW_NATIVE_IDT, 0x1000))
		return report(s, c->idtr.base);
	if (!in_memory(s, c->seg[PMSW_SEG_TR].base) &&
	    !in_range(c->seg[PMSW_SEG_TR].base, PMSW_NATIVE_TSS, 0x800))
		return report(s, c->seg[PMSW_SEG_TR].base);
	return false;
}

#define S_NATIVE	"pmsw native"

static const struct nrule nrules[] = {
	{ PMSW_RULE_NATIVE_FLAGS, S_NATIVE, "a native target takes no flags and no view (value: flags)", flags },
	{ PMSW_RULE_NATIVE_64BIT, "27.2.4", "a native target is a 64-bit host: EFER.LME and EFER.LMA must be 1", efer_64 },
	{ PMSW_RULE_NATIVE_EFER, "27.2.2", "EFER may set only SCE, LME, LMA and NXE", efer_rsvd },
	{ PMSW_RULE_NATIVE_CR0, "27.2.2", "CR0 must satisfy IA32_VMX_CR0_FIXED0/1 (PE, NE, PG) and bits 63:32 be 0", cr0_fixed },
	{ PMSW_RULE_NATIVE_CR4, "27.2.2", "CR4 (with VMXE) must satisfy IA32_VMX_CR4_FIXED0/1", cr4_fixed },
	{ PMSW_RULE_NATIVE_PAE, "27.2.4", "a 64-bit host needs CR4.PAE=1", cr4_pae },
	{ PMSW_RULE_NATIVE_CR4_WORLD, S_NATIVE, "the module's page tables need CR4.PCIDE, LA57, CET and FRED 0", cr4_world },
	{ PMSW_RULE_NATIVE_CR3, S_NATIVE, "a native target's CR3 must be 0: it runs on the module's page tables", cr3_zero },
	{ PMSW_RULE_NATIVE_SELECTORS, "27.2.3", "host selectors need RPL 0 and TI 0, CS and TR not null (value: selector)", selectors },
	{ PMSW_RULE_NATIVE_FLAT, "28.5.2", "the VM exit loads base 0 into CS, SS, DS and ES (value: a base)", flat_bases },
	{ PMSW_RULE_NATIVE_CANONICAL, "27.2.3", "FS, GS, TR, GDTR, IDTR bases and SYSENTER ESP/EIP must be canonical", bases_canonical },
	{ PMSW_RULE_NATIVE_PAT, "27.2.2", "PAT entries must be UC, WC, WT, WP, WB or UC-", pat },
	{ PMSW_RULE_NATIVE_RFLAGS, S_NATIVE, "a native target starts with RFLAGS.IF=0, VM=0, bit 1 set, reserved bits 0", rflags },
	{ PMSW_RULE_NATIVE_RIP, S_NATIVE, "a native target's RIP must lie in session memory", rip },
	{ PMSW_RULE_NATIVE_RSP, S_NATIVE, "a native target's RSP must lie in (0, session memory size]", rsp },
	{ PMSW_RULE_NATIVE_TABLES, S_NATIVE, "GDTR, IDTR and TR bases must lie in session memory or the module's tables", tables },
};

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; i + 1 < size && src[i]; i++)
		dst[i] = src[i];
	for (; i < size; i++)
		dst[i] = '\0';
}

unsigned int pmsw_native_check(const struct pmsw_context *c,
			       const struct pmsw_native_env *env,
			       struct pmsw_violation *out, unsigned int max)
{
	struct nstate s = { .c = c, .env = env };
	unsigned int i, n = 0;

	for (i = 0; i < PMSW_ARRAY_SIZE(nrules); i++) {
		s.val = 0;
		if (!nrules[i].broken(&s))
			continue;
		if (n < max) {
			out[n].rule = nrules[i].id;
			out[n].field = 0;
			out[n].value = s.val;
			copy_str(out[n].section, sizeof(out[n].section),
				 nrules[i].section);
			copy_str(out[n].text, sizeof(out[n].text),
				 nrules[i].text);
		}
		n++;
	}
	return n;
}

bool pmsw_native_rule_desc(unsigned int index, struct pmsw_rule_desc *d)
{
	if (index >= PMSW_ARRAY_SIZE(nrules))
		return false;
	d->rule = nrules[index].id;
	d->field = 0;
	d->parts = 0;
	d->section = nrules[index].section;
	d->text = nrules[index].text;
	return true;
}
