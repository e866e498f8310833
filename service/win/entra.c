/*
 * Leaving Entra ID (Azure AD): `dsregcmd /leave` from System32, through the
 * shared runner (job object, timeout, capped output). Run as SYSTEM, which
 * dsregcmd /leave requires. Its output goes to the log (it holds no secret:
 * device ids and states only) and to the caller.
 */
#include <windows.h>

#include <stdio.h>

#include "win/cmd_run.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"

#define DSREGCMD_TIMEOUT_MS (120u * 1000u)

ferry_err win_entra_leave(struct win_cmd_output *out)
{
	static const char op[] = "entra_leave";
	wchar_t sys[MAX_PATH], cmd[MAX_PATH + 40];
	UINT n;
	ferry_err rc;

	if (!out)
		return ferry_error_set(FERRY_EINVAL, "win_entra_leave: missing output");
	n = GetSystemDirectoryW(sys, MAX_PATH);
	if (n == 0 || n >= MAX_PATH)
		return win_op_result(op, win_last_error("GetSystemDirectoryW"));
	_snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\\dsregcmd.exe\" /leave", sys);
	cmd[sizeof cmd / sizeof cmd[0] - 1] = 0;
	win_op_log(WIN_LOG_INFO, op, "running dsregcmd /leave");
	rc = win_cmd_run(cmd, sys, DSREGCMD_TIMEOUT_MS, out);
	if (rc)
		return win_op_result(op, ferry_error_wrap(rc, "dsregcmd /leave: "));
	win_op_log(WIN_LOG_INFO, op, "dsregcmd /leave exited with %lu; output (%zu bytes%s): %.2000s",
		   out->exit_code, out->len, out->truncated ? ", truncated" : "", out->text ? out->text : "");
	if (out->exit_code != 0)
		return win_op_result(op, ferry_error_set(FERRY_ESYSTEM, "dsregcmd /leave exited with %lu",
							  out->exit_code));
	return win_op_result(op, 0);
}
