/*
 * The ops Wine can only partly exercise, each asserting exactly what Wine
 * does so a change in Wine (or in our code) shows:
 *   - fallback account: Wine's NetUserAdd keeps accounts in the calling
 *     process only (nothing persists, no SAM), and NetLocalGroupAddMembers
 *     accepts the call without keeping a membership. Create / exists /
 *     delete round-trip through those, and the Administrators group is
 *     resolved from S-1-5-32-544 by Wine's real LookupAccountSidW. A real
 *     account in a real SAM cannot be exercised here.
 *   - logon and password reset: Wine exports LogonUserExW and
 *     NetUserSetInfo as stubs that abort the process; the ops refuse with
 *     FERRY_ENOTIMPL there (asserted). A real logon against a DC, and the
 *     outcome for each DC answer, are covered natively (unit.test_logon).
 *   - unjoin: Wine has no NetUnjoinDomain export (FERRY_ENOTIMPL).
 *   - Entra: Wine has no dsregcmd.exe; the query reads the registry for real.
 *   - reboot: InitiateShutdownW is never called here (it could end the
 *     Wine session); the seam captures the exact arguments instead.
 *   - boot id: Wine has no PrefetchParameters\BootId, so the boot-time
 *     fallback is used and must be stable within one boot.
 */
#include <windows.h>
#include <lm.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ux/pwgen.h"
#include "win/reboot.h"
#include "win/sysops.h"

#define USER "FerryTestFallback"

/*
 * Ferry records the SID of the account it creates (issue 15, finding 10) so
 * it never takes over one it did not create. Wine's NetUserGetInfo has no
 * level 23 (the SID), so here the create cannot record it: it must refuse
 * plainly and leave no half-made account behind (the new account is deleted
 * again). The recorded-SID paths (reset of Ferry's own account, refusal of
 * another) are in docs/windows-test-plan.md.
 */
static void test_sysops_account__fallback_create_exists_delete(void **state)
{
	struct ferry_secret *pw = NULL;
	bool exists = true;

	(void)state;
	assert_int_equal(win_fallback_exists(USER, &exists), 0);
	assert_false(exists);
	assert_int_equal(win_fallback_create(USER, &pw), FERRY_ENOTIMPL);
	assert_null(pw);
	assert_non_null(strstr(ferry_error_detail(), "level 23"));
	assert_int_equal(win_fallback_exists(USER, &exists), 0);
	assert_false(exists); /* deleted again: nothing half-made */
	assert_int_equal(win_fallback_delete(USER), 0); /* absent = success */
	ferry_secret_free(pw);
}

/* An account with the runbook's name that Ferry did not create is never
 * taken over, nor deleted (Wine cannot tell its SID: refused plainly). */
static void test_sysops_account__existing_account_is_not_taken_over(void **state)
{
	USER_INFO_1 ui;
	DWORD parm = 0;
	struct ferry_secret *pw = NULL;
	bool exists = false;
	wchar_t name[] = L"FerryTestNotOurs", pass[] = L"Xy7!not-ours-Pw";

	(void)state;
	memset(&ui, 0, sizeof ui);
	ui.usri1_name = name;
	ui.usri1_password = pass;
	ui.usri1_priv = USER_PRIV_USER;
	ui.usri1_flags = UF_SCRIPT | UF_NORMAL_ACCOUNT;
	assert_int_equal(NetUserAdd(NULL, 1, (LPBYTE)&ui, &parm), NERR_Success);
	assert_int_not_equal(win_fallback_create("FerryTestNotOurs", &pw), FERRY_OK);
	assert_null(pw);
	assert_int_not_equal(win_fallback_delete("FerryTestNotOurs"), FERRY_OK);
	assert_int_equal(win_fallback_exists("FerryTestNotOurs", &exists), 0);
	assert_true(exists); /* still there, untouched */
	assert_int_equal(NetUserDel(NULL, name), NERR_Success);
}

