// SPDX-License-Identifier: GPL-2.0
/*
 * Software VM-entry checks: the rules of Intel SDM Vol. 3C 27.3.1 "Checks
 * on the Guest State Area" as they apply to the guest state pmswitch
 * writes from a context. Of 27.2 "Checks on VMX Controls" nothing is left
 * to a context: the exception bitmap and the CR0/CR4 guest/host masks may
 * hold any value, and the one control it decides, "IA-32e mode guest", is
 * checked against EFER.LMA as 27.3.1.1 asks (rule 114).
 *
 * What the monitor always does, and what the rules therefore take as
 * given: "enable EPT" = 1, "unrestricted guest" = 1 when the environment
 * has it, the "load IA32_EFER", "load IA32_PAT" and "load debug controls"
 * entry controls set, "IA-32e mode guest" = EFER.LMA of the context,
 * activity state active, no event injection, VMCS link pointer ~0,
 * pending debug exceptions 0, IA32_DEBUGCTL 0. Rules about fields the
 * monitor owns (link pointer, DEBUGCTL, event injection, ...) are not
 * here: no context can break them.
 *
 * Rules 700-799 are pmswitch's own (section "pmswitch host"): VM entry
 * would accept what they refuse, but the context could then change or
 * read host state without a VM exit (CR4 bits whose state the monitor
 * does not switch, DR7 breakpoints on the host's DR0-DR3, blocking the
 * host's NMIs), or the monitor could not load the context as given
 * (selector bits beyond 15, MSR values WRMSR refuses).
 *
 * Rules 800-899 judge a context's memory view (struct pmsw_view_range):
 * the ABI's own constraints, and the permission combinations that would
 * make its EPT entries misconfigured (SDM 29.3.3.1).
 *
 * One table row per rule, in rule-number order; each predicate returns
 * true when its rule is broken and stores the offending value. A rule
 * runs only when its parts intersect the caller's, so the parts of a row
 * must name everything its predicate reads, derived state included (see
 * struct state).
 */
#include "check.h"
#include "caps.h"
#include "vmcs_fields.h"

/* Architectural bits the rules speak about (SDM Vol. 3A 2.5, 2.2.1). */
#define CR0_PE			PMSW_BIT(0)
#define CR0_WP			PMSW_BIT(16)
#define CR0_PG			PMSW_BIT(31)
#define CR4_PAE			PMSW_BIT(5)
#define CR4_LA57		PMSW_BIT(12)
#define CR4_PGE			PMSW_BIT(7)
#define CR4_PCIDE		PMSW_BIT(17)
#define CR4_PKE			PMSW_BIT(22)
#define CR4_CET			PMSW_BIT(23)
#define CR4_FRED		PMSW_BIT(32)
#define DR7_ENABLES		0xffULL		/* L0 G0 ... L3 G3 */
#define EFER_SCE		PMSW_BIT(0)
#define EFER_LME		PMSW_BIT(8)
#define EFER_LMA		PMSW_BIT(10)
#define EFER_NXE		PMSW_BIT(11)
#define EFER_KNOWN		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* RFLAGS (SDM Vol. 1 3.4.3); 27.3.1.4 lists the reserved bits. */
#define RFLAGS_FIXED1		PMSW_BIT(1)
#define RFLAGS_TF		PMSW_BIT(8)
#define RFLAGS_IF		PMSW_BIT(9)
#define RFLAGS_VM		PMSW_BIT(17)
#define RFLAGS_RESERVED		((~0ULL << 22) | PMSW_BIT(15) | PMSW_BIT(5) | \
				 PMSW_BIT(3))

/* Interruptibility state (SDM 25.4.2, Table 25-3). */
#define INTR_STI		PMSW_BIT(0)
#define INTR_MOVSS		PMSW_BIT(1)
#define INTR_SMI		PMSW_BIT(2)
#define INTR_NMI		PMSW_BIT(3)
#define INTR_ENCLAVE		PMSW_BIT(4)
#define INTR_RESERVED		(~0ULL << 5)

/* Selectors and access rights (SDM Vol. 3A 3.4.2, 3.4.5; 25.4.1). */
#define SEL_RPL(sel)		((sel) & 3)
#define SEL_TI			PMSW_BIT(2)
#define AR_RSVD_11_8		0x00000f00U
#define AR_RSVD_31_17		0xfffe0000U
#define TYPE_ACCESSED		PMSW_BIT(0)
#define TYPE_READABLE		PMSW_BIT(1)	/* code segments */
#define TYPE_CODE		PMSW_BIT(3)
#define TYPE_DATA_RW_ACCESSED	3	/* also the 16-bit busy TSS */
#define TYPE_DATA_RW_DOWN_ACC	7
#define TYPE_LDT		2
#define TYPE_TSS_BUSY		11	/* 32-bit, or 64-bit in IA-32e mode */
#define V86_LIMIT		0xffffU
#define V86_AR			0xf3U

/* PAE PDPTE (SDM Vol. 3A 4.4.1, Table 4-8): P, and reserved 2:1, 8:5. */
#define PDPTE_P			PMSW_BIT(0)
#define PDPTE_RSVD_LOW		0x1e6ULL

/* The context plus what the guest state derives from it and the env. */
struct state {
	const struct pmsw_context *ctx;
	const struct pmsw_check_env *env;
	__u64 cr0;		/* guest CR0 field: PMSW_CP_CR0 */
	__u64 cr4;		/* guest CR4 field: PMSW_CP_CR4 */
	bool ia32e;		/* IA-32e mode guest: EFER.LMA, PMSW_CP_EFER */
	bool v86;		/* RFLAGS.VM: PMSW_CP_RFLAGS */
	bool ug;		/* "unrestricted guest": env only */
	unsigned int va_bits;	/* linear-address width: env only */
	__u64 pa_rsvd;		/* bits at and above MAXPHYADDR: env only */
	unsigned int arg;	/* the running rule's argument (a register) */
	__u64 val;		/* the offending value, once a rule breaks */
};

typedef bool (*rule_fn)(struct state *s);

/*
 * A rule: its number, the VMCS field it is about, the context parts its
 * predicate reads, its SDM section and text, and the predicate, run with
 * @arg in state.arg (a PMSW_SEG_* register, a PDPTE index, GDTR/IDTR).
 */
struct rule {
	__u32 id;
	__u32 field;
	__u64 parts;
	const char *section;
	const char *text;
	rule_fn broken;
	unsigned int arg;
};

/*
 * Secondary controls count only when primary control 31 activates them
 * (SDM 25.6.2), so "unrestricted guest" needs both.
 */
static bool unrestricted(const struct pmsw_check_env *env)
{
	return (env->proc & PMSW_PROC_SECONDARY_CTLS) &&
	       (env->proc2 & PMSW_PROC2_UNRESTRICTED_GUEST);
}

/*
 * Without unrestricted guest, FIXED0 makes CR0.PE and CR0.PG 1 in VMX
 * non-root operation (SDM 24.8, A.7); with it they are the guest's.
 * NE (and whatever else FIXED0 holds) is forced either way and hidden by
 * the read shadow.
 */
__u64 pmsw_guest_cr0(const struct pmsw_context *ctx,
		     const struct pmsw_check_env *env)
{
	__u64 forced = env->caps->cr0_fixed0;

	if (unrestricted(env))
		forced &= ~(CR0_PE | CR0_PG);
	return ctx->cr0 | forced;
}

/* CR4.VMXE is forced by FIXED0 (SDM A.8) and hidden by the read shadow. */
__u64 pmsw_guest_cr4(const struct pmsw_context *ctx,
		     const struct pmsw_check_env *env)
{
	return ctx->cr4 | env->caps->cr4_fixed0;
}

/*
 * Canonical: bits 63 down to the linear-address width all equal (SDM
 * Vol. 3A 3.3.7.1). VM entry uses the width the processor supports, not
 * the one CR4.LA57 selects.
 */
static bool canonical(__u64 v, unsigned int bits)
{
	__u64 top = v >> (bits - 1);

	return top == 0 || top == (~0ULL >> (bits - 1));
}

static void init_state(struct state *s, const struct pmsw_context *ctx,
		       const struct pmsw_check_env *env)
{
	unsigned int pa = env->phys_bits;

	s->ctx = ctx;
	s->env = env;
	s->cr0 = pmsw_guest_cr0(ctx, env);
	s->cr4 = pmsw_guest_cr4(ctx, env);
	/*
	 * The monitor sets the "IA-32e mode guest" entry control from
	 * EFER.LMA; rule 114 checks that @env agrees.
	 */
	s->ia32e = ctx->efer & EFER_LMA;
	s->v86 = ctx->rflags & RFLAGS_VM;
	s->ug = unrestricted(env);
	/*
	 * The capability MSRs tell the linear-address width: CR4.LA57 may
	 * be 1 in VMX operation (CR4_FIXED1) exactly when the processor
	 * has 57-bit linear addresses.
	 */
	s->va_bits = (env->caps->cr4_fixed1 & CR4_LA57) ? 57 : 48;
	/* Unknown (0) or out of range: only the architectural 63:52. */
	if (pa == 0 || pa > 52)
		pa = 52;
	s->pa_rsvd = ~0ULL << pa;
}

static const struct pmsw_segment *seg(const struct state *s, unsigned int i)
{
	return &s->ctx->seg[i];
}

