/*
 * The agent's side of the protocol (docs/protocol.md): enrolment, polling
 * for the signed assignment, the event outbox, the sealed ODJ blob, and the
 * fallback-password escrow. The same accept path serves bundles read from
 * BUNDLE_DIR.
 *
 * State lives in one directory:
 *   agent.json    id, server, machine, domain, last accepted bundle mark,
 *                 ETag, poll interval, failure count. No secrets.
 *   bundle.json   the last accepted bundle envelope, written only after it
 *                 verified, was fresh and its documents parsed.
 *   catalog.json, assignment.json  the same for protocol v2 (agent_v2.h);
 *                 their marks and ETag are in agent.json too.
 *   outbox.jsonl  events not yet acknowledged by the server.
 * Secrets (the X25519 private key "agent.key", the bearer token
 * "agent.token") go through a key store: the seam below. Natively the CLI
 * stores them as mode-0600 files; on Windows, DPAPI (machine scope).
 */
#ifndef FERRY_NET_AGENT_H
#define FERRY_NET_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/bundle.h"
#include "net/client.h"
#include "net/seal.h"
#include "net/signed.h"
#include "util/err.h"
#include "util/mem.h"

struct batch;
struct runbook;

/* The key-store seam. load: FERRY_ENOTFOUND when the item does not exist. */
struct net_keystore {
	ferry_err (*load)(void *ctx, const char *name, struct ferry_secret **out);
	ferry_err (*save)(void *ctx, const char *name, const uint8_t *data, size_t len);
	void *ctx;
};

#define NET_AGENT_ID_MAX 64u
#define NET_NAME_MAX 256u
#define NET_PATH_MAX 1024u
#define NET_OUTBOX_MAX 1000u

struct net_agent {
	char dir[NET_PATH_MAX];
	char id[NET_AGENT_ID_MAX];
	char machine[NET_NAME_MAX];
	char domain[NET_NAME_MAX];
	char server[NET_PATH_MAX];
	char pin[128];
	char ca_file[NET_PATH_MAX];
	struct bundle_mark mark;
	char etag[NET_ETAG_MAX];
	/* Protocol v2 (net/agent_v2.h): the last catalog and assignment
	 * accepted, never lowered. A catalog mark (sequence > 0) also means
	 * v1 bundles are refused from then on. */
	struct signed_mark cat_mark, asg_mark;
	char etag_v2[NET_ETAG_MAX];
	uint32_t poll_s;
	unsigned failures;
	int64_t last_ok;
	uint32_t retry_after_s;            /* from the last reply; 0 = none */
	uint64_t status_seq;               /* the last status report's seq (agent.json) */
	uint64_t bytes_up, bytes_down;     /* HTTP bytes of the polls so far (not persisted) */
	struct net_config cfg;             /* points into the strings above */
	uint8_t signing_pub[SIG_ED25519_PUBLIC_LEN];
	const struct net_keystore *ks;
};

/**
 * Load (or start) the state in `dir`. A missing agent.json gives an
 * unenrolled agent (id ""). The signing key is configuration, not state.
 */
ferry_err net_agent_open(struct net_agent *a, const char *dir, const struct net_keystore *ks,
			 const uint8_t signing_pub[SIG_ED25519_PUBLIC_LEN]);

/** Write agent.json atomically (temporary file, then rename). */
ferry_err net_agent_save(struct net_agent *a);

/** Point a->cfg at the agent's server, pin and CA (after changing them). */
void net_agent_bind(struct net_agent *a);

/** POST /v1/agents/enroll; makes the agent key on first use. */
ferry_err net_agent_enroll(struct net_agent *a, const char *os);

/**
 * The same with the server's enrolment key (ENROLL_KEY), sent as
 * "enroll_key" and wiped from the request text afterwards. A server that
 * holds the enrolment for an administrator answers 202: FERRY_EBUSY, and
 * the agent enrols again later with the same key pair.
 */
ferry_err net_agent_enroll_key(struct net_agent *a, const char *os,
			       const struct ferry_secret *enroll_key);

/**
 * Apply an enrolment reply {"agent_id","token","poll_interval_s"}: the id,
 * the token to the key store (wiped from the parsed reply), agent.json
 * saved. The anti-replay mark is kept as it was: enrolling again never
 * lowers it (docs/protocol.md). Used by net_agent_enroll_key.
 */
ferry_err net_agent_enrolled(struct net_agent *a, const uint8_t *body, size_t len);

enum net_poll_result { NET_POLL_NEW, NET_POLL_UNCHANGED };

/**
 * GET the assignment with If-None-Match. A new bundle is verified, checked
 * fresh, its documents parsed, then persisted. *out (may be NULL) receives
 * the accepted bundle on NET_POLL_NEW. Any refusal queues an event naming
 * the reason, and nothing from the refused bundle is kept.
 */
ferry_err net_agent_poll(struct net_agent *a, enum net_poll_result *res, struct bundle **out);

/**
 * Who the agent is to a bundle's /agent member: its id once enrolled, else
 * its computer name (BundleDir), else "" (then only "*" passes). Never NULL:
 * every mode checks the addressee.
 */
const char *net_agent_identity(const struct net_agent *a);

/**
 * The accept path shared by poll and BUNDLE_DIR: signature, addressee,
 * not_after against the clock, sequence against the mark, documents; then
 * bundle.json and the mark written. When either write fails the bundle
 * accepted before stays in force, on disk and in memory.
 */
ferry_err net_agent_accept(struct net_agent *a, const uint8_t *buf, size_t len,
			   struct bundle **out);

