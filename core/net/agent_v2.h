/*
 * Protocol v2 on the agent (docs/protocol.md, "The agent's v2 client"), and
 * the one view of what the agent runs whichever protocol brought it.
 *
 * The poll (net_agent_poll_any) asks GET /v2/agents/{id}/assignment first.
 * An assignment naming a catalog_sha256 the agent does not hold makes it
 * fetch GET /v2/agents/{id}/catalog. The catalog is verified with the
 * admin's key (SIGNING_PUBLIC_KEY), the assignment with the catalog's
 * assignment_key, for this agent; both must be fresh against their marks
 * (agent.json), and the documents they make (the batch, the catalog's
 * runbooks it names) must parse. Then catalog.json (when new) and
 * assignment.json are swapped in and the marks written last; a failure at
 * any point leaves the pair accepted before in force.
 *
 * Invariants:
 *   1. Marks never go backwards: a lower sequence, or the same sequence with
 *      another digest, is refused, for the catalog and the assignment alike.
 *   2. No downgrade: once a catalog was accepted (cat_mark.sequence > 0) a
 *      v1 bundle is refused on every path (poll, BundleDir, read back), and
 *      a v2 endpoint answering 404 is a failure, never a reason to poll v1.
 *      Before that, 404 or 304 with nothing held means a v1 server (or one
 *      with no catalog yet): the v1 poll runs as before.
 *   3. The pair on disk is trusted no more than one from the server: read
 *      back, both are verified again (signatures, addressee, the catalog
 *      binding, the marks) at every load. Expiry is judged when a document
 *      is accepted, not when it is read back: a PC offline past not_after
 *      keeps what it accepted rather than stopping mid-migration, as with
 *      bundles (bundle.h).
 *   4. Every refusal queues an event naming the reason: catalog_refused,
 *      assignment_refused, downgrade_refused.
 */
#ifndef FERRY_NET_AGENT_V2_H
#define FERRY_NET_AGENT_V2_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/agent.h"
#include "net/assignment.h"
#include "net/catalog.h"

/*
 * What the agent runs: a v1 bundle, or a v2 catalog and the assignment made
 * against it. Exactly one of `bundle` and the pair is set. Everything the
 * service takes from it goes through the net_accepted_* readers, so the
 * service has one path for both protocols.
 */
struct net_accepted {
	struct bundle *bundle;
	struct catalog *catalog;
	struct assignment *assignment;
};

/** Wrap an accepted bundle (ownership of b moves into *out, even on failure). */
ferry_err net_accepted_of_bundle(struct net_accepted **out, struct bundle *b);

/** NULL-safe. */
void net_accepted_free(struct net_accepted *acc);

/**
 * The batch and runbooks to run: a bundle's own, or the assignment's batch
 * with the catalog's runbooks it names (parsed again, checked as one set).
 */
ferry_err net_accepted_documents(struct net_bundle_documents **out,
				 const struct net_accepted *acc);

/** The identity-map rows (borrowed), or NULL when the documents carry none. */
const cJSON *net_accepted_idmap_rows(const struct net_accepted *acc);

/**
 * The signed /packages list the runner binds command packages to
 * (borrowed; NULL when none): a bundle's own, or the catalog's, which the
 * admin signed (an assignment may only repeat its entries). *from names it
 * for errors: "bundle" or "catalog".
 */
const cJSON *net_accepted_packages(const struct net_accepted *acc, const char **from);

/** The fallback escrow key, if the bundle or catalog names one. */
bool net_accepted_escrow_key(const struct net_accepted *acc, uint8_t out[SEAL_KEY_LEN]);

/**
 * The SHA-256 the signed bundle names for `device`'s BundleDir ODJ blob
 * (net/odj_dir.h). FERRY_ENOTFOUND when it names none (a v2 pair never
 * does: its blobs come from the server).
 */
ferry_err net_accepted_odj_digest(uint8_t out[32], const struct net_accepted *acc,
				  const char *device);

/** The server's poll interval the documents carry (0: none). */
uint32_t net_accepted_poll_interval(const struct net_accepted *acc);

/** "bundle sequence 3" or "assignment sequence 9 (catalog sequence 5)". */
void net_accepted_describe(const struct net_accepted *acc, char *out, size_t cap);

/** Fetch the catalog's envelope; *buf is ferry_free'd by the caller. */
typedef ferry_err (*net_catalog_fetch_fn)(void *ctx, uint8_t **buf, size_t *len);

/**
 * Accept an assignment envelope (the body of a 200): the held catalog when
 * it is the one named, else one from `fetch`; every check above; then both
 * persisted. *out (may be NULL) receives the pair. Nothing of a refused
 * pair is kept. FERRY_EAUTH wrongly signed; FERRY_EMISMATCH another agent,
 * another catalog, expired, outside the catalog, or stale; FERRY_ECORRUPT
 * malformed. The detail starts with "catalog:" or "assignment:".
 */
ferry_err net_agent_accept_v2(struct net_agent *a, const uint8_t *buf, size_t len,
			      net_catalog_fetch_fn fetch, void *ctx, struct net_accepted **out);

/**
 * The pair last accepted, read back from catalog.json and assignment.json
 * and verified again. FERRY_ENOTFOUND when none was accepted yet.
 */
ferry_err net_agent_load_v2(struct net_agent *a, struct net_accepted **out);

/**
 * What is in force: the v2 pair once a catalog was accepted (never the
 * bundle then), else the bundle. FERRY_ENOTFOUND when nothing was accepted.
 */
ferry_err net_agent_load_any(struct net_agent *a, struct net_accepted **out);

/**
 * One poll: v2 first, v1 only while no catalog was ever accepted and the
 * server has no v2 assignment for it (404, or 304 with nothing held).
 * *out (may be NULL) receives what was accepted on NET_POLL_NEW.
 */
ferry_err net_agent_poll_any(struct net_agent *a, enum net_poll_result *res,
			     struct net_accepted **out);

#endif
