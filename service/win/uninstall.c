/*
 * Scheduling the agent's own uninstall; the whole sequence and why it
 * cannot deadlock the SCM are in uninstall.h.
 */
#include "win/uninstall.h"

#include <msi.h>

#include <stdarg.h>
#include <wchar.h>

#include "win/win_err.h"
#include "winutil.h"

#define PATH_CAP 1024
#define CMD_CAP 2048
#define POLL_MS 1000u

int win_uninstall_guid_ok(const wchar_t *s)
{
	if (!s || wcslen(s) != WIN_GUID_CHARS - 1 || s[0] != L'{' || s[37] != L'}')
		return 0;
	for (int i = 1; i < 37; i++) {
		int dash = i == 9 || i == 14 || i == 19 || i == 24;

		if (dash ? s[i] != L'-' : !iswxdigit(s[i]))
			return 0;
	}
	return 1;
}

/* The ProductCode value the MSI writes under HKLM\SOFTWARE\Ferry. */
static ferry_err product_code_from_registry(wchar_t out[WIN_GUID_CHARS])
{
	wchar_t buf[64] = {0};
	DWORD len = sizeof buf - sizeof(wchar_t), type = 0;
	LSTATUS st = RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Ferry", L"ProductCode",
				  RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY, &type, buf, &len);

	if (st != ERROR_SUCCESS || !win_uninstall_guid_ok(buf))
		return ferry_error_set(FERRY_ENOTFOUND, "uninstall: Ferry is not installed by an MSI "
							"(no related product, no ProductCode value)");
	wcscpy(out, buf);
	return FERRY_OK;
}

ferry_err win_uninstall_product_code(wchar_t out[WIN_GUID_CHARS])
{
	UINT r = MsiEnumRelatedProductsW(WIN_UNINSTALL_UPGRADE_CODE, 0, 0, out);

	if (r == ERROR_SUCCESS && win_uninstall_guid_ok(out))
		return FERRY_OK;
	return product_code_from_registry(out);
}

ferry_err win_uninstall_msiexec_cmdline(wchar_t *out, size_t cap, const wchar_t *system_dir,
					const wchar_t *product_code, const wchar_t *log_path)
{
	if (!win_uninstall_guid_ok(product_code))
		return ferry_error_set(FERRY_EINVAL, "uninstall: not a braced GUID product code");
	if (wcschr(system_dir, L'"') || wcschr(log_path, L'"'))
		return ferry_error_set(FERRY_EINVAL, "uninstall: a path holds a quote");
	if (wu_fmt(out, cap, L"\"%ls\\msiexec.exe\" /x %ls /qn /norestart /l*v \"%ls\"", system_dir,
		     product_code, log_path) < 0)
		return ferry_error_set(FERRY_ERANGE, "uninstall: command line too long");
	return FERRY_OK;
}

ferry_err win_uninstall_waiter_cmdline(wchar_t *out, size_t cap, const wchar_t *waiter_exe,
				       const wchar_t *service, const wchar_t *product_code,
				       const wchar_t *log_path)
{
	if (!win_uninstall_guid_ok(product_code))
		return ferry_error_set(FERRY_EINVAL, "uninstall: not a braced GUID product code");
	if (wcschr(waiter_exe, L'"') || wcschr(log_path, L'"') || wcspbrk(service, L"\" \t"))
		return ferry_error_set(FERRY_EINVAL, "uninstall: an argument holds a quote or space");
	if (wu_fmt(out, cap, L"\"%ls\" uninstall-wait --service %ls --product %ls --log \"%ls\"",
		     waiter_exe, service, product_code, log_path) < 0)
		return ferry_error_set(FERRY_ERANGE, "uninstall: command line too long");
	return FERRY_OK;
}

/* Until `service` is stopped or absent, or timeout_ms pass. */
static void wait_stopped(const wchar_t *service, DWORD timeout_ms)
{
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
	SC_HANDLE svc = scm ? OpenServiceW(scm, service, SERVICE_QUERY_STATUS) : NULL;
	ULONGLONG until = GetTickCount64() + timeout_ms;
	SERVICE_STATUS st;

	while (svc && QueryServiceStatus(svc, &st) && st.dwCurrentState != SERVICE_STOPPED &&
	       GetTickCount64() < until)
		Sleep(POLL_MS);
	if (svc)
		CloseServiceHandle(svc);
	if (scm)
		CloseServiceHandle(scm);
}

