/*
 * Registry hints (see cp_state.h and docs/credprov.md). Reads only, with
 * RegGetValueW into fixed buffers: no allocation, no wait, nothing that can
 * block LogonUI's thread.
 */
#include "cp_state.h"

#include <objbase.h>
#include <lm.h>

#include <wchar.h>

#include "ux/lease.h"
#include "winutil.h"

static bool read_dword(const wchar_t *key, const wchar_t *name, DWORD *out)
{
	return wu_reg_get_dword(HKEY_LOCAL_MACHINE, key, name, out);
}

/* A REG_SZ into out[cap] (wchar_t units); false if absent, mistyped, too long or empty. */
static bool read_sz(const wchar_t *key, const wchar_t *name, wchar_t *out, size_t cap)
{
	return wu_reg_get_sz(HKEY_LOCAL_MACHINE, key, name, out, cap);
}

static uint64_t lease_cap_seconds(void)
{
	DWORD hours = 0;
	bool present = read_dword(CP_KEY_STATE, CP_VAL_LEASE_CAP, &hours);

	return hint_cap_seconds_read(present, hours);
}

bool cp_state_lease_held(const char **reason)
{
	/* 16 bytes: room to see that a value is longer than a FILETIME. */
	uint8_t data[16];
	DWORD size = sizeof(data), type = 0;
	struct lease_value v = { 0 };
	FILETIME ft;
	uint64_t now;
	LSTATUS st = RegGetValueW(HKEY_LOCAL_MACHINE, CP_KEY_STATE, CP_VAL_LEASE,
				  RRF_RT_ANY | RRF_NOEXPAND, &type, data, &size);

	if (st == ERROR_SUCCESS || st == ERROR_MORE_DATA) {
		v.present = 1;
		v.type = type;
		v.data = data;
		/* ERROR_MORE_DATA: size holds the real (too large) length; lease_decide
		 * reads the bytes only when the length is exactly 8. */
		v.len = st == ERROR_SUCCESS ? size : sizeof(data) + 1;
	}
	GetSystemTimeAsFileTime(&ft);
	now = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
	return lease_decide(&v, now, lease_cap_seconds(), reason) == LEASE_HIDE_OTHERS;
}

bool cp_state_migrating(void)
{
	DWORD running = 0;

	if (read_dword(CP_KEY_STATE, CP_VAL_MIGRATING, &running) && running == 1)
		return true;
	return cp_state_lease_held(NULL);
}

bool cp_state_fallback_account(wchar_t *out, size_t cap)
{
	if (!read_sz(CP_KEY_STATE, CP_VAL_FALLBACK, out, cap))
		return false;
	/* A name with a separator would change which account `.\name` means. */
	if (wcspbrk(out, L"\\/@")) {
		out[0] = L'\0';
		return false;
	}
	return true;
}

bool cp_state_account_exists(const wchar_t *name)
{
	USER_INFO_1 *ui = NULL;
	NET_API_STATUS st = NetUserGetInfo(NULL, name, 1, (LPBYTE *)&ui);
	bool ok = st == NERR_Success && ui && !(ui->usri1_flags & UF_ACCOUNTDISABLE);

	if (ui)
		NetApiBufferFree(ui);
	return ok;
}

bool cp_state_computer_name(wchar_t *out, size_t cap)
{
	DWORD n = (DWORD)cap;

	return cap > 0 && GetComputerNameW(out, &n) && n > 0;
}

size_t cp_state_allow_list(GUID *out, size_t cap)
{
	/* 64 CLSIDs of 38 characters and a NUL, plus the list's final NUL. */
	wchar_t buf[CP_ALLOW_MAX * 39 + 2];
	DWORD size = sizeof(buf) - 2 * sizeof(wchar_t);
	size_t n = 0;
	const wchar_t *p;

	if (RegGetValueW(HKEY_LOCAL_MACHINE, CP_KEY_FERRY, CP_VAL_ALLOW, RRF_RT_REG_MULTI_SZ, NULL,
			 buf, &size) != ERROR_SUCCESS)
		return 0;
	/* Terminate the list whatever the writer did. */
	buf[size / sizeof(wchar_t)] = L'\0';
	buf[size / sizeof(wchar_t) + 1] = L'\0';
	for (p = buf; *p && n < cap; p += wcslen(p) + 1) {
		if (wcslen(p) == 38 && IIDFromString(p, &out[n]) == S_OK)
			n++;
	}
	return n;
}

void cp_state_pipe_name(wchar_t *out, size_t cap)
{
	static const wchar_t prefix[] = L"\\\\.\\pipe\\";

	if (read_sz(CP_KEY_FERRY, CP_VAL_PIPE, out, cap) &&
	    _wcsnicmp(out, prefix, wcslen(prefix)) == 0 && wcslen(out) > wcslen(prefix))
		return;
	wcsncpy(out, CP_PIPE_DEFAULT, cap - 1);
	out[cap - 1] = L'\0';
}
