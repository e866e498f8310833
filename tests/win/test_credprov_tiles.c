/*
 * ferrycp.dll's tiles, through the LogonUI harness: this program plays
 * LogonUI against ferrycp.dll, loaded by path from beside it (cp_dll_load.h,
 * shared with test_credprov_filter.c), and plays the Ferry service with a
 * scripted pipe server (logonui_sim/sim_server.c) on a private pipe name
 * that the DLL is pointed at through HKLM\SOFTWARE\Ferry\PipeName.
 *
 * Every call LogonUI would make on its thread is timed (TIMED): each must
 * return within 1 s, whatever the service does; the worst is printed.
 *
 * What Wine cannot show: a real LogonUI (its threading, its drawing of the
 * tiles, its LsaLogonUser with our serialization); those are Windows-only.
 */
#include <windows.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include <ntsecapi.h>

#include "cp_dll_load.h"
#include "cp_guids.h"
#include "cp_serialize.h"
#include "cpapi.h"
#include "draw/draw.h"
#include "logonui_sim/sim_fakes.h"
#include "logonui_sim/sim_server.h"
#include "util/mem.h"
#include "ux/kerb_logon.h"

#define FID_IMAGE 0
#define FID_TITLE 1
#define FID_TEXT 2
#define FID_PHASE 3
#define FID_PERCENT 4
#define FID_ACCOUNT 5
#define FID_PASSWORD 6
#define FID_SUBMIT 7
#define FID_STATUS 8
#define FID_LOGO 9
#define FID_LABEL 10
#define FID_COUNT 11

static struct cp_dll cp;
static wchar_t pipe_name[96];
static double worst_ms;
static double phase_worst_ms;
static char worst_call[128];

#define STATE_KEY L"SOFTWARE\\Ferry\\State"
#define FERRY_KEY L"SOFTWARE\\Ferry"

/* --- timing ----------------------------------------------------------------- */

static void note_ms(LARGE_INTEGER a, LARGE_INTEGER b, const char *what)
{
	LARGE_INTEGER f;
	double ms;

	QueryPerformanceFrequency(&f);
	ms = (double)(b.QuadPart - a.QuadPart) * 1000.0 / (double)f.QuadPart;
	if (ms > phase_worst_ms)
		phase_worst_ms = ms;
	if (ms > worst_ms) {
		worst_ms = ms;
		snprintf(worst_call, sizeof(worst_call), "%s", what);
	}
	if (ms >= 1000.0)
		fail_msg("%s took %.1f ms (limit 1000 ms)", what, ms);
}

/* The worst call since the last reset, printed under a label. */
static void phase_report(const char *label)
{
	print_message("%s: worst LogonUI-thread call %.1f ms\n", label, phase_worst_ms);
	phase_worst_ms = 0;
}

#define TIMED(hr, expr)                                  \
	do {                                             \
		LARGE_INTEGER a_, b_;                    \
		QueryPerformanceCounter(&a_);            \
		(hr) = (expr);                           \
		QueryPerformanceCounter(&b_);            \
		note_ms(a_, b_, #expr);                  \
	} while (0)

/* --- registry ------------------------------------------------------------- */

static void reg_set(const wchar_t *key, const wchar_t *name, DWORD type, const void *data,
		    DWORD len)
{
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, name, type, data, len),
			 ERROR_SUCCESS);
}

static void reg_set_sz(const wchar_t *key, const wchar_t *name, const wchar_t *v)
{
	reg_set(key, name, REG_SZ, v, (DWORD)((wcslen(v) + 1) * sizeof(wchar_t)));
}

static void reg_del(const wchar_t *key, const wchar_t *name)
{
	LSTATUS st = RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, key, name);

	assert_true(st == ERROR_SUCCESS || st == ERROR_FILE_NOT_FOUND);
}

static void clear_state(void)
{
	reg_del(STATE_KEY, L"PreventLoginUntil");
	reg_del(STATE_KEY, L"PreventLoginCapHours");
	reg_del(STATE_KEY, L"MigrationRunning");
	reg_del(STATE_KEY, L"FallbackAccount");
	reg_del(FERRY_KEY, L"FilterAllow");
}

static void set_migrating(int on)
{
	DWORD v = 1;

	if (on)
		reg_set(STATE_KEY, L"MigrationRunning", REG_DWORD, &v, sizeof(v));
	else
		reg_del(STATE_KEY, L"MigrationRunning");
}

/* --- COM helpers ------------------------------------------------------------ */

static void *create(const CLSID *clsid, const IID *iid)
{
	void *obj = NULL;

	assert_int_equal(cp_dll_create(&cp, clsid, iid, &obj), S_OK);
	assert_non_null(obj);
	return obj;
}

static ICredentialProvider *provider_for(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus)
{
	ICredentialProvider *p = create(&CLSID_FerryProvider, &CP_IID_ICredentialProvider);
	HRESULT hr;

	TIMED(hr, p->lpVtbl->SetUsageScenario(p, cpus, 0));
	assert_int_equal(hr, S_OK);
	return p;
}

static DWORD tile_count(ICredentialProvider *p)
{
	DWORD n = 99, def = 0;
	BOOL autologon = TRUE;
	HRESULT hr;

	TIMED(hr, p->lpVtbl->GetCredentialCount(p, &n, &def, &autologon));
	assert_int_equal(hr, S_OK);
	assert_int_equal(def, (DWORD)-1); /* CREDENTIAL_PROVIDER_NO_DEFAULT */
	assert_false(autologon);
	return n;
}

static ICredentialProviderCredential *tile_at(ICredentialProvider *p, DWORD i)
{
	ICredentialProviderCredential *c = NULL;
	HRESULT hr;

	TIMED(hr, p->lpVtbl->GetCredentialAt(p, i, &c));
	assert_int_equal(hr, S_OK);
	assert_non_null(c);
	return c;
}

/* A tile of its own (V1): no ICredentialProviderCredential2, so LogonUI
 * ties it neither to a user nor to the "Other user" tile. */
