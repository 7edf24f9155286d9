// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the exit-less switch routine page's bytes
 * (kmod/exitless_routine.S, Documentation/exitless.rst): its parts sit
 * at the offsets pmswitch.h names; the VMFUNC encoding occurs exactly
 * twice in the whole page, at the intended places, and at any byte
 * offset it is followed by SYSENTER, so that a VMFUNC into another view
 * is always followed by the module's fixed post-VMFUNC path; that path
 * first refuses a SYSENTER from outside; the routine fits in its page
 * and matches the state page layout of pmswitch.h.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include <linux/pmswitch.h>

extern const unsigned char pmsw_xl_routine[], pmsw_xl_routine_end[];
extern const unsigned int pmsw_xl_offsets[6];

enum { ENTRY64, VMFUNC64, POST64, ENTRY32, VMFUNC32, POST32 };

static size_t routine_len(void)
{
	return pmsw_xl_routine_end - pmsw_xl_routine;
}

/* The routine page as the module fills it: the routine, zeros after. */
static void routine_page(unsigned char page[4096])
{
	memset(page, 0, 4096);
	memcpy(page, pmsw_xl_routine, routine_len());
}

/*
 * The property the security argument needs (exitless.rst): every VMFUNC
 * encoding (0F 01 D4) anywhere in the page, at any byte offset, is
 * directly followed by SYSENTER (0F 34), so that whatever instruction
 * boundary a caller jumps to, the first instruction after a VMFUNC that
 * left its view is SYSENTER. Returns the number of VMFUNCs, their
 * offsets in @at[0..1], and the first offset that breaks it in @bad.
 */
static unsigned int scan_vmfunc(const unsigned char *p, size_t len,
				size_t at[2], size_t *bad)
{
	unsigned int n = 0;
	size_t i;

	*bad = ~0UL;
	for (i = 0; i + 3 <= len; i++) {
		if (p[i] != 0x0f || p[i + 1] != 0x01 || p[i + 2] != 0xd4)
			continue;
		if (n < 2)
			at[n] = i;
		n++;
		if ((i + 5 > len || p[i + 3] != 0x0f || p[i + 4] != 0x34) &&
		    *bad == ~0UL)
			*bad = i;
	}
	return n;
}

TEST(parts_sit_at_the_offsets_pmswitch_h_names)
{
	EXPECT_EQ(0, pmsw_xl_offsets[ENTRY64]);
	EXPECT_EQ(PMSW_XL_POST64 - PMSW_XL_ENTRY64, pmsw_xl_offsets[POST64]);
	EXPECT_EQ(PMSW_XL_ENTRY32 - PMSW_XL_ENTRY64, pmsw_xl_offsets[ENTRY32]);
	EXPECT_EQ(PMSW_XL_POST32 - PMSW_XL_ENTRY64, pmsw_xl_offsets[POST32]);
	EXPECT_EQ(PMSW_RESERVED_BASE + PMSW_RESERVED_ROUTINE, PMSW_XL_ENTRY64);
	/* The scratch stack is the top of the state page. */
	EXPECT_EQ(PMSW_RESERVED_BASE + PMSW_RESERVED_STATE + 4096,
		  PMSW_XL_SYSENTER_ESP);
	EXPECT_GE(4096, routine_len());
}

TEST(every_vmfunc_in_the_page_is_followed_by_sysenter)
{
	unsigned char page[4096];
	size_t at[2] = { 0, 0 }, bad;

	routine_page(page);
	EXPECT_EQ(2, scan_vmfunc(page, sizeof(page), at, &bad));
	EXPECT_EQ(~0UL, bad) TH_LOG("VMFUNC at %#zx without SYSENTER", bad);
	EXPECT_EQ(pmsw_xl_offsets[VMFUNC64], at[0]);
	EXPECT_EQ(pmsw_xl_offsets[VMFUNC32], at[1]);
}

/* The scan finds what it must: a planted VMFUNC, a missing SYSENTER. */
TEST(the_scan_catches_a_planted_vmfunc)
{
	unsigned char page[4096];
	size_t at[2], bad;

	routine_page(page);
	memcpy(page + 4093, "\x0f\x01\xd4", 3);
	EXPECT_EQ(3, scan_vmfunc(page, sizeof(page), at, &bad));
	EXPECT_EQ(4093, bad);
	routine_page(page);
	page[pmsw_xl_offsets[VMFUNC32] + 3] = 0x90;
	scan_vmfunc(page, sizeof(page), at, &bad);
	EXPECT_EQ(pmsw_xl_offsets[VMFUNC32], bad);
}

/*
 * Each post-VMFUNC path starts by reading CR3 (MOV r, CR3: 0F 20 D8)
 * to refuse a SYSENTER that did not come through the transit tables,
 * and ends in IRETQ (48 CF) or IRETD (CF) before its refusal path.
 */
TEST(post_paths_check_cr3_first)
{
	const unsigned char mov_cr3[] = { 0x0f, 0x20, 0xd8 };

	EXPECT_EQ(0, memcmp(pmsw_xl_routine + pmsw_xl_offsets[POST64],
			    mov_cr3, 3));
	EXPECT_EQ(0, memcmp(pmsw_xl_routine + pmsw_xl_offsets[POST32],
			    mov_cr3, 3));
}

/* The entries end their first part with MOV CR3 of their transit root. */
TEST(entries_load_their_transit_root)
{
	unsigned int t64 = PMSW_RESERVED_BASE + PMSW_RESERVED_TRANSIT;
	unsigned int t32 = PMSW_RESERVED_BASE + PMSW_RESERVED_TRANSIT32;
	/* movl $root, %eax; mov %eax/%rax, %cr3; xorl %eax, %eax */
	unsigned char want[10] = { 0xb8, 0, 0, 0, 0, 0x0f, 0x22, 0xd8,
				   0x31, 0xc0 };

	memcpy(want + 1, &t64, 4);
	EXPECT_EQ(0, memcmp(pmsw_xl_routine + pmsw_xl_offsets[VMFUNC64] - 10,
			    want, 10));
	memcpy(want + 1, &t32, 4);
	EXPECT_EQ(0, memcmp(pmsw_xl_routine + pmsw_xl_offsets[VMFUNC32] - 10,
			    want, 10));
}

TEST(state_page_layout_is_what_the_routine_uses)
{
	EXPECT_EQ(0, offsetof(struct pmsw_exitless_state, rip));
	EXPECT_EQ(8, offsetof(struct pmsw_exitless_state, cs));
	EXPECT_EQ(16, offsetof(struct pmsw_exitless_state, rflags));
	EXPECT_EQ(24, offsetof(struct pmsw_exitless_state, rsp));
	EXPECT_EQ(32, offsetof(struct pmsw_exitless_state, ss));
	EXPECT_EQ(40, offsetof(struct pmsw_exitless_state, cr3));
	EXPECT_EQ(54, offsetof(struct pmsw_exitless_state, gdtr_limit));
	EXPECT_EQ(70, offsetof(struct pmsw_exitless_state, idtr_limit));
	EXPECT_EQ(80, offsetof(struct pmsw_exitless_state, ds));
	EXPECT_EQ(88, offsetof(struct pmsw_exitless_state, es));
	EXPECT_EQ(96, offsetof(struct pmsw_exitless_state, entries));
	EXPECT_EQ(104, offsetof(struct pmsw_exitless_state, exits));
}

TEST_HARNESS_MAIN
