#include <windows.h>

#include <string.h>
#include <wchar.h>

#include "util/mem.h"
#include "win/fileio.h"
#include "win/win_err.h"
#include "wu_file.h"
#include "wu_tree.h"

wchar_t *win_path_join(const wchar_t *a, const wchar_t *b)
{
	size_t na = wcslen(a), nb = wcslen(b);
	wchar_t *p = ferry_calloc(na + nb + 2, sizeof *p);

	if (!p)
		return NULL;
	memcpy(p, a, na * sizeof *p);
	if (na && a[na - 1] != L'\\' && a[na - 1] != L'/')
		p[na++] = L'\\';
	memcpy(p + na, b, nb * sizeof *p);
	return p;
}

ferry_err win_file_write_atomic(const wchar_t *path, const void *data, size_t len)
{
	return wu_file_replace(path, data, len);
}

ferry_err win_file_read(uint8_t **out, size_t *len, const wchar_t *path, size_t max)
{
	HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			       FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	LARGE_INTEGER size;
	DWORD got = 0;
	uint8_t *b = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*len = 0;
	if (f == INVALID_HANDLE_VALUE)
		return win_last_error("CreateFileW");
	if (!GetFileSizeEx(f, &size)) {
		rc = win_last_error("GetFileSizeEx");
		goto out;
	}
	if (size.QuadPart < 0 || (unsigned long long)size.QuadPart > max) {
		rc = ferry_error_set(FERRY_ERANGE, "file of %lld bytes, at most %zu", (long long)size.QuadPart, max);
		goto out;
	}
	b = ferry_malloc((size_t)size.QuadPart + 1);
	if (!b) {
		rc = ferry_error_set(FERRY_ENOMEM, "reading a file");
		goto out;
	}
	if (size.QuadPart && (!ReadFile(f, b, (DWORD)size.QuadPart, &got, NULL) || got != (DWORD)size.QuadPart)) {
		rc = win_last_error("ReadFile");
		goto out;
	}
	b[got] = 0;
	*out = b;
	*len = got;
	b = NULL;
out:
	ferry_free(b);
	CloseHandle(f);
	return rc;
}

ferry_err win_program_data(wchar_t *out, size_t cap, const char *rel)
{
	return wu_tree_dir(out, cap, rel);
}