static void assert_v1(ICredentialProviderCredential *c)
{
	void *c2 = (void *)1;

	assert_int_equal(c->lpVtbl->QueryInterface(c, &CP_IID_ICredentialProviderCredential2, &c2),
			 E_NOINTERFACE);
	assert_null(c2);
}

/* ferrycp.dll may be unloaded once every object is gone; a tile's draw
 * thread holds its tile until the image is drawn (milliseconds). */
static HRESULT can_unload_soon(void)
{
	for (int i = 0; i < 200 && cp.can_unload() != S_OK; i++)
		Sleep(50);
	return cp.can_unload();
}

static void assert_string(ICredentialProviderCredential *c, DWORD id, const wchar_t *want)
{
	LPWSTR s = NULL;
	HRESULT hr;

	TIMED(hr, c->lpVtbl->GetStringValue(c, id, &s));
	assert_int_equal(hr, S_OK);
	assert_non_null(s);
	if (wcscmp(s, want) != 0)
		fail_msg("field %lu is \"%ls\", want \"%ls\"", (unsigned long)id, s, want);
	CoTaskMemFree(s);
}

static void assert_state(ICredentialProviderCredential *c, DWORD id,
			 CREDENTIAL_PROVIDER_FIELD_STATE want,
			 CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE want_i)
{
	CREDENTIAL_PROVIDER_FIELD_STATE st;
	CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE is;

	assert_int_equal(c->lpVtbl->GetFieldState(c, id, &st, &is), S_OK);
	assert_int_equal(st, want);
	assert_int_equal(is, want_i);
}

static void release_provider(ICredentialProvider *p)
{
	HRESULT hr;

	TIMED(hr, p->lpVtbl->UnAdvise(p));
	assert_int_equal(hr, S_OK);
	assert_int_equal(p->lpVtbl->Release(p), 0);
	assert_int_equal(can_unload_soon(), S_OK);
}

static struct ipc_experience experience(enum ipc_screen screen, const char *title,
					const char *body, const char *user, uint32_t pct,
					const char *step)
{
	struct ipc_experience e;

	memset(&e, 0, sizeof(e));
	e.generation = 1;
	e.screen = screen;
	snprintf(e.title, sizeof(e.title), "%s", title);
	snprintf(e.body, sizeof(e.body), "%s", body);
	snprintf(e.target_user, sizeof(e.target_user), "%s", user);
	e.percent = pct;
	snprintf(e.step, sizeof(e.step), "%s", step);
	return e;
}

/* What GetSerialization answered. */
struct submit {
	HRESULT hr;
	CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE resp;
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
	LPWSTR status;
	CREDENTIAL_PROVIDER_STATUS_ICON icon;
};

static void submit(ICredentialProviderCredential *c, const wchar_t *password, struct submit *s)
{
	memset(s, 0, sizeof(*s));
	if (password)
		assert_int_equal(c->lpVtbl->SetStringValue(c, FID_PASSWORD, password), S_OK);
	TIMED(s->hr, c->lpVtbl->GetSerialization(c, &s->resp, &s->cs, &s->status, &s->icon));
}

static void submit_free(struct submit *s)
{
	CoTaskMemFree(s->status);
	CoTaskMemFree(s->cs.rgbSerialization);
	memset(s, 0, sizeof(*s));
}

/* LogonUI's IQueryContinueWithStatus for Connect: counts status lines and
 * says "stop" once cancel_after_ms have passed (0 = never). */
struct fake_qc {
	IQueryContinueWithStatus iface;
	volatile LONG refs;
	unsigned messages;
	wchar_t last[160];
	DWORD cancel_after_ms;
	ULONGLONG start;
};

static HRESULT STDMETHODCALLTYPE qc_query(IQueryContinueWithStatus *This, REFIID iid, void **out)
{
	(void)This, (void)iid;
	*out = NULL;
	return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE qc_addref(IQueryContinueWithStatus *This)
{
	return (ULONG)InterlockedIncrement(&((struct fake_qc *)(void *)This)->refs);
}

static ULONG STDMETHODCALLTYPE qc_release(IQueryContinueWithStatus *This)
{
	return (ULONG)InterlockedDecrement(&((struct fake_qc *)(void *)This)->refs);
}

static HRESULT STDMETHODCALLTYPE qc_continue(IQueryContinueWithStatus *This)
{
	struct fake_qc *q = (struct fake_qc *)(void *)This;

	return q->cancel_after_ms && GetTickCount64() - q->start >= q->cancel_after_ms ? S_FALSE
										   : S_OK;
}

static HRESULT STDMETHODCALLTYPE qc_status(IQueryContinueWithStatus *This, LPCWSTR psz)
{
	struct fake_qc *q = (struct fake_qc *)(void *)This;

	q->messages++;
	wcsncpy(q->last, psz, 159);
	return S_OK;
}

static const IQueryContinueWithStatusVtbl qc_vtbl = {
	.QueryInterface = qc_query,
	.AddRef = qc_addref,
	.Release = qc_release,
	.QueryContinue = qc_continue,
	.SetStatusMessage = qc_status,
};

/*
 * Submit as LogonUI does for a connectable credential (R8 of the model:
 * Connect after Submit, then GetSerialization). Connect may take long (that
 * is its point), so it is timed separately; GetSerialization must be quick.
 */
static double connect_submit(ICredentialProviderCredential *c, const wchar_t *password,
			     DWORD cancel_after_ms, struct fake_qc *q, struct submit *s)
{
	IConnectableCredentialProviderCredential *k = NULL;
	LARGE_INTEGER a, b, f;

	memset(q, 0, sizeof(*q));
	q->iface.lpVtbl = &qc_vtbl;
	q->refs = 1;
	q->cancel_after_ms = cancel_after_ms;
	q->start = GetTickCount64();
	memset(s, 0, sizeof(*s));
	assert_int_equal(c->lpVtbl->QueryInterface(c, &CP_IID_IConnectableCredentialProviderCredential,
						   (void **)&k),
			 S_OK);
	assert_int_equal(c->lpVtbl->SetStringValue(c, FID_PASSWORD, password), S_OK);
	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&a);
	assert_int_equal(k->lpVtbl->Connect(k, &q->iface), S_OK);
	QueryPerformanceCounter(&b);
	k->lpVtbl->Release(k);
	assert_int_equal(q->refs, 1);
	TIMED(s->hr, c->lpVtbl->GetSerialization(c, &s->resp, &s->cs, &s->status, &s->icon));
	assert_int_equal(s->hr, S_OK);
	assert_int_equal(s->cs.cbSerialization, 0); /* nobody logs on through this tile */
	assert_non_null(s->status);
	return (double)(b.QuadPart - a.QuadPart) * 1000.0 / (double)f.QuadPart;
}

