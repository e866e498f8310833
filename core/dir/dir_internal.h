/* Helpers shared by the files of core/dir/; not part of its interface. */
#ifndef FERRY_DIR_INTERNAL_H
#define FERRY_DIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/hex.h"
#include "util/utf.h"

#include "dir/snapshot.h"

/* The kind named by s[0..n); 0 when none. */
int dir_kind_from_span(enum dir_kind *k, const char *s, size_t n);

/*
 * Decode one escaped snapshot value of n bytes into out (at least n + 1
 * bytes): invariant 3 of snapshot.c except emptiness. line and field name
 * it in errors.
 */
ferry_err dir_unescape(char *out, size_t *out_len, const char *s, size_t n, unsigned line,
                       unsigned field);

/* ASCII case-insensitive equality of two NUL-terminated strings. */
bool dir_ieq(const char *a, const char *b);

/* True when s is a GUID in the 8-4-4-4-12 hex form. */
bool dir_guid_valid(const char *s);

/* True when s (NUL-terminated) parses as a SID. */
bool dir_sid_valid(const char *s);

/*
 * Split one CSV line (RFC 4180 quoting, no newline inside) of n bytes into
 * at most max fields of at most field_max bytes each (NUL-terminated, in
 * fields[i], each field_max bytes long). what and line name it in errors.
 */
ferry_err dir_csv_split(char *fields, size_t field_max, size_t max, size_t *count, const char *s,
                        size_t n, const char *what, unsigned line);

/* Append one CSV field, quoted when needed, neutralised against spreadsheet formulas. */
struct ferry_buf;
ferry_err dir_csv_put(struct ferry_buf *b, const char *s, bool last);

#endif
