/*
 * One HTTPS request to the migration server, through libcurl with TLS from
 * OpenSSL. Every request:
 *   - verifies the server certificate against the Windows certificate
 *     store (CURLSSLOPT_NATIVE_CA; natively, the system's CA bundle) plus
 *     ca_file when set;
 *   - pins the server's SPKI SHA-256 when `pin` is set: the documented 64
 *     hex digits or "sha256//<base64>", converted by net_pin_to_curl to
 *     what CURLOPT_PINNEDPUBLICKEY wants;
 *   - is bounded in time (connect and whole-request timeouts) and in size
 *     (the transfer is aborted once the body passes max_reply);
 *   - sends the bearer token only in the Authorization header, and wipes
 *     the header text before it is freed. The token never reaches an error
 *     detail. (libcurl's own internal copy of the request is freed by
 *     libcurl without wiping; that is the library's limit, documented in
 *     docs/net.md.)
 */
#ifndef FERRY_NET_CLIENT_H
#define FERRY_NET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define NET_CONNECT_TIMEOUT_MS_DEFAULT 10000L
#define NET_TIMEOUT_MS_DEFAULT 60000L
#define NET_REPLY_MAX_DEFAULT (8u * 1024u * 1024u)
#define NET_ETAG_MAX 128u

struct net_config {
	const char *server;    /* "https://host[:port]" without a trailing slash */
	const char *pin;       /* any form net_pin_to_curl takes, or NULL/"" (no pinning) */
	const char *ca_file;   /* PEM bundle trusted in addition to the system store, or NULL */
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_reply;
};

struct net_reply {
	long status;
	struct ferry_buf body;        /* NUL-terminated; wiped on free */
	char etag[NET_ETAG_MAX];      /* "" when none */
	char retry_after[64];         /* raw Retry-After value, "" when none */
	uint64_t bytes_up, bytes_down;/* headers + bodies, for the scale figures */
};

/* "sha256//" + 44 base64 characters + NUL. */
#define NET_PIN_CURL_MAX 53u

/**
 * The one pin format, SERVER_PIN_SHA256: the SHA-256 of the server's TLS
 * SubjectPublicKeyInfo as 64 hex digits (either case, pairs may be
 * separated by ':' as `openssl dgst -c` prints them), or as base64; either
 * may carry the "sha256//" prefix, and surrounding blanks are ignored.
 * Writes "sha256//<base64>" (CURLOPT_PINNEDPUBLICKEY's form) to out.
 * Anything else is FERRY_EINVAL naming SERVER_PIN_SHA256 (a pin is public,
 * so the detail may show it).
 */
ferry_err net_pin_to_curl(char out[NET_PIN_CURL_MAX], const char *pin);

/** A config with the defaults filled in. */
void net_config_defaults(struct net_config *c);

/**
 * Once per process before the first request: OpenSSL initialised without
 * its configuration file (OPENSSL_INIT_NO_LOAD_CONFIG: no openssl.cnf from
 * OPENSSLDIR or OPENSSL_CONF is ever read, whatever libcurl asks later),
 * then curl_global_init, then the process's TLS session cache: a libcurl
 * share handle every net_http uses, so a request resumes the TLS session of
 * the previous one to the same server (docs/net.md, "Session resumption").
 * A second call does nothing.
 */
ferry_err net_global_init(void);

/**
 * method path (e.g. "GET", "/v1/agents/x/assignment"). body may be NULL.
 * if_none_match may be NULL. A reply with any HTTP status is FERRY_OK
 * (the caller reads out->status). Failures: FERRY_EAUTH (certificate or
 * pin refused), FERRY_ETIMEOUT, FERRY_ERANGE (reply over max_reply),
 * FERRY_EIO (unreachable or transfer failed). out is always safe to free.
 */
ferry_err net_http(struct net_reply *out, const struct net_config *cfg, const char *method,
		   const char *path, const struct ferry_secret *bearer, const char *body,
		   size_t body_len, const char *if_none_match);

/** Wipe and release the reply body. */
void net_reply_free(struct net_reply *r);

#endif
