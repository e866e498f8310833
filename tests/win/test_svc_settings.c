/*
 * The service's settings and registry hints under Wine.
 *  - Policy wins: HKLM\SOFTWARE\Policies\Ferry sets Rehearse (REG_DWORD 1)
 *    and BundleDir while HKLM\SOFTWARE\Ferry (the MSI's) says Rehearse "0"
 *    and points BundleDir elsewhere; `ferrysvc run` with neither --batch
 *    nor --rehearse then plays the policy's bundle as a simulated
 *    rehearsal and exits 0.
 *  - The ferrycp.dll hints (win/hints.h) are written and cleared as
 *    docs/credprov.md says; a fallback name that could point elsewhere is
 *    refused. The ops that call them need a real Windows (NetUserAdd), so
 *    the writers are tested directly here.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "svc_client.h"
#include "win/hints.h"

static void set_sz(const wchar_t *key, const wchar_t *name, const wchar_t *v)
{
	HKEY k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL,
					 &k, NULL), ERROR_SUCCESS);
	assert_int_equal(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)v,
					(DWORD)((wcslen(v) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);
	RegCloseKey(k);
}

static void set_dword(const wchar_t *key, const wchar_t *name, DWORD v)
{
	HKEY k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL,
					 &k, NULL), ERROR_SUCCESS);
	assert_int_equal(RegSetValueExW(k, name, 0, REG_DWORD, (const BYTE *)&v, sizeof(v)),
			 ERROR_SUCCESS);
	RegCloseKey(k);
}

static void copy_sample(const wchar_t *dir, const char *from, const wchar_t *to)
{
	wchar_t src[MAX_PATH], dst[MAX_PATH];

	swprintf(src, MAX_PATH, L"%hs/%hs", SVC_TEST_SAMPLES, from);
	swprintf(dst, MAX_PATH, L"%ls\\%ls", dir, to);
	assert_true(CopyFileW(src, dst, FALSE));
}

static char *slurp_w(const wchar_t *path)
{
	FILE *fp = _wfopen(path, L"rb");
	char *text = ferry_malloc(65536);
	size_t n;

	assert_non_null(fp);
	assert_non_null(text);
	n = fread(text, 1, 65535, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static void test_svc_settings__policy_wins_over_msi(void **state)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	wchar_t tmp[MAX_PATH], bundle[MAX_PATH], out_path[MAX_PATH], args[1024];
	HANDLE out, proc = NULL;
	DWORD code = 999;
	char *got;

	(void)state;
	GetTempPathW(MAX_PATH, tmp);
	swprintf(bundle, MAX_PATH, L"%lsferry-policy-bundle-%llx", tmp, svc_test_unique());
	CreateDirectoryW(bundle, NULL);
	copy_sample(bundle, "batch-01.json", L"batch.json");
	copy_sample(bundle, "migration.json", L"migration.json");
	copy_sample(bundle, "cache-credentials.json", L"cache-credentials.json");
	copy_sample(bundle, "batch-01-devices.csv", L"batch-01-devices.csv");
	set_sz(L"SOFTWARE\\Ferry", L"Rehearse", L"0");
	set_sz(L"SOFTWARE\\Ferry", L"BundleDir", L"C:\\no-such-bundle");
	set_dword(L"SOFTWARE\\Policies\\Ferry", L"Rehearse", 1);
	set_sz(L"SOFTWARE\\Policies\\Ferry", L"BundleDir", bundle);

	swprintf(out_path, MAX_PATH, L"%lsferry-policy-%llx.txt", tmp, svc_test_unique());
	out = CreateFileW(out_path, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS,
			  FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(out != INVALID_HANDLE_VALUE);
	swprintf(args, 1024, L"run --device FIN-PC-001 --state \"%lsferry-test-policy\"", tmp);
	assert_true(svc_test_spawn(&proc, args, out));
	CloseHandle(out);
	assert_int_equal(WaitForSingleObject(proc, 60000), WAIT_OBJECT_0);
	GetExitCodeProcess(proc, &code);
	CloseHandle(proc);

	RegDeleteKeyW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Policies\\Ferry");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry", L"Rehearse");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry", L"BundleDir");

	got = slurp_w(out_path);
	if (code != 0)
		print_message("ferrysvc exited %lu:\n%.2000s\n", (unsigned long)code, got);
	assert_int_equal(code, 0);
	/* The policy's Rehearse made it a rehearsal, its BundleDir gave the batch. */
	assert_non_null(strstr(got, "rehearsal: starting from"));
	/* A batch from files carries no identity mapping: the configured paths
	 * are planned, no profile is (issue 17: the mapping is signed only). */
	assert_non_null(strstr(got, "reacl_paths mode=add"));
	assert_non_null(strstr(got, "profiles: no signed identity mapping"));
	assert_non_null(strstr(got, "\nuninstall_agent"));
	ferry_free(got);
	DeleteFileW(out_path);
}

static DWORD get_dword(const wchar_t *name, LSTATUS *rc)
{
	DWORD v = 0, cb = sizeof(v);

	*rc = RegGetValueW(HKEY_LOCAL_MACHINE, WIN_HINTS_KEY, name, RRF_RT_REG_DWORD, NULL, &v, &cb);
	return v;
}

static void test_svc_settings__hints_for_the_credential_provider(void **state)
{
	wchar_t name[64];
	DWORD cb = sizeof(name);
	LSTATUS rc;

	(void)state;
	assert_int_equal(win_hint_migration_running(true), FERRY_OK);
	assert_int_equal(get_dword(L"MigrationRunning", &rc), 1);
	assert_int_equal(rc, ERROR_SUCCESS);
	assert_int_equal(win_hint_migration_running(false), FERRY_OK);
	get_dword(L"MigrationRunning", &rc);
	assert_int_equal(rc, ERROR_FILE_NOT_FOUND);
	assert_int_equal(win_hint_migration_running(false), FERRY_OK); /* absent = success */

	assert_int_equal(win_hint_prevent_login_cap(6), FERRY_OK);
	assert_int_equal(get_dword(L"PreventLoginCapHours", &rc), 6);
	assert_int_equal(win_hint_prevent_login_cap(100), FERRY_OK); /* capped at 24 */
	assert_int_equal(get_dword(L"PreventLoginCapHours", &rc), 24);
	assert_int_equal(win_hint_prevent_login_cap(0), FERRY_OK);
	get_dword(L"PreventLoginCapHours", &rc);
	assert_int_equal(rc, ERROR_FILE_NOT_FOUND);

	assert_int_equal(win_hint_fallback_account("ferry-helpdesk"), FERRY_OK);
	assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, WIN_HINTS_KEY, L"FallbackAccount",
				      RRF_RT_REG_SZ, NULL, name, &cb), ERROR_SUCCESS);
	assert_true(!wcscmp(name, L"ferry-helpdesk"));
	assert_int_equal(win_hint_fallback_account("CORP\\admin"), FERRY_EINVAL);
	assert_int_equal(win_hint_fallback_account("admin@corp"), FERRY_EINVAL);
	assert_int_equal(win_hint_fallback_account(NULL), FERRY_OK);
	cb = sizeof(name);
	assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, WIN_HINTS_KEY, L"FallbackAccount",
				      RRF_RT_REG_SZ, NULL, name, &cb), ERROR_FILE_NOT_FOUND);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svc_settings__policy_wins_over_msi),
		cmocka_unit_test(test_svc_settings__hints_for_the_credential_provider),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
