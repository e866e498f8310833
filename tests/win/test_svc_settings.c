/*
 * The service's settings and registry hints under Wine.
 *  - Policy wins: HKLM\SOFTWARE\Policies\Ferry sets Rehearse (REG_DWORD 1),
 *    BundleDir and SigningPublicKey while HKLM\SOFTWARE\Ferry (the MSI's)
 *    says Rehearse "0" and points BundleDir elsewhere; `ferrysvc run` with
 *    neither --batch nor --rehearse then plays the policy's signed
 *    bundle.json as a simulated rehearsal and exits 0.
 *  - Signed only (issue 15, finding 6): the same BundleDir with the batch
 *    and runbooks as plain files and no bundle.json is refused, with a log
 *    line naming the file and why, and nothing of it runs.
 *  - The ODJ blob from BundleDir (issue 17 §4, net/odj_dir.h): the PC's
 *    sealing key published, the blob the signed bundle binds checked
 *    before the unjoin, another one dropped in its place refused.
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

#include <cjson/cJSON.h>

#include "net/seal.h"
#include "svc_bundle.h"
#include "svc_client.h"
#include "util/hex.h"
#include "win/hints.h"

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

static char *slurp_w(const wchar_t *path);

/* A BundleDir with the sample batch and runbooks as plain files. */
static void plain_bundle_dir(wchar_t *bundle, const wchar_t *tag)
{
	wchar_t tmp[MAX_PATH];

	GetTempPathW(MAX_PATH, tmp);
	swprintf(bundle, MAX_PATH, L"%lsferry-%ls-bundle-%llx", tmp, tag, svc_test_unique());
	CreateDirectoryW(bundle, NULL);
	copy_sample(bundle, "batch-01.json", L"batch.json");
	copy_sample(bundle, "migration.json", L"migration.json");
	copy_sample(bundle, "cache-credentials.json", L"cache-credentials.json");
	copy_sample(bundle, "batch-01-devices.csv", L"batch-01-devices.csv");
}

static DWORD run_service_as(char **text, const wchar_t *tag, const wchar_t *device,
			    const wchar_t *state);

/* ferrysvc run --device FIN-PC-001 with stdout and stderr (the log's echo)
 * into one file; its exit code, and the file's text in *text. */
static DWORD run_service(char **text, const wchar_t *tag)
{
	wchar_t tmp[MAX_PATH], state[MAX_PATH];

	GetTempPathW(MAX_PATH, tmp);
	swprintf(state, MAX_PATH, L"%lsferry-test-%ls-%llx", tmp, tag, svc_test_unique());
	return run_service_as(text, tag, L"FIN-PC-001", state);
}

/* The same as `device`, with its state in `state` (kept between runs). */
static DWORD run_service_as(char **text, const wchar_t *tag, const wchar_t *device,
			    const wchar_t *state)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	wchar_t tmp[MAX_PATH], out_path[MAX_PATH], exe[MAX_PATH], cmd[2048];
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	DWORD code = 999;
	HANDLE out;

	GetTempPathW(MAX_PATH, tmp);
	swprintf(out_path, MAX_PATH, L"%lsferry-%ls-%llx.txt", tmp, tag, svc_test_unique());
	out = CreateFileW(out_path, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS,
			  FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(out != INVALID_HANDLE_VALUE);
	svc_test_beside(exe, L"ferrysvc.exe");
	swprintf(cmd, 2048, L"\"%ls\" run --device %ls --state \"%ls\"", exe, device, state);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdOutput = out;
	si.hStdError = out;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	assert_true(CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi));
	CloseHandle(pi.hThread);
	CloseHandle(out);
	assert_int_equal(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hProcess);
	*text = slurp_w(out_path);
	DeleteFileW(out_path);
	return code;
}

