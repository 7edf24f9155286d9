// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the exit-less switch routine's bytes
 * (kmod/exitless_routine.S, Documentation/exitless.rst): the VMFUNC
 * encoding occurs exactly once, at the offset the module and the tests
 * use, so that the only way into another member's view through the
 * routine is followed by the routine's own fixed path; the path after it
 * reloads its base from an immediate and ends in IRETQ; the routine fits
 * in its page and matches the state page layout of pmswitch.h.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include <linux/pmswitch.h>

extern const unsigned char pmsw_xl_routine[], pmsw_xl_routine_end[];
extern const unsigned int pmsw_xl_vmfunc_offset;

static size_t routine_len(void)
{
	return pmsw_xl_routine_end - pmsw_xl_routine;
}

static unsigned int count_vmfunc(const unsigned char *p, size_t len,
				 size_t *at)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i + 3 <= len; i++) {
		if (p[i] == 0x0f && p[i + 1] == 0x01 && p[i + 2] == 0xd4) {
			*at = i;
			n++;
		}
	}
	return n;
}

TEST(vmfunc_occurs_exactly_once_at_its_offset)
{
	size_t at = ~0UL;

	EXPECT_EQ(1, count_vmfunc(pmsw_xl_routine, routine_len(), &at));
	EXPECT_EQ(pmsw_xl_vmfunc_offset, at);
}

TEST(a_planted_second_vmfunc_is_found)
{
	unsigned char copy[4096];
	size_t at = 0;

	ASSERT_GE(sizeof(copy), routine_len() + 3);
	memcpy(copy, pmsw_xl_routine, routine_len());
	memcpy(copy + routine_len(), "\x0f\x01\xd4", 3);
	EXPECT_EQ(2, count_vmfunc(copy, routine_len() + 3, &at));
}

TEST(after_vmfunc_the_base_comes_from_an_immediate)
{
	const unsigned char *p = pmsw_xl_routine + pmsw_xl_vmfunc_offset + 3;
	/* movl $0xffc02000, %esi: PMSW_RESERVED_BASE + STATE. */
	const unsigned char want[] = { 0xbe, 0x00, 0x20, 0xc0, 0xff };
	unsigned int base = PMSW_RESERVED_BASE + PMSW_RESERVED_STATE;

	EXPECT_EQ(0, memcmp(p, want, sizeof(want)));
	EXPECT_EQ(0, memcmp(want + 1, &base, 4));
}

TEST(ends_in_iretq_and_fits_its_page)
{
	EXPECT_GT(4096, routine_len());
	EXPECT_EQ(0x48, pmsw_xl_routine_end[-2]);
	EXPECT_EQ(0xcf, pmsw_xl_routine_end[-1]);
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