/*
 * `ferry rollback fallback` (issue 15, finding 10) finds the account by the
 * SID recorded at its creation, never by a name, and deletes only a local
 * user account of this PC. Wine cannot record a SID (no level 23, above),
 * so each case plants the record as only an administrator could.
 */
#define STATE_KEY L"SOFTWARE\\Ferry\\State"

static void record_sid(const wchar_t *sid)
{
	if (!sid) {
		RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackSid");
		return;
	}
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackSid", REG_SZ, sid,
					 (DWORD)((wcslen(sid) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);
}

static bool sid_recorded(void)
{
	return RegGetValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"FallbackSid", RRF_RT_REG_SZ, NULL,
			    NULL, NULL) == ERROR_SUCCESS;
}

static void test_sysops_account__rollback_without_a_record_deletes_nothing(void **state)
{
	enum win_fallback_rollback what = WIN_FALLBACK_DELETED;
	char name[256], sid[192];

	(void)state;
	record_sid(NULL);
	for (int i = 0; i < 2; i++) { /* idempotent */
		assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid),
				 FERRY_OK);
		assert_int_equal(what, WIN_FALLBACK_NONE_RECORDED);
		assert_string_equal(name, "");
	}
}

static void test_sysops_account__rollback_of_a_vanished_account_clears_the_record(void **state)
{
	enum win_fallback_rollback what = WIN_FALLBACK_DELETED;
	char name[256], sid[192];

	(void)state;
	record_sid(L"S-1-5-21-1111-2222-3333-4999"); /* no account has it */
	assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid), FERRY_OK);
	assert_int_equal(what, WIN_FALLBACK_ALREADY_GONE);
	assert_string_equal(sid, "S-1-5-21-1111-2222-3333-4999");
	assert_false(sid_recorded());
	assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid), FERRY_OK);
	assert_int_equal(what, WIN_FALLBACK_NONE_RECORDED);
}

/* A record naming a group (here BUILTIN\Administrators) is never acted on. */
static void test_sysops_account__rollback_never_deletes_what_is_not_a_local_user(void **state)
{
	enum win_fallback_rollback what = WIN_FALLBACK_DELETED;
	char name[256], sid[192];

	(void)state;
	record_sid(L"S-1-5-32-544");
	assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid),
			 FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "not a user account: nothing deleted"));
	assert_int_not_equal(what, WIN_FALLBACK_DELETED);
	assert_true(sid_recorded()); /* kept: an administrator looks at it */
	record_sid(L"not-a-sid");
	assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid),
			 FERRY_ECORRUPT);
	record_sid(NULL);
}

/* This process's own account stands in for Ferry's: a local user of this
 * PC. While prevent-login is in force it stays (helpdesk's way in); after
 * the lease, Wine cannot confirm the SID with the SAM (level 23), so the
 * account is refused, not deleted: the real deletion is a manual step in
 * docs/windows-test-plan.md. */
static void test_sysops_account__rollback_keeps_the_account_while_prevent_login_is_on(void **state)
{
	enum win_fallback_rollback what = WIN_FALLBACK_DELETED;
	char name[256], sid[192];
	uint8_t buf[256];
	TOKEN_USER *tu = (TOKEN_USER *)(void *)buf;
	HANDLE tok = NULL;
	DWORD len = 0;
	wchar_t *text = NULL;
	FILETIME now;
	ULARGE_INTEGER until;
	bool exists = false;
	wchar_t user[257];
	DWORD ulen = 257;

	(void)state;
	assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
	assert_true(GetTokenInformation(tok, TokenUser, tu, sizeof buf, &len));
	CloseHandle(tok);
	assert_true(ConvertSidToStringSidW(tu->User.Sid, &text));
	print_message("this process runs as %ls\n", text);
	record_sid(text);
	LocalFree(text);
	GetSystemTimeAsFileTime(&now);
	until.LowPart = now.dwLowDateTime;
	until.HighPart = now.dwHighDateTime;
	until.QuadPart += 3600ull * 10000000ull; /* an hour from now */
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginUntil",
					 REG_QWORD, &until.QuadPart, sizeof until.QuadPart),
			 ERROR_SUCCESS);
	assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid),
			 FERRY_EBUSY);
	assert_non_null(strstr(ferry_error_detail(), "prevent-login is in force"));
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginUntil");
	assert_int_equal(win_fallback_rollback(&what, name, sizeof name, sid, sizeof sid),
			 FERRY_ENOTIMPL);
	assert_non_null(strstr(ferry_error_detail(), "level 23"));
	assert_int_not_equal(what, WIN_FALLBACK_DELETED);
	assert_true(GetUserNameW(user, &ulen));
	assert_true(WideCharToMultiByte(CP_UTF8, 0, user, -1, name, sizeof name, NULL, NULL) > 0);
	assert_int_equal(win_fallback_exists(name, &exists), 0);
	assert_true(exists);
	record_sid(NULL);
}

