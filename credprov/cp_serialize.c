/*
 * Typed text -> wire bytes (see cp_serialize.h). Every intermediate copy of
 * the password is wiped before it is freed.
 */
#include "cp_serialize.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "cp_guids.h"
#include "sec/account.h"
#include "ux/kerb_logon.h"
#include "util/utf.h"

/* "DOMAIN\name" or "name@domain" into user/domain (UTF-8, bounded): the
 * grammar is core/sec/account's, shared with the service. */
bool cp_split_account(const wchar_t *in, char *user, char *domain, size_t cap)
{
	struct account_name a;
	char *s = NULL;
	size_t n = 0;
	bool ok;

	if (!in || ferry_utf16_to_utf8(&s, &n, (const uint16_t *)in, wcslen(in)) != FERRY_OK)
		return false;
	ok = account_split(&a, s) == FERRY_OK && snprintf(domain, cap, "%s", a.domain) < (int)cap &&
	     snprintf(user, cap, "%s", a.user) < (int)cap;
	ferry_free(s);
	return ok;
}

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
			      CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, const wchar_t *account,
			      const wchar_t *password)
{
	char user[257], domain[257];
	struct ferry_secret *pw = NULL, *packed = NULL;
	enum kerb_submit_type type = cpus == CPUS_UNLOCK_WORKSTATION
					     ? KERB_SUBMIT_WORKSTATION_UNLOCK
					     : KERB_SUBMIT_INTERACTIVE;
	HRESULT hr = S_OK;

	ZeroMemory(cs, sizeof(*cs));
	if (!cp_split_account(account, user, domain, sizeof(user)) ||
	    !(pw = cp_password_utf8(password)) ||
	    kerb_logon_pack(&packed, type, domain, user, pw) != FERRY_OK)
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
	return hr;
}
