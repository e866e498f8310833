/*
 * Some Win32 functions are exported by Wine as "unimplemented stubs" that
 * abort the whole process when called (LogonUserExW, NetUserSetInfo in
 * Wine 8). The service and its test suites run under Wine, so an op that
 * needs one of them refuses with FERRY_ENOTIMPL there instead of taking the
 * process down. On Windows the guard never triggers.
 */
#ifndef FERRY_SVC_WINE_GUARD_H
#define FERRY_SVC_WINE_GUARD_H

#include <stdbool.h>

#include "util/err.h"

/** True when ntdll exports wine_get_version (we run under Wine). */
bool win_under_wine(void);

/** FERRY_ENOTIMPL naming `api` when under Wine, else 0. */
ferry_err win_wine_stub_guard(const char *api);

#endif
