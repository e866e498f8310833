/*
 * The agent's self-uninstall (service/win/uninstall.h) under Wine: the
 * audit archive's contents, the command lines exactly, the ProductCode
 * lookup's registry fallback, and the waiter really running msiexec /x
 * (for a product that is not installed: exit 1605). The full uninstall of
 * an installed Ferry.msi through the waiter runs in tests/installer/
 * msi-wine.sh, in its own prefix. Not exercised here: a service reporting
 * STOPPED while the waiter polls (ferrysvc's SCM entry is the service
 * issue's; its rehearsal records the op).
 */
#include <windows.h>
#include <shellapi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "win/uninstall.h"

#define NO_PRODUCT L"{00000000-0000-0000-0000-00000000F00D}"

static wchar_t root[MAX_PATH];

static void write_file(const wchar_t *dir, const wchar_t *name, const char *text)
{
	wchar_t path[MAX_PATH];
	HANDLE h;
	DWORD n;

	swprintf(path, MAX_PATH, L"%ls\\%ls", dir, name);
	h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(WriteFile(h, text, (DWORD)strlen(text), &n, NULL));
	CloseHandle(h);
}

static void assert_file(const wchar_t *dir, const wchar_t *name, const char *text)
{
	wchar_t path[MAX_PATH];
	char buf[256] = {0};
	HANDLE h;
	DWORD n = 0;

	swprintf(path, MAX_PATH, L"%ls\\%ls", dir, name);
	h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(ReadFile(h, buf, sizeof buf - 1, &n, NULL));
	CloseHandle(h);
	assert_string_equal(buf, text);
}

static void sub(wchar_t *out, const wchar_t *name)
{
	swprintf(out, MAX_PATH, L"%ls\\%ls", root, name);
	CreateDirectoryW(out, NULL);
}

static int make_root(void **state)
{
	wchar_t tmp[MAX_PATH], d[MAX_PATH];

	(void)state;
	GetTempPathW(MAX_PATH, tmp);
	/* Wine reuses process ids: the tick count keeps runs apart. */
	swprintf(root, MAX_PATH, L"%lsferry-test-uninstall-%lu-%llu", tmp, GetCurrentProcessId(),
		 (unsigned long long)GetTickCount64());
	CreateDirectoryW(root, NULL);
	sub(d, L"state");
	write_file(d, L"journal.bin", "journal bytes");
	sub(d, L"logs");
	write_file(d, L"ferry.log", "log line");
	sub(d, L"logs\\old");
	write_file(d, L"ferry.1.log", "older log line");
	return 0;
}

static void test_uninstall__archive_copies_state_and_logs(void **state)
{
	const SYSTEMTIME t = {.wYear = 2026, .wMonth = 1, .wDay = 2, .wHour = 3, .wMinute = 4,
			      .wSecond = 5};
	wchar_t out[MAX_PATH], again[MAX_PATH], want[MAX_PATH], d[MAX_PATH];

	(void)state;
	assert_int_equal(win_uninstall_archive(out, MAX_PATH, root, &t), 0);
	swprintf(want, MAX_PATH, L"%ls\\archive\\20260102T030405Z", root);
	assert_true(wcscmp(out, want) == 0);
	swprintf(d, MAX_PATH, L"%ls\\state", out);
	assert_file(d, L"journal.bin", "journal bytes");
	swprintf(d, MAX_PATH, L"%ls\\logs", out);
	assert_file(d, L"ferry.log", "log line");
	swprintf(d, MAX_PATH, L"%ls\\logs\\old", out);
	assert_file(d, L"ferry.1.log", "older log line");
	/* Copied, not moved: the originals stay until the uninstall. */
	swprintf(d, MAX_PATH, L"%ls\\state", root);
	assert_file(d, L"journal.bin", "journal bytes");

	/* The same second again: a new folder, the first one kept. */
	assert_int_equal(win_uninstall_archive(again, MAX_PATH, root, &t), 0);
	swprintf(want, MAX_PATH, L"%ls\\archive\\20260102T030405Z-2", root);
	assert_true(wcscmp(again, want) == 0);
	swprintf(d, MAX_PATH, L"%ls\\state", again);
	assert_file(d, L"journal.bin", "journal bytes");
}

