// SPDX-License-Identifier: GPL-2.0
/*
 * Context <-> VMCS field mapping (pure). One table names, for every plain
 * field, where it lives in struct pmsw_context; CR0/CR4 (real value,
 * mask, read shadow), the VM-entry controls and the segment registers
 * are derived in code.
 */
#include "caps.h"
#include "ctxmap.h"

struct plain_field {
	unsigned short index;
	unsigned short offset;
	bool is32;
};

#define CTX64(vf, member) \
	{ VF_##vf, offsetof(struct pmsw_context, member), false }
#define CTX32(vf, member) \
	{ VF_##vf, offsetof(struct pmsw_context, member), true }

static const struct plain_field plain_fields[] = {
	CTX64(GUEST_RIP, rip),
	CTX64(GUEST_RSP, rsp),
	CTX64(GUEST_RFLAGS, rflags),
	CTX64(GUEST_CR3, cr3),
	CTX64(GUEST_IA32_EFER, efer),
	CTX64(GUEST_IA32_PAT, pat),
	CTX64(GUEST_DR7, dr7),
	CTX64(GUEST_SYSENTER_CS, sysenter_cs),
	CTX64(GUEST_SYSENTER_ESP, sysenter_esp),
	CTX64(GUEST_SYSENTER_EIP, sysenter_eip),
	CTX64(GUEST_GDTR_BASE, gdtr.base),
	CTX32(GUEST_GDTR_LIMIT, gdtr.limit),
	CTX64(GUEST_IDTR_BASE, idtr.base),
	CTX32(GUEST_IDTR_LIMIT, idtr.limit),
	CTX64(GUEST_PDPTE0, pdpte[0]),
	CTX64(GUEST_PDPTE1, pdpte[1]),
	CTX64(GUEST_PDPTE2, pdpte[2]),
	CTX64(GUEST_PDPTE3, pdpte[3]),
	CTX32(GUEST_INTERRUPTIBILITY_INFO, interruptibility),
};

static __u64 get_plain(const struct pmsw_context *ctx,
		       const struct plain_field *f)
{
	const char *p = (const char *)ctx + f->offset;

	return f->is32 ? *(const __u32 *)p : *(const __u64 *)p;
}

static void put_plain(struct pmsw_context *ctx, const struct plain_field *f,
		      __u64 val)
{
	char *p = (char *)ctx + f->offset;

	if (f->is32)
		*(__u32 *)p = (__u32)val;
	else
		*(__u64 *)p = val;
}

static void put(struct pmsw_ctx_fields *out, unsigned int index, __u64 val)
{
	out->val[index] = val;
	pmsw_field_set(out->set, index);
}

/*
 * Bits the monitor owns in CR0/CR4: those the CPU fixes in VMX operation
 * (SDM A.7/A.8, with PE and PG free under unrestricted guest) and those
 * the context asks to trap. The read shadow shows the context's value.
 */
static __u64 cr0_owned(const struct pmsw_context *ctx,
		       const struct pmsw_check_env *env)
{
	__u64 fixed = env->caps->cr0_fixed0 | ~env->caps->cr0_fixed1;

	/* Secondary controls count only when activated (SDM 25.6.2). */
	if ((env->proc & PMSW_PROC_SECONDARY_CTLS) &&
	    (env->proc2 & PMSW_PROC2_UNRESTRICTED_GUEST))
		fixed &= ~0x80000001ULL;	/* PG, PE */
	return fixed | ctx->cr0_mask;
}

/*
 * CR4 also owns every bit whose state pmswitch does not switch (PKE, CET,
 * FRED, ...; check.h): the checks keep them 0 in the context, and owning
 * them makes a MOV to CR4 that would set one exit (SDM 26.3) instead of
 * reaching host state. The read shadow shows them as the context has
 * them, 0, which is also their real value.
 */
/*
 * Exit-less members: CR4.PGE (bit 7) and CR4.PCIDE (bit 17) owned, and
 * page faults in the exception bitmap, which the page-fault error-code
 * mask and match (run.c) narrow to instruction fetches (SDM 26.2).
 */
#define XL_CR4_OWNED	((1ULL << 7) | (1ULL << 17))
#define XL_EXCEPTIONS	(1U << 14)

static __u64 cr4_owned(const struct pmsw_context *ctx,
		       const struct pmsw_check_env *env)
{
	__u64 owned = env->caps->cr4_fixed0 | ~env->caps->cr4_fixed1 |
		      PMSW_CR4_UNSWITCHED | ctx->cr4_mask;

	/* An exit-less member may not set PGE or PCIDE (exitless.rst). */
	if (ctx->flags & PMSW_CONTEXT_F_EXITLESS)
		owned |= XL_CR4_OWNED;
	return owned;
}

void pmsw_ctx_fields(const struct pmsw_context *ctx,
		     const struct pmsw_check_env *env,
		     struct pmsw_ctx_fields *out)
{
	unsigned int i;

	for (i = 0; i < PMSW_FIELD_WORDS; i++)
		out->set[i] = 0;
	for (i = 0; i < PMSW_ARRAY_SIZE(plain_fields); i++)
		put(out, plain_fields[i].index, get_plain(ctx, &plain_fields[i]));

	for (i = 0; i < PMSW_NR_SEGS; i++) {
		const struct pmsw_segment *s = &ctx->seg[i];

		put(out, VF_GUEST_ES_SELECTOR + i, s->selector);
		put(out, VF_GUEST_ES_BASE + i, s->base);
		put(out, VF_GUEST_ES_LIMIT + i, s->limit);
		put(out, VF_GUEST_ES_AR_BYTES + i, s->ar);
	}

	put(out, VF_GUEST_CR0, pmsw_guest_cr0(ctx, env));
	put(out, VF_CR0_READ_SHADOW, ctx->cr0);
	put(out, VF_CR0_GUEST_HOST_MASK, cr0_owned(ctx, env));
	put(out, VF_GUEST_CR4, pmsw_guest_cr4(ctx, env));
	put(out, VF_CR4_READ_SHADOW, ctx->cr4);
	put(out, VF_CR4_GUEST_HOST_MASK, cr4_owned(ctx, env));
	put(out, VF_VM_ENTRY_CONTROLS, env->entry);
	/*
	 * #DB, #AC and #MC always exit (they can loop inside the CPU, or
	 * belong to the host); the monitor delivers #DB and #AC to the
	 * context unless its own bitmap asks to stop. Not read back: the
	 * CPU never changes the bitmap.
	 */
	put(out, VF_EXCEPTION_BITMAP,
	    ctx->exception_bitmap | PMSW_EXCEPTIONS_ALWAYS_EXIT |
	    (ctx->flags & PMSW_CONTEXT_F_EXITLESS ? XL_EXCEPTIONS : 0));

	/*
	 * Guest state every context starts with and the processor then
	 * keeps (SDM 28.3.4): active, no pending debug exceptions, no
	 * DEBUGCTL, no VMCS link. Written once, then left to the CPU.
	 */
	put(out, VF_GUEST_ACTIVITY_STATE, PMSW_ACTIVITY_ACTIVE);
	put(out, VF_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	put(out, VF_GUEST_IA32_DEBUGCTL, 0);
	put(out, VF_VMCS_LINK_POINTER, ~0ULL);
}

void pmsw_exit_changed_fields(__u64 *map)
{
	static const unsigned short stable[] = {
		VF_GUEST_IA32_PAT, VF_GUEST_SYSENTER_CS,
		VF_GUEST_SYSENTER_ESP, VF_GUEST_SYSENTER_EIP,
		VF_GUEST_IA32_DEBUGCTL, VF_VMCS_LINK_POINTER,
		VF_VMX_PREEMPTION_TIMER_VALUE,
	};
	unsigned int i, enc;

	/*
	 * A VM exit saves the whole guest state (SDM 28.3); what the guest
	 * cannot change stays: MSRs behind WRMSR exiting, DEBUGCTL (MOV to
	 * DR and MSR writes exit), the link pointer, and the preemption
	 * timer value, which is saved only on request (SDM 28.3.4).
	 */
	for (i = 0; i < PMSW_FIELD_WORDS; i++)
		map[i] = 0;
	for (i = 0; i < PMSW_VMCS_NR_FIELDS; i++) {
		enc = pmsw_vmcs_field_encoding(i);
		if (pmsw_vmcs_kind(enc) == PMSW_VMCS_KIND_GUEST)
			pmsw_field_set(map, i);
	}
	for (i = 0; i < PMSW_ARRAY_SIZE(stable); i++)
		map[stable[i] / 64] &= ~(1ULL << (stable[i] % 64));
	/* VMFUNC 0 rewrites the EPT pointer and the EPTP index (26.5.6.3). */
	pmsw_field_set(map, VF_EPT_POINTER);
	pmsw_field_set(map, VF_EPTP_INDEX);
}

void pmsw_ctx_from_vmcs(struct pmsw_context *ctx,
			__u64 (*read)(void *arg, unsigned int enc), void *arg)
{
	__u64 mask, real, shadow;
	unsigned int i;

	for (i = 0; i < PMSW_ARRAY_SIZE(plain_fields); i++) {
		const struct plain_field *f = &plain_fields[i];

		put_plain(ctx, f, read(arg, pmsw_vmcs_field_encoding(f->index)));
	}
	for (i = 0; i < PMSW_NR_SEGS; i++) {
		struct pmsw_segment *s = &ctx->seg[i];

		s->selector = (__u32)read(arg, VMCS_GUEST_ES_SELECTOR + 2 * i);
		s->base = read(arg, VMCS_GUEST_ES_BASE + 2 * i);
		s->limit = (__u32)read(arg, VMCS_GUEST_ES_LIMIT + 2 * i);
		s->ar = (__u32)read(arg, VMCS_GUEST_ES_AR_BYTES + 2 * i);
	}

	/* What the context sees: shadow for owned bits, real for the rest. */
	mask = read(arg, VMCS_CR0_GUEST_HOST_MASK);
	real = read(arg, VMCS_GUEST_CR0);
	shadow = read(arg, VMCS_CR0_READ_SHADOW);
	ctx->cr0 = (real & ~mask) | (shadow & mask);
	mask = read(arg, VMCS_CR4_GUEST_HOST_MASK);
	real = read(arg, VMCS_GUEST_CR4);
	shadow = read(arg, VMCS_CR4_READ_SHADOW);
	ctx->cr4 = (real & ~mask) | (shadow & mask);
}

/* Which PMSW_CP_* parts differ: drives re-validation of changed parts. */
__u64 pmsw_ctx_changed_parts(const struct pmsw_context *a,
			     const struct pmsw_context *b)
{
	__u64 parts = 0;
	unsigned int i;

#define DIFF(m, part) do { if (a->m != b->m) parts |= (part); } while (0)
	DIFF(cr0, PMSW_CP_CR0);
	DIFF(cr3, PMSW_CP_CR3);
	DIFF(cr4, PMSW_CP_CR4);
	DIFF(efer, PMSW_CP_EFER);
	DIFF(pat, PMSW_CP_PAT);
	DIFF(dr7, PMSW_CP_DR7);
	DIFF(rip, PMSW_CP_RIP);
	DIFF(rsp, PMSW_CP_RSP);
	DIFF(rflags, PMSW_CP_RFLAGS);
	DIFF(sysenter_cs, PMSW_CP_SYSENTER);
	DIFF(sysenter_esp, PMSW_CP_SYSENTER);
	DIFF(sysenter_eip, PMSW_CP_SYSENTER);
	DIFF(gdtr.base, PMSW_CP_GDTR);
	DIFF(gdtr.limit, PMSW_CP_GDTR);
	DIFF(idtr.base, PMSW_CP_IDTR);
	DIFF(idtr.limit, PMSW_CP_IDTR);
	DIFF(interruptibility, PMSW_CP_INTR);
	DIFF(exception_bitmap, PMSW_CP_CTLS);
	DIFF(cr0_mask, PMSW_CP_CTLS);
	DIFF(cr4_mask, PMSW_CP_CTLS);
	DIFF(size, PMSW_CP_META);
	DIFF(flags, PMSW_CP_META);
	DIFF(gdtr.reserved, PMSW_CP_META);
	DIFF(idtr.reserved, PMSW_CP_META);
	DIFF(cr2, PMSW_CP_CR2);
	DIFF(star, PMSW_CP_SYSCALL);
	DIFF(lstar, PMSW_CP_SYSCALL);
	DIFF(cstar, PMSW_CP_SYSCALL);
	DIFF(sfmask, PMSW_CP_SYSCALL);
	DIFF(kernel_gs_base, PMSW_CP_SYSCALL);
	for (i = 0; i < PMSW_ARRAY_SIZE(a->pdpte); i++)
		DIFF(pdpte[i], PMSW_CP_PDPTE);
	DIFF(nr_view_ranges, PMSW_CP_VIEW);
	DIFF(reserved_view, PMSW_CP_VIEW);
	for (i = 0; i < PMSW_MAX_VIEW_RANGES; i++) {
		DIFF(view[i].gpa, PMSW_CP_VIEW);
		DIFF(view[i].bytes, PMSW_CP_VIEW);
		DIFF(view[i].perm, PMSW_CP_VIEW);
		DIFF(view[i].reserved, PMSW_CP_VIEW);
	}
	for (i = 0; i < PMSW_ARRAY_SIZE(a->reserved); i++)
		DIFF(reserved[i], PMSW_CP_META);
	for (i = 0; i < PMSW_NR_SEGS; i++) {
		DIFF(seg[i].base, PMSW_CP_SEG(i));
		DIFF(seg[i].limit, PMSW_CP_SEG(i));
		DIFF(seg[i].selector, PMSW_CP_SEG(i));
		DIFF(seg[i].ar, PMSW_CP_SEG(i));
		DIFF(seg[i].reserved, PMSW_CP_SEG(i) | PMSW_CP_META);
	}
#undef DIFF
	return parts;
}
