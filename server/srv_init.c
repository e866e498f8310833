/*
 * `ferry-server init DIR`: a complete server directory or nothing.
 *
 * Everything is written into a fresh sibling directory (DIR.init-XXXXXX,
 * mode 0700) and renamed onto DIR only when all of it is done, so a
 * failure leaves no half-initialised server behind:
 *
 *   DIR/ferry-server.conf      commented configuration (srv_config.h)
 *   DIR/tls/cert.pem, key.pem  the TLS certificate (self-signed P-256, or a
 *                              copy of the admin's) and its key (0600)
 *   DIR/keys/assignment.key    the server's online Ed25519 key (0600)
 *   DIR/keys/assignment.pub    its public key (base64), for the catalog
 *   DIR/keys/escrow.key        the escrow's X25519 private key (0600), kept
 *                              apart from the database
 *   DIR/keys/escrow.pub        its public key (base64), for bundles
 *   DIR/keys/enroll.key        the enrolment key agents present (0600)
 *   DIR/keys/ticket.key        the TLS session-ticket secret (0600), the
 *                              same on every node (srv_ticket.h)
 *   DIR/offline/signing.key    only when the admin brought no public key:
 *                              the catalog/bundle signing key, to be moved
 *                              off this machine
 *   DIR/admin.token            the first admin token (0600)
 *   DIR/ferry.db               the database (SQLite, WAL), or with --db the
 *                              schema made in that PostgreSQL database
 *                              (which must hold none yet)
 *   DIR/packages/              command packages served to agents
 */
#include "srv_init.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "srv.h"
#include "srv_ticket.h"
#include "net/bundle.h"
#include "util/base64.h"

static ferry_err ossl(const char *what)
{
	return ferry_error_set(FERRY_ESYSTEM, "OpenSSL: %s failed", what);
}

static ferry_err bio_text(char **out, size_t *len, BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);

	*out = ferry_malloc((size_t)n + 1);
	if (!*out)
		return ferry_error_set(FERRY_ENOMEM, "PEM");
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return FERRY_OK;
}

static ferry_err add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e || !X509_add_ext(x, e, -1)) {
		X509_EXTENSION_free(e);
		return ossl("certificate extension");
	}
	X509_EXTENSION_free(e);
	return FERRY_OK;
}

/* A self-signed P-256 certificate for `name` (DNS name or IP address). */
static ferry_err make_cert(EVP_PKEY **key_out, char **cert_pem, size_t *cert_len, char **key_pem,
			   size_t *key_len, const char *name)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	X509_NAME *n;
	unsigned char ip[16];
	char san[300];
	ferry_err rc = FERRY_OK;

	*cert_pem = *key_pem = NULL;
	if (!pk || !x || !serial || !cb || !kb) {
		rc = ossl("key generation");
		goto out;
	}
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
		snprintf(san, sizeof(san), "IP:%s", name);
	else
		snprintf(san, sizeof(san), "DNS:%s", name);
	n = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || !BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 825L * 86400L) || !X509_set_pubkey(x, pk) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, n)) {
		rc = ossl("certificate fields");
		goto out;
	}
	rc = add_ext(x, NID_subject_alt_name, san);
	if (!rc)
		rc = add_ext(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	if (!rc)
		rc = add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign");
	if (!rc)
		rc = add_ext(x, NID_ext_key_usage, "serverAuth");
	if (!rc)
		rc = add_ext(x, NID_subject_key_identifier, "hash");
	if (rc)
		goto out;
	if (!X509_sign(x, pk, EVP_sha256()) || !PEM_write_bio_X509(cb, x) ||
	    !PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL)) {
		rc = ossl("certificate signature");
		goto out;
	}
	rc = bio_text(cert_pem, cert_len, cb);
	if (!rc)
		rc = bio_text(key_pem, key_len, kb);
