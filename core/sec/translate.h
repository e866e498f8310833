/*
 * The SID-translation engine: rewrite one self-relative security descriptor
 * according to the translation table, as pure byte work.
 *
 * Modes:
 *   replace  every ACE whose trustee is a source SID gets the target SID in
 *            place (type, flags, mask, object data and trailing data kept);
 *            an owner or group that is a source becomes its target.
 *   add      after each ACE whose trustee is a source SID, insert the same
 *            ACE with the target SID unless an identical ACE is already in
 *            that ACL (pre-stages access before cutover); owner and group
 *            stay.
 *   remove   drop every ACE whose trustee is a source SID; an owner or group
 *            that is a source becomes its target (cleans up after cutover).
 *
 * When a mode alters anything, the SD is rebuilt: within each ACL an ACE
 * byte-identical to an earlier one is dropped, ACL sizes and counts are
 * recomputed, the ACL revision is raised to 4 if an object ACE needs it,
 * the control flags, Sbz bytes and the order of the parts are kept, and gaps
 * between parts disappear. When nothing is altered the result is the input
 * itself (changed == false, out->data == in), so a caller can skip the
 * write. Inherited ACEs are translated like explicit ones.
 *
 * The engine allocates nothing: the caller passes the output buffer, and
 * SD_MAX_SIZE bytes always suffice.
 */
#ifndef FERRY_SEC_TRANSLATE_H
#define FERRY_SEC_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/sd.h"
#include "sec/table.h"
#include "util/err.h"

enum sd_mode { SD_MODE_REPLACE = 0, SD_MODE_ADD = 1, SD_MODE_REMOVE = 2 };

struct sd_out {
	uint8_t *buf;        /* caller's buffer for a rewritten SD */
	size_t cap;          /* its size; SD_MAX_SIZE is always enough */
	const uint8_t *data; /* result: buf, or the input when unchanged */
	size_t len;          /* result length */
};

/**
 * Translate the SD in[0..in_len) with table t. On success out->data/len
 * hold the result and *changed says whether it differs from the input. A
 * malformed SD is FERRY_ECORRUPT naming the offset; an ACE or ACL that
 * would outgrow 64 KiB, or an output buffer too small, is FERRY_ERANGE.
 */
ferry_err sd_translate(const uint8_t *in, size_t in_len, const struct sec_table *t,
                       enum sd_mode mode, struct sd_out *out, bool *changed);

/** "replace", "add", "remove" -> mode; anything else is FERRY_EINVAL. */
ferry_err sd_mode_parse(enum sd_mode *mode, const char *name);

/** The name of a mode. */
const char *sd_mode_name(enum sd_mode mode);

#endif
