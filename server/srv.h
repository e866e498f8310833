/*
 * ferry-server: the running server's context, one request and one reply,
 * and the handler entry points (docs/server.md, docs/protocol.md).
 *
 * Layers, top down:
 *   srv_http.c        GNU libmicrohttpd over TLS: bounded bodies, routing,
 *                     /v1/health, /metrics, logging (never bodies or headers)
 *   srv_agent_api.c   the agent protocol (/v1/agents/...)
 *   srv_admin_api.c   the admin API (/v1/admin/...), roles and audit
 *   srv_status.c      status reports, stages, the funnel, the stuck rule
 *   srv_store.h       storage (SQLite today; the handlers see only ops)
 *   srv_odj.h         where ODJ blobs come from (the provisioning seam)
 */
#ifndef FERRY_SRV_H
#define FERRY_SRV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/catalog.h"
#include "net/seal.h"
#include "net/sig.h"
#include "srv_config.h"
#include "srv_odj.h"
#include "srv_store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define SRV_PARTS_MAX 8u

struct srv_stats {
	atomic_ulong requests;
	atomic_ulong by_class[6];       /* 1xx..5xx by status / 100 */
	atomic_ulong polls_200, polls_304;
	atomic_ulong refused_bodies;    /* 400 and 413 */
};

struct srv {
	struct srv_config cfg;
	struct srv_store *store;
	struct ferry_secret *enroll_key;     /* the enrolment key's text */
	struct ferry_secret *escrow_priv;    /* X25519, for helpdesk reveal and escrow checks */
	uint8_t escrow_pub[SEAL_KEY_LEN];
	struct ferry_secret *assign_priv;    /* Ed25519, the server's online assignment key */
	uint8_t assign_pub[SIG_ED25519_PUBLIC_LEN];
	struct srv_odj_provider odj;         /* where blobs come from; .get may be NULL */
	struct catalog *catalog;             /* v2: the admin-signed catalog, or NULL (srv_assign.c) */
	cJSON *table_rows;                   /* the imported identity map, or NULL (srv_table.c) */
	char table_hash[SRV_HASH_HEX];       /* its table's SHA-256, "" when none */
	struct srv_stats stats;
	int64_t (*now)(void);                /* the clock (tests may replace it) */
};

struct srv_req {
	const char *method;
	const char *path;               /* without the query */
	char *parts[SRV_PARTS_MAX];     /* path split at '/' (owned buffer below) */
	size_t nparts;
	char pathbuf[512];
	const uint8_t *body;
	size_t body_len;
	const char *authorization;      /* header or NULL */
	const char *if_none_match;
	const char *cookie;             /* Cookie header or NULL (the console) */
	const char *content_type;       /* Content-Type header or NULL */
	const char *(*query)(void *ctx, const char *name); /* query-string lookup */
	void *query_ctx;
	char client[64];                /* peer address, for the log */
};

struct srv_reply {
	int status;
	struct ferry_buf body;
	const char *content_type;
	char etag[80];
	char retry_after[16];
	bool secret;                    /* the body holds a secret: wiped after sending */
	char log_note[160];             /* what the log line says besides the request line */
	char set_cookie[192];           /* the console's session cookie, "" for none */
	char location[160];             /* a redirect's target, "" for none */
	bool html;                      /* the console's pages: their security headers */
};

/* srv_http.c */

/** Split req->path into parts; FERRY_ECORRUPT for an unusable path. */
ferry_err srv_req_split(struct srv_req *r, const char *path);

/** Handle one complete request (routing; never fails: errors become replies). */
void srv_handle(struct srv *s, struct srv_req *rq, struct srv_reply *rp);

/** Run the HTTPS server until SIGINT/SIGTERM. */
ferry_err srv_serve(struct srv *s, const char *listen_override);

/* Reply helpers (srv_http.c). */
void srv_reply_json(struct srv_reply *rp, int status, const cJSON *j);
void srv_reply_error(struct srv_reply *rp, int status, const char *fmt, ...) FERRY_PRINTF(3, 4);
/* An error reply from a ferry_err (status from the code) with its detail. */
void srv_reply_ferr(struct srv_reply *rp, ferry_err rc, const char *what);

