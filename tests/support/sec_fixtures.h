/* Shared builders for the core/sec suites. */
#ifndef FERRY_TEST_SEC_FIXTURES_H
#define FERRY_TEST_SEC_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "sec/sd.h"
#include "sec/table.h"

/* SIDs of the fixtures' two-row table: source user -> target user, and a
 * source group -> a target group with a longer (6 sub-authority) SID. */
#define FIX_SRC_USER "S-1-5-21-1004336348-1177238915-682003330-1105"
#define FIX_DST_USER "S-1-5-21-3623811015-3361044348-30300820-2105"
#define FIX_SRC_GROUP "S-1-5-21-1004336348-1177238915-682003330-1201"
#define FIX_DST_GROUP "S-1-12-1-3623811015-3361044348-30300820-77-5"
#define FIX_OTHER_USER "S-1-5-21-1004336348-1177238915-682003330-9999"

/** Parse a SID string; fails the test on error. */
struct sid fix_sid(const char *s);

/** A basic-kind ACE. */
struct sd_ace fix_ace(uint8_t type, uint8_t flags, uint32_t mask, const char *sid);

/** The fixtures' table (the two rows above). */
struct sec_table *fix_table(void);

/**
 * Encode doc into a new buffer (ferry_free it) of *len bytes; fails the test
 * on error. Frees doc.
 */
uint8_t *fix_encode(struct sd_doc *doc, size_t *len);

/**
 * A descriptor using every ACE kind: owner = source user, group = source
 * group; DACL with allowed, denied, an object ACE with both GUIDs, a
 * callback ACE with application data, an inherited ACE, a compound ACE and
 * an unknown type 0x42 (both opaque); SACL with audit, mandatory label,
 * resource attribute (with claim bytes) and scoped policy id ACEs.
 */
struct sd_doc *fix_every_kind(void);

#endif