static bool usable(const struct state *s, unsigned int i)
{
	return !(seg(s, i)->ar & PMSW_AR_UNUSABLE);
}

/* Record the offending value; true so that predicates can end in it. */
static bool report(struct state *s, __u64 v)
{
	s->val = v;
	return true;
}

/* ---- 1-99: the context as an ABI structure ---------------------- */

static bool ctx_size(struct state *s)
{
	return s->ctx->size != sizeof(*s->ctx) && report(s, s->ctx->size);
}

static bool ctx_flags(struct state *s)
{
	return (s->ctx->flags &
		~(PMSW_CONTEXT_F_CPU_CHECKS | PMSW_CONTEXT_F_VE |
		  PMSW_CONTEXT_F_EXITLESS)) &&
	       report(s, s->ctx->flags);
}

static bool ctx_reserved(struct state *s)
{
	unsigned int i;

	for (i = 0; i < PMSW_ARRAY_SIZE(s->ctx->reserved); i++)
		if (s->ctx->reserved[i])
			return report(s, s->ctx->reserved[i]);
	return false;
}

static bool seg_reserved(struct state *s)
{
	unsigned int i;

	for (i = 0; i < PMSW_NR_SEGS; i++)
		if (seg(s, i)->reserved)
			return report(s, seg(s, i)->reserved);
	return false;
}

static bool dt_reserved(struct state *s)
{
	if (s->ctx->gdtr.reserved)
		return report(s, s->ctx->gdtr.reserved);
	return s->ctx->idtr.reserved && report(s, s->ctx->idtr.reserved);
}

/* ---- 100-199: 27.3.1.1 CRs, DR7, MSRs ---------------------------- */

/*
 * FIXED0 would force PE/PG on a context that has them clear: it would
 * run with protection or paging it did not ask for, so refuse it.
 */
static bool cr0_pe_pg(struct state *s)
{
	__u64 need = s->env->caps->cr0_fixed0 & (CR0_PE | CR0_PG);

	return !s->ug && (s->ctx->cr0 & need) != need &&
	       report(s, s->ctx->cr0);
}

static bool cr0_fixed1(struct state *s)
{
	return (s->cr0 & ~s->env->caps->cr0_fixed1) && report(s, s->cr0);
}

static bool cr0_pg_pe(struct state *s)
{
	return (s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE) && report(s, s->cr0);
}

static bool cr4_fixed1(struct state *s)
{
	return (s->cr4 & ~s->env->caps->cr4_fixed1) && report(s, s->cr4);
}

static bool cr4_cet_wp(struct state *s)
{
	return (s->cr4 & CR4_CET) && !(s->cr0 & CR0_WP) && report(s, s->cr0);
}

static bool ia32e_pg(struct state *s)
{
	return s->ia32e && !(s->cr0 & CR0_PG) && report(s, s->cr0);
}

static bool ia32e_pae(struct state *s)
{
	return s->ia32e && !(s->cr4 & CR4_PAE) && report(s, s->cr4);
}

static bool pcide(struct state *s)
{
	return !s->ia32e && (s->cr4 & CR4_PCIDE) && report(s, s->cr4);
}

static bool cr3(struct state *s)
{
	return (s->ctx->cr3 & s->pa_rsvd) && report(s, s->ctx->cr3);
}

/* "load debug controls" is always 1 (27.3.1.1). */
static bool dr7(struct state *s)
{
	return (s->ctx->dr7 >> 32) && report(s, s->ctx->dr7);
}

static bool sysenter(struct state *s)
{
	__u64 v = s->arg ? s->ctx->sysenter_eip : s->ctx->sysenter_esp;

	return !canonical(v, s->va_bits) && report(s, v);
}

/* What WRMSR would take (27.3.1.1): UC, WC, WT, WP, WB, UC-. */
static bool pat(struct state *s)
{
	unsigned int i, type;

	for (i = 0; i < 8; i++) {
		type = (s->ctx->pat >> (8 * i)) & 0xff;
		if (type == 2 || type == 3 || type > 7)
			return report(s, s->ctx->pat);
	}
	return false;
}

/*
 * Only the EFER bits every 64-bit Intel processor has; the others are
 * reserved (SDM Vol. 4, IA32_EFER) or AMD-only.
 */
static bool efer_rsvd(struct state *s)
{
	return (s->ctx->efer & ~EFER_KNOWN) && report(s, s->ctx->efer);
}

static bool efer_lma(struct state *s)
{
	bool ctl = s->env->entry & PMSW_ENTRY_IA32E_MODE;

	return ctl != s->ia32e && report(s, s->ctx->efer);
}

static bool efer_lme(struct state *s)
{
	__u64 efer = s->ctx->efer;

	return (s->cr0 & CR0_PG) && !(efer & EFER_LME) != !(efer & EFER_LMA) &&
	       report(s, efer);
}

/* ---- 200-299: 27.3.1.2 segment registers -------------------------- */

/*
 * Most segment rules hold for several registers: the table runs one
 * predicate per register with the register (PMSW_SEG_*) in s->arg, and
 * these helpers read that register.
 */
static const struct pmsw_segment *cur(const struct state *s)
{
	return seg(s, s->arg);
}

static unsigned int cur_type(const struct state *s)
{
	return PMSW_AR_TYPE(cur(s)->ar);
}

static unsigned int cur_dpl(const struct state *s)
{
	return PMSW_AR_DPL(cur(s)->ar);
}

static bool report_ar(struct state *s)
{
	return report(s, cur(s)->ar);
}

static bool tr_sel_ti(struct state *s)
{
	__u32 sel = seg(s, PMSW_SEG_TR)->selector;

	return (sel & SEL_TI) && report(s, sel);
}

static bool ldtr_sel_ti(struct state *s)
{
	__u32 sel = seg(s, PMSW_SEG_LDTR)->selector;

	return usable(s, PMSW_SEG_LDTR) && (sel & SEL_TI) && report(s, sel);
}

static bool ss_rpl(struct state *s)
{
	__u32 ss = seg(s, PMSW_SEG_SS)->selector;

	return !s->v86 && !s->ug &&
	       SEL_RPL(ss) != SEL_RPL(seg(s, PMSW_SEG_CS)->selector) &&
	       report(s, ss);
}

/* Virtual-8086 mode: every segment as real mode would load it. */
static bool v86_base(struct state *s)
{
	return s->v86 && cur(s)->base != (__u64)cur(s)->selector << 4 &&
	       report(s, cur(s)->base);
}

static bool v86_limit(struct state *s)
{
	return s->v86 && cur(s)->limit != V86_LIMIT &&
	       report(s, cur(s)->limit);
}

static bool v86_ar(struct state *s)
{
	return s->v86 && cur(s)->ar != V86_AR && report_ar(s);
}

/* TR, FS, GS always; LDTR when usable. */
static bool base_canonical(struct state *s)
{
	if (s->arg == PMSW_SEG_LDTR && !usable(s, s->arg))
		return false;
	return !canonical(cur(s)->base, s->va_bits) && report(s, cur(s)->base);
}

/* CS always; SS, DS, ES when usable. */
static bool base_high(struct state *s)
{
	if (s->arg != PMSW_SEG_CS && !usable(s, s->arg))
		return false;
	return (cur(s)->base >> 32) && report(s, cur(s)->base);
}

/*
 * Outside virtual-8086 mode the access-rights sub-fields of CS are always
 * checked, those of SS, DS, ES, FS, GS when the register is usable.
 */
static bool pm_checked(const struct state *s)
{
	return !s->v86 && (s->arg == PMSW_SEG_CS || usable(s, s->arg));
}

/* Accessed code; with unrestricted guest also accessed r/w data (3). */
static bool cs_type(struct state *s)
{
	unsigned int type = cur_type(s);
	bool code = (type & (TYPE_CODE | TYPE_ACCESSED)) ==
		    (TYPE_CODE | TYPE_ACCESSED);

	return !s->v86 && !code && !(s->ug && type == TYPE_DATA_RW_ACCESSED) &&
	       report_ar(s);
}

static bool ss_type(struct state *s)
{
	unsigned int type = cur_type(s);

	return pm_checked(s) && type != TYPE_DATA_RW_ACCESSED &&
	       type != TYPE_DATA_RW_DOWN_ACC && report_ar(s);
}

static bool accessed(struct state *s)
{
	return pm_checked(s) && !(cur_type(s) & TYPE_ACCESSED) && report_ar(s);
}

static bool readable(struct state *s)
{
	unsigned int type = cur_type(s);

	return pm_checked(s) && (type & TYPE_CODE) &&
	       !(type & TYPE_READABLE) && report_ar(s);
}

static bool s_bit(struct state *s)
{
	return pm_checked(s) && !(cur(s)->ar & PMSW_AR_S) && report_ar(s);
}

static bool cs_dpl_data(struct state *s)
{
	return !s->v86 && cur_type(s) == TYPE_DATA_RW_ACCESSED &&
	       cur_dpl(s) != 0 && report_ar(s);
}

/*
 * SS.DPL is the CPL (SDM 25.4.1). Non-conforming code runs at its own
 * DPL, conforming code at a CPL numerically at or above it.
 */
static bool cs_dpl_nonconf(struct state *s)
{
	unsigned int type = cur_type(s);

	return !s->v86 && (type == 9 || type == 11) &&
	       cur_dpl(s) != PMSW_AR_DPL(seg(s, PMSW_SEG_SS)->ar) &&
	       report_ar(s);
}

