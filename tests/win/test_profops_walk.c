/*
 * The ReACL walkers on Wine: win_reacl_paths over a real directory tree
 * (counts, environment expansion, checkpoint and resume through the
 * platform's storage, no reparse following) and win_reacl_hives over a real
 * hive file (loaded under HKU\Ferry_<sid>, walked, unloaded).
 *
 * What Wine cannot show: it does not keep file security descriptors
 * faithfully, so whether an SD really changed is asserted only when Wine
 * kept the SD the test set (the test prints which); the translation itself
 * is covered natively (test_sec_walk, test_sec_translate). Whether Wine can
 * create a directory symbolic link here is printed too; the no-follow rule
 * is also covered natively.
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
#include "util/utf.h"

int wmain(void);

static wchar_t base[MAX_PATH];

/* --- an in-memory durable storage (one file) ------------------------- */
struct store {
	uint8_t data[4096];
	size_t len;
	bool exists;
	int fail_at; /* fail the Nth replace (1-based); 0 = never */
	int replaces;
};

static ferry_err st_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
	struct store *s = ctx;

	(void)name;
	if (!s->exists)
		return ferry_error_set(FERRY_ENOTFOUND, "no such file");
	*data = ferry_malloc(s->len + 1);
	memcpy(*data, s->data, s->len);
	*len = s->len;
	return FERRY_OK;
}

static ferry_err st_replace(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct store *s = ctx;

	(void)name;
	if (++s->replaces == s->fail_at)
		return ferry_error_set(FERRY_EIO, "storage: injected failure");
	assert_true(len <= sizeof(s->data));
	memcpy(s->data, data, len);
	s->len = len;
	s->exists = true;
	return FERRY_OK;
}

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
			if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
			    !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
				rm_tree(sub);
			else if (!DeleteFileW(sub))
				RemoveDirectoryW(sub);
		} while (FindNextFileW(h, &fd));
		FindClose(h);
	}
	RemoveDirectoryW(dir);
}

static bool sd_has_source = true; /* did Wine keep the SDs the test set? */

static void mk(const wchar_t *rel, bool dir)
{
	static const wchar_t sddl[] = L"O:" SRC_SIDW L"G:SYD:(A;;FA;;;" SRC_SIDW L")(A;;FA;;;SY)";
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t p[MAX_PATH * 2], *back = NULL;
	BYTE buf[1024];
	DWORD need;

	swprintf(p, MAX_PATH * 2, L"%ls\\%ls", base, rel);
	if (dir) {
		assert_true(CreateDirectoryW(p, NULL));
	} else {
		HANDLE h = CreateFileW(p, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);

		assert_true(h != INVALID_HANDLE_VALUE);
		CloseHandle(h);
	}
	assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL));
	SetFileSecurityW(p, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, sd);
	LocalFree(sd);
	if (GetFileSecurityW(p, DACL_SECURITY_INFORMATION, buf, sizeof(buf), &need) &&
	    ConvertSecurityDescriptorToStringSecurityDescriptorW(buf, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &back, NULL)) {
		if (!wcsstr(back, SRC_SIDW))
			sd_has_source = false;
		LocalFree(back);
	} else {
		sd_has_source = false;
	}
}

static char root_a[MAX_PATH * 3], root_b[MAX_PATH * 3];
static bool have_link;

