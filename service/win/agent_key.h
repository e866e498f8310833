/*
 * The agent's secrets at rest on Windows: DPAPI, machine scope
 * (CRYPTPROTECT_LOCAL_MACHINE), so only code running on this machine can
 * unprotect them; the files themselves sit in the service's state folder,
 * readable by SYSTEM and Administrators. This is the Windows side of the
 * key-store seam in core/net/agent.h.
 */
#ifndef FERRY_WIN_AGENT_KEY_H
#define FERRY_WIN_AGENT_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"

/** DPAPI-protect data into *out (ferry_free). */
ferry_err win_agent_key_protect(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len);

/** Unprotect a DPAPI blob into a secret. FERRY_EAUTH when DPAPI refuses it. */
ferry_err win_agent_key_unprotect(struct ferry_secret **out, const uint8_t *blob, size_t len);

#endif
