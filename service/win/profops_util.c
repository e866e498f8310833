/* Helpers shared by the profile ops (profops_int.h). */
#include "win/profops_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/utf.h"
#include "win/oplog.h"
#include "win/win_err.h"

void win_plog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The one log hook of service/win (win/oplog.h); op NULL: the line as is. */
	if (win_log_hook)
		win_log_hook(WIN_LOG_INFO, NULL, line);
	else
		fprintf(stderr, "ferry: %s\n", line);
}

ferry_err win_enable_privileges(const wchar_t *const *names, size_t n, bool *all_enabled)
{
	HANDLE tok = NULL;
	ferry_err e = FERRY_OK;

	*all_enabled = true;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
		return win_last_error("OpenProcessToken");
	for (size_t i = 0; i < n; i++) {
		TOKEN_PRIVILEGES tp = { .PrivilegeCount = 1 };

		tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
		if (!LookupPrivilegeValueW(NULL, names[i], &tp.Privileges[0].Luid) ||
		    !AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL)) {
			e = win_last_error("AdjustTokenPrivileges");
			break;
		}
		/* Success with ERROR_NOT_ALL_ASSIGNED: the token lacks it. */
		if (GetLastError() == ERROR_NOT_ALL_ASSIGNED) {
			win_plog("privilege %ls is not held", names[i]);
			*all_enabled = false;
		}
	}
	CloseHandle(tok);
	return e;
}

ferry_err win_wide(wchar_t **out, const char *s)
{
	uint16_t *w = NULL;
	size_t n;
	ferry_err e = ferry_utf8_to_utf16(&w, &n, s, strlen(s));

	*out = (wchar_t *)w;
	return e;
}

ferry_err win_utf8(char **out, const wchar_t *w)
{
	size_t n;

	return ferry_utf16_to_utf8(out, &n, (const uint16_t *)w, wcslen(w));
}

ferry_err win_check_sid(const char *sid)
{
	if (!sid || strncmp(sid, "S-1-", 4) || strlen(sid) > 184 || strpbrk(sid, "\\/ "))
		return ferry_error_set(FERRY_EINVAL, "not a SID string: '%s'", sid ? sid : "(null)");
	return FERRY_OK;
}

ferry_err win_profile_dir(wchar_t **out, const char *sid)
{
	wchar_t key[400], raw[MAX_PATH * 4];
	wchar_t *wsid = NULL, *exp = NULL;
	DWORD len = sizeof(raw), n;
	LONG rc;
	ferry_err e;

	*out = NULL;
	if ((e = win_check_sid(sid)) != FERRY_OK || (e = win_wide(&wsid, sid)) != FERRY_OK)
		return e;
	swprintf(key, sizeof(key) / sizeof(key[0]), L"%ls\\%ls", WIN_PROFILE_LIST, wsid);
	ferry_free(wsid);
	rc = RegGetValueW(HKEY_LOCAL_MACHINE, key, L"ProfileImagePath",
			  RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL, raw, &len);
	if (rc != ERROR_SUCCESS)
		return win_error(rc == ERROR_FILE_NOT_FOUND ? FERRY_ENOTFOUND : FERRY_ESYSTEM,
				     "RegGetValueW(ProfileList ProfileImagePath)", (unsigned long)rc);
	n = ExpandEnvironmentStringsW(raw, NULL, 0);
	exp = n ? ferry_calloc(n, sizeof(wchar_t)) : NULL;
	if (!exp)
		return n ? ferry_error_set(FERRY_ENOMEM, "profile path")
			 : win_last_error("ExpandEnvironmentStringsW");
	if (ExpandEnvironmentStringsW(raw, exp, n) != n) {
		ferry_free(exp);
		return win_last_error("ExpandEnvironmentStringsW");
	}
	*out = exp;
	return FERRY_OK;
}

static bool key_exists(HKEY parent, const wchar_t *name, HKEY *out)
{
	return RegOpenKeyExW(parent, name, 0, KEY_ALL_ACCESS | ACCESS_SYSTEM_SECURITY, out) ==
		       ERROR_SUCCESS ||
	       RegOpenKeyExW(parent, name, 0, KEY_ALL_ACCESS, out) == ERROR_SUCCESS;
}

