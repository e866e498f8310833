/*
 * The string tables built into the Windows binaries (resources/strings.rc):
 * the en-US screen texts are exactly core/ux's built-in English, both
 * languages hold every label, en-GB differs where British spelling does,
 * other languages fall back to en-US, and ferry_strings_apply installs the
 * table's texts and labels. Read from ferry-notify.exe and ferrycp.dll
 * beside this test, loaded as data files; then the paths the binaries take
 * at start-up: the notifier's dialog labels (ferrydraw, as ferry-notify
 * draws them), ferry-preview --lang en-GB run as a process, and ferrycp's
 * field labels after its first provider installed its table. Checks go
 * through the loader API, not OCR of the pictures.
 */
#include <windows.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "cpapi.h"
#include "draw/dialog.h"
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

static void test_strings__builtin_labels_are_the_en_us_table(void **state)
{
	wchar_t buf[512];
	HMODULE m = load_beside(L"ferry-notify.exe");

	(void)state;
	ferry_strings_reset();
	for (UINT id = IDS_UI_FIRST; id <= IDS_UI_LAST; id++) {
		assert_int_equal(ferry_string_load(buf, 512, m, id, FERRY_LANG_EN_US), 0);
		if (wcscmp(buf, ferry_label_builtin(id)) || wcscmp(buf, ferry_label(id)))
			fail_msg("label %u: table and built-in differ", id);
	}
	assert_true(wcscmp(ferry_label(IDS_UI_LAST + 1), L"") == 0);
	FreeLibrary(m);
}

/* The dialog ferry-notify lays out, in the language applied. */
static const wchar_t *item_text(const struct draw_dlg_layout *l, int id)
{
	const struct draw_item *it = draw_dlg_item(l, id);

	assert_non_null(it);
	return it->text;
}

static void test_strings__notifier_labels_follow_the_table(void **state)
{
	HMODULE m = load_beside(L"ferry-notify.exe");
	struct draw_dlg_model md = {0};
	struct draw_dlg_layout *l = NULL;
	const struct draw_snooze *ch;
	wchar_t cd[64];

	(void)state;
	assert_int_equal(ferry_strings_apply(m, FERRY_LANG_EN_GB), 0);
	assert_true(wcscmp(ferry_label(IDS_UI_LOGO_NAME), L"Your organisation's logo") == 0);
	md.kind = DRAW_DLG_CACHE_CREDENTIALS;
	md.title = "t";
	md.body = "b";
	md.username = "u";
	assert_int_equal(draw_dlg_layout(&l, &md, 96), 0);
	assert_true(wcscmp(item_text(l, DRAW_ID_LATER), ferry_label(IDS_UI_LATER)) == 0);
	assert_true(wcscmp(item_text(l, DRAW_ID_LABEL + 1), L"User name:") == 0);
	draw_dlg_layout_free(l);
	assert_int_equal(draw_snooze_choices(&ch, 1440), 3);
	assert_true(wcscmp(ch[2].label, L"1 day") == 0);
	draw_countdown_text(cd, 64, 59 * 60 + 30);
	assert_true(wcscmp(cd, L"Starts in 59:30") == 0);
	ferry_strings_reset();
	assert_true(wcscmp(ferry_label(IDS_UI_LOGO_NAME), L"Your organization's logo") == 0);
	FreeLibrary(m);
}

/* Run a binary beside this test; its exit code and stdout (NUL-terminated). */
static DWORD run_beside(const wchar_t *args, char *out, size_t cap)
{
	wchar_t cmd[2 * MAX_PATH], exe[MAX_PATH], *slash;
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
	STARTUPINFOW si = {0};
	PROCESS_INFORMATION pi;
	HANDLE rd, wr;
	DWORD code = 999, n, got = 0;

	GetModuleFileNameW(NULL, exe, MAX_PATH);
	slash = wcsrchr(exe, L'\\');
	wcscpy(slash + 1, L"ferry-preview.exe");
	_snwprintf(cmd, 2 * MAX_PATH, L"\"%ls\" %ls", exe, args);
	cmd[2 * MAX_PATH - 1] = 0;
	assert_true(CreatePipe(&rd, &wr, &sa, 0));
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdOutput = wr;
	si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
	assert_true(CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi));
	CloseHandle(wr);
	while (got + 1 < cap && ReadFile(rd, out + got, (DWORD)(cap - 1 - got), &n, NULL) && n)
		got += n;
	out[got] = 0;
	CloseHandle(rd);
	WaitForSingleObject(pi.hProcess, 120000);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	return code;
}

