/*
 * The string tables built into the Windows binaries (resources/strings.rc):
 * the en-US screen texts are exactly core/ux's built-in English, both
 * languages hold every label, en-GB differs where British spelling does,
 * other languages fall back to en-US, and ferry_strings_apply installs the
 * table's texts into core/ux. Read from ferry-notify.exe and ferrycp.dll
 * beside this test, loaded as data files.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "strings_load.h"
#include "ux/texts.h"

#define LANG_DE_DE MAKELANGID(LANG_GERMAN, SUBLANG_GERMAN)

static HMODULE load_beside(const wchar_t *name)
{
	wchar_t path[MAX_PATH], *slash;
	HMODULE m;

	GetModuleFileNameW(NULL, path, MAX_PATH);
	slash = wcsrchr(path, L'\\');
	wcscpy(slash + 1, name);
	m = LoadLibraryExW(path, NULL, LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
	assert_non_null(m);
	return m;
}

static void test_strings__en_us_screens_are_the_builtin_english(void **state)
{
	HMODULE m = load_beside(L"ferry-notify.exe");
	char title0[UX_SCREEN_COUNT][UX_TITLE_MAX + 1], body0[UX_SCREEN_COUNT][UX_BODY_MAX + 1];
	const char *t, *b;

	(void)state;
	assert_int_equal(IDS_SCREEN_COUNT, UX_SCREEN_COUNT);
	ux_texts_reset_builtin();
	for (int s = 0; s < UX_SCREEN_COUNT; s++) {
		assert_int_equal(ux_texts_builtin((enum ux_screen)s, &t, &b), 0);
		strcpy(title0[s], t);
		strcpy(body0[s], b);
	}
	/* Install the en-US table over them: nothing may change. */
	assert_int_equal(ferry_strings_apply(m, FERRY_LANG_EN_US), 0);
	for (int s = 0; s < UX_SCREEN_COUNT; s++) {
		assert_int_equal(ux_texts_builtin((enum ux_screen)s, &t, &b), 0);
		assert_string_equal(t, title0[s]);
		assert_string_equal(b, body0[s]);
	}
	ux_texts_reset_builtin();
	FreeLibrary(m);
}

static void test_strings__every_label_in_both_languages(void **state)
{
	static const LANGID langs[] = {FERRY_LANG_EN_US, FERRY_LANG_EN_GB};
	wchar_t buf[512];
	HMODULE m = load_beside(L"ferry-notify.exe");

	(void)state;
	for (size_t l = 0; l < 2; l++) {
		for (UINT id = IDS_UI_FIRST; id <= IDS_UI_LAST; id++) {
			assert_int_equal(ferry_string_load(buf, 512, m, id, langs[l]), 0);
			assert_true(wcslen(buf) > 0);
		}
		for (int s = 0; s < IDS_SCREEN_COUNT; s++) {
			assert_int_equal(ferry_string_load(buf, 512, m, IDS_SCREEN_TITLE(s), langs[l]), 0);
			assert_int_equal(ferry_string_load(buf, 512, m, IDS_SCREEN_BODY(s), langs[l]), 0);
		}
	}
	assert_int_equal(ferry_string_load(buf, 512, m, IDS_UI_LAST + 1, FERRY_LANG_EN_US),
			 FERRY_ENOTFOUND);
	FreeLibrary(m);
}

static void test_strings__en_gb_spelling_and_fallback(void **state)
{
	wchar_t buf[512];
	HMODULE m = load_beside(L"ferry-notify.exe");

	(void)state;
	assert_int_equal(ferry_string_load(buf, 512, m, IDS_UI_LOGO_NAME, FERRY_LANG_EN_GB), 0);
	assert_true(wcscmp(buf, L"Your organisation's logo") == 0);
	assert_int_equal(ferry_string_load(buf, 512, m, IDS_UI_LOGO_NAME, FERRY_LANG_EN_US), 0);
	assert_true(wcscmp(buf, L"Your organization's logo") == 0);
	/* No German table: en-US. */
	assert_int_equal(ferry_string_load(buf, 512, m, IDS_UI_SNOOZE, LANG_DE_DE), 0);
	assert_true(wcscmp(buf, L"Snooze") == 0);
	assert_int_equal(ferry_string_load(buf, 4, m, IDS_UI_SNOOZE, FERRY_LANG_EN_US), FERRY_ERANGE);
	FreeLibrary(m);
}

static void test_strings__every_binary_carries_the_table(void **state)
{
	static const wchar_t *const bins[] = {L"ferrycp.dll", L"ferrysvc.exe", L"ferry-preview.exe",
					      L"ferry.exe"};
	wchar_t buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++) {
		HMODULE m = load_beside(bins[i]);

		assert_int_equal(ferry_string_load(buf, 512, m, IDS_UI_TILE_LABEL, FERRY_LANG_EN_GB), 0);
		assert_true(wcscmp(buf, L"Sign in with your new account") == 0);
		FreeLibrary(m);
	}
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings__en_us_screens_are_the_builtin_english),
		cmocka_unit_test(test_strings__every_label_in_both_languages),
		cmocka_unit_test(test_strings__en_gb_spelling_and_fallback),
		cmocka_unit_test(test_strings__every_binary_carries_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
