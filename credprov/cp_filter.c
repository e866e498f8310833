/*
 * The filter (ICredentialProviderFilter). While the prevent-login lease is
 * held, LogonUI shows only Ferry's provider and the admin's allow-list;
 * otherwise every provider stays. The decision reads the registry, the
 * clock, the local SAM and what LogonUI passed, and nothing else: no pipe
 * call, no wait (cp_state.h, ux/lease.h, ux/logon_policy.h).
 *
 * It hides only when all of these hold (filter_decide): the scenario is
 * CPUS_LOGON (never at unlock: the locked session's owner keeps their own
 * providers); the lease is held; Ferry's provider is among the providers
 * LogonUI passed and LogonUI allowed it (rgbAllow TRUE: not disabled by
 * policy); the FallbackAccount hint names a local account that exists and
 * is enabled. Otherwise rgbAllow is left as LogonUI passed it.
 *
 * LogonUI calls Filter each time it enumerates providers; every call
 * decides again from the current state, so a lapsed or cleared lease shows
 * everything at the next enumeration. Within one enumeration the hidden
 * providers stay hidden (LogonUI does not ask again), but Ferry's fallback
 * tile is there the whole time (docs/credprov.md, "Filter").
 */
#include <string.h>

#include "cp_dll.h"
#include "cp_guids.h"
#include "cp_pipe.h"
#include "cp_provider.h"
#include "cp_state.h"
#include "util/mem.h"
#include "ux/logon_policy.h"

struct cp_filter {
	ICredentialProviderFilter iface;
	volatile LONG refs;
};

#define FILTER(p) ((struct cp_filter *)(void *)(p))

static HRESULT STDMETHODCALLTYPE f_query(ICredentialProviderFilter *This, REFIID iid, void **out)
{
	if (!out)
		return E_POINTER;
	*out = NULL;
	if (!IsEqualIID(iid, &IID_IUnknown) && !IsEqualIID(iid, &CP_IID_ICredentialProviderFilter))
		return E_NOINTERFACE;
	InterlockedIncrement(&FILTER(This)->refs);
	*out = This;
	return S_OK;
}

static ULONG STDMETHODCALLTYPE f_addref(ICredentialProviderFilter *This)
{
	return (ULONG)InterlockedIncrement(&FILTER(This)->refs);
}

static ULONG STDMETHODCALLTYPE f_release(ICredentialProviderFilter *This)
{
	LONG n = InterlockedDecrement(&FILTER(This)->refs);

	if (n == 0) {
		ferry_free(This);
		cp_dll_release();
	}
	return (ULONG)n;
}

static bool allowed(const GUID *clsid, const GUID *allow, size_t n_allow)
{
	if (IsEqualCLSID(clsid, &CLSID_FerryProvider))
		return true;
	for (size_t i = 0; i < n_allow; i++) {
		if (IsEqualCLSID(clsid, &allow[i]))
			return true;
	}
	return false;
}

static HRESULT STDMETHODCALLTYPE f_filter(ICredentialProviderFilter *This,
					  CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, DWORD flags,
					  GUID *clsids, BOOL *allow, DWORD n)
{
	GUID list[CP_ALLOW_MAX];
	wchar_t fallback[CP_ACCOUNT_MAX];
	struct filter_inputs in = { 0 };
	size_t n_list;
	const char *reason = "";

	(void)This, (void)flags;
	if (n && (!clsids || !allow))
		return S_OK; /* fail open: nothing to change that we could see */
	in.logon = cpus == CPUS_LOGON;
	in.lease_held = in.logon && cp_state_lease_held(&reason);
	for (DWORD i = 0; i < n; i++) {
		if (IsEqualCLSID(&clsids[i], &CLSID_FerryProvider)) {
			in.ferry_present = true;
			in.ferry_allowed = allow[i] != FALSE;
		}
	}
	in.fallback_exists = in.lease_held && cp_state_fallback_account(fallback, CP_ACCOUNT_MAX) &&
			     cp_state_account_exists(fallback);
	if (filter_decide(&in, &reason) != FILTER_HIDE_OTHERS) {
		cp_log("filter: scenario %d: %s: hiding nothing", (int)cpus, reason);
		return S_OK;
	}
	n_list = cp_state_allow_list(list, CP_ALLOW_MAX);
	for (DWORD i = 0; i < n; i++) {
		if (!allowed(&clsids[i], list, n_list))
			allow[i] = FALSE;
	}
	cp_log("filter: %s: hiding providers not allowed (%u allow-listed)", reason,
	       (unsigned)n_list);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE f_update_remote(
	ICredentialProviderFilter *This, const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *in,
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *out)
{
	(void)This;
	if (!in || !out)
		return E_POINTER;
	/* RDP's credential goes on unchanged, to the provider it names. Our
	 * copy of the buffer is LogonUI's to free. */
	*out = *in;
	out->rgbSerialization = NULL;
	if (in->cbSerialization) {
		if (!in->rgbSerialization)
			return E_INVALIDARG;
		out->rgbSerialization = CoTaskMemAlloc(in->cbSerialization);
		if (!out->rgbSerialization) {
			out->cbSerialization = 0;
			return E_OUTOFMEMORY;
		}
		memcpy(out->rgbSerialization, in->rgbSerialization, in->cbSerialization);
	}
	return S_OK;
}

static const ICredentialProviderFilterVtbl filter_vtbl = {
	.QueryInterface = f_query,
	.AddRef = f_addref,
	.Release = f_release,
	.Filter = f_filter,
	.UpdateRemoteCredential = f_update_remote,
};

HRESULT cp_filter_create(REFIID iid, void **out)
{
	struct cp_filter *f = ferry_calloc(1, sizeof(*f));
	HRESULT hr;

	if (!f)
		return E_OUTOFMEMORY;
	f->iface.lpVtbl = &filter_vtbl;
	f->refs = 1;
	cp_dll_addref();
	hr = f_query(&f->iface, iid, out);
	f_release(&f->iface);
	return hr;
}
