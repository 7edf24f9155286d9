/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest environments of the host-integrity selftests: pmsw_guest.h's
 * memory layout, GDT and page tables, plus what those tests need beyond
 * them: ring-3 segments, a code/data pair for IA32_STAR, IDT gates, a
 * ring-0 stack in the TSS, and the programs of integrity.S.
 *
 * Guest-physical layout added to pmsw_guest.h's:
 *   0x40000 interrupt handlers, one 256-byte slot each (IG_HANDLER(n))
 *   0x50000 GS page, 0x51000 kernel-GS page (a marker word at offset 0)
 *   0x60000 an XSAVE area (64-byte aligned, 4 KiB)
 * GDT entries added after pmsw_guest.h's (GDTR limit IG_GDT_LIMIT):
 *   0x28 ring-3 32-bit code   0x30 ring-3 data
 *   0x38 64-bit code, 0x40 data: the SYSCALL pair of IA32_STAR[47:32]
 * The 32-bit page directory maps its 4 MiB for ring 3 too (U/S=1).
 */
#ifndef INTEGRITY_GUEST_H
#define INTEGRITY_GUEST_H

#include "pmsw_guest.h"

#define SEL_USER_CODE32	(0x28 | 3)
#define SEL_USER_DATA	(0x30 | 3)
#define SEL_STAR_CODE64	0x38
#define SEL_STAR_DATA	0x40
#define IG_GDT_LIMIT	0x47

#define AR_USER_CODE32	0xc0fb		/* DPL 3, otherwise AR_CODE32 */
#define AR_USER_DATA	0xc0f3		/* DPL 3, otherwise AR_DATA */

#define GPA_HANDLERS	0x40000
#define IG_HANDLER(n)	(GPA_HANDLERS + (n) * 0x100)
#define GPA_GS_PAGE	0x50000
#define GPA_KGS_PAGE	0x51000
#define GPA_XSAVE	0x60000
#define GS_MARKER	0x47534753u	/* "SGSG" */
#define KGS_MARKER	0x4b47534bu	/* "KSGK" */

#define STACK_RING0	0x80000
#define STACK_RING3	0x90000

/* Exception vectors (SDM Vol. 3A 6.3.1). */
#define VEC_DB		1
#define VEC_UD		6
#define VEC_DF		8
#define VEC_GP		13
#define VEC_PF		14
#define VEC_AC		17

/*
 * Exceptions that end a run in every test unless it handles them: a test
 * that goes wrong stops with the vector instead of a triple fault.
 */
#define IG_TRAPS	((1u << VEC_UD) | (1u << VEC_DF) | (1u << VEC_GP) | \
			 (1u << VEC_PF))

#define CR0_AM		(1ULL << 18)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXSAVE	(1ULL << 18)
#define CR4_PKE		(1ULL << 22)
#define CR4_CET		(1ULL << 23)
#define CR4_PKS		(1ULL << 24)
#define CR4_FRED	(1ULL << 32)
#define CR0_WP		(1ULL << 16)
#define EFER_SCE	0x1ULL
#define RFLAGS_CF	0x1ULL
#define RFLAGS_TF	0x100ULL
#define RFLAGS_DF	0x400ULL
#define RFLAGS_AC	0x40000ULL
#define PDE_US		0x4

DECLARE_GUEST(trap32);
DECLARE_GUEST(ac32);
DECLARE_GUEST(ac_stop_h32);
DECLARE_GUEST(ac_retry_h32);
DECLARE_GUEST(int80_stop_h32);
DECLARE_GUEST(step32);
DECLARE_GUEST(step_loop32);
DECLARE_GUEST(db_record_h32);
DECLARE_GUEST(pf32);
DECLARE_GUEST(pf_wait_h32);
DECLARE_GUEST(cr2_read32);
DECLARE_GUEST(fpu32);
DECLARE_GUEST(ring3_hc32);
DECLARE_GUEST(cr4_pke32);
DECLARE_GUEST(xrstor_pkru32);
DECLARE_GUEST(long_mode32);
DECLARE_GUEST(swapgs64);
DECLARE_GUEST(syscall64);
DECLARE_GUEST(lstar64);
DECLARE_GUEST(hc_wide64);
DECLARE_GUEST(ready32);
DECLARE_GUEST(hc_upper32);
DECLARE_GUEST(step_switch32);
extern const uint8_t guest_ac32_fault[], guest_step32_traced[],
	guest_step32_untraced[], guest_syscall64_ret[],
	guest_step_switch32_after[];

