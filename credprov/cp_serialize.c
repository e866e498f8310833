/*
 * Typed text -> wire bytes (see cp_serialize.h). Every intermediate copy of
 * the password is wiped before it is freed.
 */
#include "cp_serialize.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "cp_guids.h"
#include "ux/kerb_logon.h"
#include "util/utf.h"

/* The typed password as a UTF-8 secret; NULL when there is none or it is invalid. */
struct ferry_secret *cp_password_utf8(const wchar_t *w)
{
	struct ferry_secret *sec = NULL;
	char *s = NULL;
	size_t n = 0;

	if (!w || ferry_utf16_to_utf8(&s, &n, (const uint16_t *)w, wcslen(w)) != FERRY_OK)
		return NULL;
	if (ferry_secret_from(&sec, s, n) != FERRY_OK)
		sec = NULL;
	ferry_wipe(s, n);
	ferry_free(s);
	return sec;
}

HRESULT cp_fallback_serialize(CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, ULONG package,
			      CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, const wchar_t *domain,
			      const wchar_t *user, const wchar_t *password)
{
	char *user8 = NULL, *domain8 = NULL;
	size_t n = 0;
	struct ferry_secret *pw = NULL, *packed = NULL;
	enum kerb_submit_type type = cpus == CPUS_UNLOCK_WORKSTATION
					     ? KERB_SUBMIT_WORKSTATION_UNLOCK
					     : KERB_SUBMIT_INTERACTIVE;
	HRESULT hr = S_OK;

	ZeroMemory(cs, sizeof(*cs));
	if (!domain || !user || !*domain || !*user || wcspbrk(user, L"\\/@") ||
	    ferry_utf16_to_utf8(&domain8, &n, (const uint16_t *)domain, wcslen(domain)) != FERRY_OK ||
	    ferry_utf16_to_utf8(&user8, &n, (const uint16_t *)user, wcslen(user)) != FERRY_OK ||
	    !(pw = cp_password_utf8(password)) ||
	    kerb_logon_pack(&packed, type, domain8, user8, pw) != FERRY_OK)
		hr = E_INVALIDARG;
	else if (!(cs->rgbSerialization = CoTaskMemAlloc(packed->len)))
		hr = E_OUTOFMEMORY;
	if (SUCCEEDED(hr)) {
		memcpy(cs->rgbSerialization, packed->data, packed->len);
		cs->cbSerialization = (ULONG)packed->len;
		cs->ulAuthenticationPackage = package;
		cs->clsidCredentialProvider = CLSID_FerryProvider;
	}
	ferry_secret_free(packed);
	ferry_secret_free(pw);
	ferry_free(user8);
	ferry_free(domain8);
	return hr;
}
