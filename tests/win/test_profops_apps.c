/*
 * The profile ops against Wine's real registry: the Office, OneDrive and
 * Teams resets in a real hive file loaded under HKU\Ferry_<sid>, the
 * ProfileList remap, and rollback restoring all of it, compared as a
 * deterministic .reg-like text dump byte for byte.
 *
 * What Wine cannot do: it does not write a loaded hive back to its file on
 * RegUnLoadKeyW (a loaded hive's changes live only in wineserver), so this
 * test loads the hive itself and the ops use it as loaded (they unload only
 * what they loaded themselves, as on Windows when the hive is already
 * there). The load/unload path of the ops runs in test_profops_walk.c's
 * hive walk. Wine 8's RegRenameKey corrupts the parent's subkey list
 * (renaming Business1 made Business2 vanish in a probe), which is why key
 * moves are copy + delete (app_reset.c).
 */
#include "profops_win.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <cmocka.h>
#include <sddl.h>

#include "util/mem.h"

#define HIVE_NAME L"Ferry_" SRC_SIDW

static wchar_t profile[MAX_PATH];
static wchar_t hive_file[MAX_PATH];

/* --- a deterministic dump: keys and values in name order ---------------- */

struct dump {
	char *s;
	size_t len, cap;
};

static void put(struct dump *d, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(line));
	if (d->len + (size_t)n + 1 > d->cap) {
		d->cap = (d->len + (size_t)n + 1) * 2;
		d->s = realloc(d->s, d->cap);
		assert_non_null(d->s);
	}
	memcpy(d->s + d->len, line, (size_t)n + 1);
	d->len += (size_t)n;
}

static int wcmp(const void *a, const void *b)
{
	return wcscmp((const wchar_t *)a, (const wchar_t *)b);
}

