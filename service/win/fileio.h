/* Small file helpers shared by the system ops (wide paths, capped reads). */
#ifndef FERRY_SVC_FILEIO_H
#define FERRY_SVC_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "util/err.h"

/**
 * Replace `path` atomically: write "<path>.tmp", flush it, rename it over
 * `path` with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH. After a
 * crash the file holds the old or the new bytes, never a mix.
 */
ferry_err win_file_write_atomic(const wchar_t *path, const void *data, size_t len);

/**
 * Read all of `path` (at most `max` bytes, else FERRY_ERANGE) into a new
 * buffer with one NUL after the data; the caller frees it with ferry_free.
 * A missing file is FERRY_ENOTFOUND.
 */
ferry_err win_file_read(uint8_t **out, size_t *len, const wchar_t *path, size_t max);

/** %ProgramData%\Ferry\<sub> into out[cap], both folders created. */
ferry_err win_program_data(wchar_t *out, size_t cap, const wchar_t *sub);

/** A new "a\b" path (ferry_free); NULL when out of memory. */
wchar_t *win_path_join(const wchar_t *a, const wchar_t *b);

#endif