ferry_err win_hive_open(struct win_hive *h, const char *sid, bool classes)
{
	static const wchar_t *const privs[] = { SE_BACKUP_NAME, SE_RESTORE_NAME };
	wchar_t *wsid = NULL, *dir = NULL, file[MAX_PATH * 4 + 64], live[220];
	bool all;
	LONG rc;
	ferry_err e;

	memset(h, 0, sizeof(*h));
	if ((e = win_check_sid(sid)) != FERRY_OK || (e = win_wide(&wsid, sid)) != FERRY_OK)
		return e;
	swprintf(h->name, sizeof(h->name) / sizeof(h->name[0]), L"Ferry_%ls%ls", wsid,
		 classes ? L"_Classes" : L"");
	swprintf(live, sizeof(live) / sizeof(live[0]), L"%ls%ls", wsid, classes ? L"_Classes" : L"");
	ferry_free(wsid);
	/* The user is logged on, or a hive is left from an earlier run. */
	if (key_exists(HKEY_USERS, live, &h->root)) {
		wcscpy(h->name, live);
		return FERRY_OK;
	}
	if (key_exists(HKEY_USERS, h->name, &h->root))
		return FERRY_OK;
	if ((e = win_profile_dir(&dir, sid)) != FERRY_OK)
		return e;
	swprintf(file, sizeof(file) / sizeof(file[0]), L"%ls\\%ls", dir,
		 classes ? L"AppData\\Local\\Microsoft\\Windows\\UsrClass.dat" : L"NTUSER.DAT");
	ferry_free(dir);
	if (GetFileAttributesW(file) == INVALID_FILE_ATTRIBUTES)
		return win_last_error(classes ? "GetFileAttributesW(UsrClass.dat)"
						  : "GetFileAttributesW(NTUSER.DAT)");
	if ((e = win_enable_privileges(privs, 2, &all)) != FERRY_OK)
		return e;
	rc = RegLoadKeyW(HKEY_USERS, h->name, file);
	if (rc != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegLoadKeyW", (unsigned long)rc);
	h->loaded_by_us = true;
	if (!key_exists(HKEY_USERS, h->name, &h->root)) {
		e = win_error(FERRY_ESYSTEM, "RegOpenKeyExW(loaded hive)", GetLastError());
		win_hive_close(h);
		return e;
	}
	win_plog("loaded %ls at HKU\\%ls", file, h->name);
	return FERRY_OK;
}

ferry_err win_hive_close(struct win_hive *h)
{
	ferry_err e = FERRY_OK;

	if (h->root) {
		RegCloseKey(h->root);
		h->root = NULL;
	}
	if (h->loaded_by_us) {
		LONG rc = RegUnLoadKeyW(HKEY_USERS, h->name);

		h->loaded_by_us = false;
		if (rc != ERROR_SUCCESS) {
			e = win_error(FERRY_ESYSTEM, "RegUnLoadKeyW", (unsigned long)rc);
			win_plog("unloading HKU\\%ls failed: %s", h->name, ferry_error_detail());
		}
	}
	return e;
}

void win_key_stats(HKEY k, unsigned long long *keys, unsigned long long *values,
		   unsigned long long *bytes)
{
	DWORD nsub = 0, nval = 0, maxname = 0;
	wchar_t name[256];

	if (RegQueryInfoKeyW(k, NULL, NULL, NULL, &nsub, &maxname, NULL, &nval, NULL, NULL, NULL,
			     NULL) != ERROR_SUCCESS)
		return;
	*values += nval;
	for (DWORD i = 0; i < nval; i++) {
		DWORD nl = 256, dl = 0;

		if (RegEnumValueW(k, i, name, &nl, NULL, NULL, NULL, &dl) == ERROR_SUCCESS)
			*bytes += dl;
	}
	for (DWORD i = 0; i < nsub; i++) {
		DWORD nl = 256;
		HKEY sub;

		if (RegEnumKeyExW(k, i, name, &nl, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			continue;
		(*keys)++;
		if (RegOpenKeyExW(k, name, REG_OPTION_OPEN_LINK, KEY_READ, &sub) == ERROR_SUCCESS) {
			win_key_stats(sub, keys, values, bytes);
			RegCloseKey(sub);
		}
	}
}