/*
 * Non-conforming code runs at CPL = DPL, and loading CS puts the CPL in
 * its RPL (SDM Vol. 3A 5.8.1.1): RPL != DPL is a state no instruction
 * produces. The VM-entry checks do not name it, but CPUs may refuse it
 * (Bochs does), so pmswitch refuses it for every CPU alike.
 */
static bool cs_rpl_dpl(struct state *s)
{
	unsigned int type = cur_type(s);

	/* Real mode (CR0.PE=0) has no CPL in selectors. */
	return pm_checked(s) && (s->cr0 & CR0_PE) &&
	       (type == 9 || type == 11) &&
	       (cur(s)->selector & 3) != cur_dpl(s) &&
	       report(s, cur(s)->selector);
}

static bool cs_dpl_conf(struct state *s)
{
	unsigned int type = cur_type(s);

	return !s->v86 && (type == 13 || type == 15) &&
	       cur_dpl(s) > PMSW_AR_DPL(seg(s, PMSW_SEG_SS)->ar) &&
	       report_ar(s);
}

/* The SS DPL rules hold whether SS is usable or not. */
static bool ss_dpl_rpl(struct state *s)
{
	return !s->v86 && !s->ug && cur_dpl(s) != SEL_RPL(cur(s)->selector) &&
	       report_ar(s);
}

/* Real mode (CR0.PE=0) and a CS of type 3 both mean CPL 0. */
static bool ss_dpl_zero(struct state *s)
{
	bool cpl0 = PMSW_AR_TYPE(seg(s, PMSW_SEG_CS)->ar) ==
		    TYPE_DATA_RW_ACCESSED || !(s->cr0 & CR0_PE);

	return !s->v86 && cpl0 && cur_dpl(s) != 0 && report_ar(s);
}

/* Data and non-conforming code (types 0-11) must admit their RPL. */
static bool data_dpl(struct state *s)
{
	return pm_checked(s) && !s->ug && cur_type(s) <= 11 &&
	       cur_dpl(s) < SEL_RPL(cur(s)->selector) && report_ar(s);
}

static bool present(struct state *s)
{
	return pm_checked(s) && !(cur(s)->ar & PMSW_AR_P) && report_ar(s);
}

static bool ar_11_8(struct state *s)
{
	return pm_checked(s) && (cur(s)->ar & AR_RSVD_11_8) && report_ar(s);
}

static bool cs_l_d(struct state *s)
{
	__u32 ar = cur(s)->ar;

	return !s->v86 && s->ia32e && (ar & PMSW_AR_L) && (ar & PMSW_AR_DB) &&
	       report_ar(s);
}

/*
 * G=1 counts the limit in 4-KiB units, so its low 12 bits are all 1; a
 * limit above 1 MiB - 1 cannot be expressed in bytes.
 */
static bool limit_g_bad(const struct pmsw_segment *sg)
{
	if (sg->ar & PMSW_AR_G)
		return (sg->limit & 0xfff) != 0xfff;
	return sg->limit > 0xfffff;
}

static bool seg_g(struct state *s)
{
	return pm_checked(s) && limit_g_bad(cur(s)) && report_ar(s);
}

static bool ar_31_17(struct state *s)
{
	return pm_checked(s) && (cur(s)->ar & AR_RSVD_31_17) && report_ar(s);
}

/* TR: a 16- or 32-bit busy TSS; in IA-32e mode only the 64-bit one. */
static bool tr_type(struct state *s)
{
	unsigned int type = cur_type(s);

	return !s->ia32e && type != TYPE_DATA_RW_ACCESSED &&
	       type != TYPE_TSS_BUSY && report_ar(s);
}

static bool tr_type_ia32e(struct state *s)
{
	return s->ia32e && cur_type(s) != TYPE_TSS_BUSY && report_ar(s);
}

static bool tr_unusable(struct state *s)
{
	return !usable(s, s->arg) && report_ar(s);
}

/* TR is always checked, LDTR when usable. */
static bool sys_checked(const struct state *s)
{
	return s->arg == PMSW_SEG_TR || usable(s, s->arg);
}

static bool ldtr_type(struct state *s)
{
	return sys_checked(s) && cur_type(s) != TYPE_LDT && report_ar(s);
}

static bool sys_s(struct state *s)
{
	return sys_checked(s) && (cur(s)->ar & PMSW_AR_S) && report_ar(s);
}

static bool sys_p(struct state *s)
{
	return sys_checked(s) && !(cur(s)->ar & PMSW_AR_P) && report_ar(s);
}

static bool sys_11_8(struct state *s)
{
	return sys_checked(s) && (cur(s)->ar & AR_RSVD_11_8) && report_ar(s);
}

static bool sys_g(struct state *s)
{
	return sys_checked(s) && limit_g_bad(cur(s)) && report_ar(s);
}

static bool sys_31_17(struct state *s)
{
	return sys_checked(s) && (cur(s)->ar & AR_RSVD_31_17) && report_ar(s);
}

/* ---- 300-399: 27.3.1.3 GDTR, IDTR ---------------------------------- */

/* s->arg: 0 for GDTR, 1 for IDTR. */
static const struct pmsw_dtable *dt(const struct state *s)
{
	return s->arg ? &s->ctx->idtr : &s->ctx->gdtr;
}

static bool dt_base(struct state *s)
{
	return !canonical(dt(s)->base, s->va_bits) && report(s, dt(s)->base);
}

static bool dt_limit(struct state *s)
{
	return (dt(s)->limit >> 16) && report(s, dt(s)->limit);
}

/* ---- 400-499: 27.3.1.4 RIP, RFLAGS --------------------------------- */

/* 64-bit mode: IA-32e mode with CS.L=1. */
static bool code64(const struct state *s)
{
	return s->ia32e && (seg(s, PMSW_SEG_CS)->ar & PMSW_AR_L);
}

static bool rip_high(struct state *s)
{
	return !code64(s) && (s->ctx->rip >> 32) && report(s, s->ctx->rip);
}

static bool rip_canonical(struct state *s)
{
	return code64(s) && !canonical(s->ctx->rip, s->va_bits) &&
	       report(s, s->ctx->rip);
}

static bool rflags_rsvd(struct state *s)
{
	return (s->ctx->rflags & RFLAGS_RESERVED) && report(s, s->ctx->rflags);
}

static bool rflags_bit1(struct state *s)
{
	return !(s->ctx->rflags & RFLAGS_FIXED1) && report(s, s->ctx->rflags);
}

static bool vm_ia32e(struct state *s)
{
	return s->v86 && s->ia32e && report(s, s->ctx->rflags);
}

static bool vm_real(struct state *s)
{
	return s->v86 && !(s->cr0 & CR0_PE) && report(s, s->ctx->rflags);
}

/* ---- 500-599: 27.3.1.5 non-register state -------------------------- */

/*
 * The activity state is always active and nothing is injected, so only
 * the interruptibility rules that stand on their own apply.
 */
static bool intr_rsvd(struct state *s)
{
	__u32 intr = s->ctx->interruptibility;
	__u64 rsvd = INTR_RESERVED;

	/* Enclave interruption exists only with SGX (SDM 25.4.2). */
	if (!s->env->sgx)
		rsvd |= INTR_ENCLAVE;
	return (intr & rsvd) && report(s, intr);
}

static bool intr_sti_ss(struct state *s)
{
	__u32 intr = s->ctx->interruptibility;

	return (intr & INTR_STI) && (intr & INTR_MOVSS) && report(s, intr);
}

static bool intr_sti_if(struct state *s)
{
	__u32 intr = s->ctx->interruptibility;

	return (intr & INTR_STI) && !(s->ctx->rflags & RFLAGS_IF) &&
	       report(s, intr);
}

/* SMI blocking needs the processor in SMM; the monitor never is. */
static bool intr_smi(struct state *s)
{
	__u32 intr = s->ctx->interruptibility;

	return (intr & INTR_SMI) && report(s, intr);
}

static bool intr_encl(struct state *s)
{
	__u32 intr = s->ctx->interruptibility;

	return (intr & INTR_ENCLAVE) && (intr & INTR_MOVSS) && report(s, intr);
}

/*
 * With STI or MOV-SS blocking in the active state, pending debug
 * exception BS must be 1 exactly when RFLAGS.TF=1 (IA32_DEBUGCTL.BTF is
 * 0): TF set before such an instruction has a single-step pending. The
 * monitor enters with no pending debug exception, so TF must be 0 then.
 */
static bool tf_bs(struct state *s)
{
	__u32 intr = s->ctx->interruptibility;

	return (intr & (INTR_STI | INTR_MOVSS)) &&
	       (s->ctx->rflags & RFLAGS_TF) && report(s, s->ctx->rflags);
}

/* ---- 600-699: 27.3.1.6 PDPTEs --------------------------------------- */

/*
 * PAE paging (CR0.PG=1, CR4.PAE=1, not IA-32e mode): with "enable EPT"
 * VM entry checks the PDPTE fields as MOV to CR3 checks the entries in
 * memory (SDM 4.4.1): reserved bits of a present entry must be 0.
 */
static bool pdpte(struct state *s)
{
	__u64 e = s->ctx->pdpte[s->arg];

	if (!(s->cr0 & CR0_PG) || !(s->cr4 & CR4_PAE) || s->ia32e)
		return false;
	return (e & PDPTE_P) && (e & (PDPTE_RSVD_LOW | s->pa_rsvd)) &&
	       report(s, e);
}

