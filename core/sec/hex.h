/* Hexadecimal text <-> bytes, for SDs on the command line and in tests. */
#ifndef FERRY_SEC_HEX_H
#define FERRY_SEC_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/**
 * Decode len characters of hex (either case, even count, no separators)
 * into out (cap bytes). *out_len is the byte count. A bad character is
 * FERRY_ECORRUPT naming its offset; too little room is FERRY_ERANGE.
 */
ferry_err sec_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len);

/** Encode len bytes as lowercase hex into out (2*len+1 bytes), NUL-terminated. */
void sec_hex_encode(char *out, const uint8_t *data, size_t len);

#endif
