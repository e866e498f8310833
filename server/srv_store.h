/*
 * The server's storage interface: one table of function pointers, so a
 * PostgreSQL backend can follow without touching a handler. The SQLite
 * backend (srv_store_sqlite.c, WAL mode) is the embedded default.
 *
 * Rules every backend keeps (the handlers rely on them):
 *   1. Each op is atomic. A handler that changes several things, or a
 *      thing plus its audit row, wraps them in begin/commit; rollback undoes
 *      all of it. Nothing is half-written, whatever the request held.
 *   2. Device names are stored as given by the handler (already upper-case
 *      and checked by srv_device_name_ok); tokens only as SHA-256 hex.
 *   3. enrol (the one decision made inside the store, so two concurrent
 *      enrolments for one name cannot both win):
 *        - key_ok, and the device has no agent: a new agent, bound     -> NEW
 *        - key_ok, and the device's agent has this public key: a new token
 *          for the same agent id (sealed blobs stay valid)            -> RENEWED
 *        - an approved request for (device, public key) exists: a new
 *          agent bound to the device, replacing the previous one       -> NEW
 *        - a denied request for (device, public key) exists          -> DENIED
 *        - otherwise (the name is claimed by another key, or no key and
 *          the policy holds): a pending request, once per (device, key);
 *          FERRY_EBUSY when pending_max requests are already pending   -> HELD
 *   4. escrow_put replaces an earlier escrow only in the same transaction
 *      as the caller's audit row (*replaced tells the caller to write it).
 *   5. Every list op returns a cJSON array of objects the caller frees.
 *   6. status_add keeps every accepted (not duplicate) report in the
 *      device's status history as well as the latest one (the console's
 *      timeline, device_timeline).
 *   7. Console sessions (srv_console.c) are stored by the SHA-256 of their
 *      cookie only, tied to the token that opened them: session_get finds
 *      none once that token is revoked or the session expired.
 */
#ifndef FERRY_SRV_STORE_H
#define FERRY_SRV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/err.h"

#define SRV_ID_MAX 40u
#define SRV_DEVICE_MAX 64u
#define SRV_HASH_HEX 65u

struct srv_store;

/* A device seen at a time (batched "last seen" updates, srv_seen.c). */
struct srv_seen {
	char device[SRV_DEVICE_MAX];
	char agent[SRV_ID_MAX];
	int64_t time;
};

struct srv_agent {
	char id[SRV_ID_MAX];
	char device[SRV_DEVICE_MAX];
	uint8_t public_key[32];
};

enum srv_enrol_outcome { SRV_ENROL_NEW, SRV_ENROL_RENEWED, SRV_ENROL_HELD, SRV_ENROL_DENIED };

struct srv_enrol_req {
	const char *device, *domain, *os;
	uint8_t public_key[32];
	const char *agent_id;           /* the id a new agent gets */
	const char *token_sha256;       /* hex of the new token's hash */
	bool key_ok;                    /* enroll_key matched */
	const char *hold_reason;        /* why a held request is held */
	unsigned pending_max;
	int64_t now;
};

struct srv_enrol_result {
	enum srv_enrol_outcome outcome;
	char agent_id[SRV_ID_MAX];      /* NEW/RENEWED: the agent's id */
	int64_t request_id;             /* HELD/DENIED: the request's id */
};

struct srv_device {
	char name[SRV_DEVICE_MAX];
	char wave[SRV_DEVICE_MAX];      /* "" when in no wave */
	char agent[SRV_ID_MAX];         /* "" when not enrolled */
};

/* A status report (docs/protocol.md); json is the whole validated report. */
struct srv_status {
	uint64_t seq;
	const char *phase;
	int stage;                      /* srv_status.h rank of phase */
	bool progressed;                /* phase/step changed since the last report */
	const char *json;
};

enum srv_list {
	SRV_LIST_WAVES,       /* [{"name","created","devices","runbooks":[...],"bundle_etag"}] */
	SRV_LIST_DEVICES,     /* [{"name","wave","agent","phase","stage","last_seen","progress_at",
			       *   "error","blob","escrow"}]; filter: wave (NULL = all) */
	SRV_LIST_ENROLMENTS,  /* [{"id","device","domain","os","reason","status","created","public_key"}] */
	SRV_LIST_AUDIT,       /* [{"id","time","actor","role","action","target","detail"}], newest first */
	SRV_LIST_TOKENS,      /* [{"name","role","created","revoked"}] */
};

/* The imported translation table (srv_table.c): one current import. The
 * snapshots are kept as imported (the next import's delta is computed
 * against them); rows is the identity_map JSON array every assignment
 * carries, summary the JSON `ferry-admin table status` shows. */
struct srv_table {
	char hash[SRV_HASH_HEX];        /* the table CSV's SHA-256 (dir_table_csv) */
	char actor[SRV_DEVICE_MAX];     /* the token name that imported it */
	int64_t imported;               /* Unix seconds */
	uint8_t *source, *target;       /* snapshot texts; NULL unless asked for */
	size_t source_len, target_len;
	char *rows, *summary;           /* NUL-terminated JSON */
	char *findings;                 /* the builder's report, JSON array; put only */
};