/* ---- 700-799: host protection (pmswitch's own rules) --------------- */

/*
 * The ABI defines bits 15:0 of a selector; the VMCS selector fields have
 * 16 bits (SDM 25.4.1), so anything above would be dropped silently.
 */
static bool sel_high(struct state *s)
{
	return (cur(s)->selector >> 16) && report(s, cur(s)->selector);
}

/*
 * CR4 bits outside PMSW_CR4_SWITCHED enable state that lives outside the
 * VMCS and that pmswitch does not switch: set in a context, they would
 * act on the host's (SDM Vol. 3A 2.5).
 */
static bool cr4_has(struct state *s, __u64 bits)
{
	return (s->cr4 & bits) && report(s, s->cr4);
}

/* WRPKRU and RDPKRU never exit: PKRU would be the calling thread's. */
static bool cr4_pke(struct state *s)
{
	return cr4_has(s, CR4_PKE);
}

/* IA32_U_CET, IA32_S_CET, SSP and the PLx_SSP MSRs (SDM Vol. 1 17). */
static bool cr4_cet(struct state *s)
{
	return cr4_has(s, CR4_CET);
}

/* FRED event delivery uses the IA32_FRED_* MSRs, which stay the host's. */
static bool cr4_fred(struct state *s)
{
	return cr4_has(s, CR4_FRED);
}

static bool cr4_unswitched(struct state *s)
{
	return cr4_has(s, PMSW_CR4_UNSWITCHED &
			  ~(CR4_PKE | CR4_CET | CR4_FRED));
}

/*
 * DR0-DR3 are not part of a context and VM entry does not load them: an
 * enabled breakpoint would match the host's addresses (SDM 18.2.4).
 */
static bool dr7_enables(struct state *s)
{
	return (s->ctx->dr7 & DR7_ENABLES) && report(s, s->ctx->dr7);
}

/*
 * With "virtual NMIs" the bit blocks only virtual NMIs; without it, it
 * is the processor's own NMI blocking, which would hold off the host's
 * NMIs until the context executes IRET (SDM 25.4.2, 27.3.1.5).
 */
static bool intr_nmi(struct state *s)
{
	return !(s->env->pin & PMSW_PIN_VIRTUAL_NMIS) &&
	       (s->ctx->interruptibility & INTR_NMI) &&
	       report(s, s->ctx->interruptibility);
}

/* s->arg: 0 IA32_LSTAR, 1 IA32_CSTAR, 2 IA32_KERNEL_GS_BASE. */
static __u64 syscall_msr(const struct state *s)
{
	if (s->arg == 0)
		return s->ctx->lstar;
	return s->arg == 1 ? s->ctx->cstar : s->ctx->kernel_gs_base;
}

/*
 * The monitor loads these MSRs with WRMSR, which raises #GP for a
 * non-canonical address (SDM Vol. 4, WRMSR). 48 bits whatever the
 * processor supports: such an address is canonical for every width and
 * every CR4.LA57 the host may run with.
 */
static bool msr_canonical(struct state *s)
{
	__u64 v = syscall_msr(s);

	return !canonical(v, 48) && report(s, v);
}

/* IA32_FMASK bits 63:32 are reserved: WRMSR would raise #GP. */
static bool sfmask_high(struct state *s)
{
	return (s->ctx->sfmask >> 32) && report(s, s->ctx->sfmask);
}

/* ---- 800-899: memory views ----------------------------------------- */

/* The ranges the other view rules look at: at most the array's. */
static unsigned int nr_ranges(const struct state *s)
{
	return s->ctx->nr_view_ranges < PMSW_MAX_VIEW_RANGES ?
	       s->ctx->nr_view_ranges : PMSW_MAX_VIEW_RANGES;
}

static const struct pmsw_view_range *range(const struct state *s,
					   unsigned int i)
{
	return &s->ctx->view[i];
}

static bool view_count(struct state *s)
{
	return s->ctx->nr_view_ranges > PMSW_MAX_VIEW_RANGES &&
	       report(s, s->ctx->nr_view_ranges);
}

/* Unused entries too: a later ABI may give them a meaning. */
static bool view_reserved(struct state *s)
{
	const struct pmsw_view_range *r;
	unsigned int i;

	if (s->ctx->reserved_view)
		return report(s, s->ctx->reserved_view);
	for (i = 0; i < PMSW_MAX_VIEW_RANGES; i++) {
		r = range(s, i);
		if (r->reserved)
			return report(s, r->reserved);
		if (i >= nr_ranges(s) && (r->gpa | r->bytes | r->perm))
			return report(s, r->gpa | r->bytes | r->perm);
	}
	return false;
}

/* s->arg of the permission rules. */
enum { PERM_UNKNOWN, PERM_NONE, PERM_W_NOT_R, PERM_X_ONLY };

/*
 * Write without read is an EPT misconfiguration (SDM 29.3.3.1); so is
 * execute-only unless IA32_VMX_EPT_VPID_CAP[0] says the processor
 * supports it (SDM 29.3.3.1, A.10). The module refuses the latter with
 * EOPNOTSUPP: the context is fine, the CPU lacks the feature.
 */
static bool perm_bad(const struct state *s, __u32 perm)
{
	switch (s->arg) {
	case PERM_UNKNOWN:
		return perm & ~PMSW_VIEW_RWX;
	case PERM_NONE:
		return !perm;
	case PERM_W_NOT_R:
		return (perm & PMSW_VIEW_W) && !(perm & PMSW_VIEW_R);
	default:
		return (perm & PMSW_VIEW_RWX) == PMSW_VIEW_X &&
		       !(s->env->caps->ept_vpid_cap & PMSW_BIT(0));
	}
}

/* The first used range whose permissions break rule s->arg. */
static bool view_perm(struct state *s)
{
	unsigned int i;

	for (i = 0; i < nr_ranges(s); i++)
		if (perm_bad(s, range(s, i)->perm))
			return report(s, range(s, i)->perm);
	return false;
}

/* The EPT maps 4-KiB pages (SDM 29.3.2): a view is made of whole ones. */
static bool view_align(struct state *s)
{
	unsigned int i;

	for (i = 0; i < nr_ranges(s); i++) {
		if (range(s, i)->gpa & 0xfff)
			return report(s, range(s, i)->gpa);
		if (range(s, i)->bytes & 0xfff)
			return report(s, range(s, i)->bytes);
	}
	return false;
}

static bool view_empty(struct state *s)
{
	unsigned int i;

	for (i = 0; i < nr_ranges(s); i++)
		if (!range(s, i)->bytes)
			return report(s, range(s, i)->gpa);
	return false;
}

/* Beyond session memory there is nothing to map (no wrap-around). */
static bool view_bounds(struct state *s)
{
	__u64 mem = s->env->mem_bytes;
	unsigned int i;

	for (i = 0; i < nr_ranges(s); i++)
		if (range(s, i)->bytes > mem ||
		    range(s, i)->gpa > mem - range(s, i)->bytes)
			return report(s, range(s, i)->gpa);
	return false;
}

/* [a, a + as) and [b, b + bs) share a byte; no sum can overflow. */
static bool overlap(__u64 a, __u64 as, __u64 b, __u64 bs)
{
	return a >= b ? a - b < bs : b - a < as;
}

/* One permission per page: two ranges may not claim the same one. */
static bool view_overlap(struct state *s)
{
	const struct pmsw_view_range *a, *b;
	unsigned int i, j;

	for (j = 1; j < nr_ranges(s); j++) {
		b = range(s, j);
		for (i = 0; i < j; i++) {
			a = range(s, i);
			if (a->bytes && b->bytes &&
			    overlap(a->gpa, a->bytes, b->gpa, b->bytes))
				return report(s, b->gpa);
		}
	}
	return false;
}

/* ---- the table ------------------------------------------------------ */

/*
 * #VE needs the secondary processor-based control 18, "EPT-violation
 * #VE" (SDM 26.5.7, A.3.3: allowed-1 bit 50 of IA32_VMX_PROCBASED_CTLS2),
 * which pmsw_decode_features() reports only on top of EPT. Refused with
 * EOPNOTSUPP: the context is fine, the CPU lacks the control.
 */
static bool ve_unsupported(struct state *s)
{
	return (s->ctx->flags & PMSW_CONTEXT_F_VE) &&
	       !(pmsw_decode_features(s->env->caps) & PMSW_FEAT_EPT_VE) &&
	       report(s, s->env->caps->procbased_ctls2);
}

/*
 * The exit-less switch executes VMFUNC 0 (SDM 26.5.6.3): secondary
 * control 13 "enable VM functions" (allowed-1 bit 45 of
 * IA32_VMX_PROCBASED_CTLS2) and EPTP switching (IA32_VMX_VMFUNC[0]),
 * both folded into PMSW_FEAT_EPTP_SWITCHING. EOPNOTSUPP: the CPU lacks
 * them, the context is fine.
 */
static bool xl_unsupported(struct state *s)
{
	return (s->ctx->flags & PMSW_CONTEXT_F_EXITLESS) &&
	       (~pmsw_decode_features(s->env->caps) &
		(PMSW_FEAT_VMFUNC | PMSW_FEAT_EPTP_SWITCHING)) &&
	       report(s, s->env->caps->vmfunc);
}

