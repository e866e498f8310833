/*
 * A tile: ICredentialProviderCredential2 (first member, so the object's
 * address is the interface's), ICredentialProviderCredentialWithFieldOptions
 * and IConnectableCredentialProviderCredential (reached through
 * container_of). One reference count for all; each live tile holds one DLL
 * reference.
 *
 * Invariants:
 * 1. t->password is either NULL or a NUL-terminated ferry_malloc'ed buffer,
 *    and every path that drops it wipes it first (wipe_free_w).
 * 2. Only the password field takes typed text: the account a tile uses is
 *    fixed when the tile is made (the fallback hint, the runbook's account).
 * 3. A tile without a SID does not answer ICredentialProviderCredential2
 *    (a V1 tile of its own); only the cache tile answers
 *    IConnectableCredentialProviderCredential.
 * 4. Texts, bitmaps and the events pointer change under t->lock: LogonUI's
 *    thread reads them while the subscribe thread (in-place experience
 *    updates) and the draw thread write them. LogonUI is called without
 *    the lock held.
 */
#include <shlwapi.h>
#include <string.h>
#include <wchar.h>

#include "cp_dll.h"
#include "cp_pipe.h"
#include "cp_tile.h"
#include "draw/draw.h"
#include "strings_load.h"
#include "util/mem.h"
#include "util/utf.h"
#include "winutil.h"

#define TILE_FROM_CRED(p) ((struct cp_tile *)(void *)(p))
#define TILE_FROM_OPTS(p) \
	((struct cp_tile *)(void *)((char *)(p) - offsetof(struct cp_tile, opts)))
#define TILE_FROM_CONN(p) \
	((struct cp_tile *)(void *)((char *)(p) - offsetof(struct cp_tile, conn)))

static wchar_t *wdup(const wchar_t *s)
{
	size_t n = wcslen(s) + 1;
	wchar_t *d = ferry_calloc(n, sizeof(wchar_t));

	if (d)
		memcpy(d, s, n * sizeof(wchar_t));
	return d;
}

static void wipe_free_w(wchar_t **p)
{
	if (*p) {
		ferry_wipe(*p, wcslen(*p) * sizeof(wchar_t));
		ferry_free(*p);
		*p = NULL;
	}
}

/* The advised events with a reference of the caller's, or NULL (Release it). */
static ICredentialProviderCredentialEvents *events_ref(struct cp_tile *t)
{
	ICredentialProviderCredentialEvents *ev;

	EnterCriticalSection(&t->lock);
	ev = t->events;
	if (ev)
		ev->lpVtbl->AddRef(ev);
	LeaveCriticalSection(&t->lock);
	return ev;
}

void cp_tile_clear_password(struct cp_tile *t)
{
	ICredentialProviderCredentialEvents *ev;

	EnterCriticalSection(&t->lock);
	wipe_free_w(&t->password);
	LeaveCriticalSection(&t->lock);
	if ((ev = events_ref(t))) {
		ev->lpVtbl->SetFieldString(ev, (ICredentialProviderCredential *)t, CP_FID_PASSWORD,
					   L"");
		ev->lpVtbl->Release(ev);
	}
}

void cp_tile_set_text(struct cp_tile *t, enum cp_field fid, const wchar_t *s)
{
	ICredentialProviderCredentialEvents *ev;
	wchar_t *d = wdup(s);

	if (!d)
		return; /* keep the old text: out of memory must not blank the tile */
	EnterCriticalSection(&t->lock);
	if (t->text[fid] && !wcscmp(t->text[fid], s)) {
		LeaveCriticalSection(&t->lock);
		ferry_free(d); /* unchanged: LogonUI is not bothered */
		return;
	}
	ferry_free(t->text[fid]);
	t->text[fid] = d;
	LeaveCriticalSection(&t->lock);
	if ((ev = events_ref(t))) {
		ev->lpVtbl->SetFieldString(ev, (ICredentialProviderCredential *)t, fid, s);
		ev->lpVtbl->Release(ev);
	}
}

