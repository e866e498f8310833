/*
 * ferrycp.dll's cache-credentials tile through the LogonUI harness
 * (logonui_sim/tile_harness.h): its fields and image, the submit round trip
 * through Connect and every outcome the service reports, the UPN form, a
 * slow check finishing in Connect or cancelled there, and the rate limit
 * after a locked account.
 */
#include <windows.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include <stdbool.h>

#include "cp_guids.h"
#include "draw/draw.h"
#include "logonui_sim/sim_fakes.h"
#include "logonui_sim/sim_server.h"
#include "logonui_sim/tile_harness.h"
#include "util/mem.h"

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

/*
 * The cache tile for TARGET\\jdoe against a service whose check takes 10 s,
 * submitted through Connect with LogonUI saying "stop" after cancel_after_ms
 * (0: never); Connect's time in ms, *q and *s as connect_submit left them.
 */
static double slow_check(DWORD cancel_after_ms, struct fake_qc *q, struct submit *s)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct sim_server *srv = cache_tile("TARGET\\jdoe", &p, &c);
	double ms;

	sim_server_set_cache_delay(srv, 10000);
	ms = connect_submit(c, L"Pa55word!", cancel_after_ms, q, s);
	c->lpVtbl->Release(c);
	release_provider(p);
	sim_server_stop(srv);
	return ms;
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
	struct submit s;
	struct fake_qc q;
	double ms;

	(void)state;
	ms = slow_check(0, &q, &s);
	print_message("Connect: %.0f ms for a 10 s check, %u status lines, last \"%ls\"\n", ms,
		      q.messages, q.last);
	assert_true(ms >= 9900.0 && ms < 15000.0);
	assert_true(q.messages >= 9);
	assert_non_null(wcsstr(q.last, L"Checking"));
	assert_int_equal(s.icon, CPSI_SUCCESS);
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_FINISHED);
	submit_free(&s);
}

/* The user cancels a slow check: Connect returns at once and says so. */
static void test_credprov_tiles__connect_cancels(void **state)
{
	struct submit s;
	struct fake_qc q;
	double ms;

	(void)state;
	ms = slow_check(1000, &q, &s);
	print_message("Connect cancelled after %.0f ms\n", ms);
	assert_true(ms >= 900.0 && ms < 2500.0);
	assert_non_null(wcsstr(s.status, L"Cancelled"));
	assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
	submit_free(&s);
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


int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		TILES_TEST(test_credprov_tiles__cache_credentials_round_trip),
		TILES_TEST(test_credprov_tiles__upn_goes_with_no_domain),
		TILES_TEST(test_credprov_tiles__slow_check_finishes_in_connect),
		TILES_TEST(test_credprov_tiles__connect_cancels),
		TILES_TEST(test_credprov_tiles__rate_limit_after_locked),
	};
	return cmocka_run_group_tests_name("credprov_tiles_cache", tests, tiles_group_setup,
					   tiles_group_teardown);
}
