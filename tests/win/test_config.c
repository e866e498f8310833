/*
 * service/win/config: Group Policy values win over the MSI's, under Wine's
 * real registry, with private keys so no other suite's settings are
 * touched (win_config_load reads the real ones the same way).
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "win/config.h"

#define POL L"SOFTWARE\\FerryTest\\Policies\\Ferry"
#define MSI L"SOFTWARE\\FerryTest\\Ferry"

static void put(const wchar_t *key, const wchar_t *name, DWORD type, const void *data, DWORD len)
{
	HKEY k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0,
					 KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, NULL), 0);
	assert_int_equal(RegSetValueExW(k, name, 0, type, data, len), 0);
	RegCloseKey(k);
}

static void put_sz(const wchar_t *key, const wchar_t *name, const wchar_t *s)
{
	put(key, name, REG_SZ, s, (DWORD)((wcslen(s) + 1) * sizeof *s));
}

static int wipe(void **state)
{
	(void)state;
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\FerryTest");
	return 0;
}

/* What an MSI install with SERVER_URL only writes: the rest empty. */
static void msi_defaults(void)
{
	put_sz(MSI, L"ServerUrl", L"https://msi.example:8443");
	put_sz(MSI, L"ServerPinSha256", L"");
	put_sz(MSI, L"SigningPublicKey", L"");
	put_sz(MSI, L"BundleDir", L"");
	put_sz(MSI, L"EnrollKey", L"");
	put_sz(MSI, L"Rehearse", L"0");
}

static void test_config__msi_values_when_no_policy(void **state)
{
	struct win_config *c = NULL;

	(void)state;
	msi_defaults();
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_string_equal(c->server_url, "https://msi.example:8443");
	assert_int_equal(c->source[WIN_CONFIG_SERVER_URL], WIN_CONFIG_FROM_MSI);
	assert_null(c->server_pin_sha256); /* empty = not set */
	assert_int_equal(c->source[WIN_CONFIG_SERVER_PIN_SHA256], WIN_CONFIG_UNSET);
	assert_int_equal(c->rehearse, 0);
	assert_int_equal(c->source[WIN_CONFIG_REHEARSE], WIN_CONFIG_FROM_MSI);
	assert_null(c->enroll_key);
	assert_int_equal(c->source[WIN_CONFIG_ENROLL_KEY], WIN_CONFIG_UNSET);
	win_config_free(c);
}

/* ENROLL_KEY: the MSI's value, replaced by the policy's when it sets one. */
static void test_config__enroll_key_policy_over_msi(void **state)
{
	struct win_config *c = NULL;

	(void)state;
	msi_defaults();
	put_sz(MSI, L"EnrollKey", L"msi-key-0123456789");
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_string_equal(c->enroll_key, "msi-key-0123456789");
	assert_int_equal(c->source[WIN_CONFIG_ENROLL_KEY], WIN_CONFIG_FROM_MSI);
	win_config_free(c);
	put_sz(POL, L"EnrollKey", L"policy-key-abcdef");
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_string_equal(c->enroll_key, "policy-key-abcdef");
	assert_int_equal(c->source[WIN_CONFIG_ENROLL_KEY], WIN_CONFIG_FROM_POLICY);
	win_config_free(c);
	put(POL, L"EnrollKey", REG_DWORD, &(DWORD){ 1 }, sizeof(DWORD));
	assert_int_equal(win_config_load_from(&c, POL, MSI), FERRY_ECORRUPT);
	assert_null(c);
	assert_non_null(strstr(ferry_error_detail(), "EnrollKey"));
	assert_null(strstr(ferry_error_detail(), "msi-key")); /* the value never in an error */
}

