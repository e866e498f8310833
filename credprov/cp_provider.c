/*
 * The provider: ICredentialProvider (first member) and
 * ICredentialProviderSetUserArray (second member).
 *
 * Which tiles exist is decided from the view of the service (cp_watch.h),
 * two registry hints (cp_state.h) and the user array, in plan_tiles:
 *
 *   service answered, screen credentials  -> cache tile (V1)
 *   service answered, screen progress     -> progress tile (V1) + one per listed user (V2)
 *   service answered, screen failed       -> the same, texts only
 *   service answered, any other screen    -> no Ferry tile
 *   pipe failed, migration running        -> service-unavailable tile (V1)
 *   pipe failed, no migration             -> no Ferry tile
 *   FallbackAccount names an account      -> fallback tile (V1), in addition, always
 *
 * V1 tiles (no ICredentialProviderCredential2) are shown by LogonUI as
 * tiles of their own: unlike an "Other user" credential they need no
 * domain membership, and unlike a per-user credential no user array
 * (docs/credprov.md, "Rules LogonUI imposes"). Per-user status tiles put
 * the migration's progress under each listed user's own tile as well.
 *
 * Scenarios: CPUS_LOGON and CPUS_UNLOCK_WORKSTATION show the tiles above;
 * CPUS_CREDUI is accepted with no tiles; every other scenario, including
 * CPUS_CHANGE_PASSWORD, is E_NOTIMPL.
 *
 * Threads: LogonUI's thread waits for the pipe only in SetUsageScenario
 * (get_experience, at most CP_CALL_BUDGET_MS). Afterwards the subscribe
 * thread brings changes: when the same tiles stay, their texts change in
 * place (apply_in_place, under p->lock); when the set changes, LogonUI is
 * told (CredentialsChanged) and the new set is built in GetCredentialCount.
 * Lock order: the watch's lock, then p->lock; LogonUI's thread takes the
 * watch's lock (cp_watch_take) before p->lock, never while holding it.
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

#define CP_USERS_MAX 16 /* per-user status tiles; more listed users get none */
#define CP_TILES_MAX (2 + CP_USERS_MAX)

struct cp_provider {
	ICredentialProvider iface;
	ICredentialProviderSetUserArray users_iface;
	volatile LONG refs;
	CRITICAL_SECTION lock; /* tiles, n_tiles, view */
	CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
	ICredentialProviderUserArray *users;
	CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS account_options;
	wchar_t *user_sids[CP_USERS_MAX]; /* from the user array, ferry_malloc'ed */
	DWORD n_users;
	struct cp_watch *watch;
	struct cp_view view;
	struct cp_tile *tiles[CP_TILES_MAX];
	DWORD n_tiles;
};

#define PROV(p) ((struct cp_provider *)(void *)(p))
#define PROV_FROM_USERS(p) \
	((struct cp_provider *)(void *)((char *)(p) - offsetof(struct cp_provider, users_iface)))

/* What one tile will show; texts borrowed from the view or from `tx`. */
struct plan {
	struct cp_tile_init tiles[CP_TILES_MAX];
	DWORD n;
	struct ux_texts tx;       /* built-in texts (service unavailable, fallback) */
	struct ux_texts fb_tx;
	char percent[16];
	char fb_account[CP_ACCOUNT_MAX * 6 + 2];
	wchar_t fb_user[CP_ACCOUNT_MAX];
	wchar_t fb_domain[MAX_COMPUTERNAME_LENGTH + 1];
	struct cache_account cache;
};

static void drop_tiles(struct cp_provider *p)
{
	for (DWORD i = 0; i < p->n_tiles; i++)
		cp_tile_release(p->tiles[i]);
	p->n_tiles = 0;
}

/* Built-in texts for the screens the service cannot word (it is not answering). */
static void builtin_texts(struct ux_texts *tx, enum ux_screen s)
{
	struct ux_vars vars = { 0 };

	memset(tx, 0, sizeof(*tx));
	ux_texts_get(tx, NULL, s, &vars);
}

static struct cp_tile_init *plan_add(struct plan *pl, enum cp_tile_kind kind,
				     CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus)
{
	struct cp_tile_init *in;

	if (pl->n >= CP_TILES_MAX)
		return NULL;
	in = &pl->tiles[pl->n++];
	memset(in, 0, sizeof(*in));
	in->kind = kind;
	in->cpus = cpus;
	in->image = "";
	return in;
}

/* The helpdesk's tile: only while the hint names an account, for that
 * account on this computer (COMPUTERNAME\name), shown as a label. */
