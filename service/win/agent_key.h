/*
 * Secrets at rest on Windows, sealed so that only SYSTEM can open them:
 * the agent's key and token (the key-store seam of core/net/agent.h) and
 * the ODJ blob (odj_import.c) go through this one primitive.
 *
 * DPAPI in the scope of the account that calls it (no
 * CRYPTPROTECT_LOCAL_MACHINE): the service runs as LocalSystem, so the blob
 * is bound to SYSTEM's own DPAPI master key, which no other account's
 * process can use. Machine scope, which earlier builds used, lets every
 * process on the PC unprotect the blob ("CryptProtectData",
 * learn.microsoft.com: "any user on the computer ... can unprotect the
 * data"). Files sit in the state tree (SYSTEM and Administrators only).
 *
 * What Wine cannot show: Wine's crypt32 ignores the scope (a blob with and
 * without CRYPTPROTECT_LOCAL_MACHINE is byte-for-byte the same format and
 * opens for anyone in the prefix); docs/windows-test-plan.md has the manual
 * check on Windows.
 */
#ifndef FERRY_WIN_AGENT_KEY_H
#define FERRY_WIN_AGENT_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"

/** Seal data for the calling account (SYSTEM in the service) into *out (ferry_free). */
ferry_err win_agent_key_protect(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len);

/** Unseal a blob into a secret. FERRY_EAUTH when DPAPI refuses it. */
ferry_err win_agent_key_unprotect(struct ferry_secret **out, const uint8_t *blob, size_t len);

/**
 * Whether a Windows DPAPI blob says it was made in machine scope
 * (CRYPTPROTECT_LOCAL_MACHINE): the documented DPAPI_BLOB layout is
 * dwVersion (4) = 1, guidProvider (16) = {df9d8cd0-1501-11d1-8c7a-00c04fc297eb},
 * dwMasterKeyVersion (4), guidMasterKey (16), dwFlags (4, little-endian,
 * bit 0x4) ... A blob too short or of another layout (Wine's) is not
 * machine scope. Such a blob is resealed at its next load (svc_net.c).
 */
bool win_agent_key_machine_scope(const uint8_t *blob, size_t len);

#endif