/* Parse a request body as a JSON object; on failure the reply is 400. */
cJSON *srv_body_json(const struct srv_req *rq, struct srv_reply *rp);

/* srv_agent_api.c: /v1/agents/... */
void srv_agent_api(struct srv *s, struct srv_req *rq, struct srv_reply *rp);

/* srv_admin_api.c: /v1/admin/... and /metrics */
void srv_admin_api(struct srv *s, struct srv_req *rq, struct srv_reply *rp);
void srv_metrics(struct srv *s, struct srv_req *rq, struct srv_reply *rp);
/* One admin API call for an authenticated principal (the console's actions):
 * the same routes, role check, transaction and audit row as srv_admin_api. */
void srv_admin_call(struct srv *s, const struct srv_principal *who, struct srv_req *rq,
		    struct srv_reply *rp);
/* May role do the admin API's action (routes' names, e.g. "devices.list")? */
bool srv_admin_may(const char *role, const char *action);
/* An audit row as the admin API writes them ("HTTP status; detail"). */
void srv_admin_audit(struct srv *s, const struct srv_principal *who, const char *action,
		     const char *target, int status, const char *detail);

/* srv_console.c: the web console (/console, docs/server.md "Console"). */
void srv_console(struct srv *s, struct srv_req *rq, struct srv_reply *rp);

/* srv_devices.c: device names from {"names":[...]} or {"csv":"..."} into names_out
 * (upper-cased strings); on failure why says which entry or line. */
ferry_err srv_devices_parse(cJSON *names_out, const cJSON *j, char *why, size_t cap);

/* srv_seen.c: batched "last seen" (one transaction every 30 s, and at stop). */
void srv_seen(struct srv *s, const struct srv_agent *a, int64_t now);
void srv_seen_flush(struct srv *s);

/* srv_util.c */

/** A device name as stored: 1-15 of [A-Za-z0-9-], upper-cased into out. */
bool srv_device_name_ok(char out[SRV_DEVICE_MAX], const char *name);
/** A wave or runbook name: 1-64 of [A-Za-z0-9._-], not starting with '.'. */
bool srv_name_ok(const char *name);
/** SHA-256 hex of a token's text. */
ferry_err srv_token_hash(char out[SRV_HASH_HEX], const char *token, size_t len);
/** A new random token (base64url of 32 bytes) and its hash. */
ferry_err srv_token_new(struct ferry_secret **token, char hash[SRV_HASH_HEX]);
/** The bearer token of an Authorization header, or NULL. */
const char *srv_bearer(const char *authorization);
/** Read a whole small file into a secret (trailing newline trimmed); 0600 checked when strict. */
ferry_err srv_read_secret(struct ferry_secret **out, const char *path, size_t max, bool strict);
/** Read a whole file (at most max bytes); ferry_free. */
ferry_err srv_read_file(uint8_t **out, size_t *len, const char *path, size_t max);
/** Write a whole file with mode, atomically (temporary file, fsync, rename). */
ferry_err srv_write_file(const char *path, const void *data, size_t len, unsigned mode);
/** A 32-byte key file (one line of base64, as `ferry seal keygen` writes). */
ferry_err srv_read_key32(struct ferry_secret **out, const char *path);
/** Parse a time: Unix seconds or RFC 3339 UTC ("2025-03-01T08:00:00Z"). */
ferry_err srv_time_parse(int64_t *out, const char *text, const char *what);
/** Open the server in dir: config, keys, store. */
ferry_err srv_open(struct srv *s, const char *dir);
void srv_close(struct srv *s);

/* srv_provision.c: attach the ODJ provider this build has (srv_odj.h). */
ferry_err srv_provision_attach(struct srv *s);
/* Stop the provisioning queue's threads (after the HTTP server stopped). */
void srv_provision_detach(struct srv *s);

#endif
