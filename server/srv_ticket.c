/*
 * TLS session tickets: see srv_ticket.h.
 *
 * Keys of period p (p = floor(unix time / SRV_TICKET_PERIOD_S)):
 *
 *   HKDF-SHA256(ikm = the 32-byte secret, salt = "ferry-server tickets",
 *               info = "v1" || p as 8 bytes big-endian) -> 80 bytes
 *   bytes  0..15  the key name (sent in clear inside the ticket: it only
 *                 says which period sealed it)
 *   bytes 16..47  AES-256-CBC key
 *   bytes 48..79  HMAC-SHA256 key (OpenSSL's ticket format: name, IV,
 *                 ciphertext, HMAC over them)
 *
 * Invariants:
 *   1. Every node and worker holding the same secret derives the same keys
 *      for a period, so any of them opens a ticket any other sealed.
 *   2. k->win holds periods cached - 1, cached, cached + 1; it is rebuilt
 *      under k->mu when the period changes, and read only under k->mu.
 *   3. Nothing here logs: neither the secret, nor keys, nor tickets.
 */
#include "srv_ticket.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "srv.h"
#include "util/base64.h"
#include "util/mem.h"

struct period_keys {
	int64_t period;
	uint8_t name[16], aes[32], mac[32];
};

struct srv_ticket_keys {
	uint8_t secret[32];
	pthread_mutex_t mu;
	bool cached;
	struct period_keys win[3]; /* invariant 2 */
};

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void ex_init(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

ferry_err srv_ticket_secret_ensure(const char *path, int *created)
{
	uint8_t raw[32];
	char *b64 = NULL;
	ferry_err rc = FERRY_OK;

	*created = 0;
	if (!access(path, F_OK))
		return FERRY_OK;
	if (errno != ENOENT)
		return ferry_error_set(FERRY_EIO, "%s: %s", path, strerror(errno));
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "%s: RAND_bytes failed", path);
	rc = ferry_base64_encode(&b64, raw, sizeof(raw));
	if (!rc) {
		size_t n = strlen(b64);

		b64[n] = '\n'; /* the encoder's NUL slot holds the newline */
		rc = srv_write_file(path, b64, n + 1, 0600);
		ferry_wipe(b64, n + 1);
	}
	ferry_free(b64);
	ferry_wipe(raw, sizeof(raw));
	*created = !rc;
	return rc;
}

ferry_err srv_ticket_keys_new(struct srv_ticket_keys **out, const uint8_t secret[32])
{
	struct srv_ticket_keys *k = ferry_calloc(1, sizeof(*k));

	*out = NULL;
	if (!k)
		return ferry_error_set(FERRY_ENOMEM, "ticket keys");
	if (pthread_mutex_init(&k->mu, NULL)) {
		ferry_free(k);
		return ferry_error_set(FERRY_ESYSTEM, "ticket keys: mutex");
	}
	memcpy(k->secret, secret, sizeof(k->secret));
	*out = k;
	return FERRY_OK;
}

ferry_err srv_ticket_keys_load(struct srv_ticket_keys **out, const char *path)
{
	struct ferry_secret *s = NULL;
	ferry_err rc = srv_read_key32(&s, path);

	*out = NULL;
	if (!rc)
		rc = srv_ticket_keys_new(out, s->data);
	ferry_secret_free(s);
	return rc;
}

void srv_ticket_keys_free(struct srv_ticket_keys *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->mu);
	ferry_wipe(k, sizeof(*k));
	ferry_free(k);
}

static bool derive(struct period_keys *pk, const uint8_t secret[32], int64_t period)
{
	static const char salt[] = "ferry-server tickets";
	uint8_t info[10] = { 'v', '1' }, okm[80];
	size_t n = sizeof(okm);
	EVP_PKEY_CTX *px = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	bool ok;

	for (int i = 0; i < 8; i++)
		info[2 + i] = (uint8_t)((uint64_t)period >> (56 - 8 * i));
	ok = px && EVP_PKEY_derive_init(px) == 1 && EVP_PKEY_CTX_set_hkdf_md(px, EVP_sha256()) == 1 &&
	     EVP_PKEY_CTX_set1_hkdf_salt(px, (const uint8_t *)salt, sizeof(salt) - 1) == 1 &&
	     EVP_PKEY_CTX_set1_hkdf_key(px, secret, 32) == 1 &&
	     EVP_PKEY_CTX_add1_hkdf_info(px, info, sizeof(info)) == 1 &&
	     EVP_PKEY_derive(px, okm, &n) == 1 && n == sizeof(okm);
	EVP_PKEY_CTX_free(px);
	if (ok) {
		pk->period = period;
		memcpy(pk->name, okm, 16);
		memcpy(pk->aes, okm + 16, 32);
		memcpy(pk->mac, okm + 48, 32);
	}
	ferry_wipe(okm, sizeof(okm));
	return ok;
}

