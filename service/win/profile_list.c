/*
 * The ProfileList remap and its rollback.
 *
 * Remap: HKLM\...\ProfileList\<source> is copied to ProfileList\<target>
 * with Sid = the target's binary SID, so the target account logs on to the
 * old profile folder. The source key stays as it is and the profile folder
 * is never touched. The copy drops the value Guid (the source account's
 * objectGUID, which does not name the target account).
 *
 * Backup, under HKLM\SOFTWARE\Ferry\Backup\<source>\ProfileList:
 *   Source        a copy of ProfileList\<source>, taken once, before anything
 *   Target        a copy of ProfileList\<target> if one already existed
 *   TargetSid     REG_SZ, the target SID
 *   TargetState   REG_SZ "existed" or "absent", written once
 *   SourceBackup, TargetBackup   REG_SZ "partial" while copying, "done" after
 * so a crash never leaves a half backup that looks whole. Remap is
 * idempotent: the backups are taken once, the copy to <target> is redone in
 * full each time.
 *
 * Rollback deletes ProfileList\<target>, puts back Target if it existed,
 * restores ProfileList\<source> from Source, then the app backups
 * (app_reset.c), and last removes the backup key.
 */
#include "win/profops_int.h"

#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "win/win_err.h"

static ferry_err reg_fail(const char *api, LONG rc)
{
	return win_error(rc == ERROR_FILE_NOT_FOUND ? FERRY_ENOTFOUND
			     : rc == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM,
			     api, (unsigned long)rc);
}

/* Replace dst (under HKLM) with a copy of src: delete, create, copy. */
static ferry_err copy_key(const wchar_t *src, const wchar_t *dst)
{
	HKEY s = NULL, d = NULL;
	LONG rc;

	rc = RegDeleteTreeW(HKEY_LOCAL_MACHINE, dst);
	if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND)
		rc = RegDeleteKeyW(HKEY_LOCAL_MACHINE, dst);
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
		return reg_fail("RegDeleteTreeW", rc);
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, src, 0, KEY_READ, &s);
	if (rc != ERROR_SUCCESS)
		return reg_fail("RegOpenKeyExW(copy source)", rc);
	rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, dst, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &d, NULL);
	if (rc == ERROR_SUCCESS)
		rc = RegCopyTreeW(s, NULL, d);
	RegCloseKey(s);
	if (d)
		RegCloseKey(d);
	return rc == ERROR_SUCCESS ? FERRY_OK : reg_fail("RegCopyTreeW", rc);
}

static bool hklm_exists(const wchar_t *path)
{
	HKEY k;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

static ferry_err set_sz(const wchar_t *key, const wchar_t *name, const wchar_t *val)
{
	LONG rc = RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, name, REG_SZ, val,
				  (DWORD)((wcslen(val) + 1) * sizeof(wchar_t)));

	return rc == ERROR_SUCCESS ? FERRY_OK : reg_fail("RegSetKeyValueW", rc);
}

static bool get_sz(const wchar_t *key, const wchar_t *name, wchar_t *out, DWORD cap_bytes)
{
	return RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_SZ, NULL, out, &cap_bytes) ==
	       ERROR_SUCCESS;
}

/* Back src up to parent\name once. The value <name>Backup says "partial"
 * while copying and "done" after, so a copy cut short is redone and a
 * finished one is never taken again (it is the pristine state). */
static ferry_err backup_once(const wchar_t *src, const wchar_t *parent, const wchar_t *name)
{
	wchar_t full[600], flag[80], state[16];
	ferry_err e;

	swprintf(full, 600, L"%ls\\%ls", parent, name);
	swprintf(flag, 80, L"%lsBackup", name);
	if (get_sz(parent, flag, state, sizeof(state)) && !wcscmp(state, L"done"))
		return FERRY_OK;
	if ((e = set_sz(parent, flag, L"partial")) != FERRY_OK || (e = copy_key(src, full)) != FERRY_OK)
		return e;
	return set_sz(parent, flag, L"done");
}