static void test_sysops_account__administrators_found_by_sid(void **state)
{
	BYTE sid[SECURITY_MAX_SID_SIZE];
	DWORD sid_len = sizeof sid, n = 256, dn = 256;
	wchar_t name[256], dom[256];
	SID_NAME_USE use;

	(void)state;
	assert_true(CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, sid, &sid_len));
	assert_true(LookupAccountSidW(NULL, sid, name, &n, dom, &dn, &use));
	assert_int_equal(use, SidTypeAlias);
	print_message("S-1-5-32-544 is \"%ls\\%ls\" here\n", dom, name);
}

static void test_sysops_account__fallback_rejects_bad_names(void **state)
{
	struct ferry_secret *pw = NULL;
	bool e;
	(void)state;
	assert_int_equal(win_fallback_create("", &pw), FERRY_EINVAL);
	assert_null(pw);
	assert_int_equal(win_fallback_exists(NULL, &e), FERRY_EINVAL);
}

static void test_sysops_account__logon_is_not_possible_under_wine(void **state)
{
	enum logon_outcome o = LOGON_OUTCOME_OK;
	struct ferry_secret *pw = NULL;
	ferry_err rc;

	(void)state;
	assert_int_equal(ferry_secret_from(&pw, "Not-a-real-password-1", 21), 0);
	rc = win_logon_check(&o, "alice", "ferry.test", pw); /* takes and wipes pw */
	print_message("Wine LogonUserExW: %s\n", ferry_error_detail());
	/* Wine 8 exports LogonUserExW as a stub that aborts the process: the op
	 * refuses instead, and never claims the credentials were cached. */
	assert_int_equal(rc, FERRY_ENOTIMPL);
	assert_non_null(strstr(ferry_error_detail(), "LogonUserExW"));
	assert_int_not_equal(o, LOGON_OUTCOME_OK);
	assert_null(strstr(ferry_error_detail(), "Not-a-real"));
}

static void test_sysops_account__logon_wipes_on_bad_arguments(void **state)
{
	enum logon_outcome o;
	struct ferry_secret *pw = NULL;
	(void)state;
	assert_int_equal(ferry_secret_from(&pw, "x", 1), 0);
	assert_int_equal(win_logon_check(&o, "", "ferry.test", pw), FERRY_EINVAL); /* frees pw */
}

static void test_sysops_account__unjoin_names_the_missing_export(void **state)
{
	(void)state;
	assert_int_equal(win_join_unjoin(), FERRY_ENOTIMPL);
	assert_non_null(strstr(ferry_error_detail(), "NetUnjoinDomain"));
}

static void test_sysops_account__join_query_reads_entra_from_registry(void **state)
{
	struct ferry_join_state js;
	HKEY k = NULL;
	static const wchar_t key[] =
		L"SYSTEM\\CurrentControlSet\\Control\\CloudDomainJoin\\JoinInfo\\0123456789ABCDEF";

	(void)state;
	assert_int_equal(win_join_query(&js), 0);
	assert_string_equal(js.ad_domain, ""); /* Wine is a workgroup machine */
	assert_false(js.entra_joined);
	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL),
			 ERROR_SUCCESS);
	RegCloseKey(k);
	assert_int_equal(win_join_query(&js), 0);
	assert_true(js.entra_joined);
	assert_int_equal(RegDeleteKeyW(HKEY_LOCAL_MACHINE, key), ERROR_SUCCESS);
	assert_int_equal(win_join_query(&js), 0);
	assert_false(js.entra_joined);
}