/** Free what srv_table holds (not the struct); NULL-safe. */
void srv_table_clear(struct srv_table *t);

struct srv_principal {
	char name[SRV_DEVICE_MAX];
	char role[16];
};

/* One device as the console's lists and funnels need it (device_rows). */
struct srv_device_row {
	char name[SRV_DEVICE_MAX];
	char wave[SRV_DEVICE_MAX];      /* "" when in no wave */
	char agent[SRV_ID_MAX];         /* "" when not enrolled */
	char phase[24];                 /* the last report's phase, "" before one */
	int stage;                      /* the highest stage reported (srv_status.h) */
	int64_t last_seen, progress_at; /* Unix seconds; 0 = never */
	bool blob;                      /* a sealed ODJ blob is ready */
	bool escrow;                    /* a fallback password is escrowed */
	char error[96];                 /* the last report's error message (cut), "" when none */
};

/* A console session (srv_console.c): who opened it and its CSRF token. */
struct srv_session {
	struct srv_principal who;
	char csrf[SRV_HASH_HEX];
	int64_t expires;
};

struct srv_store_ops {
	const char *backend;
	void (*close)(struct srv_store *st);
	ferry_err (*begin)(struct srv_store *st);
	ferry_err (*commit)(struct srv_store *st);
	void (*rollback)(struct srv_store *st);
	/* agents */
	ferry_err (*agent_auth)(struct srv_store *st, struct srv_agent *out, const char *id,
				const char *token_sha256, int64_t now);
	/* Record many "last seen" times in one transaction (never moves one back). */
	ferry_err (*devices_seen)(struct srv_store *st, const struct srv_seen *v, size_t n);
	/* An agent by id (no token): its device and public key. */
	ferry_err (*agent_get)(struct srv_store *st, struct srv_agent *out, const char *id);
	ferry_err (*enrol)(struct srv_store *st, struct srv_enrol_result *out,
			   const struct srv_enrol_req *req);
	/* The signed bundle of the device's wave: *etag always, *data (ferry_free)
	 * only when the ETag differs from if_none_match. FERRY_ENOTFOUND: none. */
	ferry_err (*assignment)(struct srv_store *st, char etag[SRV_HASH_HEX], uint8_t **data,
				size_t *len, const char *device, const char *if_none_match);
	ferry_err (*event_add)(struct srv_store *st, bool *dup, const char *agent, const char *id,
			       int64_t time, const char *kind, const char *detail, int64_t now);
	ferry_err (*status_add)(struct srv_store *st, bool *dup, const char *device,
				const struct srv_status *s, int64_t now);
	/* The sealed ODJ blob kept for (device, agent); FERRY_ENOTFOUND: none yet. */
	ferry_err (*odj_get)(struct srv_store *st, uint8_t **sealed, size_t *len, const char *device,
			     const char *agent);
	ferry_err (*odj_put)(struct srv_store *st, const char *device, const char *agent,
			     const uint8_t *sealed, size_t len, const char *sha256, const char *source,
			     int64_t now);
	ferry_err (*odj_delete)(struct srv_store *st, const char *device);
	ferry_err (*escrow_put)(struct srv_store *st, bool *replaced, const char *device,
				const char *agent, const uint8_t *sealed, size_t len, int64_t now);
	/* FERRY_ENOTFOUND when the device has no escrow; agent receives its AAD. */
	ferry_err (*escrow_get)(struct srv_store *st, uint8_t **sealed, size_t *len,
				char agent[SRV_ID_MAX], const char *device);
	/* admin */
	ferry_err (*token_auth)(struct srv_store *st, struct srv_principal *out,
				const char *token_sha256);
	ferry_err (*token_add)(struct srv_store *st, const char *name, const char *role,
			       const char *token_sha256, int64_t now);
	/* FERRY_ENOTFOUND: no unrevoked token of that name. */
	ferry_err (*token_revoke)(struct srv_store *st, const char *name);
	ferry_err (*audit_add)(struct srv_store *st, const struct srv_principal *who,
			       const char *action, const char *target, const char *detail,
			       int64_t now);
	ferry_err (*wave_add)(struct srv_store *st, const char *wave, int64_t now);
	ferry_err (*wave_bundle_set)(struct srv_store *st, const char *wave, const uint8_t *bundle,
				     size_t len, const char *etag);
	/* times are Unix seconds; 0 = unset */
	ferry_err (*wave_runbook_set)(struct srv_store *st, const char *wave, const char *runbook,
				      int64_t available_from, int64_t enforced_after);
	ferry_err (*device_add)(struct srv_store *st, bool *added, const char *wave,
				const char *device, int64_t now);
	ferry_err (*device_move)(struct srv_store *st, const char *device, const char *wave);
	ferry_err (*device_get)(struct srv_store *st, struct srv_device *out, const char *device);
	ferry_err (*enrolment_decide)(struct srv_store *st, int64_t id, bool approve);
	ferry_err (*list)(struct srv_store *st, cJSON **out, enum srv_list what, const char *wave);
	/* v2: the admin-signed catalog (one; FERRY_ENOTFOUND: none yet). */
	ferry_err (*catalog_put)(struct srv_store *st, const uint8_t *env, size_t len,
				 uint64_t sequence);
	ferry_err (*catalog_get)(struct srv_store *st, uint8_t **env, size_t *len);
	/* v2: the last assignment signed for an agent, and the digest of the
	 * inputs it was made from (FERRY_ENOTFOUND: none yet). */
	ferry_err (*assignment_get)(struct srv_store *st, char inputs[SRV_HASH_HEX], uint64_t *seq,
				    uint8_t **env, size_t *len, const char *agent);
	ferry_err (*assignment_put)(struct srv_store *st, const char *agent, const char *inputs,
				    uint64_t seq, const uint8_t *env, size_t len);
	/* The provisioning engine's storage (server/provision/provision.h), keyed
	 * "<domain>/<MACHINE>": blobs sealed at rest by the caller, the first
	 * blob put for a key wins, intents recorded before the DC is changed. */
	ferry_err (*prov_blob_get)(struct srv_store *st, uint8_t **sealed, size_t *len,
				   const char *key);
	ferry_err (*prov_blob_put)(struct srv_store *st, const char *key, const uint8_t *sealed,
				   size_t len, int64_t now);
	ferry_err (*prov_blob_delete)(struct srv_store *st, const char *key);
	ferry_err (*prov_intent_put)(struct srv_store *st, const char *key, int64_t now);
	ferry_err (*prov_intent_get)(struct srv_store *st, const char *key);
	/* The imported table: put replaces the one before; get fills *out
	 * (srv_table_clear), the snapshots only when with_snapshots.
	 * FERRY_ENOTFOUND: none imported yet. */
	ferry_err (*table_put)(struct srv_store *st, const struct srv_table *t);
	ferry_err (*table_get)(struct srv_store *st, struct srv_table *out, bool with_snapshots);
	/* The console (srv_console.c). A session by its cookie's SHA-256, bound
	 * to the token (by its SHA-256) that opened it; add also drops expired
	 * sessions. get: FERRY_ENOTFOUND when unknown, expired or its token is
	 * revoked. */
	ferry_err (*session_add)(struct srv_store *st, const char *id_sha256,
				 const char *token_sha256, const char *csrf, int64_t now,
				 int64_t expires);
	ferry_err (*session_get)(struct srv_store *st, struct srv_session *out,
				 const char *id_sha256, int64_t now);
	ferry_err (*session_delete)(struct srv_store *st, const char *id_sha256);
	/* Every device (of wave; NULL = all) in name order; *out (ferry_free).
	 * error and escrow are filled only when errors is set (reading them
	 * parses every device's last report; device_row always fills them). */
	ferry_err (*device_rows)(struct srv_store *st, struct srv_device_row **out, size_t *n,
				 const char *wave, bool errors);
	/* One device's row; FERRY_ENOTFOUND when there is no such device. */
	ferry_err (*device_row)(struct srv_store *st, struct srv_device_row *out,
				const char *device);
	/* Names of the devices whose last report's cached_users holds user (any
	 * case, a part of the name), at most limit, in name order. */
	ferry_err (*devices_by_user)(struct srv_store *st, cJSON **out, const char *user,
				     unsigned limit);
	/* [{"device","users":[...]}] for every device whose last report names cached users. */
	ferry_err (*device_users)(struct srv_store *st, cJSON **out);
	/* A device's timeline, newest first, at most limit entries:
	 * [{"time","source","seq","report","agent","id","kind","detail"}]:
	 * source "status" (seq and report, the others "") by the time it was
	 * received, or "event" (agent, id, kind, detail; seq 0, report null)
	 * by its own time or, without one, when it was received. */
	ferry_err (*device_timeline)(struct srv_store *st, cJSON **out, const char *device,
				     unsigned limit);
	/* Audit rows newest first, from offset, at most limit; *total counts
	 * every row that matches (text: actor, action or target holds it; NULL = all). */
	ferry_err (*audit_page)(struct srv_store *st, cJSON **out, int64_t *total,
				const char *text, int64_t offset, unsigned limit);
	/* The last table import's findings (the builder's report, a JSON array
	 * text, ferry_free); FERRY_ENOTFOUND: no table imported yet. */
	ferry_err (*table_findings)(struct srv_store *st, char **json);
	/* Bytes the database takes on disk (metrics, benchmark). */
	ferry_err (*size)(struct srv_store *st, uint64_t *bytes);
};

struct srv_store {
	const struct srv_store_ops *ops;
};

/** Open (creating the schema when create is set) the SQLite database at path. */
ferry_err srv_store_sqlite_open(struct srv_store **out, const char *path, bool create);

#endif
