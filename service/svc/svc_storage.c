/*
 * Durable storage for the engine (platform.h's storage_* contract), as files
 * in the service's state folder. Invariants:
 *
 *   1. A name is 1..128 characters of [A-Za-z0-9._-] and not "." or "..":
 *      it always names a file directly inside the state folder.
 *   2. storage_append bytes are durable after storage_sync, which opens the
 *      file and FlushFileBuffers it (the OS flushes the whole file, not
 *      only this handle's writes).
 *   3. storage_replace is durable and atomic when it returns: a new file
 *      <name>.<random>.tmp is created with CREATE_NEW (a pre-created name or
 *      a planted link is never written through), written and flushed, then
 *      MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH) renames it over <name>
 *      (wu_file_replace).
 *   4. storage_append never opens a file someone else prepared: an existing
 *      file is opened without following links and must be a plain file with
 *      one link owned by SYSTEM, Administrators or the service's account
 *      (tree_decide), else the append is refused naming why; a missing one
 *      is created with CREATE_NEW (wu_file_open_append). A forged journal
 *      planted before the tree was protected is moved aside at start
 *      (wu_tree's sweep) and refused here if it appears later.
 *   5. Reads open the file without following a link at its name.
 */
#include "svc/svc_binding.h"

#include <string.h>
#include <wchar.h>

#include "util/mem.h"
#include "win/win_err.h"
#include "wu_file.h"

#define NAME_MAX_CHARS 128
#define READ_MAX (64u * 1024u * 1024u)

static ferry_err path_of(const struct svc_platform *p, const char *name, const wchar_t *suffix,
			 wchar_t *out)
{
	size_t n = strlen(name);
	wchar_t wname[NAME_MAX_CHARS + 1];

	if (!n || n > NAME_MAX_CHARS || !strcmp(name, ".") || !strcmp(name, ".."))
		return ferry_error_set(FERRY_EINVAL, "storage: bad file name");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return ferry_error_set(FERRY_EINVAL, "storage: bad character in file name");
		wname[i] = (wchar_t)c;
	}
	wname[n] = L'\0';
	swprintf(out, MAX_PATH, L"%ls\\%ls%ls", p->state_dir, wname, suffix);
	return FERRY_OK;
}

ferry_err svc_storage_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
	struct svc_platform *p = ctx;
	wchar_t path[MAX_PATH];
	HANDLE h = INVALID_HANDLE_VALUE;
	LARGE_INTEGER sz;
	uint8_t *buf = NULL;
	DWORD got = 0;
	ferry_err err;

	*data = NULL;
	*len = 0;
	if ((err = path_of(p, name, L"", path)) != FERRY_OK)
		return err;
	EnterCriticalSection(&p->io);
	h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
			NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		err = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ?
			      ferry_error_set(FERRY_ENOTFOUND, "storage: %s absent", name) :
			      win_error(FERRY_EIO, "CreateFileW(storage read)", e);
		goto out;
	}
	if (!GetFileSizeEx(h, &sz)) {
		err = win_last_error("GetFileSizeEx");
		goto out;
	}
	if (sz.QuadPart < 0 || sz.QuadPart > READ_MAX) {
		err = ferry_error_set(FERRY_ERANGE, "storage: %s is too large", name);
		goto out;
	}
	if (!(buf = ferry_malloc((size_t)sz.QuadPart + 1))) {
		err = ferry_error_set(FERRY_ENOMEM, "storage: out of memory");
		goto out;
	}
	if (sz.QuadPart && (!ReadFile(h, buf, (DWORD)sz.QuadPart, &got, NULL) ||
			    got != (DWORD)sz.QuadPart)) {
		err = win_error(FERRY_EIO, "ReadFile(storage)", GetLastError());
		goto out;
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	LeaveCriticalSection(&p->io);
	ferry_free(buf);
	return err;
}

static ferry_err write_all(HANDLE h, const uint8_t *data, size_t len)
{
	while (len) {
		DWORD chunk = len > 0x10000000u ? 0x10000000u : (DWORD)len, put = 0;

		if (!WriteFile(h, data, chunk, &put, NULL) || !put)
			return win_error(FERRY_EIO, "WriteFile(storage)", GetLastError());
		data += put;
		len -= put;
	}
	return FERRY_OK;
}

ferry_err svc_storage_append(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct svc_platform *p = ctx;
	wchar_t path[MAX_PATH];
	HANDLE h;
	ferry_err err;

	if ((err = path_of(p, name, L"", path)) != FERRY_OK)
		return err;
	EnterCriticalSection(&p->io);
	if ((err = wu_file_open_append(&h, path)) == FERRY_OK) {
		err = write_all(h, data, len);
		CloseHandle(h);
	}
	LeaveCriticalSection(&p->io);
	return err;
}

ferry_err svc_storage_sync(void *ctx, const char *name)
{
	struct svc_platform *p = ctx;
	wchar_t path[MAX_PATH];
	HANDLE h;
	ferry_err err = FERRY_OK;

	if ((err = path_of(p, name, L"", path)) != FERRY_OK)
		return err;
	EnterCriticalSection(&p->io);
	h = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE)
		err = win_error(FERRY_EIO, "CreateFileW(storage sync)", GetLastError());
	else if (!FlushFileBuffers(h))
		err = win_error(FERRY_EIO, "FlushFileBuffers(storage)", GetLastError());
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	LeaveCriticalSection(&p->io);
	return err;
}

ferry_err svc_storage_replace(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct svc_platform *p = ctx;
	wchar_t path[MAX_PATH];
	ferry_err err;

	if ((err = path_of(p, name, L"", path)) != FERRY_OK)
		return err;
	EnterCriticalSection(&p->io);
	err = wu_file_replace(path, data, len);
	LeaveCriticalSection(&p->io);
	return err;
}

ferry_err svc_storage_delete(void *ctx, const char *name)
{
	struct svc_platform *p = ctx;
	wchar_t path[MAX_PATH];
	ferry_err err;

	if ((err = path_of(p, name, L"", path)) != FERRY_OK)
		return err;
	if (!DeleteFileW(path) && GetLastError() != ERROR_FILE_NOT_FOUND)
		return win_last_error("DeleteFileW(storage)");
	return FERRY_OK;
}