static void test_config__policy_wins_over_msi(void **state)
{
	struct win_config *c = NULL;
	const DWORD on = 1;

	(void)state;
	msi_defaults();
	put_sz(POL, L"ServerUrl", L"https://policy.example");
	put(POL, L"Rehearse", REG_DWORD, &on, sizeof on);
	put_sz(POL, L"SigningPublicKey", L"MCowBQYDK2VwAyEA"); /* only the policy sets it */
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_string_equal(c->server_url, "https://policy.example");
	assert_int_equal(c->source[WIN_CONFIG_SERVER_URL], WIN_CONFIG_FROM_POLICY);
	assert_int_equal(c->rehearse, 1);
	assert_int_equal(c->source[WIN_CONFIG_REHEARSE], WIN_CONFIG_FROM_POLICY);
	assert_string_equal(c->signing_public_key, "MCowBQYDK2VwAyEA");
	win_config_free(c);
}

/* A policy that says "off" is still the policy: it beats the MSI's "1". */
static void test_config__policy_can_turn_rehearsal_off(void **state)
{
	struct win_config *c = NULL;
	const DWORD off = 0;

	(void)state;
	put_sz(MSI, L"Rehearse", L"1");
	put(POL, L"Rehearse", REG_DWORD, &off, sizeof off);
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_int_equal(c->rehearse, 0);
	assert_int_equal(c->source[WIN_CONFIG_REHEARSE], WIN_CONFIG_FROM_POLICY);
	win_config_free(c);
}

static void test_config__empty_policy_string_falls_back(void **state)
{
	struct win_config *c = NULL;

	(void)state;
	msi_defaults();
	put_sz(POL, L"ServerUrl", L"");
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_string_equal(c->server_url, "https://msi.example:8443");
	win_config_free(c);
}

static void test_config__expands_bundle_dir(void **state)
{
	struct win_config *c = NULL;
	static const wchar_t v[] = L"%SystemRoot%\\Ferry";
	char want[MAX_PATH];

	(void)state;
	put(POL, L"BundleDir", REG_EXPAND_SZ, v, sizeof v);
	ExpandEnvironmentStringsA("%SystemRoot%\\Ferry", want, MAX_PATH);
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_string_equal(c->bundle_dir, want);
	assert_int_equal(c->source[WIN_CONFIG_BUNDLE_DIR], WIN_CONFIG_FROM_POLICY);
	win_config_free(c);
}

static void test_config__refuses_wrong_types(void **state)
{
	struct win_config *c = NULL;
	const DWORD one = 1;

	(void)state;
	msi_defaults();
	put(POL, L"ServerUrl", REG_DWORD, &one, sizeof one);
	assert_int_equal(win_config_load_from(&c, POL, MSI), FERRY_ECORRUPT);
	assert_null(c);
	assert_non_null(strstr(ferry_error_detail(), "ServerUrl"));
	wipe(NULL);
	put_sz(MSI, L"Rehearse", L"yes");
	assert_int_equal(win_config_load_from(&c, POL, MSI), FERRY_ECORRUPT);
}

static void test_config__nothing_installed(void **state)
{
	struct win_config *c = NULL;

	(void)state;
	assert_int_equal(win_config_load_from(&c, POL, MSI), 0);
	assert_null(c->server_url);
	assert_int_equal(c->rehearse, 0);
	assert_int_equal(c->source[WIN_CONFIG_REHEARSE], WIN_CONFIG_UNSET);
	assert_true(wcscmp(win_config_value_name(WIN_CONFIG_BUNDLE_DIR), L"BundleDir") == 0);
	assert_true(wcscmp(win_config_value_name(WIN_CONFIG_ENROLL_KEY), L"EnrollKey") == 0);
	assert_null(win_config_value_name(WIN_CONFIG_FIELDS));
	win_config_free(c);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config__msi_values_when_no_policy, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__enroll_key_policy_over_msi, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__policy_wins_over_msi, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__policy_can_turn_rehearsal_off, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__empty_policy_string_falls_back, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__expands_bundle_dir, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__refuses_wrong_types, wipe, wipe),
		cmocka_unit_test_setup_teardown(test_config__nothing_installed, wipe, wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