static int setup(void **state)
{
	wchar_t tmp[MAX_PATH], link[MAX_PATH * 2], target[MAX_PATH * 2];
	char *u = NULL;
	size_t n;

	(void)state;
	GetTempPathW(MAX_PATH, tmp);
	swprintf(base, MAX_PATH, L"%lsferry-profops-walk", tmp);
	rm_tree(base);
	assert_true(CreateDirectoryW(base, NULL));
	mk(L"A", true);
	mk(L"A\\a.txt", false);
	mk(L"A\\d1", true);
	mk(L"A\\d1\\x.txt", false);
	mk(L"A\\d1\\d2", true);
	mk(L"A\\d1\\d2\\y.txt", false);
	mk(L"A\\d3", true);
	mk(L"A\\d3\\z.txt", false);
	mk(L"B", true);
	mk(L"B\\b.txt", false);
	mk(L"Elsewhere", true);
	mk(L"Elsewhere\\secret.txt", false);
	swprintf(link, MAX_PATH * 2, L"%ls\\A\\link", base);
	swprintf(target, MAX_PATH * 2, L"%ls\\Elsewhere", base);
	/* 0x1 directory, 0x2 allow unprivileged create. */
	{
		/* Wine 8 answers TRUE and creates nothing; check what is there. */
		BOOL made = CreateSymbolicLinkW(link, target, 0x3);
		DWORD a = GetFileAttributesW(link);

		have_link = made && a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_REPARSE_POINT);
	}
	print_message("Wine %s; it %s the SDs the test set\n",
		      have_link ? "created a directory symbolic link (no-follow checked here)"
				: "could not create a directory symbolic link (no-follow is checked by test_sec_walk only)",
		      sd_has_source ? "kept" : "did not keep (changed counts are checked by test_sec_walk only)");
	/* Roots through an environment variable, as a runbook may write them. */
	assert_true(SetEnvironmentVariableW(L"FERRY_WALK_BASE", base));
	assert_int_equal(ferry_utf16_to_utf8(&u, &n, (const uint16_t *)base, wcslen(base)), FERRY_OK);
	ferry_free(u);
	snprintf(root_a, sizeof(root_a), "%%FERRY_WALK_BASE%%\\A");
	snprintf(root_b, sizeof(root_b), "%%FERRY_WALK_BASE%%\\B");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_tree(base);
	return 0;
}

static struct win_profile_ctx ctx(struct sec_table **t, struct ferry_platform *p, struct store *s)
{
	static const char csv[] = SRC_SID "," DST_SID "\n";

	assert_int_equal(sec_table_load_csv(t, csv, sizeof(csv) - 1), FERRY_OK);
	memset(p, 0, sizeof(*p));
	p->ctx = s;
	p->storage_read = st_read;
	p->storage_replace = st_replace;
	return (struct win_profile_ctx){ .table = *t, .source_sid = SRC_SID, .target_sid = DST_SID, .store = p };
}

/* A: A, a.txt, d1, x.txt, d2, y.txt, d3, z.txt (+ link); B: B, b.txt. */
#define OBJECTS (10u + (have_link ? 1u : 0u))

static void test_profops_walk__counts_resume_and_no_follow(void **state)
{
	struct sec_table *t = NULL;
	struct ferry_platform p;
	struct store s = { 0 };
	struct win_profile_ctx pc = ctx(&t, &p, &s);
	const char *roots[] = { root_a, root_b };
	struct win_reacl_counts c;

	(void)state;
	assert_int_equal(win_reacl_paths(&pc, RB_PERM_REPLACE, roots, 2, false, &c), FERRY_OK);
	print_message("seen %lu changed %lu failed %lu reparse %lu\n", (unsigned long)c.seen,
		      (unsigned long)c.changed, (unsigned long)c.failed, (unsigned long)c.skipped_reparse);
	assert_int_equal(c.seen, OBJECTS); /* Elsewhere\secret.txt never: the link is not followed */
	assert_int_equal(c.failed, 0);
	assert_int_equal(c.skipped_reparse, have_link ? 1 : 0);
	if (sd_has_source)
		assert_int_equal(c.changed, OBJECTS - (have_link ? 1 : 0));
	else
		assert_true(c.changed <= c.seen);
	assert_true(s.exists && s.len > 13 && !memcmp(s.data, "ferry-walk 1 ", 13));

	/* Finished: a re-run does not walk again (a new file stays unseen). */
	mk(L"A\\late.txt", false);
	assert_int_equal(win_reacl_paths(&pc, RB_PERM_REPLACE, roots, 2, false, &c), FERRY_OK);
	assert_int_equal(c.seen, OBJECTS);

	/* A crash while storing the checkpoint after root B: root A is done, so
	 * the resumed walk does only B (A's new file is not seen). */
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	assert_int_not_equal(win_reacl_paths(&pc, RB_PERM_REPLACE, roots, 2, false, &c), FERRY_OK);
	mk(L"A\\later.txt", false);
	s.fail_at = 0;
	assert_int_equal(win_reacl_paths(&pc, RB_PERM_REPLACE, roots, 2, false, &c), FERRY_OK);
	assert_int_equal(c.seen, OBJECTS + 1); /* late.txt, seen by the first pass over A */
	assert_int_equal(c.failed, 0);

	/* A path that does not exist is a counted failure, not an abort. */
	{
		const char *missing[] = { "%FERRY_WALK_BASE%\\nope" };

		memset(&s, 0, sizeof(s));
		assert_int_equal(win_reacl_paths(&pc, RB_PERM_ADD, missing, 1, false, &c), FERRY_OK);
		assert_int_equal(c.failed, 1);
		assert_int_equal(c.seen, 0);
	}
	sec_table_free(t);
}

