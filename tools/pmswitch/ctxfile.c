// SPDX-License-Identifier: GPL-2.0
/*
 * Context file parser. One "key = value" per line, "#" starts a comment.
 *
 *   mode = long64                  # preset, first line if present
 *   rip = 0x20000
 *   cr0 = PE | ET | PG             # flags, numbers, joined with |
 *   cs = selector=0x18 ar=0xa09b   # segment: any of selector, base,
 *                                  # limit, ar; "unusable" marks it so
 *   gdtr = base=0x1000 limit=0x3f
 *   exception_bitmap = UD | GP
 *   view = 0x100000 0x1000 rx      # memory view: gpa, bytes, r/w/x;
 *   view = 0x101000 0x4000 rw      # one line per range, up to 8
 *   flags = VE                     # PMSW_CONTEXT_F_* without the prefix
 *
 * Errors carry line and column; the parser never reads past @len and
 * never needs the text to be NUL-terminated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctxfile.h"
#include "pmsw_guest.h"

struct flag {
	const char *name;
	uint64_t value;
};

static const struct flag cr0_flags[] = {
	{ "PE", 1ULL << 0 }, { "MP", 1ULL << 1 }, { "EM", 1ULL << 2 },
	{ "TS", 1ULL << 3 }, { "ET", 1ULL << 4 }, { "NE", 1ULL << 5 },
	{ "WP", 1ULL << 16 }, { "AM", 1ULL << 18 }, { "NW", 1ULL << 29 },
	{ "CD", 1ULL << 30 }, { "PG", 1ULL << 31 }, { NULL, 0 },
};

static const struct flag cr4_flags[] = {
	{ "VME", 1ULL << 0 }, { "PVI", 1ULL << 1 }, { "TSD", 1ULL << 2 },
	{ "DE", 1ULL << 3 }, { "PSE", 1ULL << 4 }, { "PAE", 1ULL << 5 },
	{ "MCE", 1ULL << 6 }, { "PGE", 1ULL << 7 }, { "PCE", 1ULL << 8 },
	{ "OSFXSR", 1ULL << 9 }, { "OSXMMEXCPT", 1ULL << 10 },
	{ "UMIP", 1ULL << 11 }, { "LA57", 1ULL << 12 },
	{ "FSGSBASE", 1ULL << 16 }, { "PCIDE", 1ULL << 17 },
	{ "OSXSAVE", 1ULL << 18 }, { "SMEP", 1ULL << 20 },
	{ "SMAP", 1ULL << 21 }, { "PKE", 1ULL << 22 }, { NULL, 0 },
};

static const struct flag efer_flags[] = {
	{ "SCE", 1ULL << 0 }, { "LME", 1ULL << 8 }, { "LMA", 1ULL << 10 },
	{ "NXE", 1ULL << 11 }, { NULL, 0 },
};

static const struct flag rflags_flags[] = {
	{ "CF", 1ULL << 0 }, { "FIXED", 1ULL << 1 }, { "PF", 1ULL << 2 },
	{ "AF", 1ULL << 4 }, { "ZF", 1ULL << 6 }, { "SF", 1ULL << 7 },
	{ "TF", 1ULL << 8 }, { "IF", 1ULL << 9 }, { "DF", 1ULL << 10 },
	{ "OF", 1ULL << 11 }, { "NT", 1ULL << 14 }, { "RF", 1ULL << 16 },
	{ "VM", 1ULL << 17 }, { "AC", 1ULL << 18 }, { "ID", 1ULL << 21 },
	{ NULL, 0 },
};

static const struct flag exception_flags[] = {
	{ "DE", 1ULL << 0 }, { "DB", 1ULL << 1 }, { "NMI", 1ULL << 2 },
	{ "BP", 1ULL << 3 }, { "OF", 1ULL << 4 }, { "BR", 1ULL << 5 },
	{ "UD", 1ULL << 6 }, { "NM", 1ULL << 7 }, { "DF", 1ULL << 8 },
	{ "TS", 1ULL << 10 }, { "NP", 1ULL << 11 }, { "SS", 1ULL << 12 },
	{ "GP", 1ULL << 13 }, { "PF", 1ULL << 14 }, { "MF", 1ULL << 16 },
	{ "AC", 1ULL << 17 }, { "MC", 1ULL << 18 }, { "XM", 1ULL << 19 },
	{ "VE", 1ULL << 20 }, { "CP", 1ULL << 21 }, { NULL, 0 },
};

static const struct flag ar_flags[] = {
	{ "S", PMSW_AR_S }, { "P", PMSW_AR_P }, { "AVL", PMSW_AR_AVL },
	{ "L", PMSW_AR_L }, { "DB", PMSW_AR_DB }, { "G", PMSW_AR_G },
	{ "UNUSABLE", PMSW_AR_UNUSABLE }, { NULL, 0 },
};

/* struct pmsw_context.flags, without the prefix PMSW_CONTEXT_F_. */
static const struct flag context_flags[] = {
	{ "CPU_CHECKS", PMSW_CONTEXT_F_CPU_CHECKS }, { "VE", PMSW_CONTEXT_F_VE },
	{ "EXITLESS", PMSW_CONTEXT_F_EXITLESS },
	{ NULL, 0 }
};

