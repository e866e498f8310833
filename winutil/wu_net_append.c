/* net_file_append (wu_file_open_append) and net_file_write_new (CREATE_NEW,
 * no reparse point followed) on Windows: core/net/append.h. */
#include "winutil.h"
#include "wu_file.h"

#include "net/append.h"
#include "util/mem.h"

/* Write all of data to h; path names it in the error. */
static ferry_err write_all(HANDLE h, const char *path, const BYTE *p, size_t len)
{
	while (len) {
		DWORD chunk = len > 0x10000000u ? 0x10000000u : (DWORD)len, put = 0;

		if (!WriteFile(h, p, chunk, &put, NULL) || !put)
			return ferry_error_set(FERRY_EIO, "%s: cannot write (Win32 %lu)", path,
					       (unsigned long)GetLastError());
		p += put;
		len -= put;
	}
	return FERRY_OK;
}

ferry_err net_file_write_new(const char *path, const void *data, size_t len)
{
	wchar_t *w = wu_wide(path);
	HANDLE h;
	DWORD why;
	ferry_err rc;

	if (!w)
		return ferry_error_set(FERRY_EINVAL, "%s: not a valid path", path);
	/* CREATE_NEW fails on anything at the name, a link included; with
	 * FILE_FLAG_OPEN_REPARSE_POINT nothing is ever followed. */
	h = CreateFileW(w, GENERIC_WRITE | DELETE, 0, NULL, CREATE_NEW,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		why = GetLastError();
		ferry_free(w);
		return why == ERROR_FILE_EXISTS || why == ERROR_ALREADY_EXISTS
			       ? ferry_error_set(FERRY_EPERM, "%s: not created: something is already "
						 "there", path)
			       : ferry_error_set(FERRY_EIO, "%s: cannot create (Win32 %lu)", path,
						 (unsigned long)why);
	}
	rc = write_all(h, path, data, len);
	CloseHandle(h);
	if (rc)
		DeleteFileW(w);
	ferry_free(w);
	return rc;
}

ferry_err net_file_append(const char *path, const void *data, size_t len)
{
	wchar_t *w = wu_wide(path);
	HANDLE h = INVALID_HANDLE_VALUE;
	const BYTE *p = data;
	ferry_err rc;

	if (!w)
		return ferry_error_set(FERRY_EINVAL, "%s: not a valid path", path);
	rc = wu_file_open_append(&h, w);
	if (!rc)
		rc = write_all(h, path, p, len);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	ferry_free(w);
	return rc;
}
