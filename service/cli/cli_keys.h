/*
 * Key files and the agent key store for the CLI. Key files hold one line of
 * base64 (32 raw bytes). Private keys and the agent's secrets are written
 * owner-only: mode 0600 natively; on Windows the agent store is DPAPI
 * (service/win/agent_key.c).
 */
#ifndef FERRY_CLI_KEYS_H
#define FERRY_CLI_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "net/agent.h"
#include "util/err.h"
#include "util/mem.h"

/** Read a 32-byte key: a file holding base64, or (when arg is not a file) base64 itself. */
ferry_err cli_key_read(struct ferry_secret **out, const char *arg);

/** Write a private key file (base64 + newline), owner-only. */
ferry_err cli_key_write_private(const char *path, const uint8_t key[32]);

/** Write a file whole, owner-only (0600 natively). */
ferry_err cli_write_private_file(const char *path, const uint8_t *data, size_t len);

/**
 * Write a file whole and owner-only through a temporary beside it and a
 * rename, so a reader never sees half a file and a failure leaves none.
 */
ferry_err cli_write_file_atomic(const char *path, const uint8_t *data, size_t len);

/** The agent key store in `dir` (borrowed string; must outlive ks). */
void cli_keystore_init(struct net_keystore *ks, const char *dir);

/** Read a whole file into a secret (at most max bytes). */
ferry_err cli_read_secret_file(struct ferry_secret **out, const char *path, size_t max);

#endif
