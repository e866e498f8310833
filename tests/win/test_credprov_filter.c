/*
 * The credential provider filter as LogonUI calls it, against Wine's real
 * registry and SAM: it hides other providers only at CPUS_LOGON while the
 * prevent-login lease in HKLM\SOFTWARE\Ferry\State\PreventLoginUntil is in
 * the future (and within its cap), Ferry's provider is there and allowed,
 * and the FallbackAccount hint names a local account that exists; it never
 * hides Ferry's provider or the allow-list, and hides nothing at unlock or
 * when the lease is absent, lapsed or garbage.
 */
#include <windows.h>
#include <lm.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "cp_dll_load.h"
#include "logonui_sim/sim_account.h"
#include "cp_guids.h"
#include "cpapi.h"

#define STATE_KEY L"SOFTWARE\\Ferry\\State"
#define FERRY_KEY L"SOFTWARE\\Ferry"
#define HOUR_TICKS (3600ull * 10000000ull)

static struct cp_dll cp;

/* Windows' password provider, a made-up smart-card provider, and ours. */
static const GUID password_cp = {
	0x60b78e88, 0xead8, 0x445c, { 0x9c, 0xfd, 0x0b, 0x87, 0xf7, 0x4e, 0xa6, 0xcd }
};
static const GUID smartcard_cp = {
	0x8fd7e19c, 0x3bf7, 0x489b, { 0xa7, 0x2c, 0x84, 0x6a, 0xb3, 0x67, 0x8c, 0x96 }
};
#define SMARTCARD_STR L"{8FD7E19C-3BF7-489B-A72C-846AB3678C96}"

static uint64_t now_ft(void)
{
	FILETIME ft;

	GetSystemTimeAsFileTime(&ft);
	return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

static void set_lease(DWORD type, const void *data, DWORD len)
{
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginUntil", type,
					 data, len),
			 ERROR_SUCCESS);
}

static void set_lease_at(uint64_t ft)
{
	set_lease(REG_QWORD, &ft, sizeof(ft));
}

static void clear(void)
{
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginUntil");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginCapHours");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, FERRY_KEY, L"FilterAllow");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackAccount");
}

#define HELPDESK L"ferry-filter-hd"

/* The fallback account the service made, named by its hint. */
static void set_fallback(void)
{
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackAccount", REG_SZ,
					 HELPDESK, sizeof(HELPDESK)),
			 ERROR_SUCCESS);
}

static ICredentialProviderFilter *new_filter(void)
{
	ICredentialProviderFilter *f = NULL;

	assert_int_equal(cp_dll_create(&cp, &CLSID_FerryFilter, &CP_IID_ICredentialProviderFilter,
				       (void **)&f),
			 S_OK);
	return f;
}

/* Run Filter over [password, smartcard, ferry] (ferry's rgbAllow as LogonUI
 * passes it, n = 2 without it); returns the allow bits as 3 bits. */
static unsigned run_filter_with(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, BOOL ferry_allowed,
				DWORD n)
{
	ICredentialProviderFilter *f = new_filter();
	GUID clsids[3] = { password_cp, smartcard_cp, CLSID_FerryProvider };
	BOOL allow[3] = { TRUE, TRUE, ferry_allowed };

	assert_int_equal(f->lpVtbl->Filter(f, cpus, 0, clsids, allow, n), S_OK);
	assert_int_equal(f->lpVtbl->Release(f), 0);
	assert_int_equal(cp.can_unload(), S_OK);
	/* Ours is never hidden, whatever the registry says. */
	assert_int_equal(allow[2], ferry_allowed);
	return (allow[0] ? 1u : 0u) | (allow[1] ? 2u : 0u) | (allow[2] ? 4u : 0u);
}

static unsigned run_filter(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus)
{
	return run_filter_with(cpus, TRUE, 3);
}

#define ALL 7u
#define OURS_ONLY 4u

static void test_credprov_filter__future_lease_hides_others(void **state)
{
	uint64_t until = now_ft() + HOUR_TICKS;

	(void)state;
	set_fallback();
	set_lease_at(until);
	assert_int_equal(run_filter(CPUS_LOGON), OURS_ONLY);
	/* Unlock: never hidden, so the session's owner can unlock. */
	assert_int_equal(run_filter(CPUS_UNLOCK_WORKSTATION), ALL);
	/* CredUI (a program asking for credentials) is never filtered. */
	assert_int_equal(run_filter(CPUS_CREDUI), ALL);
	/* An 8-byte REG_BINARY is the same FILETIME. */
	set_lease(REG_BINARY, &until, sizeof(until));
	assert_int_equal(run_filter(CPUS_LOGON), OURS_ONLY);
}

static void test_credprov_filter__allow_list_kept(void **state)
{
	static const wchar_t list[] = L"not-a-clsid\0" SMARTCARD_STR L"\0";

	(void)state;
	set_fallback();
	set_lease_at(now_ft() + HOUR_TICKS);
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, FERRY_KEY, L"FilterAllow",
					 REG_MULTI_SZ, list, sizeof(list)),
			 ERROR_SUCCESS);
	assert_int_equal(run_filter(CPUS_LOGON), OURS_ONLY | 2u);
}

