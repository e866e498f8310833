/*
 * The break-glass local administrator (design.md §1.3, §1.6): helpdesk can
 * always sign in with it while prevent-login is on.
 *
 * Its password comes from core/ux/pwgen (policy) fed by BCryptGenRandom
 * (system-preferred RNG); it reaches the caller only as a ferry_secret for
 * escrow and every copy is wiped. The Administrators group is found by its
 * well-known SID S-1-5-32-544 and named by LookupAccountSidW, because its
 * name is localised ("Administratoren", "Järjestelmänvalvojat", ...).
 *
 * Create is idempotent for Ferry's own account only: the SID of the account
 * it creates is recorded (HKLM\SOFTWARE\Ferry\State FallbackSid, which
 * only administrators can write), and an existing account with the
 * runbook's name is reset and used only when its SID is the recorded one.
 * Any other existing account (a user's, an admin's, one a user created to
 * receive administrator rights) is refused, never taken over; delete
 * refuses it too. A new account that cannot be made an administrator, or
 * whose SID cannot be recorded, is deleted again, so no half-made account
 * stays behind. `ferry rollback fallback` finds the account by the recorded
 * SID alone (a local user of this PC, checked again by the SAM's answer
 * before NetUserDel) and never while the prevent-login lease is in force.
 */
#include <windows.h>
#include <bcrypt.h>
#include <lm.h>

#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/utf.h"
#include "ux/pwgen.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"
#include "win/wine_guard.h"
#include "winutil.h"

#ifndef NT_SUCCESS
#define NT_SUCCESS(s) ((LONG)(s) >= 0)
#endif

static ferry_err bcrypt_random(void *ctx, uint8_t *buf, size_t len)
{
	NTSTATUS st;

	(void)ctx;
	st = BCryptGenRandom(NULL, buf, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
	if (!NT_SUCCESS(st))
		return ferry_error_set(FERRY_ESYSTEM, "BCryptGenRandom failed: NTSTATUS 0x%08lx", (unsigned long)st);
	return FERRY_OK;
}

static ferry_err net_error(const char *api, NET_API_STATUS st)
{
	return win_error(st == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM, api, st);
}

/* The localised name of BUILTIN\Administrators. */
static ferry_err administrators_name(wchar_t *name, DWORD cap)
{
	BYTE sid[SECURITY_MAX_SID_SIZE];
	DWORD sid_len = sizeof sid, dom_len = 256;
	wchar_t dom[256];
	SID_NAME_USE use;

	if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, sid, &sid_len))
		return win_last_error("CreateWellKnownSid(S-1-5-32-544)");
	if (!LookupAccountSidW(NULL, sid, name, &cap, dom, &dom_len, &use))
		return win_last_error("LookupAccountSidW(S-1-5-32-544)");
	return FERRY_OK;
}

static ferry_err add_to_administrators(const wchar_t *user)
{
	wchar_t group[256];
	LOCALGROUP_MEMBERS_INFO_3 m;
	NET_API_STATUS st;
	ferry_err rc = administrators_name(group, sizeof group / sizeof group[0]);

	if (rc)
		return rc;
	m.lgrmi3_domainandname = (LPWSTR)user;
	st = NetLocalGroupAddMembers(NULL, group, 3, (LPBYTE)&m, 1);
	if (st != NERR_Success && st != ERROR_MEMBER_IN_ALIAS)
		return net_error("NetLocalGroupAddMembers(S-1-5-32-544)", st);
	return FERRY_OK;
}

#define STATE_KEY L"SOFTWARE\\Ferry\\State"
#define SID_VALUE L"FallbackSid"
#define SID_TEXT_MAX 192

/* The local account's SID as text (NetUserGetInfo level 23: the SAM's own
 * answer, not a name lookup that could resolve to a domain account). */
static ferry_err sid_of(const wchar_t *user, wchar_t *out, size_t cap)
{
	USER_INFO_23 *ui = NULL;
	wchar_t *text = NULL;
	NET_API_STATUS st = NetUserGetInfo(NULL, user, 23, (LPBYTE *)&ui);
	ferry_err rc = FERRY_OK;

	if ((st != NERR_Success || !ui) && win_under_wine())
		rc = ferry_error_set(FERRY_ENOTIMPL, "NetUserGetInfo level 23 (the account's SID) is "
				     "not implemented under Wine; recording which account Ferry made "
				     "needs real Windows");
	else if (st != NERR_Success || !ui || !ui->usri23_user_sid)
		rc = net_error("NetUserGetInfo(23: the fallback account's SID)",
			       st != NERR_Success ? st : ERROR_INVALID_DATA);
	else if (!ConvertSidToStringSidW(ui->usri23_user_sid, &text))
		rc = win_last_error("ConvertSidToStringSidW");
	else if (wcslen(text) >= cap)
		rc = ferry_error_set(FERRY_ERANGE, "fallback account: SID too long");
	else
		wcscpy(out, text);
	LocalFree(text);
	if (ui)
		NetApiBufferFree(ui);
	return rc;
}