static void plan_fallback(struct cp_provider *p, struct plan *pl)
{
	struct cp_tile_init *in;
	char *name8 = NULL, *host8 = NULL;
	size_t n = 0;

	if (!cp_state_fallback_account(pl->fb_user, CP_ACCOUNT_MAX) ||
	    !cp_state_computer_name(pl->fb_domain, MAX_COMPUTERNAME_LENGTH + 1) ||
	    ferry_utf16_to_utf8(&name8, &n, (const uint16_t *)pl->fb_user, wcslen(pl->fb_user)) ||
	    ferry_utf16_to_utf8(&host8, &n, (const uint16_t *)pl->fb_domain,
				wcslen(pl->fb_domain)) ||
	    !(in = plan_add(pl, CP_TILE_FALLBACK, p->cpus))) {
		ferry_free(name8);
		ferry_free(host8);
		return;
	}
	builtin_texts(&pl->fb_tx, UX_SCREEN_FALLBACK);
	snprintf(pl->fb_account, sizeof(pl->fb_account), "%s\\%s", host8, name8);
	in->title = pl->fb_tx.title;
	in->text = pl->fb_tx.body;
	in->account = pl->fb_account;
	in->fallback_user = pl->fb_user;
	in->fallback_domain = pl->fb_domain;
	ferry_free(name8);
	ferry_free(host8);
}

static void plan_tiles(struct cp_provider *p, const struct cp_view *v, struct plan *pl)
{
	const struct ipc_experience *e = &v->exp;
	struct cp_tile_init *in;

	pl->n = 0;
	if (p->cpus != CPUS_LOGON && p->cpus != CPUS_UNLOCK_WORKSTATION)
		return;
	if (v->answered && e->screen == IPC_SCREEN_CREDENTIALS) {
		if ((in = plan_add(pl, CP_TILE_CACHE, p->cpus))) {
			in->title = e->title;
			in->text = e->body;
			in->image = e->image;
			in->qr_url = e->qr_url;
			in->account = e->target_user;
			if (cache_account_parse(&pl->cache, e->target_user) == FERRY_OK)
				in->cache = &pl->cache;
		}
	} else if (v->answered &&
		   (e->screen == IPC_SCREEN_PROGRESS || e->screen == IPC_SCREEN_FAILED)) {
		if (e->screen == IPC_SCREEN_PROGRESS)
			snprintf(pl->percent, sizeof(pl->percent), "%u%%", (unsigned)e->percent);
		for (DWORD u = 0; u <= p->n_users; u++) {
			if (!(in = plan_add(pl, CP_TILE_PROGRESS, p->cpus)))
				break;
			in->title = e->title;
			in->text = e->body;
			in->image = e->image;
			in->phase = e->screen == IPC_SCREEN_PROGRESS ? e->step : "";
			in->percent = e->screen == IPC_SCREEN_PROGRESS ? pl->percent : "";
			in->sid = u ? p->user_sids[u - 1] : NULL; /* first: the V1 tile */
		}
	} else if (!v->answered && cp_state_migrating()) {
		if ((in = plan_add(pl, CP_TILE_UNAVAILABLE, p->cpus))) {
			builtin_texts(&pl->tx, UX_SCREEN_SERVICE_UNAVAILABLE);
			in->title = pl->tx.title;
			in->text = pl->tx.body;
		}
	}
	plan_fallback(p, pl);
}

/* Under p->lock. */
static void rebuild_tiles(struct cp_provider *p)
{
	struct plan *pl = ferry_calloc(1, sizeof(*pl));
	struct cp_tile *t = NULL;

	drop_tiles(p);
	if (!pl)
		return;
	plan_tiles(p, &p->view, pl);
	for (DWORD i = 0; i < pl->n; i++)
		if (SUCCEEDED(cp_tile_new(&t, &pl->tiles[i])))
			p->tiles[p->n_tiles++] = t;
	ferry_free(pl);
}

