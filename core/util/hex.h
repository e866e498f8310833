/* Hexadecimal text <-> bytes (SDs on the command line, GUIDs, tests). */
#ifndef FERRY_UTIL_HEX_H
#define FERRY_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/**
 * Decode len characters of hex (either case, even count, no separators)
 * into out (cap bytes). *out_len is the byte count. A bad character is
 * FERRY_ECORRUPT naming its offset; too little room is FERRY_ERANGE.
 */
ferry_err ferry_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len);

/** Encode len bytes as lowercase hex into out (2*len+1 bytes), NUL-terminated. */
void ferry_hex_encode(char *out, const uint8_t *data, size_t len);

/** Value of one hex digit (either case), or -1. */
int ferry_hex_digit(char c);

#endif
