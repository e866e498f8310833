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
 *   pipe      open \\.\pipe\Ferry.Agent as a client (identification level,
 *             only the rights the pipe's DACL gives users) and verify who
 *             serves it before sending anything (wu_pipe.c)
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

/* The service's name in the SCM, and the administrators-only test settings. */
#define WU_SERVICE_NAME L"Ferry"
#define WU_TEST_KEY L"SOFTWARE\\Ferry\\Test"

/*
 * What a client asks of the pipe: read, write data, and write attributes
 * (SetNamedPipeHandleState's message mode). Not GENERIC_WRITE: it includes
 * FILE_APPEND_DATA, which on a pipe is FILE_CREATE_PIPE_INSTANCE, and the
 * service's DACL gives interactive users only this (docs/ipc.md).
 */
#define WU_PIPE_CLIENT_ACCESS (GENERIC_READ | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES)

/**
 * CreateFileW for a pipe client: WU_PIPE_CLIENT_ACCESS, at identification
 * level (SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION: the service may
 * read the caller's token, never act as it), plus `flags`
 * (FILE_FLAG_OVERLAPPED or 0). INVALID_HANDLE_VALUE with GetLastError set.
 */
HANDLE wu_pipe_open(const wchar_t *name, DWORD flags);

/**
 * Before the first byte: FERRY_OK when `pipe` is served by the installed
 * ferrysvc.exe running as SYSTEM (the pipe's owner, the server process's
 * token and image; wu_pipe.c says how). FERRY_EAUTH naming what differs,
 * FERRY_ESYSTEM/FERRY_ENOTFOUND when it cannot be told: either way the
 * caller closes the handle unused.
 */
ferry_err wu_pipe_server_verify(HANDLE pipe);

#endif