/* The subscribe thread's change, in place when the same tiles stay (see top). */
static bool apply_in_place(void *ctx, const struct cp_view *v)
{
	struct cp_provider *p = ctx;
	struct plan *pl = ferry_calloc(1, sizeof(*pl));
	bool same;

	if (!pl)
		return false;
	EnterCriticalSection(&p->lock);
	plan_tiles(p, v, pl);
	same = pl->n == p->n_tiles;
	for (DWORD i = 0; same && i < pl->n; i++)
		same = cp_tile_kind_of(p->tiles[i]) == pl->tiles[i].kind &&
		       pl->tiles[i].kind != CP_TILE_CACHE; /* a new account means a new tile */
	if (same) {
		for (DWORD i = 0; i < pl->n; i++)
			cp_tile_update_texts(p->tiles[i], &pl->tiles[i]);
		p->view = *v;
	}
	LeaveCriticalSection(&p->lock);
	ferry_free(pl);
	return same;
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

static void drop_users(struct cp_provider *p)
{
	for (DWORD i = 0; i < p->n_users; i++)
		ferry_free(p->user_sids[i]);
	p->n_users = 0;
	if (p->users)
		p->users->lpVtbl->Release(p->users);
	p->users = NULL;
}

static void provider_destroy(struct cp_provider *p)
{
	cp_watch_stop(p->watch);
	drop_tiles(p);
	drop_users(p);
	DeleteCriticalSection(&p->lock);
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
		EnterCriticalSection(&p->lock);
		p->cpus = cpus;
		cp_view_fetch(&p->view);
		cp_log("scenario %d: service %s", (int)cpus,
		       p->view.answered ? "answered" : "not answering");
		rebuild_tiles(p);
		LeaveCriticalSection(&p->lock);
		return S_OK;
	case CPUS_CREDUI:
		EnterCriticalSection(&p->lock);
		p->cpus = cpus;
		drop_tiles(p);
		LeaveCriticalSection(&p->lock);
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
	return cp_watch_start(&p->watch, events, ctx, &p->view, apply_in_place, p);
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

	struct cp_view *v;
	bool changed;

	if (!n || !def || !auto_logon)
		return E_POINTER;
	/* A new set of tiles from the subscribe thread is built here, on
	 * LogonUI's thread (the watch's lock is taken before p->lock). */
	v = p->watch ? ferry_malloc(sizeof(*v)) : NULL;
	changed = v && cp_watch_take(p->watch, v);
	EnterCriticalSection(&p->lock);
	if (changed) {
		p->view = *v;
		rebuild_tiles(p);
	}
	*n = p->n_tiles;
	LeaveCriticalSection(&p->lock);
	ferry_free(v);
	*def = CREDENTIAL_PROVIDER_NO_DEFAULT;
	*auto_logon = FALSE;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE p_get_credential_at(ICredentialProvider *This, DWORD i,
						     ICredentialProviderCredential **out)
{
	struct cp_provider *p = PROV(This);
	HRESULT hr = E_INVALIDARG;

	if (!out)
		return E_POINTER;
	*out = NULL;
	EnterCriticalSection(&p->lock);
	if (i < p->n_tiles)
		hr = cp_tile_query(p->tiles[i], &CP_IID_ICredentialProviderCredential, (void **)out);
	LeaveCriticalSection(&p->lock);
	return hr;
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

/* The listed users' SIDs, for the per-user status tiles. */
static void read_users(struct cp_provider *p)
{
	ICredentialProviderUserArray *ua = p->users;
	ICredentialProviderUser *u;
	DWORD count = 0;
	LPWSTR sid;

	/* Whether LogonUI shows an empty "Other user" tile for local or
	 * Microsoft accounts: logged, since Ferry's own tiles are V1 and do not
	 * depend on it (GetAccountOptions page). */
	if (FAILED(ua->lpVtbl->GetAccountOptions(ua, &p->account_options)))
		p->account_options = CPAO_NONE;
	if (FAILED(ua->lpVtbl->GetCount(ua, &count)))
		count = 0;
	for (DWORD i = 0; i < count && p->n_users < CP_USERS_MAX; i++) {
		u = NULL;
		sid = NULL;
		if (FAILED(ua->lpVtbl->GetAt(ua, i, &u)) || !u)
			continue;
		if (SUCCEEDED(u->lpVtbl->GetSid(u, &sid)) && sid && sid[0]) {
			size_t n = wcslen(sid) + 1;

			if ((p->user_sids[p->n_users] = ferry_calloc(n, sizeof(wchar_t)))) {
				memcpy(p->user_sids[p->n_users], sid, n * sizeof(wchar_t));
				p->n_users++;
			}
		}
		CoTaskMemFree(sid);
		u->lpVtbl->Release(u);
	}
	cp_log("user array: %lu users (%lu with a tile), account options 0x%x",
	       (unsigned long)count, (unsigned long)p->n_users, (unsigned)p->account_options);
}

static HRESULT STDMETHODCALLTYPE u_set_user_array(ICredentialProviderSetUserArray *This,
						  ICredentialProviderUserArray *users)
{
	struct cp_provider *p = PROV_FROM_USERS(This);

	/* LogonUI calls this before GetCredentialCount (ICredentialProviderCredential2 page). */
	EnterCriticalSection(&p->lock);
	drop_users(p);
	p->users = users;
	if (users) {
		users->lpVtbl->AddRef(users);
		read_users(p);
	}
	rebuild_tiles(p);
	LeaveCriticalSection(&p->lock);
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
	InitializeCriticalSection(&p->lock);
	cp_dll_addref();
	/* _new -> QueryInterface -> Release: a failed QI frees the object. */
	hr = provider_query(p, iid, out);
	p_release(&p->iface);
	return hr;
}