static const struct flag no_flags[] = { { NULL, 0 } };

enum kind { SCALAR, SEGMENT, DTABLE, VIEW };

struct key {
	const char *name;
	enum kind kind;
	size_t offset;		/* in struct pmsw_context */
	unsigned int bits;	/* width of a scalar */
	const struct flag *flags;
};

#define CTX(m)	offsetof(struct pmsw_context, m)
#define GPR(r)	CTX(gpr) + 8 * (r)

static const struct key keys[] = {
	{ "flags", SCALAR, CTX(flags), 32, context_flags },
	{ "rax", SCALAR, GPR(PMSW_RAX), 64, no_flags },
	{ "rcx", SCALAR, GPR(PMSW_RCX), 64, no_flags },
	{ "rdx", SCALAR, GPR(PMSW_RDX), 64, no_flags },
	{ "rbx", SCALAR, GPR(PMSW_RBX), 64, no_flags },
	{ "rbp", SCALAR, GPR(PMSW_RBP), 64, no_flags },
	{ "rsi", SCALAR, GPR(PMSW_RSI), 64, no_flags },
	{ "rdi", SCALAR, GPR(PMSW_RDI), 64, no_flags },
	{ "r8", SCALAR, GPR(8), 64, no_flags },
	{ "r9", SCALAR, GPR(9), 64, no_flags },
	{ "r10", SCALAR, GPR(10), 64, no_flags },
	{ "r11", SCALAR, GPR(11), 64, no_flags },
	{ "r12", SCALAR, GPR(12), 64, no_flags },
	{ "r13", SCALAR, GPR(13), 64, no_flags },
	{ "r14", SCALAR, GPR(14), 64, no_flags },
	{ "r15", SCALAR, GPR(15), 64, no_flags },
	{ "rip", SCALAR, CTX(rip), 64, no_flags },
	{ "rsp", SCALAR, CTX(rsp), 64, no_flags },
	{ "rflags", SCALAR, CTX(rflags), 64, rflags_flags },
	{ "cr0", SCALAR, CTX(cr0), 64, cr0_flags },
	{ "cr3", SCALAR, CTX(cr3), 64, no_flags },
	{ "cr4", SCALAR, CTX(cr4), 64, cr4_flags },
	{ "efer", SCALAR, CTX(efer), 64, efer_flags },
	{ "pat", SCALAR, CTX(pat), 64, no_flags },
	{ "dr7", SCALAR, CTX(dr7), 64, no_flags },
	{ "sysenter_cs", SCALAR, CTX(sysenter_cs), 64, no_flags },
	{ "sysenter_esp", SCALAR, CTX(sysenter_esp), 64, no_flags },
	{ "sysenter_eip", SCALAR, CTX(sysenter_eip), 64, no_flags },
	{ "cr2", SCALAR, CTX(cr2), 64, no_flags },
	{ "star", SCALAR, CTX(star), 64, no_flags },
	{ "lstar", SCALAR, CTX(lstar), 64, no_flags },
	{ "cstar", SCALAR, CTX(cstar), 64, no_flags },
	{ "sfmask", SCALAR, CTX(sfmask), 64, no_flags },
	{ "kernel_gs_base", SCALAR, CTX(kernel_gs_base), 64, no_flags },
	{ "exception_bitmap", SCALAR, CTX(exception_bitmap), 32, exception_flags },
	{ "interruptibility", SCALAR, CTX(interruptibility), 32, no_flags },
	{ "cr0_mask", SCALAR, CTX(cr0_mask), 64, cr0_flags },
	{ "cr4_mask", SCALAR, CTX(cr4_mask), 64, cr4_flags },
	{ "es", SEGMENT, CTX(seg[PMSW_SEG_ES]), 0, NULL },
	{ "cs", SEGMENT, CTX(seg[PMSW_SEG_CS]), 0, NULL },
	{ "ss", SEGMENT, CTX(seg[PMSW_SEG_SS]), 0, NULL },
	{ "ds", SEGMENT, CTX(seg[PMSW_SEG_DS]), 0, NULL },
	{ "fs", SEGMENT, CTX(seg[PMSW_SEG_FS]), 0, NULL },
	{ "gs", SEGMENT, CTX(seg[PMSW_SEG_GS]), 0, NULL },
	{ "ldtr", SEGMENT, CTX(seg[PMSW_SEG_LDTR]), 0, NULL },
	{ "tr", SEGMENT, CTX(seg[PMSW_SEG_TR]), 0, NULL },
	{ "gdtr", DTABLE, CTX(gdtr), 0, NULL },
	{ "idtr", DTABLE, CTX(idtr), 0, NULL },
	{ "view", VIEW, CTX(view), 0, NULL },
};