/* The keys to use at now: *out the current period's (enc), or the one
 * named name (dec; false when none matches). Under k->mu (invariant 2). */
static bool pick(struct srv_ticket_keys *k, int64_t now, const unsigned char *name,
		 struct period_keys *out, bool *current)
{
	int64_t p = now / SRV_TICKET_PERIOD_S;
	bool found = false;

	pthread_mutex_lock(&k->mu);
	if (!k->cached || k->win[1].period != p) {
		k->cached = derive(&k->win[0], k->secret, p - 1) && derive(&k->win[1], k->secret, p) &&
			    derive(&k->win[2], k->secret, p + 1);
	}
	for (int i = 0; k->cached && i < 3 && !found; i++) {
		if (name ? !CRYPTO_memcmp(name, k->win[i].name, 16) : i == 1) {
			*out = k->win[i];
			*current = i == 1;
			found = true;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return found;
}

int srv_ticket_crypt(struct srv_ticket_keys *k, int64_t now, unsigned char name[16],
		     unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct period_keys pk;
	bool current = false;
	OSSL_PARAM params[3];
	int r = -1;

	if (!pick(k, now, enc ? NULL : name, &pk, &current))
		return enc ? -1 : 0; /* unknown name: a full handshake */
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, pk.mac, sizeof(pk.mac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, pk.name, 16);
		if (RAND_bytes(iv, 16) == 1 &&
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, pk.aes, iv) == 1 &&
		    EVP_MAC_CTX_set_params(hctx, params) == 1)
			r = 1;
	} else if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, pk.aes, iv) == 1 &&
		   EVP_MAC_CTX_set_params(hctx, params) == 1) {
		r = current ? 1 : 2;
	}
	ferry_wipe(&pk, sizeof(pk));
	return r;
}

static int ticket_cb(SSL *s, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
		     EVP_MAC_CTX *hctx, int enc)
{
	struct srv_ticket_keys *k = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), ex_index);
	int r;

	/* TLS 1.3 only (srv_ticket.h): no ticket sealed for, none opened from, 1.2. */
	if (!k || SSL_version(s) < TLS1_3_VERSION)
		return 0;
	r = srv_ticket_crypt(k, (int64_t)time(NULL), name, iv, cctx, hctx, enc);
	/* Every resumption gets a new ticket (2: renew), as OpenSSL advises for
	 * TLS 1.3 (a session used once). libcurl offers the session object it
	 * stored, and OpenSSL 3.0's client writes the resumed connection's own
	 * secret into that object, so without a new ticket the next poll's
	 * binder fails and it falls back to a full handshake: `ferry agent run`
	 * made 2 full handshakes in 3 polls so, 1 in 4 with the renewal. */
	return !enc && r == 1 ? 2 : r;
}

ferry_err srv_ticket_enable(SSL_CTX *ctx, struct srv_ticket_keys *k)
{
	pthread_once(&ex_once, ex_init);
	/* Stateless tickets: with SSL_OP_NO_TICKET clear and no session cache,
	 * TLS 1.3 tickets carry the whole session. One per handshake: an agent
	 * keeps only its last. */
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	if (ex_index < 0 || SSL_CTX_set_ex_data(ctx, ex_index, k) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 1) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "TLS session tickets");
	SSL_CTX_set_timeout(ctx, SRV_TICKET_PERIOD_S);
	return FERRY_OK;
}

ferry_err srv_ticket_configure(struct srv_ticket_keys **out, SSL_CTX *ctx, const char *dir,
			       const char *setting)
{
	char path[SRV_PATH_MAX];
	ferry_err rc;

	*out = NULL;
	if (!strcmp(setting, "off"))
		return FERRY_OK;
	rc = srv_path(path, sizeof(path), dir, setting);
	if (rc)
		return rc;
	if (access(path, F_OK) && errno == ENOENT) {
		fprintf(stderr, "ferry-server: %s is missing: TLS session tickets are off (every "
			"poll a full handshake); `ferry-server migrate %s` creates it\n", path, dir);
		return FERRY_OK;
	}
	rc = srv_ticket_keys_load(out, path);
	if (!rc)
		rc = srv_ticket_enable(ctx, *out);
	if (rc) {
		srv_ticket_keys_free(*out);
		*out = NULL;
	}
	return rc;
}
