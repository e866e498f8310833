/*
 * win.tree_hostile: the state tree at start, against the starting states a
 * hostile local user can arrange, through the code the service runs
 * (winutil/wu_tree.h, wu_file.h) and through ferrysvc.exe itself. Each case
 * ends repaired or refused, with a line naming what and why, and nothing is
 * written through a link (tree_hostile.sh checks the link targets after).
 *
 * What Wine cannot show, and where it is shown instead:
 *  - another user as owner (Wine has one user, so every object belongs to
 *    the service's account): test_sec_tree's user_precreated_root_is_moved_aside
 *    and friends, natively;
 *  - a junction renamed aside unfollowed: Wine 8 opens and renames a link's
 *    target even with FILE_FLAG_OPEN_REPARSE_POINT, so here the service
 *    refuses such a folder instead (on Windows: move aside,
 *    test_sec_tree__junction_is_moved_aside_unread);
 *  - a linked file (a symlinked journal): Wine 8 shows a Unix symlink to a
 *    file as a plain file (attributes 0x20, no reparse tag), so only linked
 *    folders and hard links are planted here
 *    (test_sec_tree__symlinked_file_is_moved_aside, natively);
 *  - ACL enforcement: docs/windows-test-plan.md, "State tree ownership".
 * argv[1]: the fixture folder tree_hostile.sh made (Unix symlinks inside).
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

#include "../svc_client.h"
#include "sec/tree_policy.h"
#include "wu_file.h"
#include "wu_tree.h"

static wchar_t fixture[MAX_PATH];
static char lines[16384];

static void capture(void *ctx, bool problem, const char *line)
{
	size_t n = strlen(lines);

	(void)ctx;
	snprintf(lines + n, sizeof(lines) - n, "%s%s\n", problem ? "! " : "", line);
}

static void said(const char *what)
{
	if (!strstr(lines, what))
		fail_msg("no line with '%s' in:\n%s", what, lines);
}

static void path(wchar_t *out, const wchar_t *rel)
{
	swprintf(out, MAX_PATH * 2, L"%ls\\%ls", fixture, rel);
}

static void put(const wchar_t *rel, const char *text)
{
	wchar_t p[MAX_PATH * 2];
	HANDLE h;
	DWORD n = 0;

	path(p, rel);
	h = CreateFileW(p, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(WriteFile(h, text, (DWORD)strlen(text), &n, NULL));
	CloseHandle(h);
}

static void expect_text(const wchar_t *full, const char *text)
{
	char got[256] = "";
	DWORD n = 0;
	HANDLE h = CreateFileW(full, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);

	assert_true(h != INVALID_HANDLE_VALUE);
	ReadFile(h, got, sizeof(got) - 1, &n, NULL);
	CloseHandle(h);
	got[n] = '\0';
	assert_string_equal(got, text);
}

/* The one entry of `dir` whose name starts with `prefix` ".untrusted-". */
static bool aside_exists(const wchar_t *dir, const wchar_t *prefix, wchar_t *found)
{
	wchar_t pattern[MAX_PATH * 2];
	WIN32_FIND_DATAW fd;
	HANDLE f;

	swprintf(pattern, MAX_PATH * 2, L"%ls\\%ls.untrusted-*", dir, prefix);
	f = FindFirstFileW(pattern, &fd);
	if (f == INVALID_HANDLE_VALUE)
		return false;
	if (found)
		swprintf(found, MAX_PATH * 2, L"%ls\\%ls", dir, fd.cFileName);
	FindClose(f);
	return true;
}

static int setup(void **state)
{
	(void)state;
	lines[0] = '\0';
	wu_tree_set_sink(capture, NULL);
	return 0;
}

static void test_tree__fresh_tree_gets_every_rule(void **state)
{
	wchar_t root[MAX_PATH * 2], p[MAX_PATH * 2];
	size_t n = 0;
	const struct tree_rule *rules = tree_rules(&n);

	(void)state;
	path(root, L"fresh\\Ferry");
	path(p, L"fresh");
	CreateDirectoryW(p, NULL);
	assert_int_equal(wu_tree_secure(root, NULL), FERRY_OK);
	for (size_t i = 0; i < n; i++) {
		char want[600];

		swprintf(p, MAX_PATH * 2, L"%ls%ls%hs", root, rules[i].rel[0] ? L"\\" : L"",
			 rules[i].rel);
		assert_true(GetFileAttributesW(p) & FILE_ATTRIBUTE_DIRECTORY);
		snprintf(want, sizeof(want), "tree: %s: create: made by this start; applied %s",
			 rules[i].rel[0] ? rules[i].rel : "(root)", rules[i].sddl);
		said(want);
	}
}

