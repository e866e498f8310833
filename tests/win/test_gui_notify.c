/*
 * ferry-notify.exe driven end to end under Wine (with Xvfb): the real
 * executable, its real dialogs, against the LogonUI harness's scripted pipe
 * server (logonui_sim/sim_server.c) on a private pipe name. Each case runs
 * `ferry-notify --pipe P --answer BUTTON --once`, which presses the button
 * once the dialog is up, sends what the user did and prints
 * "answer=<op sent>" (and "outcome=ok|failed" after cache_credentials);
 * the test checks both what it printed and what the server was sent.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "logonui_sim/sim_server.h"

#define PIPE L"\\\\.\\pipe\\Ferry.Test.Notify"
#define TEST_KEY L"SOFTWARE\\Ferry\\Test"
#define RUN_MS 20000

static wchar_t dir[MAX_PATH];

/* Run ferry-notify with args; its stdout into out[cap]; returns the exit code. */
static DWORD run_notify(const wchar_t *args, char *out, size_t cap)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOW si = { .cb = sizeof si };
	PROCESS_INFORMATION pi;
	wchar_t cmd[2048], log[MAX_PATH];
	HANDLE f;
	DWORD code = 999, got = 0;

	swprintf(log, MAX_PATH, L"%lsnotify-out.txt", dir);
	f = CreateFileW(log, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
			CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(f != INVALID_HANDLE_VALUE);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdOutput = f;
	si.hStdError = f;
	si.hStdInput = NULL;
	swprintf(cmd, 2048, L"\"%lsferry-notify.exe\" --pipe %ls --once %ls", dir, PIPE, args);
	assert_true(CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi));
	if (WaitForSingleObject(pi.hProcess, RUN_MS) != WAIT_OBJECT_0) {
		TerminateProcess(pi.hProcess, 1);
		WaitForSingleObject(pi.hProcess, 5000);
	}
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	SetFilePointer(f, 0, NULL, FILE_BEGIN);
	ReadFile(f, out, (DWORD)cap - 1, &got, NULL);
	out[got] = 0;
	CloseHandle(f);
	DeleteFileW(log);
	print_message("ferry-notify %ls -> exit %lu: %s", args, (unsigned long)code, out);
	return code;
}

static struct ipc_experience notice(uint32_t snooze_max, const char *starts_at)
{
	struct ipc_experience e;

	memset(&e, 0, sizeof e);
	e.generation = 1;
	e.screen = IPC_SCREEN_NOTICE;
	snprintf(e.title, sizeof e.title, "Your PC is ready to move");
	snprintf(e.body, sizeof e.body, "Start now, or snooze.");
	snprintf(e.starts_at, sizeof e.starts_at, "%s", starts_at);
	e.snooze_max_minutes = snooze_max;
	return e;
}

static int setup(void **state)
{
	wchar_t *slash;

	(void)state;
	GetModuleFileNameW(NULL, dir, MAX_PATH);
	slash = wcsrchr(dir, L'\\');
	slash[1] = 0;
	return 0;
}

