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
#define FID_USER 5
#define FID_PASSWORD 6
#define FID_SUBMIT 7
#define FID_STATUS 8
#define FID_COUNT 9

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

static ICredentialProviderCredential2 *tile_at(ICredentialProvider *p, DWORD i)
{
	ICredentialProviderCredential *c = NULL;
	ICredentialProviderCredential2 *c2 = NULL;
	HRESULT hr;

	TIMED(hr, p->lpVtbl->GetCredentialAt(p, i, &c));
	assert_int_equal(hr, S_OK);
	assert_int_equal(c->lpVtbl->QueryInterface(c, &CP_IID_ICredentialProviderCredential2,
						   (void **)&c2),
			 S_OK);
	c->lpVtbl->Release(c);
	return c2;
}

static void assert_string(ICredentialProviderCredential2 *c, DWORD id, const wchar_t *want)
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

static void assert_state(ICredentialProviderCredential2 *c, DWORD id,
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
	assert_int_equal(cp.can_unload(), S_OK);
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

static void submit(ICredentialProviderCredential2 *c, const wchar_t *password, struct submit *s)
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

/* --- the cases -------------------------------------------------------------- */

static const CREDENTIAL_PROVIDER_FIELD_TYPE want_types[FID_COUNT] = {
	CPFT_TILE_IMAGE, CPFT_LARGE_TEXT,     CPFT_SMALL_TEXT,	  CPFT_SMALL_TEXT, CPFT_SMALL_TEXT,
	CPFT_EDIT_TEXT,	 CPFT_PASSWORD_TEXT, CPFT_SUBMIT_BUTTON, CPFT_SMALL_TEXT,
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
		if (i == FID_USER)
			assert_true(IsEqualGUID(&d->guidFieldType, &CP_FIELD_LOGON_USERNAME));
		if (i == FID_PASSWORD)
			assert_true(IsEqualGUID(&d->guidFieldType, &CP_FIELD_LOGON_PASSWORD));
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

/* Cache credentials: fields, strings, image, the submit round trip and its outcomes. */
static void check_cache_tile_fields(ICredentialProviderCredential2 *c)
{
	ICredentialProviderCredentialWithFieldOptions *o = NULL;
	CREDENTIAL_PROVIDER_CREDENTIAL_FIELD_OPTIONS opt = CPCFO_NONE;
	HBITMAP got = NULL, want = NULL;
	ferry_err drawn;
	LPWSTR sid = (LPWSTR)1;
	HRESULT hr;

	assert_string(c, FID_TITLE, L"Sign in with your new account");
	assert_string(c, FID_TEXT, L"Type the password of TARGET\\jdoe once.");
	assert_string(c, FID_USER, L"TARGET\\jdoe");
	assert_string(c, FID_STATUS, L"");
	assert_state(c, FID_USER, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE);
	assert_state(c, FID_PASSWORD, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_FOCUSED);
	assert_state(c, FID_SUBMIT, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE);
	assert_state(c, FID_PHASE, CPFS_HIDDEN, CPFIS_NONE);
	assert_state(c, FID_TITLE, CPFS_DISPLAY_IN_BOTH, CPFIS_NONE);
	assert_int_equal(c->lpVtbl->GetUserSid(c, &sid), S_FALSE);
	assert_null(sid);
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
	TIMED(hr, c->lpVtbl->GetBitmapValue(c, FID_IMAGE, &got));
	if (drawn == FERRY_OK) {
		HBITMAP plain = NULL;

		assert_int_equal(hr, S_OK);
		assert_non_null(got);
		assert_int_equal(draw_tile_image(&plain, NULL, NULL), FERRY_OK);
		check_tile_image_has_qr(got, want, plain);
		DeleteObject(plain);
		DeleteObject(got);
		DeleteObject(want);
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
	ICredentialProviderCredential2 *c;
	struct fake_provider_events pe;
	struct fake_cred_events ce;
	struct fake_user_array ua;
	struct sim_seen seen;
	struct submit s;
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

	/* Accepted: the service saw exactly what was typed; the tile says so. */
	submit(c, L"Pa55word!", &s);
	assert_int_equal(s.hr, S_OK);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
	assert_int_equal(s.icon, CPSI_SUCCESS);
	assert_int_equal(s.cs.cbSerialization, 0);
	assert_non_null(s.status);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_cache, 1);
	assert_string_equal(seen.user, "jdoe");
	assert_string_equal(seen.domain, "TARGET");
	assert_string_equal(seen.password, "Pa55word!");
	assert_true(wcscmp(ce.field[FID_STATUS], s.status) == 0);
	assert_string(c, FID_STATUS, s.status);
	/* The password field was cleared after sending. */
	assert_true(ce.sets[FID_PASSWORD] >= 1);
	assert_true(ce.field[FID_PASSWORD][0] == L'\0');
	assert_string(c, FID_PASSWORD, L"");
	submit_free(&s);

	/* Refused: the reply the service sends for a wrong password (its own
	 * builder, ipc_reply_logon) shows core/ux's words and an error icon,
	 * never "could not check". */
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_WRONG_PASSWORD);
	submit(c, L"not-it", &s);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
	assert_int_equal(s.icon, CPSI_ERROR);
	assert_non_null(wcsstr(s.status, L"The user name or password is incorrect."));
	assert_non_null(wcsstr(s.status, L"try again"));
	assert_null(wcsstr(s.status, L"could not check"));
	submit_free(&s);

	/* No logon servers: the VPN sentence, as a warning. */
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_NO_SERVERS);
	submit(c, L"not-it", &s);
	assert_int_equal(s.icon, CPSI_WARNING);
	assert_non_null(wcsstr(s.status, L"VPN"));
	submit_free(&s);
	sim_server_set_cache_outcome(srv, LOGON_OUTCOME_WRONG_PASSWORD);

	/* Nothing typed: asked for, and nothing sent. */
	submit(c, L"", &s);
	assert_int_equal(s.icon, CPSI_WARNING);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_cache, 3);
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
	ICredentialProvider *p;
	ICredentialProviderCredential2 *c;
	struct submit s;
	HRESULT hr;

	(void)state;
	fake_provider_events_init(&pe);
	p = provider_for(CPUS_UNLOCK_WORKSTATION);
	TIMED(hr, p->lpVtbl->Advise(p, &pe.iface, 7));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_string(c, FID_TITLE, L"Migration in progress");
	assert_string(c, FID_PHASE, L"odj_import");
	assert_string(c, FID_PERCENT, L"40%");
	assert_state(c, FID_PERCENT, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_NONE);
	for (DWORD id = FID_USER; id <= FID_STATUS; id++)
		assert_state(c, id, CPFS_HIDDEN, CPFIS_NONE);
	/* No inputs: the tile has nothing to send. */
	submit(c, NULL, &s);
	assert_int_equal(s.hr, S_OK);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	submit_free(&s);
	c->lpVtbl->Release(c);

	/* The service moves on: the subscribe thread tells LogonUI. */
	e.percent = 80;
	snprintf(e.step, sizeof(e.step), "reacl");
	sim_server_set_experience(srv, &e);
	wait_changed(&pe);
	assert_int_equal(pe.last_ctx, 7);
	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_string(c, FID_PERCENT, L"80%");
	assert_string(c, FID_PHASE, L"reacl");
	c->lpVtbl->Release(c);

	/* Done: the tile goes. */
	e.screen = IPC_SCREEN_NONE;
	sim_server_set_experience(srv, &e);
	wait_changed(&pe);
	assert_int_equal(tile_count(p), 0);
	release_provider(p);
	assert_int_equal(pe.refs, 1);
	fake_provider_events_fini(&pe);
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

