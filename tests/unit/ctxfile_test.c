// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the context-file parser (tools/pmswitch/ctxfile.c):
 * presets, every kind of value, and an exact line:column message for
 * each kind of mistake.
 */
#include "kselftest_harness.h"
#include "ctxfile.h"
#include "pmsw_guest.h"

static int parse(const char *text, struct pmsw_context *c,
		 struct ctxfile_error *e)
{
	return ctxfile_parse(text, strlen(text), c, e);
}

TEST(empty_file_is_the_flat32_preset)
{
	struct pmsw_context c, want;
	struct ctxfile_error e;

	ASSERT_EQ(0, parse("", &c, &e));
	make_context(&want, FLAT32, GPA_ORIGIN, 0x80000);
	EXPECT_EQ(0, memcmp(&want, &c, sizeof(c)));
}

TEST(every_preset_matches_the_guest_builders)
{
	static const char *const names[] = {
		"flat32", "paging32", "pae", "long64", "real16",
	};
	struct pmsw_context c, want;
	struct ctxfile_error e;
	char text[64];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "mode = %s\n", names[i]);
		ASSERT_EQ(0, parse(text, &c, &e));
		make_context(&want, (enum guest_mode)i, GPA_ORIGIN, 0x80000);
		EXPECT_EQ(0, memcmp(&want, &c, sizeof(c)));
	}
}

TEST(values_flags_segments_and_comments)
{
	struct pmsw_context c;
	struct ctxfile_error e;
	const char *text =
		"# a 64-bit context\n"
		"mode = long64   # preset first\n"
		"\n"
		"rip = 0x20000\n"
		"rsp = 1_048_576\n"
		"rdi = 0x3000\n"
		"r15 = 0xffffffffffffffff\n"
		"cr0 = PE | ET | pg\n"
		"cr4 = PAE|OSFXSR\n"
		"efer = LME | LMA | NXE\n"
		"rflags = FIXED | IF\n"
		"exception_bitmap = UD | GP | 0x4000\n"
		"cs = selector=0x18 base=0 limit=0xffffffff ar=0xa09b\n"
		"fs = unusable\n"
		"gdtr = base=0x1000 limit=0x3f\r\n";

	ASSERT_EQ(0, parse(text, &c, &e));
	EXPECT_EQ(0x20000, c.rip);
	EXPECT_EQ(1048576, c.rsp);
	EXPECT_EQ(0x3000, c.gpr[PMSW_RDI]);
	EXPECT_EQ(~0ULL, c.gpr[15]);
	EXPECT_EQ(0x80000011ULL, c.cr0);
	EXPECT_EQ(0x220ULL, c.cr4);
	EXPECT_EQ(0xd00ULL, c.efer);
	EXPECT_EQ(0x202ULL, c.rflags);
	EXPECT_EQ((1U << 6) | (1U << 13) | (1U << 14), c.exception_bitmap);
	EXPECT_EQ(0x18, c.seg[PMSW_SEG_CS].selector);
	EXPECT_EQ(0xa09b, c.seg[PMSW_SEG_CS].ar);
	EXPECT_TRUE(c.seg[PMSW_SEG_FS].ar & PMSW_AR_UNUSABLE);
	EXPECT_EQ(0x1000, c.gdtr.base);
	EXPECT_EQ(0x3f, c.gdtr.limit);
}

