/*
 * ferrycp.dll on the logon screen, state by state of a migration, through
 * the LogonUI model (logonui_sim/logonui_model.h: each rule names its
 * Microsoft page). For every state it asserts:
 *   - the helpdesk has a usable way in (Ferry's fallback tile where LogonUI
 *     would show it, or the password provider);
 *   - while the lease is held at logon, no account but the fallback can be
 *     signed in: the password provider is filtered out and no visible Ferry
 *     tile takes a typed account (CORP\alice never reaches a serialization);
 *   - the locked user can unlock (the filter never hides at unlock).
 *
 * What Wine cannot show is modelled, not faked: a real LogonUI's placing
 * of tiles (the model), the Negotiate package (Wine has none: the fallback
 * tile's GetSerialization degrades, and the account it would send is
 * checked where it is fixed, its label and cp_fallback_serialize's bytes),
 * and a real logon (docs/windows-test-plan.md).
 */
#include <windows.h>
#include <lm.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "cp_dll_load.h"
#include "logonui_sim/sim_account.h"
#include "cp_guids.h"
#include "cpapi.h"
#include "logonui_sim/logonui_model.h"
#include "logonui_sim/sim_fakes.h"
#include "logonui_sim/sim_server.h"
#include "ux/kerb_logon.h"

#define STATE_KEY L"SOFTWARE\\Ferry\\State"
#define FERRY_KEY L"SOFTWARE\\Ferry"
#define HELPDESK L"ferry-helpdesk"
#define ALICE_SID L"S-1-5-21-1004336348-1177238915-682003330-1104"
#define FID_ACCOUNT 5
#define FID_PASSWORD 6
#define FID_COUNT 11

static struct cp_dll cp;
static wchar_t pipe_name[96];
static wchar_t helpdesk_account[64]; /* HOST\ferry-helpdesk */

/* --- the machine's registry hints ----------------------------------------- */

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

/* The lease, `secs` from now (negative: lapsed). */
static void set_lease(long long secs)
{
	FILETIME ft;
	uint64_t v;

	GetSystemTimeAsFileTime(&ft);
	v = ((uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime) + (uint64_t)(secs * 10000000LL);
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginUntil",
					 REG_QWORD, &v, sizeof(v)),
			 ERROR_SUCCESS);
}

static void set_hint(const wchar_t *name)
{
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackAccount", REG_SZ,
					 name, (DWORD)((wcslen(name) + 1) * sizeof(wchar_t))),
			 ERROR_SUCCESS);
}

static void set_migrating(void)
{
	DWORD one = 1;

	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"MigrationRunning",
					 REG_DWORD, &one, sizeof(one)),
			 ERROR_SUCCESS);
}

/* A migration running, the lease held for an hour, the fallback account named. */
static void migration_under_lease(void)
{
	set_lease(3600);
	set_hint(HELPDESK);
	set_migrating();
}

static struct ipc_experience experience(enum ipc_screen screen, uint32_t percent)
{
	struct ipc_experience e;

	memset(&e, 0, sizeof(e));
	e.generation = 1;
	e.screen = screen;
	e.percent = percent;
	snprintf(e.title, sizeof(e.title), "%s",
		 screen == IPC_SCREEN_CREDENTIALS ? "Sign in with your new account" :
						    "Migration in progress");
	snprintf(e.body, sizeof(e.body), "Please wait.");
	snprintf(e.target_user, sizeof(e.target_user), "TARGET\\jdoe");
	snprintf(e.step, sizeof(e.step), "odj_import");
	return e;
}

/* --- what every state must give -------------------------------------------- */

static bool lease_blocks(const struct lui_machine *m, bool lease_held)
{
	return lease_held && m->cpus == CPUS_LOGON;
}

/* The helpdesk has a usable way in: Ferry's fallback tile shown, or the password provider. */
static void assert_helpdesk_way_in(const struct lui_screen *s, const struct lui_machine *m)
{
	const struct lui_way *fb = lui_ferry_account(s, helpdesk_account);

	if (fb)
		print_message("  helpdesk: Ferry's fallback tile (%s)\n",
			      fb->place == LUI_OWN_TILE ? "a tile of its own" : "grouped");
	else if (s->password_provider_allowed && lui_password_way(s, m, NULL))
		print_message("  helpdesk: the password provider\n");
	else
		fail_msg("the helpdesk has no way in");
}

/*
 * No visible Ferry tile takes a typed account: every field but the password
 * refuses "CORP\alice", the account labels stay what they were, and a tile
 * that returns a serialization returns the fallback account's.
 */