/* --- the cases -------------------------------------------------------------- */

static const CREDENTIAL_PROVIDER_FIELD_TYPE want_types[FID_COUNT] = {
	CPFT_TILE_IMAGE, CPFT_LARGE_TEXT,     CPFT_SMALL_TEXT,	  CPFT_SMALL_TEXT, CPFT_SMALL_TEXT,
	CPFT_SMALL_TEXT, CPFT_PASSWORD_TEXT, CPFT_SUBMIT_BUTTON, CPFT_SMALL_TEXT, CPFT_TILE_IMAGE,
	CPFT_SMALL_TEXT,
};

static void test_credprov_tiles__field_table(void **state)
{
	ICredentialProvider *p = create(&CLSID_FerryProvider, &CP_IID_ICredentialProvider);
	CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR *d = NULL;
	DWORD n = 0;

	(void)state;
	assert_int_equal(p->lpVtbl->GetFieldDescriptorCount(p, &n), S_OK);
	assert_int_equal(n, FID_COUNT);
	for (DWORD i = 0; i < n; i++) {
		assert_int_equal(p->lpVtbl->GetFieldDescriptorAt(p, i, &d), S_OK);
		assert_int_equal(d->dwFieldID, i);
		assert_int_equal(d->cpft, want_types[i]);
		assert_non_null(d->pszLabel);
		assert_true(wcslen(d->pszLabel) > 0);
		/* The 72x72 provider logo and its label carry the GUIDs the
		 * ICredentialProviderCredential2 page documents; the tile image
		 * (logo and QR) and the title carry none. */
		if (i == FID_PASSWORD)
			assert_true(IsEqualGUID(&d->guidFieldType, &CP_FIELD_LOGON_PASSWORD));
		else if (i == FID_LOGO)
			assert_true(IsEqualGUID(&d->guidFieldType, &CP_FIELD_PROVIDER_LOGO));
		else if (i == FID_LABEL)
			assert_true(IsEqualGUID(&d->guidFieldType, &CP_FIELD_PROVIDER_LABEL));
		else
			assert_true(IsEqualGUID(&d->guidFieldType, &GUID_NULL));
		/* LogonUI frees both with CoTaskMemFree: they must come from it. */
		CoTaskMemFree(d->pszLabel);
		CoTaskMemFree(d);
	}
	assert_int_equal(p->lpVtbl->GetFieldDescriptorAt(p, FID_COUNT, &d), E_INVALIDARG);
	assert_null(d);
	release_provider(p);
}

static void test_credprov_tiles__scenarios(void **state)
{
	ICredentialProvider *p = create(&CLSID_FerryProvider, &CP_IID_ICredentialProvider);
	HRESULT hr;

	(void)state;
	TIMED(hr, p->lpVtbl->SetUsageScenario(p, CPUS_CHANGE_PASSWORD, 0));
	assert_int_equal(hr, E_NOTIMPL);
	TIMED(hr, p->lpVtbl->SetUsageScenario(p, CPUS_PLAP, 0));
	assert_int_equal(hr, E_NOTIMPL);
	/* CredUI: accepted, nothing shown, even with a fallback account. */
	reg_set_sz(STATE_KEY, L"FallbackAccount", L"ferry-helpdesk");
	TIMED(hr, p->lpVtbl->SetUsageScenario(p, CPUS_CREDUI, 0));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 0);
	release_provider(p);
}

#define SIM_QR_URL "https://intranet.target.example/migration"

/* A bitmap's pixels as 32-bit top-down rows (ferry_free); NULL on failure. */
static uint32_t *bitmap_pixels(HBITMAP bmp, int *w, int *h)
{
	BITMAP bm;
	BITMAPINFO bi;
	uint32_t *px;
	HDC dc;
	int rows;

	if (!GetObjectW(bmp, sizeof(bm), &bm) || bm.bmWidth <= 0 || bm.bmHeight <= 0)
		return NULL;
	memset(&bi, 0, sizeof(bi));
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = bm.bmWidth;
	bi.bmiHeader.biHeight = -bm.bmHeight;
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	px = ferry_calloc((size_t)bm.bmWidth * (size_t)bm.bmHeight, sizeof(*px));
	dc = GetDC(NULL);
	rows = px && dc ? GetDIBits(dc, bmp, 0, (UINT)bm.bmHeight, px, &bi, DIB_RGB_COLORS) : 0;
	if (dc)
		ReleaseDC(NULL, dc);
	if (rows != bm.bmHeight) {
		ferry_free(px);
		return NULL;
	}
	*w = bm.bmWidth;
	*h = bm.bmHeight;
	return px;
}

/* The tile's image is draw_tile_image(logo, the experience's qr_url): same
 * size and pixels as that, and it differs from the image without the QR
 * code (so the QR is really on it, with dark modules where the no-QR image
 * is plain). */