static void test_profops_walk__hives_are_loaded_walked_and_unloaded(void **state)
{
	static const wchar_t *const sc = L"Software\\FerryProfopsWalkScratch";
	struct sec_table *t = NULL;
	struct ferry_platform p;
	struct store s = { 0 };
	struct win_profile_ctx pc = ctx(&t, &p, &s);
	struct win_reacl_counts c;
	wchar_t key[512], file[MAX_PATH * 2], prof[MAX_PATH * 2];
	HKEY k;
	TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };
	HANDLE tok;

	(void)state;
	assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &tok));
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	assert_true(LookupPrivilegeValueW(NULL, SE_BACKUP_NAME, &tp.Privileges[0].Luid));
	assert_true(AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL));
	CloseHandle(tok);
	swprintf(prof, MAX_PATH * 2, L"%ls\\Profile", base);
	CreateDirectoryW(prof, NULL);
	swprintf(file, MAX_PATH * 2, L"%ls\\NTUSER.DAT", prof);
	RegDeleteTreeW(HKEY_CURRENT_USER, sc);
	swprintf(key, 512, L"%ls\\Software\\Vendor\\App", sc);
	assert_int_equal(RegCreateKeyExW(HKEY_CURRENT_USER, key, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
	RegCloseKey(k);
	swprintf(key, 512, L"%ls\\Environment", sc);
	assert_int_equal(RegCreateKeyExW(HKEY_CURRENT_USER, key, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
	RegCloseKey(k);
	assert_int_equal(RegOpenKeyExW(HKEY_CURRENT_USER, sc, 0, KEY_ALL_ACCESS, &k), ERROR_SUCCESS);
	assert_int_equal(RegSaveKeyW(k, file, NULL), ERROR_SUCCESS);
	RegCloseKey(k);
	RegDeleteTreeW(HKEY_CURRENT_USER, sc);
	RegDeleteKeyW(HKEY_CURRENT_USER, sc);
	swprintf(key, 512, L"%ls\\%ls", PROFILE_LIST, SRC_SIDW);
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, L"ProfileImagePath", REG_EXPAND_SZ, prof,
					 (DWORD)((wcslen(prof) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);

	assert_int_equal(win_reacl_hives(&pc, RB_PERM_ADD, &c), FERRY_OK);
	print_message("hive: seen %lu changed %lu failed %lu\n", (unsigned long)c.seen,
		      (unsigned long)c.changed, (unsigned long)c.failed);
	/* root, Software, Vendor, App, Environment; no UsrClass.dat here. */
	assert_int_equal(c.seen, 5);
	assert_int_equal(c.failed, 0);
	assert_int_not_equal(RegOpenKeyExW(HKEY_USERS, L"Ferry_" SRC_SIDW, 0, KEY_READ, &k), ERROR_SUCCESS);

	RegDeleteTreeW(HKEY_LOCAL_MACHINE, key);
	sec_table_free(t);
}

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profops_walk__counts_resume_and_no_follow),
		cmocka_unit_test(test_profops_walk__hives_are_loaded_walked_and_unloaded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
