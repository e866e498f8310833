/*
 * The provider: ICredentialProvider (first member) and
 * ICredentialProviderSetUserArray (second member).
 *
 * Which tiles exist is decided from the view of the service (cp_watch.h)
 * and two registry hints (cp_state.h), in rebuild_tiles:
 *
 *   service answered, screen credentials  -> cache tile
 *   service answered, screen progress     -> progress tile (phase, percent)
 *   service answered, screen failed       -> progress tile (texts only)
 *   service answered, any other screen    -> no Ferry tile
 *   pipe failed, migration running        -> service-unavailable tile
 *   pipe failed, no migration             -> no Ferry tile
 *   fallback account exists (registry)    -> fallback tile, in addition, always
 *
 * Scenarios: CPUS_LOGON and CPUS_UNLOCK_WORKSTATION show the tiles above;
 * CPUS_CREDUI is accepted with no tiles; every other scenario, including
 * CPUS_CHANGE_PASSWORD, is E_NOTIMPL.
 *
 * LogonUI's thread waits for the pipe only in SetUsageScenario
 * (get_experience, at most CP_CALL_BUDGET_MS); afterwards changes arrive
 * through the subscribe thread and are taken in GetCredentialCount.
 */
#include <stdio.h>
#include <string.h>

#include "cp_dll.h"
#include "cp_pipe.h"
#include "cp_provider.h"
#include "cp_state.h"
#include "cp_tile.h"
#include "cp_watch.h"
#include "strings_load.h"
#include "util/mem.h"
#include "util/utf.h"
#include "ux/texts.h"

#define CP_TILES_MAX 2

struct cp_provider {
	ICredentialProvider iface;
	ICredentialProviderSetUserArray users_iface;
	volatile LONG refs;
	CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
	ICredentialProviderUserArray *users;
	struct cp_watch *watch;
	struct cp_view view;
	struct cp_tile *tiles[CP_TILES_MAX];
	DWORD n_tiles;
};

#define PROV(p) ((struct cp_provider *)(void *)(p))
#define PROV_FROM_USERS(p) \
	((struct cp_provider *)(void *)((char *)(p) - offsetof(struct cp_provider, users_iface)))

static void drop_tiles(struct cp_provider *p)
{
	for (DWORD i = 0; i < p->n_tiles; i++)
		cp_tile_release(p->tiles[i]);
	p->n_tiles = 0;
}

static void add_tile(struct cp_provider *p, const struct cp_tile_init *in)
{
	struct cp_tile *t = NULL;

	if (p->n_tiles < CP_TILES_MAX && SUCCEEDED(cp_tile_new(&t, in)))
		p->tiles[p->n_tiles++] = t;
}

/* Built-in texts for the screens the service cannot word (it is not answering). */
static void builtin_texts(struct ux_texts *tx, enum ux_screen s)
{
	struct ux_vars vars = { 0 };

	memset(tx, 0, sizeof(*tx));
	ux_texts_get(tx, NULL, s, &vars);
}

static void add_fallback(struct cp_provider *p)
{
	wchar_t name[CP_ACCOUNT_MAX];
	char *name8 = NULL, user[CP_ACCOUNT_MAX * 3 + 3];
	size_t n = 0;
	struct ux_texts *tx;
	struct cp_tile_init in = { .kind = CP_TILE_FALLBACK, .cpus = p->cpus };

	if (!cp_state_fallback_account(name, CP_ACCOUNT_MAX) ||
	    ferry_utf16_to_utf8(&name8, &n, (const uint16_t *)name, wcslen(name)) != FERRY_OK)
		return;
	tx = ferry_malloc(sizeof(*tx));
	if (tx) {
		builtin_texts(tx, UX_SCREEN_FALLBACK);
		snprintf(user, sizeof(user), ".\\%s", name8);
		in.title = tx->title;
		in.text = tx->body;
		in.user = user;
		add_tile(p, &in);
	}
	ferry_free(tx);
	ferry_free(name8);
}