static void test_strings__preview_renders_en_gb(void **state)
{
	static char out[16384];
	wchar_t tmp[MAX_PATH], args[3 * MAX_PATH], buf[512];
	HMODULE m;

	(void)state;
	GetTempPathW(MAX_PATH, tmp);
	wcscat(tmp, L"ferry-strings-preview");
	_snwprintf(args, 3 * MAX_PATH,
		   L"--lang en-GB --runbook \"%hs/resources/samples/migration.json\" --out \"%ls\"",
		   FERRY_SOURCE_DIR, tmp);
	args[3 * MAX_PATH - 1] = 0;
	assert_int_equal(run_beside(args, out, sizeof out), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "language: en-GB (0x0809)"));
	assert_non_null(strstr(out, "notify-migration_available.png"));
	/* The table that run installed, read the way ferry-preview reads it. */
	m = load_beside(L"ferry-preview.exe");
	assert_int_equal(ferry_string_load(buf, 512, m, IDS_UI_LOGO_NAME, FERRY_LANG_EN_GB), 0);
	assert_true(wcscmp(buf, L"Your organisation's logo") == 0);
	FreeLibrary(m);
	assert_int_equal(run_beside(L"--lang fr-FR --runbook x --out y", out, sizeof out), 64);
}

typedef HRESULT(STDAPICALLTYPE *get_class_object_fn)(REFCLSID, REFIID, void **);

static void test_strings__credprov_field_labels_from_its_table(void **state)
{
	static const CLSID provider = {
		0x7747d03c, 0x2611, 0x4054, {0x8a, 0x8b, 0x7a, 0x62, 0x3f, 0x1f, 0x45, 0x3a}};
	wchar_t path[MAX_PATH], *slash, want[512];
	CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR *d = NULL;
	ICredentialProvider *p = NULL;
	IClassFactory *cf = NULL;
	get_class_object_fn get;
	HMODULE dll;

	(void)state;
	GetModuleFileNameW(NULL, path, MAX_PATH);
	slash = wcsrchr(path, L'\\');
	wcscpy(slash + 1, L"ferrycp.dll");
	dll = LoadLibraryW(path);
	assert_non_null(dll);
	get = (get_class_object_fn)(void (*)(void))GetProcAddress(dll, "DllGetClassObject");
	assert_non_null(get);
	assert_int_equal(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED) >= 0, 1);
	assert_int_equal(get(&provider, &IID_IClassFactory, (void **)&cf), S_OK);
	assert_int_equal(cf->lpVtbl->CreateInstance(cf, NULL, &CP_IID_ICredentialProvider, (void **)&p),
			 S_OK);
	cf->lpVtbl->Release(cf);
	/* Field 0 (the tile image) is labelled with the logo's accessible name,
	 * in the UI language's table: the one cp_provider_create installed. */
	assert_int_equal(p->lpVtbl->GetFieldDescriptorAt(p, 0, &d), S_OK);
	assert_int_equal(ferry_string_load(want, 512, dll, IDS_UI_LOGO_NAME, FERRY_LANG_DEFAULT), 0);
	print_message("field 0 label: %ls\n", d->pszLabel);
	assert_true(wcscmp(d->pszLabel, want) == 0);
	CoTaskMemFree(d->pszLabel);
	CoTaskMemFree(d);
	assert_int_equal(p->lpVtbl->Release(p), 0);
	CoUninitialize();
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings__en_us_screens_are_the_builtin_english),
		cmocka_unit_test(test_strings__every_label_in_both_languages),
		cmocka_unit_test(test_strings__en_gb_spelling_and_fallback),
		cmocka_unit_test(test_strings__every_binary_carries_the_table),
		cmocka_unit_test(test_strings__builtin_labels_are_the_en_us_table),
		cmocka_unit_test(test_strings__notifier_labels_follow_the_table),
		cmocka_unit_test(test_strings__preview_renders_en_gb),
		cmocka_unit_test(test_strings__credprov_field_labels_from_its_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
