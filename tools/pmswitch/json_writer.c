// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI's JSON writer (json_writer.h). A stack of open levels knows
 * where a separator goes and whether a value completes a member, so the
 * callers never print punctuation themselves. Output is compact with
 * ", " and ": " separators, and a newline after the document.
 */
#include <stdio.h>
#include <string.h>

#include "json_writer.h"

#define JW_MAX_DEPTH	32

static struct level {
	char close;		/* '}' or ']' */
	bool first;		/* nothing written in it yet */
	bool key_pending;	/* a key was written, its value not yet */
} stack[JW_MAX_DEPTH];
static int depth;

/* Before a value: the separator, unless it is a member's value. */
static void before_value(void)
{
	struct level *l = depth ? &stack[depth - 1] : NULL;

	if (!l)
		return;
	if (l->key_pending) {
		l->key_pending = false;
		return;
	}
	if (!l->first)
		fputs(", ", stdout);
	l->first = false;
}

static void open_level(char open, char close)
{
	before_value();
	putchar(open);
	if (depth < JW_MAX_DEPTH)
		stack[depth] = (struct level){ .close = close, .first = true };
	depth++;
}

static void close_level(void)
{
	if (!depth)
		return;
	depth--;
	putchar(depth < JW_MAX_DEPTH ? stack[depth].close : '}');
	if (!depth) {
		putchar('\n');
		fflush(stdout);
	}
}

void jw_object(void)
{
	open_level('{', '}');
}

void jw_end_object(void)
{
	close_level();
}

void jw_array(void)
{
	open_level('[', ']');
}

void jw_end_array(void)
{
	close_level();
}

int jw_depth(void)
{
	return depth;
}

/*
 * Length of the valid UTF-8 sequence at @s (RFC 3629 section 4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if invalid.
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * A string: quote and backslash escaped, control characters as \uXXXX
 * (RFC 8259 section 7), valid UTF-8 as is, and each byte of invalid
 * UTF-8 as U+FFFD, so that no parser ever sees a raw invalid byte.
 */
static void put_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	int n;

	putchar('"');
	while (*s) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20) {
			printf("\\u%04x", *s++);
		} else if (*s < 0x80) {
			putchar(*s++);
		} else if ((n = utf8_len(s))) {
			fwrite(s, 1, n, stdout);
			s += n;
		} else {
			fputs("\\ufffd", stdout);
			s++;
		}
	}
	putchar('"');
}

void jw_key(const char *key)
{
	before_value();
	put_string(key);
	fputs(": ", stdout);
	if (depth && depth <= JW_MAX_DEPTH)
		stack[depth - 1].key_pending = true;
}

void jw_str(const char *s)
{
	before_value();
	put_string(s);
}

void jw_u64(unsigned long long v)
{
	before_value();
	printf("%llu", v);
}

void jw_int(long long v)
{
	before_value();
	printf("%lld", v);
}

void jw_bool(bool v)
{
	before_value();
	fputs(v ? "true" : "false", stdout);
}

void jw_null(void)
{
	before_value();
	fputs("null", stdout);
}

void jw_kstr(const char *key, const char *s)
{
	jw_key(key);
	jw_str(s);
}

void jw_ku64(const char *key, unsigned long long v)
{
	jw_key(key);
	jw_u64(v);
}

void jw_kint(const char *key, long long v)
{
	jw_key(key);
	jw_int(v);
}

void jw_kbool(const char *key, bool v)
{
	jw_key(key);
	jw_bool(v);
}

void jw_knull(const char *key)
{
	jw_key(key);
	jw_null();
}

void jw_kobject(const char *key)
{
	jw_key(key);
	jw_object();
}

void jw_karray(const char *key)
{
	jw_key(key);
	jw_array();
}

void jw_error(const char *msg)
{
	if (!depth) {
		jw_object();
	} else {
		if (depth <= JW_MAX_DEPTH && stack[depth - 1].key_pending)
			jw_null();
		/* Every document of the CLI is an object at the top. */
		while (depth > 1)
			close_level();
	}
	jw_kstr("error", msg);
	jw_end_object();
}