/* The ABI 3 registers: 64-bit numbers, 0 in every preset. */
TEST(cr2_and_the_syscall_msrs)
{
	struct pmsw_context c;
	struct ctxfile_error e;
	const char *text =
		"mode = long64\n"
		"cr2 = 0xffffffffffffffff\n"
		"star = 0x0023001000000000\n"
		"LSTAR = 0xffffffff81a00080\n"
		"cstar = 0xffff_ffff_81a0_01c0\n"
		"sfmask = 0x47700\n"
		"kernel_gs_base = 140737488289792\n";

	ASSERT_EQ(0, parse("mode = long64\n", &c, &e));
	EXPECT_EQ(0, c.cr2 | c.star | c.lstar | c.cstar | c.sfmask |
		  c.kernel_gs_base);
	ASSERT_EQ(0, parse(text, &c, &e));
	EXPECT_EQ(~0ULL, c.cr2);
	EXPECT_EQ(0x0023001000000000ULL, c.star);
	EXPECT_EQ(0xffffffff81a00080ULL, c.lstar);
	EXPECT_EQ(0xffffffff81a001c0ULL, c.cstar);
	EXPECT_EQ(0x47700ULL, c.sfmask);
	EXPECT_EQ(0x7fffffff0000ULL, c.kernel_gs_base);
	EXPECT_EQ(0, c.reserved[0] | c.reserved[1]);
}

TEST(context_flags_by_name)
{
	struct pmsw_context c;
	struct ctxfile_error e;

	ASSERT_EQ(0, parse("flags = VE\n", &c, &e));
	EXPECT_EQ(PMSW_CONTEXT_F_VE, c.flags);
	ASSERT_EQ(0, parse("flags = VE | CPU_CHECKS\n", &c, &e));
	EXPECT_EQ(PMSW_CONTEXT_F_VE | PMSW_CONTEXT_F_CPU_CHECKS, c.flags);
	ASSERT_EQ(0, parse("flags = EXITLESS\n", &c, &e));
	EXPECT_EQ(PMSW_CONTEXT_F_EXITLESS, c.flags);
	ASSERT_EQ(0, parse("rip = 1\n", &c, &e));
	EXPECT_EQ(0, c.flags);
	EXPECT_EQ(-1, parse("flags = VF\n", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "unknown flag 'VF'")) TH_LOG("%s", e.msg);
}

TEST(text_need_not_be_nul_terminated)
{
	struct pmsw_context c;
	struct ctxfile_error e;
	char text[] = { 'r', 'i', 'p', '=', '7', '7' };

	/* Only "rip=7" is given: the second '7' is beyond @len. */
	ASSERT_EQ(0, ctxfile_parse(text, 5, &c, &e));
	EXPECT_EQ(7, c.rip);
}

TEST(view_ranges_are_parsed_in_order_and_printed_back)
{
	static const char *const lines[] = {
		"view = 0x100000 0x1000 rx",
		"view = 0x101000 0x4000 rw",
		"view = 0x200000 0x2000 x",
		"view = 0x300000 0x1000 rwx",
		"view = 0x400000 0x1000 r",
	};
	struct pmsw_context c, again;
	struct ctxfile_error e;
	char text[512], line[64];
	size_t pos = 0, i;

	for (i = 0; i < 5; i++)
		pos += snprintf(text + pos, sizeof(text) - pos, "%s\n", lines[i]);
	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(5, c.nr_view_ranges);
	EXPECT_EQ(0x101000, c.view[1].gpa);
	EXPECT_EQ(0x4000, c.view[1].bytes);
	EXPECT_EQ(PMSW_VIEW_R | PMSW_VIEW_W, c.view[1].perm);
	EXPECT_EQ(PMSW_VIEW_X, c.view[2].perm);
	EXPECT_EQ(PMSW_VIEW_RWX, c.view[3].perm);
	EXPECT_EQ(0, c.view[5].gpa | c.view[5].bytes | c.view[5].perm);
	/* Printed back, each range is the line that set it. */
	pos = 0;
	for (i = 0; i < c.nr_view_ranges; i++) {
		ctxfile_format_view(&c.view[i], line, sizeof(line));
		EXPECT_STREQ(lines[i], line);
		pos += snprintf(text + pos, sizeof(text) - pos, "%s\n", line);
	}
	ASSERT_EQ(0, parse(text, &again, &e));
	EXPECT_EQ(0, memcmp(&c, &again, sizeof(c)));
	/* Upper case and any order. */
	ASSERT_EQ(0, parse("view = 4096 8192 XR\n", &c, &e));
	EXPECT_EQ(PMSW_VIEW_R | PMSW_VIEW_X, c.view[0].perm);
}