static void test_credprov_filter__absent_lease_hides_nothing(void **state)
{
	(void)state;
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	assert_int_equal(run_filter(CPUS_UNLOCK_WORKSTATION), ALL);
}

static void test_credprov_filter__lapsed_lease_hides_nothing(void **state)
{
	(void)state;
	set_lease_at(now_ft() - 10000000ull); /* a second ago */
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	set_lease_at(0);
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
}

static void test_credprov_filter__garbage_lease_hides_nothing(void **state)
{
	uint64_t until = now_ft() + HOUR_TICKS;
	DWORD dw = 0xffffffffu;
	uint8_t twelve[12] = { 0 };

	(void)state;
	memcpy(twelve, &until, sizeof(until));
	set_lease(REG_SZ, L"tomorrow", sizeof(L"tomorrow"));
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	set_lease(REG_DWORD, &dw, sizeof(dw));
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	set_lease(REG_BINARY, &until, 4);
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	set_lease(REG_BINARY, twelve, sizeof(twelve));
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	set_lease(REG_BINARY, "", 0);
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	/* Beyond the default 4-hour cap: not a lease a healthy service writes. */
	set_lease_at(now_ft() + 5 * HOUR_TICKS);
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
	set_lease_at(UINT64_MAX);
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
}

static void test_credprov_filter__cap_from_registry(void **state)
{
	DWORD hours = 6, bad = 25;

	(void)state;
	set_fallback();
	set_lease_at(now_ft() + 5 * HOUR_TICKS);
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginCapHours",
					 REG_DWORD, &hours, sizeof(hours)),
			 ERROR_SUCCESS);
	assert_int_equal(run_filter(CPUS_LOGON), OURS_ONLY);
	/* A cap outside the runbook's 1..24 h falls back to 4 h. */
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginCapHours",
					 REG_DWORD, &bad, sizeof(bad)),
			 ERROR_SUCCESS);
	assert_int_equal(run_filter(CPUS_LOGON), ALL);
}

/* The lease alone hides nothing: without a fallback account, or without
 * Ferry's provider shown, hiding others would leave nobody a way in. */
static void test_credprov_filter__needs_fallback_and_provider(void **state)
{
	(void)state;
	set_lease_at(now_ft() + HOUR_TICKS);
	assert_int_equal(run_filter(CPUS_LOGON), ALL); /* no hint */
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackAccount", REG_SZ,
					 L"nobody-here", sizeof(L"nobody-here")),
			 ERROR_SUCCESS);
	assert_int_equal(run_filter(CPUS_LOGON), ALL); /* the hint names no account */
	set_fallback();
	assert_int_equal(run_filter(CPUS_LOGON), OURS_ONLY);
	assert_int_equal(run_filter_with(CPUS_LOGON, FALSE, 3), ALL & ~4u); /* disabled by policy */
	assert_int_equal(run_filter_with(CPUS_LOGON, TRUE, 2), ALL); /* not loaded */
}

static void test_credprov_filter__remote_credential_passes_through(void **state)
{
	ICredentialProviderFilter *f = new_filter();
	BYTE blob[5] = { 1, 2, 3, 4, 5 };
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION in = { 9, { 0 }, sizeof(blob), blob }, out;

	(void)state;
	in.clsidCredentialProvider = password_cp;
	memset(&out, 0, sizeof(out));
	assert_int_equal(f->lpVtbl->UpdateRemoteCredential(f, &in, &out), S_OK);
	assert_int_equal(out.ulAuthenticationPackage, 9);
	assert_true(IsEqualGUID(&out.clsidCredentialProvider, &password_cp));
	assert_int_equal(out.cbSerialization, sizeof(blob));
	assert_true(out.rgbSerialization != blob); /* LogonUI's own copy to free */
	assert_memory_equal(out.rgbSerialization, blob, sizeof(blob));
	CoTaskMemFree(out.rgbSerialization);
	assert_int_equal(f->lpVtbl->Release(f), 0);
}

static int setup(void **state)
{
	(void)state;
	clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clear();
	return cp.can_unload() == S_OK ? 0 : -1;
}

static int group_setup(void **state)
{
	wchar_t pw[] = L"Filter-Pw-1";

	(void)state;
	if (!sim_account_add(HELPDESK, pw))
		return -1;
	return cp_dll_load(&cp) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	NetUserDel(NULL, HELPDESK);
	cp_dll_free(&cp);
	return 0;
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_credprov_filter__future_lease_hides_others),
		T(test_credprov_filter__allow_list_kept),
		T(test_credprov_filter__absent_lease_hides_nothing),
		T(test_credprov_filter__lapsed_lease_hides_nothing),
		T(test_credprov_filter__garbage_lease_hides_nothing),
		T(test_credprov_filter__cap_from_registry),
		T(test_credprov_filter__needs_fallback_and_provider),
		T(test_credprov_filter__remote_credential_passes_through),
#undef T
	};
	return cmocka_run_group_tests_name("credprov_filter", tests, group_setup, group_teardown);
}
