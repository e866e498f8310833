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
#include "wu_tree.h"

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

/*
 * %ProgramData%\Ferry\uninstall\ferry-uninstall.exe, copied from the
 * ferry.exe beside the running program. The folder is made or judged by its
 * tree rule (SYSTEM and Administrators only, so nobody else can plant a DLL
 * beside the waiter or swap it), every component of its path is checked for
 * reparse points, the copy is a new file (an old waiter is deleted first,
 * never written through), and *hold keeps it open, shared for reading
 * only, until the waiter has started.
 */
static ferry_err stage_waiter(wchar_t *out, HANDLE *hold)
{
	wchar_t src[PATH_CAP], *slash;
	DWORD n = GetModuleFileNameW(NULL, src, PATH_CAP);
	BY_HANDLE_FILE_INFORMATION bi;
	ferry_err rc;

	*hold = INVALID_HANDLE_VALUE;
	if (n == 0 || n >= PATH_CAP)
		return win_last_error("GetModuleFileNameW");
	slash = wcsrchr(src, L'\\');
	if (!slash || (size_t)(slash - src) + 12 >= PATH_CAP)
		return ferry_error_set(FERRY_ERANGE, "uninstall: module path too long");
	wcscpy(slash + 1, L"ferry.exe");
	if ((rc = wu_tree_dir(out, PATH_CAP - 32, "uninstall")) != FERRY_OK ||
	    (rc = wu_tree_path_check(out)) != FERRY_OK)
		return rc;
	wcscat(out, L"\\ferry-uninstall.exe");
	if (!DeleteFileW(out) && GetLastError() != ERROR_FILE_NOT_FOUND)
		return win_last_error("DeleteFileW(old waiter)");
	if (!CopyFileExW(src, out, NULL, NULL, NULL, COPY_FILE_FAIL_IF_EXISTS))
		return win_last_error("CopyFileExW(ferry.exe -> waiter)");
	*hold = CreateFileW(out, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			    FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (*hold == INVALID_HANDLE_VALUE)
		return win_last_error("CreateFileW(waiter)");
	if (!GetFileInformationByHandle(*hold, &bi) || bi.nNumberOfLinks != 1 ||
	    (bi.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)))
		return ferry_error_set(FERRY_EPERM, "uninstall: the staged waiter is not a plain file "
						    "with one link");
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
	wchar_t code[WIN_GUID_CHARS], sysdir[MAX_PATH];
	SYSTEMTIME now;
	HANDLE hold = INVALID_HANDLE_VALUE;
	UINT n = GetSystemDirectoryW(sysdir, MAX_PATH);
	ferry_err rc;

	if (n == 0 || n >= MAX_PATH)
		return win_last_error("GetSystemDirectoryW");
	/* Find the product first: with nothing to uninstall, archive nothing. */
	rc = win_uninstall_product_code(code);
	if (rc)
		return rc;
	if ((rc = wu_tree_root(data, MAX_PATH)) != FERRY_OK ||
	    (rc = wu_tree_folder(data, "")) != FERRY_OK)
		return rc;
	GetSystemTime(&now);
	rc = win_uninstall_archive(archive, PATH_CAP, data, &now);
	if (!rc && wu_fmt(log, PATH_CAP, L"%ls\\msiexec-uninstall.log", archive) < 0)
		rc = ferry_error_set(FERRY_ERANGE, "uninstall: path too long");
	if (!rc)
		rc = stage_waiter(waiter, &hold);
	if (!rc)
		rc = win_uninstall_waiter_cmdline(cmd, CMD_CAP, waiter, WIN_UNINSTALL_SERVICE, code, log);
	/* Working directory System32: nothing is searched for in a folder a
	 * user could write. */
	if (!rc)
		rc = spawn_detached(cmd, sysdir);
	if (hold != INVALID_HANDLE_VALUE)
		CloseHandle(hold);
	return rc;
}