static void rebuild_tiles(struct cp_provider *p)
{
	const struct ipc_experience *e = &p->view.exp;
	struct cp_tile_init in = { .cpus = p->cpus, .image = "" };
	char percent[16];

	drop_tiles(p);
	if (p->cpus != CPUS_LOGON && p->cpus != CPUS_UNLOCK_WORKSTATION)
		return;
	if (p->view.answered) {
		in.title = e->title;
		in.text = e->body;
		in.image = e->image;
		if (e->screen == IPC_SCREEN_CREDENTIALS) {
			in.kind = CP_TILE_CACHE;
			in.user = e->target_user;
			in.qr_url = e->qr_url;
			add_tile(p, &in);
		} else if (e->screen == IPC_SCREEN_PROGRESS || e->screen == IPC_SCREEN_FAILED) {
			in.kind = CP_TILE_PROGRESS;
			if (e->screen == IPC_SCREEN_PROGRESS) {
				snprintf(percent, sizeof(percent), "%u%%", (unsigned)e->percent);
				in.phase = e->step;
				in.percent = percent;
			}
			add_tile(p, &in);
		}
	} else if (cp_state_migrating()) {
		struct ux_texts *tx = ferry_malloc(sizeof(*tx));

		if (tx) {
			builtin_texts(tx, UX_SCREEN_SERVICE_UNAVAILABLE);
			in.kind = CP_TILE_UNAVAILABLE;
			in.title = tx->title;
			in.text = tx->body;
			add_tile(p, &in);
		}
		ferry_free(tx);
	}
	add_fallback(p);
}

/* --- IUnknown ------------------------------------------------------------- */

static HRESULT provider_query(struct cp_provider *p, REFIID iid, void **out)
{
	if (!out)
		return E_POINTER;
	*out = NULL;
	if (IsEqualIID(iid, &IID_IUnknown) || IsEqualIID(iid, &CP_IID_ICredentialProvider))
		*out = &p->iface;
	else if (IsEqualIID(iid, &CP_IID_ICredentialProviderSetUserArray))
		*out = &p->users_iface;
	else
		return E_NOINTERFACE;
	InterlockedIncrement(&p->refs);
	return S_OK;
}

static void provider_destroy(struct cp_provider *p)
{
	cp_watch_stop(p->watch);
	drop_tiles(p);
	if (p->users)
		p->users->lpVtbl->Release(p->users);
	ferry_free(p);
	cp_dll_release();
}

static HRESULT STDMETHODCALLTYPE p_query(ICredentialProvider *This, REFIID iid, void **out)
{
	return provider_query(PROV(This), iid, out);
}

static ULONG STDMETHODCALLTYPE p_addref(ICredentialProvider *This)
{
	return (ULONG)InterlockedIncrement(&PROV(This)->refs);
}

static ULONG STDMETHODCALLTYPE p_release(ICredentialProvider *This)
{
	struct cp_provider *p = PROV(This);
	LONG n = InterlockedDecrement(&p->refs);

	if (n == 0)
		provider_destroy(p);
	return (ULONG)n;
}

/* --- ICredentialProvider -------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE p_set_usage_scenario(ICredentialProvider *This,
						      CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus,
						      DWORD flags)
{
	struct cp_provider *p = PROV(This);

	(void)flags;
	switch (cpus) {
	case CPUS_LOGON:
	case CPUS_UNLOCK_WORKSTATION:
		p->cpus = cpus;
		cp_view_fetch(&p->view);
		cp_log("scenario %d: service %s", (int)cpus,
		       p->view.answered ? "answered" : "not answering");
		rebuild_tiles(p);
		return S_OK;
	case CPUS_CREDUI:
		p->cpus = cpus;
		drop_tiles(p);
		return S_OK;
	default:
		return E_NOTIMPL;
	}
}

static HRESULT STDMETHODCALLTYPE p_set_serialization(
	ICredentialProvider *This, const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs)
{
	(void)This, (void)cs;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE p_advise(ICredentialProvider *This,
					  ICredentialProviderEvents *events, UINT_PTR ctx)
{
	struct cp_provider *p = PROV(This);

	cp_watch_stop(p->watch);
	p->watch = NULL;
	if (!events)
		return E_POINTER;
	if (p->cpus != CPUS_LOGON && p->cpus != CPUS_UNLOCK_WORKSTATION)
		return S_OK; /* nothing to refresh */
	return cp_watch_start(&p->watch, events, ctx, &p->view);
}

