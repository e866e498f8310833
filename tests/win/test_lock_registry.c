/*
 * ferrylock's set -> restore round trips against Wine's real registry: the
 * lock-screen CSP values and the legal notice, each when the values existed
 * (with types other than the ones Ferry writes, so "exactly" means type and
 * bytes) and when they were absent, including set twice before restore.
 *
 * What this exercises: the registry backup/restore and the files under
 * %ProgramData%\Ferry\lockscreen. Caption composition is ferrydraw's
 * (lockscreen/draw, its own tests); when draw_lockscreen_image fails, the
 * image is copied uncaptioned, and the test prints which path ran.
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

#include "lock/lock.h"
#include "lock/regbackup.h"

#define CSP L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\PersonalizationCSP"
#define LEGAL L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System"

/* A valid 1x1 PNG, the source image handed to lock_screen_set. */
static const uint8_t tiny_png[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
	0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
	0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
	0x60, 0xf8, 0xcf, 0x00, 0x00, 0x02, 0x04, 0x01, 0x00, 0xa3, 0x8c, 0x2d, 0x6f, 0x00, 0x00,
	0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

struct value {
	int present;
	DWORD type;
	DWORD len;
	uint8_t data[1024];
};

static void get(struct value *v, const wchar_t *key, const wchar_t *name)
{
	HKEY k;

	memset(v, 0, sizeof *v);
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_READ | KEY_WOW64_64KEY, &k))
		return;
	v->len = sizeof v->data;
	v->present = !RegQueryValueExW(k, name, NULL, &v->type, v->data, &v->len);
	RegCloseKey(k);
}

static void put(const wchar_t *key, const wchar_t *name, DWORD type, const void *data, DWORD len)
{
	HKEY k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0,
					 KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, NULL), 0);
	assert_int_equal(RegSetValueExW(k, name, 0, type, data, len), 0);
	RegCloseKey(k);
}

static void put_sz(const wchar_t *key, const wchar_t *name, DWORD type, const wchar_t *s)
{
	put(key, name, type, s, (DWORD)((wcslen(s) + 1) * sizeof *s));
}

static void del(const wchar_t *key, const wchar_t *name)
{
	HKEY k;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_WRITE | KEY_WOW64_64KEY, &k))
		return;
	RegDeleteValueW(k, name);
	RegCloseKey(k);
}

static int key_exists(const wchar_t *key)
{
	HKEY k;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_READ | KEY_WOW64_64KEY, &k))
		return 0;
	RegCloseKey(k);
	return 1;
}

static void assert_same(const struct value *a, const struct value *b)
{
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->data, b->data, a->len);
}

/* Each test starts with no backup left by another. */
static int clean_backups(void **state)
{
	(void)state;
	RegDeleteKeyExW(HKEY_LOCAL_MACHINE, LOCK_BACKUP_ROOT L"\\LockScreen", KEY_WOW64_64KEY, 0);
	RegDeleteKeyExW(HKEY_LOCAL_MACHINE, LOCK_BACKUP_ROOT L"\\LegalNotice", KEY_WOW64_64KEY, 0);
	RegDeleteKeyExW(HKEY_LOCAL_MACHINE, LOCK_BACKUP_ROOT, KEY_WOW64_64KEY, 0);
	return 0;
}

static const char *source_image(void)
{
	static char path[MAX_PATH + 32];
	char dir[MAX_PATH];
	FILE *f;

	assert_true(GetTempPathA(MAX_PATH, dir) > 0);
	snprintf(path, sizeof path, "%sferry-test-lock.png", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(tiny_png, 1, sizeof tiny_png, f), sizeof tiny_png);
	fclose(f);
	return path;
}

