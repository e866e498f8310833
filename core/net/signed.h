/*
 * Signed JSON documents: the one envelope shared by bundles (v1), catalogs
 * and assignments (v2).
 *
 *   {"<member>":1, "payload":{...}, "signature":"<base64 of 64 bytes>"}
 *
 * The signature is Ed25519 over  context || canon(payload)  (net/canon.h),
 * where context is the document type's own line ("ferry-bundle/1\n",
 * "ferry-catalog/1\n", "ferry-assignment/1\n"). Invariants:
 *   1. Domain separation: no two kinds share a context, and every context
 *      ends in '\n', which canon(payload) never starts with ('{'), so no
 *      signature over one kind's message is a signature over another's.
 *   2. The payload is returned only after the signature verified; the
 *      digest is SHA-256 of canon(payload), what freshness marks keep.
 *   3. A document is at most kind->max bytes, checked before parsing.
 */
#ifndef FERRY_NET_SIGNED_H
#define FERRY_NET_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/sig.h"
#include "util/err.h"

#define SIGNED_DIGEST_LEN 32u

struct signed_kind {
	const char *member;  /* envelope version member, e.g. "ferry_catalog" */
	const char *context; /* signed prefix, e.g. "ferry-catalog/1\n" */
	const char *what;    /* error prefix, e.g. "catalog" */
	size_t max;          /* largest envelope accepted, in bytes */
};

/* The last document of a kind accepted (persisted by its caller). 0: none. */
struct signed_mark {
	uint64_t sequence;
	uint8_t digest[SIGNED_DIGEST_LEN];
};

/**
 * Parse an envelope of `kind` and verify its signature with `pub`. On
 * success *payload (caller cJSON_Deletes it) and digest are set.
 * FERRY_EAUTH unsigned or wrongly signed, FERRY_EUNSUPPORTED another kind or
 * version, FERRY_ECORRUPT malformed, FERRY_ERANGE too large. Nothing is
 * returned on failure.
 */
ferry_err signed_open(cJSON **payload, uint8_t digest[SIGNED_DIGEST_LEN],
		      const struct signed_kind *kind, const uint8_t *buf, size_t len,
		      const uint8_t pub[SIG_ED25519_PUBLIC_LEN]);

/**
 * Sign a payload into an envelope of `kind`. *out is NUL-terminated JSON
 * ending in '\n'; the caller frees it with ferry_free.
 */
ferry_err signed_seal(char **out, size_t *out_len, const struct signed_kind *kind,
		      const cJSON *payload, const uint8_t priv[SIG_ED25519_PRIVATE_LEN]);

/**
 * FERRY_EMISMATCH when (sequence, digest) may not follow `last`: a lower
 * sequence, or the same sequence with a different digest (a replay or a
 * forked signer). The detail starts with kind->what.
 */
ferry_err signed_check_fresh(const struct signed_kind *kind, uint64_t sequence,
			     const uint8_t digest[SIGNED_DIGEST_LEN],
			     const struct signed_mark *last);

/* Payload readers shared by the document kinds. */

/** Integer member k in [0, max] into *v; 0 if absent or not such an integer. */
int signed_get_uint(const cJSON *o, const char *k, double max, uint64_t *v);

/**
 * The non-empty string member k of o (borrowed), at most max bytes, with no
 * control characters; NULL otherwise.
 */
const char *signed_get_text(const cJSON *o, const char *k, size_t max);

/**
 * Refuse any member of o whose name is not in the NULL-terminated `known`
 * (a typo must not pass as an ignored field). FERRY_ECORRUPT naming
 * `where` and the member.
 */
ferry_err signed_only_known(const cJSON *o, const char *const *known, const char *what,
			    const char *where);

#endif