/* A member's EPT must be its own: its state page lives there. */
static bool xl_no_view(struct state *s)
{
	return (s->ctx->flags & PMSW_CONTEXT_F_EXITLESS) &&
	       !s->ctx->nr_view_ranges && report(s, 0);
}

/*
 * The routine has a 64-bit and a 32-bit paging path. Not for PAE paging:
 * MOV to CR3 there loads the PDPTEs (SDM 4.4.1), which the transit
 * tables would have to provide as well; not without paging: the transit
 * CR3 is what keeps a VMFUNC outside the routine from continuing in
 * another member's memory (exitless.rst).
 */
static bool xl_mode(struct state *s)
{
	return (s->ctx->flags & PMSW_CONTEXT_F_EXITLESS) && !s->ia32e &&
	       (!(s->cr0 & CR0_PG) || (s->cr4 & CR4_PAE)) && report(s, s->cr0);
}

/*
 * A member's IA32_SYSENTER_* are the routine's: its SYSENTER after the
 * VMFUNC must land on the post-VMFUNC path with a stack in the state
 * page, whichever member's VMCS the CPU runs (the MSRs travel with the
 * CPU). All zero means "the module sets them" (pmsw_xl_sysenter).
 */
static bool xl_sysenter(struct state *s)
{
	const struct pmsw_context *c = s->ctx;
	struct pmsw_context want = *c;

	if (!(c->flags & PMSW_CONTEXT_F_EXITLESS) ||
	    (!c->sysenter_cs && !c->sysenter_esp && !c->sysenter_eip))
		return false;
	want.sysenter_cs = want.sysenter_esp = want.sysenter_eip = 0;
	pmsw_xl_sysenter(&want);
	return (c->sysenter_cs != want.sysenter_cs ||
		c->sysenter_esp != want.sysenter_esp ||
		c->sysenter_eip != want.sysenter_eip) &&
	       report(s, c->sysenter_eip);
}

void pmsw_xl_sysenter(struct pmsw_context *c)
{
	if (!(c->flags & PMSW_CONTEXT_F_EXITLESS) || c->sysenter_cs ||
	    c->sysenter_esp || c->sysenter_eip)
		return;
	c->sysenter_cs = PMSW_XL_SYSENTER_CS;
	c->sysenter_esp = PMSW_XL_SYSENTER_ESP;
	c->sysenter_eip = (c->efer & EFER_LMA) ? PMSW_XL_POST64 :
						 PMSW_XL_POST32;
}

/*
 * With CR4.PGE = CR4.PCIDE = 0 every MOV to CR3 flushes all translations
 * of the VPID (SDM 4.10.4.1): none of the origin's survives the switch.
 */
static bool xl_cr4(struct state *s)
{
	return (s->ctx->flags & PMSW_CONTEXT_F_EXITLESS) &&
	       (s->cr4 & (CR4_PGE | CR4_PCIDE)) && report(s, s->cr4);
}

/*
 * Not with #VE yet: the design suppresses #VE for other members' pages
 * (exitless.rst), which the views do not do so far.
 */
static bool xl_ve(struct state *s)
{
	return (s->ctx->flags & PMSW_CONTEXT_F_EXITLESS) &&
	       (s->ctx->flags & PMSW_CONTEXT_F_VE) && report(s, s->ctx->flags);
}

#define S_XL		"pmsw exitless"	/* exitless.rst */
#define S_CTX		"pmswitch.h"	/* not the SDM: the ABI's own rules */
#define S_CR		"27.3.1.1"
#define S_SEG		"27.3.1.2"
#define S_DT		"27.3.1.3"
#define S_RIP		"27.3.1.4"
#define S_NR		"27.3.1.5"
#define S_PDPTE		"27.3.1.6"
#define S_HOST		"pmswitch host"	/* not the SDM: host protection */
#define S_VIEW		"pmswitch view"	/* not the SDM: memory views */
#define S_EPT		"29.3.3.1"	/* EPT misconfigurations */
#define S_VE		"26.5.7"		/* EPT-violation #VE */

#define CP(x)		PMSW_CP_##x
#define P_CS		PMSW_CP_SEG(PMSW_SEG_CS)
#define P_SS		PMSW_CP_SEG(PMSW_SEG_SS)
#define P_DS		PMSW_CP_SEG(PMSW_SEG_DS)
#define P_ES		PMSW_CP_SEG(PMSW_SEG_ES)
#define P_FS		PMSW_CP_SEG(PMSW_SEG_FS)
#define P_GS		PMSW_CP_SEG(PMSW_SEG_GS)
#define P_TR		PMSW_CP_SEG(PMSW_SEG_TR)
#define P_LDTR		PMSW_CP_SEG(PMSW_SEG_LDTR)
#define P_FL		PMSW_CP_RFLAGS
#define F(name)		VMCS_GUEST_##name