/* ProfileList\<target> = copy of <source>, Sid = target, Guid dropped. */
static ferry_err write_target(const wchar_t *src_key, const wchar_t *dst_key, const wchar_t *wdst)
{
	PSID sid = NULL;
	HKEY d = NULL;
	LONG rc;
	ferry_err e;

	if (!ConvertStringSidToSidW(wdst, &sid))
		return win_last_error("ConvertStringSidToSidW");
	e = copy_key(src_key, dst_key);
	if (e == FERRY_OK) {
		rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, dst_key, 0, KEY_ALL_ACCESS, &d);
		if (rc == ERROR_SUCCESS)
			rc = RegSetValueExW(d, L"Sid", 0, REG_BINARY, (const BYTE *)sid, GetLengthSid(sid));
		if (rc == ERROR_SUCCESS) {
			rc = RegDeleteValueW(d, L"Guid");
			if (rc == ERROR_FILE_NOT_FOUND)
				rc = ERROR_SUCCESS;
		}
		if (d)
			RegCloseKey(d);
		if (rc != ERROR_SUCCESS)
			e = reg_fail("RegSetValueExW(ProfileList Sid)", rc);
	}
	LocalFree(sid);
	return e;
}

struct keys {
	wchar_t src[400], dst[400], bak[400], wsrc[200], wdst[200];
};

static ferry_err keys_init(struct keys *k, const char *src, const char *dst)
{
	wchar_t *a = NULL, *b = NULL;
	ferry_err e;

	memset(k, 0, sizeof(*k));
	if ((e = win_check_sid(src)) != FERRY_OK || (dst && (e = win_check_sid(dst)) != FERRY_OK))
		return e;
	if ((e = win_wide(&a, src)) == FERRY_OK && (!dst || (e = win_wide(&b, dst)) == FERRY_OK)) {
		swprintf(k->wsrc, 200, L"%ls", a);
		swprintf(k->wdst, 200, L"%ls", b ? b : L"");
		swprintf(k->src, 400, L"%ls\\%ls", WIN_PROFILE_LIST, a);
		swprintf(k->dst, 400, L"%ls\\%ls", WIN_PROFILE_LIST, b ? b : L"");
		swprintf(k->bak, 400, L"%ls\\%ls\\ProfileList", WIN_BACKUP_ROOT, a);
	}
	ferry_free(a);
	ferry_free(b);
	return e;
}

ferry_err win_profile_remap(const struct win_profile_ctx *pc)
{
	struct keys k;
	wchar_t state[32];
	ferry_err e;

	if (!pc || !pc->target_sid)
		return ferry_error_set(FERRY_EINVAL, "win_profile_remap: missing profile context");
	if ((e = keys_init(&k, pc->source_sid, pc->target_sid)) != FERRY_OK)
		return e;
	if (!_wcsicmp(k.wsrc, k.wdst))
		return ferry_error_set(FERRY_EINVAL, "profile remap: source and target are the same SID");
	if (!hklm_exists(k.src))
		return ferry_error_set(FERRY_ENOTFOUND, "profile remap: no ProfileList entry for %s",
				       pc->source_sid);
	e = backup_once(k.src, k.bak, L"Source");
	if (e == FERRY_OK && !get_sz(k.bak, L"TargetState", state, sizeof(state))) {
		bool existed = hklm_exists(k.dst);

		if (existed)
			e = backup_once(k.dst, k.bak, L"Target");
		if (e == FERRY_OK)
			e = set_sz(k.bak, L"TargetSid", k.wdst);
		if (e == FERRY_OK)
			e = set_sz(k.bak, L"TargetState", existed ? L"existed" : L"absent");
		if (e == FERRY_OK && existed)
			win_plog("profile remap: ProfileList\\%s existed; backed up", pc->target_sid);
	}
	if (e == FERRY_OK)
		e = write_target(k.src, k.dst, k.wdst);
	if (e == FERRY_OK)
		win_plog("profile remap: ProfileList\\%s -> %s (backup HKLM\\SOFTWARE\\Ferry\\Backup\\%s)",
			 pc->source_sid, pc->target_sid, pc->source_sid);
	return e;
}

