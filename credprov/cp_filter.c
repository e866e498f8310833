/*
 * The filter (ICredentialProviderFilter). While the prevent-login lease is
 * held, LogonUI shows only Ferry's provider and the admin's allow-list;
 * otherwise every provider stays. The decision reads the registry and the
 * clock and nothing else: no pipe call, no wait (cp_state.h, ux/lease.h).
 *
 * Fail open: the lease absent, lapsed, beyond its cap or malformed, a
 * scenario other than logon/unlock, or any bad argument leaves rgbAllow as
 * LogonUI passed it. Ferry's own provider is never hidden.
 */
#include <string.h>

#include "cp_dll.h"
#include "cp_guids.h"
#include "cp_pipe.h"
#include "cp_provider.h"
#include "cp_state.h"
#include "util/mem.h"

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
	size_t n_list;
	const char *reason = "";

	(void)This, (void)flags;
	if (cpus != CPUS_LOGON && cpus != CPUS_UNLOCK_WORKSTATION)
		return S_OK;
	if (n && (!clsids || !allow))
		return S_OK; /* fail open: nothing to change that we could see */
	if (!cp_state_lease_held(&reason)) {
		cp_log("filter: %s: hiding nothing", reason);
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