static void assert_no_typed_account(struct lui_screen *s, struct sim_server *srv)
{
	for (size_t i = 0; i < s->n; i++) {
		ICredentialProviderCredential *c = s->ways[i].cred;
		CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE resp;
		CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
		CREDENTIAL_PROVIDER_STATUS_ICON icon;
		LPWSTR before = NULL, after = NULL, status = NULL;
		struct sim_seen seen;

		if (!s->ways[i].ferry)
			continue;
		assert_int_equal(c->lpVtbl->GetStringValue(c, FID_ACCOUNT, &before), S_OK);
		for (DWORD id = 0; id < FID_COUNT; id++)
			if (id != FID_PASSWORD)
				assert_int_equal(c->lpVtbl->SetStringValue(c, id, L"CORP\\alice"),
						 E_INVALIDARG);
		assert_int_equal(c->lpVtbl->GetStringValue(c, FID_ACCOUNT, &after), S_OK);
		assert_true(wcscmp(before, after) == 0);
		c->lpVtbl->SetStringValue(c, FID_PASSWORD, L"alice-Pw-1");
		memset(&cs, 0, sizeof(cs));
		assert_int_equal(c->lpVtbl->GetSerialization(c, &resp, &cs, &status, &icon), S_OK);
		if (cs.rgbSerialization) {
			/* Windows: the fallback account's logon, never alice's. */
			assert_true(lui_ferry_account(s, after) != NULL);
			assert_true(!wcscmp(after, helpdesk_account));
			CoTaskMemFree(cs.rgbSerialization);
		}
		if (srv) {
			sim_server_seen(srv, &seen);
			assert_true(seen.n_cache == 0 || strcmp(seen.user, "alice") != 0);
			assert_true(seen.n_cache == 0 || strcmp(seen.domain, "CORP") != 0);
		}
		CoTaskMemFree(status);
		CoTaskMemFree(before);
		CoTaskMemFree(after);
	}
}

/* One state: show, check, close. */
static void check_state(const char *name, const struct lui_machine *m, bool lease_held,
			struct sim_server *srv)
{
	struct lui_screen s;

	print_message("%s:\n", name);
	lui_show(&s, m, &cp);
	assert_helpdesk_way_in(&s, m);
	if (lease_blocks(m, lease_held)) {
		assert_false(s.password_provider_allowed);
		assert_no_typed_account(&s, srv);
	}
	if (m->cpus == CPUS_UNLOCK_WORKSTATION && m->owner_sid) {
		assert_true(s.password_provider_allowed);
		assert_true(lui_password_way(&s, m, m->owner_sid));
	}
	lui_close(&s);
}

static struct lui_machine joined(void)
{
	struct lui_machine m = { .cpus = CPUS_LOGON, .domain_joined = true };

	m.users[0] = ALICE_SID;
	m.n_users = 1;
	return m;
}

/* --- the states -------------------------------------------------------------- */

static void test_credprov_logonui__before_migration(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_CREDENTIALS, 0);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();
	struct lui_screen s;

	(void)state;
	check_state("before (cache prompt, no lease, no fallback)", &m, false, srv);
	/* The cache tile is a tile of its own (R3), for the runbook's account. */
	lui_show(&s, &m, &cp);
	assert_true(s.password_provider_allowed);
	assert_non_null(lui_ferry_account(&s, L"TARGET\\jdoe"));
	assert_int_equal(lui_ferry_account(&s, L"TARGET\\jdoe")->place, LUI_OWN_TILE);
	assert_null(lui_ferry_account(&s, helpdesk_account)); /* no hint, no tile */
	lui_close(&s);
	sim_server_stop(srv);
}

static void test_credprov_logonui__startup_with_lease(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 10);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();
	struct lui_screen s;
	size_t under_alice = 0;

	(void)state;
	migration_under_lease();
	check_state("startup with the lease (domain-joined)", &m, true, srv);
	lui_show(&s, &m, &cp);
	assert_int_equal(lui_ferry_account(&s, helpdesk_account)->place, LUI_OWN_TILE);
	/* The progress shows under alice's own tile too (R2). */
	for (size_t i = 0; i < s.n; i++)
		under_alice += s.ways[i].ferry && s.ways[i].place == LUI_USER_TILE &&
			       !wcscmp(s.ways[i].sid, ALICE_SID);
	assert_int_equal(under_alice, 1);
	lui_close(&s);
	sim_server_stop(srv);
}

