/*
 * Starting the notifier in a user's session: the service (LocalSystem)
 * takes the session's user token (WTSQueryUserToken) and starts
 * ferry-notify.exe from its own folder with it (CreateProcessAsUserW) on
 * that session's default desktop. One instance per session: the notifier
 * itself holds the named mutex Local\Ferry.Notify (Local\ is the session's
 * own namespace, which session 0 cannot open), and a second copy exits at
 * once, so a repeated start is harmless. The HKLM Run entry (the MSI's) is
 * the fallback when the service misses a logon.
 */
#include <windows.h>
#include <userenv.h>
#include <wtsapi32.h>

#include <wchar.h>

#include "win/session.h"
#include "win/win_err.h"

/* <folder of this service's .exe>\ferry-notify.exe, quoted for the command line. */
static ferry_err notifier_path(wchar_t *exe, size_t cap, wchar_t *cmd, size_t cmdcap)
{
	DWORD n = GetModuleFileNameW(NULL, exe, (DWORD)cap);
	wchar_t *sep;

	if (!n || n >= cap)
		return win_last_error("GetModuleFileNameW");
	sep = wcsrchr(exe, L'\\');
	if (!sep || (size_t)(sep - exe) + 18 >= cap)
		return ferry_error_set(FERRY_ERANGE, "notifier: service path too long");
	wcscpy(sep + 1, L"ferry-notify.exe");
	_snwprintf(cmd, cmdcap, L"\"%ls\"", exe);
	cmd[cmdcap - 1] = 0;
	return FERRY_OK;
}

ferry_err win_session_start_notifier(unsigned long session_id)
{
	wchar_t exe[MAX_PATH], cmd[MAX_PATH + 4], desktop[] = L"winsta0\\default";
	HANDLE token = NULL;
	void *env = NULL;
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	ferry_err rc = notifier_path(exe, MAX_PATH, cmd, MAX_PATH + 4);

	if (rc)
		return rc;
	if (!WTSQueryUserToken((ULONG)session_id, &token))
		return win_last_error("WTSQueryUserToken");
	/* The user's own environment, so %TEMP% and %APPDATA% are theirs. */
	if (!CreateEnvironmentBlock(&env, token, FALSE))
		env = NULL;
	ZeroMemory(&si, sizeof si);
	si.cb = sizeof si;
	si.lpDesktop = desktop;
	ZeroMemory(&pi, sizeof pi);
	if (!CreateProcessAsUserW(token, exe, cmd, NULL, NULL, FALSE,
				  CREATE_UNICODE_ENVIRONMENT | CREATE_NEW_PROCESS_GROUP, env, NULL, &si,
				  &pi)) {
		rc = win_last_error("CreateProcessAsUserW");
	} else {
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
	}
	if (env)
		DestroyEnvironmentBlock(env);
	CloseHandle(token);
	return rc;
}
