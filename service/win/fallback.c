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
 * Create is idempotent: an account that already exists gets a fresh
 * password (so the escrowed one is the valid one) and is put in the group
 * again (already a member is fine). A new account that cannot be made an
 * administrator is deleted again, so no half-made account stays behind.
 */
#include <windows.h>
#include <bcrypt.h>
#include <lm.h>

#include <string.h>

#include "util/utf.h"
#include "ux/pwgen.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"
#include "win/wine_guard.h"

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
		ui.usri1_flags = UF_SCRIPT | UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD;
		ui.usri1_comment = (LPWSTR)L"Ferry break-glass account for the domain migration";
		st = NetUserAdd(NULL, 1, (LPBYTE)&ui, &parm);
		if (st == NERR_Success) {
			*created = true;
			return FERRY_OK;
		}
		if (st != NERR_UserExists)
			return net_error("NetUserAdd", st);
	}
	{
		ferry_err rc = win_wine_stub_guard("NetUserSetInfo");
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
		rc = add_to_administrators((const wchar_t *)user);
		if (rc && created) {
			NET_API_STATUS st = NetUserDel(NULL, (LPCWSTR)user);
			win_op_log(WIN_LOG_WARN, op, "not an administrator, so the new account was deleted again (%lu)",
				   (unsigned long)st);
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
	ferry_err rc;

	if (!username || !*username)
		return ferry_error_set(FERRY_EINVAL, "win_fallback_delete: missing username");
	win_op_log(WIN_LOG_INFO, op, "deleting local account \"%s\"", username);
	rc = ferry_utf8_to_utf16(&user, &ulen, username, strlen(username));
	if (rc)
		return win_op_result(op, rc);
	st = NetUserDel(NULL, (LPCWSTR)user);
	ferry_free(user);
	if (st == NERR_UserNotFound) {
		win_op_log(WIN_LOG_INFO, op, "\"%s\" does not exist: nothing to do", username);
		return FERRY_OK;
	}
	if (st != NERR_Success)
		return win_op_result(op, net_error("NetUserDel", st));
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
