/*
 * The boundary between Win32 error codes and ferry_err: every Windows op
 * reports failures through these, so the detail always names the API and
 * the code ("NetUserAdd failed: Win32 error 2224 (0x000008b0)").
 */
#ifndef FERRY_SVC_WIN_ERR_H
#define FERRY_SVC_WIN_ERR_H

#include <windows.h>

#include "util/err.h"

/** Set detail "<api> failed: Win32 error N" and return `code`. */
ferry_err win_error(ferry_err code, const char *api, unsigned long win32);

/** The same for GetLastError(), mapping access/not-found/memory codes. */
ferry_err win_last_error(const char *api);

#endif