/* FERRY_OK when the existing account `user` is the one Ferry created. */
static ferry_err ours(const wchar_t *user)
{
	wchar_t sid[SID_TEXT_MAX], kept[SID_TEXT_MAX];
	ferry_err rc = sid_of(user, sid, SID_TEXT_MAX);

	if (rc)
		return rc;
	if (!wu_reg_get_sz(HKEY_LOCAL_MACHINE, STATE_KEY, SID_VALUE, kept, SID_TEXT_MAX) ||
	    _wcsicmp(sid, kept))
		return ferry_error_set(FERRY_EPERM, "local account \"%ls\" (%ls) exists and Ferry did "
				       "not create it: refusing to take it over", user, sid);
	return FERRY_OK;
}

static ferry_err record(const wchar_t *user)
{
	wchar_t sid[SID_TEXT_MAX];
	ferry_err rc = sid_of(user, sid, SID_TEXT_MAX);

	if (!rc)
		rc = wu_reg_set(HKEY_LOCAL_MACHINE, STATE_KEY, SID_VALUE, REG_SZ, sid,
				(DWORD)((wcslen(sid) + 1) * sizeof(wchar_t)));
	return rc;
}

/* The account stops working FALLBACK_LIFETIME_S after it was made (or
 * last reset): a break-glass account is for the migration, not for ever.
 * Seconds since 1970 in UTC, as USER_INFO_1017 wants them. */
#define FALLBACK_LIFETIME_S (30u * 86400u)

static ferry_err set_expiry(const wchar_t *user)
{
	USER_INFO_1017 ex;
	FILETIME ft;
	ULARGE_INTEGER t;
	DWORD parm = 0;
	NET_API_STATUS st;
	ferry_err rc = win_wine_stub_guard("NetUserSetInfo");

	if (rc)
		return rc;
	GetSystemTimeAsFileTime(&ft);
	t.LowPart = ft.dwLowDateTime;
	t.HighPart = ft.dwHighDateTime;
	ex.usri1017_acct_expires = (DWORD)(t.QuadPart / 10000000ull - 11644473600ull) +
				   FALLBACK_LIFETIME_S;
	st = NetUserSetInfo(NULL, user, 1017, (LPBYTE)&ex, &parm);
	if (st != NERR_Success)
		return net_error("NetUserSetInfo(1017: the fallback account's expiry)", st);
	return FERRY_OK;
}

/* Create the account, or reset the password of the existing one. The
 * existence check comes first because not every NetUserAdd refuses a
 * duplicate name (Wine's adds a second entry); NERR_UserExists from a race
 * with another creator is handled the same way. */
static ferry_err add_or_reset(const wchar_t *user, wchar_t *wpass, bool *created)
{
	USER_INFO_1 ui;
	USER_INFO_1003 pw;
	LPBYTE info = NULL;
	DWORD parm = 0;
	NET_API_STATUS st;

	*created = false;
	st = NetUserGetInfo(NULL, user, 0, &info);
	if (info)
		NetApiBufferFree(info);
	if (st != NERR_Success && st != NERR_UserNotFound)
		return net_error("NetUserGetInfo", st);
	if (st == NERR_UserNotFound) {
		memset(&ui, 0, sizeof ui);
		ui.usri1_name = (LPWSTR)user;
		ui.usri1_password = wpass;
		ui.usri1_priv = USER_PRIV_USER; /* NetUserAdd refuses USER_PRIV_ADMIN; the group makes it one */
		/* The password follows the PC's maximum password age; the
		 * account itself expires (set_expiry). */
		ui.usri1_flags = UF_SCRIPT | UF_NORMAL_ACCOUNT;
		ui.usri1_comment = (LPWSTR)L"Ferry break-glass account for the domain migration";
		st = NetUserAdd(NULL, 1, (LPBYTE)&ui, &parm);
		if (st == NERR_Success) {
			ferry_err rc = record(user);

			if (rc) /* unrecorded, it could never be told from a user's */
				NetUserDel(NULL, user);
			*created = rc == FERRY_OK;
			return rc;
		}
		if (st != NERR_UserExists)
			return net_error("NetUserAdd", st);
	}
	{
		ferry_err rc = ours(user);

		if (!rc)
			rc = win_wine_stub_guard("NetUserSetInfo");
		if (rc)
			return rc;
	}
	pw.usri1003_password = wpass;
	st = NetUserSetInfo(NULL, user, 1003, (LPBYTE)&pw, &parm);
	if (st != NERR_Success)
		return net_error("NetUserSetInfo(password of the existing account)", st);
	return FERRY_OK;
}

