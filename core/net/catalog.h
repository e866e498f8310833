/*
 * The v2 catalog: what the admin's offline key allows (docs/protocol.md,
 * "Protocol v2"). The migration server holds it but cannot change it.
 *
 * Envelope (net/signed.h): {"ferry_catalog":1,"payload":{...},"signature":...}
 * signed over "ferry-catalog/1\n" || canon(payload) with the admin's key
 * (SIGNING_PUBLIC_KEY). Payload members, all required, no others:
 *
 *   sequence        integer >= 1, strictly increasing per admin key
 *   issued          RFC 3339
 *   not_after       RFC 3339, after issued; an expired catalog is refused
 *   assignment_key  base64 Ed25519 public key the server signs
 *                   assignments with; never the admin's own key
 *   domains         [{"dns_domain": D, "ous": [DN, ...]}], 1..64 domains,
 *                   each OU's DC= components spelling its domain
 *   runbooks        [runbook, ...] ("ferry.runbook/1" documents), 1..256
 *   packages        [{"id","sha256","size"}], as in bundles
 *   escrow_public_key  optional base64 X25519 key the agent seals the
 *                   fallback password to (the v1 bundle's member of that
 *                   name, here signed by the admin)
 *
 * Invariants (checked by catalog_verify and again by catalog_sign, so the
 * admin cannot sign a catalog an agent would refuse):
 *   1. Every runbook passes runbook_parse, ids are unique, prerequisites
 *      resolve (rb_check_refs).
 *   2. A runbook that joins a domain names a domain of /domains and, when
 *      it names a computer_ou, one of that domain's /ous.
 *   3. Every command package a runbook runs is in /packages.
 */
#ifndef FERRY_NET_CATALOG_H
#define FERRY_NET_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/seal.h"
#include "net/signed.h"
#include "runbook/runbook.h"
#include "util/err.h"

#define CATALOG_MAX (8u * 1024u * 1024u)
#define CATALOG_MAX_DOMAINS 64u
#define CATALOG_MAX_OUS 256u
#define CATALOG_MAX_RUNBOOKS 256u
#define CATALOG_DN_MAX 1024u

struct catalog {
	uint64_t sequence;
	uint8_t digest[SIGNED_DIGEST_LEN]; /* SHA-256 of canon(payload) */
	int64_t issued, not_after;         /* Unix seconds UTC */
	uint8_t assignment_key[SIG_ED25519_PUBLIC_LEN];
	uint8_t escrow_key[SEAL_KEY_LEN];  /* valid when has_escrow_key */
	bool has_escrow_key;
	struct runbook **runbooks;         /* parsed, in payload order */
	size_t n_runbooks;
	cJSON *payload;                    /* owned; borrowed by accessors */
};

/**
 * Parse and verify a catalog envelope against the admin's key, at time
 * `now` (Unix seconds). FERRY_EAUTH unsigned or not signed by admin_pub,
 * FERRY_ECORRUPT/FERRY_EUNSUPPORTED malformed or inconsistent (detail names
 * the member), FERRY_EMISMATCH expired. Free with catalog_free.
 */
ferry_err catalog_verify(struct catalog **out, const uint8_t *buf, size_t len,
			 const uint8_t admin_pub[SIG_ED25519_PUBLIC_LEN], int64_t now);

/**
 * Check a payload as catalog_verify would, then sign it with the admin's
 * private key. *out is NUL-terminated JSON (ferry_free).
 */
ferry_err catalog_sign(char **out, size_t *out_len, const cJSON *payload,
		       const uint8_t admin_priv[SIG_ED25519_PRIVATE_LEN], int64_t now);

/** FERRY_EMISMATCH when c may not follow `last` (lower sequence, or reuse). */
ferry_err catalog_check_fresh(const struct catalog *c, const struct signed_mark *last);

/** The mark to persist once c has been accepted. */
void catalog_mark_of(struct signed_mark *m, const struct catalog *c);

/** The parsed runbook with this id (borrowed), or NULL. */
const struct runbook *catalog_runbook(const struct catalog *c, const char *id);

/**
 * FERRY_OK when the catalog allows joining dns_domain (case-insensitive)
 * and, when ou is not NULL, that OU of it (DN compared case-insensitively);
 * FERRY_EMISMATCH naming what is not allowed.
 */
ferry_err catalog_check_target(const struct catalog *c, const char *dns_domain, const char *ou);

/**
 * Check package bytes against the catalog's digest and size for `id`.
 * FERRY_ENOTFOUND not in the catalog, FERRY_EAUTH mismatch.
 */
ferry_err catalog_check_package(const struct catalog *c, const char *id, const uint8_t *data,
				size_t len);

/** The catalog's /packages entry for id (borrowed), or NULL. */
const cJSON *catalog_package(const struct catalog *c, const char *id);

/** NULL-safe. */
void catalog_free(struct catalog *c);

#endif