out:
	if (kb) {
		char *p = NULL;
		long l = BIO_get_mem_data(kb, &p);

		if (p && l > 0)
			OPENSSL_cleanse(p, (size_t)l);
	}
	BIO_free(cb);
	BIO_free(kb);
	BN_free(serial);
	X509_free(x);
	if (rc)
		EVP_PKEY_free(pk);
	else
		*key_out = pk;
	return rc;
}

ferry_err srv_tls_pin(char *out, size_t cap, const char *cert_pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(cert_pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	uint8_t d[32];
	char *b64 = NULL;
	int n = x ? i2d_PUBKEY(X509_get0_pubkey(x), &der) : -1;
	ferry_err rc = FERRY_OK;

	if (n <= 0)
		rc = ferry_error_set(FERRY_ECORRUPT, "TLS certificate: not a PEM certificate");
	if (!rc)
		rc = net_sha256(d, der, (size_t)n);
	if (!rc)
		rc = ferry_base64_encode(&b64, d, sizeof(d));
	if (!rc && (size_t)snprintf(out, cap, "sha256//%s", b64) >= cap)
		rc = ferry_error_set(FERRY_ERANGE, "pin");
	ferry_free(b64);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	return rc;
}

/* The admin's own certificate and key: both readable, and they belong together. */
static ferry_err admin_cert(char **cert_pem, size_t *cert_len, char **key_pem, size_t *key_len,
			    const char *cert_path, const char *key_path)
{
	uint8_t *c = NULL;
	struct ferry_secret *k = NULL;
	BIO *cb = NULL, *kb = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	ferry_err rc = srv_read_file(&c, cert_len, cert_path, 1024 * 1024);

	*cert_pem = *key_pem = NULL;
	if (!rc)
		rc = srv_read_secret(&k, key_path, 64 * 1024, false);
	if (rc)
		goto out;
	cb = BIO_new_mem_buf(c, (int)*cert_len);
	kb = BIO_new_mem_buf(k->data, (int)k->len);
	x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	if (!x) {
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not a PEM certificate", cert_path);
	} else if (!pk) {
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not an unencrypted PEM private key", key_path);
	} else if (X509_check_private_key(x, pk) != 1) {
		rc = ferry_error_set(FERRY_EMISMATCH, "%s is not the key of %s", key_path, cert_path);
	} else if ((*key_pem = ferry_malloc(k->len + 1))) {
		memcpy(*key_pem, k->data, k->len);
		(*key_pem)[k->len] = '\0';
		*key_len = k->len;
		*cert_pem = (char *)c;
		c = NULL;
	} else {
		rc = ferry_error_set(FERRY_ENOMEM, "TLS key");
	}
out:
	EVP_PKEY_free(pk);
	X509_free(x);
	BIO_free(cb);
	BIO_free(kb);
	ferry_secret_free(k);
	ferry_free(c);
	return rc;
}

static ferry_err write_key32(const char *dir, const char *rel, const uint8_t key[32])
{
	char path[SRV_PATH_MAX], *b64 = NULL;
	ferry_err rc = srv_path(path, sizeof(path), dir, rel);

	if (!rc)
		rc = ferry_base64_encode(&b64, key, 32);
	if (!rc) {
		size_t n = strlen(b64);

		b64[n] = '\n'; /* base64_encode leaves room for the NUL: reuse it for the newline */
		rc = srv_write_file(path, b64, n + 1, 0600);
		ferry_wipe(b64, n + 1);
	}
	ferry_free(b64);
	return rc;
}

static ferry_err write_in(const char *dir, const char *rel, const void *data, size_t len,
			  unsigned mode)
{
	char path[SRV_PATH_MAX];
	ferry_err rc = srv_path(path, sizeof(path), dir, rel);

	return rc ? rc : srv_write_file(path, data, len, mode);
}

static ferry_err mkdir_in(const char *dir, const char *rel, unsigned mode)
{
	char path[SRV_PATH_MAX];
	ferry_err rc = srv_path(path, sizeof(path), dir, rel);

	if (!rc && mkdir(path, mode))
		rc = ferry_error_set(FERRY_EIO, "%s: %s", path, strerror(errno));
	return rc;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[SRV_PATH_MAX];

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < sizeof(sub))
			remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

static ferry_err write_config(const char *dir, const struct srv_init_opts *o,
			      const char *signing_b64)
{
	char *text = NULL, *db = NULL;
	int n = o->db_url ? asprintf(&db, "backend = postgresql\nurl = %s\n", o->db_url)
			  : asprintf(&db, "backend = sqlite\npath = ferry.db\n");

	if (n < 0)
		db = NULL;
	n = asprintf(&text,
		"# ferry-server configuration, written by `ferry-server init`.\n"
		"# Relative paths are relative to this directory. Every key is known to the\n"
		"# server: a misspelt key is an error naming its line. docs/server.md.\n"
		"\n"
		"[server]\n"
		"# Host name agents use (SERVER_URL) and the certificate's name.\n"
		"name = %s\n"
		"# ADDR:PORT to listen on (`ferry-server run --listen` overrides it).\n"
		"listen = %s\n"
		"# Worker threads; 0 = one per CPU.\n"
		"threads = 0\n"
		"# Poll interval told to agents, seconds (60-86400).\n"
		"poll_interval_s = 900\n"
		"# Largest request body of an agent and of the admin API, bytes.\n"
		"body_max = 262144\n"
		"admin_body_max = 16777216\n"
		"# Idle connections are closed after this many seconds.\n"
		"connection_timeout_s = 30\n"
		"connection_limit = 10000\n"
		"# Log every successful poll too (off: errors and admin calls only).\n"
		"log_polls = false\n"
		"\n"
		"[tls]\n"
		"cert = tls/cert.pem\n"
		"key = tls/key.pem\n"
		"# Session tickets (agents resume their TLS session): the secret every node\n"
		"# shares, keys derived from it rotate every 12 h. off: no tickets.\n"
		"ticket_key = keys/ticket.key\n"
		"\n"
		"[keys]\n"
		"# The admin's offline Ed25519 public key (SIGNING_PUBLIC_KEY): the server\n"
		"# accepts only bundles it signed.\n"
		"signing_public_key = %s\n"
		"# The server's online key (signs v2 assignments), the escrow key (helpdesk\n"
		"# reveal; keep it out of database backups) and the enrolment key.\n"
		"assignment_key = keys/assignment.key\n"
		"escrow_key = keys/escrow.key\n"
		"enroll_key = keys/enroll.key\n"
		"\n"
		"[database]\n"
		"# sqlite (path, one node) or postgresql (url: a libpq connection string\n"
		"# without a password; several nodes copy this directory and share it).\n"
		"%s"
		"\n"
		"[enrolment]\n"
		"# An enrolment without the enrolment key: refuse (403) or hold it for an\n"
		"# admin's approval (ferry-admin enrolments approve ID).\n"
		"without_key = %s\n"
		"# Held enrolments kept at most (more are answered 429).\n"
		"pending_max = 10000\n"
		"\n"
		"[status]\n"
		"# A device is stuck after this long without progress, or this long unseen.\n"
		"stuck_after_h = 24\n"
		"lost_after_d = 3\n"
		"\n"
		"[retention]\n"
		"# Agent events and status history older than this many days are pruned\n"
		"# (0: kept), at most prune_batch rows of each per transaction.\n"
		"events_days = 180\n"
		"status_days = 90\n"
		"prune_batch = 10000\n"
		"\n"
		"[metrics]\n"
		"# /metrics without a token (true only behind a trusted network).\n"
		"public = false\n",
		o->name, o->listen, signing_b64, db, o->hold_without_key ? "hold" : "refuse");
	ferry_err rc;

	free(db);
	if (n < 0 || !db)
		return ferry_error_set(FERRY_ENOMEM, "config");
	rc = write_in(dir, SRV_CONF_FILE, text, (size_t)n, 0644);
	free(text);
	return rc;
}

static ferry_err build(const char *tmp, const struct srv_init_opts *o, struct srv_init_out *res)
{
	char *cert = NULL, *key = NULL, *b64 = NULL, hash[SRV_HASH_HEX];
	struct srv_config cfg;
	size_t cert_len = 0, key_len = 0;
	EVP_PKEY *pk = NULL;
	uint8_t ed[32], edpub[32], xpub[32];
	struct ferry_secret *xpriv = NULL, *tok = NULL, *enroll = NULL;
	struct srv_store *st = NULL;
	ferry_err rc;

	rc = mkdir_in(tmp, "tls", 0700);
	if (!rc)
		rc = mkdir_in(tmp, "keys", 0700);
	if (!rc)
		rc = mkdir_in(tmp, "packages", 0755);
	if (rc)
		goto out;
	/* TLS */
	if (o->tls_cert)
		rc = admin_cert(&cert, &cert_len, &key, &key_len, o->tls_cert, o->tls_key);
	else
		rc = make_cert(&pk, &cert, &cert_len, &key, &key_len, o->name);
	if (!rc)
		rc = srv_tls_pin(res->pin, sizeof(res->pin), cert, cert_len);
	if (!rc)
		rc = write_in(tmp, "tls/cert.pem", cert, cert_len, 0644);
	if (!rc)
		rc = write_in(tmp, "tls/key.pem", key, key_len, 0600);
	/* the admin's signing key: theirs, or a new one to move offline */
	if (!rc && o->signing_public_key) {
		rc = sig_public_key_parse(edpub, o->signing_public_key, "--signing-public-key");
	} else if (!rc) {
		rc = RAND_bytes(ed, sizeof(ed)) == 1 ? FERRY_OK : ossl("RAND_bytes");
		if (!rc)
			rc = sig_public_from_private(edpub, ed);
		if (!rc)
			rc = mkdir_in(tmp, "offline", 0700);
		if (!rc)
			rc = write_key32(tmp, "offline/signing.key", ed);
		res->generated_signing_key = !rc;
	}
	if (!rc)
		rc = ferry_base64_encode(&b64, edpub, 32);
	if (!rc)
		snprintf(res->signing_public_key, sizeof(res->signing_public_key), "%s", b64);
	/* the server's own keys */
	if (!rc)
		rc = RAND_bytes(ed, sizeof(ed)) == 1 ? FERRY_OK : ossl("RAND_bytes");
	if (!rc)
		rc = write_key32(tmp, "keys/assignment.key", ed);
	if (!rc)
		rc = sig_public_from_private(edpub, ed);
	if (!rc) {
		/* public: the admin names it in the catalog's assignment_key */
		char *pub64 = NULL;

		rc = ferry_base64_encode(&pub64, edpub, 32);
		if (!rc) {
			snprintf(res->assignment_public_key, sizeof(res->assignment_public_key), "%s",
				 pub64);
			pub64[strlen(pub64)] = '\n';
			rc = write_in(tmp, "keys/assignment.pub", pub64,
				      strlen(res->assignment_public_key) + 1, 0644);
		}
		ferry_free(pub64);
	}
	if (!rc)
		rc = seal_keypair(xpub, &xpriv);
	if (!rc)
		rc = write_key32(tmp, "keys/escrow.key", xpriv->data);
	if (!rc) {
		/* public: it goes into the signed bundle's escrow_public_key */
		char *pub64 = NULL;

		rc = ferry_base64_encode(&pub64, xpub, 32);
		if (!rc) {
			snprintf(res->escrow_public_key, sizeof(res->escrow_public_key), "%s", pub64);
			pub64[strlen(pub64)] = '\n';
			rc = write_in(tmp, "keys/escrow.pub", pub64, strlen(res->escrow_public_key) + 1,
				      0644);
		}
		ferry_free(pub64);
	}
	if (!rc)
		rc = srv_token_new(&enroll, hash);
	if (!rc) {
		snprintf(res->enroll_key, sizeof(res->enroll_key), "%s", (const char *)enroll->data);
		rc = write_in(tmp, "keys/enroll.key", enroll->data, strlen((const char *)enroll->data),
			      0600);
	}
	if (!rc) {
		char path[SRV_PATH_MAX];
		int created = 0;

		rc = srv_path(path, sizeof(path), tmp, "keys/ticket.key");
		if (!rc)
			rc = srv_ticket_secret_ensure(path, &created);
	}
	if (!rc)
		rc = write_config(tmp, o, res->signing_public_key);
	/* the database and the first admin token */
	if (!rc)
		rc = srv_config_load(&cfg, tmp);
	if (!rc)
		rc = srv_store_open(&st, &cfg, SRV_STORE_INIT);
	if (!rc)
		rc = srv_token_new(&tok, hash);
	if (!rc)
		rc = st->ops->token_add(st, "admin", "admin", hash, (int64_t)time(NULL));
	if (!rc) {
		struct srv_principal who = { "ferry-server init", "admin" };

		rc = st->ops->audit_add(st, &who, "server.init", o->name, "first admin token 'admin'",
					(int64_t)time(NULL));
	}
	if (!rc)
		rc = write_in(tmp, "admin.token", tok->data, strlen((const char *)tok->data), 0600);
out:
	if (st)
		st->ops->close(st);
	ferry_wipe(ed, sizeof(ed));
	if (key)
		ferry_wipe(key, key_len);
	ferry_free(key);
	ferry_free(cert);
	ferry_free(b64);
	EVP_PKEY_free(pk);
	ferry_secret_free(xpriv);
	ferry_secret_free(tok);
	ferry_secret_free(enroll);
	return rc;
}

ferry_err srv_init(struct srv_init_out *res, const struct srv_init_opts *o)
{
	char tmp[SRV_PATH_MAX];
	struct stat st;
	ferry_err rc;
	int n;

	memset(res, 0, sizeof(*res));
	if (!o->name || !*o->name || strlen(o->name) >= SRV_NAME_MAX || strpbrk(o->name, " /\\\n"))
		return ferry_error_set(FERRY_EINVAL, "--name: '%.60s' is not a host name",
				       o->name ? o->name : "");
	if (o->db_url && (!*o->db_url || strlen(o->db_url) >= SRV_PATH_MAX ||
			  strpbrk(o->db_url, "\r\n")))
		return ferry_error_set(FERRY_EINVAL, "--db: not a one-line PostgreSQL connection "
				       "string");
	if (!!o->tls_cert != !!o->tls_key)
		return ferry_error_set(FERRY_EINVAL, "--tls-cert and --tls-key go together");
	if (!stat(o->dir, &st)) {
		DIR *d = opendir(o->dir);
		struct dirent *e;
		bool empty = d != NULL;

		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = false;
		if (d)
			closedir(d);
		if (!empty)
			return ferry_error_set(FERRY_EMISMATCH, "%s exists and is not an empty "
					       "directory; init writes only a new one", o->dir);
	}
	n = snprintf(tmp, sizeof(tmp), "%s.init-XXXXXX", o->dir);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ferry_error_set(FERRY_ERANGE, "%s: path too long", o->dir);
	if (!mkdtemp(tmp))
		return ferry_error_set(FERRY_EIO, "%s: %s", tmp, strerror(errno));
	rc = build(tmp, o, res);
	if (!rc && rename(tmp, o->dir))
		rc = ferry_error_set(FERRY_EIO, "rename %s -> %s: %s", tmp, o->dir, strerror(errno));
	if (!rc)
		chmod(o->dir, 0700);
	if (rc)
		remove_tree(tmp);
	return rc;
}