ferry_err win_fallback_create(const char *username, struct ferry_secret **password)
{
	static const char op[] = "fallback_create";
	struct ferry_secret *pw = NULL;
	uint16_t *user = NULL, *wpass = NULL;
	size_t ulen = 0, plen = 0;
	bool created = false;
	ferry_err rc;

	if (!password || !username || !*username)
		return ferry_error_set(FERRY_EINVAL, "win_fallback_create: missing username or output");
	*password = NULL;
	win_op_log(WIN_LOG_INFO, op, "creating local administrator \"%s\"", username);
	rc = ferry_utf8_to_utf16(&user, &ulen, username, strlen(username));
	if (rc == 0)
		rc = pwgen_generate(&pw, PWGEN_DEFAULT_LENGTH, bcrypt_random, NULL);
	if (rc == 0)
		rc = ferry_utf8_to_utf16(&wpass, &plen, (const char *)pw->data, pw->len);
	if (rc == 0)
		rc = add_or_reset((const wchar_t *)user, (wchar_t *)wpass, &created);
	if (rc == 0) {
		rc = set_expiry((const wchar_t *)user);
		if (rc == 0)
			rc = add_to_administrators((const wchar_t *)user);
		if (rc && created) {
			NET_API_STATUS st = NetUserDel(NULL, (LPCWSTR)user);
			win_op_log(WIN_LOG_WARN, op, "no expiry or not an administrator, so the new account was deleted again (%lu)",
				   (unsigned long)st);
			(void)wu_reg_delete(HKEY_LOCAL_MACHINE, STATE_KEY, SID_VALUE);
		}
	}
	if (rc == 0) {
		win_op_log(WIN_LOG_INFO, op, "\"%s\" %s, in S-1-5-32-544, password of %zu characters escrowed",
			   username, created ? "created" : "existed; password reset", pw->len);
		*password = pw;
		pw = NULL;
	}
	if (wpass)
		SecureZeroMemory(wpass, plen * sizeof *wpass);
	ferry_free(wpass);
	ferry_free(user);
	ferry_secret_free(pw);
	return win_op_result(op, rc);
}

ferry_err win_fallback_delete(const char *username)
{
	static const char op[] = "fallback_delete";
	uint16_t *user = NULL;
	size_t ulen = 0;
	NET_API_STATUS st;
	bool there = false;
	ferry_err rc;

	if (!username || !*username)
		return ferry_error_set(FERRY_EINVAL, "win_fallback_delete: missing username");
	win_op_log(WIN_LOG_INFO, op, "deleting local account \"%s\"", username);
	rc = ferry_utf8_to_utf16(&user, &ulen, username, strlen(username));
	if (rc)
		return win_op_result(op, rc);
	/* Only the account Ferry created (its recorded SID) is deleted. */
	rc = win_fallback_exists(username, &there);
	if (!rc && there)
		rc = ours((const wchar_t *)user);
	if (rc) {
		ferry_free(user);
		return win_op_result(op, rc);
	}
	st = there ? NetUserDel(NULL, (LPCWSTR)user) : NERR_UserNotFound;
	ferry_free(user);
	if (st != NERR_Success && st != NERR_UserNotFound)
		return win_op_result(op, net_error("NetUserDel", st));
	(void)wu_reg_delete(HKEY_LOCAL_MACHINE, STATE_KEY, SID_VALUE);
	if (st == NERR_UserNotFound)
		win_op_log(WIN_LOG_INFO, op, "\"%s\" does not exist: nothing to do", username);
	return win_op_result(op, 0);
}

ferry_err win_fallback_exists(const char *username, bool *exists)
{
	uint16_t *user = NULL;
	size_t ulen = 0;
	LPBYTE info = NULL;
	NET_API_STATUS st;
	ferry_err rc;

	if (!username || !*username || !exists)
		return ferry_error_set(FERRY_EINVAL, "win_fallback_exists: missing argument");
	*exists = false;
	rc = ferry_utf8_to_utf16(&user, &ulen, username, strlen(username));
	if (rc)
		return rc;
	st = NetUserGetInfo(NULL, (LPCWSTR)user, 0, &info);
	ferry_free(user);
	if (info)
		NetApiBufferFree(info);
	if (st == NERR_Success)
		*exists = true;
	else if (st != NERR_UserNotFound)
		return win_op_result("fallback_exists", net_error("NetUserGetInfo", st));
	return FERRY_OK;
}

