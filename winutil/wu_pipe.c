/*
 * Who serves \\.\pipe\Ferry.Agent (winutil.h, wu_pipe_server_verify): the
 * one check every pipe client runs after CreateFileW and before its first
 * byte, so a user who creates the pipe while the service is down (upgrade,
 * restart after a crash, START_SERVICE=0) gets nothing: not the password
 * LogonUI's tile would send, not a subscribe, not a decision.
 *
 * The server is trusted only when all of these hold:
 *  1. the pipe object's owner is the expected principal (SYSTEM). The
 *     service creates the pipe with an explicit owner (O:SY in its SDDL);
 *     a user cannot make an object owned by SYSTEM (that needs
 *     SeRestorePrivilege), and the client reads the owner through its own
 *     handle (READ_CONTROL is part of the client's read access);
 *  2. the serving process's token user is that principal, read with
 *     GetNamedPipeServerProcessId + OpenProcessToken. A standard user may
 *     be refused TOKEN_QUERY on a SYSTEM process's token; that refusal is
 *     itself proof the server is not a process of that user (every process
 *     a user can start is one they may query), so it falls back on (1);
 *  3. the serving process's image is the installed ferrysvc.exe: the same
 *     file (volume serial and file index, so 8.3 names, case and \\?\
 *     prefixes do not matter) as the binary the SCM starts for the
 *     "Ferry" service (QueryServiceConfigW, which only administrators can
 *     change).
 *
 * Test expectations (HKLM\SOFTWARE\Ferry\Test, writable only by
 * administrators, like the notifier's NotifyTestHooks): PipeServerSid
 * replaces SYSTEM in check 2 and PipeServerImage replaces the SCM's image
 * in check 3. Check 1 always wants SYSTEM. Wine runs
 * every process as one user and its tests start ferrysvc.exe outside the
 * SCM, so its suites name their own server there; the checks themselves
 * run unchanged (docs/windows-test-plan.md lists what only Windows shows).
 */
#include "winutil.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "util/mem.h"

#define SID_TEXT_MAX 192

static ferry_err last_error(const char *what)
{
	return ferry_error_set(FERRY_ESYSTEM, "pipe server check: %s failed (Win32 %lu)", what,
			       (unsigned long)GetLastError());
}

/* The principal the server must run as: S-1-5-18 unless a test names another. */
static ferry_err expected_sid(PSID *out)
{
	wchar_t text[SID_TEXT_MAX];

	if (!wu_reg_get_sz(HKEY_LOCAL_MACHINE, WU_TEST_KEY, L"PipeServerSid", text, SID_TEXT_MAX))
		wcscpy(text, L"S-1-5-18");
	if (!ConvertStringSidToSidW(text, out))
		return last_error("ConvertStringSidToSidW");
	return FERRY_OK;
}

/* The executable of a service command line: quoted, else up to ".exe". */
static bool image_of_command(wchar_t *out, size_t cap, const wchar_t *cmd)
{
	const wchar_t *end;
	size_t n;

	if (cmd[0] == L'"') {
		cmd++;
		end = wcschr(cmd, L'"');
	} else {
		const wchar_t *exe = NULL;

		for (const wchar_t *p = cmd; *p; p++)
			if (!_wcsnicmp(p, L".exe", 4)) {
				exe = p + 4;
				break;
			}
		end = exe;
	}
	if (!end || (n = (size_t)(end - cmd)) == 0 || n >= cap)
		return false;
	memcpy(out, cmd, n * sizeof(wchar_t));
	out[n] = L'\0';
	return true;
}

/* The installed ferrysvc.exe: what the SCM starts for "Ferry" (or the test's). */
static ferry_err expected_image(wchar_t *out, size_t cap)
{
	SC_HANDLE scm = NULL, svc = NULL;
	QUERY_SERVICE_CONFIGW *cfg = NULL;
	DWORD need = 0;
	ferry_err rc = FERRY_OK;

	if (wu_reg_get_sz(HKEY_LOCAL_MACHINE, WU_TEST_KEY, L"PipeServerImage", out, cap))
		return FERRY_OK;
	if (!(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) ||
	    !(svc = OpenServiceW(scm, WU_SERVICE_NAME, SERVICE_QUERY_CONFIG))) {
		rc = ferry_error_set(FERRY_ENOTFOUND, "pipe server check: the %ls service is not "
				     "installed (Win32 %lu)", WU_SERVICE_NAME,
				     (unsigned long)GetLastError());
		goto out;
	}
	if (!QueryServiceConfigW(svc, NULL, 0, &need) && GetLastError() != ERROR_INSUFFICIENT_BUFFER) {
		rc = last_error("QueryServiceConfigW");
		goto out;
	}
	if (!(cfg = ferry_malloc(need))) {
		rc = ferry_error_set(FERRY_ENOMEM, "pipe server check: out of memory");
		goto out;
	}
	if (!QueryServiceConfigW(svc, cfg, need, &need))
		rc = last_error("QueryServiceConfigW");
	else if (!cfg->lpBinaryPathName || !image_of_command(out, cap, cfg->lpBinaryPathName))
		rc = ferry_error_set(FERRY_ECORRUPT, "pipe server check: the service's command "
				     "line names no executable");
out:
	ferry_free(cfg);
	if (svc)
		CloseServiceHandle(svc);
	if (scm)
		CloseServiceHandle(scm);
	return rc;
}

