/*
 * The small Windows helpers every Windows part shares (winutil.c), one copy
 * of each: the service, the CLI, ferrycp.dll and the notifier link
 * ferrywinutil instead of carrying their own.
 *
 *   text      UTF-8 <-> UTF-16 (core/util/utf.h underneath), new or bounded
 *   wu_fmt    swprintf that fails on truncation (mingw's returns the
 *             length it wanted, not -1, when the text does not fit)
 *   registry  read a REG_DWORD / REG_SZ (absent or mistyped = false), set a
 *             value (the key created), delete one (absent = success)
 */
#ifndef FERRY_WINUTIL_H
#define FERRY_WINUTIL_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/** A new UTF-16 copy of `s` (UTF-8; NULL reads as ""), freed with ferry_free; NULL if invalid. */
wchar_t *wu_wide(const char *s);
/** A new UTF-8 copy of `w` (NULL reads as ""), freed with ferry_free; NULL if invalid. */
char *wu_utf8(const wchar_t *w);
/** `s` (UTF-8) into out[cap]; false, with out "", when invalid or too long. */
bool wu_wide_into(wchar_t *out, size_t cap, const char *s);
/** `w` into out[cap] as UTF-8; false, with out "", when invalid or too long. */
bool wu_utf8_into(char *out, size_t cap, const wchar_t *w);

/** swprintf into out[cap]: the length, or -1 when it failed or did not fit. */
int wu_fmt(wchar_t *out, size_t cap, const wchar_t *fmt, ...);

/** root\key\name as a REG_DWORD; false when absent or not a DWORD. */
bool wu_reg_get_dword(HKEY root, const wchar_t *key, const wchar_t *name, DWORD *out);
/** root\key\name as a REG_SZ into out[cap]; false (out "") when absent, mistyped, too long or empty. */
bool wu_reg_get_sz(HKEY root, const wchar_t *key, const wchar_t *name, wchar_t *out, size_t cap);
/** Set root\key\name (key created), naming the value in the error. */
ferry_err wu_reg_set(HKEY root, const wchar_t *key, const wchar_t *name, DWORD type,
		     const void *data, DWORD len);
/** Delete root\key\name; an absent key or value is success. */
ferry_err wu_reg_delete(HKEY root, const wchar_t *key, const wchar_t *name);

#endif