static void check_tile_image_has_qr(HBITMAP got, HBITMAP with_qr, HBITMAP without_qr)
{
	int gw = 0, gh = 0, qw = 0, qh = 0, nw = 0, nh = 0;
	uint32_t *g = bitmap_pixels(got, &gw, &gh);
	uint32_t *q = bitmap_pixels(with_qr, &qw, &qh);
	uint32_t *n = bitmap_pixels(without_qr, &nw, &nh);
	size_t differ = 0, dark_new = 0;

	assert_non_null(g);
	assert_non_null(q);
	assert_non_null(n);
	assert_int_equal(gw, qw);
	assert_int_equal(gh, qh);
	assert_true(gw <= DRAW_TILE_MAX_W && gh <= DRAW_TILE_MAX_H);
	assert_memory_equal(g, q, (size_t)gw * (size_t)gh * sizeof(*g));
	if (nw == gw && nh == gh) {
		for (size_t i = 0; i < (size_t)gw * (size_t)gh; i++) {
			uint32_t c = g[i] & 0xffffff;
			bool dark = ((c >> 16) & 0xff) < 0x40 && ((c >> 8) & 0xff) < 0x40 &&
				    (c & 0xff) < 0x40;

			if (g[i] != n[i]) {
				differ++;
				dark_new += dark;
			}
		}
		print_message("tile %dx%d: %lu pixels differ from the no-QR tile, %lu of them dark\n",
			      gw, gh, (unsigned long)differ, (unsigned long)dark_new);
		assert_true(dark_new > 0);
	} else {
		/* The QR's column changes the composition's size: not the plain tile. */
		print_message("tile %dx%d with QR, %dx%d without\n", gw, gh, nw, nh);
	}
	ferry_free(g);
	ferry_free(q);
	ferry_free(n);
}

/* The tile's image as the draw thread left it (it draws off LogonUI's
 * thread): GetBitmapValue fails until then, and LogonUI shows its default. */
static HRESULT bitmap_when_drawn(ICredentialProviderCredential *c, DWORD id, HBITMAP *got)
{
	HRESULT hr = E_FAIL;

	for (int i = 0; i < 100 && FAILED(hr); i++) {
		TIMED(hr, c->lpVtbl->GetBitmapValue(c, id, got));
		if (FAILED(hr))
			Sleep(20);
	}
	return hr;
}

/* Cache credentials: fields, strings, image, the submit round trip and its outcomes. */
static void check_cache_tile_fields(ICredentialProviderCredential *c)
{
	ICredentialProviderCredentialWithFieldOptions *o = NULL;
	CREDENTIAL_PROVIDER_CREDENTIAL_FIELD_OPTIONS opt = CPCFO_NONE;
	HBITMAP got = NULL, want = NULL, logo = NULL;
	BITMAP bm;
	ferry_err drawn;
	HRESULT hr;

	assert_string(c, FID_TITLE, L"Sign in with your new account");
	assert_string(c, FID_TEXT, L"Type the password of TARGET\\jdoe once.");
	/* The runbook's account, a label: nothing typed decides it. */
	assert_string(c, FID_ACCOUNT, L"TARGET\\jdoe");
	assert_state(c, FID_ACCOUNT, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE);
	assert_int_equal(c->lpVtbl->SetStringValue(c, FID_ACCOUNT, L"CORP\\alice"), E_INVALIDARG);
	assert_string(c, FID_ACCOUNT, L"TARGET\\jdoe");
	assert_state(c, FID_STATUS, CPFS_HIDDEN, CPFIS_NONE); /* the outcome shows once, by LogonUI */
	assert_state(c, FID_PASSWORD, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_FOCUSED);
	assert_state(c, FID_SUBMIT, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE);
	assert_state(c, FID_PHASE, CPFS_HIDDEN, CPFIS_NONE);
	assert_state(c, FID_TITLE, CPFS_DISPLAY_IN_BOTH, CPFIS_NONE);
	assert_state(c, FID_LOGO, CPFS_HIDDEN, CPFIS_NONE);
	assert_state(c, FID_LABEL, CPFS_HIDDEN, CPFIS_NONE);
	assert_v1(c);
	assert_int_equal(c->lpVtbl->QueryInterface(
				 c, &CP_IID_ICredentialProviderCredentialWithFieldOptions,
				 (void **)&o),
			 S_OK);
	assert_int_equal(o->lpVtbl->GetFieldOptions(o, FID_PASSWORD, &opt), S_OK);
	assert_int_equal(opt, CPCFO_ENABLE_PASSWORD_REVEAL);
	o->lpVtbl->Release(o);
	/* The tile's image is whatever ferrydraw makes; when it cannot draw,
	 * the tile has no image rather than failing. */
	drawn = draw_tile_image(&want, NULL, SIM_QR_URL);
	hr = bitmap_when_drawn(c, FID_IMAGE, &got);
	if (drawn == FERRY_OK) {
		HBITMAP plain = NULL;

		assert_int_equal(hr, S_OK);
		assert_non_null(got);
		assert_int_equal(draw_tile_image(&plain, NULL, NULL), FERRY_OK);
		check_tile_image_has_qr(got, want, plain);
		DeleteObject(plain);
		DeleteObject(got);
		DeleteObject(want);
		/* The provider logo is the small icon, not the 500x250 tile image. */
		assert_int_equal(bitmap_when_drawn(c, FID_LOGO, &logo), S_OK);
		assert_true(GetObjectW(logo, sizeof(bm), &bm) > 0);
		assert_true(bm.bmWidth <= 72 && bm.bmHeight <= 72);
		DeleteObject(logo);
	} else {
		print_message("draw_tile_image: %s: the tile shows no image\n",
			      ferry_strerror(drawn));
		assert_true(FAILED(hr));
		assert_null(got);
	}
}

