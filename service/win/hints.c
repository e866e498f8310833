/* Registry hints for ferrycp.dll; the table of values is in hints.h. */
#include "win/hints.h"

#include <windows.h>

#include <string.h>
#include <wchar.h>

#include "win/oplog.h"
#include "win/win_err.h"

static ferry_err put(const wchar_t *name, DWORD type, const void *data, DWORD cb)
{
	HKEY k = NULL;
	LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, SVC_HINTS_KEY, 0, NULL, 0, KEY_SET_VALUE,
				     NULL, &k, NULL);

	if (rc != ERROR_SUCCESS)
		return svc_win_error(FERRY_ESYSTEM, "RegCreateKeyExW(HKLM\\SOFTWARE\\Ferry\\State)",
				     (unsigned long)rc);
	rc = RegSetValueExW(k, name, 0, type, data, cb);
	RegCloseKey(k);
	if (rc != ERROR_SUCCESS)
		return svc_win_error(FERRY_ESYSTEM, "RegSetValueExW(State hint)", (unsigned long)rc);
	return FERRY_OK;
}

static ferry_err drop(const wchar_t *name)
{
	HKEY k = NULL;
	LSTATUS rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, SVC_HINTS_KEY, 0, KEY_SET_VALUE, &k);

	if (rc == ERROR_FILE_NOT_FOUND)
		return FERRY_OK;
	if (rc != ERROR_SUCCESS)
		return svc_win_error(FERRY_ESYSTEM, "RegOpenKeyExW(HKLM\\SOFTWARE\\Ferry\\State)",
				     (unsigned long)rc);
	rc = RegDeleteValueW(k, name);
	RegCloseKey(k);
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
		return svc_win_error(FERRY_ESYSTEM, "RegDeleteValueW(State hint)", (unsigned long)rc);
	return FERRY_OK;
}

ferry_err svc_hint_migration_running(bool running)
{
	DWORD one = 1;

	svc_op_log(SVC_LOG_INFO, "hint", "MigrationRunning: %s", running ? "1" : "cleared");
	return svc_op_result("hint", running ? put(HINT_W(HINT_MIGRATING), REG_DWORD, &one, sizeof(one)) :
						 drop(HINT_W(HINT_MIGRATING)));
}

ferry_err svc_hint_fallback_account(const char *username)
{
	wchar_t w[257];

	if (!username) {
		svc_op_log(SVC_LOG_INFO, "hint", "FallbackAccount: cleared");
		return svc_op_result("hint", drop(HINT_W(HINT_FALLBACK)));
	}
	if (!hint_fallback_name_ok(username))
		return svc_op_result("hint", ferry_error_set(FERRY_EINVAL, "FallbackAccount: "
								 "\"%s\" is not a local account name",
								 username));
	if (!MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, username, -1, w, 257))
		return svc_op_result("hint", ferry_error_set(FERRY_EINVAL, "FallbackAccount: the "
								 "name is too long or not UTF-8"));
	svc_op_log(SVC_LOG_INFO, "hint", "FallbackAccount: %s", username);
	return svc_op_result("hint", put(HINT_W(HINT_FALLBACK), REG_SZ, w,
					 (DWORD)((wcslen(w) + 1) * sizeof(wchar_t))));
}

ferry_err svc_hint_prevent_login_cap(unsigned hours)
{
	DWORD h = hours > HINT_CAP_MAX_HOURS ? HINT_CAP_MAX_HOURS : hours;

	if (!hours) {
		svc_op_log(SVC_LOG_INFO, "hint", "PreventLoginCapHours: cleared");
		return svc_op_result("hint", drop(HINT_W(HINT_LEASE_CAP)));
	}
	svc_op_log(SVC_LOG_INFO, "hint", "PreventLoginCapHours: %lu", (unsigned long)h);
	return svc_op_result("hint", put(HINT_W(HINT_LEASE_CAP), REG_DWORD, &h, sizeof(h)));
}