static void test_tree__file_in_place_of_state_is_moved_aside(void **state)
{
	wchar_t root[MAX_PATH * 2], p[MAX_PATH * 2], aside[MAX_PATH * 2];

	(void)state;
	path(p, L"file_case");
	CreateDirectoryW(p, NULL);
	path(p, L"file_case\\Ferry");
	CreateDirectoryW(p, NULL);
	put(L"file_case\\Ferry\\state", "forged device state");
	path(root, L"file_case\\Ferry");
	assert_int_equal(wu_tree_secure(root, NULL), FERRY_OK);
	path(p, L"file_case\\Ferry\\state");
	assert_true(GetFileAttributesW(p) & FILE_ATTRIBUTE_DIRECTORY);
	assert_true(aside_exists(root, L"state", aside));
	expect_text(aside, "forged device state"); /* renamed, never read nor changed */
	said("! tree: state: move aside: a file stands where the folder should be; renamed to");
}

static void test_tree__hard_linked_done_marker_is_moved_aside(void **state)
{
	wchar_t root[MAX_PATH * 2], done[MAX_PATH * 2], marker[MAX_PATH * 2], other[MAX_PATH * 2];

	(void)state;
	path(root, L"link_case");
	CreateDirectoryW(root, NULL);
	path(root, L"link_case\\Ferry");
	assert_int_equal(wu_tree_secure(root, NULL), FERRY_OK);
	put(L"link_case\\forged-done", "{\"id\":\"pkg-1\",\"exit_code\":0}\n");
	path(other, L"link_case\\forged-done");
	path(done, L"link_case\\Ferry\\state\\packages\\.done");
	swprintf(marker, MAX_PATH * 2, L"%ls\\pkg-1", done);
	assert_true(CreateHardLinkW(marker, other, NULL));
	lines[0] = '\0';
	assert_int_equal(wu_tree_secure(root, NULL), FERRY_OK);
	assert_int_equal(GetFileAttributesW(marker), INVALID_FILE_ATTRIBUTES);
	assert_true(aside_exists(done, L"pkg-1", NULL));
	said("! tree: state\\packages\\.done\\pkg-1: move aside: file has more than one hard link");
}

static void test_tree__symlinked_logs_is_refused_unfollowed(void **state)
{
	wchar_t root[MAX_PATH * 2];

	(void)state;
	path(root, L"logs_case\\Ferry");
	assert_int_equal(wu_tree_secure(root, NULL), FERRY_EPERM);
	said("! tree: logs: refuse: a reparse point (junction or link)");
}

/* state\packages replaced by a link to a folder of planted packages and
 * forged completion markers. */
static void test_tree__linked_packages_folder_is_refused(void **state)
{
	wchar_t root[MAX_PATH * 2], st[MAX_PATH * 2];

	(void)state;
	path(root, L"pkg_case\\Ferry");
	path(st, L"pkg_case\\state");
	assert_int_equal(wu_tree_secure(root, st), FERRY_EPERM);
	said("! tree: state\\packages: refuse: a reparse point (junction or link)");
}

static void test_tree__planted_tmp_is_never_written_through(void **state)
{
	wchar_t target[MAX_PATH * 2], planted[MAX_PATH * 2];

	(void)state;
	/* A link planted at the old fixed temporary name, and a plain file. */
	path(target, L"tmp_case\\state\\device-state.json");
	assert_int_equal(wu_file_replace(target, "{\"credentials_cached\":false}", 28), FERRY_OK);
	expect_text(target, "{\"credentials_cached\":false}");
	put(L"tmp_case\\state\\agent.json.tmp", "planted");
	path(planted, L"tmp_case\\state\\agent.json.tmp");
	path(target, L"tmp_case\\state\\agent.json");
	assert_int_equal(wu_file_replace(target, "{\"sequence\":9}", 14), FERRY_OK);
	expect_text(target, "{\"sequence\":9}");
	expect_text(planted, "planted");
}