enum cp_tile_kind cp_tile_kind_of(const struct cp_tile *t)
{
	return t->kind;
}

const wchar_t *cp_tile_sid(const struct cp_tile *t)
{
	return t->sid;
}

void cp_tile_update_texts(struct cp_tile *t, const struct cp_tile_init *in)
{
	const char *src[] = { in->title, in->text, in->phase, in->percent };
	const enum cp_field fid[] = { CP_FID_TITLE, CP_FID_TEXT, CP_FID_PHASE, CP_FID_PERCENT };

	for (size_t i = 0; i < sizeof(fid) / sizeof(fid[0]); i++) {
		wchar_t *w = wu_wide(src[i]);

		if (w)
			cp_tile_set_text(t, fid[i], w);
		ferry_free(w);
	}
}

static void tile_destroy(struct cp_tile *t)
{
	wipe_free_w(&t->password);
	for (int i = 0; i < CP_FID_COUNT; i++)
		ferry_free(t->text[i]);
	ferry_free(t->image_path);
	ferry_free(t->qr_url);
	ferry_free(t->sid);
	ferry_free(t->fb_user);
	ferry_free(t->fb_domain);
	ferry_free(t->result.msg);
	if (t->bitmap)
		DeleteObject(t->bitmap);
	if (t->logo)
		DeleteObject(t->logo);
	if (t->draw_thread)
		CloseHandle(t->draw_thread);
	if (t->events)
		t->events->lpVtbl->Release(t->events);
	DeleteCriticalSection(&t->lock);
	ferry_free(t);
	cp_dll_release();
}

void cp_tile_release(struct cp_tile *t)
{
	if (t && InterlockedDecrement(&t->refs) == 0)
		tile_destroy(t);
}

HRESULT cp_tile_query(struct cp_tile *t, REFIID iid, void **out)
{
	if (!out)
		return E_POINTER;
	*out = NULL;
	if (IsEqualIID(iid, &IID_IUnknown) || IsEqualIID(iid, &CP_IID_ICredentialProviderCredential))
		*out = &t->cred;
	else if (IsEqualIID(iid, &CP_IID_ICredentialProviderCredential2) && t->sid)
		*out = &t->cred; /* V2 only with a listed user's SID (invariant 3) */
	else if (IsEqualIID(iid, &CP_IID_ICredentialProviderCredentialWithFieldOptions))
		*out = &t->opts;
	else if (IsEqualIID(iid, &CP_IID_IConnectableCredentialProviderCredential) &&
		 t->kind == CP_TILE_CACHE)
		*out = &t->conn;
	else
		return E_NOINTERFACE;
	InterlockedIncrement(&t->refs);
	return S_OK;
}

/* --- images, drawn off LogonUI's thread ------------------------------------ */

/*
 * Only a path on a local fixed drive ("C:\..."): a UNC path or a network
 * drive could block on a slow share. Anything else draws Ferry's built-in
 * placeholder, and the log says why.
 */
static const wchar_t *local_image(const wchar_t *p)
{
	wchar_t root[4];

	if (!p || !p[0])
		return NULL;
	if (!iswalpha(p[0]) || p[1] != L':' || p[2] != L'\\') {
		cp_log("tile image: not a local drive path: built-in placeholder");
		return NULL;
	}
	root[0] = p[0], root[1] = L':', root[2] = L'\\', root[3] = 0;
	if (GetDriveTypeW(root) != DRIVE_FIXED) {
		cp_log("tile image: not on a fixed local drive: built-in placeholder");
		return NULL;
	}
	return p;
}

