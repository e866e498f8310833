/*
 * Files in the state tree, never through a name someone else prepared:
 * a new file is always created with CREATE_NEW under a random name (a
 * pre-created "X.tmp", or a link planted there, cannot be where the bytes
 * go), and an existing file is opened without following links and judged
 * (core/sec/tree_policy) before anything is appended to it.
 */
#ifndef FERRY_WU_FILE_H
#define FERRY_WU_FILE_H

#include <windows.h>

#include <stddef.h>

#include "util/err.h"

/**
 * Replace `path` atomically: write "<path>.<16 hex>.tmp" (random, created
 * with CREATE_NEW, so never an existing file or link), flush it, rename it
 * over `path` (MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH, which
 * replaces a link at `path` rather than following it). After a crash the
 * file holds the old or the new bytes; a failed write leaves the old file.
 */
ferry_err wu_file_replace(const wchar_t *path, const void *data, size_t len);

/**
 * Open `path` for appending (FILE_APPEND_DATA, readers may share): an
 * existing file only when tree_decide trusts or repairs it as a file of the
 * tree (not a reparse point, one link, owned by SYSTEM, Administrators or
 * the service's account), else FERRY_EPERM naming why; a missing one is
 * created with CREATE_NEW. *out is INVALID_HANDLE_VALUE on failure.
 */
ferry_err wu_file_open_append(HANDLE *out, const wchar_t *path);

/** n random bytes as 2n lowercase hex digits and a NUL into out (2n+1). */
ferry_err wu_random_hex(wchar_t *out, size_t n);

#endif