/* The prevent-login lease (lease.c) is in force: then the break-glass
 * account is how helpdesk signs in, and it stays. */
static bool lease_in_force(void)
{
	ULONGLONG until = 0;
	DWORD size = sizeof(until);
	FILETIME now;
	ULARGE_INTEGER n;

	if (RegGetValueW(HKEY_LOCAL_MACHINE, STATE_KEY, L"PreventLoginUntil", RRF_RT_QWORD, NULL,
			 &until, &size) != ERROR_SUCCESS)
		return false;
	GetSystemTimeAsFileTime(&now);
	n.LowPart = now.dwLowDateTime;
	n.HighPart = now.dwHighDateTime;
	return until > n.QuadPart;
}

/* The recorded SID names a local user account of this PC: *name = its name. */
static ferry_err local_user_of(const wchar_t *sid_text, wchar_t *name, DWORD cap, bool *gone)
{
	wchar_t dom[256], pc[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD dom_len = 256, pc_len = MAX_COMPUTERNAME_LENGTH + 1;
	PSID sid = NULL;
	SID_NAME_USE use;
	ferry_err rc = FERRY_OK;

	*gone = false;
	if (!ConvertStringSidToSidW(sid_text, &sid))
		return ferry_error_set(FERRY_ECORRUPT, "recorded FallbackSid \"%ls\" is not a SID: "
				       "nothing deleted", sid_text);
	if (!LookupAccountSidW(NULL, sid, name, &cap, dom, &dom_len, &use)) {
		if (GetLastError() == ERROR_NONE_MAPPED)
			*gone = true;
		else
			rc = win_last_error("LookupAccountSidW(the recorded fallback SID)");
	} else if (use != SidTypeUser) {
		rc = ferry_error_set(FERRY_EPERM, "recorded FallbackSid %ls is %ls\\%ls, not a user "
				     "account: nothing deleted", sid_text, dom, name);
	} else if (!GetComputerNameW(pc, &pc_len)) {
		rc = win_last_error("GetComputerNameW");
	} else if (_wcsicmp(dom, pc)) {
		rc = ferry_error_set(FERRY_EPERM, "recorded FallbackSid %ls is %ls\\%ls, not a local "
				     "account of this PC (%ls): nothing deleted", sid_text, dom, name,
				     pc);
	}
	LocalFree(sid);
	return rc;
}

ferry_err win_fallback_rollback(enum win_fallback_rollback *what, char *name, size_t cap,
				char *sid, size_t sid_cap)
{
	static const char op[] = "fallback_rollback";
	wchar_t kept[SID_TEXT_MAX], user[257];
	char *user8 = NULL;
	bool gone = false;
	ferry_err rc;

	*what = WIN_FALLBACK_NONE_RECORDED;
	name[0] = sid[0] = '\0';
	if (!wu_reg_get_sz(HKEY_LOCAL_MACHINE, STATE_KEY, SID_VALUE, kept, SID_TEXT_MAX)) {
		win_op_log(WIN_LOG_INFO, op, "no break-glass account recorded: nothing to delete");
		return FERRY_OK;
	}
	wu_utf8_into(sid, sid_cap, kept);
	rc = local_user_of(kept, user, 257, &gone);
	if (!rc && gone) {
		*what = WIN_FALLBACK_ALREADY_GONE;
		win_op_log(WIN_LOG_INFO, op, "no account has the recorded SID %s any more: record "
			   "cleared", sid);
		return win_op_result(op, wu_reg_delete(HKEY_LOCAL_MACHINE, STATE_KEY, SID_VALUE));
	}
	if (!rc && lease_in_force())
		rc = ferry_error_set(FERRY_EBUSY, "prevent-login is in force (PreventLoginUntil): "
				     "the break-glass account %ls is helpdesk's way in and stays; "
				     "run this again once the migration has ended", user);
	if (!rc && !(user8 = wu_utf8(user)))
		rc = ferry_error_set(FERRY_ENOMEM, "fallback account name");
	/* win_fallback_delete checks the account's SID against the record
	 * again (the SAM's own answer), then deletes it and the record. */
	if (!rc && !(rc = win_fallback_delete(user8))) {
		*what = WIN_FALLBACK_DELETED;
		snprintf(name, cap, "%s", user8);
	}
	ferry_free(user8);
	return win_op_result(op, rc);
}
