/*
 * Signed bundles: what an agent is told to do (batch, runbooks, translation
 * table, command packages), from the server or from BUNDLE_DIR.
 *
 * Envelope (UTF-8 JSON, at most BUNDLE_MAX bytes):
 *
 *   {"ferry_bundle":1,
 *    "payload":{...},
 *    "signature":"<base64 of 64 bytes>"}
 *
 * The signature is Ed25519 over  "ferry-bundle/1\n" || canon(payload)
 * (net/canon.h), with the key from the MSI or policy (SIGNING_PUBLIC_KEY).
 *
 * Payload members:
 *   sequence         integer >= 1, strictly increasing per signer (required)
 *   issued           RFC 3339 time it was signed (required)
 *   not_after        RFC 3339 time (required, later than issued): from
 *                    that second on the bundle is refused by the accept
 *                    path (bundle_check_time), so a captured bundle cannot
 *                    be replayed to a PC that never saw it (a fresh install,
 *                    a reset state) once its time is up
 *   agent            optional; "*" or the one agent it is for: the id the
 *                    server gave at enrolment, or, for an agent never
 *                    enrolled (BundleDir), its computer name (ASCII
 *                    letters compared without case)
 *   poll_interval_s  optional integer, the server's poll interval
 *   batch            object (required), a batch as runbook.h reads it
 *   runbooks         array of runbook objects (required, may be empty)
 *   identity_map     optional: the device's identity mapping, rows as
 *                    net/idmap.h reads them (the agent's only source of
 *                    source -> target SIDs; absent = no mapping). A
 *                    /table member (the old, never-read table) is refused.
 *   packages         array of {"id","sha256","size"} (required, may be
 *                    empty); the package bytes travel beside the bundle
 *                    (BUNDLE_DIR/packages/<id>, or the server's packages
 *                    URL) and are checked against sha256 before use.
 *   escrow_public_key optional base64 X25519 key for the fallback escrow
 *   odj_sealed       optional [{"device","sha256"}]: the SHA-256 of each
 *                    device's BUNDLE_DIR/odj/<device>.sealed (net/odj_dir.h),
 *                    the only way such a blob is used
 *
 * Invariants:
 *   1. Nothing from a bundle is returned to a caller unless the envelope
 *      parsed, the signature verified and the payload passed every check.
 *   2. A bundle whose sequence is lower than the last one accepted, or
 *      equal with a different payload digest, is stale and refused. The
 *      mark is never lowered (not by re-enrolment either: agent.c).
 *   4. agent_id is always checked by the agent: an agent with no id passes
 *      its computer name, never NULL (NULL is for the server's own checks
 *      of a wave's bundle, which must say "*").
 *   3. Package ids are package_id_valid (net/package.h, their one home), so they
 *      are safe file names.
 */
#ifndef FERRY_NET_BUNDLE_H
#define FERRY_NET_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/sig.h"
#include "util/err.h"

#define BUNDLE_MAX (4u * 1024u * 1024u)
#define BUNDLE_PACKAGE_MAX (64u * 1024u * 1024u)
#define BUNDLE_DIGEST_LEN 32u

struct idmap;

struct bundle {
	uint64_t sequence;
	uint8_t digest[BUNDLE_DIGEST_LEN]; /* SHA-256 of canon(payload) */
	uint32_t poll_interval_s;          /* 0 when the payload has none */
	int64_t issued, not_after;         /* Unix seconds */
	cJSON *payload;                    /* owned; borrowed by accessors */
	struct idmap *idmap;               /* owned; NULL when the payload has none */
};

/* The last bundle accepted (persisted by the caller). sequence 0: none yet. */
struct bundle_mark {
	uint64_t sequence;
	uint8_t digest[BUNDLE_DIGEST_LEN];
};

/**
 * Parse and verify an envelope against `pub`, check the payload and, when
 * agent_id is not NULL, that it is for this agent. FERRY_EAUTH for an
 * unsigned or wrongly signed bundle, FERRY_ECORRUPT/FERRY_EUNSUPPORTED for
 * a malformed one, FERRY_EMISMATCH for one addressed to another agent.
 */
ferry_err bundle_verify(struct bundle **out, const uint8_t *buf, size_t len,
			const uint8_t pub[SIG_ED25519_PUBLIC_LEN], const char *agent_id);

/**
 * FERRY_EMISMATCH (expired) when `now` (Unix seconds) is at or past the
 * bundle's not_after. Checked when a bundle is accepted; the bundle in
 * force is read back against the persisted mark instead (bundle_check_fresh
 * would let the same bundle through, and a PC offline past not_after keeps
 * running what it accepted rather than stopping mid-migration).
 */
ferry_err bundle_check_time(const struct bundle *b, int64_t now);

/** FERRY_EMISMATCH (stale/replayed) when b may not follow `last`. */
ferry_err bundle_check_fresh(const struct bundle *b, const struct bundle_mark *last);

/** The mark to persist once b has been accepted. */
void bundle_mark_of(struct bundle_mark *m, const struct bundle *b);

/** The package entry with this id (borrowed), or NULL. */
const cJSON *bundle_package(const struct bundle *b, const char *id);

/**
 * Check package bytes against the bundle's entry for `id`. FERRY_ENOTFOUND
 * if the bundle lists no such package, FERRY_EAUTH on a digest or size
 * mismatch.
 */
ferry_err bundle_check_package(const struct bundle *b, const char *id, const uint8_t *data,
			       size_t len);

/**
 * Sign a payload into an envelope (admin tooling and tests). *out is
 * NUL-terminated JSON; the caller frees it with ferry_free.
 */
ferry_err bundle_sign(char **out, size_t *out_len, const cJSON *payload,
		      const uint8_t priv[SIG_ED25519_PRIVATE_LEN]);

/**
 * Check a signed document's /packages array (bundle or catalog): entries
 * {"id","sha256","size"}, ids valid and unique. FERRY_ECORRUPT naming
 * `what` and the index.
 */
ferry_err bundle_packages_check(const cJSON *pk, const char *what);

/**
 * Check package bytes against the entry for `id` in a /packages array that
 * passed bundle_packages_check. FERRY_ENOTFOUND when not listed,
 * FERRY_EAUTH on a size or digest mismatch; details name `what`.
 */
ferry_err bundle_packages_match(const cJSON *pk, const char *id, const uint8_t *data,
				size_t len, const char *what);

/** NULL-safe. */
void bundle_free(struct bundle *b);

/* SHA-256 helper shared by net/: out = SHA-256(data). */
ferry_err net_sha256(uint8_t out[32], const uint8_t *data, size_t len);

#endif