static const struct {
	const char *name;
	enum guest_mode mode;
} presets[] = {
	{ "flat32", FLAT32 }, { "paging32", PAGING32 }, { "pae", PAE },
	{ "long64", LONG64 }, { "real16", REAL16 },
};

/* The parser's position in the text. */
struct cursor {
	const char *p, *end, *line_start;
	unsigned int line;
	struct ctxfile_error *err;
};

/*
 * @in with every byte outside printable ASCII as \xNN, so that a message
 * quoting the file shows a control character or a stray byte of another
 * encoding as what it is, and stays one line on any terminal.
 */
static void escape_unprintable(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *in && n + 5 <= size; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch >= 0x20 && ch < 0x7f) {
			out[n++] = (char)ch;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[ch >> 4];
		out[n++] = hex[ch & 0xf];
	}
	out[n] = '\0';
}

static int __attribute__((format(printf, 3, 4)))
error_at(struct cursor *c, const char *where, const char *fmt, ...)
{
	char raw[sizeof(c->err->msg)];
	va_list ap;

	c->err->line = c->line;
	c->err->col = (unsigned int)(where - c->line_start) + 1;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_unprintable(raw, c->err->msg, sizeof(c->err->msg));
	return -1;
}

/*
 * The byte at the cursor, for a message to quote: a NUL byte would end
 * the message, so it is spelled out here; any other unprintable byte
 * becomes \xNN in error_at().
 */
static const char *cursor_byte(const struct cursor *c, char buf[5])
{
	if (!*c->p)
		return "\\x00";
	buf[0] = *c->p;
	buf[1] = '\0';
	return buf;
}