static void test_credprov_tiles__cache_credentials_round_trip(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_CREDENTIALS, "Sign in with your new account",
					     "Type the password of TARGET\\jdoe once.",
					     "TARGET\\jdoe", 0, "");
	struct sim_server *srv;
	ICredentialProvider *p;
	ICredentialProviderSetUserArray *sua = NULL;
	ICredentialProviderCredential *c;
	struct fake_provider_events pe;
	struct fake_cred_events ce;
	struct fake_user_array ua;
	struct sim_seen seen;
	struct submit s;
	struct fake_qc q;
	BOOL autologon = TRUE;
	HRESULT hr;

	(void)state;
	snprintf(e.qr_url, sizeof(e.qr_url), "%s", SIM_QR_URL);
	srv = sim_server_start(pipe_name, &e);
	fake_provider_events_init(&pe);
	fake_cred_events_init(&ce);
	fake_user_array_init(&ua);
	p = provider_for(CPUS_LOGON);
	assert_int_equal(p->lpVtbl->QueryInterface(p, &CP_IID_ICredentialProviderSetUserArray,
						   (void **)&sua),
			 S_OK);
	assert_int_equal(sua->lpVtbl->SetUserArray(sua, &ua.iface), S_OK);
	sua->lpVtbl->Release(sua);
	TIMED(hr, p->lpVtbl->Advise(p, &pe.iface, 42));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_int_equal(c->lpVtbl->Advise(c, &ce.iface), S_OK);
	TIMED(hr, c->lpVtbl->SetSelected(c, &autologon));
	assert_false(autologon);
	check_cache_tile_fields(c);

	/* Accepted, through Connect: the service saw the runbook's account and
	 * what was typed; LogonUI shows the outcome once (no status field). */
	connect_submit(c, L"Pa55word!", 0, &q, &s);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
	assert_int_equal(s.icon, CPSI_SUCCESS);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_cache, 1);
	assert_string_equal(seen.user, "jdoe");
	assert_string_equal(seen.domain, "TARGET");
	assert_string_equal(seen.password, "Pa55word!");
	assert_int_equal(ce.sets[FID_STATUS], 0);
	/* The password field was cleared after sending. */
	assert_true(ce.sets[FID_PASSWORD] >= 1);
	assert_true(ce.field[FID_PASSWORD][0] == L'\0');
	assert_string(c, FID_PASSWORD, L"");
	submit_free(&s);

	/* Refused: the reply the service sends for a wrong password (its own
	 * builder, ipc_reply_logon) shows core/ux's words and an error icon,
	 * never "could not check"; the user may try again (NOT_FINISHED). */
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_WRONG_PASSWORD);
	connect_submit(c, L"not-it", 0, &q, &s);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	assert_int_equal(s.icon, CPSI_ERROR);
	assert_non_null(wcsstr(s.status, L"The user name or password is incorrect."));
	assert_non_null(wcsstr(s.status, L"try again"));
	assert_null(wcsstr(s.status, L"could not check"));
	submit_free(&s);

	/* No logon servers: the VPN sentence, as a warning. */
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_NO_SERVERS);
	connect_submit(c, L"not-it", 0, &q, &s);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	assert_int_equal(s.icon, CPSI_WARNING);
	assert_non_null(wcsstr(s.status, L"VPN"));
	submit_free(&s);

	/* Right password, but no verifier will be kept: says what the admin must change. */
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_NOT_CACHED_POLICY);
	connect_submit(c, L"Pa55word!", 0, &q, &s);
	assert_int_equal(s.icon, CPSI_ERROR);
	assert_non_null(wcsstr(s.status, L"CachedLogonsCount"));
	submit_free(&s);
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_NOT_CACHED_PROTECTED);
	connect_submit(c, L"Pa55word!", 0, &q, &s);
	assert_non_null(wcsstr(s.status, L"Protected Users"));
	submit_free(&s);

	/* LogonUI did not call Connect: GetSerialization checks within its budget. */
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_OK);
	submit(c, L"Pa55word!", &s);
	assert_int_equal(s.icon, CPSI_SUCCESS);
	submit_free(&s);
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_WRONG_PASSWORD);

	/* Nothing typed: asked for, and nothing sent. */
	submit(c, L"", &s);
	assert_int_equal(s.icon, CPSI_WARNING);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_cache, 6);
	submit_free(&s);

	assert_int_equal(c->lpVtbl->ReportResult(c, 0, 0, &s.status, &s.icon), S_OK);
	assert_null(s.status);
	assert_int_equal(c->lpVtbl->UnAdvise(c), S_OK);
	assert_int_equal(ce.refs, 1);
	c->lpVtbl->Release(c);
	release_provider(p);
	assert_int_equal(pe.refs, 1);
	assert_int_equal(ua.refs, 1);
	fake_provider_events_fini(&pe);
	sim_server_stop(srv);
}

static void wait_changed(struct fake_provider_events *pe)
{
	if (WaitForSingleObject(pe->signal, 5000) != WAIT_OBJECT_0)
		fail_msg("no CredentialsChanged within 5 s");
}