static DWORD WINAPI draw_thread(LPVOID arg)
{
	struct cp_tile *t = arg;
	HMODULE self = NULL;
	HBITMAP tile = NULL, logo = NULL;
	ICredentialProviderCredentialEvents *ev;
	const wchar_t *path;

	GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)draw_thread,
			   &self);
	path = local_image(t->image_path);
	if (draw_tile_image(&tile, path, t->qr_url[0] ? t->qr_url : NULL) != FERRY_OK) {
		cp_log("tile image: %s", ferry_error_detail());
		tile = NULL;
	}
	if (draw_tile_image_ex(&logo, path, NULL, CP_LOGO_PX, CP_LOGO_PX, NULL) != FERRY_OK) {
		cp_log("provider logo: %s", ferry_error_detail());
		logo = NULL;
	}
	EnterCriticalSection(&t->lock);
	t->bitmap = tile;
	t->logo = logo;
	LeaveCriticalSection(&t->lock);
	if ((ev = events_ref(t))) {
		if (tile)
			ev->lpVtbl->SetFieldBitmap(ev, (ICredentialProviderCredential *)t, CP_FID_IMAGE,
						   tile);
		ev->lpVtbl->Release(ev);
	}
	cp_tile_release(t);
	if (self)
		FreeLibraryAndExitThread(self, 0);
	return 0;
}

/* --- IUnknown (all interfaces) --------------------------------------------- */

static HRESULT STDMETHODCALLTYPE c_query(ICredentialProviderCredential2 *This, REFIID iid,
					 void **out)
{
	return cp_tile_query(TILE_FROM_CRED(This), iid, out);
}

static ULONG STDMETHODCALLTYPE c_addref(ICredentialProviderCredential2 *This)
{
	return (ULONG)InterlockedIncrement(&TILE_FROM_CRED(This)->refs);
}

static ULONG STDMETHODCALLTYPE c_release(ICredentialProviderCredential2 *This)
{
	struct cp_tile *t = TILE_FROM_CRED(This);
	LONG n = InterlockedDecrement(&t->refs);

	if (n == 0)
		tile_destroy(t);
	return (ULONG)n;
}

static HRESULT STDMETHODCALLTYPE o_query(ICredentialProviderCredentialWithFieldOptions *This,
					 REFIID iid, void **out)
{
	return cp_tile_query(TILE_FROM_OPTS(This), iid, out);
}

static ULONG STDMETHODCALLTYPE o_addref(ICredentialProviderCredentialWithFieldOptions *This)
{
	return (ULONG)InterlockedIncrement(&TILE_FROM_OPTS(This)->refs);
}

static ULONG STDMETHODCALLTYPE o_release(ICredentialProviderCredentialWithFieldOptions *This)
{
	return c_release(&TILE_FROM_OPTS(This)->cred);
}

static HRESULT STDMETHODCALLTYPE o_get_field_options(
	ICredentialProviderCredentialWithFieldOptions *This, DWORD id,
	CREDENTIAL_PROVIDER_CREDENTIAL_FIELD_OPTIONS *options)
{
	(void)This;
	if (!options)
		return E_POINTER;
	if (id >= CP_FID_COUNT)
		return E_INVALIDARG;
	*options = id == CP_FID_PASSWORD ? CPCFO_ENABLE_PASSWORD_REVEAL : CPCFO_NONE;
	return S_OK;
}

/* --- ICredentialProviderCredential ---------------------------------------- */