static void test_credprov_logonui__after_unjoin_workgroup(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 40);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = { .cpus = CPUS_LOGON, .domain_joined = false };
	struct lui_screen s;

	(void)state;
	migration_under_lease();
	check_state("after unjoin (workgroup: no \"Other user\" tile)", &m, true, srv);
	lui_show(&s, &m, &cp);
	/* R1: an "Other user" credential would have nowhere to show here. */
	assert_false(s.other_user_tile);
	assert_non_null(lui_ferry_account(&s, helpdesk_account));
	lui_close(&s);
	/* The same with DontDisplayLastUserName and HideFastUserSwitching. */
	m.dont_display_last_user = true;
	m.hide_fast_user_switching = true;
	check_state("after unjoin, DontDisplayLastUserName + HideFastUserSwitching", &m, true, srv);
	sim_server_stop(srv);
}

static void test_credprov_logonui__after_odj(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 70);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();

	(void)state;
	migration_under_lease();
	m.n_users = 0; /* the target domain's users have not signed in here yet */
	check_state("after ODJ (joined to the target, reboot pending)", &m, true, srv);
	sim_server_stop(srv);
}

static void test_credprov_logonui__after_completion(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_NONE, 100);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();
	struct lui_screen s;

	(void)state;
	set_hint(HELPDESK); /* the account stays until its deletion delay */
	check_state("after completion (lease cleared)", &m, false, srv);
	lui_show(&s, &m, &cp);
	assert_true(s.password_provider_allowed);
	assert_true(lui_password_way(&s, &m, ALICE_SID)); /* alice signs in with her account */
	lui_close(&s);
	/* Deleted: the hint is cleared with it, and the tile goes. */
	reg_del(STATE_KEY, L"FallbackAccount");
	lui_show(&s, &m, &cp);
	assert_null(lui_ferry_account(&s, helpdesk_account));
	lui_close(&s);
	sim_server_stop(srv);
}

/* R4: each enumeration asks the filter again; a lapsed lease hides nothing. */
static void test_credprov_logonui__lease_lapsed(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 50);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();
	struct lui_screen s;

	(void)state;
	set_hint(HELPDESK);
	set_migrating();
	set_lease(3600);
	lui_show(&s, &m, &cp);
	assert_false(s.password_provider_allowed);
	lui_close(&s);
	set_lease(-60);
	check_state("lease lapsed (next enumeration)", &m, false, srv);
	lui_show(&s, &m, &cp);
	assert_true(s.password_provider_allowed);
	lui_close(&s);
	sim_server_stop(srv);
}

static void test_credprov_logonui__service_dead(void **state)
{
	struct lui_machine m = joined();
	struct lui_screen s;

	(void)state;
	migration_under_lease();
	check_state("service dead (no pipe)", &m, true, NULL);
	lui_show(&s, &m, &cp);
	assert_true(s.n >= 2); /* "waiting for the service" and the fallback tile */
	assert_int_equal(lui_ferry_account(&s, helpdesk_account)->place, LUI_OWN_TILE);
	lui_close(&s);
}

static void test_credprov_logonui__dll_load_failure(void **state)
{
	struct lui_machine m = joined();
	struct lui_screen s;

	(void)state;
	set_lease(3600);
	set_hint(HELPDESK);
	m.ferry_fails_to_load = true; /* and so does its filter (R4) */
	lui_show(&s, &m, &cp);
	assert_true(s.password_provider_allowed);
	assert_true(lui_password_way(&s, &m, NULL));
	lui_close(&s);
	check_state("ferrycp.dll fails to load", &m, false, NULL);
}

/* The filter's other inputs: any one missing shows every provider. */
static void test_credprov_logonui__filter_needs_provider_and_fallback(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 20);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();
	struct lui_screen s;

	(void)state;
	set_lease(3600);
	set_migrating();
	set_hint(L"no-such-account"); /* the hint names an account that does not exist */
	lui_show(&s, &m, &cp);
	assert_true(s.password_provider_allowed);
	lui_close(&s);
	set_hint(HELPDESK);
	m.ferry_disabled = true; /* Ferry's provider excluded by policy */
	lui_show(&s, &m, &cp);
	assert_true(s.password_provider_allowed);
	assert_int_equal(s.n, 2); /* alice's tile and "Other user": no Ferry tile */
	lui_close(&s);
	sim_server_stop(srv);
}

