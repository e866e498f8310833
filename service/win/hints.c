/* Registry hints for ferrycp.dll; the table of values is in hints.h. */
#include "win/hints.h"

#include <windows.h>

#include <string.h>
#include <wchar.h>

#include "win/oplog.h"
#include "win/win_err.h"
#include "winutil.h"

static ferry_err put(const wchar_t *name, DWORD type, const void *data, DWORD cb)
{
	return wu_reg_set(HKEY_LOCAL_MACHINE, WIN_HINTS_KEY, name, type, data, cb);
}

static ferry_err drop(const wchar_t *name)
{
	return wu_reg_delete(HKEY_LOCAL_MACHINE, WIN_HINTS_KEY, name);
}

ferry_err win_hint_migration_running(bool running)
{
	DWORD one = 1;

	win_op_log(WIN_LOG_INFO, "hint", "MigrationRunning: %s", running ? "1" : "cleared");
	return win_op_result("hint", running ? put(HINT_W(HINT_MIGRATING), REG_DWORD, &one, sizeof(one)) :
						 drop(HINT_W(HINT_MIGRATING)));
}

ferry_err win_hint_fallback_account(const char *username)
{
	wchar_t w[257];

	if (!username) {
		win_op_log(WIN_LOG_INFO, "hint", "FallbackAccount: cleared");
		return win_op_result("hint", drop(HINT_W(HINT_FALLBACK)));
	}
	if (!hint_fallback_name_ok(username))
		return win_op_result("hint", ferry_error_set(FERRY_EINVAL, "FallbackAccount: "
								 "\"%s\" is not a local account name",
								 username));
	if (!wu_wide_into(w, 257, username))
		return win_op_result("hint", ferry_error_set(FERRY_EINVAL, "FallbackAccount: the "
								 "name is too long or not UTF-8"));
	win_op_log(WIN_LOG_INFO, "hint", "FallbackAccount: %s", username);
	return win_op_result("hint", put(HINT_W(HINT_FALLBACK), REG_SZ, w,
					 (DWORD)((wcslen(w) + 1) * sizeof(wchar_t))));
}

ferry_err win_hint_prevent_login_cap(unsigned hours)
{
	DWORD h = hours > HINT_CAP_MAX_HOURS ? HINT_CAP_MAX_HOURS : hours;

	if (!hours) {
		win_op_log(WIN_LOG_INFO, "hint", "PreventLoginCapHours: cleared");
		return win_op_result("hint", drop(HINT_W(HINT_LEASE_CAP)));
	}
	win_op_log(WIN_LOG_INFO, "hint", "PreventLoginCapHours: %lu", (unsigned long)h);
	return win_op_result("hint", put(HINT_W(HINT_LEASE_CAP), REG_DWORD, &h, sizeof(h)));
}
