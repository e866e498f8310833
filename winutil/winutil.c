/* The shared Windows helpers (winutil.h). */
#include "winutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "util/mem.h"
#include "util/utf.h"

wchar_t *wu_wide(const char *s)
{
	uint16_t *w = NULL;
	size_t n = 0;

	if (ferry_utf8_to_utf16(&w, &n, s ? s : "", s ? strlen(s) : 0) != FERRY_OK)
		return NULL;
	return (wchar_t *)w;
}

char *wu_utf8(const wchar_t *w)
{
	char *s = NULL;
	size_t n = 0;

	if (ferry_utf16_to_utf8(&s, &n, (const uint16_t *)(w ? w : L""), w ? wcslen(w) : 0) !=
	    FERRY_OK)
		return NULL;
	return s;
}

bool wu_wide_into(wchar_t *out, size_t cap, const char *s)
{
	wchar_t *w = wu_wide(s);
	bool ok = w && wcslen(w) < cap;

	if (cap)
		out[0] = L'\0';
	if (ok)
		memcpy(out, w, (wcslen(w) + 1) * sizeof(wchar_t));
	ferry_free(w);
	return ok;
}

bool wu_utf8_into(char *out, size_t cap, const wchar_t *w)
{
	char *s = wu_utf8(w);
	bool ok = s && strlen(s) < cap;

	if (cap)
		out[0] = '\0';
	if (ok)
		memcpy(out, s, strlen(s) + 1);
	ferry_free(s);
	return ok;
}

int wu_fmt(wchar_t *out, size_t cap, const wchar_t *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vswprintf(out, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

bool wu_reg_get_dword(HKEY root, const wchar_t *key, const wchar_t *name, DWORD *out)
{
	DWORD size = sizeof(*out);

	return RegGetValueW(root, key, name, RRF_RT_REG_DWORD, NULL, out, &size) == ERROR_SUCCESS;
}

bool wu_reg_get_sz(HKEY root, const wchar_t *key, const wchar_t *name, wchar_t *out, size_t cap)
{
	DWORD size = (DWORD)(cap * sizeof(wchar_t));

	if (RegGetValueW(root, key, name, RRF_RT_REG_SZ, NULL, out, &size) != ERROR_SUCCESS) {
		if (cap)
			out[0] = L'\0';
		return false;
	}
	return out[0] != L'\0';
}

static ferry_err reg_error(const char *what, const wchar_t *name, LSTATUS rc)
{
	return ferry_error_set(rc == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM,
			       "%s(%ls) failed: Win32 error %lu", what, name ? name : L"",
			       (unsigned long)rc);
}

ferry_err wu_reg_set(HKEY root, const wchar_t *key, const wchar_t *name, DWORD type,
		     const void *data, DWORD len)
{
	HKEY k = NULL;
	LSTATUS rc = RegCreateKeyExW(root, key, 0, NULL, 0, KEY_SET_VALUE, NULL, &k, NULL);

	if (rc != ERROR_SUCCESS)
		return reg_error("RegCreateKeyExW", key, rc);
	rc = RegSetValueExW(k, name, 0, type, (const BYTE *)data, len);
	RegCloseKey(k);
	return rc == ERROR_SUCCESS ? FERRY_OK : reg_error("RegSetValueExW", name, rc);
}

ferry_err wu_reg_delete(HKEY root, const wchar_t *key, const wchar_t *name)
{
	HKEY k = NULL;
	LSTATUS rc = RegOpenKeyExW(root, key, 0, KEY_SET_VALUE, &k);

	if (rc == ERROR_FILE_NOT_FOUND)
		return FERRY_OK;
	if (rc != ERROR_SUCCESS)
		return reg_error("RegOpenKeyExW", key, rc);
	rc = RegDeleteValueW(k, name);
	RegCloseKey(k);
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
		return reg_error("RegDeleteValueW", name, rc);
	return FERRY_OK;
}
