/*
 * The agent's self-uninstall (completion.uninstall_agent, issue #10).
 *
 * win_uninstall_agent, bound to the engine's uninstall_agent op:
 *  1. copies %ProgramData%\Ferry\state and \logs to
 *     %ProgramData%\Ferry\archive\<UTC yyyymmddThhmmssZ>\ (kept for audit;
 *     the MSI does not own ProgramData, so the archive survives; SYSTEM and
 *     Administrators only, no secret copied, no link followed);
 *  2. finds Ferry's ProductCode (MsiEnumRelatedProductsW with the
 *     UpgradeCode, else HKLM\SOFTWARE\Ferry\ProductCode written by the MSI);
 *  3. copies ferry.exe (from beside the running program) to
 *     %ProgramData%\Ferry\uninstall\ferry-uninstall.exe (a folder of the
 *     state tree: SYSTEM and Administrators only, every path component
 *     checked for reparse points, the copy a new file held open against
 *     writers until started) and starts it detached, in System32: `ferry-uninstall.exe uninstall-wait --service Ferry
 *     --product {GUID} --log <archive>\msiexec-uninstall.log`.
 *     That waiter polls the SCM until the Ferry service reports
 *     SERVICE_STOPPED (or 10 minutes pass, after which msiexec's own
 *     ServiceControl stops it), then runs
 *     `%SystemRoot%\System32\msiexec.exe /x {GUID} /qn /norestart /l*v LOG`.
 *     The waiter lives outside Program Files so that msiexec can remove
 *     every installed file; it deletes itself at the next reboot.
 * The op never waits for msiexec, so the service's stop path never waits
 * on the uninstall that waits on the service (no SCM deadlock). The MSI
 * removes the provider and filter keys before any file (Ferry.wxs.in).
 */
#ifndef FERRY_SVC_WIN_UNINSTALL_H
#define FERRY_SVC_WIN_UNINSTALL_H

#include <windows.h>

#include "util/err.h"

/* installer/Ferry.wxs.in's UpgradeCode: never changes. */
#define WIN_UNINSTALL_UPGRADE_CODE L"{7BC24550-7AF7-47F5-8A05-C223C5BB73C4}"
#define WIN_UNINSTALL_SERVICE L"Ferry"
#define WIN_UNINSTALL_WAIT_MS (10u * 60u * 1000u)
/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" and its NUL */
#define WIN_GUID_CHARS 39

/** The engine's uninstall_agent op: archive, then schedule (see above). */
ferry_err win_uninstall_agent(void);

/**
 * Copy data_dir\state and data_dir\logs (each optional) into
 * data_dir\archive\<stamp of utc>[-N]\; out receives the archive folder.
 */
ferry_err win_uninstall_archive(wchar_t *out, size_t cap, const wchar_t *data_dir,
				const SYSTEMTIME *utc);

/** Ferry's installed ProductCode; FERRY_ENOTFOUND when none. */
ferry_err win_uninstall_product_code(wchar_t out[WIN_GUID_CHARS]);

/** 1 when s is exactly a braced GUID (the only form put on a command line). */
int win_uninstall_guid_ok(const wchar_t *s);

/** `"<system_dir>\msiexec.exe" /x {GUID} /qn /norestart /l*v "<log>"`. */
ferry_err win_uninstall_msiexec_cmdline(wchar_t *out, size_t cap, const wchar_t *system_dir,
					const wchar_t *product_code, const wchar_t *log_path);

/** `"<waiter>" uninstall-wait --service S --product {GUID} --log "<log>"`. */
ferry_err win_uninstall_waiter_cmdline(wchar_t *out, size_t cap, const wchar_t *waiter_exe,
				       const wchar_t *service, const wchar_t *product_code,
				       const wchar_t *log_path);

/**
 * The waiter's body: wait up to timeout_ms for `service` to be stopped (a
 * service that does not exist counts as stopped), then run msiexec /x and
 * wait for it; *msi_exit receives its exit code.
 */
ferry_err win_uninstall_wait_and_run(DWORD *msi_exit, const wchar_t *service,
				     const wchar_t *product_code, const wchar_t *log_path,
				     DWORD timeout_ms);

#endif
