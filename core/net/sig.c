#include "net/sig.h"

#include <string.h>

#include <openssl/evp.h>

#include "util/base64.h"
#include "util/hex.h"
#include "util/mem.h"

ferry_err sig_verify(const uint8_t pub[SIG_ED25519_PUBLIC_LEN], const uint8_t *msg, size_t len,
		     const uint8_t sig[SIG_ED25519_SIG_LEN], const char *what)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	ferry_err rc = 0;
	int ok;

	if (!pub || !sig || (!msg && len))
		return ferry_error_set(FERRY_EINVAL, "sig_verify: missing argument");
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, SIG_ED25519_PUBLIC_LEN);
	md = EVP_MD_CTX_new();
	if (!key || !md) {
		rc = ferry_error_set(FERRY_ENOMEM, "%s: cannot set up Ed25519 verification",
				     what ? what : "signature");
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) != 1) {
		rc = ferry_error_set(FERRY_ESYSTEM, "%s: EVP_DigestVerifyInit failed",
				     what ? what : "signature");
		goto out;
	}
	ok = EVP_DigestVerify(md, sig, SIG_ED25519_SIG_LEN, msg ? msg : (const uint8_t *)"", len);
	if (ok != 1)
		rc = ferry_error_set(FERRY_EAUTH, "%s: Ed25519 signature does not verify",
				     what ? what : "signature");
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return rc;
}

ferry_err sig_sign(uint8_t sig[SIG_ED25519_SIG_LEN], const uint8_t priv[SIG_ED25519_PRIVATE_LEN],
		   const uint8_t *msg, size_t len)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	size_t siglen = SIG_ED25519_SIG_LEN;
	ferry_err rc = 0;

	if (!sig || !priv || (!msg && len))
		return ferry_error_set(FERRY_EINVAL, "sig_sign: missing argument");
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, SIG_ED25519_PRIVATE_LEN);
	md = EVP_MD_CTX_new();
	if (!key || !md) {
		rc = ferry_error_set(FERRY_ENOMEM, "sig_sign: cannot set up Ed25519");
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg ? msg : (const uint8_t *)"", len) != 1 ||
	    siglen != SIG_ED25519_SIG_LEN)
		rc = ferry_error_set(FERRY_ESYSTEM, "sig_sign: EVP_DigestSign failed");
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return rc;
}

ferry_err sig_public_from_private(uint8_t pub[SIG_ED25519_PUBLIC_LEN],
				  const uint8_t priv[SIG_ED25519_PRIVATE_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv,
						     SIG_ED25519_PRIVATE_LEN);
	size_t publen = SIG_ED25519_PUBLIC_LEN;
	ferry_err rc = 0;

	if (!key)
		return ferry_error_set(FERRY_ENOMEM, "sig: cannot load Ed25519 private key");
	if (EVP_PKEY_get_raw_public_key(key, pub, &publen) != 1 || publen != SIG_ED25519_PUBLIC_LEN)
		rc = ferry_error_set(FERRY_ESYSTEM, "sig: EVP_PKEY_get_raw_public_key failed");
	EVP_PKEY_free(key);
	return rc;
}

ferry_err sig_public_key_parse(uint8_t pub[SIG_ED25519_PUBLIC_LEN], const char *text,
			       const char *what)
{
	size_t len = text ? strlen(text) : 0, got = 0;
	uint8_t *raw = NULL;
	ferry_err rc;

	if (!what)
		what = "public key";
	if (len == 2 * SIG_ED25519_PUBLIC_LEN &&
	    ferry_hex_decode(pub, SIG_ED25519_PUBLIC_LEN, &got, text, len) == FERRY_OK &&
	    got == SIG_ED25519_PUBLIC_LEN)
		return FERRY_OK;
	if (len == 0 || ferry_base64_decode(&raw, &got, text, len) != FERRY_OK)
		return ferry_error_set(FERRY_EINVAL, "%s: neither 64 hex digits nor base64", what);
	rc = got == SIG_ED25519_PUBLIC_LEN ? FERRY_OK
		: ferry_error_set(FERRY_EINVAL, "%s: %zu bytes, an Ed25519 key has 32", what, got);
	if (!rc)
		memcpy(pub, raw, SIG_ED25519_PUBLIC_LEN);
	ferry_free(raw);
	return rc;
}