/**
 * Read BUNDLE_DIR/bundle.json, accept it, and check every listed package
 * (BUNDLE_DIR/packages/<id>) against its SHA-256.
 */
ferry_err net_agent_bundle_dir(struct net_agent *a, const char *bundle_dir, struct bundle **out);

/**
 * The bundle last accepted, read back from <dir>/bundle.json (the one copy
 * on disk) and verified again: signature, this agent, the accepted mark,
 * and its documents. FERRY_ENOTFOUND when none was accepted yet.
 */
ferry_err net_agent_load_bundle(struct net_agent *a, struct bundle **out);

#define NET_BUNDLE_RUNBOOKS_MAX 64u

/* An accepted bundle's documents, parsed: what the service runs. */
struct net_bundle_documents {
	struct batch *batch;
	struct runbook **runbooks;
	size_t n_runbooks;
};

/**
 * Parse the batch and runbooks of a verified bundle and check the batch's
 * references (what net_agent_accept requires before it accepts). Free
 * with net_bundle_documents_free (NULL-safe).
 */
ferry_err net_bundle_documents_parse(struct net_bundle_documents **out, const struct bundle *b);
void net_bundle_documents_free(struct net_bundle_documents *d);
/** The same from a payload's /batch and /runbooks (a bundle's, or one made
 *  from a v2 pair: net/agent_v2.h). */
ferry_err net_documents_parse(struct net_bundle_documents **out, const cJSON *payload);
/** FERRY_OK when net_bundle_documents_parse would succeed. */
ferry_err net_bundle_documents_check(const struct bundle *b);

/**
 * The target domain named by the accepted bundle's migration runbook
 * (device_state.domain_join.domain), copied into out.
 */
ferry_err net_agent_target_domain(struct net_agent *a, char *out, size_t cap);

/* What the agent asks POST /v1/agents/{id}/odj for. */
struct net_odj_request {
	const char *domain;  /* the runbook's target domain */
	const char *ou;      /* the runbook's computer_ou; NULL = none named */
	bool dry_run;        /* a rehearsal: the server provisions and stores nothing */
};

/**
 * POST /v1/agents/{id}/odj. *sealed (ferry_free) receives the server's
 * sealed blob, only after net_agent_odj_open said it opens and validates
 * for this machine and rq->domain. FERRY_EBUSY when the server has no blob
 * yet (404/409: not provisioned, or a dry run found none; the detail says
 * the server's reason); FERRY_EIO when it cannot be reached. Refusals of
 * what the server sent queue an `odj_refused` event.
 */
ferry_err net_agent_odj_sealed(struct net_agent *a, const struct net_odj_request *rq,
			       uint8_t **sealed, size_t *len);

/**
 * Open a sealed blob (from the server, or kept on disk) with the agent key
 * and id, decode it and check it is for this machine and `domain`
 * (odj_validate). *out (may be NULL: a check only) receives the ODJ file
 * bytes (djoin's text form).
 */
ferry_err net_agent_odj_open(struct net_agent *a, const uint8_t *sealed, size_t len,
			     const char *domain, struct ferry_secret **out);

/** net_agent_odj_sealed (no OU, not a dry run), then net_agent_odj_open. */
ferry_err net_agent_fetch_odj(struct net_agent *a, const char *target_domain,
			      struct ferry_secret **out);

/** Seal the fallback password to server_pub and POST it (escrow). */
ferry_err net_agent_escrow(struct net_agent *a, const struct ferry_secret *password,
			   const uint8_t server_pub[SEAL_KEY_LEN]);

/**
 * POST a status report (docs/protocol.md, POST /v1/agents/{id}/status):
 * an object with "seq" (>= 1, increasing) and "phase" at least. Idempotent
 * by seq on the server; *duplicate says a report with that seq was already
 * stored. FERRY_ECORRUPT when the server refuses it as malformed (400).
 */
ferry_err net_agent_status(struct net_agent *a, const cJSON *report, bool *duplicate);

/**
 * POST the PC's local profile SIDs (docs/protocol.md, POST
 * /v1/agents/{id}/profiles), so the server cuts this device's slice of the
 * translation table. `sids` are account SIDs (text), at most
 * IDMAP_MAX_PROFILES. FERRY_ECORRUPT when the server refuses them (400).
 */
ferry_err net_agent_profiles(struct net_agent *a, const char *const *sids, size_t n);

/** Queue one event (kind, detail: never secrets) in the outbox. */
ferry_err net_agent_event(struct net_agent *a, const char *kind, const char *detail);

/**
 * Queue a status report in the same outbox: `report` (an object with
 * "phase" at least; never secrets) gets the next "seq" (kept in
 * agent.json, so it keeps rising across restarts) and is sent by
 * net_agent_flush through net_agent_status.
 */
ferry_err net_agent_queue_status(struct net_agent *a, cJSON *report);

/**
 * POST the outbox: its status reports first, in order, one
 * net_agent_status each (idempotent by seq: one already stored is answered
 * as a duplicate; one the server refuses as malformed is dropped), then its
 * events in one request (idempotent by event id). Empties it only when all
 * went through; *sent counts events and reports.
 */
ferry_err net_agent_flush(struct net_agent *a, unsigned *sent);

/** Random lowercase hex of 2*n characters into out (2n+1 bytes). */
ferry_err net_random_hex(char *out, size_t n);

/**
 * Write dir/name whole: through a new temporary file with a random name
 * ("<name>.<32 hex>.tmp", so never a name or a link someone prepared),
 * flushed, then renamed over. A failure leaves the old file in place.
 */
ferry_err net_agent_write_file(const char *dir, const char *name, const void *data, size_t len);

#endif
