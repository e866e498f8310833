/* Small file helpers shared by the system ops (wide paths, capped reads). */
#ifndef FERRY_SVC_FILEIO_H
#define FERRY_SVC_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "util/err.h"

/** Replace `path` atomically through a new randomly named temporary file
 *  (wu_file_replace: CREATE_NEW, never a pre-created name or a link). */
ferry_err win_file_write_atomic(const wchar_t *path, const void *data, size_t len);

/**
 * Read all of `path` (not through a link at its last component; at most
 * `max` bytes, else FERRY_ERANGE) into a new
 * buffer with one NUL after the data; the caller frees it with ferry_free.
 * A missing file is FERRY_ENOTFOUND.
 */
ferry_err win_file_read(uint8_t **out, size_t *len, const wchar_t *path, size_t max);

/** %ProgramData%\Ferry\<rel> into out[cap], the root and the folder made
 *  or judged by their tree rule (wu_tree_dir; FERRY_EPERM when refused). */
ferry_err win_program_data(wchar_t *out, size_t cap, const char *rel);

/** A new "a\b" path (ferry_free); NULL when out of memory. */
wchar_t *win_path_join(const wchar_t *a, const wchar_t *b);

#endif
