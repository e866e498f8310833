/*
 * Restarting the PC, and telling restarts apart.
 *
 * win_reboot_schedule: InitiateShutdownW on this machine with
 * WIN_REBOOT_FLAGS and WIN_REBOOT_REASON (reboot.h) and the grace message
 * users see; SeShutdownPrivilege is enabled on the service's token first.
 * A restart already in progress (ERROR_SHUTDOWN_IN_PROGRESS) is success:
 * the engine only needs the machine to restart.
 *
 * win_boot_id: the kernel's boot counter, PrefetchParameters\BootId
 * (HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management\
 * PrefetchParameters, REG_DWORD), which Windows increments at every boot and
 * which, unlike the boot time, does not move when the clock is set. Where it
 * is absent (Wine, stripped images) the boot time from
 * NtQuerySystemInformation(SystemTimeOfDayInformation) is used; it changes
 * at every boot (under Wine, every wineserver start) but Windows would shift
 * it when the clock is set, which is why it is only the fallback. The high
 * bit tells the two sources apart so they can never be confused.
 */
#include <windows.h>

#include <string.h>

#include "util/utf.h"
#include "win/oplog.h"
#include "win/reboot.h"
#include "win/sysops.h"
#include "win/win_err.h"

#define BOOT_ID_KEY L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters"
#define BOOT_TIME_SOURCE (1ull << 63)
#define SYSTEM_TIMEOFDAY_INFORMATION_CLASS 3

win_initiate_shutdown_fn win_reboot_initiate_hook = NULL;

static ferry_err enable_shutdown_privilege(void)
{
	HANDLE tok = NULL;
	TOKEN_PRIVILEGES tp;
	ferry_err rc = FERRY_OK;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
		return win_last_error("OpenProcessToken");
	tp.PrivilegeCount = 1;
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	if (!LookupPrivilegeValueW(NULL, SE_SHUTDOWN_NAME, &tp.Privileges[0].Luid))
		rc = win_last_error("LookupPrivilegeValueW(SeShutdownPrivilege)");
	else if (!AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL) || GetLastError() != ERROR_SUCCESS)
		rc = win_last_error("AdjustTokenPrivileges(SeShutdownPrivilege)");
	CloseHandle(tok);
	return rc;
}

ferry_err win_reboot_schedule(const char *message, unsigned grace_seconds)
{
	static const char op[] = "reboot";
	win_initiate_shutdown_fn initiate = win_reboot_initiate_hook ? win_reboot_initiate_hook : InitiateShutdownW;
	uint16_t *wmsg = NULL;
	size_t n = 0;
	DWORD st;
	ferry_err rc;

	if (!message)
		message = "";
	win_op_log(WIN_LOG_INFO, op, "restart in %u s, reason 0x%08lx, message \"%s\"", grace_seconds,
		   (unsigned long)WIN_REBOOT_REASON, message);
	rc = ferry_utf8_to_utf16(&wmsg, &n, message, strlen(message));
	if (rc)
		return win_op_result(op, ferry_error_wrap(rc, "reboot message: "));
	rc = enable_shutdown_privilege();
	if (rc == 0) {
		st = initiate(NULL, (LPWSTR)wmsg, grace_seconds, WIN_REBOOT_FLAGS, WIN_REBOOT_REASON);
		if (st == ERROR_SHUTDOWN_IN_PROGRESS)
			win_op_log(WIN_LOG_INFO, op, "a shutdown is already in progress");
		else if (st != ERROR_SUCCESS)
			rc = win_error(st == ERROR_ACCESS_DENIED ? FERRY_EPERM
					   : st == ERROR_CALL_NOT_IMPLEMENTED ? FERRY_ENOTIMPL : FERRY_ESYSTEM,
					   "InitiateShutdownW", st);
	}
	ferry_free(wmsg);
	return win_op_result(op, rc);
}

typedef LONG(NTAPI *nt_query_system_information_fn)(ULONG cls, PVOID buf, ULONG len, PULONG ret);

/* SYSTEM_TIMEOFDAY_INFORMATION's first field is BootTime (a LARGE_INTEGER);
 * the structure is 48 bytes on every Windows since NT 4. */
static ferry_err boot_time(uint64_t *out)
{
	unsigned char info[48];
	ULONG got = 0;
	HMODULE nt = GetModuleHandleW(L"ntdll.dll");
	FARPROC p = nt ? GetProcAddress(nt, "NtQuerySystemInformation") : NULL;
	nt_query_system_information_fn q = (nt_query_system_information_fn)(void (*)(void))p;
	LONG st;

	if (!q)
		return win_last_error("GetProcAddress(ntdll, NtQuerySystemInformation)");
	memset(info, 0, sizeof info);
	st = q(SYSTEM_TIMEOFDAY_INFORMATION_CLASS, info, sizeof info, &got);
	if (st < 0 || got < 8)
		return ferry_error_set(FERRY_ESYSTEM,
				       "NtQuerySystemInformation(SystemTimeOfDayInformation) failed: NTSTATUS 0x%08lx",
				       (unsigned long)st);
	memcpy(out, info, 8); /* little-endian LARGE_INTEGER */
	return FERRY_OK;
}

ferry_err win_boot_id(uint64_t *out)
{
	DWORD id = 0, size = sizeof id, type = 0;
	LSTATUS st;
	ferry_err rc;

	if (!out)
		return ferry_error_set(FERRY_EINVAL, "win_boot_id: missing output");
	st = RegGetValueW(HKEY_LOCAL_MACHINE, BOOT_ID_KEY, L"BootId", RRF_RT_REG_DWORD, &type, &id, &size);
	if (st == ERROR_SUCCESS) {
		*out = id;
		return FERRY_OK;
	}
	if (st != ERROR_FILE_NOT_FOUND)
		return win_error(FERRY_ESYSTEM, "RegGetValueW(PrefetchParameters\\BootId)", (unsigned long)st);
	rc = boot_time(out);
	if (rc)
		return win_op_result("boot_id", rc);
	*out |= BOOT_TIME_SOURCE;
	return FERRY_OK;
}
