/*
 * cache_credentials: an interactive logon against the target domain, so
 * Windows keeps a cached logon for the target account (design.md §1.1).
 * Which outcome the DC's answer means is decided by core/ux/logon_outcome.
 *
 * A success is trusted only with a real token: the token's statistics must
 * be readable before we say "cached", because a stubbed LogonUser (Wine's)
 * can answer TRUE without one, and a false "ok" would let the migration run
 * without cached credentials (design.md §1.2: never without them).
 *
 * And "cached" only when Windows really keeps a verifier
 * (logon_cache_verdict): CachedLogonsCount above 0 (Winlogon's value;
 * "Interactive logon: Number of previous logons to cache") and the account
 * not in Protected Users, whose members' credentials are never cached
 * (the token's groups hold the domain's RID 525). A UPN goes to
 * LogonUserExW whole with a NULL domain, as its page requires, so an
 * alternate UPN suffix works.
 */
#include <windows.h>
#include <sddl.h>

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ipc/msg.h"
#include "util/mem.h"
#include "util/utf.h"
#include "ux/logon_outcome.h"
#include "ux/logon_policy.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"
#include "win/wine_guard.h"
#include "winutil.h"

/* The token LogonUserExW returned is a real logon token. */
static ferry_err token_is_real(HANDLE token)
{
	TOKEN_STATISTICS st;
	DWORD got = 0;

	if (!GetTokenInformation(token, TokenStatistics, &st, sizeof st, &got))
		return win_error(FERRY_ESYSTEM,
				     "LogonUserExW reported success but its token is unusable; GetTokenInformation",
				     GetLastError());
	return FERRY_OK;
}

#define WINLOGON_KEY L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
#define LOGONUI_KEY L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\LogonUI"

/* CachedLogonsCount as Winlogon reads it (REG_SZ); absent = Windows' default. */
static uint32_t cached_logons_count(void)
{
	wchar_t w[32];
	char a[32];
	uint32_t n = 0;
	size_t i;

	if (!wu_reg_get_sz(HKEY_LOCAL_MACHINE, WINLOGON_KEY, L"CachedLogonsCount", w, 32)) {
		logon_cached_count_parse(&n, NULL);
		return n;
	}
	for (i = 0; w[i] && i < sizeof(a) - 1; i++)
		a[i] = w[i] < 0x80 ? (char)w[i] : '?';
	a[i] = '\0';
	if (logon_cached_count_parse(&n, a) != FERRY_OK)
		win_op_log(WIN_LOG_WARN, "logon_check", "%s: read as 0", ferry_error_detail());
	return n;
}

/* Whether the token's groups hold a domain's Protected Users (RID 525). */
static bool in_protected_users(HANDLE token)
{
	TOKEN_GROUPS *g = NULL;
	DWORD need = 0;
	bool found = false;

	GetTokenInformation(token, TokenGroups, NULL, 0, &need);
	if (!need || !(g = ferry_malloc(need)) ||
	    !GetTokenInformation(token, TokenGroups, g, need, &need)) {
		ferry_free(g);
		return false;
	}
	for (DWORD i = 0; i < g->GroupCount && !found; i++) {
		char *sid = NULL;

		if (ConvertSidToStringSidA(g->Groups[i].Sid, &sid)) {
			found = logon_sid_is_protected_users(sid);
			LocalFree(sid);
		}
	}
	ferry_free(g);
	return found;
}

ferry_err win_last_logon_user(char *out, size_t cap)
{
	wchar_t w[IPC_NAME_MAX * 2 + 2];
	char *u = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (!wu_reg_get_sz(HKEY_LOCAL_MACHINE, LOGONUI_KEY, L"LastLoggedOnSAMUser", w,
			   sizeof(w) / sizeof(w[0])))
		return ferry_error_set(FERRY_ENOTFOUND, "LastLoggedOnSAMUser: absent");
	if (ferry_utf16_to_utf8(&u, &n, (const uint16_t *)w, wcslen(w)) != FERRY_OK)
		return ferry_error_set(FERRY_ECORRUPT, "LastLoggedOnSAMUser: not valid UTF-16");
	snprintf(out, cap, "%s", u);
	ferry_free(u);
	return FERRY_OK;
}

ferry_err win_logon_check(enum logon_outcome *out, const char *user, const char *domain,
			  struct ferry_secret *password)
{
	static const char op[] = "logon_check";
	wchar_t *wuser = NULL, *wdomain = NULL, *wpass = NULL;
	size_t wpass_len = 0;
	HANDLE token = NULL;
	DWORD err = 0;
	ferry_err rc;

	bool upn = user && domain && !*domain && strchr(user, '@');

	if (!out || !user || !domain || !password || !password->data || !*user ||
	    (!*domain && !upn)) {
		rc = ferry_error_set(FERRY_EINVAL, "win_logon_check: missing user, domain or password");
		goto out;
	}
	*out = LOGON_OUTCOME_OTHER;
	win_op_log(WIN_LOG_INFO, op, "interactive logon as %s@%s (to cache it)", user, domain);
	if (!(wuser = wu_wide(user)))
		rc = ferry_error_set(FERRY_EINVAL, "user: not valid UTF-8");
	else if (!(wdomain = wu_wide(domain)))
		rc = ferry_error_set(FERRY_EINVAL, "domain: not valid UTF-8");
	else {
		rc = ferry_utf8_to_utf16((uint16_t **)&wpass, &wpass_len, (const char *)password->data,
					 password->len);
		if (rc)
			rc = ferry_error_set(rc, "password: not valid UTF-8"); /* never the bytes */
	}
	if (rc == 0)
		rc = win_wine_stub_guard("LogonUserExW");
	if (rc)
		goto out;
	if (LogonUserExW(wuser, upn ? NULL : wdomain, wpass, LOGON32_LOGON_INTERACTIVE,
			 LOGON32_PROVIDER_DEFAULT, &token, NULL, NULL, NULL, NULL)) {
		rc = token_is_real(token);
		if (rc)
			goto out;
	} else {
		err = GetLastError();
	}
	*out = logon_outcome_from_win32(err);
	if (*out == LOGON_OUTCOME_OK)
		*out = logon_cache_verdict(*out, cached_logons_count(), in_protected_users(token));
	win_op_log(*out == LOGON_OUTCOME_OK ? WIN_LOG_INFO : WIN_LOG_WARN, op, "%s@%s: %s (Win32 %lu)", user,
		   domain, logon_outcome_code(*out), (unsigned long)err);
out:
	if (token)
		CloseHandle(token);
	if (wpass) {
		SecureZeroMemory(wpass, wpass_len * sizeof *wpass);
		ferry_free(wpass);
	}
	ferry_free(wuser);
	ferry_free(wdomain);
	ferry_secret_free(password);
	if (rc)
		win_op_result(op, rc);
	return rc;
}
