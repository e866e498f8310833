/* LogonUI's callback objects, faked (see sim_fakes.h). Stack-allocated by
 * the tests; a reference count of 1 means "only the test holds it". */
#include "sim_fakes.h"

#include <string.h>
#include <wchar.h>

#define OWNER(T, p) ((T *)(void *)(p))

static HRESULT STDMETHODCALLTYPE pe_query(ICredentialProviderEvents *This, REFIID iid, void **out)
{
	*out = NULL;
	if (!IsEqualIID(iid, &IID_IUnknown) && !IsEqualIID(iid, &CP_IID_ICredentialProviderEvents))
		return E_NOINTERFACE;
	This->lpVtbl->AddRef(This);
	*out = This;
	return S_OK;
}

static ULONG STDMETHODCALLTYPE pe_addref(ICredentialProviderEvents *This)
{
	return (ULONG)InterlockedIncrement(&OWNER(struct fake_provider_events, This)->refs);
}

static ULONG STDMETHODCALLTYPE pe_release(ICredentialProviderEvents *This)
{
	return (ULONG)InterlockedDecrement(&OWNER(struct fake_provider_events, This)->refs);
}

static HRESULT STDMETHODCALLTYPE pe_changed(ICredentialProviderEvents *This, UINT_PTR ctx)
{
	struct fake_provider_events *e = OWNER(struct fake_provider_events, This);

	e->last_ctx = ctx;
	InterlockedIncrement(&e->changed);
	SetEvent(e->signal);
	return S_OK;
}

static const ICredentialProviderEventsVtbl pe_vtbl = {
	.QueryInterface = pe_query,
	.AddRef = pe_addref,
	.Release = pe_release,
	.CredentialsChanged = pe_changed,
};

void fake_provider_events_init(struct fake_provider_events *e)
{
	ZeroMemory(e, sizeof(*e));
	e->iface.lpVtbl = &pe_vtbl;
	e->refs = 1;
	e->signal = CreateEventW(NULL, FALSE, FALSE, NULL);
}

void fake_provider_events_fini(struct fake_provider_events *e)
{
	CloseHandle(e->signal);
}

static HRESULT STDMETHODCALLTYPE ce_query(ICredentialProviderCredentialEvents *This, REFIID iid,
					  void **out)
{
	*out = NULL;
	if (!IsEqualIID(iid, &IID_IUnknown) &&
	    !IsEqualIID(iid, &CP_IID_ICredentialProviderCredentialEvents))
		return E_NOINTERFACE;
	This->lpVtbl->AddRef(This);
	*out = This;
	return S_OK;
}

static ULONG STDMETHODCALLTYPE ce_addref(ICredentialProviderCredentialEvents *This)
{
	return (ULONG)InterlockedIncrement(&OWNER(struct fake_cred_events, This)->refs);
}

static ULONG STDMETHODCALLTYPE ce_release(ICredentialProviderCredentialEvents *This)
{
	return (ULONG)InterlockedDecrement(&OWNER(struct fake_cred_events, This)->refs);
}

static HRESULT STDMETHODCALLTYPE ce_set_string(ICredentialProviderCredentialEvents *This,
					       ICredentialProviderCredential *c, DWORD id,
					       LPCWSTR s)
{
	struct fake_cred_events *e = OWNER(struct fake_cred_events, This);

	(void)c;
	if (id >= 16 || !s)
		return E_INVALIDARG;
	EnterCriticalSection(&e->lock);
	wcsncpy(e->field[id], s, 511);
	e->sets[id]++;
	LeaveCriticalSection(&e->lock);
	return S_OK;
}