static void test_gui_notify__start_now_sends_start_now(void **state)
{
	struct ipc_experience e = notice(600, "");
	struct sim_server *s = sim_server_start(PIPE, &e);
	struct sim_seen seen;
	char out[512];

	(void)state;
	assert_int_equal(run_notify(L"--answer start", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=start_now"));
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_start, 1);
	assert_int_equal(seen.n_snooze, 0);
	sim_server_stop(s);
}

static void test_gui_notify__snooze_stays_within_the_limit(void **state)
{
	/* 90 minutes left: only "1 hour" fits. */
	struct ipc_experience e = notice(90, "");
	struct sim_server *s = sim_server_start(PIPE, &e);
	struct sim_seen seen;
	char out[512];

	(void)state;
	assert_int_equal(run_notify(L"--answer snooze", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=snooze"));
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_snooze, 1);
	assert_true(seen.snooze_minutes >= 1 && seen.snooze_minutes <= 90);
	/* closing is a snooze too, where snooze is allowed */
	assert_int_equal(run_notify(L"--answer close", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=snooze"));
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_snooze, 2);
	assert_true(seen.snooze_minutes <= 90);
	sim_server_stop(s);
}

static void test_gui_notify__no_snooze_when_not_allowed(void **state)
{
	struct ipc_experience e = notice(0, "");
	struct sim_server *s = sim_server_start(PIPE, &e);
	struct sim_seen seen;
	char out[512];

	(void)state;
	assert_int_equal(run_notify(L"--answer close", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=none"));
	assert_int_equal(run_notify(L"--answer snooze", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=none"));
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_snooze, 0);
	sim_server_stop(s);
}

static void test_gui_notify__starting_counts_to_starts_at(void **state)
{
	/* A start already past: the countdown is at 0 at once and the dialog
	 * times out (had it counted 60 minutes from display, this would hang). */
	struct ipc_experience e = notice(0, "2020-01-01T00:00:00Z");
	struct sim_server *s = sim_server_start(PIPE, &e);
	char out[512];

	(void)state;
	assert_int_equal(run_notify(L"", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=none"));
	sim_server_stop(s);
}

static void set_hooks(DWORD v, bool present)
{
	HKEY k;

	if (!present) {
		/* the value, not the key: the key also holds what the pipe
		 * clients expect of the scripted server (sim_server.c) */
		RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, TEST_KEY, L"NotifyTestHooks");
		return;
	}
	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, TEST_KEY, 0, NULL, 0, KEY_SET_VALUE,
					 NULL, &k, NULL),
			 ERROR_SUCCESS);
	assert_int_equal(RegSetValueExW(k, L"NotifyTestHooks", 0, REG_DWORD, (const BYTE *)&v,
					sizeof v),
			 ERROR_SUCCESS);
	RegCloseKey(k);
}

static void test_gui_notify__cache_credentials_submits_and_shows_outcome(void **state)
{
	struct ipc_experience e;
	struct sim_server *s;
	struct sim_seen seen;
	wchar_t pwfile[MAX_PATH], args[MAX_PATH + 64];
	char out[512];
	FILE *f;

	(void)state;
	memset(&e, 0, sizeof e);
	e.generation = 1;
	e.screen = IPC_SCREEN_CREDENTIALS;
	snprintf(e.title, sizeof e.title, "Sign in with your new account");
	snprintf(e.target_user, sizeof e.target_user, "TARGET\\jdoe");
	s = sim_server_start(PIPE, &e);
	swprintf(pwfile, MAX_PATH, L"%lsnotify-pw.txt", dir);
	f = _wfopen(pwfile, L"wb");
	assert_non_null(f);
	fputs("S3cret-Pw!\r\n", f);
	fclose(f);
	swprintf(args, MAX_PATH + 64, L"--answer submit --password-file \"%ls\"", pwfile);

	/* Without the admin's test switch the hook is refused, nothing sent. */
	set_hooks(0, false);
	assert_int_equal(run_notify(args, out, sizeof out), 64);
	assert_null(strstr(out, "S3cret"));
	set_hooks(0, true);
	assert_int_equal(run_notify(args, out, sizeof out), 64);
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_cache, 0);

	set_hooks(1, true);
	assert_int_equal(run_notify(args, out, sizeof out), 0);
	assert_non_null(strstr(out, "outcome=ok"));
	assert_non_null(strstr(out, "answer=cache_credentials"));
	assert_null(strstr(out, "S3cret"));
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_cache, 1);
	assert_string_equal(seen.user, "jdoe");
	assert_string_equal(seen.domain, "TARGET");
	assert_string_equal(seen.password, "S3cret-Pw!");

	/* Refused by the domain: the outcome says so. */
	sim_server_set_cache_outcome(s, LOGON_OUTCOME_WRONG_PASSWORD);
	assert_int_equal(run_notify(args, out, sizeof out), 0);
	assert_non_null(strstr(out, "outcome=failed"));
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_cache, 2);
	set_hooks(0, false);
	DeleteFileW(pwfile);
	sim_server_stop(s);
}

static void test_gui_notify__no_pipe_is_service_unavailable(void **state)
{
	char out[512];

	(void)state;
	/* Nobody serves PIPE: the service-unavailable dialog, Close, nothing sent. */
	assert_int_equal(run_notify(L"--answer ok", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=none"));
}

/* Issue 15, finding 7: a user's pipe squatting the name gets no request;
 * the notifier shows "service unavailable", not the squatter's screen. */
static void test_gui_notify__squatter_gets_nothing(void **state)
{
	struct ipc_experience e = notice(600, "");
	struct sim_server *s = sim_server_start_as(PIPE, &e, false);
	struct sim_seen seen;
	char out[512];

	(void)state;
	/* as with no pipe at all: the service-unavailable dialog, closed */
	assert_int_equal(run_notify(L"--answer ok", out, sizeof out), 0);
	assert_non_null(strstr(out, "answer=none"));
	assert_int_equal(run_notify(L"--answer start", out, sizeof out), 0);
	sim_server_seen(s, &seen);
	assert_int_equal(seen.n_get + seen.n_subscribe + seen.n_start, 0);
	sim_server_stop(s);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gui_notify__start_now_sends_start_now),
		cmocka_unit_test(test_gui_notify__snooze_stays_within_the_limit),
		cmocka_unit_test(test_gui_notify__no_snooze_when_not_allowed),
		cmocka_unit_test(test_gui_notify__starting_counts_to_starts_at),
		cmocka_unit_test(test_gui_notify__cache_credentials_submits_and_shows_outcome),
		cmocka_unit_test(test_gui_notify__no_pipe_is_service_unavailable),
		cmocka_unit_test(test_gui_notify__squatter_gets_nothing),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
