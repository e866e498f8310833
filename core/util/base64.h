/* RFC 4648 base64 (standard alphabet, padded). */
#ifndef FERRY_UTIL_BASE64_H
#define FERRY_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/** Characters base64_encode writes for len bytes, excluding the NUL. */
size_t ferry_base64_encoded_len(size_t len);

/**
 * Encode len bytes into a new NUL-terminated string. The caller frees *out
 * with ferry_free (ferry_wipe it first if the input was secret).
 */
ferry_err ferry_base64_encode(char **out, const uint8_t *data, size_t len);

/**
 * Decode len characters of padded base64 into a new buffer of *out_len
 * bytes. ASCII whitespace (space, tab, CR, LF) between characters is
 * skipped. Anything else outside the alphabet, bad padding, or non-zero
 * trailing bits is FERRY_ECORRUPT naming the character offset. The caller
 * frees *out with ferry_free (wiping it first if secret).
 */
ferry_err ferry_base64_decode(uint8_t **out, size_t *out_len, const char *s, size_t len);

#endif