/* The harness's tiles never call the rest; reaching one is a failure it sees. */
static HRESULT STDMETHODCALLTYPE ce_state(ICredentialProviderCredentialEvents *This,
					  ICredentialProviderCredential *c, DWORD id,
					  CREDENTIAL_PROVIDER_FIELD_STATE st)
{
	(void)This, (void)c, (void)id, (void)st;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ce_istate(ICredentialProviderCredentialEvents *This,
					   ICredentialProviderCredential *c, DWORD id,
					   CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE st)
{
	(void)This, (void)c, (void)id, (void)st;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ce_checkbox(ICredentialProviderCredentialEvents *This,
					     ICredentialProviderCredential *c, DWORD id, BOOL b,
					     LPCWSTR l)
{
	(void)This, (void)c, (void)id, (void)b, (void)l;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ce_bitmap(ICredentialProviderCredentialEvents *This,
					   ICredentialProviderCredential *c, DWORD id, HBITMAP b)
{
	struct fake_cred_events *e = OWNER(struct fake_cred_events, This);

	(void)c;
	if (id >= 16 || !b)
		return E_INVALIDARG;
	EnterCriticalSection(&e->lock);
	e->bitmaps[id]++;
	LeaveCriticalSection(&e->lock);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE ce_combo(ICredentialProviderCredentialEvents *This,
					  ICredentialProviderCredential *c, DWORD id, DWORD n)
{
	(void)This, (void)c, (void)id, (void)n;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ce_append(ICredentialProviderCredentialEvents *This,
					   ICredentialProviderCredential *c, DWORD id, LPCWSTR s)
{
	(void)This, (void)c, (void)id, (void)s;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE ce_window(ICredentialProviderCredentialEvents *This, HWND *h)
{
	(void)This;
	*h = NULL;
	return E_NOTIMPL;
}

static const ICredentialProviderCredentialEventsVtbl ce_vtbl = {
	.QueryInterface = ce_query,
	.AddRef = ce_addref,
	.Release = ce_release,
	.SetFieldState = ce_state,
	.SetFieldInteractiveState = ce_istate,
	.SetFieldString = ce_set_string,
	.SetFieldCheckbox = ce_checkbox,
	.SetFieldBitmap = ce_bitmap,
	.SetFieldComboBoxSelectedItem = ce_combo,
	.DeleteFieldComboBoxItem = ce_combo,
	.AppendFieldComboBoxItem = ce_append,
	.SetFieldSubmitButton = ce_combo,
	.OnCreatingWindow = ce_window,
};

void fake_cred_events_init(struct fake_cred_events *e)
{
	ZeroMemory(e, sizeof(*e));
	e->iface.lpVtbl = &ce_vtbl;
	e->refs = 1;
	InitializeCriticalSection(&e->lock);
}

void fake_cred_events_fini(struct fake_cred_events *e)
{
	DeleteCriticalSection(&e->lock);
}

void fake_cred_events_field(struct fake_cred_events *e, DWORD id, wchar_t *out, size_t cap)
{
	EnterCriticalSection(&e->lock);
	wcsncpy(out, id < 16 ? e->field[id] : L"", cap - 1);
	out[cap - 1] = 0;
	LeaveCriticalSection(&e->lock);
}

static HRESULT STDMETHODCALLTYPE u_query(ICredentialProviderUser *This, REFIID iid, void **out)
{
	(void)This, (void)iid;
	*out = NULL;
	return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE u_addref(ICredentialProviderUser *This)
{
	return (ULONG)InterlockedIncrement(&OWNER(struct fake_user, This)->refs);
}

static ULONG STDMETHODCALLTYPE u_release(ICredentialProviderUser *This)
{
	return (ULONG)InterlockedDecrement(&OWNER(struct fake_user, This)->refs);
}

static HRESULT STDMETHODCALLTYPE u_sid(ICredentialProviderUser *This, LPWSTR *sid)
{
	struct fake_user *u = OWNER(struct fake_user, This);
	size_t n = (wcslen(u->sid) + 1) * sizeof(wchar_t);

	/* The caller frees it with CoTaskMemFree, as LogonUI's own objects expect. */
	if (!(*sid = CoTaskMemAlloc(n)))
		return E_OUTOFMEMORY;
	memcpy(*sid, u->sid, n);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE u_provider(ICredentialProviderUser *This, GUID *g)
{
	(void)This;
	memset(g, 0, sizeof(*g));
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE u_string(ICredentialProviderUser *This, const void *key,
					  LPWSTR *out)
{
	(void)This, (void)key;
	*out = NULL;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE u_value(ICredentialProviderUser *This, const void *key, void *v)
{
	(void)This, (void)key, (void)v;
	return E_NOTIMPL;
}

static const ICredentialProviderUserVtbl u_vtbl = {
	.QueryInterface = u_query,
	.AddRef = u_addref,
	.Release = u_release,
	.GetSid = u_sid,
	.GetProviderID = u_provider,
	.GetStringValue = u_string,
	.GetValue = u_value,
};

static HRESULT STDMETHODCALLTYPE ua_query(ICredentialProviderUserArray *This, REFIID iid,
					  void **out)
{
	(void)This, (void)iid;
	*out = NULL;
	return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE ua_addref(ICredentialProviderUserArray *This)
{
	return (ULONG)InterlockedIncrement(&OWNER(struct fake_user_array, This)->refs);
}

static ULONG STDMETHODCALLTYPE ua_release(ICredentialProviderUserArray *This)
{
	return (ULONG)InterlockedDecrement(&OWNER(struct fake_user_array, This)->refs);
}

static HRESULT STDMETHODCALLTYPE ua_filter(ICredentialProviderUserArray *This, REFGUID g)
{
	(void)This, (void)g;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE ua_options(ICredentialProviderUserArray *This,
					    CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS *o)
{
	struct fake_user_array *u = OWNER(struct fake_user_array, This);

	u->options_asked++;
	*o = u->options;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE ua_count(ICredentialProviderUserArray *This, DWORD *n)
{
	*n = OWNER(struct fake_user_array, This)->n;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE ua_at(ICredentialProviderUserArray *This, DWORD i,
				       ICredentialProviderUser **u)
{
	struct fake_user_array *a = OWNER(struct fake_user_array, This);

	*u = NULL;
	if (i >= a->n)
		return E_INVALIDARG;
	*u = &a->users[i].iface;
	(*u)->lpVtbl->AddRef(*u);
	return S_OK;
}

static const ICredentialProviderUserArrayVtbl ua_vtbl = {
	.QueryInterface = ua_query,
	.AddRef = ua_addref,
	.Release = ua_release,
	.SetProviderFilter = ua_filter,
	.GetAccountOptions = ua_options,
	.GetCount = ua_count,
	.GetAt = ua_at,
};

void fake_user_array_init(struct fake_user_array *u)
{
	ZeroMemory(u, sizeof(*u));
	u->iface.lpVtbl = &ua_vtbl;
	u->refs = 1;
}

void fake_user_array_add(struct fake_user_array *u, const wchar_t *sid)
{
	struct fake_user *f;

	if (u->n >= FAKE_USERS_MAX)
		return;
	f = &u->users[u->n++];
	f->iface.lpVtbl = &u_vtbl;
	f->refs = 1;
	wcsncpy(f->sid, sid, 95);
}