static void test_uninstall__archive_without_logs_is_fine(void **state)
{
	const SYSTEMTIME t = {.wYear = 2026, .wMonth = 12, .wDay = 31, .wHour = 23, .wMinute = 59,
			      .wSecond = 59};
	wchar_t empty[MAX_PATH], out[MAX_PATH];

	(void)state;
	sub(empty, L"empty-data");
	assert_int_equal(win_uninstall_archive(out, MAX_PATH, empty, &t), 0);
	assert_true(GetFileAttributesW(out) & FILE_ATTRIBUTE_DIRECTORY);
	assert_int_equal(win_uninstall_archive(NULL, MAX_PATH, empty, &t), FERRY_EINVAL);
}

static void test_uninstall__guid_check(void **state)
{
	(void)state;
	assert_true(win_uninstall_guid_ok(L"{7BC24550-7AF7-47F5-8A05-C223C5BB73C4}"));
	assert_true(win_uninstall_guid_ok(L"{7bc24550-7af7-47f5-8a05-c223c5bb73c4}"));
	assert_false(win_uninstall_guid_ok(L"7BC24550-7AF7-47F5-8A05-C223C5BB73C4"));
	assert_false(win_uninstall_guid_ok(L"{7BC24550-7AF7-47F5-8A05-C223C5BB73C}"));
	assert_false(win_uninstall_guid_ok(L"{7BC24550-7AF7-47F5-8A05\"C223C5BB73C4}"));
	assert_false(win_uninstall_guid_ok(L"{7BC24550-7AF7-47F5-8A05-C223C5BB73CG}"));
	assert_false(win_uninstall_guid_ok(NULL));
}

static void test_uninstall__command_lines(void **state)
{
	wchar_t cmd[1024];

	(void)state;
	assert_int_equal(win_uninstall_msiexec_cmdline(cmd, 1024, L"C:\\Windows\\system32",
						       L"{11111111-2222-3333-4444-555555555555}",
						       L"C:\\ProgramData\\Ferry\\archive\\x\\u.log"), 0);
	assert_true(wcscmp(cmd, L"\"C:\\Windows\\system32\\msiexec.exe\" /x "
				L"{11111111-2222-3333-4444-555555555555} /qn /norestart /l*v "
				L"\"C:\\ProgramData\\Ferry\\archive\\x\\u.log\"") == 0);
	assert_int_equal(win_uninstall_waiter_cmdline(cmd, 1024,
						      L"C:\\ProgramData\\Ferry\\uninstall\\ferry-uninstall.exe",
						      L"Ferry", L"{11111111-2222-3333-4444-555555555555}",
						      L"C:\\a b\\u.log"), 0);
	assert_true(wcscmp(cmd, L"\"C:\\ProgramData\\Ferry\\uninstall\\ferry-uninstall.exe\" "
				L"uninstall-wait --service Ferry --product "
				L"{11111111-2222-3333-4444-555555555555} --log \"C:\\a b\\u.log\"") == 0);
	/* Nothing from the registry reaches a command line unchecked. */
	assert_int_equal(win_uninstall_msiexec_cmdline(cmd, 1024, L"C:\\W", L"{x} & calc", L"l"),
			 FERRY_EINVAL);
	assert_int_equal(win_uninstall_waiter_cmdline(cmd, 1024, L"w.exe", L"Ferry",
						      L"{11111111-2222-3333-4444-555555555555}",
						      L"a\" & calc \""), FERRY_EINVAL);
	assert_int_equal(win_uninstall_msiexec_cmdline(cmd, 40, L"C:\\Windows\\system32",
						       L"{11111111-2222-3333-4444-555555555555}", L"l"),
			 FERRY_ERANGE);
}

