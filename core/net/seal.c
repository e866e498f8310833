/* Sealed blobs: see seal.h for the wire layout and key schedule. */
#include "net/seal.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "util/bytes.h"

static const uint8_t seal_magic[4] = { 'F', 'S', 'B', '1' };
static const char seal_info[] = "ferry seal v1";

ferry_err seal_keypair(uint8_t pub[SEAL_KEY_LEN], struct ferry_secret **priv)
{
	struct ferry_secret *s = NULL;
	ferry_err rc;

	*priv = NULL;
	rc = ferry_secret_new(&s, SEAL_KEY_LEN);
	if (rc)
		return rc;
	if (RAND_bytes(s->data, SEAL_KEY_LEN) != 1) {
		ferry_secret_free(s);
		return ferry_error_set(FERRY_ESYSTEM, "seal: RAND_bytes failed");
	}
	rc = seal_public_from_private(pub, s->data);
	if (rc) {
		ferry_secret_free(s);
		return rc;
	}
	*priv = s;
	return FERRY_OK;
}

ferry_err seal_public_from_private(uint8_t pub[SEAL_KEY_LEN], const uint8_t priv[SEAL_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, SEAL_KEY_LEN);
	size_t n = SEAL_KEY_LEN;
	ferry_err rc = FERRY_OK;

	if (!k)
		return ferry_error_set(FERRY_ENOMEM, "seal: cannot load X25519 private key");
	if (EVP_PKEY_get_raw_public_key(k, pub, &n) != 1 || n != SEAL_KEY_LEN)
		rc = ferry_error_set(FERRY_ESYSTEM, "seal: EVP_PKEY_get_raw_public_key failed");
	EVP_PKEY_free(k);
	return rc;
}

/* key = HKDF(X25519(priv, peer), salt = epk || rpk). */
static ferry_err derive(uint8_t key[32], const uint8_t priv[SEAL_KEY_LEN],
			const uint8_t peer[SEAL_KEY_LEN], const uint8_t epk[SEAL_KEY_LEN],
			const uint8_t rpk[SEAL_KEY_LEN])
{
	EVP_PKEY *me = NULL, *them = NULL;
	EVP_PKEY_CTX *dh = NULL, *kdf = NULL;
	uint8_t shared[32], salt[64], zero[32] = { 0 };
	size_t n = sizeof(shared), keylen = 32;
	ferry_err rc = FERRY_OK;

	me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, SEAL_KEY_LEN);
	them = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, SEAL_KEY_LEN);
	dh = me ? EVP_PKEY_CTX_new(me, NULL) : NULL;
	if (!me || !them || !dh) {
		rc = ferry_error_set(FERRY_ENOMEM, "seal: cannot set up X25519");
		goto out;
	}
	if (EVP_PKEY_derive_init(dh) != 1 || EVP_PKEY_derive_set_peer(dh, them) != 1 ||
	    EVP_PKEY_derive(dh, shared, &n) != 1 || n != sizeof(shared) ||
	    !memcmp(shared, zero, sizeof(shared))) {
		rc = ferry_error_set(FERRY_EAUTH, "seal: X25519 key agreement refused the peer key");
		goto out;
	}
	memcpy(salt, epk, 32);
	memcpy(salt + 32, rpk, 32);
	kdf = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!kdf || EVP_PKEY_derive_init(kdf) != 1 ||
	    EVP_PKEY_CTX_set_hkdf_md(kdf, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(kdf, salt, sizeof(salt)) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_key(kdf, shared, sizeof(shared)) != 1 ||
	    EVP_PKEY_CTX_add1_hkdf_info(kdf, (const unsigned char *)seal_info,
					sizeof(seal_info) - 1) != 1 ||
	    EVP_PKEY_derive(kdf, key, &keylen) != 1 || keylen != 32)
		rc = ferry_error_set(FERRY_ESYSTEM, "seal: HKDF-SHA256 failed");
out:
	ferry_wipe(shared, sizeof(shared));
	EVP_PKEY_CTX_free(kdf);
	EVP_PKEY_CTX_free(dh);
	EVP_PKEY_free(them);
	EVP_PKEY_free(me);
	return rc;
}

/* One AES-256-GCM pass; enc != 0 seals, otherwise opens and checks tag. */
static ferry_err gcm(uint8_t *out, const uint8_t key[32], const uint8_t *nonce,
		     const uint8_t *hdr, const char *agent_id, const uint8_t *in, size_t len,
		     uint8_t tag[SEAL_TAG_LEN], int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	ferry_err rc = FERRY_OK;
	int n = 0;

	if (!c)
		return ferry_error_set(FERRY_ENOMEM, "seal: EVP_CIPHER_CTX_new failed");
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, hdr, SEAL_HEADER_LEN) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)agent_id, (int)strlen(agent_id)) != 1 ||
	    (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)) {
		rc = ferry_error_set(FERRY_ESYSTEM, "seal: AES-256-GCM failed");
		goto out;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) != 1) {
		rc = ferry_error_set(FERRY_ESYSTEM, "seal: AES-256-GCM failed");
		goto out;
	}
	if (EVP_CipherFinal_ex(c, out + (len ? len : 0), &n) != 1) {
		rc = enc ? ferry_error_set(FERRY_ESYSTEM, "seal: AES-256-GCM failed")
			 : ferry_error_set(FERRY_EAUTH, "sealed blob: tag does not verify (wrong key, "
							"wrong agent id, or altered bytes)");
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1)
		rc = ferry_error_set(FERRY_ESYSTEM, "seal: AES-256-GCM tag failed");
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static ferry_err check_args(const char *agent_id, size_t len)
{
	if (!agent_id || !*agent_id || strlen(agent_id) > SEAL_MAX_AAD_ID)
		return ferry_error_set(FERRY_EINVAL, "seal: agent id missing or longer than %u",
				       SEAL_MAX_AAD_ID);
	if (len > SEAL_MAX_PLAINTEXT)
		return ferry_error_set(FERRY_ERANGE, "seal: %zu bytes is more than %u", len,
				       SEAL_MAX_PLAINTEXT);
	return FERRY_OK;
}