static char *slurp_w(const wchar_t *path)
{
	FILE *fp = _wfopen(path, L"rb");
	char *text;
	long size;
	size_t n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	assert_true(size >= 0 && size < (64L << 20));
	assert_non_null(text = ferry_malloc((size_t)size + 1));
	n = fread(text, 1, (size_t)size, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static void clear_settings(void)
{
	RegDeleteKeyW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Policies\\Ferry");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry", L"Rehearse");
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry", L"BundleDir");
}

static void test_svc_settings__policy_wins_over_msi(void **state)
{
	wchar_t bundle[MAX_PATH];
	DWORD code;
	char *got;

	(void)state;
	plain_bundle_dir(bundle, L"policy");
	svc_test_write_signed_bundle(bundle, NULL);
	svc_test_set_sz(L"SOFTWARE\\Ferry", L"Rehearse", L"0");
	svc_test_set_sz(L"SOFTWARE\\Ferry", L"BundleDir", L"C:\\no-such-bundle");
	set_dword(L"SOFTWARE\\Policies\\Ferry", L"Rehearse", 1);
	svc_test_set_sz(L"SOFTWARE\\Policies\\Ferry", L"BundleDir", bundle);
	svc_test_set_signing_key();
	code = run_service(&got, L"policy");
	clear_settings();
	if (code != 0)
		print_message("ferrysvc exited %lu:\n%.2000s\n", (unsigned long)code, got);
	assert_int_equal(code, 0);
	/* The policy's Rehearse made it a rehearsal, its BundleDir's signed
	 * bundle.json gave the batch (the plain batch.json beside it is never
	 * read: the next test). */
	assert_non_null(strstr(got, "rehearsal: starting from"));
	/* A batch from files carries no identity mapping: the configured paths
	 * are planned, no profile is (issue 17: the mapping is signed only). */
	assert_non_null(strstr(got, "reacl_paths mode=add"));
	assert_non_null(strstr(got, "profiles: no signed identity mapping"));
	assert_non_null(strstr(got, "\nuninstall_agent"));
	ferry_free(got);
}

/* The same folder without bundle.json: its batch.json is unsigned. */
static void test_svc_settings__unsigned_bundle_dir_batch_is_refused(void **state)
{
	wchar_t bundle[MAX_PATH];
	DWORD code;
	char *got;

	(void)state;
	plain_bundle_dir(bundle, L"unsigned");
	set_dword(L"SOFTWARE\\Policies\\Ferry", L"Rehearse", 1);
	svc_test_set_sz(L"SOFTWARE\\Policies\\Ferry", L"BundleDir", bundle);
	svc_test_set_signing_key();
	code = run_service(&got, L"unsigned");
	clear_settings();
	assert_int_equal(code, 0);
	/* The story names the file and why (the Event Log and the file log get
	 * the service's full line; the file log is shared with every other
	 * ferrysvc of the prefix, so the test reads the run's own output). */
	{
		char want[MAX_PATH * 3 + 64], b8[MAX_PATH * 3];

		WideCharToMultiByte(CP_UTF8, 0, bundle, -1, b8, sizeof(b8), NULL, NULL);
		snprintf(want, sizeof(want), "refused %s\\batch.json: unsigned; nothing from it runs",
			 b8);
		if (!strstr(got, want))
			print_message("%.2000s\n", got);
		assert_non_null(strstr(got, want));
	}
	/* nothing planned, nothing run */
	assert_null(strstr(got, "set_lockscreen"));
	assert_null(strstr(got, "unjoin"));
	assert_null(strstr(got, "reset_apps"));
	assert_null(strstr(got, "uninstall_agent"));
	ferry_free(got);
}

/* The sample payload for FERRYPC01 joining ferry.test (the Samba blob's), its
 * BundleDir ODJ blob bound by `sha` (NULL: none named). */
static cJSON *odj_payload(unsigned seq, const uint8_t *sha)
{
	cJSON *p = svc_test_sample_payload(NULL), *rb, *l, *e;
	char hex[65];

	cJSON_ReplaceItemInObject(p, "sequence", cJSON_CreateNumber(seq));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(p, "batch"), "devices",
				  cJSON_CreateStringArray((const char *[]){ "FERRYPC01" }, 1));
	cJSON_ArrayForEach(rb, cJSON_GetObjectItem(p, "runbooks")) {
		cJSON *dj = cJSON_GetObjectItem(cJSON_GetObjectItem(rb, "device_state"),
						"domain_join");

		if (cJSON_GetObjectItem(dj, "domain")) {
			cJSON_ReplaceItemInObject(dj, "domain", cJSON_CreateString("ferry.test"));
			cJSON_DeleteItemFromObject(dj, "computer_ou");
		}
	}
	if (sha) {
		ferry_hex_encode(hex, sha, 32);
		l = cJSON_AddArrayToObject(p, "odj_sealed");
		cJSON_AddItemToArray(l, e = cJSON_CreateObject());
		cJSON_AddStringToObject(e, "device", "FERRYPC01");
		cJSON_AddStringToObject(e, "sha256", hex);
	}
	return p;
}

/* The Samba blob sealed to the key in <state>\net\agent.pub as
 * bundle\odj\FERRYPC01.sealed, as `ferry seal box --aad FERRYPC01` does. */
