/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON writer of the pmswitch CLI: every --json output goes
 * through it, so every output is one valid JSON document (RFC 8259):
 * separators placed by the writer, strings escaped, invalid UTF-8
 * replaced, and an error closing whatever is open.
 */
#ifndef PMSW_JSON_WRITER_H
#define PMSW_JSON_WRITER_H

#include <stdbool.h>

void jw_object(void);
void jw_end_object(void);
void jw_array(void);
void jw_end_array(void);
void jw_key(const char *key);
void jw_str(const char *s);
void jw_u64(unsigned long long v);
void jw_int(long long v);
void jw_bool(bool v);
void jw_null(void);

/* "key": value, and "key": { / "key": [ */
void jw_kstr(const char *key, const char *s);
void jw_ku64(const char *key, unsigned long long v);
void jw_kint(const char *key, long long v);
void jw_kbool(const char *key, bool v);
void jw_knull(const char *key);
void jw_kobject(const char *key);
void jw_karray(const char *key);

/* Levels open: 0 before the document starts and after it ends. */
int jw_depth(void);

/*
 * End the document with "error": @msg: closes every open array and
 * object down to the outermost object and adds the member there; before
 * the document starts, the document is {"error": @msg}.
 */
void jw_error(const char *msg);

#endif /* PMSW_JSON_WRITER_H */