static void test_sysops_account__entra_leave_without_dsregcmd(void **state)
{
	struct win_cmd_output out;
	ferry_err rc;

	(void)state;
	rc = win_entra_leave(&out);
	print_message("Wine dsregcmd /leave: %s\n", ferry_error_detail());
	assert_int_equal(rc, FERRY_ENOTFOUND);
	assert_non_null(strstr(ferry_error_detail(), "dsregcmd /leave: CreateProcessW"));
	win_cmd_output_clear(&out);
}

static struct {
	int calls;
	wchar_t message[256];
	DWORD grace, flags, reason;
} seen;

static DWORD WINAPI fake_initiate(LPWSTR machine, LPWSTR message, DWORD grace, DWORD flags, DWORD reason)
{
	seen.calls++;
	assert_null(machine);
	wcsncpy(seen.message, message, 255);
	seen.grace = grace;
	seen.flags = flags;
	seen.reason = reason;
	return ERROR_SUCCESS;
}

static void test_sysops_account__reboot_is_planned_with_reason(void **state)
{
	(void)state;
	win_reboot_initiate_hook = fake_initiate;
	assert_int_equal(win_reboot_schedule("Migration: restarting in 2 minutes (\xc3\xa9)", 120), 0);
	win_reboot_initiate_hook = NULL;
	assert_int_equal(seen.calls, 1);
	assert_true(wcscmp(seen.message, L"Migration: restarting in 2 minutes (\u00e9)") == 0);
	assert_int_equal(seen.grace, 120);
	assert_int_equal(seen.flags, SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS | SHUTDOWN_FORCE_SELF);
	assert_int_equal(seen.reason, 0x80020004u); /* planned | OS | reconfig */
}

static void test_sysops_account__boot_id_is_stable_within_a_boot(void **state)
{
	uint64_t a = 0, b = 0;
	(void)state;
	assert_int_equal(win_boot_id(&a), 0);
	Sleep(1100);
	assert_int_equal(win_boot_id(&b), 0);
	assert_true(a != 0);
	assert_true(a == b);
	/* Wine has no BootId counter: the boot-time source is marked by bit 63 */
	assert_true((a >> 63) == 1);
}

int wmain(void);
int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysops_account__fallback_create_exists_delete),
		cmocka_unit_test(test_sysops_account__existing_account_is_not_taken_over),
		cmocka_unit_test(test_sysops_account__rollback_without_a_record_deletes_nothing),
		cmocka_unit_test(test_sysops_account__rollback_of_a_vanished_account_clears_the_record),
		cmocka_unit_test(test_sysops_account__rollback_never_deletes_what_is_not_a_local_user),
		cmocka_unit_test(
			test_sysops_account__rollback_keeps_the_account_while_prevent_login_is_on),
		cmocka_unit_test(test_sysops_account__administrators_found_by_sid),
		cmocka_unit_test(test_sysops_account__fallback_rejects_bad_names),
		cmocka_unit_test(test_sysops_account__logon_is_not_possible_under_wine),
		cmocka_unit_test(test_sysops_account__logon_wipes_on_bad_arguments),
		cmocka_unit_test(test_sysops_account__unjoin_names_the_missing_export),
		cmocka_unit_test(test_sysops_account__join_query_reads_entra_from_registry),
		cmocka_unit_test(test_sysops_account__entra_leave_without_dsregcmd),
		cmocka_unit_test(test_sysops_account__reboot_is_planned_with_reason),
		cmocka_unit_test(test_sysops_account__boot_id_is_stable_within_a_boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
