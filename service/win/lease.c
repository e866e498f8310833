/*
 * The prevent-login lease (design.md §3): HKLM\SOFTWARE\Ferry\State\
 * PreventLoginUntil, a REG_QWORD FILETIME the credential provider's filter
 * reads with core/ux/lease.h's rule. The service writes it, capped at
 * now + cap so a stuck service can never lock people out for longer than
 * the runbook allows; clearing deletes the value (the filter fails open).
 */
#include <windows.h>

#include "ux/hints.h"
#include "ux/lease.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"

#define LEASE_KEY HINT_W(HINT_KEY_STATE)
#define LEASE_VALUE HINT_W(HINT_LEASE)

ferry_err win_lease_write(int64_t until_unix, int64_t now_unix, uint64_t cap_seconds)
{
	static const char op[] = "lease_write";
	int64_t cap_end = now_unix;
	uint64_t ft;
	HKEY k = NULL;
	LSTATUS st;

	if (cap_seconds > (uint64_t)INT64_MAX - (uint64_t)(now_unix > 0 ? now_unix : 0))
		cap_seconds = (uint64_t)INT64_MAX - (uint64_t)(now_unix > 0 ? now_unix : 0);
	cap_end = now_unix + (int64_t)cap_seconds;
	if (until_unix > cap_end) {
		win_op_log(WIN_LOG_WARN, op, "requested until %lld is beyond now + cap (%llu s); capped to %lld",
			   (long long)until_unix, (unsigned long long)cap_seconds, (long long)cap_end);
		until_unix = cap_end;
	}
	ft = lease_filetime_from_unix(until_unix);
	win_op_log(WIN_LOG_INFO, op, "PreventLoginUntil = %lld (Unix), FILETIME %llu", (long long)until_unix,
		   (unsigned long long)ft);
	st = RegCreateKeyExW(HKEY_LOCAL_MACHINE, LEASE_KEY, 0, NULL, REG_OPTION_NON_VOLATILE,
			     KEY_SET_VALUE, NULL, &k, NULL);
	if (st != ERROR_SUCCESS)
		return win_op_result(op, win_error(st == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM,
							"RegCreateKeyExW(HKLM\\SOFTWARE\\Ferry\\State)", (unsigned long)st));
	/* REG_QWORD data is the little-endian 8 bytes; x86/x64/ARM64 Windows is
	 * little-endian, so the integer's bytes are the value's bytes. */
	st = RegSetValueExW(k, LEASE_VALUE, 0, REG_QWORD, (const BYTE *)&ft, sizeof ft);
	if (st == ERROR_SUCCESS)
		st = RegFlushKey(k); /* the filter must see it after a power cut too */
	RegCloseKey(k);
	if (st != ERROR_SUCCESS)
		return win_op_result(op, win_error(FERRY_ESYSTEM, "RegSetValueExW(PreventLoginUntil)",
							(unsigned long)st));
	return win_op_result(op, FERRY_OK);
}

ferry_err win_lease_clear(void)
{
	static const char op[] = "lease_clear";
	HKEY k = NULL;
	LSTATUS st;

	win_op_log(WIN_LOG_INFO, op, "deleting PreventLoginUntil (logon open to everyone)");
	st = RegOpenKeyExW(HKEY_LOCAL_MACHINE, LEASE_KEY, 0, KEY_SET_VALUE, &k);
	if (st == ERROR_FILE_NOT_FOUND)
		return win_op_result(op, FERRY_OK);
	if (st != ERROR_SUCCESS)
		return win_op_result(op, win_error(FERRY_ESYSTEM, "RegOpenKeyExW(HKLM\\SOFTWARE\\Ferry\\State)",
							(unsigned long)st));
	st = RegDeleteValueW(k, LEASE_VALUE);
	if (st == ERROR_SUCCESS)
		st = RegFlushKey(k);
	RegCloseKey(k);
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
		return win_op_result(op, win_error(FERRY_ESYSTEM, "RegDeleteValueW(PreventLoginUntil)",
							(unsigned long)st));
	return win_op_result(op, FERRY_OK);
}