static void expect_packed(const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, ULONG package,
			  enum kerb_submit_type type)
{
	struct ferry_secret *pw = NULL, *want = NULL;

	assert_int_equal(cs->ulAuthenticationPackage, package);
	assert_true(IsEqualCLSID(&cs->clsidCredentialProvider, &CLSID_FerryProvider));
	assert_int_equal(ferry_secret_from(&pw, "Helpdesk-Pw-1", 13), FERRY_OK);
	assert_int_equal(kerb_logon_pack(&want, type, ".", "ferry-helpdesk", pw), FERRY_OK);
	assert_int_equal(cs->cbSerialization, want->len);
	assert_memory_equal(cs->rgbSerialization, want->data, want->len);
	ferry_secret_free(pw);
	ferry_secret_free(want);
}

/*
 * The fallback tile's serialization is kerb_logon_pack's, byte for byte.
 * Through COM where the Negotiate package exists; under Wine, which has no
 * Negotiate LSA package, the tile must degrade (error status, no
 * credential, password wiped) and the same bytes are checked through
 * cp_fallback_serialize, the function GetSerialization hands them from.
 */
static void check_fallback(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, enum kerb_submit_type type)
{
	ICredentialProvider *p = provider_for(cpus);
	ICredentialProviderCredential2 *c;
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
	NTSTATUS st = 0;
	ULONG package = negotiate_id(&st);
	struct submit s;

	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_string(c, FID_USER, L".\\ferry-helpdesk");
	assert_string(c, FID_TITLE, L"Service desk sign-in");
	assert_state(c, FID_PASSWORD, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_FOCUSED);
	submit(c, L"Helpdesk-Pw-1", &s);
	assert_int_equal(s.hr, S_OK);
	if (st == 0) {
		assert_int_equal(s.resp, CPGSR_RETURN_CREDENTIAL_FINISHED);
		expect_packed(&s.cs, package, type);
	} else {
		print_message("LsaLookupAuthenticationPackage(Negotiate) = 0x%08lx here (Wine has "
			      "no Negotiate LSA package): checking the degraded tile, and the "
			      "bytes through cp_fallback_serialize\n",
			      (unsigned long)st);
		assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
		assert_int_equal(s.icon, CPSI_ERROR);
		assert_non_null(s.status);
		assert_int_equal(s.cs.cbSerialization, 0);
		assert_null(s.cs.rgbSerialization);
		package = 0x4e45474f; /* any id: it is carried, not interpreted */
	}
	assert_string(c, FID_PASSWORD, L"");
	submit_free(&s);
	assert_int_equal(cp_fallback_serialize(&cs, package, cpus, L".\\ferry-helpdesk",
					       L"Helpdesk-Pw-1"),
			 S_OK);
	expect_packed(&cs, package, type);
	CoTaskMemFree(cs.rgbSerialization);
	assert_int_equal(cp_fallback_serialize(&cs, package, cpus, L"no-separator", L"x"),
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
	ICredentialProviderCredential2 *c;
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
	assert_state(c, FID_USER, CPFS_HIDDEN, CPFIS_NONE);
	assert_state(c, FID_SUBMIT, CPFS_HIDDEN, CPFIS_NONE);
	c->lpVtbl->Release(c);
	release_provider(p);

	/* Helpdesk still gets in. */
	reg_set_sz(STATE_KEY, L"FallbackAccount", L"ferry-helpdesk");
	p = provider_for(CPUS_LOGON);
	assert_int_equal(tile_count(p), 2);
	c = tile_at(p, 1);
	assert_string(c, FID_USER, L".\\ferry-helpdesk");
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
	ICredentialProviderCredential2 *c;
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
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
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
	ICredentialProviderCredential2 *c;
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
	return cp.can_unload() == S_OK ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	if (!cp_dll_load(&cp))
		return -1;
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
	};
	return cmocka_run_group_tests_name("logonui_sim", tests, group_setup, group_teardown);
}
