/*
 * From what was typed in a tile to what goes over the wire: account
 * splitting, the password as a UTF-8 secret, and the fallback tile's
 * CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION. No pipe, no LSA call, so
 * the LogonUI harness also links this file and checks its bytes directly
 * where Wine cannot look up the Negotiate package.
 */
#ifndef FERRY_CP_SERIALIZE_H
#define FERRY_CP_SERIALIZE_H

#include <stdbool.h>

#include "cpapi.h"
#include "util/mem.h"

/** The typed password as a new UTF-8 secret; NULL if invalid or out of memory. */
struct ferry_secret *cp_password_utf8(const wchar_t *w);

/**
 * Fill cs for a logon of the local account `domain`\`user` (the computer
 * name and the fallback account's name, as Microsoft's samples pass a
 * local account) with `password`: a KERB_INTERACTIVE_UNLOCK_LOGON from kerb_logon_pack
 * (KerbWorkstationUnlockLogon under CPUS_UNLOCK_WORKSTATION, else
 * KerbInteractiveLogon), in a CoTaskMemAlloc'ed buffer LogonUI frees, for
 * authentication package `package` and Ferry's provider CLSID.
 * E_INVALIDARG for a malformed account or password, E_OUTOFMEMORY.
 */
HRESULT cp_fallback_serialize(CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, ULONG package,
			      CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, const wchar_t *domain,
			      const wchar_t *user, const wchar_t *password);

#endif
