/* Policy-over-MSI settings reader; the table of settings is in config.h. */
#include "win/config.h"

#include <windows.h>

#include <stdint.h>
#include <string.h>

#include "util/mem.h"
#include "util/utf.h"
#include "win/win_err.h"

/* Longest accepted string value, in UTF-16 units (a PEM key fits easily). */
#define VALUE_MAX_UNITS 8192

static const wchar_t *const value_names[WIN_CONFIG_FIELDS] = {
	L"ServerUrl", L"ServerPinSha256", L"SigningPublicKey", L"BundleDir", L"EnrollKey",
	L"Rehearse",
};

const wchar_t *win_config_value_name(enum win_config_field f)
{
	return (unsigned)f < WIN_CONFIG_FIELDS ? value_names[f] : NULL;
}

/* One value's raw bytes. *found = 0 when the key or the value is absent. */
static ferry_err raw_get(const wchar_t *key, const wchar_t *name, DWORD *type, uint8_t *buf,
			 DWORD *len, int *found)
{
	HKEY k = NULL;
	LSTATUS st;

	*found = 0;
	st = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_READ | KEY_WOW64_64KEY, &k);
	if (st == ERROR_FILE_NOT_FOUND)
		return FERRY_OK;
	if (st != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegOpenKeyExW(config)", (unsigned long)st);
	st = RegQueryValueExW(k, name, NULL, type, buf, len);
	RegCloseKey(k);
	if (st == ERROR_FILE_NOT_FOUND)
		return FERRY_OK;
	if (st == ERROR_MORE_DATA)
		return ferry_error_set(FERRY_ERANGE, "config %ls\\%ls: longer than %d characters", key,
				       name, VALUE_MAX_UNITS);
	if (st != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegQueryValueExW(config)", (unsigned long)st);
	*found = 1;
	return FERRY_OK;
}

/* A string setting from one key; *out stays NULL when absent or empty. The
 * stack copies are wiped: one of the settings is the enrolment key. */
static ferry_err string_read(char **out, const wchar_t *key, const wchar_t *name, wchar_t *buf,
			     wchar_t *expanded)
{
	DWORD type = 0, len = VALUE_MAX_UNITS * sizeof(wchar_t);
	const wchar_t *s = buf;
	size_t n;
	int found;
	ferry_err rc = raw_get(key, name, &type, (uint8_t *)buf, &len, &found);

	*out = NULL;
	if (rc || !found)
		return rc;
	if (type != REG_SZ && type != REG_EXPAND_SZ)
		return ferry_error_set(FERRY_ECORRUPT, "config %ls\\%ls: registry type %lu, want a string",
				       key, name, (unsigned long)type);
	buf[len / sizeof(wchar_t)] = L'\0'; /* stored strings need not end in NUL */
	if (type == REG_EXPAND_SZ) {
		DWORD m = ExpandEnvironmentStringsW(buf, expanded, VALUE_MAX_UNITS + 1);

		if (m == 0 || m > VALUE_MAX_UNITS + 1)
			return ferry_error_set(FERRY_ERANGE, "config %ls\\%ls: too long once expanded",
					       key, name);
		s = expanded;
	}
	if (!s[0])
		return FERRY_OK;
	rc = ferry_utf16_to_utf8(out, &n, (const uint16_t *)s, wcslen(s));
	if (rc)
		return ferry_error_wrap(rc, "config %ls\\%ls: ", key, name);
	return FERRY_OK;
}

static ferry_err string_get(char **out, const wchar_t *key, const wchar_t *name)
{
	wchar_t buf[VALUE_MAX_UNITS + 1], expanded[VALUE_MAX_UNITS + 1]; /* 32 KiB of stack */
	ferry_err rc = string_read(out, key, name, buf, expanded);

	SecureZeroMemory(buf, sizeof(buf));
	SecureZeroMemory(expanded, sizeof(expanded));
	return rc;
}

/* Rehearse: REG_DWORD (ADMX) or REG_SZ "0"/"1" (MSI); *val = -1 when unset. */
static ferry_err flag_get(int *val, const wchar_t *key, const wchar_t *name)
{
	uint8_t buf[64];
	DWORD type = 0, len = sizeof buf - sizeof(wchar_t);
	int found;
	ferry_err rc = raw_get(key, name, &type, buf, &len, &found);

	*val = -1;
	if (rc || !found)
		return rc;
	if (type == REG_DWORD && len == sizeof(DWORD)) {
		DWORD d = (DWORD)buf[0] | (DWORD)buf[1] << 8 | (DWORD)buf[2] << 16 | (DWORD)buf[3] << 24;

		*val = d != 0;
		return FERRY_OK;
	}
	if (type == REG_SZ) {
		const wchar_t *s = (const wchar_t *)buf;

		buf[len] = buf[len + 1] = 0;
		if (!s[0])
			return FERRY_OK; /* the MSI wrote an empty property */
		if (!wcscmp(s, L"0") || !wcscmp(s, L"1")) {
			*val = s[0] == L'1';
			return FERRY_OK;
		}
	}
	return ferry_error_set(FERRY_ECORRUPT, "config %ls\\%ls: want REG_DWORD or \"0\"/\"1\"", key,
			       name);
}

static char **string_field(struct win_config *c, enum win_config_field f)
{
	switch (f) {
	case WIN_CONFIG_SERVER_URL: return &c->server_url;
	case WIN_CONFIG_SERVER_PIN_SHA256: return &c->server_pin_sha256;
	case WIN_CONFIG_SIGNING_PUBLIC_KEY: return &c->signing_public_key;
	case WIN_CONFIG_BUNDLE_DIR: return &c->bundle_dir;
	case WIN_CONFIG_ENROLL_KEY: return &c->enroll_key;
	default: return NULL;
	}
}

ferry_err win_config_load_from(struct win_config **out, const wchar_t *policy_key,
			       const wchar_t *msi_key)
{
	struct win_config *c = ferry_calloc(1, sizeof *c);
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!c)
		return ferry_error_set(FERRY_ENOMEM, "config: out of memory");
	for (int f = 0; !rc && f < WIN_CONFIG_REHEARSE; f++) {
		char **dst = string_field(c, (enum win_config_field)f);

		rc = string_get(dst, policy_key, value_names[f]);
		if (!rc && *dst)
			c->source[f] = WIN_CONFIG_FROM_POLICY;
		if (!rc && !*dst) {
			rc = string_get(dst, msi_key, value_names[f]);
			if (!rc && *dst)
				c->source[f] = WIN_CONFIG_FROM_MSI;
		}
	}
	if (!rc) {
		int v;

		rc = flag_get(&v, policy_key, value_names[WIN_CONFIG_REHEARSE]);
		if (!rc && v >= 0)
			c->source[WIN_CONFIG_REHEARSE] = WIN_CONFIG_FROM_POLICY;
		if (!rc && v < 0) {
			rc = flag_get(&v, msi_key, value_names[WIN_CONFIG_REHEARSE]);
			if (!rc && v >= 0)
				c->source[WIN_CONFIG_REHEARSE] = WIN_CONFIG_FROM_MSI;
		}
		c->rehearse = v > 0;
	}
	if (rc) {
		win_config_free(c);
		return rc;
	}
	*out = c;
	return FERRY_OK;
}

ferry_err win_config_load(struct win_config **out)
{
	return win_config_load_from(out, WIN_CONFIG_POLICY_KEY, WIN_CONFIG_MSI_KEY);
}

void win_config_free(struct win_config *c)
{
	if (!c)
		return;
	ferry_free(c->server_url);
	ferry_free(c->server_pin_sha256);
	ferry_free(c->signing_public_key);
	ferry_free(c->bundle_dir);
	if (c->enroll_key) {
		SecureZeroMemory(c->enroll_key, strlen(c->enroll_key));
		ferry_free(c->enroll_key);
	}
	ferry_free(c);
}
