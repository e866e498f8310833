/*
 * The v2 assignment: what the server tells one agent, inside what the
 * admin's catalog allows (docs/protocol.md, "Protocol v2").
 *
 * Envelope (net/signed.h): {"ferry_assignment":1,"payload":{...},"signature":...}
 * signed over "ferry-assignment/1\n" || canon(payload) with the server's
 * key, the one the catalog names in /assignment_key. Payload members:
 *
 *   sequence        integer >= 1, strictly increasing per agent (required)
 *   issued          RFC 3339 (required)
 *   not_after       RFC 3339, after issued, not after the catalog's (required)
 *   catalog_sha256  hex SHA-256 of canon(catalog payload) it was made
 *                   against (required)
 *   agent_id        the enrolled agent's id (required)
 *   device          its computer name, 1..15 of [A-Za-z0-9-] (required)
 *   batch           a "ferry.batch/1" document (required): its id is the
 *                   wave, its runbooks the catalog's runbooks with this
 *                   wave's available_from/enforced_after, its devices
 *                   exactly [device]
 *   target          optional {"dns_domain","ou"}: where this device joins
 *   packages        optional [{"id","sha256","size"}], each equal to the
 *                   catalog's entry for that id
 *   identity_map    array (required, may be empty): the device's identity
 *                   mapping, rows as net/idmap.h reads them
 *   poll_interval_s optional integer, 60..86400
 *
 * Invariants (checked by assignment_verify and, before signing, by
 * assignment_sign, so a server cannot sign what agents refuse):
 *   1. Signed by the catalog's assignment key, for the catalog the agent
 *      holds (catalog_sha256), for this agent, not expired.
 *   2. Every runbook id, target domain and OU, package digest and
 *      identity-map dns_domain is in the catalog.
 *   3. Sequence never goes down (assignment_check_fresh).
 */
#ifndef FERRY_NET_ASSIGNMENT_H
#define FERRY_NET_ASSIGNMENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/catalog.h"
#include "net/idmap.h"
#include "runbook/runbook.h"
#include "sec/sid.h"
#include "util/err.h"

#define ASSIGNMENT_MAX (8u * 1024u * 1024u)
#define ASSIGNMENT_MAX_MAP IDMAP_MAX_ROWS

struct assignment {
	uint64_t sequence;
	uint8_t digest[SIGNED_DIGEST_LEN]; /* SHA-256 of canon(payload) */
	int64_t issued, not_after;
	const char *agent_id, *device;     /* borrowed from payload */
	const char *target_domain, *target_ou; /* NULL when absent */
	uint32_t poll_interval_s;          /* 0 when absent */
	struct batch *batch;               /* parsed; batch->id is the wave */
	struct idmap_entry *idmap;
	size_t n_idmap;
	cJSON *payload;                    /* owned */
};

/**
 * Parse and verify an assignment for agent_id against an accepted catalog,
 * at time `now`. FERRY_EAUTH not signed by the catalog's assignment key;
 * FERRY_EMISMATCH another agent or catalog, expired, or something the
 * catalog does not allow (detail names it); FERRY_ECORRUPT malformed.
 */
ferry_err assignment_verify(struct assignment **out, const uint8_t *buf, size_t len,
			    const struct catalog *cat, const char *agent_id, int64_t now);

/**
 * The server's side: check a payload exactly as an agent would (agent_id
 * taken from the payload), check server_priv is the catalog's assignment
 * key, and sign. *out is NUL-terminated JSON (ferry_free).
 */
ferry_err assignment_sign(char **out, size_t *out_len, const cJSON *payload,
			  const struct catalog *cat,
			  const uint8_t server_priv[SIG_ED25519_PRIVATE_LEN], int64_t now);

/**
 * Check identity_map rows as an agent would (types, SAM grammar, one row per
 * source SID), and their dns_domain against cat unless cat is NULL; the
 * server's table import uses it so it never stores rows it cannot sign.
 */
ferry_err assignment_idmap_check(const cJSON *rows, const struct catalog *cat);

/** FERRY_EMISMATCH when a may not follow `last` (a lowered or reused sequence). */
ferry_err assignment_check_fresh(const struct assignment *a, const struct signed_mark *last);

/** The mark to persist once a has been accepted. */
void assignment_mark_of(struct signed_mark *m, const struct assignment *a);

/** NULL-safe. */
void assignment_free(struct assignment *a);

#endif