/* Undo the remap from its backup; no backup = nothing to undo. */
static ferry_err profile_list_rollback(const char *source_sid)
{
	struct keys k;
	wchar_t tsid[200], state[32] = L"", tbak[450], sbak[450], tkey[450];
	LONG rc;
	ferry_err e;

	if ((e = keys_init(&k, source_sid, NULL)) != FERRY_OK)
		return e;
	swprintf(sbak, 450, L"%ls\\Source", k.bak);
	if (!hklm_exists(sbak)) {
		win_plog("rollback: no ProfileList backup for %s; nothing to restore", source_sid);
		return FERRY_OK;
	}
	if (get_sz(k.bak, L"TargetSid", tsid, sizeof(tsid)) &&
	    get_sz(k.bak, L"TargetState", state, sizeof(state))) {
		swprintf(tkey, 450, L"%ls\\%ls", WIN_PROFILE_LIST, tsid);
		swprintf(tbak, 450, L"%ls\\Target", k.bak);
		if (!wcscmp(state, L"existed") && hklm_exists(tbak)) {
			e = copy_key(tbak, tkey);
		} else {
			rc = RegDeleteTreeW(HKEY_LOCAL_MACHINE, tkey);
			if (rc == ERROR_SUCCESS)
				rc = RegDeleteKeyW(HKEY_LOCAL_MACHINE, tkey);
			if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
				e = reg_fail("RegDeleteTreeW(ProfileList target)", rc);
		}
	}
	if (e == FERRY_OK)
		e = copy_key(sbak, k.src);
	if (e == FERRY_OK) {
		rc = RegDeleteTreeW(HKEY_LOCAL_MACHINE, k.bak);
		if (rc == ERROR_SUCCESS)
			rc = RegDeleteKeyW(HKEY_LOCAL_MACHINE, k.bak);
		if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
			e = reg_fail("RegDeleteTreeW(backup)", rc);
	}
	if (e == FERRY_OK)
		win_plog("rollback: ProfileList\\%s restored; the target's entry %ls", source_sid,
			 !wcscmp(state, L"existed") ? L"restored" : L"removed");
	return e;
}

ferry_err win_profile_rollback(const char *source_sid)
{
	wchar_t root[400], *w = NULL;
	ferry_err e;

	if ((e = win_check_sid(source_sid)) != FERRY_OK)
		return e;
	/* Apps first: finding the profile folder needs the ProfileList entry. */
	e = win_apps_rollback(source_sid);
	if (e == FERRY_OK)
		e = profile_list_rollback(source_sid);
	if (e == FERRY_OK && win_wide(&w, source_sid) == FERRY_OK) {
		swprintf(root, 400, L"%ls\\%ls", WIN_BACKUP_ROOT, w);
		RegDeleteKeyW(HKEY_LOCAL_MACHINE, root); /* only succeeds once empty */
		ferry_free(w);
	}
	return e;
}

ferry_err win_profile_list_sids(char ***out, size_t *n)
{
	HKEY k = NULL;
	wchar_t name[256];
	char **v = NULL;
	size_t cnt = 0;
	ferry_err e = FERRY_OK;
	LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, WIN_PROFILE_LIST, 0, KEY_READ, &k);

	*out = NULL;
	*n = 0;
	if (rc == ERROR_FILE_NOT_FOUND)
		return FERRY_OK; /* no profile at all */
	if (rc != ERROR_SUCCESS)
		return reg_fail("RegOpenKeyExW(ProfileList)", rc);
	for (DWORD i = 0; e == FERRY_OK && i < WIN_PROFILE_LIST_MAX; i++) {
		DWORD len = 256;
		char **g;

		rc = RegEnumKeyExW(k, i, name, &len, NULL, NULL, NULL, NULL);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		if (rc != ERROR_SUCCESS) {
			e = reg_fail("RegEnumKeyExW(ProfileList)", rc);
			break;
		}
		/* Windows keeps "<SID>.bak" beside a profile it had to repair: not a profile. */
		if (wcschr(name, L'.'))
			continue;
		if (!(g = ferry_realloc_array(v, cnt + 1, sizeof(*v)))) {
			e = ferry_error_set(FERRY_ENOMEM, "ProfileList");
			break;
		}
		v = g;
		if ((e = win_utf8(&v[cnt], name)) == FERRY_OK)
			cnt++;
	}
	RegCloseKey(k);
	if (e != FERRY_OK) {
		win_profile_list_free(v, cnt);
		return e;
	}
	*out = v;
	*n = cnt;
	return FERRY_OK;
}

void win_profile_list_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		ferry_free(v[i]);
	ferry_free(v);
}

ferry_err win_last_logged_on_sid(char *out, size_t cap)
{
	wchar_t w[256];
	DWORD cb = sizeof(w) - sizeof(wchar_t), type = 0;
	char *u = NULL;
	LONG rc;

	out[0] = '\0';
	memset(w, 0, sizeof(w));
	rc = RegGetValueW(HKEY_LOCAL_MACHINE, WIN_LOGONUI_KEY, L"LastLoggedOnUserSID",
			  RRF_RT_REG_SZ, &type, w, &cb);
	if (rc == ERROR_FILE_NOT_FOUND)
		return FERRY_OK;
	if (rc != ERROR_SUCCESS)
		return reg_fail("RegGetValueW(LastLoggedOnUserSID)", rc);
	if (win_utf8(&u, w) != FERRY_OK)
		return ferry_error_set(FERRY_ENOMEM, "LastLoggedOnUserSID");
	snprintf(out, cap, "%s", u);
	ferry_free(u);
	return FERRY_OK;
}