#define RULE(id, sect, field, parts, fn, arg, text)			\
	{ PMSW_RULE_##id, (field), (parts), (sect), (text), (fn), (arg) }

/*
 * One row per register for rules that hold for several. The protected-
 * mode access-rights rules (SEG_AR) also read RFLAGS: they give way to
 * the virtual-8086 ones when RFLAGS.VM=1.
 */
#define V86(what, field, fn, R, text)					\
	RULE(V86_##what##_##R, S_SEG, F(R##_##field), P_##R | P_FL, fn,	\
	     PMSW_SEG_##R, #R " " text " when RFLAGS.VM=1")
#define BASE_HIGH(R, text)						\
	RULE(R##_BASE_HIGH, S_SEG, F(R##_BASE), P_##R, base_high,	\
	     PMSW_SEG_##R, #R " base bits 63:32 must be 0" text)
#define SEG_AR(what, R, fn, parts, text)				\
	RULE(R##_##what, S_SEG, F(R##_AR_BYTES), P_##R | P_FL | (parts), \
	     fn, PMSW_SEG_##R, #R " " text)
#define SYS_AR(what, R, fn, parts, text)				\
	RULE(R##_##what, S_SEG, F(R##_AR_BYTES), P_##R | (parts), fn,	\
	     PMSW_SEG_##R, #R " " text)
/* CR3 too: the PDPTEs are read from memory at CR3, as MOV to CR3 would. */
#define PDPTE(n)							\
	RULE(PDPTE##n, S_PDPTE, F(PDPTE##n),				\
	     CP(PDPTE) | CP(CR0) | CP(CR4) | CP(EFER) | CP(CR3), pdpte, n,	\
	     "PDPTE" #n " bits 2:1, 8:5 and from MAXPHYADDR up must be 0 if P=1")

#define SEL_HIGH(R)							\
	RULE(R##_SEL_HIGH, S_HOST, F(R##_SELECTOR), P_##R, sel_high,	\
	     PMSW_SEG_##R,						\
	     #R " selector bits 31:16 must be 0: the VMCS would drop them silently")
#define MSR_CANONICAL(id, msr, arg)					\
	RULE(id, S_HOST, 0, CP(SYSCALL), msr_canonical, arg,		\
	     msr " must be 48-bit canonical: the monitor loads it with WRMSR, which would #GP")

#define WHEN_USABLE	" when usable"
#define LIMIT_G		"limit and G disagree: G=1 needs limit[11:0]=0xfff, limit > 0xfffff needs G=1"
#define DATA_DPL	"DPL must be >= RPL (data, non-conforming code) without unrestricted guest"

/*
 * The header rules name PMSW_CP_CTLS as well as PMSW_CP_META: reading one
 * part too many costs a re-run, and pmsw_ctx_changed_parts() reports a
 * changed size, flags or reserved[] as PMSW_CP_CTLS.
 */
#define P_HEADER	(CP(META) | CP(CTLS))

static const struct rule rules[] = {
	RULE(CTX_SIZE, S_CTX, 0, P_HEADER, ctx_size, 0,
	     "context size must be sizeof(struct pmsw_context)"),
	RULE(CTX_FLAGS, S_CTX, 0, P_HEADER, ctx_flags, 0,
	     "context flags may only be PMSW_CONTEXT_F_CPU_CHECKS and PMSW_CONTEXT_F_VE"),
	RULE(CTX_RESERVED, S_CTX, 0, P_HEADER, ctx_reserved, 0,
	     "context reserved[] must be 0"),
	RULE(SEG_RESERVED, S_CTX, 0, PMSW_CP_SEGS, seg_reserved, 0,
	     "seg[].reserved must be 0"),
	RULE(DTABLE_RESERVED, S_CTX, 0, CP(GDTR) | CP(IDTR), dt_reserved, 0,
	     "gdtr.reserved and idtr.reserved must be 0"),

	RULE(CR0_PE_PG_FORCED, S_CR, F(CR0), CP(CR0), cr0_pe_pg, 0,
	     "CR0.PE and CR0.PG must be 1 without unrestricted guest (IA32_VMX_CR0_FIXED0)"),
	RULE(CR0_FIXED1, S_CR, F(CR0), CP(CR0), cr0_fixed1, 0,
	     "CR0 sets a bit that IA32_VMX_CR0_FIXED1 does not allow"),
	RULE(CR0_PG_WITHOUT_PE, S_CR, F(CR0), CP(CR0), cr0_pg_pe, 0,
	     "CR0.PG=1 requires CR0.PE=1"),
	RULE(CR4_FIXED1, S_CR, F(CR4), CP(CR4), cr4_fixed1, 0,
	     "CR4 sets a reserved or unsupported bit (not in IA32_VMX_CR4_FIXED1)"),
	RULE(CR4_CET_WITHOUT_WP, S_CR, F(CR0), CP(CR0) | CP(CR4), cr4_cet_wp, 0,
	     "CR4.CET=1 requires CR0.WP=1"),
	RULE(IA32E_WITHOUT_PG, S_CR, F(CR0), CP(CR0) | CP(EFER), ia32e_pg, 0,
	     "IA-32e mode (EFER.LMA=1) requires CR0.PG=1"),
	RULE(IA32E_WITHOUT_PAE, S_CR, F(CR4), CP(CR4) | CP(EFER), ia32e_pae, 0,
	     "IA-32e mode (EFER.LMA=1) requires CR4.PAE=1"),
	RULE(PCIDE_WITHOUT_IA32E, S_CR, F(CR4), CP(CR4) | CP(EFER), pcide, 0,
	     "CR4.PCIDE=1 requires IA-32e mode (EFER.LMA=1)"),
	RULE(CR3_RESERVED, S_CR, F(CR3), CP(CR3), cr3, 0,
	     "CR3 bits 63:52 and bits beyond the physical-address width must be 0"),
	RULE(DR7_HIGH, S_CR, F(DR7), CP(DR7), dr7, 0,
	     "DR7 bits 63:32 must be 0"),
	RULE(SYSENTER_ESP, S_CR, F(SYSENTER_ESP), CP(SYSENTER), sysenter, 0,
	     "IA32_SYSENTER_ESP must be canonical"),
	RULE(SYSENTER_EIP, S_CR, F(SYSENTER_EIP), CP(SYSENTER), sysenter, 1,
	     "IA32_SYSENTER_EIP must be canonical"),
	RULE(PAT, S_CR, F(IA32_PAT), CP(PAT), pat, 0,
	     "each IA32_PAT entry must be 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB) or 7 (UC-)"),
	RULE(EFER_RESERVED, S_CR, F(IA32_EFER), CP(EFER), efer_rsvd, 0,
	     "IA32_EFER may set only SCE (bit 0), LME (8), LMA (10) and NXE (11)"),
	RULE(EFER_LMA, S_CR, F(IA32_EFER), CP(EFER), efer_lma, 0,
	     "EFER.LMA must equal the \"IA-32e mode guest\" VM-entry control"),
	RULE(EFER_LME, S_CR, F(IA32_EFER), CP(EFER) | CP(CR0), efer_lme, 0,
	     "EFER.LME must equal EFER.LMA when CR0.PG=1"),

	RULE(TR_SEL_TI, S_SEG, F(TR_SELECTOR), P_TR, tr_sel_ti, 0,
	     "TR selector TI (bit 2) must be 0: the TSS descriptor is in the GDT"),
	RULE(LDTR_SEL_TI, S_SEG, F(LDTR_SELECTOR), P_LDTR, ldtr_sel_ti, 0,
	     "LDTR selector TI (bit 2) must be 0 when LDTR is usable"),
	RULE(SS_RPL, S_SEG, F(SS_SELECTOR), P_SS | P_CS | P_FL, ss_rpl, 0,
	     "SS.RPL must equal CS.RPL without unrestricted guest"),
	V86(BASE, BASE, v86_base, CS, "base must be selector << 4"),
	V86(BASE, BASE, v86_base, SS, "base must be selector << 4"),
	V86(BASE, BASE, v86_base, DS, "base must be selector << 4"),
	V86(BASE, BASE, v86_base, ES, "base must be selector << 4"),
	V86(BASE, BASE, v86_base, FS, "base must be selector << 4"),
	V86(BASE, BASE, v86_base, GS, "base must be selector << 4"),
	RULE(TR_BASE, S_SEG, F(TR_BASE), P_TR, base_canonical, PMSW_SEG_TR,
	     "TR base must be canonical"),
	RULE(FS_BASE, S_SEG, F(FS_BASE), P_FS, base_canonical, PMSW_SEG_FS,
	     "FS base must be canonical"),
	RULE(GS_BASE, S_SEG, F(GS_BASE), P_GS, base_canonical, PMSW_SEG_GS,
	     "GS base must be canonical"),
	RULE(LDTR_BASE, S_SEG, F(LDTR_BASE), P_LDTR, base_canonical,
	     PMSW_SEG_LDTR, "LDTR base must be canonical when LDTR is usable"),
	BASE_HIGH(CS, ""),
	BASE_HIGH(SS, WHEN_USABLE),
	BASE_HIGH(DS, WHEN_USABLE),
	BASE_HIGH(ES, WHEN_USABLE),
	V86(LIMIT, LIMIT, v86_limit, CS, "limit must be 0xffff"),
	V86(LIMIT, LIMIT, v86_limit, SS, "limit must be 0xffff"),
	V86(LIMIT, LIMIT, v86_limit, DS, "limit must be 0xffff"),
	V86(LIMIT, LIMIT, v86_limit, ES, "limit must be 0xffff"),
	V86(LIMIT, LIMIT, v86_limit, FS, "limit must be 0xffff"),
	V86(LIMIT, LIMIT, v86_limit, GS, "limit must be 0xffff"),
	V86(AR, AR_BYTES, v86_ar, CS, "access rights must be 0xf3"),
	V86(AR, AR_BYTES, v86_ar, SS, "access rights must be 0xf3"),
	V86(AR, AR_BYTES, v86_ar, DS, "access rights must be 0xf3"),
	V86(AR, AR_BYTES, v86_ar, ES, "access rights must be 0xf3"),
	V86(AR, AR_BYTES, v86_ar, FS, "access rights must be 0xf3"),
	V86(AR, AR_BYTES, v86_ar, GS, "access rights must be 0xf3"),

	SEG_AR(TYPE, CS, cs_type, 0,
	       "type must be accessed code (9, 11, 13, 15); 3 needs unrestricted guest"),
	SEG_AR(TYPE, SS, ss_type, 0,
	       "type must be read/write accessed data (3 or 7) when usable"),
	SEG_AR(ACCESSED, DS, accessed, 0, "type must be accessed (bit 0) when usable"),
	SEG_AR(ACCESSED, ES, accessed, 0, "type must be accessed (bit 0) when usable"),
	SEG_AR(ACCESSED, FS, accessed, 0, "type must be accessed (bit 0) when usable"),
	SEG_AR(ACCESSED, GS, accessed, 0, "type must be accessed (bit 0) when usable"),
	SEG_AR(READABLE, DS, readable, 0, "code segment must be readable when usable"),
	SEG_AR(READABLE, ES, readable, 0, "code segment must be readable when usable"),
	SEG_AR(READABLE, FS, readable, 0, "code segment must be readable when usable"),
	SEG_AR(READABLE, GS, readable, 0, "code segment must be readable when usable"),
	SEG_AR(S, CS, s_bit, 0, "S must be 1 (code or data segment)"),
	SEG_AR(S, SS, s_bit, 0, "S must be 1 (code or data segment) when usable"),
	SEG_AR(S, DS, s_bit, 0, "S must be 1 (code or data segment) when usable"),
	SEG_AR(S, ES, s_bit, 0, "S must be 1 (code or data segment) when usable"),
	SEG_AR(S, FS, s_bit, 0, "S must be 1 (code or data segment) when usable"),
	SEG_AR(S, GS, s_bit, 0, "S must be 1 (code or data segment) when usable"),
	SEG_AR(DPL_DATA, CS, cs_dpl_data, 0,
	       "DPL must be 0 when CS type is 3 (unrestricted guest)"),
	SEG_AR(DPL_NONCONFORMING, CS, cs_dpl_nonconf, P_SS,
	       "DPL must equal SS.DPL for non-conforming code (type 9, 11)"),
	SEG_AR(DPL_CONFORMING, CS, cs_dpl_conf, P_SS,
	       "DPL must not exceed SS.DPL for conforming code (type 13, 15)"),
	SEG_AR(DPL_RPL, SS, ss_dpl_rpl, 0,
	       "DPL must equal SS.RPL without unrestricted guest"),
	SEG_AR(DPL_ZERO, SS, ss_dpl_zero, P_CS | CP(CR0),
	       "DPL must be 0 when CS type is 3 or CR0.PE=0"),
	SEG_AR(DPL, DS, data_dpl, 0, DATA_DPL),
	SEG_AR(DPL, ES, data_dpl, 0, DATA_DPL),
	SEG_AR(DPL, FS, data_dpl, 0, DATA_DPL),
	SEG_AR(DPL, GS, data_dpl, 0, DATA_DPL),
	SEG_AR(P, CS, present, 0, "P must be 1"),
	SEG_AR(P, SS, present, 0, "P must be 1 when usable"),
	SEG_AR(P, DS, present, 0, "P must be 1 when usable"),
	SEG_AR(P, ES, present, 0, "P must be 1 when usable"),
	SEG_AR(P, FS, present, 0, "P must be 1 when usable"),
	SEG_AR(P, GS, present, 0, "P must be 1 when usable"),
	SEG_AR(AR_11_8, CS, ar_11_8, 0, "access-rights bits 11:8 must be 0"),
	SEG_AR(AR_11_8, SS, ar_11_8, 0, "access-rights bits 11:8 must be 0 when usable"),
	SEG_AR(AR_11_8, DS, ar_11_8, 0, "access-rights bits 11:8 must be 0 when usable"),
	SEG_AR(AR_11_8, ES, ar_11_8, 0, "access-rights bits 11:8 must be 0 when usable"),
	SEG_AR(AR_11_8, FS, ar_11_8, 0, "access-rights bits 11:8 must be 0 when usable"),
	SEG_AR(AR_11_8, GS, ar_11_8, 0, "access-rights bits 11:8 must be 0 when usable"),
	SEG_AR(L_D, CS, cs_l_d, CP(EFER), "L=1 requires CS.D=0 in IA-32e mode"),
	SEG_AR(G, CS, seg_g, 0, LIMIT_G),
	SEG_AR(G, SS, seg_g, 0, LIMIT_G),
	SEG_AR(G, DS, seg_g, 0, LIMIT_G),
	SEG_AR(G, ES, seg_g, 0, LIMIT_G),
	SEG_AR(G, FS, seg_g, 0, LIMIT_G),
	SEG_AR(G, GS, seg_g, 0, LIMIT_G),
	SEG_AR(AR_31_17, CS, ar_31_17, 0, "access-rights bits 31:17 must be 0"),
	SEG_AR(AR_31_17, SS, ar_31_17, 0, "access-rights bits 31:17 must be 0 when usable"),
	SEG_AR(AR_31_17, DS, ar_31_17, 0, "access-rights bits 31:17 must be 0 when usable"),
	SEG_AR(AR_31_17, ES, ar_31_17, 0, "access-rights bits 31:17 must be 0 when usable"),
	SEG_AR(AR_31_17, FS, ar_31_17, 0, "access-rights bits 31:17 must be 0 when usable"),
	SEG_AR(AR_31_17, GS, ar_31_17, 0, "access-rights bits 31:17 must be 0 when usable"),

	SYS_AR(TYPE, TR, tr_type, CP(EFER),
	       "type must be a busy TSS (3 or 11) outside IA-32e mode"),
	SYS_AR(TYPE_IA32E, TR, tr_type_ia32e, CP(EFER),
	       "type must be 11 (64-bit busy TSS) in IA-32e mode"),
	SYS_AR(S, TR, sys_s, 0, "S must be 0 (system segment)"),
	SYS_AR(P, TR, sys_p, 0, "P must be 1"),
	SYS_AR(AR_11_8, TR, sys_11_8, 0, "access-rights bits 11:8 must be 0"),
	SYS_AR(G, TR, sys_g, 0, LIMIT_G),
	SYS_AR(UNUSABLE, TR, tr_unusable, 0, "must be usable (access-rights bit 16 = 0)"),
	SYS_AR(AR_31_17, TR, sys_31_17, 0, "access-rights bits 31:17 must be 0"),
	SYS_AR(TYPE, LDTR, ldtr_type, 0, "type must be 2 (LDT) when usable"),
	SYS_AR(S, LDTR, sys_s, 0, "S must be 0 (system segment) when usable"),
	SYS_AR(P, LDTR, sys_p, 0, "P must be 1 when usable"),
	SYS_AR(AR_11_8, LDTR, sys_11_8, 0, "access-rights bits 11:8 must be 0 when usable"),
	SYS_AR(G, LDTR, sys_g, 0, LIMIT_G " (when usable)"),
	SYS_AR(AR_31_17, LDTR, sys_31_17, 0, "access-rights bits 31:17 must be 0 when usable"),

	RULE(GDTR_BASE, S_DT, F(GDTR_BASE), CP(GDTR), dt_base, 0,
	     "GDTR base must be canonical"),
	RULE(IDTR_BASE, S_DT, F(IDTR_BASE), CP(IDTR), dt_base, 1,
	     "IDTR base must be canonical"),
	RULE(GDTR_LIMIT, S_DT, F(GDTR_LIMIT), CP(GDTR), dt_limit, 0,
	     "GDTR limit bits 31:16 must be 0"),
	RULE(IDTR_LIMIT, S_DT, F(IDTR_LIMIT), CP(IDTR), dt_limit, 1,
	     "IDTR limit bits 31:16 must be 0"),

	RULE(RIP_HIGH, S_RIP, F(RIP), CP(RIP) | CP(EFER) | P_CS, rip_high, 0,
	     "RIP bits 63:32 must be 0 outside 64-bit mode (IA-32e mode with CS.L=1)"),
	RULE(RIP_CANONICAL, S_RIP, F(RIP), CP(RIP) | CP(EFER) | P_CS,
	     rip_canonical, 0, "RIP must be canonical in 64-bit mode"),
	RULE(RFLAGS_RESERVED, S_RIP, F(RFLAGS), P_FL, rflags_rsvd, 0,
	     "RFLAGS bits 63:22, 15, 5 and 3 are reserved and must be 0"),
	RULE(RFLAGS_BIT1, S_RIP, F(RFLAGS), P_FL, rflags_bit1, 0,
	     "RFLAGS bit 1 is reserved and must be 1"),
	RULE(RFLAGS_VM_IA32E, S_RIP, F(RFLAGS), P_FL | CP(EFER), vm_ia32e, 0,
	     "RFLAGS.VM must be 0 in IA-32e mode"),
	RULE(RFLAGS_VM_REAL, S_RIP, F(RFLAGS), P_FL | CP(CR0), vm_real, 0,
	     "RFLAGS.VM must be 0 when CR0.PE=0"),

	RULE(INTR_RESERVED, S_NR, F(INTERRUPTIBILITY_INFO), CP(INTR),
	     intr_rsvd, 0, "interruptibility bits 31:5 must be 0, and bit 4 without SGX"),
	RULE(INTR_STI_MOVSS, S_NR, F(INTERRUPTIBILITY_INFO), CP(INTR),
	     intr_sti_ss, 0, "blocking by STI and by MOV-SS cannot both be 1"),
	RULE(INTR_STI_IF, S_NR, F(INTERRUPTIBILITY_INFO), CP(INTR) | P_FL,
	     intr_sti_if, 0, "blocking by STI requires RFLAGS.IF=1"),
	RULE(INTR_SMI, S_NR, F(INTERRUPTIBILITY_INFO), CP(INTR), intr_smi, 0,
	     "blocking by SMI must be 0: the environment does not run in SMM"),
	RULE(INTR_ENCLAVE_MOVSS, S_NR, F(INTERRUPTIBILITY_INFO), CP(INTR),
	     intr_encl, 0, "enclave interruption (bit 4) requires blocking by MOV-SS=0"),
	RULE(TF_WITHOUT_BS, S_NR, F(RFLAGS), CP(INTR) | P_FL, tf_bs, 0,
	     "RFLAGS.TF must be 0 with blocking by STI or MOV-SS (pending debug exceptions are 0)"),

	PDPTE(0),
	PDPTE(1),
	PDPTE(2),
	PDPTE(3),

	SEL_HIGH(ES),
	SEL_HIGH(CS),
	SEL_HIGH(SS),
	SEL_HIGH(DS),
	SEL_HIGH(FS),
	SEL_HIGH(GS),
	SEL_HIGH(LDTR),
	SEL_HIGH(TR),
	RULE(CR4_PKE, S_HOST, F(CR4), CP(CR4), cr4_pke, 0,
	     "CR4.PKE must be 0: WRPKRU does not exit, it would change the host thread's PKRU"),
	RULE(CR4_CET, S_HOST, F(CR4), CP(CR4), cr4_cet, 0,
	     "CR4.CET must be 0: shadow-stack and IBT state and the CET MSRs are not switched"),
	RULE(CR4_FRED, S_HOST, F(CR4), CP(CR4), cr4_fred, 0,
	     "CR4.FRED must be 0: events would be delivered through the host's FRED MSRs"),
	RULE(CR4_UNSWITCHED, S_HOST, F(CR4), CP(CR4), cr4_unswitched, 0,
	     "CR4 sets a bit whose state is not switched (KL, PKS, UINTR, LAM_SUP...) or reserved"),
	RULE(DR7_ENABLES, S_HOST, F(DR7), CP(DR7), dr7_enables, 0,
	     "DR7 L0-G3 (bits 7:0) must be 0: breakpoints would use the host's DR0-DR3"),
	RULE(INTR_NMI, S_HOST, F(INTERRUPTIBILITY_INFO), CP(INTR), intr_nmi, 0,
	     "blocking by NMI (bit 3) needs \"virtual NMIs\", else it holds off the host's NMIs"),
	MSR_CANONICAL(LSTAR_CANONICAL, "IA32_LSTAR", 0),
	MSR_CANONICAL(CSTAR_CANONICAL, "IA32_CSTAR", 1),
	MSR_CANONICAL(KERNEL_GS_BASE, "IA32_KERNEL_GS_BASE", 2),
	RULE(SFMASK_HIGH, S_HOST, 0, CP(SYSCALL), sfmask_high, 0,
	     "IA32_FMASK bits 63:32 are reserved and must be 0: the monitor's WRMSR would #GP"),
	RULE(CS_RPL_DPL, S_HOST, F(CS_SELECTOR), P_CS | CP(CR0) | P_FL,
	     cs_rpl_dpl, PMSW_SEG_CS,
	     "CS.RPL must equal CS.DPL for non-conforming code in protected mode: no instruction makes it differ"),

	RULE(VIEW_COUNT, S_VIEW, 0, CP(VIEW), view_count, 0,
	     "nr_view_ranges must be at most PMSW_MAX_VIEW_RANGES (8)"),
	RULE(VIEW_RESERVED, S_VIEW, 0, CP(VIEW), view_reserved, 0,
	     "reserved_view, view[].reserved and the unused view[] entries must be 0"),
	RULE(VIEW_PERM_UNKNOWN, S_VIEW, 0, CP(VIEW), view_perm, PERM_UNKNOWN,
	     "view[].perm may only hold PMSW_VIEW_R, PMSW_VIEW_W and PMSW_VIEW_X"),
	RULE(VIEW_PERM_NONE, S_VIEW, 0, CP(VIEW), view_perm, PERM_NONE,
	     "view[].perm must not be 0: leave the range out instead"),
	RULE(VIEW_W_WITHOUT_R, S_EPT, 0, CP(VIEW), view_perm, PERM_W_NOT_R,
	     "view[].perm: write without read is an EPT misconfiguration"),
	RULE(VIEW_EXEC_ONLY, S_EPT, 0, CP(VIEW), view_perm, PERM_X_ONLY,
	     "view[].perm: execute-only needs IA32_VMX_EPT_VPID_CAP[0], which this CPU lacks"),
	RULE(VIEW_ALIGN, S_VIEW, 0, CP(VIEW), view_align, 0,
	     "view[].gpa and view[].bytes must be multiples of 4096"),
	RULE(VIEW_EMPTY, S_VIEW, 0, CP(VIEW), view_empty, 0,
	     "view[].bytes must not be 0 (value: the range's gpa)"),
	RULE(VIEW_BOUNDS, S_VIEW, 0, CP(VIEW), view_bounds, 0,
	     "view[] range must lie inside the session's memory (value: its gpa)"),
	RULE(VIEW_OVERLAP, S_VIEW, 0, CP(VIEW), view_overlap, 0,
	     "view[] ranges must not overlap (value: the later range's gpa)"),
	RULE(VE_UNSUPPORTED, S_VE, 0, P_HEADER,
	     ve_unsupported, 0,
	     "PMSW_CONTEXT_F_VE needs the \"EPT-violation #VE\" control (IA32_VMX_PROCBASED_CTLS2[50]), which this CPU lacks"),
	RULE(XL_UNSUPPORTED, "26.5.6.3", 0, P_HEADER, xl_unsupported, 0,
	     "F_EXITLESS needs VM functions (IA32_VMX_PROCBASED_CTLS2[45]) with EPTP switching (IA32_VMX_VMFUNC[0])"),
	RULE(XL_NO_VIEW, S_XL, 0, P_HEADER | CP(VIEW), xl_no_view, 0,
	     "PMSW_CONTEXT_F_EXITLESS needs a memory view (nr_view_ranges > 0)"),
	RULE(XL_MODE, S_XL, F(CR0), P_HEADER | CP(EFER) | CP(CR0) | CP(CR4),
	     xl_mode, 0,
	     "PMSW_CONTEXT_F_EXITLESS needs IA-32e mode or 32-bit paging (CR0.PG=1, CR4.PAE=0)"),
	RULE(XL_CR4, S_XL, F(CR4), P_HEADER | CP(CR4), xl_cr4, 0,
	     "PMSW_CONTEXT_F_EXITLESS needs CR4.PGE=0 and CR4.PCIDE=0"),
	RULE(XL_VE, S_XL, 0, P_HEADER, xl_ve, 0,
	     "PMSW_CONTEXT_F_EXITLESS does not go with PMSW_CONTEXT_F_VE yet"),
	RULE(XL_SYSENTER, S_XL, F(SYSENTER_EIP),
	     P_HEADER | CP(SYSENTER) | CP(EFER), xl_sysenter, 0,
	     "an exit-less member's SYSENTER MSRs are the routine's: submit 0 or PMSW_XL_SYSENTER_* (value: EIP)"),
};

/* Copy @src into @dst[@size]: truncated, NUL-terminated, zero-padded. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; i + 1 < size && src[i]; i++)
		dst[i] = src[i];
	for (; i < size; i++)
		dst[i] = '\0';
}

static void fill(struct pmsw_violation *v, const struct rule *r, __u64 val)
{
	v->rule = r->id;
	v->field = r->field;
	v->value = val;
	copy_str(v->section, sizeof(v->section), r->section);
	copy_str(v->text, sizeof(v->text), r->text);
}

unsigned int pmsw_check_context(const struct pmsw_context *ctx,
				const struct pmsw_check_env *env, __u64 parts,
				struct pmsw_violation *out, unsigned int max)
{
	struct state s;
	unsigned int i, n = 0;

	init_state(&s, ctx, env);
	for (i = 0; i < PMSW_ARRAY_SIZE(rules); i++) {
		const struct rule *r = &rules[i];

		if (!(r->parts & parts))
			continue;
		/* The CPU judges: only the rules that protect the host run. */
		if ((ctx->flags & PMSW_CONTEXT_F_CPU_CHECKS) &&
		    pmsw_rule_mirrors_sdm(r->id))
			continue;
		s.arg = r->arg;
		s.val = 0;
		if (!r->broken(&s))
			continue;
		if (n < max)
			fill(&out[n], r, s.val);
		n++;
	}
	return n;
}

bool pmsw_check_rule_desc(unsigned int index, struct pmsw_rule_desc *desc)
{
	const struct rule *r;

	if (index >= PMSW_ARRAY_SIZE(rules))
		return false;
	r = &rules[index];
	desc->rule = r->id;
	desc->field = r->field;
	desc->parts = r->parts;
	desc->section = r->section;
	desc->text = r->text;
	return true;
}

/*
 * The group rules (815-818, exitless.rst). They judge a member against
 * the others, so they are not in the per-context table above; the
 * module (exitless.c) and the CLI's check apply them through these.
 */
static void xl_violation(struct pmsw_violation *v, __u32 rule, __u64 value,
			 const char *text)
{
	v->rule = rule;
	v->field = 0;
	v->value = value;
	copy_str(v->section, sizeof(v->section), S_XL);
	copy_str(v->text, sizeof(v->text), text);
}

/* [a, a + a->bytes) and [b, b + b->bytes) share a byte; no overflow. */
static bool ranges_meet(const struct pmsw_view_range *a,
			const struct pmsw_view_range *b)
{
	return a->gpa >= b->gpa ? a->gpa - b->gpa < b->bytes :
				  b->gpa - a->gpa < a->bytes;
}

/* The first range of @c that is executable and meets one of @o's. */
static const struct pmsw_view_range *
exec_shared(const struct pmsw_context *c, const struct pmsw_context *o)
{
	__u32 i, j;

	for (i = 0; i < c->nr_view_ranges && i < PMSW_MAX_VIEW_RANGES; i++)
		for (j = 0; j < o->nr_view_ranges &&
			    j < PMSW_MAX_VIEW_RANGES; j++)
			if ((c->view[i].perm & o->view[j].perm & PMSW_VIEW_X) &&
			    ranges_meet(&c->view[i], &o->view[j]))
				return &c->view[i];
	return NULL;
}

/* Does @c's view map the page that holds guest-physical @gpa? */
static bool view_maps(const struct pmsw_context *c, __u64 gpa)
{
	struct pmsw_view_range page = { .gpa = gpa & ~0xfffULL,
					.bytes = 0x1000 };
	__u32 i;

	for (i = 0; i < c->nr_view_ranges && i < PMSW_MAX_VIEW_RANGES; i++)
		if (ranges_meet(&c->view[i], &page))
			return true;
	return false;
}

unsigned int pmsw_xl_check_pair(const struct pmsw_context *c,
				const struct pmsw_context *o,
				struct pmsw_violation *out, unsigned int max)
{
	const struct pmsw_view_range *r = exec_shared(c, o);
	unsigned int n = 0;

	if ((c->cr0 != o->cr0 || c->cr4 != o->cr4 || c->efer != o->efer ||
	     c->exception_bitmap != o->exception_bitmap ||
	     c->cr0_mask != o->cr0_mask || c->cr4_mask != o->cr4_mask) &&
	    n++ < max)
		xl_violation(&out[n - 1], PMSW_RULE_XL_SAME, c->cr0,
			     "exit-less members need equal CR0, CR4, EFER, exception bitmaps and CR masks");
	if (r && n++ < max)
		xl_violation(&out[n - 1], PMSW_RULE_XL_EXEC, r->gpa,
			     "memory executable for one exit-less member must not be executable for another (value: gpa)");
	if ((view_maps(o, c->cr3) || view_maps(c, o->cr3)) && n++ < max)
		xl_violation(&out[n - 1], PMSW_RULE_XL_ROOT, c->cr3,
			     "an exit-less member's CR3 page must not be mapped in another member's view");
	return n;
}

bool pmsw_xl_check_size(unsigned int members, __u64 misc,
			struct pmsw_violation *v)
{
	unsigned int targets = (misc >> 16) & 0x1ff;

	if (targets > PMSW_XL_MAX_CR3)
		targets = PMSW_XL_MAX_CR3;
	/* The transit root takes one CR3-target value. */
	if (members + 1 <= targets)
		return false;
	xl_violation(v, PMSW_RULE_XL_SIZE, members,
		     "an exit-less group may have at most as many members as the CPU has CR3-target values, less one");
	return true;
}

bool pmsw_xl_check_id(__u32 id, struct pmsw_violation *v)
{
	if (id < PMSW_XL_MAX_ID)
		return false;
	xl_violation(v, PMSW_RULE_XL_ID, id,
		     "an exit-less member's context id must be below 512, the EPTP list's entries (value: the id)");
	return true;
}
