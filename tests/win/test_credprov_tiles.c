/*
 * ferrycp.dll's provider and its status tiles through the LogonUI harness
 * (logonui_sim/tile_harness.h): the field table, the usage scenarios, the
 * progress tile updating in place, and the waiting tile when the service is
 * absent, hung or impersonated. The cache-credentials tile is in
 * test_credprov_tiles_cache.c, the helpdesk tile in
 * test_credprov_tiles_fallback.c.
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

#include "cp_guids.h"
#include "logonui_sim/sim_fakes.h"
#include "logonui_sim/sim_server.h"
#include "logonui_sim/tile_harness.h"

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

/* A migration runs and the service does not serve: the provider, advised
 * with pe, shows one tile, "waiting for the service"; *c is that tile. */
static ICredentialProvider *waiting_tile(struct fake_provider_events *pe,
					 ICredentialProviderCredential **c)
{
	ICredentialProvider *p;
	HRESULT hr;

	set_migrating(1);
	p = provider_for(CPUS_LOGON);
	TIMED(hr, p->lpVtbl->Advise(p, &pe->iface, 1));
	assert_int_equal(hr, S_OK);
	assert_int_equal(tile_count(p), 1);
	*c = tile_at(p, 0);
	assert_string(*c, FID_TITLE, L"Waiting for the migration service");
	return p;
}

/* No service at all: each experience degrades as specified, within 1 s. */
static void test_credprov_tiles__no_service(void **state)
{
	ICredentialProvider *p;
	ICredentialProviderCredential *c;
	struct fake_provider_events pe;

	(void)state;
	phase_worst_ms = 0;
	fake_provider_events_init(&pe);
	/* No migration: nothing to say. */
	p = provider_for(CPUS_LOGON);
	assert_int_equal(tile_count(p), 0);
	release_provider(p);

	/* A migration runs: "service unavailable", texts built in. */
	p = waiting_tile(&pe, &c);
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

	(void)state;
	phase_worst_ms = 0;
	fake_provider_events_init(&pe);
	sim_server_set_modes(srv, SIM_HANG, SIM_HANG);
	p = waiting_tile(&pe, &c);
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

	(void)state;
	phase_worst_ms = 0;
	fake_provider_events_init(&pe);
	p = waiting_tile(&pe, &c);
	assert_state(c, FID_PASSWORD, CPFS_HIDDEN, CPFIS_NONE);
	c->lpVtbl->Release(c);
	release_provider(p);
	fake_provider_events_fini(&pe);
	sim_server_seen(srv, &seen);
	assert_int_equal(seen.n_get + seen.n_subscribe + seen.n_cache, 0);
	sim_server_stop(srv);
	phase_report("squatter (refused before any byte)");
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		TILES_TEST(test_credprov_tiles__field_table),
		TILES_TEST(test_credprov_tiles__scenarios),
		TILES_TEST(test_credprov_tiles__progress_refreshes),
		TILES_TEST(test_credprov_tiles__no_service),
		TILES_TEST(test_credprov_tiles__hung_service),
		TILES_TEST(test_credprov_tiles__squatter_gets_nothing),
	};
	return cmocka_run_group_tests_name("credprov_tiles", tests, tiles_group_setup,
					   tiles_group_teardown);
}