static void set_product_value(const wchar_t *v)
{
	HKEY k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry", 0, NULL, 0,
					 KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, NULL), 0);
	if (v)
		RegSetValueExW(k, L"ProductCode", 0, REG_SZ, (const BYTE *)v,
			       (DWORD)((wcslen(v) + 1) * sizeof *v));
	else
		RegDeleteValueW(k, L"ProductCode");
	RegCloseKey(k);
}

/* No Ferry.msi is installed in this prefix: only the registry fallback. */
static void test_uninstall__product_code_registry_fallback(void **state)
{
	wchar_t code[WIN_GUID_CHARS];

	(void)state;
	set_product_value(NULL);
	assert_int_equal(win_uninstall_product_code(code), FERRY_ENOTFOUND);
	set_product_value(L"{ABCDEF01-2345-6789-ABCD-EF0123456789}");
	assert_int_equal(win_uninstall_product_code(code), 0);
	assert_true(wcscmp(code, L"{ABCDEF01-2345-6789-ABCD-EF0123456789}") == 0);
	set_product_value(L"not a guid");
	assert_int_equal(win_uninstall_product_code(code), FERRY_ENOTFOUND);
	set_product_value(NULL);
}

/* The waiter runs Wine's real msiexec; a missing service counts as stopped. */
static void test_uninstall__waiter_runs_msiexec(void **state)
{
	wchar_t log[MAX_PATH];
	DWORD code = 0;

	(void)state;
	swprintf(log, MAX_PATH, L"%ls\\msiexec.log", root);
	assert_int_equal(win_uninstall_wait_and_run(&code, L"FerryTestNoSuchService", NO_PRODUCT,
						    log, 2000), 0);
	assert_int_equal(code, ERROR_UNKNOWN_PRODUCT);
}

/* The same through the CLI entry the service starts: ferry.exe uninstall-wait. */
static void test_uninstall__cli_waiter_exit_code(void **state)
{
	wchar_t exe[MAX_PATH], cmd[2048], *slash;
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi;
	DWORD code = 0;

	(void)state;
	GetModuleFileNameW(NULL, exe, MAX_PATH);
	slash = wcsrchr(exe, L'\\');
	wcscpy(slash + 1, L"ferry.exe");
	swprintf(cmd, 2048, L"\"%ls\" uninstall-wait --service FerryTestNoSuchService --product %ls "
			    L"--log \"%ls\\cli.log\" --timeout 2", exe, NO_PRODUCT, root);
	assert_true(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
	WaitForSingleObject(pi.hProcess, 60000);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	assert_int_equal(code, ERROR_UNKNOWN_PRODUCT);
	swprintf(cmd, 2048, L"\"%ls\" uninstall-wait --service Ferry", exe);
	assert_true(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
	WaitForSingleObject(pi.hProcess, 60000);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	assert_int_equal(code, 64);
}

static int remove_root(void **state)
{
	wchar_t from[MAX_PATH + 1] = {0}; /* double-NUL-terminated list */
	SHFILEOPSTRUCTW op = {.wFunc = FO_DELETE, .pFrom = from,
			      .fFlags = FOF_NO_UI};

	(void)state;
	wcsncpy(from, root, MAX_PATH - 1);
	return SHFileOperationW(&op) ? -1 : 0;
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uninstall__archive_copies_state_and_logs),
		cmocka_unit_test(test_uninstall__archive_without_logs_is_fine),
		cmocka_unit_test(test_uninstall__guid_check),
		cmocka_unit_test(test_uninstall__command_lines),
		cmocka_unit_test(test_uninstall__product_code_registry_fallback),
		cmocka_unit_test(test_uninstall__waiter_runs_msiexec),
		cmocka_unit_test(test_uninstall__cli_waiter_exit_code),
	};
	return cmocka_run_group_tests(tests, make_root, remove_root);
}