/* Volume serial and file index of path: one file however its path is spelled. */
static bool file_id(const wchar_t *path, BY_HANDLE_FILE_INFORMATION *out)
{
	HANDLE h = CreateFileW(path, FILE_READ_ATTRIBUTES,
			       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			       OPEN_EXISTING, 0, NULL);
	BOOL ok;

	if (h == INVALID_HANDLE_VALUE)
		return false;
	ok = GetFileInformationByHandle(h, out);
	CloseHandle(h);
	return ok != 0;
}

static ferry_err check_image(HANDLE proc)
{
	wchar_t got[MAX_PATH * 2], want[MAX_PATH * 2];
	DWORD n = MAX_PATH * 2;
	BY_HANDLE_FILE_INFORMATION a, b;
	ferry_err rc;

	if (!QueryFullProcessImageNameW(proc, 0, got, &n))
		return last_error("QueryFullProcessImageNameW");
	if ((rc = expected_image(want, MAX_PATH * 2)) != FERRY_OK)
		return rc;
	if (!file_id(got, &a) || !file_id(want, &b) ||
	    a.dwVolumeSerialNumber != b.dwVolumeSerialNumber ||
	    a.nFileIndexHigh != b.nFileIndexHigh || a.nFileIndexLow != b.nFileIndexLow)
		return ferry_error_set(FERRY_EAUTH, "pipe server check: the server runs %ls, not the "
				       "installed %ls", got, want);
	return FERRY_OK;
}

static void sid_text(PSID sid, char *out, size_t cap)
{
	wchar_t *w = NULL;

	snprintf(out, cap, "?");
	if (sid && ConvertSidToStringSidW(sid, &w)) {
		snprintf(out, cap, "%ls", w);
		LocalFree(w);
	}
}

/* (1) the pipe object's owner. */
static ferry_err check_owner(HANDLE pipe, PSID want)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL;
	char text[SID_TEXT_MAX];
	DWORD e = GetSecurityInfo(pipe, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner, NULL,
				  NULL, NULL, &sd);
	ferry_err rc = FERRY_OK;

	if (e != ERROR_SUCCESS) {
		SetLastError(e);
		return last_error("GetSecurityInfo(pipe owner)");
	}
	if (!owner || !EqualSid(owner, want)) {
		sid_text(owner, text, sizeof(text));
		rc = ferry_error_set(FERRY_EAUTH, "pipe server check: the pipe is owned by %s, not "
				     "by SYSTEM", text);
	}
	LocalFree(sd);
	return rc;
}

/* (2) the serving process's token user, when this caller may read it. */
static ferry_err check_token(HANDLE proc, PSID want)
{
	uint8_t buf[256];
	TOKEN_USER *user = (TOKEN_USER *)(void *)buf;
	HANDLE tok = NULL;
	DWORD len = 0;
	char text[SID_TEXT_MAX];
	ferry_err rc = FERRY_OK;

	if (!OpenProcessToken(proc, TOKEN_QUERY, &tok))
		return GetLastError() == ERROR_ACCESS_DENIED ? FERRY_OK /* (1) decides */ :
							       last_error("OpenProcessToken");
	if (!GetTokenInformation(tok, TokenUser, user, sizeof(buf), &len)) {
		rc = last_error("GetTokenInformation(TokenUser)");
	} else if (!EqualSid(user->User.Sid, want)) {
		sid_text(user->User.Sid, text, sizeof(text));
		rc = ferry_error_set(FERRY_EAUTH, "pipe server check: the server runs as %s, not as "
				     "the service's account", text);
	}
	CloseHandle(tok);
	return rc;
}

ferry_err wu_pipe_server_verify(HANDLE pipe)
{
	PSID want = NULL, system = NULL;
	HANDLE proc = NULL;
	ULONG pid = 0;
	ferry_err rc;

	if (!ConvertStringSidToSidW(L"S-1-5-18", &system))
		return last_error("ConvertStringSidToSidW");
	rc = check_owner(pipe, system);
	LocalFree(system);
	if (rc != FERRY_OK || (rc = expected_sid(&want)) != FERRY_OK)
		return rc;
	if (!GetNamedPipeServerProcessId(pipe, &pid)) {
		rc = last_error("GetNamedPipeServerProcessId");
		goto out;
	}
	if (!(proc = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid))) {
		rc = last_error("OpenProcess(pipe server)");
		goto out;
	}
	if ((rc = check_token(proc, want)) == FERRY_OK)
		rc = check_image(proc);
out:
	if (proc)
		CloseHandle(proc);
	LocalFree(want);
	return rc;
}

HANDLE wu_pipe_open(const wchar_t *name, DWORD flags)
{
	return CreateFileW(name, WU_PIPE_CLIENT_ACCESS, 0, NULL, OPEN_EXISTING,
			   flags | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
}
