/*
 * Sealed blobs: a message readable only by the holder of one X25519 private
 * key, bound to one agent id. The server seals each ODJ blob to the agent's
 * key; the agent seals the fallback password to the server's escrow key.
 *
 * Wire layout (all integers little-endian), SEAL_HEADER_LEN = 52 bytes:
 *
 *   offset  size  field
 *   ------  ----  ---------------------------------------------------------
 *        0     4  magic "FSB1"
 *        4     1  version, 1
 *        5     1  suite, 1 = X25519 + HKDF-SHA256 + AES-256-GCM
 *        6     2  reserved, 0
 *        8    32  ephemeral X25519 public key of the sender (epk)
 *       40    12  AES-GCM nonce (random)
 *       52     n  ciphertext (n = total - 52 - 16, n <= SEAL_MAX_PLAINTEXT)
 *   52 + n    16  AES-GCM tag
 *
 * Key schedule:
 *   shared = X25519(esk, recipient_pub)            (all-zero shared refused)
 *   key    = HKDF-SHA256(ikm = shared, salt = epk || recipient_pub,
 *                        info = "ferry seal v1", L = 32)
 *   AAD    = header bytes [0, 52) || agent id (UTF-8, no NUL)
 *
 * Invariants:
 *   1. A fresh ephemeral key per message, so a key never meets two nonces.
 *   2. The agent id is in the AAD: a blob sealed for agent A does not open
 *      as agent B even if both ids shared one key.
 *   3. Nothing is returned unless the tag verifies; a failed open wipes the
 *      partial plaintext and says only which check failed.
 */
#ifndef FERRY_NET_SEAL_H
#define FERRY_NET_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"

#define SEAL_KEY_LEN 32u
#define SEAL_NONCE_LEN 12u
#define SEAL_TAG_LEN 16u
#define SEAL_HEADER_LEN 52u
#define SEAL_OVERHEAD (SEAL_HEADER_LEN + SEAL_TAG_LEN)
#define SEAL_MAX_PLAINTEXT (16u * 1024u * 1024u)
#define SEAL_MAX_AAD_ID 256u

/** A new X25519 key pair; the private key is a secret (caller frees). */
ferry_err seal_keypair(uint8_t pub[SEAL_KEY_LEN], struct ferry_secret **priv);

/** The public key of a raw X25519 private key. */
ferry_err seal_public_from_private(uint8_t pub[SEAL_KEY_LEN], const uint8_t priv[SEAL_KEY_LEN]);

/**
 * Seal pt[0..len) to the holder of `to`, bound to `agent_id`. *out
 * (ferry_free) receives len + SEAL_OVERHEAD bytes.
 */
ferry_err seal_box(uint8_t **out, size_t *out_len, const uint8_t to[SEAL_KEY_LEN],
		   const char *agent_id, const uint8_t *pt, size_t len);

/**
 * Open a sealed blob with `priv`, checking it was bound to `agent_id`.
 * FERRY_ECORRUPT for a malformed or truncated blob (detail names the
 * offset), FERRY_EUNSUPPORTED for another version or suite, FERRY_EAUTH
 * when the tag does not verify (wrong key, wrong agent, altered bytes).
 */
ferry_err seal_open(struct ferry_secret **out, const uint8_t priv[SEAL_KEY_LEN],
		    const char *agent_id, const uint8_t *buf, size_t len);

#endif
