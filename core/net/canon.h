/*
 * Canonical JSON: the one byte string a JSON value signs as. A bundle's
 * signature covers canon(payload), so whitespace, key order and escaping
 * choices made by whoever serialised the bundle cannot change what was
 * signed.
 *
 * Rules (a deliberate subset of RFC 8785, enough for Ferry's documents):
 *  1. No whitespace outside strings.
 *  2. Object members sorted by key, bytewise over the UTF-8; a duplicate
 *     key is refused (two parsers could keep different members).
 *  3. Strings: `"` and `\` escaped as \" and \\; U+0000..U+001F as \b \f
 *     \n \r \t or \u00xx (lowercase hex); everything else verbatim UTF-8.
 *  4. Numbers: integers only, |n| <= 2^53 - 1, in plain decimal. A
 *     fraction or exponent is refused (doubles do not round-trip).
 *  5. true, false, null as themselves. Nesting at most CANON_MAX_DEPTH.
 */
#ifndef FERRY_NET_CANON_H
#define FERRY_NET_CANON_H

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "util/err.h"

#define CANON_MAX_DEPTH 32

/**
 * Append canon(v) to out (bounded by out's maximum). FERRY_EUNSUPPORTED for
 * a value the rules refuse (detail names the JSON pointer), FERRY_ERANGE
 * when out is full, FERRY_ENOMEM on allocation failure.
 */
ferry_err canon_json(struct ferry_buf *out, const cJSON *v);

#endif