static bool at_eol(const struct cursor *c)
{
	return c->p >= c->end || *c->p == '\n' || *c->p == '#';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static bool is_word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* A word: letters, digits, '_'. Its length, 0 if none. */
static size_t word(struct cursor *c, const char **start)
{
	*start = c->p;
	while (c->p < c->end && is_word_char(*c->p))
		c->p++;
	return (size_t)(c->p - *start);
}

static bool word_is(const char *w, size_t len, const char *name)
{
	return strlen(name) == len && !strncasecmp(w, name, len);
}

static int parse_number(struct cursor *c, const char *w, size_t len,
			uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		unsigned int d;
		char ch = w[i];

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else if (ch == '_')
			continue;
		else
			return error_at(c, w, "malformed number '%.*s'", (int)len, w);
		if (v > (UINT64_MAX - d) / base)
			return error_at(c, w, "number '%.*s' does not fit in 64 bits",
					(int)len, w);
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static void list_flags(char *buf, size_t size, const struct flag *flags)
{
	size_t pos = 0;
	int n;

	buf[0] = '\0';
	for (; flags->name && pos < size; flags++) {
		n = snprintf(buf + pos, size - pos, "%s%s", pos ? " " : "",
			     flags->name);
		if (n < 0)
			break;
		pos += (size_t)n;
	}
}

/* term ('|' term)*, a term a number or a flag name of @flags. */
static int parse_expr(struct cursor *c, const char *key,
		      const struct flag *flags, unsigned int bits,
		      uint64_t *out)
{
	const char *expr;
	uint64_t v = 0, t = 0;
	const char *w;
	size_t len;

	skip_blanks(c);
	expr = c->p;
	for (;;) {
		skip_blanks(c);
		len = word(c, &w);
		if (!len)
			return error_at(c, c->p, "%s: expected a number or a flag",
					key);
		if (w[0] >= '0' && w[0] <= '9') {
			if (parse_number(c, w, len, &t))
				return -1;
		} else {
			const struct flag *f;

			for (f = flags; f->name && !word_is(w, len, f->name); f++)
				;
			if (!f->name) {
				char known[160];

				list_flags(known, sizeof(known), flags);
				return error_at(c, w, "%s: unknown flag '%.*s'%s%s%s",
						key, (int)len, w,
						known[0] ? " (known: " : " (numbers only)",
						known, known[0] ? ")" : "");
			}
			t = f->value;
		}
		v |= t;
		skip_blanks(c);
		if (c->p >= c->end || *c->p != '|')
			break;
		c->p++;
	}
	if (bits < 64 && (v >> bits))
		return error_at(c, expr, "%s: value %#llx does not fit in %u bits",
				key, (unsigned long long)v, bits);
	*out = v;
	return 0;
}

/* name=value pairs of a segment or descriptor-table register. */
static int parse_pairs(struct cursor *c, const struct key *k,
		       struct pmsw_context *ctx)
{
	struct pmsw_segment *seg = (void *)((char *)ctx + k->offset);
	struct pmsw_dtable *dt = (void *)((char *)ctx + k->offset);
	const char *w;
	uint64_t v;
	size_t len;
	bool any = false;

	for (skip_blanks(c); !at_eol(c); skip_blanks(c)) {
		len = word(c, &w);
		if (!len)
			return error_at(c, c->p, "%s: expected a name, e.g. base=0",
					k->name);
		if (k->kind == SEGMENT && word_is(w, len, "unusable")) {
			seg->ar |= PMSW_AR_UNUSABLE;
			any = true;
			continue;
		}
		skip_blanks(c);
		if (c->p >= c->end || *c->p != '=')
			return error_at(c, c->p, "%s: expected '=' after '%.*s'",
					k->name, (int)len, w);
		c->p++;
		if (word_is(w, len, "base")) {
			if (parse_expr(c, k->name, no_flags, 64, &v))
				return -1;
			if (k->kind == SEGMENT)
				seg->base = v;
			else
				dt->base = v;
		} else if (word_is(w, len, "limit")) {
			if (parse_expr(c, k->name, no_flags, 32, &v))
				return -1;
			if (k->kind == SEGMENT)
				seg->limit = (uint32_t)v;
			else
				dt->limit = (uint32_t)v;
		} else if (k->kind == SEGMENT && word_is(w, len, "selector")) {
			if (parse_expr(c, k->name, no_flags, 16, &v))
				return -1;
			seg->selector = (uint32_t)v;
		} else if (k->kind == SEGMENT && word_is(w, len, "ar")) {
			if (parse_expr(c, k->name, ar_flags, 17, &v))
				return -1;
			seg->ar = (uint32_t)v;
		} else {
			return error_at(c, w, "%s: unknown part '%.*s' (known: %s)",
					k->name, (int)len, w, k->kind == SEGMENT ?
					"selector base limit ar unusable" :
					"base limit");
		}
		any = true;
	}
	if (!any)
		return error_at(c, c->p, "%s: nothing given", k->name);
	return 0;
}

/* "r", "rw", "rx", "rwx", "x", ... in any order, each letter once. */
static int parse_perm(struct cursor *c, const char *w, size_t len,
		      uint32_t *perm)
{
	static const char letters[] = "rwx";
	const char *l;
	size_t i;

	*perm = 0;
	for (i = 0; i < len; i++) {
		l = strchr(letters, w[i] | 0x20);
		if (!l || (*perm & (1U << (l - letters))))
			return error_at(c, w, "view: permissions '%.*s': expected r, w and x, each at most once",
					(int)len, w);
		*perm |= 1U << (l - letters);
	}
	return 0;
}

/* view = GPA BYTES PERM: one more range of the memory view. */
static int parse_view(struct cursor *c, struct pmsw_context *ctx)
{
	struct pmsw_view_range r = { 0 };
	uint64_t gpa, bytes;
	const char *w;
	size_t len;

	if (ctx->nr_view_ranges >= PMSW_MAX_VIEW_RANGES)
		return error_at(c, c->p, "view: at most %u ranges",
				PMSW_MAX_VIEW_RANGES);
	skip_blanks(c);
	len = word(c, &w);
	if (!len || parse_number(c, w, len, &gpa))
		return len ? -1 : error_at(c, c->p, "view: expected GPA BYTES PERM, e.g. 0x1000 0x3000 rw");
	skip_blanks(c);
	len = word(c, &w);
	if (!len || parse_number(c, w, len, &bytes))
		return len ? -1 : error_at(c, c->p, "view: expected BYTES after the address");
	skip_blanks(c);
	len = word(c, &w);
	if (!len)
		return error_at(c, c->p, "view: expected permissions (r, w, x) after the size");
	if (parse_perm(c, w, len, &r.perm))
		return -1;
	r.gpa = gpa;
	r.bytes = bytes;
	ctx->view[ctx->nr_view_ranges++] = r;
	return 0;
}

int ctxfile_format_view(const struct pmsw_view_range *r, char *buf,
			size_t size)
{
	return snprintf(buf, size, "view = %#llx %#llx %s%s%s%s",
			(unsigned long long)r->gpa,
			(unsigned long long)r->bytes,
			r->perm & PMSW_VIEW_R ? "r" : "",
			r->perm & PMSW_VIEW_W ? "w" : "",
			r->perm & PMSW_VIEW_X ? "x" : "",
			r->perm & ~PMSW_VIEW_RWX ? "?" : "");
}

int ctxfile_preset(const char *name, struct pmsw_context *ctx)
{
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		if (!strcmp(presets[i].name, name)) {
			make_context(ctx, presets[i].mode, GPA_ORIGIN, 0x80000);
			return 0;
		}
	}
	return -1;
}

static int parse_mode(struct cursor *c, struct pmsw_context *ctx,
		      bool first)
{
	char name[16];
	const char *w;
	size_t len;

	skip_blanks(c);
	len = word(c, &w);
	if (!first)
		return error_at(c, w, "mode must be the first setting: it resets every field");
	if (!len || len >= sizeof(name))
		return error_at(c, w, "mode: expected flat32, paging32, pae, long64 or real16");
	memcpy(name, w, len);
	name[len] = '\0';
	if (ctxfile_preset(name, ctx))
		return error_at(c, w, "mode: unknown mode '%s' (known: flat32 paging32 pae long64 real16)",
				name);
	return 0;
}

static int parse_line(struct cursor *c, struct pmsw_context *ctx,
		      bool *first, unsigned char *seen)
{
	const struct key *k = NULL;
	const char *w;
	size_t len, i;
	uint64_t v;
	char b[5];

	skip_blanks(c);
	if (at_eol(c))
		return 0;
	len = word(c, &w);
	if (!len)
		return error_at(c, c->p, "expected a setting name, not '%s'",
				cursor_byte(c, b));
	skip_blanks(c);
	if (c->p >= c->end || *c->p != '=')
		return error_at(c, c->p, "expected '=' after '%.*s'", (int)len, w);
	c->p++;

	if (word_is(w, len, "mode")) {
		if (parse_mode(c, ctx, *first))
			return -1;
	} else {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (word_is(w, len, keys[i].name)) {
				k = &keys[i];
				break;
			}
		}
		if (!k)
			return error_at(c, w, "unknown setting '%.*s'", (int)len, w);
		if (seen[i] && k->kind != VIEW)
			return error_at(c, w, "'%s' is set twice", k->name);
		seen[i] = 1;
		if (k->kind == VIEW) {
			if (parse_view(c, ctx))
				return -1;
		} else if (k->kind != SCALAR) {
			if (parse_pairs(c, k, ctx))
				return -1;
		} else {
			if (parse_expr(c, k->name, k->flags, k->bits, &v))
				return -1;
			if (k->bits == 32)
				memcpy((char *)ctx + k->offset, &(uint32_t){ (uint32_t)v }, 4);
			else
				memcpy((char *)ctx + k->offset, &v, 8);
		}
	}
	*first = false;
	skip_blanks(c);
	if (!at_eol(c))
		return error_at(c, c->p, "unexpected '%s' after the value",
				cursor_byte(c, b));
	return 0;
}

int ctxfile_parse(const char *text, size_t len, struct pmsw_context *ctx,
		  struct ctxfile_error *err)
{
	unsigned char seen[sizeof(keys) / sizeof(keys[0])] = { 0 };
	struct cursor c = {
		.p = text, .end = text + len, .line_start = text, .line = 1,
		.err = err,
	};
	bool first = true;

	memset(err, 0, sizeof(*err));
	ctxfile_preset("flat32", ctx);
	while (c.p < c.end) {
		if (parse_line(&c, ctx, &first, seen))
			return -1;
		while (c.p < c.end && *c.p != '\n')	/* the comment */
			c.p++;
		if (c.p < c.end) {
			c.p++;
			c.line++;
			c.line_start = c.p;
		}
	}
	return 0;
}