static void test_tree__append_refuses_a_hard_linked_file(void **state)
{
	wchar_t a[MAX_PATH * 2], b[MAX_PATH * 2];
	HANDLE h = INVALID_HANDLE_VALUE;

	(void)state;
	path(a, L"append_case");
	CreateDirectoryW(a, NULL);
	put(L"append_case\\outbox-target", "x");
	path(a, L"append_case\\outbox-target");
	path(b, L"append_case\\journal-x");
	assert_true(CreateHardLinkW(b, a, NULL));
	assert_int_equal(wu_file_open_append(&h, b), FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "more than one hard link"));
	path(b, L"append_case\\journal-new");
	assert_int_equal(wu_file_open_append(&h, b), FERRY_OK); /* missing: created new */
	CloseHandle(h);
}

static void test_tree__link_above_state_is_refused(void **state)
{
	wchar_t root[MAX_PATH * 2], st[MAX_PATH * 2];

	(void)state;
	path(root, L"parent_case\\Ferry");
	path(st, L"parent_case\\link\\state");
	assert_int_equal(wu_tree_secure(root, st), FERRY_EPERM);
	said("is a reparse point: not followed");
}

/* ferrysvc.exe with its stdout and stderr (where a console run echoes its
 * log) into out. */
static bool spawn(HANDLE *proc, const wchar_t *args, HANDLE out)
{
	wchar_t exe[MAX_PATH], cmd[4096];
	STARTUPINFOW si = { .cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES };
	PROCESS_INFORMATION pi;

	svc_test_beside(exe, L"ferrysvc-test.exe"); /* --fast-clock: the test build */
	swprintf(cmd, 4096, L"\"%ls\" %ls", exe, args);
	si.hStdOutput = out;
	si.hStdError = out;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	if (!CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
		return false;
	CloseHandle(pi.hThread);
	*proc = pi.hProcess;
	return true;
}

/* ferrysvc.exe against a state folder whose packages folder is a link to
 * planted packages: it stops before anything runs and says why. */
static void test_tree__service_refuses_and_runs_nothing(void **state)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	wchar_t args[2048], st[MAX_PATH * 2], out_path[MAX_PATH * 2];
	char text[16384] = "";
	DWORD code = 999, n = 0;
	HANDLE out, proc = NULL;

	(void)state;
	path(st, L"svc_case\\state");
	path(out_path, L"svc_case\\out.txt");
	out = CreateFileW(out_path, GENERIC_WRITE | GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
			  &sa, CREATE_ALWAYS, 0, NULL);
	assert_true(out != INVALID_HANDLE_VALUE);
	swprintf(args, 2048,
		 L"run --rehearse --serve --fast-clock --pipe ferry-tree-%llx --device FIN-PC-001 "
		 L"--state \"%ls\" --batch \"%hs/batch-01.json\"",
		 svc_test_unique(), st, SVC_TEST_SAMPLES);
	assert_true(spawn(&proc, args, out));
	if (WaitForSingleObject(proc, 60000) != WAIT_OBJECT_0)
		TerminateProcess(proc, 999); /* still running: it did not refuse */
	GetExitCodeProcess(proc, &code);
	CloseHandle(proc);
	SetFilePointer(out, 0, NULL, FILE_BEGIN);
	ReadFile(out, text, sizeof(text) - 1, &n, NULL);
	CloseHandle(out);
	text[n] = '\0';
	if (code == 0 || !strstr(text, "tree: state\\packages: refuse: a reparse point") ||
	    !strstr(text, "the state tree is refused; nothing runs") || strstr(text, "rehearsal:"))
		fail_msg("exit %lu, output:\n%s", (unsigned long)code, text);
}

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tree__fresh_tree_gets_every_rule, setup),
		cmocka_unit_test_setup(test_tree__file_in_place_of_state_is_moved_aside, setup),
		cmocka_unit_test_setup(test_tree__hard_linked_done_marker_is_moved_aside, setup),
		cmocka_unit_test_setup(test_tree__symlinked_logs_is_refused_unfollowed, setup),
		cmocka_unit_test_setup(test_tree__linked_packages_folder_is_refused, setup),
		cmocka_unit_test_setup(test_tree__planted_tmp_is_never_written_through, setup),
		cmocka_unit_test_setup(test_tree__append_refuses_a_hard_linked_file, setup),
		cmocka_unit_test_setup(test_tree__link_above_state_is_refused, setup),
		cmocka_unit_test_setup(test_tree__service_refuses_and_runs_nothing, setup),
	};

	if (argc != 2 || wcslen(argv[1]) >= MAX_PATH - 64) {
		fprintf(stderr, "usage: tree_hostile FIXTURE_DIR (made by tree_hostile.sh)\n");
		return 2;
	}
	wcscpy(fixture, argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
