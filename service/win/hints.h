/*
 * Registry hints for ferrycp.dll (docs/credprov.md, "Registry hints"): the
 * credential provider and its filter read these without waiting on the
 * pipe. All live under HKLM\SOFTWARE\Ferry\State:
 *
 *   value                 type       meaning
 *   MigrationRunning      REG_DWORD  1 from a migration's start to its end; absent otherwise
 *   FallbackAccount       REG_SZ     the fallback account's name while it exists
 *   PreventLoginCapHours  REG_DWORD  the runbook's prevent_login_max_hours (1..24)
 *
 * Clearing deletes the value (absent = success). Only the service's real
 * (non-rehearsal) platform calls these: a rehearsal changes nothing.
 */
#ifndef FERRY_SVC_WIN_HINTS_H
#define FERRY_SVC_WIN_HINTS_H

#include <stdbool.h>

#include "util/err.h"

#define SVC_HINTS_KEY L"SOFTWARE\\Ferry\\State"
#define SVC_HINT_CAP_MAX_HOURS 24u

/** MigrationRunning = 1, or deleted. */
ferry_err svc_hint_migration_running(bool running);
/** FallbackAccount = username (no '\', '/' or '@'), or deleted with NULL. */
ferry_err svc_hint_fallback_account(const char *username);
/** PreventLoginCapHours = hours (1..24), or deleted with 0. */
ferry_err svc_hint_prevent_login_cap(unsigned hours);

#endif