static HRESULT STDMETHODCALLTYPE p_unadvise(ICredentialProvider *This)
{
	struct cp_provider *p = PROV(This);

	cp_watch_stop(p->watch);
	p->watch = NULL;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE p_get_field_count(ICredentialProvider *This, DWORD *n)
{
	(void)This;
	if (!n)
		return E_POINTER;
	*n = CP_FID_COUNT;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE p_get_field_at(ICredentialProvider *This, DWORD i,
						CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR **out)
{
	(void)This;
	return cp_field_descriptor(i, out);
}

static HRESULT STDMETHODCALLTYPE p_get_credential_count(ICredentialProvider *This, DWORD *n,
							DWORD *def, BOOL *auto_logon)
{
	struct cp_provider *p = PROV(This);

	if (!n || !def || !auto_logon)
		return E_POINTER;
	/* Changes from the subscribe thread are applied here, on LogonUI's thread. */
	if (p->watch && cp_watch_take(p->watch, &p->view))
		rebuild_tiles(p);
	*n = p->n_tiles;
	*def = CREDENTIAL_PROVIDER_NO_DEFAULT;
	*auto_logon = FALSE;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE p_get_credential_at(ICredentialProvider *This, DWORD i,
						     ICredentialProviderCredential **out)
{
	struct cp_provider *p = PROV(This);

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (i >= p->n_tiles)
		return E_INVALIDARG;
	return cp_tile_query(p->tiles[i], &CP_IID_ICredentialProviderCredential, (void **)out);
}

static const ICredentialProviderVtbl provider_vtbl = {
	.QueryInterface = p_query,
	.AddRef = p_addref,
	.Release = p_release,
	.SetUsageScenario = p_set_usage_scenario,
	.SetSerialization = p_set_serialization,
	.Advise = p_advise,
	.UnAdvise = p_unadvise,
	.GetFieldDescriptorCount = p_get_field_count,
	.GetFieldDescriptorAt = p_get_field_at,
	.GetCredentialCount = p_get_credential_count,
	.GetCredentialAt = p_get_credential_at,
};

/* --- ICredentialProviderSetUserArray -------------------------------------- */

static HRESULT STDMETHODCALLTYPE u_query(ICredentialProviderSetUserArray *This, REFIID iid,
					 void **out)
{
	return provider_query(PROV_FROM_USERS(This), iid, out);
}

static ULONG STDMETHODCALLTYPE u_addref(ICredentialProviderSetUserArray *This)
{
	return (ULONG)InterlockedIncrement(&PROV_FROM_USERS(This)->refs);
}

static ULONG STDMETHODCALLTYPE u_release(ICredentialProviderSetUserArray *This)
{
	return p_release(&PROV_FROM_USERS(This)->iface);
}

static HRESULT STDMETHODCALLTYPE u_set_user_array(ICredentialProviderSetUserArray *This,
						  ICredentialProviderUserArray *users)
{
	struct cp_provider *p = PROV_FROM_USERS(This);

	/* Kept for the provider's life; Ferry's tiles are not per-user, so the
	 * array is only held as LogonUI's V2 contract expects. */
	if (p->users)
		p->users->lpVtbl->Release(p->users);
	p->users = users;
	if (users)
		users->lpVtbl->AddRef(users);
	return S_OK;
}

static const ICredentialProviderSetUserArrayVtbl users_vtbl = {
	.QueryInterface = u_query,
	.AddRef = u_addref,
	.Release = u_release,
	.SetUserArray = u_set_user_array,
};

/*
 * Once per process, on the first provider (never in DllMain: the loader
 * lock is held there): install this DLL's string table in the UI language
 * as the screens' texts and the field labels. It only reads our own
 * resource section, so it cannot block; on failure the built-in English
 * stays and the reason goes to the debug log.
 */
static BOOL CALLBACK strings_once(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	HMODULE self = NULL;

	(void)once;
	(void)param;
	(void)ctx;
	if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
				       GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
			       (LPCWSTR)(void *)strings_once, &self))
		cp_log("strings: GetModuleHandleExW failed (%lu): built-in English",
		       (unsigned long)GetLastError());
	else if (ferry_strings_apply(self, FERRY_LANG_DEFAULT) != FERRY_OK)
		cp_log("strings: %s: built-in English where missing", ferry_error_detail());
	return TRUE;
}

HRESULT cp_provider_create(REFIID iid, void **out)
{
	static INIT_ONCE strings = INIT_ONCE_STATIC_INIT;
	struct cp_provider *p;
	HRESULT hr;

	InitOnceExecuteOnce(&strings, strings_once, NULL, NULL);
	p = ferry_calloc(1, sizeof(*p));
	if (!p)
		return E_OUTOFMEMORY;
	p->iface.lpVtbl = &provider_vtbl;
	p->users_iface.lpVtbl = &users_vtbl;
	p->refs = 1;
	cp_dll_addref();
	/* _new -> QueryInterface -> Release: a failed QI frees the object. */
	hr = provider_query(p, iid, out);
	p_release(&p->iface);
	return hr;
}