/* Where label @mark of program @name lands when it is loaded at @gpa. */
#define GUEST_ADDR(gpa, name, mark) \
	((uint64_t)(gpa) + (uint64_t)(guest_##mark - guest_##name))

/*
 * A 32-bit interrupt gate to @handler in the flat 32-bit code segment
 * (SDM Vol. 3A 6.11, Figure 6-2): it clears IF and TF on delivery; @dpl
 * 3 lets ring 3 use it with INT n.
 */
static inline void put_gate32(uint8_t *mem, unsigned int vector,
			      uint32_t handler, unsigned int dpl)
{
	uint64_t g = (handler & 0xffffULL) | ((uint64_t)SEL_CODE32 << 16) |
		     ((uint64_t)(0x8e | dpl << 5) << 40) |
		     ((uint64_t)(handler >> 16) << 48);

	memcpy(mem + GPA_IDT + vector * 8, &g, 8);
}

/* Copy handler program [@code, @end) to slot @slot and gate @vector to it. */
static inline void put_handler(uint8_t *mem, unsigned int slot,
			       unsigned int vector, unsigned int dpl,
			       const uint8_t *code, const uint8_t *end)
{
	memcpy(mem + IG_HANDLER(slot), code, end - code);
	put_gate32(mem, vector, IG_HANDLER(slot), dpl);
}

#define PUT_HANDLER(mem, slot, vector, dpl, name) \
	put_handler(mem, slot, vector, dpl, guest_##name, guest_##name##_end)

/*
 * What the integrity tests add to build_tables(): their descriptors, the
 * ring-0 stack an interrupt from ring 3 switches to (32-bit TSS: ESP0 at
 * 4, SS0 at 8; SDM Vol. 3A 8.2.1), user access to the 4-MiB identity
 * page, and the GS marker pages.
 */
static inline void build_integrity_tables(uint8_t *mem)
{
	uint32_t esp0 = STACK_RING0, ss0 = SEL_DATA, gs = GS_MARKER,
		 kgs = KGS_MARKER;

	put_desc(mem, SEL_USER_CODE32 & ~3, 0, 0xfffff, AR_USER_CODE32);
	put_desc(mem, SEL_USER_DATA & ~3, 0, 0xfffff, AR_USER_DATA);
	put_desc(mem, SEL_STAR_CODE64, 0, 0xfffff, AR_CODE64);
	put_desc(mem, SEL_STAR_DATA, 0, 0xfffff, AR_DATA);
	memcpy(mem + GPA_TSS + 4, &esp0, 4);
	memcpy(mem + GPA_TSS + 8, &ss0, 4);
	*(uint32_t *)(mem + GPA_PD32) |= PDE_US;
	memcpy(mem + GPA_GS_PAGE, &gs, 4);
	memcpy(mem + GPA_KGS_PAGE, &kgs, 4);
}

/*
 * A context of @mode (FLAT32, PAGING32, LONG64) at @entry, ring 0, with
 * the longer GDT, the results area in RDI, and IG_TRAPS in its bitmap.
 */
static inline void make_ig_context(struct pmsw_context *c,
				   enum guest_mode mode, uint64_t entry)
{
	make_context(c, mode, entry, STACK_RING0);
	c->gdtr.limit = IG_GDT_LIMIT;
	c->gpr[PMSW_RDI] = GPA_RESULTS;
	c->exception_bitmap = IG_TRAPS;
}

/* Move a 32-bit context to ring 3: CPL is CS.RPL = SS.DPL = 3. */
static inline void make_ring3(struct pmsw_context *c)
{
	static const int data[] = {
		PMSW_SEG_ES, PMSW_SEG_SS, PMSW_SEG_DS, PMSW_SEG_FS, PMSW_SEG_GS,
	};
	unsigned int i;

	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		set_seg(c, data[i], SEL_USER_DATA, 0, 0xffffffff, AR_USER_DATA);
	set_seg(c, PMSW_SEG_CS, SEL_USER_CODE32, 0, 0xffffffff, AR_USER_CODE32);
	c->rsp = STACK_RING3;
}

#endif /* INTEGRITY_GUEST_H */