static void test_credprov_tiles__progress_refreshes(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, "Migration in progress",
					     "Please do not turn off your PC.", "TARGET\\jdoe", 40,
					     "odj_import");
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct fake_provider_events pe;
	struct fake_cred_events ce;
	ICredentialProvider *p;
	ICredentialProviderCredential *c, *again = NULL;
	struct submit s;
	wchar_t got[64] = L"";
	HRESULT hr;

	(void)state;
	fake_provider_events_init(&pe);
	fake_cred_events_init(&ce);
	p = provider_for(CPUS_UNLOCK_WORKSTATION);
	TIMED(hr, p->lpVtbl->Advise(p, &pe.iface, 7));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_v1(c);
	assert_int_equal(c->lpVtbl->Advise(c, &ce.iface), S_OK);
	assert_string(c, FID_TITLE, L"Migration in progress");
	assert_string(c, FID_PHASE, L"odj_import");
	assert_string(c, FID_PERCENT, L"40%");
	assert_state(c, FID_PERCENT, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE);
	for (DWORD id = FID_ACCOUNT; id <= FID_LABEL; id++)
		assert_state(c, id, CPFS_HIDDEN, CPFIS_NONE);
	/* No inputs: the tile has nothing to send. */
	submit(c, NULL, &s);
	assert_int_equal(s.hr, S_OK);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	submit_free(&s);

	/* The service moves on: the same tile's fields change in place, through
	 * ICredentialProviderCredentialEvents, with no CredentialsChanged
	 * (which would rebuild every tile and lose what was typed). */
	e.percent = 80;
	e.generation = 2;
	snprintf(e.step, sizeof(e.step), "reacl");
	sim_server_set_experience(srv, &e);
	for (int i = 0; i < 100 && wcscmp(got, L"80%"); i++) {
		Sleep(50);
		fake_cred_events_field(&ce, FID_PERCENT, got, 64);
	}
	assert_true(wcscmp(got, L"80%") == 0);
	fake_cred_events_field(&ce, FID_PHASE, got, 64);
	assert_true(wcscmp(got, L"reacl") == 0);
	assert_int_equal(pe.changed, 0);
	assert_int_equal(tile_count(p), 1);
	again = tile_at(p, 0);
	assert_ptr_equal(again, c);
	assert_string(again, FID_PERCENT, L"80%");
	again->lpVtbl->Release(again);

	/* Done: the set of tiles changes, so LogonUI is told, and the tile goes. */
	e.screen = IPC_SCREEN_NONE;
	e.generation = 3;
	sim_server_set_experience(srv, &e);
	wait_changed(&pe);
	assert_int_equal(pe.last_ctx, 7);
	assert_int_equal(tile_count(p), 0);
	assert_int_equal(c->lpVtbl->UnAdvise(c), S_OK);
	c->lpVtbl->Release(c);
	release_provider(p);
	assert_int_equal(pe.refs, 1);
	assert_int_equal(ce.refs, 1);
	fake_provider_events_fini(&pe);
	fake_cred_events_fini(&ce);
	sim_server_stop(srv);
}

/* The Negotiate package's id as LogonUI's LsaLogonUser would use it; 0 and
 * the NTSTATUS in *st when this system cannot look it up (Wine). */
static ULONG negotiate_id(NTSTATUS *st)
{
	HANDLE lsa = NULL;
	LSA_STRING name;
	char pkg[] = "Negotiate";
	ULONG id = 0;

	*st = LsaConnectUntrusted(&lsa);
	if (*st != 0)
		return 0;
	name.Buffer = pkg;
	name.Length = (USHORT)strlen(pkg);
	name.MaximumLength = (USHORT)(name.Length + 1);
	*st = LsaLookupAuthenticationPackage(lsa, &name, &id);
	LsaDeregisterLogonProcess(lsa);
	return *st == 0 ? id : 0;
}

static wchar_t host[MAX_COMPUTERNAME_LENGTH + 1];
static wchar_t helpdesk_label[MAX_COMPUTERNAME_LENGTH + 32]; /* HOST\ferry-helpdesk */

static void expect_packed(const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, ULONG package,
			  enum kerb_submit_type type)
{
	struct ferry_secret *pw = NULL, *want = NULL;
	char host8[64];

	assert_int_equal(cs->ulAuthenticationPackage, package);
	assert_true(IsEqualCLSID(&cs->clsidCredentialProvider, &CLSID_FerryProvider));
	assert_true(WideCharToMultiByte(CP_UTF8, 0, host, -1, host8, sizeof(host8), NULL, NULL) > 0);
	assert_int_equal(ferry_secret_from(&pw, "Helpdesk-Pw-1", 13), FERRY_OK);
	/* The computer name as the domain of a local account, as Microsoft's samples pass it. */
	assert_int_equal(kerb_logon_pack(&want, type, host8, "ferry-helpdesk", pw), FERRY_OK);
	assert_int_equal(cs->cbSerialization, want->len);
	assert_memory_equal(cs->rgbSerialization, want->data, want->len);
	ferry_secret_free(pw);
	ferry_secret_free(want);
}

/* The UNICODE_STRING at `off` of a KERB_INTERACTIVE_UNLOCK_LOGON, as text. */
static bool kerb_string_is(const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, size_t off,
			   const wchar_t *want)
{
	const uint8_t *b = cs->rgbSerialization;
	uint16_t len = (uint16_t)(b[off] | b[off + 1] << 8);
	uint64_t at = 0;

	for (int i = 7; i >= 0; i--)
		at = at << 8 | b[off + 8 + (size_t)i];
	return at + len <= cs->cbSerialization && len == wcslen(want) * 2 &&
	       !memcmp(b + at, want, len);
}

/*
 * The fallback tile signs in HOST\ferry-helpdesk, the name the hint gave,
 * whatever is typed. Through COM where the Negotiate package exists (the
 * password is CredProtect'ed there, so the account is checked field by
 * field); under Wine, which has no Negotiate LSA package, the tile must
 * degrade (error status, no credential, retryable, password wiped) and the
 * bytes are checked through cp_fallback_serialize, which GetSerialization
 * hands them from.
 */
