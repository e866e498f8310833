/* net_file_append on Windows (core/net/append.h): wu_file_open_append. */
#include "winutil.h"
#include "wu_file.h"

#include "net/append.h"
#include "util/mem.h"

ferry_err net_file_append(const char *path, const void *data, size_t len)
{
	wchar_t *w = wu_wide(path);
	HANDLE h = INVALID_HANDLE_VALUE;
	const BYTE *p = data;
	ferry_err rc;

	if (!w)
		return ferry_error_set(FERRY_EINVAL, "%s: not a valid path", path);
	rc = wu_file_open_append(&h, w);
	while (!rc && len) {
		DWORD chunk = len > 0x10000000u ? 0x10000000u : (DWORD)len, put = 0;

		if (!WriteFile(h, p, chunk, &put, NULL) || !put)
			rc = ferry_error_set(FERRY_EIO, "%s: cannot append (Win32 %lu)", path,
					     (unsigned long)GetLastError());
		p += put;
		len -= put;
	}
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	ferry_free(w);
	return rc;
}