static void dump_key(struct dump *d, HKEY k, const wchar_t *path)
{
	static wchar_t names[256][256];
	DWORD nsub = 0, nval = 0;
	size_t n;

	assert_int_equal(RegQueryInfoKeyW(k, NULL, NULL, NULL, &nsub, NULL, NULL, &nval, NULL, NULL,
					  NULL, NULL), ERROR_SUCCESS);
	assert_true(nsub <= 256 && nval <= 256);
	put(d, "[%ls]\n", path);
	for (n = 0; n < nval; n++) {
		DWORD len = 256;

		assert_int_equal(RegEnumValueW(k, (DWORD)n, names[n], &len, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
	}
	qsort(names, n, sizeof(names[0]), wcmp);
	for (size_t i = 0; i < n; i++) {
		BYTE data[2048];
		DWORD type = 0, len = sizeof(data);

		assert_int_equal(RegQueryValueExW(k, names[i], NULL, &type, data, &len), ERROR_SUCCESS);
		put(d, "\"%ls\"=type%lu:", names[i], (unsigned long)type);
		for (DWORD j = 0; j < len; j++)
			put(d, "%02x", data[j]);
		put(d, "\n");
	}
	{
		/* Subkeys: names copied out first, since recursion reuses the array. */
		wchar_t (*subs)[256] = calloc(nsub ? nsub : 1, sizeof(*subs));

		assert_non_null(subs);
		for (n = 0; n < nsub; n++) {
			DWORD len = 256;

			assert_int_equal(RegEnumKeyExW(k, (DWORD)n, subs[n], &len, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
		}
		qsort(subs, n, sizeof(subs[0]), wcmp);
		for (size_t i = 0; i < n; i++) {
			wchar_t sub[1024];
			HKEY c;

			swprintf(sub, 1024, L"%ls\\%ls", path, subs[i]);
			assert_int_equal(RegOpenKeyExW(k, subs[i], 0, KEY_READ, &c), ERROR_SUCCESS);
			dump_key(d, c, sub);
			RegCloseKey(c);
		}
		free(subs);
	}
}

static char *dump_path(HKEY root, const wchar_t *path)
{
	struct dump d = { 0 };
	HKEY k;

	if (RegOpenKeyExW(root, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
		return NULL;
	dump_key(&d, k, path);
	RegCloseKey(k);
	return d.s;
}

static void assert_same_text(const char *a, const char *b)
{
	assert_non_null(a);
	assert_non_null(b);
	if (strcmp(a, b)) {
		size_t i = 0;

		while (a[i] && a[i] == b[i])
			i++;
		print_message("dumps differ at byte %lu:\n--- expected ---\n%.300s\n--- got ---\n%.300s\n",
			      (unsigned long)i, a + (i > 100 ? i - 100 : 0), b + (i > 100 ? i - 100 : 0));
		fail();
	}
}

/* --- fixtures ---------------------------------------------------------- */

static void set_sz(HKEY root, const wchar_t *key, const wchar_t *name, const wchar_t *val)
{
	assert_int_equal(RegSetKeyValueW(root, key, name, REG_SZ, val,
					 (DWORD)((wcslen(val) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);
}

static void make_file(const wchar_t *rel, const char *content)
{
	wchar_t p[MAX_PATH * 2], dir[MAX_PATH * 2];
	HANDLE h;
	DWORD w;

	swprintf(p, MAX_PATH * 2, L"%ls\\%ls", profile, rel);
	/* Create each parent folder. */
	for (wchar_t *s = wcschr(p + wcslen(profile) + 1, L'\\'); s; s = wcschr(s + 1, L'\\')) {
		wcsncpy(dir, p, (size_t)(s - p));
		dir[s - p] = L'\0';
		CreateDirectoryW(dir, NULL);
	}
	h = CreateFileW(p, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(WriteFile(h, content, (DWORD)strlen(content), &w, NULL));
	CloseHandle(h);
}

static bool exists(const wchar_t *rel)
{
	wchar_t p[MAX_PATH * 2];

	swprintf(p, MAX_PATH * 2, L"%ls\\%ls", profile, rel);
	return GetFileAttributesW(p) != INVALID_FILE_ATTRIBUTES;
}

static bool hkey_exists(HKEY root, const wchar_t *path)
{
	HKEY k;

	if (RegOpenKeyExW(root, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

/* The user's hive as a file: a scratch key populated and saved, then loaded. */
static void make_hive(void)
{
	static const wchar_t *const sc = L"Software\\FerryProfopsScratch";
	wchar_t k[512];
	HKEY s;

	RegDeleteTreeW(HKEY_CURRENT_USER, sc);
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Identities\\a1b2_ADAL", sc);
	set_sz(HKEY_CURRENT_USER, k, L"EmailAddress", L"jdoe@source.example");
	set_sz(HKEY_CURRENT_USER, k, L"ProviderId", L"AD");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Profiles\\a1b2_ADAL", sc);
	set_sz(HKEY_CURRENT_USER, k, L"Upn", L"jdoe@source.example");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\Office\\16.0\\Common\\Identity", sc);
	set_sz(HKEY_CURRENT_USER, k, L"Version", L"1");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\Office\\16.0\\Common\\General", sc);
	set_sz(HKEY_CURRENT_USER, k, L"Keep", L"me");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\OneDrive\\Accounts\\Business1", sc);
	set_sz(HKEY_CURRENT_USER, k, L"UserEmail", L"jdoe@source.example");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\OneDrive\\Accounts\\Business2\\Tenants", sc);
	set_sz(HKEY_CURRENT_USER, k, L"Name", L"Source Ltd");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\OneDrive\\Accounts\\Personal", sc);
	set_sz(HKEY_CURRENT_USER, k, L"cid", L"12345");
	swprintf(k, 512, L"%ls\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce", sc);
	set_sz(HKEY_CURRENT_USER, k, L"Other", L"other.exe");
	assert_int_equal(RegOpenKeyExW(HKEY_CURRENT_USER, sc, 0, KEY_ALL_ACCESS, &s), ERROR_SUCCESS);
	DeleteFileW(hive_file);
	assert_int_equal(RegSaveKeyW(s, hive_file, NULL), ERROR_SUCCESS);
	RegCloseKey(s);
	RegDeleteTreeW(HKEY_CURRENT_USER, sc);
	RegDeleteKeyW(HKEY_CURRENT_USER, sc);
	RegUnLoadKeyW(HKEY_USERS, HIVE_NAME);
	assert_int_equal(RegLoadKeyW(HKEY_USERS, HIVE_NAME, hive_file), ERROR_SUCCESS);
}

static void make_profile_list(void)
{
	wchar_t key[512];
	PSID sid = NULL;
	DWORD flags = 0;

	swprintf(key, 512, L"%ls\\%ls", PROFILE_LIST, SRC_SIDW);
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, L"ProfileImagePath", REG_EXPAND_SZ,
					 profile, (DWORD)((wcslen(profile) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);
	assert_true(ConvertStringSidToSidW(SRC_SIDW, &sid));
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, L"Sid", REG_BINARY, sid, GetLengthSid(sid)), ERROR_SUCCESS);
	LocalFree(sid);
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, L"Flags", REG_DWORD, &flags, 4), ERROR_SUCCESS);
	set_sz(HKEY_LOCAL_MACHINE, key, L"Guid", L"{0f8fad5b-d9cb-469f-a165-70867728950e}");
}

/* Remove a folder tree (the test's own temporary profile). */
static void rm_tree(const wchar_t *dir)
{
	WIN32_FIND_DATAW fd;
	wchar_t pat[MAX_PATH * 2], sub[MAX_PATH * 2];
	HANDLE h;

	swprintf(pat, MAX_PATH * 2, L"%ls\\*", dir);
	h = FindFirstFileW(pat, &fd);
	if (h != INVALID_HANDLE_VALUE) {
		do {
			if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
				continue;
			swprintf(sub, MAX_PATH * 2, L"%ls\\%ls", dir, fd.cFileName);
			if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				rm_tree(sub);
			else
				DeleteFileW(sub);
		} while (FindNextFileW(h, &fd));
		FindClose(h);
	}
	RemoveDirectoryW(dir);
}

static void enable(const wchar_t *name)
{
	TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };
	HANDLE tok;

	assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &tok));
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	assert_true(LookupPrivilegeValueW(NULL, name, &tp.Privileges[0].Luid));
	assert_true(AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL));
	CloseHandle(tok);
}

static int setup(void **state)
{
	wchar_t tmp[MAX_PATH];

	(void)state;
	/* RegSaveKeyW and RegLoadKeyW need them, as on Windows. */
	enable(SE_BACKUP_NAME);
	enable(SE_RESTORE_NAME);
	GetTempPathW(MAX_PATH, tmp);
	swprintf(profile, MAX_PATH, L"%lsferry-profops-apps", tmp);
	RegUnLoadKeyW(HKEY_USERS, HIVE_NAME);
	rm_tree(profile); /* a run cut short leaves its folder */
	assert_true(CreateDirectoryW(profile, NULL));
	swprintf(hive_file, MAX_PATH, L"%ls\\NTUSER.DAT", profile);
	make_file(L"AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC\\TokenBroker\\Accounts\\t.tbacct", "token");
	make_file(L"AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\LocalState\\s.dat", "state");
	make_file(L"AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\\c.bin", "cache");
	make_file(L"AppData\\Roaming\\Microsoft\\Teams\\settings.json", "{}");
	make_file(L"AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe", "MZ");
	make_hive();
	make_profile_list();
	return 0;
}

static int teardown(void **state)
{
	wchar_t key[512];

	(void)state;
	RegUnLoadKeyW(HKEY_USERS, HIVE_NAME);
	swprintf(key, 512, L"%ls\\%ls", PROFILE_LIST, SRC_SIDW);
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, key);
	swprintf(key, 512, L"%ls\\%ls", PROFILE_LIST, DST_SIDW);
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, key);
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry\\Backup");
	rm_tree(profile);
	return 0;
}

static struct win_profile_ctx ctx(struct sec_table **t)
{
	static const char csv[] = SRC_SID "," DST_SID "\n";

	assert_int_equal(sec_table_load_csv(t, csv, sizeof(csv) - 1), FERRY_OK);
	return (struct win_profile_ctx){ .table = *t, .source_sid = SRC_SID, .target_sid = DST_SID };
}

/* --- the test ---------------------------------------------------------- */

static void test_profops_apps__reset_remap_and_rollback(void **state)
{
	struct sec_table *t = NULL;
	struct win_profile_ctx pc = ctx(&t);
	wchar_t src_key[512], dst_key[512], runonce[600];
	char *hive0, *pl0, *hive1, *hive2, *pl1, *bak_id;
	BYTE sid[68];
	DWORD len = sizeof(sid);
	PSID want = NULL;

	(void)state;
	swprintf(src_key, 512, L"%ls\\%ls", PROFILE_LIST, SRC_SIDW);
	swprintf(dst_key, 512, L"%ls\\%ls", PROFILE_LIST, DST_SIDW);
	hive0 = dump_path(HKEY_USERS, HIVE_NAME);
	pl0 = dump_path(HKEY_LOCAL_MACHINE, src_key);
	assert_non_null(hive0);
	assert_non_null(pl0);

	/* Resets: the right keys and folders move, with their backups. */
	assert_int_equal(win_apps_reset(&pc, RB_APP_OFFICE | RB_APP_ONEDRIVE | RB_APP_TEAMS), FERRY_OK);
	assert_false(hkey_exists(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\Office\\16.0\\Common\\Identity"));
	bak_id = dump_path(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\Office\\16.0\\Common\\Identity.ferry-bak");
	assert_non_null(bak_id);
	assert_non_null(strstr(bak_id, "Identities\\a1b2_ADAL]"));
	assert_true(hkey_exists(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\Office\\16.0\\Common\\General"));
	assert_false(hkey_exists(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\OneDrive\\Accounts\\Business1"));
	assert_true(hkey_exists(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\OneDrive\\Accounts\\Business1.ferry-bak"));
	assert_true(hkey_exists(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\OneDrive\\Accounts\\Business2.ferry-bak\\Tenants"));
	assert_true(hkey_exists(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\OneDrive\\Accounts\\Personal"));
	len = sizeof(runonce);
	assert_int_equal(RegGetValueW(HKEY_USERS, HIVE_NAME L"\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce",
				      L"FerryOneDriveReset", RRF_RT_REG_SZ, NULL, runonce, &len), ERROR_SUCCESS);
	assert_non_null(wcsstr(runonce, L"OneDrive.exe\" /reset"));
	assert_false(exists(L"AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC\\TokenBroker"));
	assert_true(exists(L"AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC\\TokenBroker.ferry-bak\\Accounts\\t.tbacct"));
	assert_true(exists(L"AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\LocalState.ferry-bak\\s.dat"));
	assert_true(exists(L"AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache.ferry-bak\\c.bin"));
	assert_true(exists(L"AppData\\Roaming\\Microsoft\\Teams.ferry-bak\\settings.json"));
	assert_true(hkey_exists(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry\\Backup\\" SRC_SIDW L"\\Apps"));

	/* Re-run (the engine may after a crash): nothing more moves. */
	hive1 = dump_path(HKEY_USERS, HIVE_NAME);
	assert_int_equal(win_apps_reset(&pc, RB_APP_OFFICE | RB_APP_ONEDRIVE | RB_APP_TEAMS), FERRY_OK);
	hive2 = dump_path(HKEY_USERS, HIVE_NAME);
	assert_same_text(hive1, hive2);
	free(hive2);

	/* ProfileList remap, twice. */
	assert_int_equal(win_profile_remap(&pc), FERRY_OK);
	assert_int_equal(win_profile_remap(&pc), FERRY_OK);
	len = sizeof(sid);
	assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, dst_key, L"Sid", RRF_RT_REG_BINARY, NULL, sid, &len), ERROR_SUCCESS);
	assert_true(ConvertStringSidToSidW(DST_SIDW, &want));
	assert_int_equal(len, GetLengthSid(want));
	assert_memory_equal(sid, want, len);
	LocalFree(want);
	len = sizeof(runonce);
	assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, dst_key, L"ProfileImagePath", RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND,
				      NULL, runonce, &len), ERROR_SUCCESS);
	assert_int_equal(wcscmp(runonce, profile), 0);
	assert_int_not_equal(RegGetValueW(HKEY_LOCAL_MACHINE, dst_key, L"Guid", RRF_RT_ANY, NULL, NULL, NULL), ERROR_SUCCESS);
	pl1 = dump_path(HKEY_LOCAL_MACHINE, src_key);
	assert_same_text(pl0, pl1); /* the source entry is untouched */
	free(pl1);
	assert_true(exists(L"NTUSER.DAT")); /* the profile folder is never removed */

	/* Rollback: everything back, byte for byte; twice is harmless. */
	assert_int_equal(win_profile_rollback(SRC_SID), FERRY_OK);
	hive2 = dump_path(HKEY_USERS, HIVE_NAME);
	assert_same_text(hive0, hive2);
	free(hive2);
	pl1 = dump_path(HKEY_LOCAL_MACHINE, src_key);
	assert_same_text(pl0, pl1);
	free(pl1);
	assert_false(hkey_exists(HKEY_LOCAL_MACHINE, dst_key));
	assert_false(hkey_exists(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry\\Backup\\" SRC_SIDW));
	assert_true(exists(L"AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC\\TokenBroker\\Accounts\\t.tbacct"));
	assert_true(exists(L"AppData\\Roaming\\Microsoft\\Teams\\settings.json"));
	assert_false(exists(L"AppData\\Roaming\\Microsoft\\Teams.ferry-bak"));
	assert_int_equal(win_profile_rollback(SRC_SID), FERRY_OK);
	hive2 = dump_path(HKEY_USERS, HIVE_NAME);
	assert_same_text(hive0, hive2);
	free(hive2);

	free(hive0);
	free(hive1);
	free(pl0);
	free(bak_id);
	sec_table_free(t);
}

static void test_profops_apps__missing_apps_are_nothing_to_do(void **state)
{
	struct sec_table *t = NULL;
	struct win_profile_ctx pc = ctx(&t);
	char *before, *after;

	(void)state;
	/* A user with no Office, OneDrive or Teams data: another SID whose
	 * ProfileList entry points to an empty folder without NTUSER.DAT. */
	pc.source_sid = "S-1-5-21-1004336348-1177238915-682003330-1999";
	{
		wchar_t key[512], dir[MAX_PATH];

		swprintf(dir, MAX_PATH, L"%ls\\empty", profile);
		CreateDirectoryW(dir, NULL);
		swprintf(key, 512, L"%ls\\S-1-5-21-1004336348-1177238915-682003330-1999", PROFILE_LIST);
		assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, L"ProfileImagePath", REG_EXPAND_SZ, dir,
						 (DWORD)((wcslen(dir) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);
		before = dump_path(HKEY_USERS, HIVE_NAME);
		assert_int_equal(win_apps_reset(&pc, RB_APP_OFFICE | RB_APP_ONEDRIVE | RB_APP_TEAMS), FERRY_OK);
		after = dump_path(HKEY_USERS, HIVE_NAME);
		assert_same_text(before, after);
		assert_false(hkey_exists(HKEY_LOCAL_MACHINE,
					 L"SOFTWARE\\Ferry\\Backup\\S-1-5-21-1004336348-1177238915-682003330-1999\\Apps"));
		RegDeleteTreeW(HKEY_LOCAL_MACHINE, key);
	}
	free(before);
	free(after);
	sec_table_free(t);
}

/* The user made Office's Identity key a registry link to a key of the
 * machine's (REG_OPTION_CREATE_LINK, SymbolicLinkValue): the reset refuses
 * it and neither copies, moves nor deletes through it. */
static void test_profops_apps__registry_link_is_refused_not_followed(void **state)
{
	static const wchar_t target[] = L"SOFTWARE\\FerryLinkTarget";
	struct sec_table *t = NULL;
	struct win_profile_ctx pc = ctx(&t);
	wchar_t link[512], nt[256];
	HKEY k = NULL;
	DWORD v = 7;

	(void)state;
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, target, L"keep", REG_DWORD, &v,
					 sizeof(v)), ERROR_SUCCESS);
	swprintf(link, 512, L"%ls\\Software\\Microsoft\\Office\\16.0\\Common\\Identity", HIVE_NAME);
	RegDeleteTreeW(HKEY_USERS, link);
	RegDeleteKeyW(HKEY_USERS, link);
	assert_int_equal(RegCreateKeyExW(HKEY_USERS, link, 0, NULL,
					 REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE,
					 KEY_ALL_ACCESS | KEY_CREATE_LINK, NULL, &k, NULL), ERROR_SUCCESS);
	swprintf(nt, 256, L"\\Registry\\Machine\\%ls", target);
	assert_int_equal(RegSetValueExW(k, L"SymbolicLinkValue", 0, REG_LINK, (const BYTE *)nt,
					(DWORD)(wcslen(nt) * sizeof(wchar_t))), ERROR_SUCCESS);
	RegCloseKey(k);
	assert_int_equal(win_apps_reset(&pc, RB_APP_OFFICE), FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "registry link"));
	assert_true(hkey_exists(HKEY_LOCAL_MACHINE, target));
	v = 0;
	{
		DWORD len = sizeof(v);

		assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, target, L"keep", RRF_RT_REG_DWORD, NULL,
					      &v, &len), ERROR_SUCCESS);
	}
	assert_int_equal(v, 7);
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, target);
	sec_table_free(t);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profops_apps__reset_remap_and_rollback),
		cmocka_unit_test(test_profops_apps__missing_apps_are_nothing_to_do),
		cmocka_unit_test(test_profops_apps__registry_link_is_refused_not_followed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
