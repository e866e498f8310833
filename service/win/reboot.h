/*
 * Reboot's test seam: the Wine suite replaces InitiateShutdownW so it can
 * check the flags, reason and message without restarting anything.
 */
#ifndef FERRY_SVC_REBOOT_H
#define FERRY_SVC_REBOOT_H

#include <windows.h>

/* winuser.h / reason.h facts, spelt out: the reason recorded in the System
 * log (event 1074) is "Operating System: Reconfiguration (Planned)". */
#define WIN_REBOOT_REASON (SHTDN_REASON_FLAG_PLANNED | SHTDN_REASON_MAJOR_OPERATINGSYSTEM | \
			   SHTDN_REASON_MINOR_RECONFIG)
/* Restart; applications of every session are closed when the grace period
 * ends, so an unsaved document cannot stall a migration behind the lock screen. */
#define WIN_REBOOT_FLAGS (SHUTDOWN_RESTART | SHUTDOWN_FORCE_OTHERS | SHUTDOWN_FORCE_SELF)

typedef DWORD(WINAPI *win_initiate_shutdown_fn)(LPWSTR machine, LPWSTR message, DWORD grace,
						DWORD flags, DWORD reason);

/** NULL = the real InitiateShutdownW. Tests only. */
extern win_initiate_shutdown_fn win_reboot_initiate_hook;

#endif