ferry_err seal_box(uint8_t **out, size_t *out_len, const uint8_t to[SEAL_KEY_LEN],
		   const char *agent_id, const uint8_t *pt, size_t len)
{
	struct ferry_secret *esk = NULL;
	uint8_t key[32], *buf = NULL;
	ferry_err rc;

	*out = NULL;
	*out_len = 0;
	rc = check_args(agent_id, len);
	if (rc || (!pt && len))
		return rc ? rc : ferry_error_set(FERRY_EINVAL, "seal: missing plaintext");
	buf = ferry_malloc(len + SEAL_OVERHEAD);
	if (!buf)
		return ferry_error_set(FERRY_ENOMEM, "seal: %zu bytes", len + SEAL_OVERHEAD);
	memcpy(buf, seal_magic, 4);
	buf[4] = 1;
	buf[5] = 1;
	put_u16le(buf + 6, 0);
	rc = seal_keypair(buf + 8, &esk);
	if (!rc && RAND_bytes(buf + 40, SEAL_NONCE_LEN) != 1)
		rc = ferry_error_set(FERRY_ESYSTEM, "seal: RAND_bytes failed");
	if (!rc)
		rc = derive(key, esk->data, to, buf + 8, to);
	if (!rc)
		rc = gcm(buf + SEAL_HEADER_LEN, key, buf + 40, buf, agent_id, pt, len,
			 buf + SEAL_HEADER_LEN + len, 1);
	ferry_wipe(key, sizeof(key));
	ferry_secret_free(esk);
	if (rc) {
		ferry_free(buf);
		return rc;
	}
	*out = buf;
	*out_len = len + SEAL_OVERHEAD;
	return FERRY_OK;
}

static ferry_err parse_header(const uint8_t *buf, size_t len)
{
	if (len < SEAL_OVERHEAD)
		return ferry_error_set(FERRY_ECORRUPT,
				       "sealed blob: %zu bytes is shorter than the %u-byte minimum "
				       "(offset 0)", len, SEAL_OVERHEAD);
	if (memcmp(buf, seal_magic, 4))
		return ferry_error_set(FERRY_ECORRUPT, "sealed blob: bad magic (offset 0)");
	if (buf[4] != 1 || buf[5] != 1)
		return ferry_error_set(FERRY_EUNSUPPORTED,
				       "sealed blob: version %u suite %u not supported (offset 4)",
				       buf[4], buf[5]);
	if (get_u16le(buf + 6))
		return ferry_error_set(FERRY_ECORRUPT, "sealed blob: reserved bytes set (offset 6)");
	if (len - SEAL_OVERHEAD > SEAL_MAX_PLAINTEXT)
		return ferry_error_set(FERRY_ERANGE, "sealed blob: larger than %u bytes",
				       SEAL_MAX_PLAINTEXT);
	return FERRY_OK;
}

ferry_err seal_open(struct ferry_secret **out, const uint8_t priv[SEAL_KEY_LEN],
		    const char *agent_id, const uint8_t *buf, size_t len)
{
	struct ferry_secret *pt = NULL;
	uint8_t key[32], rpk[SEAL_KEY_LEN], tag[SEAL_TAG_LEN];
	size_t n;
	ferry_err rc;

	*out = NULL;
	rc = check_args(agent_id, 0);
	if (!rc && !buf)
		rc = ferry_error_set(FERRY_EINVAL, "seal_open: missing blob");
	if (!rc)
		rc = parse_header(buf, len);
	if (rc)
		return rc;
	n = len - SEAL_OVERHEAD;
	memcpy(tag, buf + SEAL_HEADER_LEN + n, SEAL_TAG_LEN);
	rc = seal_public_from_private(rpk, priv);
	if (!rc)
		rc = derive(key, priv, buf + 8, buf + 8, rpk);
	if (!rc)
		rc = ferry_secret_new(&pt, n);
	if (!rc)
		rc = gcm(pt->data, key, buf + 40, buf, agent_id, buf + SEAL_HEADER_LEN, n, tag, 0);
	ferry_wipe(key, sizeof(key));
	if (rc) {
		ferry_secret_free(pt);
		return rc;
	}
	*out = pt;
	return FERRY_OK;
}
