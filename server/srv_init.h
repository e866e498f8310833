/* `ferry-server init DIR`: a complete server directory or nothing (srv_init.c). */
#ifndef FERRY_SRV_INIT_H
#define FERRY_SRV_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct srv_init_opts {
	const char *dir;
	const char *name;                /* host name (certificate, SERVER_URL) */
	const char *listen;              /* ADDR:PORT for the config */
	const char *tls_cert, *tls_key;  /* the admin's own, or NULL: self-signed */
	const char *signing_public_key;  /* the admin's, or NULL: generate one */
	bool hold_without_key;           /* enrolment.without_key = hold */
	const char *db_url;              /* PostgreSQL connection string, or NULL: SQLite */
};

struct srv_init_out {
	char pin[128];                   /* SERVER_PIN_SHA256 */
	char signing_public_key[64];     /* SIGNING_PUBLIC_KEY */
	char enroll_key[64];             /* ENROLL_KEY */
	char escrow_public_key[64];
	char assignment_public_key[64];  /* for the catalog's assignment_key */      /* for the bundle's escrow_public_key */
	bool generated_signing_key;      /* DIR/offline/signing.key was written */
};

ferry_err srv_init(struct srv_init_out *res, const struct srv_init_opts *o);

/** "sha256//<base64 of SHA-256 of the SubjectPublicKeyInfo>" of a PEM certificate. */
ferry_err srv_tls_pin(char *out, size_t cap, const char *cert_pem, size_t len);

#endif
