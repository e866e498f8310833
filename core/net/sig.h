/*
 * Ed25519 signatures (RFC 8032) over byte strings, through OpenSSL. Runbook
 * bundles and command packages are signed with the admin's key; the public
 * key comes from the MSI or policy (SIGNING_PUBLIC_KEY, 32 bytes, base64).
 */
#ifndef FERRY_NET_SIG_H
#define FERRY_NET_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SIG_ED25519_PUBLIC_LEN 32u
#define SIG_ED25519_PRIVATE_LEN 32u
#define SIG_ED25519_SIG_LEN 64u

/**
 * Verify `sig` over msg[0..len) with the raw public key `pub`.
 * 0 when valid; FERRY_EAUTH when the signature does not verify (detail names
 * `what`, never the bytes); FERRY_EINVAL/FERRY_ENOMEM/FERRY_ESYSTEM otherwise.
 */
ferry_err sig_verify(const uint8_t pub[SIG_ED25519_PUBLIC_LEN], const uint8_t *msg, size_t len,
		     const uint8_t sig[SIG_ED25519_SIG_LEN], const char *what);

/**
 * Sign msg[0..len) with the raw private key `priv` into `sig`. For the
 * admin tooling and tests; the agent itself never signs.
 */
ferry_err sig_sign(uint8_t sig[SIG_ED25519_SIG_LEN], const uint8_t priv[SIG_ED25519_PRIVATE_LEN],
		   const uint8_t *msg, size_t len);

/** The public key of a raw private key. */
ferry_err sig_public_from_private(uint8_t pub[SIG_ED25519_PUBLIC_LEN],
				  const uint8_t priv[SIG_ED25519_PRIVATE_LEN]);

/**
 * A public key as admins write it (SIGNING_PUBLIC_KEY): base64 of the 32 raw
 * bytes (what `ferry bundle keygen` and `ferry package keygen` print), or 64
 * hex digits. FERRY_EINVAL naming the setting `what` otherwise.
 */
ferry_err sig_public_key_parse(uint8_t pub[SIG_ED25519_PUBLIC_LEN], const char *text,
			       const char *what);

#endif