/* The CSP values name one existing file under ProgramData\Ferry\lockscreen. */
static void assert_csp_set(void)
{
	struct value path, url, status;
	wchar_t expect[MAX_PATH];
	DWORD attr;

	get(&path, CSP, L"LockScreenImagePath");
	get(&url, CSP, L"LockScreenImageUrl");
	get(&status, CSP, L"LockScreenImageStatus");
	assert_true(path.present && path.type == REG_SZ);
	assert_same(&path, &url);
	assert_true(status.present && status.type == REG_DWORD && status.len == 4);
	assert_int_equal(*(DWORD *)status.data, 1);
	ExpandEnvironmentStringsW(L"%ProgramData%\\Ferry\\lockscreen\\migration", expect, MAX_PATH);
	assert_int_equal(wcsncmp((wchar_t *)path.data, expect, wcslen(expect)), 0);
	attr = GetFileAttributesW((wchar_t *)path.data);
	assert_true(attr != INVALID_FILE_ATTRIBUTES);
	print_message("lock screen image: %ls (%s)\n", (wchar_t *)path.data,
		      wcsstr((wchar_t *)path.data, L"uncaptioned") ? "ferrydraw failed: copied uncaptioned"
								    : "captioned by ferrydraw");
}

static void test_lock__screen_restores_values_that_existed(void **state)
{
	struct value before[3], after;
	static const wchar_t *const names[] = {
		L"LockScreenImagePath", L"LockScreenImageUrl", L"LockScreenImageStatus",
	};
	const DWORD zero = 0;
	const char *img = source_image();
	wchar_t file[MAX_PATH];

	(void)state;
	put_sz(CSP, names[0], REG_EXPAND_SZ, L"%SystemRoot%\\Web\\Screen\\img100.jpg");
	del(CSP, names[1]); /* mixed: one of the three absent */
	put(CSP, names[2], REG_DWORD, &zero, sizeof zero);
	for (int i = 0; i < 3; i++)
		get(&before[i], CSP, names[i]);

	assert_int_equal(lock_screen_set(img, "Migration in progress"), 0);
	assert_csp_set();
	get(&after, CSP, names[0]);
	wcscpy(file, (wchar_t *)after.data);
	/* The second set must not overwrite the backup with Ferry's own values. */
	assert_int_equal(lock_screen_set(img, "Migration in progress (2)"), 0);
	assert_csp_set();

	assert_int_equal(lock_screen_restore(), 0);
	for (int i = 0; i < 3; i++) {
		get(&after, CSP, names[i]);
		assert_same(&after, &before[i]);
	}
	assert_true(GetFileAttributesW(file) == INVALID_FILE_ATTRIBUTES);
	/* Idempotent: a second restore changes nothing. */
	assert_int_equal(lock_screen_restore(), 0);
	get(&after, CSP, names[0]);
	assert_same(&after, &before[0]);
}

static void test_lock__screen_restores_absence(void **state)
{
	(void)state;
	RegDeleteKeyExW(HKEY_LOCAL_MACHINE, CSP, KEY_WOW64_64KEY, 0);
	assert_false(key_exists(CSP));

	assert_int_equal(lock_screen_set(source_image(), "Migration in progress"), 0);
	assert_int_equal(lock_screen_set(source_image(), "Migration in progress"), 0);
	assert_csp_set();
	assert_int_equal(lock_screen_restore(), 0);
	/* Ferry created the key, and it goes with the values. */
	assert_false(key_exists(CSP));
	assert_int_equal(lock_screen_restore(), 0);
}

static void test_lock__restore_without_set_changes_nothing(void **state)
{
	struct value before, after;

	(void)state;
	put_sz(CSP, L"LockScreenImagePath", REG_SZ, L"C:\\Windows\\Web\\Screen\\img101.png");
	get(&before, CSP, L"LockScreenImagePath");
	assert_int_equal(lock_screen_restore(), 0);
	assert_int_equal(lock_legal_restore(), 0);
	get(&after, CSP, L"LockScreenImagePath");
	assert_same(&after, &before);
	del(CSP, L"LockScreenImagePath");
}

/* A mirror without its commit marker (a save torn by a crash) is not a
 * backup: the next set saves the real current state over it. */
static void test_lock__torn_backup_is_discarded(void **state)
{
	struct value before, after;

	(void)state;
	put_sz(LEGAL, L"legalnoticecaption", REG_SZ, L"Real caption");
	put_sz(LEGAL, L"legalnoticetext", REG_SZ, L"Real text");
	put_sz(LOCK_BACKUP_ROOT L"\\LegalNotice", L"legalnoticecaption", REG_SZ, L"Torn");
	get(&before, LEGAL, L"legalnoticecaption");

	assert_int_equal(lock_legal_set("Migration", "In progress"), 0);
	assert_int_equal(lock_legal_restore(), 0);
	get(&after, LEGAL, L"legalnoticecaption");
	assert_same(&after, &before);
}