static HRESULT STDMETHODCALLTYPE c_advise(ICredentialProviderCredential2 *This,
					  ICredentialProviderCredentialEvents *events)
{
	struct cp_tile *t = TILE_FROM_CRED(This);
	ICredentialProviderCredentialEvents *old;

	HBITMAP ready;

	if (events)
		events->lpVtbl->AddRef(events);
	EnterCriticalSection(&t->lock);
	old = t->events;
	t->events = events;
	ready = t->bitmap;
	LeaveCriticalSection(&t->lock);
	if (old)
		old->lpVtbl->Release(old);
	/* An image drawn before LogonUI advised: offer it now (it may have
	 * asked GetBitmapValue while the draw thread was still at work). */
	if (events && ready)
		events->lpVtbl->SetFieldBitmap(events, (ICredentialProviderCredential *)t, CP_FID_IMAGE,
					       ready);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_unadvise(ICredentialProviderCredential2 *This)
{
	return c_advise(This, NULL);
}

static HRESULT STDMETHODCALLTYPE c_set_selected(ICredentialProviderCredential2 *This,
						BOOL *auto_logon)
{
	(void)This;
	if (!auto_logon)
		return E_POINTER;
	*auto_logon = FALSE;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_set_deselected(ICredentialProviderCredential2 *This)
{
	struct cp_tile *t = TILE_FROM_CRED(This);

	/* Leaving the tile drops what was typed, as LogonUI's own tiles do. */
	if (t->password)
		cp_tile_clear_password(t);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_field_state(
	ICredentialProviderCredential2 *This, DWORD id, CREDENTIAL_PROVIDER_FIELD_STATE *state,
	CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE *interactive)
{
	struct cp_tile *t = TILE_FROM_CRED(This);

	if (!state || !interactive)
		return E_POINTER;
	if (id >= CP_FID_COUNT)
		return E_INVALIDARG;
	*state = cp_field_states[t->kind][id].state;
	*interactive = cp_field_states[t->kind][id].interactive;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_string(ICredentialProviderCredential2 *This, DWORD id,
					      LPWSTR *out)
{
	struct cp_tile *t = TILE_FROM_CRED(This);
	HRESULT hr;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (id >= CP_FID_COUNT || cp_fields[id].type == CPFT_TILE_IMAGE ||
	    cp_fields[id].type == CPFT_SUBMIT_BUTTON)
		return E_INVALIDARG;
	/* The password is never handed back: LogonUI's copy could not be wiped. */
	if (id == CP_FID_PASSWORD)
		return SHStrDupW(L"", out);
	if (id == CP_FID_LABEL)
		return SHStrDupW(ferry_label(cp_fields[id].label), out);
	EnterCriticalSection(&t->lock);
	hr = SHStrDupW(t->text[id] ? t->text[id] : L"", out);
	LeaveCriticalSection(&t->lock);
	return hr;
}

static HRESULT STDMETHODCALLTYPE c_get_bitmap(ICredentialProviderCredential2 *This, DWORD id,
					      HBITMAP *out)
{
	struct cp_tile *t = TILE_FROM_CRED(This);
	HBITMAP copy = NULL;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (id != CP_FID_IMAGE && id != CP_FID_LOGO)
		return E_INVALIDARG;
	/* Drawn by the tile's draw thread: until it is done (or when drawing
	 * failed) LogonUI shows its default picture, and SetFieldBitmap brings
	 * the image when it is ready. LogonUI owns what it receives: a copy. */
	EnterCriticalSection(&t->lock);
	if (id == CP_FID_IMAGE ? t->bitmap : t->logo)
		copy = (HBITMAP)CopyImage(id == CP_FID_IMAGE ? t->bitmap : t->logo, IMAGE_BITMAP, 0,
					  0, LR_CREATEDIBSECTION);
	LeaveCriticalSection(&t->lock);
	if (!copy)
		return E_FAIL;
	*out = copy;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_checkbox(ICredentialProviderCredential2 *This, DWORD id,
						BOOL *checked, LPWSTR *label)
{
	(void)This, (void)id, (void)checked, (void)label;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE c_get_submit(ICredentialProviderCredential2 *This, DWORD id,
					      DWORD *adjacent)
{
	(void)This;
	if (!adjacent)
		return E_POINTER;
	if (id != CP_FID_SUBMIT)
		return E_INVALIDARG;
	*adjacent = CP_FID_PASSWORD;
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_combo_count(ICredentialProviderCredential2 *This,
						   DWORD id, DWORD *n, DWORD *sel)
{
	(void)This, (void)id, (void)n, (void)sel;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE c_get_combo_at(ICredentialProviderCredential2 *This, DWORD id,
						DWORD item, LPWSTR *out)
{
	(void)This, (void)id, (void)item, (void)out;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE c_set_string(ICredentialProviderCredential2 *This, DWORD id,
					      LPCWSTR s)
{
	struct cp_tile *t = TILE_FROM_CRED(This);
	wchar_t *d;

	/* Invariant 2: the password is the only field that takes typed text. */
	if (id != CP_FID_PASSWORD || !s || cp_field_states[t->kind][id].state == CPFS_HIDDEN)
		return E_INVALIDARG;
	d = wdup(s);
	if (!d)
		return E_OUTOFMEMORY;
	EnterCriticalSection(&t->lock);
	/* Every replacement, including clearing, wipes the old text. */
	wipe_free_w(&t->password);
	t->password = d;
	LeaveCriticalSection(&t->lock);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_set_checkbox(ICredentialProviderCredential2 *This, DWORD id,
						BOOL checked)
{
	(void)This, (void)id, (void)checked;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE c_set_combo(ICredentialProviderCredential2 *This, DWORD id,
					     DWORD sel)
{
	(void)This, (void)id, (void)sel;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE c_command_link(ICredentialProviderCredential2 *This, DWORD id)
{
	(void)This, (void)id;
	return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE c_get_serialization(
	ICredentialProviderCredential2 *This, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, LPWSTR *status,
	CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	struct cp_tile *t = TILE_FROM_CRED(This);

	if (!resp || !cs || !status || !icon)
		return E_POINTER;
	*resp = CPGSR_NO_CREDENTIAL_NOT_FINISHED;
	*status = NULL;
	*icon = CPSI_NONE;
	ZeroMemory(cs, sizeof(*cs));
	switch (t->kind) {
	case CP_TILE_CACHE:
		return cp_submit_cache(t, resp, status, icon);
	case CP_TILE_FALLBACK:
		return cp_submit_fallback(t, resp, cs, status, icon);
	default:
		return S_OK; /* no submit button: nothing to send */
	}
}

static HRESULT STDMETHODCALLTYPE c_report_result(ICredentialProviderCredential2 *This,
						 LONG status, LONG substatus, LPWSTR *text,
						 CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	struct cp_tile *t = TILE_FROM_CRED(This);

	(void)substatus;
	if (text)
		*text = NULL;
	if (icon)
		*icon = CPSI_NONE;
	/* LogonUI words the failure itself; we only make sure nothing typed stays. */
	if (t->password)
		cp_tile_clear_password(t);
	cp_log("ReportResult: status 0x%08lx", (unsigned long)status);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_get_user_sid(ICredentialProviderCredential2 *This,
						LPWSTR *sid)
{
	struct cp_tile *t = TILE_FROM_CRED(This);

	if (!sid)
		return E_POINTER;
	*sid = NULL;
	/* Reached only on a V2 tile (invariant 3): the listed user it belongs to. */
	if (!t->sid)
		return E_UNEXPECTED;
	return SHStrDupW(t->sid, sid);
}

static const ICredentialProviderCredential2Vtbl cred_vtbl = {
	.QueryInterface = c_query,
	.AddRef = c_addref,
	.Release = c_release,
	.Advise = c_advise,
	.UnAdvise = c_unadvise,
	.SetSelected = c_set_selected,
	.SetDeselected = c_set_deselected,
	.GetFieldState = c_get_field_state,
	.GetStringValue = c_get_string,
	.GetBitmapValue = c_get_bitmap,
	.GetCheckboxValue = c_get_checkbox,
	.GetSubmitButtonValue = c_get_submit,
	.GetComboBoxValueCount = c_get_combo_count,
	.GetComboBoxValueAt = c_get_combo_at,
	.SetStringValue = c_set_string,
	.SetCheckboxValue = c_set_checkbox,
	.SetComboBoxSelectedValue = c_set_combo,
	.CommandLinkClicked = c_command_link,
	.GetSerialization = c_get_serialization,
	.ReportResult = c_report_result,
	.GetUserSid = c_get_user_sid,
};

static const ICredentialProviderCredentialWithFieldOptionsVtbl opts_vtbl = {
	.QueryInterface = o_query,
	.AddRef = o_addref,
	.Release = o_release,
	.GetFieldOptions = o_get_field_options,
};

/* --- IConnectableCredentialProviderCredential ------------------------------ */

/* Its first twenty methods are ICredentialProviderCredential's: forward them. */
#define CONN_CRED(This) ((ICredentialProviderCredential2 *)(void *)&TILE_FROM_CONN(This)->cred)
typedef IConnectableCredentialProviderCredential ICPCC;

static HRESULT STDMETHODCALLTYPE k_query(ICPCC *This, REFIID iid, void **out)
{
	return c_query(CONN_CRED(This), iid, out);
}
static ULONG STDMETHODCALLTYPE k_addref(ICPCC *This)
{
	return c_addref(CONN_CRED(This));
}
static ULONG STDMETHODCALLTYPE k_release(ICPCC *This)
{
	return c_release(CONN_CRED(This));
}
static HRESULT STDMETHODCALLTYPE k_advise(ICPCC *This, ICredentialProviderCredentialEvents *e)
{
	return c_advise(CONN_CRED(This), e);
}
static HRESULT STDMETHODCALLTYPE k_unadvise(ICPCC *This)
{
	return c_unadvise(CONN_CRED(This));
}
static HRESULT STDMETHODCALLTYPE k_set_selected(ICPCC *This, BOOL *a)
{
	return c_set_selected(CONN_CRED(This), a);
}
static HRESULT STDMETHODCALLTYPE k_set_deselected(ICPCC *This)
{
	return c_set_deselected(CONN_CRED(This));
}
static HRESULT STDMETHODCALLTYPE k_get_field_state(ICPCC *This, DWORD id,
						   CREDENTIAL_PROVIDER_FIELD_STATE *s,
						   CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE *i)
{
	return c_get_field_state(CONN_CRED(This), id, s, i);
}
static HRESULT STDMETHODCALLTYPE k_get_string(ICPCC *This, DWORD id, LPWSTR *out)
{
	return c_get_string(CONN_CRED(This), id, out);
}
static HRESULT STDMETHODCALLTYPE k_get_bitmap(ICPCC *This, DWORD id, HBITMAP *out)
{
	return c_get_bitmap(CONN_CRED(This), id, out);
}
static HRESULT STDMETHODCALLTYPE k_get_checkbox(ICPCC *This, DWORD id, BOOL *c, LPWSTR *l)
{
	return c_get_checkbox(CONN_CRED(This), id, c, l);
}
static HRESULT STDMETHODCALLTYPE k_get_submit(ICPCC *This, DWORD id, DWORD *adj)
{
	return c_get_submit(CONN_CRED(This), id, adj);
}
static HRESULT STDMETHODCALLTYPE k_get_combo_count(ICPCC *This, DWORD id, DWORD *n, DWORD *sel)
{
	return c_get_combo_count(CONN_CRED(This), id, n, sel);
}
static HRESULT STDMETHODCALLTYPE k_get_combo_at(ICPCC *This, DWORD id, DWORD item, LPWSTR *out)
{
	return c_get_combo_at(CONN_CRED(This), id, item, out);
}
static HRESULT STDMETHODCALLTYPE k_set_string(ICPCC *This, DWORD id, LPCWSTR s)
{
	return c_set_string(CONN_CRED(This), id, s);
}
static HRESULT STDMETHODCALLTYPE k_set_checkbox(ICPCC *This, DWORD id, BOOL c)
{
	return c_set_checkbox(CONN_CRED(This), id, c);
}
static HRESULT STDMETHODCALLTYPE k_set_combo(ICPCC *This, DWORD id, DWORD sel)
{
	return c_set_combo(CONN_CRED(This), id, sel);
}
static HRESULT STDMETHODCALLTYPE k_command_link(ICPCC *This, DWORD id)
{
	return c_command_link(CONN_CRED(This), id);
}
static HRESULT STDMETHODCALLTYPE k_get_serialization(
	ICPCC *This, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, LPWSTR *status,
	CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	return c_get_serialization(CONN_CRED(This), resp, cs, status, icon);
}
static HRESULT STDMETHODCALLTYPE k_report_result(ICPCC *This, LONG st, LONG sub, LPWSTR *text,
						 CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	return c_report_result(CONN_CRED(This), st, sub, text, icon);
}

static HRESULT STDMETHODCALLTYPE k_connect(ICPCC *This, IQueryContinueWithStatus *qc)
{
	return cp_submit_connect(TILE_FROM_CONN(This), qc);
}

static HRESULT STDMETHODCALLTYPE k_disconnect(ICPCC *This)
{
	(void)This;
	return E_NOTIMPL; /* nothing stays connected: the check is one call */
}

static const IConnectableCredentialProviderCredentialVtbl conn_vtbl = {
	.QueryInterface = k_query,
	.AddRef = k_addref,
	.Release = k_release,
	.Advise = k_advise,
	.UnAdvise = k_unadvise,
	.SetSelected = k_set_selected,
	.SetDeselected = k_set_deselected,
	.GetFieldState = k_get_field_state,
	.GetStringValue = k_get_string,
	.GetBitmapValue = k_get_bitmap,
	.GetCheckboxValue = k_get_checkbox,
	.GetSubmitButtonValue = k_get_submit,
	.GetComboBoxValueCount = k_get_combo_count,
	.GetComboBoxValueAt = k_get_combo_at,
	.SetStringValue = k_set_string,
	.SetCheckboxValue = k_set_checkbox,
	.SetComboBoxSelectedValue = k_set_combo,
	.CommandLinkClicked = k_command_link,
	.GetSerialization = k_get_serialization,
	.ReportResult = k_report_result,
	.Connect = k_connect,
	.Disconnect = k_disconnect,
};

static wchar_t *wdup_or_null(const wchar_t *s, bool *failed)
{
	wchar_t *d;

	if (!s)
		return NULL;
	if (!(d = wdup(s)))
		*failed = true;
	return d;
}

HRESULT cp_tile_new(struct cp_tile **out, const struct cp_tile_init *in)
{
	struct cp_tile *t = ferry_calloc(1, sizeof(*t));
	const char *src[CP_FID_COUNT] = {
		[CP_FID_TITLE] = in->title,	[CP_FID_TEXT] = in->text,
		[CP_FID_PHASE] = in->phase,	[CP_FID_PERCENT] = in->percent,
		[CP_FID_ACCOUNT] = in->account, [CP_FID_STATUS] = "",
	};
	size_t qr_len;
	bool failed = false;

	*out = NULL;
	if (!t)
		return E_OUTOFMEMORY;
	t->cred.lpVtbl = &cred_vtbl;
	t->opts.lpVtbl = &opts_vtbl;
	t->conn.lpVtbl = &conn_vtbl;
	t->refs = 1;
	t->kind = in->kind;
	t->cpus = in->cpus;
	InitializeCriticalSection(&t->lock);
	cp_dll_addref();
	for (int i = 0; i < CP_FID_COUNT; i++) {
		if (cp_fields[i].type == CPFT_TILE_IMAGE || i == CP_FID_PASSWORD ||
		    i == CP_FID_SUBMIT || i == CP_FID_LABEL)
			continue;
		t->text[i] = wu_wide(src[i]);
		if (!t->text[i])
			goto fail;
	}
	t->image_path = wu_wide(in->image);
	if (!t->image_path)
		goto fail;
	qr_len = in->qr_url ? strlen(in->qr_url) : 0;
	t->qr_url = ferry_malloc(qr_len + 1);
	if (!t->qr_url)
		goto fail;
	memcpy(t->qr_url, qr_len ? in->qr_url : "", qr_len + 1);
	t->sid = wdup_or_null(in->sid, &failed);
	t->fb_user = wdup_or_null(in->fallback_user, &failed);
	t->fb_domain = wdup_or_null(in->fallback_domain, &failed);
	if (failed)
		goto fail;
	if (in->cache)
		t->cache = *in->cache;
	/* The draw thread holds a reference until it has drawn. */
	InterlockedIncrement(&t->refs);
	t->draw_thread = CreateThread(NULL, 0, draw_thread, t, 0, NULL);
	if (!t->draw_thread) {
		InterlockedDecrement(&t->refs);
		cp_log("tile image: no draw thread (%lu): LogonUI's default picture",
		       (unsigned long)GetLastError());
	}
	*out = t;
	return S_OK;
fail:
	tile_destroy(t);
	return E_OUTOFMEMORY;
}