/* R6: the locked user unlocks, lease or not; the filter never hides at unlock. */
static void test_credprov_logonui__locked_user_unlocks(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 30);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();

	(void)state;
	migration_under_lease();
	m.cpus = CPUS_UNLOCK_WORKSTATION;
	m.owner_sid = ALICE_SID;
	check_state("locked session, lease held", &m, true, srv);
	m.hide_fast_user_switching = true;
	m.domain_joined = false;
	check_state("locked session, workgroup, HideFastUserSwitching", &m, true, srv);
	sim_server_stop(srv);
}

/* R7: a new percentage changes the field in place; LogonUI does not enumerate again. */
static void test_credprov_logonui__progress_updates_in_place(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_PROGRESS, 10);
	struct sim_server *srv = sim_server_start(pipe_name, &e);
	struct lui_machine m = joined();
	struct fake_cred_events ce;
	struct lui_screen s;
	ICredentialProviderCredential *first, *again = NULL;
	wchar_t got[64] = L"";

	(void)state;
	migration_under_lease();
	fake_cred_events_init(&ce);
	lui_show(&s, &m, &cp);
	/* The password provider is filtered out: Ferry's progress tile comes first. */
	assert_false(s.password_provider_allowed);
	first = s.ways[0].cred;
	assert_true(s.ways[0].ferry && s.ways[0].place == LUI_OWN_TILE);
	assert_int_equal(first->lpVtbl->Advise(first, &ce.iface), S_OK);
	e.percent = 55;
	e.generation = 2;
	sim_server_set_experience(srv, &e);
	for (int i = 0; i < 100 && wcscmp(got, L"55%"); i++) {
		Sleep(50);
		fake_cred_events_field(&ce, 4, got, 64);
	}
	assert_true(wcscmp(got, L"55%") == 0);
	assert_int_equal(s.pe.changed, 0); /* no CredentialsChanged: no rebuild */
	assert_int_equal(s.ferry->lpVtbl->GetCredentialAt(s.ferry, 0, &again), S_OK);
	assert_ptr_equal(again, first); /* the same tile: what was typed stays */
	again->lpVtbl->Release(again);
	/* A different screen does change the set: LogonUI is told. */
	e.screen = IPC_SCREEN_NONE;
	e.generation = 3;
	sim_server_set_experience(srv, &e);
	if (WaitForSingleObject(s.pe.signal, 5000) != WAIT_OBJECT_0)
		fail_msg("no CredentialsChanged for a new set of tiles");
	first->lpVtbl->UnAdvise(first);
	lui_reenumerate(&s, &m);
	assert_int_equal(s.enumerations, 2);
	assert_non_null(lui_ferry_account(&s, helpdesk_account));
	lui_close(&s);
	fake_cred_events_fini(&ce);
	sim_server_stop(srv);
}

/* --- setup ------------------------------------------------------------------- */

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
	/* Draw threads finish on their own: give them a moment before asking. */
	for (int i = 0; i < 200 && cp.can_unload() != S_OK; i++)
		Sleep(50);
	return cp.can_unload() == S_OK ? 0 : -1;
}

static int group_setup(void **state)
{
	wchar_t host[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD n = MAX_COMPUTERNAME_LENGTH + 1;
	wchar_t pw[] = L"Helpdesk-Pw-1";

	(void)state;
	if (!cp_dll_load(&cp) || !GetComputerNameW(host, &n))
		return -1;
	swprintf(helpdesk_account, 64, L"%ls\\%ls", host, HELPDESK);
	swprintf(pipe_name, 96, L"\\\\.\\pipe\\Ferry.LogonUI.%lu",
		 (unsigned long)GetCurrentProcessId());
	if (RegSetKeyValueW(HKEY_LOCAL_MACHINE, FERRY_KEY, L"PipeName", REG_SZ, pipe_name,
			    (DWORD)((wcslen(pipe_name) + 1) * sizeof(wchar_t))) != ERROR_SUCCESS)
		return -1;
	/* The fallback account, as the service creates it (the filter checks it exists). */
	return sim_account_add(HELPDESK, pw) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	NetUserDel(NULL, HELPDESK);
	reg_del(FERRY_KEY, L"PipeName");
	clear_state();
	cp_dll_free(&cp);
	return 0;
}

int wmain(void);

int wmain(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_credprov_logonui__##name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(before_migration),
		T(startup_with_lease),
		T(after_unjoin_workgroup),
		T(after_odj),
		T(after_completion),
		T(lease_lapsed),
		T(service_dead),
		T(dll_load_failure),
		T(filter_needs_provider_and_fallback),
		T(locked_user_unlocks),
		T(progress_updates_in_place),
	};
#undef T
	return cmocka_run_group_tests_name("logonui_model", tests, group_setup, group_teardown);
}