static void seal_blob_for(const wchar_t *state, const wchar_t *bundle, uint8_t sha[32])
{
	wchar_t path[MAX_PATH];
	char *pub64, *blob = NULL;
	uint8_t *pub = NULL, *sealed = NULL;
	size_t plen = 0, blen = 0, slen = 0;
	FILE *f;

	swprintf(path, MAX_PATH, L"%ls\\net\\agent.pub", state);
	pub64 = slurp_w(path);
	assert_int_equal(ferry_base64_decode(&pub, &plen, pub64, strlen(pub64)), FERRY_OK);
	assert_int_equal(plen, SEAL_KEY_LEN);
	assert_int_equal(rb_read_file(&blob, &blen, FERRY_SOURCE_DIR
				      "/tests/data/odj/samba-ferrypc01.odj", 1u << 22), FERRY_OK);
	assert_int_equal(seal_box(&sealed, &slen, pub, "FERRYPC01", (uint8_t *)blob, blen),
			 FERRY_OK);
	assert_int_equal(net_sha256(sha, sealed, slen), FERRY_OK);
	swprintf(path, MAX_PATH, L"%ls\\odj", bundle);
	CreateDirectoryW(path, NULL);
	swprintf(path, MAX_PATH, L"%ls\\odj\\FERRYPC01.sealed", bundle);
	assert_non_null(f = _wfopen(path, L"wb"));
	assert_int_equal(fwrite(sealed, 1, slen, f), slen);
	fclose(f);
	ferry_free(sealed);
	ferry_free(blob);
	ferry_free(pub);
	ferry_free(pub64);
}

/*
 * Issue 17 §4 without a server: the service publishes this PC's sealing
 * key; the admin seals the Samba-made blob to it into BundleDir\odj and
 * binds its SHA-256 in the signed bundle; the rehearsal reads and
 * validates it (for FERRYPC01 in ferry.test). Another file in its place,
 * the bundle unchanged, is refused and nothing is unjoined.
 */
static void test_svc_settings__odj_blob_from_bundle_dir(void **state)
{
	wchar_t bundle[MAX_PATH], tmp[MAX_PATH], st[MAX_PATH];
	uint8_t sha[32], planted[32];
	DWORD code;
	char *got;

	(void)state;
	plain_bundle_dir(bundle, L"odj");
	GetTempPathW(MAX_PATH, tmp);
	swprintf(st, MAX_PATH, L"%lsferry-test-odj-%llx", tmp, svc_test_unique());
	svc_test_write_payload(bundle, odj_payload(1, NULL));
	set_dword(L"SOFTWARE\\Policies\\Ferry", L"Rehearse", 1);
	svc_test_set_sz(L"SOFTWARE\\Policies\\Ferry", L"BundleDir", bundle);
	svc_test_set_signing_key();
	/* no blob named yet: the rehearsal simulates it (a real run stops), and
	 * the PC's sealing key is published in <state>\net\agent.pub */
	code = run_service_as(&got, L"odj1", L"FERRYPC01", st);
	assert_int_equal(code, 0);
	assert_non_null(strstr(got, "obtain_odj domain=\"ferry.test\""));
	assert_null(strstr(got, "odj_checked"));
	ferry_free(got);

	seal_blob_for(st, bundle, sha);
	svc_test_write_payload(bundle, odj_payload(2, sha));
	code = run_service_as(&got, L"odj2", L"FERRYPC01", st);
	if (!strstr(got, "odj_checked source=BundleDir"))
		print_message("%.3000s\n", got);
	assert_int_equal(code, 0);
	assert_non_null(strstr(got, "odj_checked source=BundleDir"));
	assert_non_null(strstr(got, "unjoin_domain"));
	ferry_free(got);

	/* a user who can write BundleDir drops another valid blob for this PC */
	seal_blob_for(st, bundle, planted);
	assert_memory_not_equal(planted, sha, 32);
	code = run_service_as(&got, L"odj3", L"FERRYPC01", st);
	clear_settings();
	if (!strstr(got, "not the blob the signed bundle names"))
		print_message("%.3000s\n", got);
	assert_non_null(strstr(got, "not the blob the signed bundle names"));
	assert_null(strstr(got, "odj_checked"));
	assert_null(strstr(got, "\nunjoin_domain"));
	ferry_free(got);
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
		cmocka_unit_test(test_svc_settings__unsigned_bundle_dir_batch_is_refused),
		cmocka_unit_test(test_svc_settings__odj_blob_from_bundle_dir),
		cmocka_unit_test(test_svc_settings__hints_for_the_credential_provider),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