static void check_fallback(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, enum kerb_submit_type type)
{
	ICredentialProvider *p = provider_for(cpus);
	ICredentialProviderCredential *c;
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
	NTSTATUS st = 0;
	ULONG package = negotiate_id(&st);
	struct submit s;

	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_v1(c);
	assert_string(c, FID_ACCOUNT, helpdesk_label);
	assert_string(c, FID_TITLE, L"Service desk sign-in");
	assert_state(c, FID_PASSWORD, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_FOCUSED);
	/* A label: typing CORP\alice changes nothing. */
	assert_int_equal(c->lpVtbl->SetStringValue(c, FID_ACCOUNT, L"CORP\\alice"), E_INVALIDARG);
	assert_string(c, FID_ACCOUNT, helpdesk_label);
	{
		void *k = NULL;

		/* Only the cache tile is connectable: the fallback logs on at once. */
		assert_int_equal(c->lpVtbl->QueryInterface(
					 c, &CP_IID_IConnectableCredentialProviderCredential, &k),
				 E_NOINTERFACE);
	}
	submit(c, L"Helpdesk-Pw-1", &s);
	assert_int_equal(s.hr, S_OK);
	if (st == 0) {
		assert_int_equal(s.resp, CPGSR_RETURN_CREDENTIAL_FINISHED);
		assert_int_equal(s.cs.ulAuthenticationPackage, package);
		assert_true(kerb_string_is(&s.cs, 8, host));
		assert_true(kerb_string_is(&s.cs, 24, L"ferry-helpdesk"));
	} else {
		print_message("LsaLookupAuthenticationPackage(Negotiate) = 0x%08lx here (Wine has "
			      "no Negotiate LSA package): checking the degraded tile, and the "
			      "bytes through cp_fallback_serialize\n",
			      (unsigned long)st);
		assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
		assert_int_equal(s.icon, CPSI_ERROR);
		assert_non_null(s.status);
		assert_int_equal(s.cs.cbSerialization, 0);
		assert_null(s.cs.rgbSerialization);
		package = 0x4e45474f; /* any id: it is carried, not interpreted */
	}
	assert_string(c, FID_PASSWORD, L"");
	submit_free(&s);
	assert_int_equal(cp_fallback_serialize(&cs, package, cpus, host, L"ferry-helpdesk",
					       L"Helpdesk-Pw-1"),
			 S_OK);
	expect_packed(&cs, package, type);
	CoTaskMemFree(cs.rgbSerialization);
	assert_int_equal(cp_fallback_serialize(&cs, package, cpus, L"CORP", L"CORP\\alice", L"x"),
			 E_INVALIDARG);
	assert_null(cs.rgbSerialization);
	c->lpVtbl->Release(c);
	release_provider(p);
}

static void test_credprov_tiles__fallback_serialization(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_NONE, "", "", "", 0, "");
	struct sim_server *srv = sim_server_start(pipe_name, &e);

	(void)state;
	reg_set_sz(STATE_KEY, L"FallbackAccount", L"ferry-helpdesk");
	check_fallback(CPUS_LOGON, KERB_SUBMIT_INTERACTIVE);
	check_fallback(CPUS_UNLOCK_WORKSTATION, KERB_SUBMIT_WORKSTATION_UNLOCK);
	sim_server_stop(srv);
}

/* No service at all: each experience degrades as specified, within 1 s. */
static void test_credprov_tiles__no_service(void **state)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct fake_provider_events pe;
	HRESULT hr;

	(void)state;
	phase_worst_ms = 0;
	fake_provider_events_init(&pe);
	/* No migration: nothing to say. */
	p = provider_for(CPUS_LOGON);
	assert_int_equal(tile_count(p), 0);
	release_provider(p);

	/* A migration runs: "service unavailable", texts built in. */
	set_migrating(1);
	p = provider_for(CPUS_LOGON);
	TIMED(hr, p->lpVtbl->Advise(p, &pe.iface, 1));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_string(c, FID_TITLE, L"Waiting for the migration service");
	assert_state(c, FID_ACCOUNT, CPFS_HIDDEN, CPFIS_NONE);
	assert_state(c, FID_SUBMIT, CPFS_HIDDEN, CPFIS_NONE);
	c->lpVtbl->Release(c);
	release_provider(p);

	/* Helpdesk still gets in. */
	reg_set_sz(STATE_KEY, L"FallbackAccount", L"ferry-helpdesk");
	p = provider_for(CPUS_LOGON);
	assert_int_equal(tile_count(p), 2);
	c = tile_at(p, 1);
	assert_string(c, FID_ACCOUNT, helpdesk_label);
	c->lpVtbl->Release(c);
	release_provider(p);
	assert_int_equal(pe.refs, 1);
	fake_provider_events_fini(&pe);
	phase_report("no service (no pipe)");
}

/* A service that accepts and never answers: still within 1 s, and degraded. */
static void test_credprov_tiles__hung_service(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_CREDENTIALS, "Sign in", "Text",
					     "TARGET\\jdoe", 0, "");
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct fake_provider_events pe;
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct submit s;
	HRESULT hr;

	(void)state;
	phase_worst_ms = 0;
	fake_provider_events_init(&pe);
	set_migrating(1);
	sim_server_set_modes(srv, SIM_HANG, SIM_HANG);
	p = provider_for(CPUS_LOGON);
	TIMED(hr, p->lpVtbl->Advise(p, &pe.iface, 1));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_string(c, FID_TITLE, L"Waiting for the migration service");
	c->lpVtbl->Release(c);
	release_provider(p); /* UnAdvise cancels the hanging subscribe at once */

	/* The experience answers, cache_credentials hangs: the submit gives up in time. */
	sim_server_set_modes(srv, SIM_ANSWER, SIM_HANG);
	p = provider_for(CPUS_LOGON);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	submit(c, L"Pa55word!", &s);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	assert_int_equal(s.icon, CPSI_WARNING);
	assert_non_null(wcsstr(s.status, L"did not answer in time"));
	assert_string(c, FID_PASSWORD, L"");
	submit_free(&s);
	c->lpVtbl->Release(c);
	release_provider(p);
	fake_provider_events_fini(&pe);
	sim_server_stop(srv);
	phase_report("hung service (accepts, never answers)");
}

/* Issue 15, finding 7: a user's pipe squatting the service's name while the
 * service is down gets nothing from LogonUI's tile (no request, no typed
 * password) and none of its texts are shown: the tile says the service is
 * unavailable (ferrycp.dll's pipe client runs wu_pipe_server_verify). */
static void test_credprov_tiles__squatter_gets_nothing(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_CREDENTIALS, "Squatter's title",
					     "Type your password here", "TARGET\\jdoe", 0, "");
	struct sim_server *srv = sim_server_start_as(pipe_name, &e, false);
	struct fake_provider_events pe;
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct sim_seen seen;
	HRESULT hr;

	(void)state;
	phase_worst_ms = 0;
	fake_provider_events_init(&pe);
	set_migrating(1);
	p = provider_for(CPUS_LOGON);
	TIMED(hr, p->lpVtbl->Advise(p, &pe.iface, 1));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_string(c, FID_TITLE, L"Waiting for the migration service");
	assert_state(c, FID_PASSWORD, CPFS_HIDDEN, CPFIS_NONE);
	c->lpVtbl->Release(c);
	release_provider(p);
	fake_provider_events_fini(&pe);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_get + seen.n_subscribe + seen.n_cache, 0);
	sim_server_stop(srv);
	phase_report("squatter (refused before any byte)");
}