struct bad_case {
	const char *text;
	unsigned int line, col;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "frob = 1\n", 1, 1, "unknown setting 'frob'" },
	{ "rip 1\n", 1, 5, "expected '=' after 'rip'" },
	{ "\nrip = 0x12g\n", 2, 7, "malformed number '0x12g'" },
	{ "rip = 0x1ffffffffffffffff\n", 1, 7, "does not fit in 64 bits" },
	{ "cr0 = PE | XX\n", 1, 12, "cr0: unknown flag 'XX' (known: PE MP" },
	{ "rip = FOO\n", 1, 7, "rip: unknown flag 'FOO' (numbers only)" },
	{ "cr0 = PE |\n", 1, 11, "cr0: expected a number or a flag" },
	{ "rip = 1\nrip = 2\n", 2, 1, "'rip' is set twice" },
	{ "rip = 1\nmode = pae\n", 2, 8, "mode must be the first setting" },
	{ "mode = v86\n", 1, 8, "mode: unknown mode 'v86'" },
	{ "cs = foo=1\n", 1, 6, "cs: unknown part 'foo'" },
	{ "cs = selector 8\n", 1, 15, "cs: expected '=' after 'selector'" },
	{ "cs = selector=0x10000\n", 1, 15, "does not fit in 16 bits" },
	{ "gdtr = selector=8\n", 1, 8, "gdtr: unknown part 'selector' (known: base limit)" },
	{ "gdtr =\n", 1, 7, "gdtr: nothing given" },
	{ "exception_bitmap = 0x100000000\n", 1, 20, "does not fit in 32 bits" },
	{ "sfmask = 0x10000000000000000\n", 1, 10, "does not fit in 64 bits" },
	{ "lstar = IF\n", 1, 9, "lstar: unknown flag 'IF' (numbers only)" },
	{ "cr2 = 1\ncr2 = 2\n", 2, 1, "'cr2' is set twice" },
	{ "rip = 1 2\n", 1, 9, "unexpected '2' after the value" },
	{ "= 1\n", 1, 1, "expected a setting name" },
	{ "view = 0x1000\n", 1, 14, "view: expected BYTES after the address" },
	{ "view = 0x1000 0x1000\n", 1, 21, "view: expected permissions (r, w, x)" },
	{ "view = 0x1000 0x1000 rwq\n", 1, 22, "view: permissions 'rwq': expected r, w and x" },
	{ "view = 0x1000 0x1000 rr\n", 1, 22, "each at most once" },
	{ "view = 0x1000 0x1000 rw 7\n", 1, 25, "unexpected '7' after the value" },
	{ "view =\n", 1, 7, "view: expected GPA BYTES PERM" },
	{ "view = 0 4096 r\nview = 4096 4096 r\nview = 8192 4096 r\n"
	  "view = 12288 4096 r\nview = 16384 4096 r\nview = 20480 4096 r\n"
	  "view = 24576 4096 r\nview = 28672 4096 r\nview = 32768 4096 r\n",
	  9, 7, "view: at most 8 ranges" },
};

TEST(each_mistake_is_reported_with_line_and_column)
{
	struct pmsw_context c;
	struct ctxfile_error e;
	unsigned int i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];

		EXPECT_EQ(-1, parse(b->text, &c, &e));
		EXPECT_EQ(b->line, e.line);
		EXPECT_EQ(b->col, e.col);
		if (!strstr(e.msg, b->msg))
			TH_LOG("case %u: got '%s', want '%s'", i, e.msg, b->msg);
		EXPECT_NE(NULL, strstr(e.msg, b->msg));
	}
}

TEST_HARNESS_MAIN
