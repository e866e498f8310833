/*
 * The audit archive taken before the agent uninstalls itself: the journal
 * (state\) and the logs (logs\) copied, never moved, into
 * archive\<UTC stamp>\. A folder that already exists (the op re-run within
 * the same second after a crash) gets a -2, -3, ... suffix, so an earlier
 * archive is never overwritten. The archive folder is made or judged by its
 * tree rule (SYSTEM and Administrators only); no secret is copied
 * (tree_archive_keeps: no *.dpapi, *.sealed, *.tmp, nothing moved aside);
 * a reparse point is never followed, neither while walking nor when a file
 * is copied (COPY_FILE_COPY_SYMLINK copies a link as a link).
 */
#include "win/uninstall.h"

#include <stdarg.h>
#include <wchar.h>

#include "win/win_err.h"
#include "sec/tree_policy.h"
#include "winutil.h"
#include "wu_tree.h"

#define PATH_CAP 1024
#define MAX_DEPTH 16

static ferry_err make_dir(const wchar_t *path)
{
	if (!CreateDirectoryW(path, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return win_last_error("CreateDirectoryW(archive)");
	return FERRY_OK;
}

static bool keeps(const wchar_t *name)
{
	char n8[MAX_PATH * 3];

	return wu_utf8_into(n8, sizeof(n8), name) && tree_archive_keeps(n8);
}

/* Copy the tree at src into dst (created); a missing src is nothing to do. */
static ferry_err copy_tree(const wchar_t *src, const wchar_t *dst, int depth)
{
	wchar_t pattern[PATH_CAP], from[PATH_CAP], to[PATH_CAP];
	WIN32_FIND_DATAW fd;
	HANDLE h;
	ferry_err rc = FERRY_OK;

	if (depth > MAX_DEPTH)
		return ferry_error_set(FERRY_ERANGE, "archive: folders nested deeper than %d", MAX_DEPTH);
	if (wu_fmt(pattern, PATH_CAP, L"%ls\\*", src) < 0)
		return ferry_error_set(FERRY_ERANGE, "archive: path too long");
	h = FindFirstFileW(pattern, &fd);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return FERRY_OK;
		return win_error(FERRY_ESYSTEM, "FindFirstFileW(archive)", e);
	}
	rc = make_dir(dst);
	do {
		if (rc || !wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
			continue;
		if (wu_fmt(from, PATH_CAP, L"%ls\\%ls", src, fd.cFileName) < 0 ||
		    wu_fmt(to, PATH_CAP, L"%ls\\%ls", dst, fd.cFileName) < 0) {
			rc = ferry_error_set(FERRY_ERANGE, "archive: path too long");
		} else if (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
			continue; /* never follow a link out of Ferry's folders */
		} else if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
			rc = copy_tree(from, to, depth + 1);
		} else if (!keeps(fd.cFileName)) {
			continue; /* a secret or a temporary file: never archived */
		} else if (!CopyFileExW(from, to, NULL, NULL, NULL,
					COPY_FILE_FAIL_IF_EXISTS | COPY_FILE_COPY_SYMLINK)) {
			rc = win_last_error("CopyFileExW(archive)");
		}
	} while (!rc && FindNextFileW(h, &fd));
	FindClose(h);
	return rc;
}

/* data_dir\archive\<stamp>[-N], created and new. */
static ferry_err new_archive_dir(wchar_t *out, size_t cap, const wchar_t *data_dir,
				 const SYSTEMTIME *t)
{
	wchar_t base[PATH_CAP];
	ferry_err rc;

	if (wu_fmt(base, PATH_CAP, L"%ls\\archive", data_dir) < 0)
		return ferry_error_set(FERRY_ERANGE, "archive: path too long");
	rc = wu_tree_folder(base, "archive");
	for (unsigned n = 1; !rc && n < 100; n++) {
		int w = n == 1 ? wu_fmt(out, cap, L"%ls\\%04u%02u%02uT%02u%02u%02uZ", base, t->wYear,
					  t->wMonth, t->wDay, t->wHour, t->wMinute, t->wSecond)
			       : wu_fmt(out, cap, L"%ls\\%04u%02u%02uT%02u%02u%02uZ-%u", base,
					  t->wYear, t->wMonth, t->wDay, t->wHour, t->wMinute,
					  t->wSecond, n);

		if (w < 0)
			return ferry_error_set(FERRY_ERANGE, "archive: path too long");
		if (CreateDirectoryW(out, NULL))
			return FERRY_OK;
		if (GetLastError() != ERROR_ALREADY_EXISTS)
			return win_last_error("CreateDirectoryW(archive)");
	}
	return rc ? rc : ferry_error_set(FERRY_EBUSY, "archive: 99 archives in one second");
}

ferry_err win_uninstall_archive(wchar_t *out, size_t cap, const wchar_t *data_dir,
				const SYSTEMTIME *utc)
{
	static const wchar_t *const parts[] = {L"state", L"logs"};
	wchar_t src[PATH_CAP], dst[PATH_CAP];
	ferry_err rc;

	if (!out || !cap || !data_dir || !utc)
		return ferry_error_set(FERRY_EINVAL, "archive: missing argument");
	rc = new_archive_dir(out, cap, data_dir, utc);
	for (size_t i = 0; !rc && i < sizeof parts / sizeof parts[0]; i++) {
		if (wu_fmt(src, PATH_CAP, L"%ls\\%ls", data_dir, parts[i]) < 0 ||
		    wu_fmt(dst, PATH_CAP, L"%ls\\%ls", out, parts[i]) < 0)
			return ferry_error_set(FERRY_ERANGE, "archive: path too long");
		rc = copy_tree(src, dst, 0);
	}
	return rc;
}
