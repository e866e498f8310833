/*
 * cache_credentials: an interactive logon against the target domain, so
 * Windows keeps a cached logon for the target account (design.md §1.1).
 * Which outcome the DC's answer means is decided by core/ux/logon_outcome.
 *
 * A success is trusted only with a real token: the token's statistics must
 * be readable before we say "cached", because a stubbed LogonUser (Wine's)
 * can answer TRUE without one, and a false "ok" would let the migration run
 * without cached credentials (design.md §1.2: never without them).
 */
#include <windows.h>

#include <assert.h>
#include <string.h>

#include "util/mem.h"
#include "util/utf.h"
#include "ux/logon_outcome.h"
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

ferry_err win_logon_check(enum logon_outcome *out, const char *user, const char *domain,
			  struct ferry_secret *password)
{
	static const char op[] = "logon_check";
	wchar_t *wuser = NULL, *wdomain = NULL, *wpass = NULL;
	size_t wpass_len = 0;
	HANDLE token = NULL;
	DWORD err = 0;
	ferry_err rc;

	if (!out || !user || !domain || !password || !password->data || !*user || !*domain) {
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
	if (LogonUserExW(wuser, wdomain, wpass, LOGON32_LOGON_INTERACTIVE, LOGON32_PROVIDER_DEFAULT,
			 &token, NULL, NULL, NULL, NULL)) {
		rc = token_is_real(token);
		if (rc)
			goto out;
	} else {
		err = GetLastError();
	}
	*out = logon_outcome_from_win32(err);
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