/* The cache tile for `account` with the scripted service; *p and *c for the caller. */
static struct sim_server *cache_tile(const char *account, ICredentialProvider **p,
				     ICredentialProviderCredential **c)
{
	struct ipc_experience e = experience(IPC_SCREEN_CREDENTIALS, "Sign in", "Text", account, 0,
					     "");
	struct sim_server *srv = sim_server_start(pipe_name, &e);

	*p = provider_for(CPUS_LOGON);
	assert_int_equal(tile_count(*p), 1);
	*c = tile_at(*p, 0);
	return srv;
}

/* A UPN with an alternate suffix goes whole, with an empty domain (LogonUser
 * wants lpszDomain NULL for a UPN). */
static void test_credprov_tiles__upn_goes_with_no_domain(void **state)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct sim_server *srv = cache_tile("jdoe@alt.example", &p, &c);
	struct sim_seen seen;
	struct submit s;
	struct fake_qc q;

	(void)state;
	assert_string(c, FID_ACCOUNT, L"jdoe@alt.example");
	connect_submit(c, L"Pa55word!", 0, &q, &s);
	assert_int_equal(s.icon, CPSI_SUCCESS);
	sim_server_seen(srv, &seen);
	assert_string_equal(seen.user, "jdoe@alt.example");
	assert_string_equal(seen.domain, "");
	submit_free(&s);
	c->lpVtbl->Release(c);
	release_provider(p);
	sim_server_stop(srv);
}

/* A logon through a trust that takes 10 s finishes in Connect, which says
 * how long it has waited; GetSerialization then reports the real outcome. */
static void test_credprov_tiles__slow_check_finishes_in_connect(void **state)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct sim_server *srv = cache_tile("TARGET\\jdoe", &p, &c);
	struct submit s;
	struct fake_qc q;
	double ms;

	(void)state;
	sim_server_set_cache_delay(srv, 10000);
	ms = connect_submit(c, L"Pa55word!", 0, &q, &s);
	print_message("Connect: %.0f ms for a 10 s check, %u status lines, last \"%ls\"\n", ms,
		      q.messages, q.last);
	assert_true(ms >= 9900.0 && ms < 15000.0);
	assert_true(q.messages >= 9);
	assert_non_null(wcsstr(q.last, L"Checking"));
	assert_int_equal(s.icon, CPSI_SUCCESS);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
	submit_free(&s);
	c->lpVtbl->Release(c);
	release_provider(p);
	sim_server_stop(srv);
}

/* The user cancels a slow check: Connect returns at once and says so. */
static void test_credprov_tiles__connect_cancels(void **state)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct sim_server *srv = cache_tile("TARGET\\jdoe", &p, &c);
	struct submit s;
	struct fake_qc q;
	double ms;

	(void)state;
	sim_server_set_cache_delay(srv, 10000);
	ms = connect_submit(c, L"Pa55word!", 1000, &q, &s);
	print_message("Connect cancelled after %.0f ms\n", ms);
	assert_true(ms >= 900.0 && ms < 2500.0);
	assert_non_null(wcsstr(s.status, L"Cancelled"));
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	submit_free(&s);
	c->lpVtbl->Release(c);
	release_provider(p);
	sim_server_stop(srv);
}

/* Locked: the next attempt waits (the limiter is process-wide, so this case
 * runs last: a rebuilt tile must not reset it). */
static void test_credprov_tiles__rate_limit_after_locked(void **state)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct sim_server *srv = cache_tile("TARGET\\jdoe", &p, &c);
	struct sim_seen seen;
	struct submit s;
	struct fake_qc q;

	(void)state;
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_LOCKED);
	connect_submit(c, L"Pa55word!", 0, &q, &s);
	assert_non_null(wcsstr(s.status, L"locked"));
	submit_free(&s);
	c->lpVtbl->Release(c);
	release_provider(p);
	p = provider_for(CPUS_LOGON);
	c = tile_at(p, 0);
	connect_submit(c, L"Pa55word!", 0, &q, &s);
	assert_non_null(wcsstr(s.status, L"Too many attempts"));
	assert_int_equal(s.icon, CPSI_WARNING);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_cache, 1); /* the second never reached the service */
	submit_free(&s);
	c->lpVtbl->Release(c);
	release_provider(p);
	sim_server_stop(srv);
}

static int setup(void **state)
{
	(void)state;
	clear_state();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clear_state();
	/* Every object of every case is gone: the DLL may be unloaded. */
	return can_unload_soon() == S_OK ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	DWORD n = MAX_COMPUTERNAME_LENGTH + 1;

	if (!cp_dll_load(&cp) || !GetComputerNameW(host, &n))
		return -1;
	swprintf(helpdesk_label, MAX_COMPUTERNAME_LENGTH + 32, L"%ls\\ferry-helpdesk", host);
	swprintf(pipe_name, 96, L"\\\\.\\pipe\\Ferry.Sim.%lu", (unsigned long)GetCurrentProcessId());
	reg_set_sz(FERRY_KEY, L"PipeName", pipe_name);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	reg_del(FERRY_KEY, L"PipeName");
	clear_state();
	print_message("worst LogonUI-thread call: %.1f ms (%s)\n", worst_ms, worst_call);
	cp_dll_free(&cp);
	return 0;
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_credprov_tiles__field_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__scenarios, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__cache_credentials_round_trip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__progress_refreshes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__fallback_serialization, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__no_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__hung_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__squatter_gets_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__upn_goes_with_no_domain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__slow_check_finishes_in_connect,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__connect_cancels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credprov_tiles__rate_limit_after_locked, setup,
						teardown),
	};
	return cmocka_run_group_tests_name("logonui_sim", tests, group_setup, group_teardown);
}
