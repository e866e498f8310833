/*
 * TLS session tickets for ferry-server's front end (docs/server.md,
 * "Performance"; docs/security.md §4).
 *
 * Agents poll every 15 minutes with a new TLS connection; with a ticket
 * they resume (TLS 1.3, psk_dhe_ke: a fresh X25519 exchange, no
 * certificate and no signature). Every worker and every node must read the
 * tickets the others wrote, so the ticket keys are not random per process:
 * they are derived with HKDF-SHA256 from one secret in the server directory
 * (keys/ticket.key, 32 bytes, base64, 0600) and the number of the current
 * rotation period (SRV_TICKET_PERIOD_S). A ticket is sealed with the
 * current period's keys and opened with the previous, current or next
 * period's (the next: a node whose clock runs a little ahead). Every
 * resumption gets a new ticket (ticket_cb in srv_ticket.c says why).
 * Tickets are issued to TLS 1.3
 * connections only (TLS 1.2 resumption has no key exchange, so a stolen
 * secret would open its traffic).
 */
#ifndef FERRY_SRV_TICKET_H
#define FERRY_SRV_TICKET_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "util/err.h"

/* Keys rotate every 12 hours; a ticket lives as long (longer than the
 * 15-minute poll interval many times over, short enough that a stolen
 * ticket secret opens at most a day of tickets). */
#define SRV_TICKET_PERIOD_S 43200

struct srv_ticket_keys;

/**
 * Write a new random ticket secret to path (0600), unless a file is there
 * already (then nothing changes). *created says which. Fails with the path.
 */
ferry_err srv_ticket_secret_ensure(const char *path, int *created);

/** Keys from the secret file at path (strict 0600 check). Free with srv_ticket_keys_free. */
ferry_err srv_ticket_keys_load(struct srv_ticket_keys **out, const char *path);

/**
 * Tickets for ctx from the server directory's setting (srv_config.h
 * tls_ticket_key, relative to dir): "off" leaves them off, a missing file
 * too (saying so on stderr: `ferry-server migrate` creates it). *out (NULL
 * when off) must outlive ctx; free it with srv_ticket_keys_free.
 */
ferry_err srv_ticket_configure(struct srv_ticket_keys **out, SSL_CTX *ctx, const char *dir,
			       const char *setting);

/** Keys from 32 secret bytes (tests). */
ferry_err srv_ticket_keys_new(struct srv_ticket_keys **out, const uint8_t secret[32]);

/** Wipe and free (NULL-safe). */
void srv_ticket_keys_free(struct srv_ticket_keys *k);

/**
 * Turn tickets on in ctx with k (which must outlive ctx): one ticket per
 * handshake, lifetime SRV_TICKET_PERIOD_S.
 */
ferry_err srv_ticket_enable(SSL_CTX *ctx, struct srv_ticket_keys *k);

/**
 * The ticket callback's work at time now (seconds since the epoch), as
 * OpenSSL's SSL_CTX_set_tlsext_ticket_key_evp_cb defines it: enc = 1
 * seals (fills name and iv); enc = 0 opens a ticket named name: 1 with
 * the current period's keys, 2 with a neighbour's (renew), 0 unknown
 * (full handshake), -1 on an error.
 */
int srv_ticket_crypt(struct srv_ticket_keys *k, int64_t now, unsigned char name[16],
		     unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc);

#endif
