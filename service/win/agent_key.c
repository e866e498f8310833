/* The SYSTEM-only sealing primitive for secrets at rest: see agent_key.h. */
#include "win/agent_key.h"

#include <string.h>

#include <windows.h>
#include <wincrypt.h>

#include "win/win_err.h"

static const wchar_t agent_key_label[] = L"Ferry agent secret";

#define DPAPI_FLAGS_OFFSET 40u

ferry_err win_agent_key_protect(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len)
{
	DATA_BLOB in = { (DWORD)len, (BYTE *)data }, prot = { 0, NULL };
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*out_len = 0;
	if (len > 1024 * 1024)
		return ferry_error_set(FERRY_ERANGE, "agent secret: %zu bytes", len);
	/* No CRYPTPROTECT_LOCAL_MACHINE: the caller's (SYSTEM's) own scope. */
	if (!CryptProtectData(&in, agent_key_label, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN,
			      &prot))
		return win_last_error("CryptProtectData");
	*out = ferry_malloc(prot.cbData ? prot.cbData : 1);
	if (!*out) {
		rc = ferry_error_set(FERRY_ENOMEM, "agent secret");
	} else {
		memcpy(*out, prot.pbData, prot.cbData);
		*out_len = prot.cbData;
	}
	LocalFree(prot.pbData);
	return rc;
}

ferry_err win_agent_key_unprotect(struct ferry_secret **out, const uint8_t *blob, size_t len)
{
	DATA_BLOB in = { (DWORD)len, (BYTE *)blob }, plain = { 0, NULL };
	ferry_err rc;

	*out = NULL;
	if (!CryptUnprotectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &plain)) {
		win_last_error("CryptUnprotectData");
		return ferry_error_wrap(FERRY_EAUTH, "agent secret: ");
	}
	rc = ferry_secret_from(out, plain.pbData, plain.cbData);
	SecureZeroMemory(plain.pbData, plain.cbData);
	LocalFree(plain.pbData);
	return rc;
}

bool win_agent_key_machine_scope(const uint8_t *blob, size_t len)
{
	/* {df9d8cd0-1501-11d1-8c7a-00c04fc297eb} as stored (little-endian fields). */
	static const uint8_t provider[16] = { 0xd0, 0x8c, 0x9d, 0xdf, 0x01, 0x15, 0xd1, 0x11,
					      0x8c, 0x7a, 0x00, 0xc0, 0x4f, 0xc2, 0x97, 0xeb };
	uint32_t version, flags;

	if (!blob || len < DPAPI_FLAGS_OFFSET + 4)
		return false;
	version = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 |
		  (uint32_t)blob[3] << 24;
	if (version != 1 || memcmp(blob + 4, provider, sizeof(provider)))
		return false;
	flags = (uint32_t)blob[DPAPI_FLAGS_OFFSET] | (uint32_t)blob[DPAPI_FLAGS_OFFSET + 1] << 8 |
		(uint32_t)blob[DPAPI_FLAGS_OFFSET + 2] << 16 |
		(uint32_t)blob[DPAPI_FLAGS_OFFSET + 3] << 24;
	return (flags & CRYPTPROTECT_LOCAL_MACHINE) != 0;
}
