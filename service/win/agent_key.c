/* DPAPI (machine scope) for the agent's key and token: see agent_key.h. */
#include "win/agent_key.h"

#include <string.h>

#include <windows.h>
#include <wincrypt.h>

#include "win/win_err.h"

static const wchar_t agent_key_label[] = L"Ferry agent secret";

ferry_err win_agent_key_protect(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len)
{
	DATA_BLOB in = { (DWORD)len, (BYTE *)data }, prot = { 0, NULL };
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*out_len = 0;
	if (len > 1024 * 1024)
		return ferry_error_set(FERRY_ERANGE, "agent secret: %zu bytes", len);
	if (!CryptProtectData(&in, agent_key_label, NULL, NULL, NULL,
			      CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &prot))
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
