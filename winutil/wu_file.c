/* Files in the state tree: see wu_file.h. */
#include "wu_file.h"

#include <aclapi.h>
#include <bcrypt.h>

#include <string.h>
#include <wchar.h>

#include "sec/tree_policy.h"
#include "util/mem.h"
#include "winutil.h"
#include "wu_tree.h"

#define RANDOM_BYTES 8

ferry_err wu_random_hex(wchar_t *out, size_t n)
{
	static const wchar_t digits[] = L"0123456789abcdef";
	uint8_t raw[32];

	if (n > sizeof(raw) ||
	    !BCRYPT_SUCCESS(BCryptGenRandom(NULL, raw, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
		return ferry_error_set(FERRY_ESYSTEM, "BCryptGenRandom failed");
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * n] = L'\0';
	return FERRY_OK;
}

static ferry_err fail(ferry_err code, const char *api, const wchar_t *path, DWORD e)
{
	char p[MAX_PATH * 3];

	wu_utf8_into(p, sizeof(p), path);
	return ferry_error_set(code, "%s(%s) failed: Win32 error %lu", api, p, (unsigned long)e);
}

static ferry_err write_all(HANDLE h, const uint8_t *data, size_t len, const wchar_t *path)
{
	while (len) {
		DWORD chunk = len > 0x10000000u ? 0x10000000u : (DWORD)len, put = 0;

		if (!WriteFile(h, data, chunk, &put, NULL) || !put)
			return fail(FERRY_EIO, "WriteFile", path, GetLastError());
		data += put;
		len -= put;
	}
	return FERRY_OK;
}

ferry_err wu_file_replace(const wchar_t *path, const void *data, size_t len)
{
	size_t n = wcslen(path);
	wchar_t *tmp = NULL, rnd[2 * RANDOM_BYTES + 1];
	HANDLE f = INVALID_HANDLE_VALUE;
	ferry_err rc;

	if ((rc = wu_random_hex(rnd, RANDOM_BYTES)) != FERRY_OK)
		return rc;
	if (!(tmp = ferry_calloc(n + 2 * RANDOM_BYTES + 8, sizeof(*tmp))))
		return ferry_error_set(FERRY_ENOMEM, "temporary path");
	wu_fmt(tmp, n + 2 * RANDOM_BYTES + 8, L"%ls.%ls.tmp", path, rnd);
	/* CREATE_NEW fails on any existing name, a dangling link included. */
	f = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (f == INVALID_HANDLE_VALUE) {
		rc = fail(FERRY_EIO, "CreateFileW(CREATE_NEW)", tmp, GetLastError());
		goto out;
	}
	if ((rc = write_all(f, data, len, tmp)) != FERRY_OK)
		goto out;
	if (!FlushFileBuffers(f)) {
		rc = fail(FERRY_EIO, "FlushFileBuffers", tmp, GetLastError());
		goto out;
	}
	CloseHandle(f);
	f = INVALID_HANDLE_VALUE;
	if (!MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		rc = fail(FERRY_EIO, "MoveFileExW", path, GetLastError());
out:
	if (f != INVALID_HANDLE_VALUE)
		CloseHandle(f);
	if (rc && f == INVALID_HANDLE_VALUE)
		DeleteFileW(tmp); /* ours: created new above (or never made) */
	ferry_free(tmp);
	return rc;
}

/* Judge an opened existing file as a file of the tree. */
static ferry_err judge_existing(HANDLE h, const wchar_t *path)
{
	char service[256], p[MAX_PATH * 3];
	struct tree_observed o = { .existed = true, .attributes = TREE_ATTR_INVALID };
	struct tree_decision d;
	BY_HANDLE_FILE_INFORMATION bi;
	PSECURITY_DESCRIPTOR sd = NULL;
	DWORD by_name;
	ferry_err rc;

	wu_tree_service_sid(service, sizeof(service));
	o.service_sid = service[0] ? service : NULL;
	/* The name's own attributes too: a system that opens a link's target
	 * despite FILE_FLAG_OPEN_REPARSE_POINT (Wine 8) still shows the link. */
	if (GetFileInformationByHandle(h, &bi) &&
	    (by_name = GetFileAttributesW(path)) != INVALID_FILE_ATTRIBUTES) {
		o.attributes = bi.dwFileAttributes | by_name;
		o.links = bi.nNumberOfLinks;
		o.is_dir = (o.attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
	}
	if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
			    NULL, NULL, NULL, NULL, &sd) == ERROR_SUCCESS && sd) {
		o.sd = sd;
		o.sd_len = GetSecurityDescriptorLength(sd);
	}
	rc = tree_decide(&d, NULL, &o);
	LocalFree(sd);
	if (rc)
		return rc;
	if (d.action == TREE_MOVE_ASIDE || d.action == TREE_REFUSE) {
		wu_utf8_into(p, sizeof(p), path);
		return ferry_error_set(FERRY_EPERM, "%s: not appended to: %s", p, d.reason);
	}
	return FERRY_OK;
}

ferry_err wu_file_open_append(HANDLE *out, const wchar_t *path)
{
	const DWORD access = FILE_APPEND_DATA | READ_CONTROL | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
	ferry_err rc;

	for (int tries = 0; tries < 2; tries++) {
		DWORD e;

		*out = CreateFileW(path, access, FILE_SHARE_READ, NULL, OPEN_EXISTING,
				   FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
		if (*out != INVALID_HANDLE_VALUE) {
			if ((rc = judge_existing(*out, path)) != FERRY_OK) {
				CloseHandle(*out);
				*out = INVALID_HANDLE_VALUE;
			}
			return rc;
		}
		if ((e = GetLastError()) != ERROR_FILE_NOT_FOUND)
			return fail(FERRY_EIO, "CreateFileW(append)", path, e);
		*out = CreateFileW(path, access, FILE_SHARE_READ, NULL, CREATE_NEW,
				   FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
		if (*out != INVALID_HANDLE_VALUE)
			return FERRY_OK;
		if ((e = GetLastError()) != ERROR_FILE_EXISTS)
			return fail(FERRY_EIO, "CreateFileW(CREATE_NEW)", path, e);
		/* Someone made it between the two calls: judge that one. */
	}
	return fail(FERRY_EIO, "CreateFileW(append)", path, ERROR_FILE_EXISTS);
}
