/*
 * A tile: ICredentialProviderCredential2 (first member, so the object's
 * address is the interface's) and ICredentialProviderCredentialWithFieldOptions
 * (second member, reached through container_of). One reference count for
 * both; each live tile holds one DLL reference.
 *
 * Invariant: t->password is either NULL or a NUL-terminated ferry_malloc'ed
 * buffer, and every path that drops it wipes it first (clear_password).
 */
#include <shlwapi.h>
#include <string.h>
#include <wchar.h>

#include "cp_dll.h"
#include "cp_pipe.h"
#include "cp_tile.h"
#include "draw/draw.h"
#include "util/mem.h"
#include "util/utf.h"
#include "winutil.h"

#define TILE_FROM_CRED(p) ((struct cp_tile *)(void *)(p))
#define TILE_FROM_OPTS(p) \
	((struct cp_tile *)(void *)((char *)(p) - offsetof(struct cp_tile, opts)))

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

void cp_tile_clear_password(struct cp_tile *t)
{
	wipe_free_w(&t->password);
	if (t->events)
		t->events->lpVtbl->SetFieldString(t->events, (ICredentialProviderCredential *)t,
						  CP_FID_PASSWORD, L"");
}

void cp_tile_set_text(struct cp_tile *t, enum cp_field fid, const wchar_t *s)
{
	wchar_t *d = wdup(s);

	if (!d)
		return; /* keep the old text: out of memory must not blank the tile */
	ferry_free(t->text[fid]);
	t->text[fid] = d;
	if (t->events)
		t->events->lpVtbl->SetFieldString(t->events, (ICredentialProviderCredential *)t,
						  fid, s);
}

static void tile_destroy(struct cp_tile *t)
{
	wipe_free_w(&t->password);
	for (int i = 0; i < CP_FID_COUNT; i++)
		ferry_free(t->text[i]);
	ferry_free(t->image_path);
	ferry_free(t->qr_url);
	if (t->bitmap)
		DeleteObject(t->bitmap);
	if (t->events)
		t->events->lpVtbl->Release(t->events);
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
	if (IsEqualIID(iid, &IID_IUnknown) || IsEqualIID(iid, &CP_IID_ICredentialProviderCredential) ||
	    IsEqualIID(iid, &CP_IID_ICredentialProviderCredential2))
		*out = &t->cred;
	else if (IsEqualIID(iid, &CP_IID_ICredentialProviderCredentialWithFieldOptions))
		*out = &t->opts;
	else
		return E_NOINTERFACE;
	InterlockedIncrement(&t->refs);
	return S_OK;
}

/* --- IUnknown (both interfaces) ------------------------------------------- */

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

	if (t->events)
		t->events->lpVtbl->Release(t->events);
	t->events = events;
	if (events)
		events->lpVtbl->AddRef(events);
	return S_OK;
}

static HRESULT STDMETHODCALLTYPE c_unadvise(ICredentialProviderCredential2 *This)
{
	struct cp_tile *t = TILE_FROM_CRED(This);

	if (t->events)
		t->events->lpVtbl->Release(t->events);
	t->events = NULL;
	return S_OK;
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

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (id >= CP_FID_COUNT || cp_fields[id].type == CPFT_TILE_IMAGE ||
	    cp_fields[id].type == CPFT_SUBMIT_BUTTON)
		return E_INVALIDARG;
	/* The password is never handed back: LogonUI's copy could not be wiped. */
	if (id == CP_FID_PASSWORD)
		return SHStrDupW(L"", out);
	return SHStrDupW(t->text[id] ? t->text[id] : L"", out);
}

static HRESULT STDMETHODCALLTYPE c_get_bitmap(ICredentialProviderCredential2 *This, DWORD id,
					      HBITMAP *out)
{
	struct cp_tile *t = TILE_FROM_CRED(This);
	HBITMAP copy;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (id != CP_FID_IMAGE)
		return E_INVALIDARG;
	if (!t->bitmap_tried) {
		/* Drawn once per tile. On failure the tile has no image (LogonUI
		 * shows its default) rather than no tile. */
		t->bitmap_tried = true;
		if (draw_tile_image(&t->bitmap, t->image_path && t->image_path[0] ? t->image_path
										   : NULL,
				    t->qr_url[0] ? t->qr_url : NULL) != FERRY_OK) {
			cp_log("tile image: %s", ferry_error_detail());
			t->bitmap = NULL;
		}
	}
	if (!t->bitmap)
		return E_FAIL;
	/* LogonUI owns (and deletes) what it receives: hand it a copy. */
	copy = (HBITMAP)CopyImage(t->bitmap, IMAGE_BITMAP, 0, 0, LR_CREATEDIBSECTION);
	if (!copy)
		return E_OUTOFMEMORY;
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

	if (id >= CP_FID_COUNT || !s || cp_field_states[t->kind][id].state == CPFS_HIDDEN ||
	    (id != CP_FID_USER && id != CP_FID_PASSWORD))
		return E_INVALIDARG;
	d = wdup(s);
	if (!d)
		return E_OUTOFMEMORY;
	if (id == CP_FID_PASSWORD) {
		/* Every replacement, including clearing, wipes the old text. */
		wipe_free_w(&t->password);
		t->password = d;
	} else {
		ferry_free(t->text[id]);
		t->text[id] = d;
	}
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
	(void)This;
	if (!sid)
		return E_POINTER;
	/* No user behind Ferry's tiles: LogonUI shows them under "Other user". */
	*sid = NULL;
	return S_FALSE;
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

HRESULT cp_tile_new(struct cp_tile **out, const struct cp_tile_init *in)
{
	struct cp_tile *t = ferry_calloc(1, sizeof(*t));
	const char *src[CP_FID_COUNT] = {
		[CP_FID_TITLE] = in->title,	[CP_FID_TEXT] = in->text,
		[CP_FID_PHASE] = in->phase,	[CP_FID_PERCENT] = in->percent,
		[CP_FID_USER] = in->user,	[CP_FID_STATUS] = "",
	};
	size_t qr_len;

	*out = NULL;
	if (!t)
		return E_OUTOFMEMORY;
	t->cred.lpVtbl = &cred_vtbl;
	t->opts.lpVtbl = &opts_vtbl;
	t->refs = 1;
	t->kind = in->kind;
	t->cpus = in->cpus;
	cp_dll_addref();
	for (int i = 0; i < CP_FID_COUNT; i++) {
		if (i == CP_FID_IMAGE || i == CP_FID_PASSWORD || i == CP_FID_SUBMIT)
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
	*out = t;
	return S_OK;
fail:
	tile_destroy(t);
	return E_OUTOFMEMORY;
}
