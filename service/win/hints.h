/*
 * Writing the registry hints ferrycp.dll reads (their names, types and
 * ranges: core/ux/hints.h, the contract's one home). Clearing deletes the
 * value (absent = success). Only the service's real (non-rehearsal)
 * platform calls these: a rehearsal changes nothing.
 */
#ifndef FERRY_SVC_WIN_HINTS_H
#define FERRY_SVC_WIN_HINTS_H

#include <stdbool.h>

#include "util/err.h"

#include "ux/hints.h"

#define WIN_HINTS_KEY HINT_W(HINT_KEY_STATE)

/** MigrationRunning = 1, or deleted. */
ferry_err win_hint_migration_running(bool running);
/** FallbackAccount = username (hint_fallback_name_ok), or deleted with NULL. */
ferry_err win_hint_fallback_account(const char *username);
/** PreventLoginCapHours = hours (at most HINT_CAP_MAX_HOURS), or deleted with 0. */
ferry_err win_hint_prevent_login_cap(unsigned hours);

#endif
