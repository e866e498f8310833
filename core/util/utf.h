/*
 * Strict UTF-8 <-> UTF-16LE conversion. Windows speaks UTF-16; Ferry's
 * formats (JSON, pipe frames, logs) speak UTF-8. Invalid sequences
 * (overlongs, surrogates in UTF-8, unpaired surrogates in UTF-16, code
 * points past U+10FFFF) are errors that name their offset, never replaced.
 */
#ifndef FERRY_UTIL_UTF_H
#define FERRY_UTIL_UTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/**
 * Convert len bytes of UTF-8 into a new NUL-terminated UTF-16 array of
 * *out_len units (terminator not counted). The caller frees *out with
 * ferry_free. On failure *out is NULL.
 */
ferry_err ferry_utf8_to_utf16(uint16_t **out, size_t *out_len, const char *s, size_t len);

/**
 * Convert len UTF-16 units into a new NUL-terminated UTF-8 string of
 * *out_len bytes (terminator not counted). The caller frees *out with
 * ferry_free. On failure *out is NULL.
 */
ferry_err ferry_utf16_to_utf8(char **out, size_t *out_len, const uint16_t *s, size_t len);

/** True when len bytes at s are strict UTF-8 (the rules above). */
bool ferry_utf8_valid(const char *s, size_t len);

/** Length in units of a NUL-terminated UTF-16 string. */
size_t ferry_utf16_len(const uint16_t *s);

/** True when a and b are equal ignoring ASCII case (DNS names, DNs, NetBIOS names). */
int ferry_ascii_ieq(const char *a, const char *b);

#endif
