/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Context files: a human-writable text form of struct pmsw_context
 * (Documentation/context-files.rst). The parser has no I/O and no global
 * state, so it is unit-tested and fuzzed on its own.
 */
#ifndef PMSW_CTXFILE_H
#define PMSW_CTXFILE_H

#include <stddef.h>
#include <linux/pmswitch.h>

struct ctxfile_error {
	unsigned int line;	/* 1-based */
	unsigned int col;	/* 1-based */
	char msg[192];
};

/*
 * Parse @len bytes of @text into @ctx. Every field starts from the
 * "flat32" preset unless a "mode" line (which must come first) names
 * another. Returns 0, or -1 with @err saying where and what.
 */
int ctxfile_parse(const char *text, size_t len, struct pmsw_context *ctx,
		  struct ctxfile_error *err);

/*
 * One range of a memory view as the line that sets it, e.g.
 * "view = 0x1000 0x3000 rw" (snprintf's return value).
 */
int ctxfile_format_view(const struct pmsw_view_range *r, char *buf,
			size_t size);

/* The preset called @name, or -1 if there is none. */
int ctxfile_preset(const char *name, struct pmsw_context *ctx);

#endif /* PMSW_CTXFILE_H */
