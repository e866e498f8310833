#include <windows.h>
#include <shlobj.h>

#include <string.h>
#include <wchar.h>

#include "util/mem.h"
#include "win/fileio.h"
#include "win/win_err.h"

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
	size_t n = wcslen(path);
	wchar_t *tmp = NULL;
	HANDLE f = INVALID_HANDLE_VALUE;
	DWORD put = 0;
	ferry_err rc = FERRY_OK;

	if (len > 0x7fffffffu)
		return ferry_error_set(FERRY_ERANGE, "file of %zu bytes", len);
	tmp = ferry_calloc(n + 5, sizeof *tmp);
	if (!tmp)
		return ferry_error_set(FERRY_ENOMEM, "temporary path");
	memcpy(tmp, path, n * sizeof *tmp);
	memcpy(tmp + n, L".tmp", 5 * sizeof *tmp);
	f = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE) {
		rc = win_last_error("CreateFileW(.tmp)");
		goto out;
	}
	if (!WriteFile(f, data, (DWORD)len, &put, NULL) || put != len) {
		rc = win_last_error("WriteFile");
		goto out;
	}
	if (!FlushFileBuffers(f)) {
		rc = win_last_error("FlushFileBuffers");
		goto out;
	}
	CloseHandle(f);
	f = INVALID_HANDLE_VALUE;
	if (!MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		rc = win_last_error("MoveFileExW");
out:
	if (f != INVALID_HANDLE_VALUE)
		CloseHandle(f);
	if (rc)
		DeleteFileW(tmp);
	ferry_free(tmp);
	return rc;
}

ferry_err win_file_read(uint8_t **out, size_t *len, const wchar_t *path, size_t max)
{
	HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
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

ferry_err win_program_data(wchar_t *out, size_t cap, const wchar_t *sub)
{
	wchar_t *base = NULL;
	HRESULT hr = SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &base);
	wchar_t ferry[MAX_PATH];

	if (FAILED(hr))
		return win_error(FERRY_ESYSTEM, "SHGetKnownFolderPath", (unsigned long)hr);
	swprintf(ferry, MAX_PATH, L"%ls\\Ferry", base);
	swprintf(out, cap, L"%ls\\%ls", ferry, sub);
	CoTaskMemFree(base);
	if (!CreateDirectoryW(ferry, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return win_last_error("CreateDirectoryW(ProgramData\\Ferry)");
	if (!CreateDirectoryW(out, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return win_last_error("CreateDirectoryW(ProgramData\\Ferry\\sub)");
	return FERRY_OK;
}
