/*
 * ferry-server's configuration: DIR/ferry-server.conf, written commented by
 * `ferry-server init` (srv_init.c) and read by `ferry-server run`.
 *
 * Format: UTF-8 lines; `# comment`; `[section]`; `key = value`. Every key
 * is known (an unknown one is an error naming file, line and key, so a typo
 * never silently falls back to a default). Relative paths are relative to
 * DIR. Lines are at most SRV_CONF_LINE_MAX bytes; the file at most 64 KiB.
 */
#ifndef FERRY_SRV_CONFIG_H
#define FERRY_SRV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/sig.h"
#include "util/err.h"

#define SRV_PATH_MAX 1024u
#define SRV_NAME_MAX 256u
#define SRV_CONF_FILE "ferry-server.conf"
#define SRV_CONF_LINE_MAX 2048u

enum srv_without_key {
	SRV_ENROL_REFUSE, /* an enrolment without enroll_key is refused (403) */
	SRV_ENROL_HOLD,   /* it is held for an admin's approval (202) */
};

struct srv_config {
	char dir[SRV_PATH_MAX];
	/* [server] */
	char name[SRV_NAME_MAX];      /* host name in the certificate and SERVER_URL */
	char listen[128];             /* ADDR:PORT */
	unsigned threads;             /* worker threads (0: one per CPU) */
	uint32_t poll_interval_s;     /* told to agents */
	size_t body_max;              /* largest agent request body */
	size_t admin_body_max;        /* largest admin request body (CSV uploads, bundles) */
	unsigned connection_timeout_s;/* idle connection cut */
	unsigned connection_limit;
	bool log_polls;               /* log every successful poll (off: errors and admin calls only) */
	/* [tls] */
	char tls_cert[SRV_PATH_MAX];
	char tls_key[SRV_PATH_MAX];
	char tls_ticket_key[SRV_PATH_MAX]; /* session-ticket secret (srv_ticket.h), "" = no tickets */
	/* [keys] */
	uint8_t signing_pub[SIG_ED25519_PUBLIC_LEN]; /* the admin's offline key */
	char assignment_key[SRV_PATH_MAX];           /* the server's online Ed25519 key */
	char escrow_key[SRV_PATH_MAX];               /* X25519 private key of the escrow */
	char enroll_key[SRV_PATH_MAX];               /* the enrolment key (ENROLL_KEY) */
	/* [database] */
	char backend[16];                            /* "sqlite" or "postgresql" */
	char db_path[SRV_PATH_MAX];                  /* sqlite: the file */
	char db_url[SRV_PATH_MAX];                   /* postgresql: libpq string, no password */
	char db_password_file[SRV_PATH_MAX];         /* postgresql: its password (0600), or "" */
	/* [retention] (0 days: keep) */
	unsigned events_days;                        /* agent events older than this are pruned */
	unsigned status_days;                        /* status history older than this */
	unsigned prune_batch;                        /* rows of each pruned per transaction */
	/* [enrolment] */
	enum srv_without_key without_key;
	unsigned pending_max;                        /* held enrolments kept at most */
	/* [status] */
	unsigned stuck_after_h;                      /* no progress for this long: stuck */
	unsigned lost_after_d;                       /* not seen for this long: stuck */
	/* [provision] (server/provision/, docs/server.md "Provisioning") */
	bool prov_enabled;
	char prov_domain[256];                       /* target DNS domain */
	char prov_netbios[16];                       /* its NetBIOS name */
	char prov_dc[256];                           /* the DC's host name */
	char prov_keytab[SRV_PATH_MAX];              /* the delegated account's keytab */
	char prov_account[64];                       /* its sAMAccountName */
	char prov_work_dir[SRV_PATH_MAX];            /* job directories (0700) */
	char prov_exec_prefix[SRV_PATH_MAX];         /* argv prefix for the tools ("" none) */
	char prov_policy[16];                        /* "fail" or "reuse_owned" on a collision */
	unsigned prov_max_per_dc;                    /* concurrent jobs on the DC */
	unsigned prov_workers;                       /* queue worker threads */
	unsigned prov_lead_h;                        /* provision this long before available_from */
	/* [metrics] */
	bool metrics_public;                         /* /metrics without a token */
};

/** Defaults for everything (paths relative to dir). */
void srv_config_defaults(struct srv_config *c, const char *dir);

/**
 * Read DIR/ferry-server.conf over the defaults. FERRY_ECORRUPT with
 * "ferry-server.conf:LINE: ..." for a malformed line, an unknown key or a
 * bad value; FERRY_EIO when the file cannot be read.
 */
ferry_err srv_config_load(struct srv_config *c, const char *dir);

/** Parse config text (the loader's core; tests and the fuzzer call it). */
ferry_err srv_config_parse(struct srv_config *c, const char *text, size_t len, const char *file);

/** dir/rel into out, or rel itself when it is absolute. */
ferry_err srv_path(char *out, size_t cap, const char *dir, const char *rel);

#endif