static void test_lock__legal_restores_values_that_existed(void **state)
{
	struct value cap0, text0, other0, v;
	/* Bytes Ferry would never write: a REG_SZ without its terminator, and
	 * a REG_MULTI_SZ text (some GPO tools write that). */
	static const wchar_t cap_raw[] = L"Authorised use only";
	static const wchar_t text_multi[] = L"Line one\0Line two\0";

	(void)state;
	put(LEGAL, L"legalnoticecaption", REG_SZ, cap_raw, (DWORD)(wcslen(cap_raw) * sizeof(wchar_t)));
	put(LEGAL, L"legalnoticetext", REG_MULTI_SZ, text_multi, sizeof text_multi);
	put_sz(LEGAL, L"FerryTestNeighbour", REG_SZ, L"untouched");
	get(&cap0, LEGAL, L"legalnoticecaption");
	get(&text0, LEGAL, L"legalnoticetext");
	get(&other0, LEGAL, L"FerryTestNeighbour");

	assert_int_equal(lock_legal_set("Migration in progress", "Only the service desk may log on."), 0);
	assert_int_equal(lock_legal_set("Migration in progress", "Second text"), 0);
	get(&v, LEGAL, L"legalnoticetext");
	assert_int_equal(v.type, REG_SZ);
	assert_true(wcscmp((wchar_t *)v.data, L"Second text") == 0);
	get(&v, LEGAL, L"legalnoticecaption");
	assert_true(wcscmp((wchar_t *)v.data, L"Migration in progress") == 0);

	assert_int_equal(lock_legal_restore(), 0);
	get(&v, LEGAL, L"legalnoticecaption");
	assert_same(&v, &cap0);
	get(&v, LEGAL, L"legalnoticetext");
	assert_same(&v, &text0);
	get(&v, LEGAL, L"FerryTestNeighbour");
	assert_same(&v, &other0);
	assert_int_equal(lock_legal_restore(), 0);
	get(&v, LEGAL, L"legalnoticecaption");
	assert_same(&v, &cap0);
	del(LEGAL, L"FerryTestNeighbour");
}

static void test_lock__legal_restores_absence(void **state)
{
	struct value v;

	(void)state;
	put_sz(LEGAL, L"FerryTestNeighbour", REG_SZ, L"keeps the key");
	del(LEGAL, L"legalnoticecaption");
	del(LEGAL, L"legalnoticetext");

	assert_int_equal(lock_legal_set("Migration in progress", "Text \xe2\x80\x94 with UTF-8"), 0);
	get(&v, LEGAL, L"legalnoticetext");
	assert_true(wcscmp((wchar_t *)v.data, L"Text \x2014 with UTF-8") == 0);
	assert_int_equal(lock_legal_set("Migration in progress", "again"), 0);
	assert_int_equal(lock_legal_restore(), 0);
	get(&v, LEGAL, L"legalnoticecaption");
	assert_false(v.present);
	get(&v, LEGAL, L"legalnoticetext");
	assert_false(v.present);
	assert_true(key_exists(LEGAL)); /* the key existed: it stays */
	del(LEGAL, L"FerryTestNeighbour");
}

static void test_lock__legal_refuses_missing_text(void **state)
{
	(void)state;
	assert_int_equal(lock_legal_set("caption", NULL), FERRY_EINVAL);
	assert_int_equal(lock_legal_set(NULL, "text"), FERRY_EINVAL);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lock__screen_restores_values_that_existed, clean_backups),
		cmocka_unit_test_setup(test_lock__screen_restores_absence, clean_backups),
		cmocka_unit_test_setup(test_lock__restore_without_set_changes_nothing, clean_backups),
		cmocka_unit_test_setup(test_lock__torn_backup_is_discarded, clean_backups),
		cmocka_unit_test_setup(test_lock__legal_restores_values_that_existed, clean_backups),
		cmocka_unit_test_setup(test_lock__legal_restores_absence, clean_backups),
		cmocka_unit_test_setup(test_lock__legal_refuses_missing_text, clean_backups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
