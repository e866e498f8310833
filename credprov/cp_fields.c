/*
 * The provider-wide field table and, per tile kind, which fields show.
 *
 *   id  field     type           guid                   cache  progress unavail fallback
 *   0   image     TILE_IMAGE     -                      both   both     both    both
 *   1   title     LARGE_TEXT     -                      both   both     both    both
 *   2   text      SMALL_TEXT     -                      sel    sel      sel     sel
 *   3   phase     SMALL_TEXT     -                      -      sel      -       -
 *   4   percent   SMALL_TEXT     -                      -      sel      -       -
 *   5   account   SMALL_TEXT     -                      sel    -        -       sel
 *   6   password  PASSWORD_TEXT  CPFG_LOGON_PASSWORD    sel*   -        -       sel*
 *   7   submit    SUBMIT_BUTTON  -                      sel    -        -       sel
 *   8   status    SMALL_TEXT     -                      -      -        -       -
 *       (kept for the ids' sake: an outcome is shown once, as LogonUI's status text)
 *   9   logo      TILE_IMAGE     CPFG_..._PROVIDER_LOGO hidden (read by LogonUI for the icon)
 *   10  label     SMALL_TEXT     CPFG_..._PROVIDER_LABEL hidden (the icon's tooltip)
 *   (* = focused when the tile is selected)
 *
 * The account is a label, never an edit field: what a tile signs in or
 * checks is decided by the service's hint or the runbook, not by what was
 * typed (issue 16, findings 2 and 3). The tile image carries the logo and
 * the QR code; the 72x72 provider logo and the label carry the GUIDs the
 * ICredentialProviderCredential2 page documents for the "Sign-in options"
 * icon and its tooltip.
 *
 * Labels (what a screen reader announces) come from the string table in
 * the language cp_provider_create installed (ferry_label); the images' are
 * the logo's accessible name.
 */
#include <shlwapi.h>

#include "cp_tile.h"
#include "strings_load.h"

const struct cp_field_def cp_fields[CP_FID_COUNT] = {
	[CP_FID_IMAGE] = { CPFT_TILE_IMAGE, IDS_UI_LOGO_NAME, NULL },
	[CP_FID_TITLE] = { CPFT_LARGE_TEXT, IDS_UI_FIELD_TITLE, NULL },
	[CP_FID_TEXT] = { CPFT_SMALL_TEXT, IDS_UI_FIELD_TEXT, NULL },
	[CP_FID_PHASE] = { CPFT_SMALL_TEXT, IDS_UI_FIELD_PHASE, NULL },
	[CP_FID_PERCENT] = { CPFT_SMALL_TEXT, IDS_UI_FIELD_PROGRESS, NULL },
	[CP_FID_ACCOUNT] = { CPFT_SMALL_TEXT, IDS_UI_USERNAME, NULL },
	[CP_FID_PASSWORD] = { CPFT_PASSWORD_TEXT, IDS_UI_PASSWORD, &CP_FIELD_LOGON_PASSWORD },
	[CP_FID_SUBMIT] = { CPFT_SUBMIT_BUTTON, IDS_UI_SUBMIT, NULL },
	[CP_FID_STATUS] = { CPFT_SMALL_TEXT, IDS_UI_FIELD_STATUS, NULL },
	[CP_FID_LOGO] = { CPFT_TILE_IMAGE, IDS_UI_LOGO_NAME, &CP_FIELD_PROVIDER_LOGO },
	[CP_FID_LABEL] = { CPFT_SMALL_TEXT, IDS_UI_TILE_LABEL, &CP_FIELD_PROVIDER_LABEL },
};

#define BOTH { CPFS_DISPLAY_IN_BOTH, CPFIS_NONE }
#define SEL { CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE }
#define FOCUS { CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_FOCUSED }
#define HIDE { CPFS_HIDDEN, CPFIS_NONE }

const struct cp_field_state cp_field_states[CP_TILE_KIND_COUNT][CP_FID_COUNT] = {
	[CP_TILE_CACHE] = { BOTH, BOTH, SEL, HIDE, HIDE, SEL, FOCUS, SEL, HIDE, HIDE, HIDE },
	[CP_TILE_PROGRESS] = { BOTH, BOTH, SEL, SEL, SEL, HIDE, HIDE, HIDE, HIDE, HIDE, HIDE },
	[CP_TILE_UNAVAILABLE] = { BOTH, BOTH, SEL, HIDE, HIDE, HIDE, HIDE, HIDE, HIDE, HIDE, HIDE },
	[CP_TILE_FALLBACK] = { BOTH, BOTH, SEL, HIDE, HIDE, SEL, FOCUS, SEL, HIDE, HIDE, HIDE },
};

HRESULT cp_field_descriptor(DWORD i, CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR **out)
{
	CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR *d;
	HRESULT hr;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (i >= CP_FID_COUNT)
		return E_INVALIDARG;
	d = CoTaskMemAlloc(sizeof(*d));
	if (!d)
		return E_OUTOFMEMORY;
	ZeroMemory(d, sizeof(*d));
	d->dwFieldID = i;
	d->cpft = cp_fields[i].type;
	if (cp_fields[i].guid)
		d->guidFieldType = *cp_fields[i].guid;
	hr = SHStrDupW(ferry_label(cp_fields[i].label), &d->pszLabel);
	if (FAILED(hr)) {
		CoTaskMemFree(d);
		return hr;
	}
	*out = d;
	return S_OK;
}