ferry_err win_uninstall_wait_and_run(DWORD *msi_exit, const wchar_t *service,
				     const wchar_t *product_code, const wchar_t *log_path,
				     DWORD timeout_ms)
{
	wchar_t sysdir[MAX_PATH], cmd[CMD_CAP];
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi = {0};
	UINT n = GetSystemDirectoryW(sysdir, MAX_PATH);
	ferry_err rc;

	if (n == 0 || n >= MAX_PATH)
		return win_last_error("GetSystemDirectoryW");
	rc = win_uninstall_msiexec_cmdline(cmd, CMD_CAP, sysdir, product_code, log_path);
	if (rc)
		return rc;
	wait_stopped(service, timeout_ms);
	if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, sysdir, &si, &pi))
		return win_last_error("CreateProcessW(msiexec)");
	WaitForSingleObject(pi.hProcess, INFINITE);
	if (!GetExitCodeProcess(pi.hProcess, msi_exit))
		rc = win_last_error("GetExitCodeProcess(msiexec)");
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return rc;
}

/* %ProgramData%\Ferry\uninstall\ferry-uninstall.exe, copied from the
 * ferry.exe beside the running program. */
static ferry_err stage_waiter(wchar_t *out, const wchar_t *data_dir)
{
	wchar_t src[PATH_CAP], *slash;
	DWORD n = GetModuleFileNameW(NULL, src, PATH_CAP);

	if (n == 0 || n >= PATH_CAP)
		return win_last_error("GetModuleFileNameW");
	slash = wcsrchr(src, L'\\');
	if (!slash || (size_t)(slash - src) + 12 >= PATH_CAP)
		return ferry_error_set(FERRY_ERANGE, "uninstall: module path too long");
	wcscpy(slash + 1, L"ferry.exe");
	if (wu_fmt(out, PATH_CAP, L"%ls\\uninstall", data_dir) < 0)
		return ferry_error_set(FERRY_ERANGE, "uninstall: path too long");
	if (!CreateDirectoryW(out, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return win_last_error("CreateDirectoryW(uninstall)");
	wcscat(out, L"\\ferry-uninstall.exe");
	if (!CopyFileW(src, out, FALSE))
		return win_last_error("CopyFileW(ferry.exe -> waiter)");
	return FERRY_OK;
}

static ferry_err spawn_detached(wchar_t *cmd, const wchar_t *cwd)
{
	STARTUPINFOW si = {.cb = sizeof si};
	PROCESS_INFORMATION pi = {0};
	DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB;

	/* Outside the service's job when it has one; retry inside when the
	 * job forbids breaking away (the SCM does not kill children). */
	if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, flags, NULL, cwd, &si, &pi) &&
	    !CreateProcessW(NULL, cmd, NULL, NULL, FALSE, flags & ~CREATE_BREAKAWAY_FROM_JOB, NULL,
			    cwd, &si, &pi))
		return win_last_error("CreateProcessW(uninstall waiter)");
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return FERRY_OK;
}

ferry_err win_uninstall_agent(void)
{
	wchar_t data[MAX_PATH], archive[PATH_CAP], log[PATH_CAP], waiter[PATH_CAP], cmd[CMD_CAP];
	wchar_t code[WIN_GUID_CHARS];
	SYSTEMTIME now;
	DWORD n = ExpandEnvironmentStringsW(L"%ProgramData%\\Ferry", data, MAX_PATH);
	ferry_err rc;

	if (n == 0 || n > MAX_PATH || data[0] == L'%')
		return ferry_error_set(FERRY_ESYSTEM, "uninstall: %%ProgramData%% is not set");
	/* Find the product first: with nothing to uninstall, archive nothing. */
	rc = win_uninstall_product_code(code);
	if (rc)
		return rc;
	if (!CreateDirectoryW(data, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return win_last_error("CreateDirectoryW(ProgramData\\Ferry)");
	GetSystemTime(&now);
	rc = win_uninstall_archive(archive, PATH_CAP, data, &now);
	if (!rc && wu_fmt(log, PATH_CAP, L"%ls\\msiexec-uninstall.log", archive) < 0)
		rc = ferry_error_set(FERRY_ERANGE, "uninstall: path too long");
	if (!rc)
		rc = stage_waiter(waiter, data);
	if (!rc)
		rc = win_uninstall_waiter_cmdline(cmd, CMD_CAP, waiter, WIN_UNINSTALL_SERVICE, code, log);
	if (!rc)
		rc = spawn_detached(cmd, data);
	return rc;
}
