/*
 * Security identifiers (MS-DTYP 2.4.2): the binary form found inside
 * security descriptors and the string form "S-1-5-21-...".
 *
 * Binary layout (all SIDs are 8 + 4*count bytes, count <= 15):
 *
 *   0      1      2                     8               8+4*count
 *   +------+------+---------------------+---- ... ------+
 *   | rev  |count | authority (6, BE)   | sub[i] u32 LE |
 *   +------+------+---------------------+---- ... ------+
 *
 * Invariants: rev == 1; count <= 15; the buffer holds all 8 + 4*count
 * bytes. The string form prints the authority in decimal below 2^32 and as
 * 0x%012llX above, like Windows.
 */
#ifndef FERRY_SEC_SID_H
#define FERRY_SEC_SID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SID_REVISION 1
#define SID_MAX_SUBAUTH 15
#define SID_MIN_BYTES 8
#define SID_MAX_BYTES (8 + 4 * SID_MAX_SUBAUTH)
/* "S-1-0x" + 12 hex digits + 15 * "-4294967295" + NUL fits with room. */
#define SID_STRING_MAX 192

struct sid {
	uint8_t revision;
	uint8_t count;
	uint64_t authority; /* 48 bits */
	uint32_t sub[SID_MAX_SUBAUTH];
};

/**
 * Parse "S-1-<authority>-<sub>..." (len bytes, no NUL needed). Anything
 * else (missing parts, overflow, more than 15 sub-authorities, revision other
 * than 1, trailing characters) is FERRY_ECORRUPT naming the character offset.
 */
ferry_err sid_from_string(struct sid *out, const char *s, size_t len);

/**
 * Validate a binary SID at buf[0..len) and return its decoded form and byte
 * length. base is added to offsets in error messages so callers can name
 * the position inside a larger structure.
 */
ferry_err sid_from_bytes(struct sid *out, size_t *used, const uint8_t *buf, size_t len,
                         size_t base);

/**
 * Check a binary SID in place without decoding it: the hot path's form.
 * Sets *sid_len to 8 + 4*count. sid_bad_bytes() is its cold half: it
 * sets the error detail for a SID that failed the check.
 */
ferry_err sid_bad_bytes(const uint8_t *buf, size_t len, size_t base);

static inline ferry_err sid_check_bytes(size_t *sid_len, const uint8_t *buf, size_t len,
                                        size_t base)
{
	if (len < SID_MIN_BYTES || buf[0] != SID_REVISION || buf[1] > SID_MAX_SUBAUTH ||
	    len < (size_t)SID_MIN_BYTES + 4u * buf[1])
		return sid_bad_bytes(buf, len, base);
	*sid_len = (size_t)SID_MIN_BYTES + 4u * buf[1];
	return FERRY_OK;
}

/** Byte length of the binary form. */
size_t sid_size(const struct sid *s);

/** Write the binary form into out (at least SID_MAX_BYTES); returns its length. */
size_t sid_to_bytes(const struct sid *s, uint8_t *out);

/** Format into out (at least SID_STRING_MAX bytes), NUL-terminated. */
void sid_format(const struct sid *s, char *out);

/** True when both denote the same SID. */
bool sid_equal(const struct sid *a, const struct sid *b);

/**
 * True for SIDs that name an account in one particular domain or tenant and
 * so may be migrated: S-1-5-21-a-b-c-rid (domain and machine accounts,
 * including domain-relative groups such as Domain Users) and
 * S-1-12-1-a-b-c-d (Entra ID). Everything else (S-1-1-0, S-1-5-18,
 * S-1-5-32-544, capability SIDs, ...) is well known or not an account and is
 * refused as a translation source.
 */
bool sid_is_account(const struct sid *s);

#endif
