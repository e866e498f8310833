/*
 * App reconfiguration and its rollback: the items of core/engine/app_reset.h
 * performed in the user's hive (HKU\Ferry_<sid>, profops_util.c) and
 * profile folder.
 *
 * A move turns X into X.ferry-bak in the same parent. A folder is renamed
 * (MoveFileExW without copy: atomic). A key is copied (RegCopyTreeW) and
 * the original deleted: RegRenameKey would be atomic, but Wine 8's
 * corrupts the parent's subkey list (a sibling disappears), and a copy
 * works the same everywhere; the copy's keys get default security, which
 * the identity and account keys have anyway. Each move is recorded as a
 * value under HKLM\SOFTWARE\Ferry\Backup\<source SID>\Apps (name = item
 * id, or "id:subkey" for OneDrive's Business* keys): "moving: <what>"
 * before, "done: <what>" after, so a copy cut short is redone. The record
 * lives outside the user's hive so that a re-run can tell "done" from
 * "the app re-created it". OneDrive's one-time reset is a RunOnce value
 * (FerryOneDriveReset) in the user's hive, written only when OneDrive.exe
 * is installed.
 *
 * Rollback renames each X.ferry-bak back (what the app created since is
 * set aside as X.ferry-new), deletes the RunOnce value, and clears the
 * records. Neither step deletes user data.
 */
#include "win/profops_int.h"

#include <stdio.h>
#include <string.h>

#include "engine/app_reset.h"
#include "runbook/runbook.h"
#include "util/mem.h"
#include "win/win_err.h"

struct env {
	struct win_hive hive; /* hive.root NULL = no hive */
	wchar_t *profile;     /* profile folder, or NULL */
	wchar_t rec[300];     /* HKLM path of the records */
};

/* 0 = no record, 1 = moving, 2 = done. */
static int recorded(const struct env *v, const wchar_t *id)
{
	wchar_t data[16];
	DWORD len = sizeof(data);
	LONG rc = RegGetValueW(HKEY_LOCAL_MACHINE, v->rec, id, RRF_RT_REG_SZ, NULL, data, &len);

	if (rc == ERROR_MORE_DATA)
		return 2; /* longer than "moving: ...": a done record */
	if (rc != ERROR_SUCCESS)
		return 0;
	return !wcsncmp(data, L"moving", 6) ? 1 : 2;
}

static ferry_err record(const struct env *v, const wchar_t *id, const wchar_t *state,
			const wchar_t *what)
{
	wchar_t data[MAX_PATH * 2 + 16];
	LONG rc;

	swprintf(data, MAX_PATH * 2 + 16, L"%ls: %ls", state, what);
	rc = RegSetKeyValueW(HKEY_LOCAL_MACHINE, v->rec, id, REG_SZ, data,
			     (DWORD)((wcslen(data) + 1) * sizeof(wchar_t)));

	return rc == ERROR_SUCCESS ? FERRY_OK : win_error(FERRY_ESYSTEM, "RegSetKeyValueW(record)", (unsigned long)rc);
}

static void unrecord(const struct env *v, const wchar_t *id)
{
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, v->rec, id);
}

/*
 * A user's hive is the user's: any key in it may be a registry symbolic
 * link (REG_LINK value SymbolicLinkValue, made with REG_OPTION_CREATE_LINK)
 * pointing anywhere SYSTEM can write. Every key this file opens in it is
 * opened with REG_OPTION_OPEN_LINK, component by component, and a link is
 * refused, never followed, copied or deleted through.
 */
/* open_nolink's answer for a link on the path (no Win32 code means it). */
#define KEY_IS_A_LINK ((LONG)0x7fff0001)

static bool is_link(HKEY parent, const wchar_t *name)
{
	HKEY k;
	DWORD type = 0;
	LONG rc;

	if (RegOpenKeyExW(parent, name, REG_OPTION_OPEN_LINK, KEY_QUERY_VALUE, &k) != ERROR_SUCCESS)
		return false;
	rc = RegQueryValueExW(k, L"SymbolicLinkValue", NULL, &type, NULL, NULL);
	RegCloseKey(k);
	return rc == ERROR_SUCCESS && type == REG_LINK;
}

/* root\path opened one component at a time, none of them a link. */
static LONG open_nolink(HKEY root, const wchar_t *path, REGSAM access, HKEY *out)
{
	wchar_t part[MAX_PATH * 2];
	const wchar_t *p = path;
	HKEY cur = root, next = NULL;
	LONG rc = ERROR_SUCCESS;

	*out = NULL;
	while (rc == ERROR_SUCCESS && *p) {
		size_t n = wcscspn(p, L"\\");
		bool last = !p[n];

		if (n == 0 || n >= MAX_PATH * 2) {
			rc = ERROR_INVALID_PARAMETER;
			break;
		}
		memcpy(part, p, n * sizeof(*part));
		part[n] = L'\0';
		if (is_link(cur, part))
			rc = KEY_IS_A_LINK;
		else
			rc = RegOpenKeyExW(cur, part, REG_OPTION_OPEN_LINK, last ? access : KEY_READ,
					   &next);
		if (cur != root)
			RegCloseKey(cur);
		cur = rc == ERROR_SUCCESS ? next : root;
		p += n + (last ? 0 : 1);
	}
	if (rc == ERROR_SUCCESS)
		*out = cur;
	return rc;
}

static bool key_exists(HKEY parent, const wchar_t *name)
{
	HKEY k;

	if (!parent || RegOpenKeyExW(parent, name, REG_OPTION_OPEN_LINK, KEY_READ, &k) != ERROR_SUCCESS)
		return false;
	RegCloseKey(k);
	return true;
}

static bool path_exists(const wchar_t *p)
{
	return GetFileAttributesW(p) != INVALID_FILE_ATTRIBUTES;
}

/* Files and bytes below a folder, not following reparse points. */
static void folder_stats(const wchar_t *dir, int depth, unsigned long long *files,
			 unsigned long long *bytes)
{
	WIN32_FIND_DATAW fd;
	wchar_t pat[MAX_PATH * 4];
	HANDLE h;

	if (depth > 64 || swprintf(pat, MAX_PATH * 4, L"%ls\\*", dir) < 0)
		return;
	h = FindFirstFileExW(pat, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
	if (h == INVALID_HANDLE_VALUE)
		return;
	do {
		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
			continue;
		if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
		    !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
			wchar_t sub[MAX_PATH * 4];

			if (swprintf(sub, MAX_PATH * 4, L"%ls\\%ls", dir, fd.cFileName) > 0)
				folder_stats(sub, depth + 1, files, bytes);
		} else {
			(*files)++;
			*bytes += ((unsigned long long)fd.nFileSizeHigh << 32) | fd.nFileSizeLow;
		}
	} while (FindNextFileW(h, &fd));
	FindClose(h);
}

static LONG delete_tree(HKEY parent, const wchar_t *name)
{
	LONG rc = RegDeleteTreeW(parent, name);

	if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND)
		rc = RegDeleteKeyW(parent, name);
	return rc == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : rc;
}

/* parent\name becomes parent\newname: a key (copy, then delete; any old
 * newname is replaced) or a folder (rename; parent NULL). */
static ferry_err rename_obj(HKEY parent, const wchar_t *dir, const wchar_t *name,
			    const wchar_t *newname)
{
	if (parent) {
		HKEY s = NULL, d = NULL;
		LONG rc;

		if (is_link(parent, name) || is_link(parent, newname))
			return ferry_error_set(FERRY_EPERM, "%ls or %ls is a registry link: never "
					       "followed, copied or deleted through", name, newname);
		rc = delete_tree(parent, newname);
		if (rc == ERROR_SUCCESS)
			rc = RegOpenKeyExW(parent, name, REG_OPTION_OPEN_LINK, KEY_READ, &s);
		if (rc == ERROR_SUCCESS)
			rc = RegCreateKeyExW(parent, newname, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &d, NULL);
		if (rc == ERROR_SUCCESS)
			rc = RegCopyTreeW(s, NULL, d);
		if (s)
			RegCloseKey(s);
		if (d)
			RegCloseKey(d);
		if (rc == ERROR_SUCCESS)
			rc = delete_tree(parent, name);
		return rc == ERROR_SUCCESS ? FERRY_OK : win_error(FERRY_ESYSTEM, "RegCopyTreeW (key move)", (unsigned long)rc);
	} else {
		wchar_t a[MAX_PATH * 4], b[MAX_PATH * 4];

		swprintf(a, MAX_PATH * 4, L"%ls\\%ls", dir, name);
		swprintf(b, MAX_PATH * 4, L"%ls\\%ls", dir, newname);
		return MoveFileExW(a, b, 0) ? FERRY_OK : win_last_error("MoveFileExW");
	}
}

/*
 * One move: parent (a key, or NULL with dir = the folder holding it), name,
 * and the record id. Decided by app_reset_decide.
 */
static ferry_err move_one(const struct env *v, HKEY parent, const wchar_t *dir, const wchar_t *name,
			  const wchar_t *id, const wchar_t *what)
{
	wchar_t bak[300], full[MAX_PATH * 4];
	unsigned long long a = 0, b = 0, c = 0;
	bool src, has_bak;
	int rec;
	enum app_step step;
	ferry_err e;

	swprintf(bak, 300, L"%ls%hs", name, APP_BAK_SUFFIX);
	swprintf(full, MAX_PATH * 4, L"%ls\\%ls", dir ? dir : L"", name);
	src = parent ? key_exists(parent, name) : path_exists(full);
	wcscat(full, L"" APP_BAK_SUFFIX);
	has_bak = parent ? key_exists(parent, bak) : path_exists(full);
	rec = recorded(v, id);
	step = app_reset_decide(src, has_bak, rec == 2, rec == 1);
	if (step == APP_STEP_MOVE) {
		if ((e = record(v, id, L"moving", what)) != FERRY_OK)
			return e;
		if (parent) {
			HKEY k;

			if (!is_link(parent, name) &&
			    RegOpenKeyExW(parent, name, REG_OPTION_OPEN_LINK, KEY_READ, &k) == ERROR_SUCCESS) {
				win_key_stats(k, &a, &b, &c);
				RegCloseKey(k);
			}
		} else {
			full[wcslen(full) - strlen(APP_BAK_SUFFIX)] = L'\0';
			folder_stats(full, 0, &a, &c);
		}
		e = rename_obj(parent, dir, name, bak);
		if (e != FERRY_OK)
			return ferry_error_wrap(e, "reset %ls: ", what);
		if (parent)
			win_plog("reset %ls: moved to %ls (%llu subkeys, %llu values, %llu bytes)", what, bak, a, b, c);
		else
			win_plog("reset %ls: moved to %ls (%llu files, %llu bytes)", what, bak, a, c);
	} else {
		win_plog("reset %ls: %s", what, app_step_name(step));
	}
	if (step == APP_STEP_MOVE || step == APP_STEP_RECORD)
		return record(v, id, L"done", what);
	return FERRY_OK;
}

/* Split "a\b\c" into parent "a\b" and name "c" (wide). */
static ferry_err split(const char *path, wchar_t *parent, wchar_t *name, size_t cap)
{
	wchar_t *w = NULL, *slash;
	ferry_err e = win_wide(&w, path);

	if (e != FERRY_OK)
		return e;
	slash = wcsrchr(w, L'\\');
	*slash = L'\0'; /* every item path has a parent (app_reset.c's table) */
	swprintf(parent, cap, L"%ls", w);
	swprintf(name, cap, L"%ls", slash + 1);
	ferry_free(w);
	return FERRY_OK;
}

static bool has_suffix(const wchar_t *s, const char *suf)
{
	size_t n = wcslen(s), m = strlen(suf);

	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++)
		if (s[n - m + i] != (wchar_t)suf[i])
			return false;
	return true;
}

/* Base names (suffix stripped) of parent's subkeys starting with prefix. */
static size_t prefix_names(HKEY parent, const char *prefix, wchar_t names[][256], size_t cap)
{
	wchar_t n[256], *wp = NULL;
	size_t count = 0;

	if (win_wide(&wp, prefix) != FERRY_OK)
		return 0;
	for (DWORD i = 0; count < cap; i++) {
		DWORD len = 256;
		bool dup = false;

		if (RegEnumKeyExW(parent, i, n, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			break;
		if (wcsncmp(n, wp, wcslen(wp)) || has_suffix(n, ".ferry-new"))
			continue;
		if (has_suffix(n, APP_BAK_SUFFIX))
			n[wcslen(n) - strlen(APP_BAK_SUFFIX)] = L'\0';
		for (size_t j = 0; j < count; j++)
			dup |= !wcscmp(names[j], n);
		if (!dup)
			wcscpy(names[count++], n);
	}
	ferry_free(wp);
	return count;
}

/* OneDrive.exe, per machine or per user; false when OneDrive is not installed. */
static bool onedrive_exe(const struct env *v, wchar_t *out, size_t cap)
{
	static const wchar_t *const machine[] = {
		L"%ProgramFiles%\\Microsoft OneDrive\\OneDrive.exe",
		L"%ProgramFiles(x86)%\\Microsoft OneDrive\\OneDrive.exe",
	};

	for (size_t i = 0; i < 2; i++)
		if (ExpandEnvironmentStringsW(machine[i], out, (DWORD)cap) && !wcschr(out, L'%') &&
		    path_exists(out))
			return true;
	if (v->profile) {
		swprintf(out, cap, L"%ls\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe", v->profile);
		return path_exists(out);
	}
	return false;
}

static ferry_err runonce(const struct env *v, const struct app_item *it, const wchar_t *id,
			 bool undo)
{
	wchar_t key[300], name[100], exe[MAX_PATH * 2], cmd[MAX_PATH * 2 + 16];
	LONG rc;

	swprintf(key, 300, L"%hs", it->path);
	swprintf(name, 100, L"%hs", it->prefix);
	if (undo) {
		rc = RegDeleteKeyValueW(v->hive.root, key, name);
		if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
			return win_error(FERRY_ESYSTEM, "RegDeleteKeyValueW(RunOnce)", (unsigned long)rc);
		unrecord(v, id);
		return FERRY_OK;
	}
	if (recorded(v, id)) {
		win_plog("reset OneDrive: /reset already registered");
		return FERRY_OK;
	}
	if (!onedrive_exe(v, exe, MAX_PATH * 2)) {
		win_plog("reset OneDrive: OneDrive.exe not installed; no /reset to register");
		return FERRY_OK;
	}
	swprintf(cmd, MAX_PATH * 2 + 16, L"\"%ls\" /reset", exe);
	rc = RegSetKeyValueW(v->hive.root, key, name, REG_SZ, cmd,
			     (DWORD)((wcslen(cmd) + 1) * sizeof(wchar_t)));
	if (rc != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegSetKeyValueW(RunOnce)", (unsigned long)rc);
	win_plog("reset OneDrive: RunOnce %ls = %ls", name, cmd);
	return record(v, id, L"done", cmd);
}

/* Undo one move (app_rollback_decide). */
static ferry_err undo_one(const struct env *v, HKEY parent, const wchar_t *dir, const wchar_t *name,
			  const wchar_t *id)
{
	wchar_t bak[300], fresh[300], full[MAX_PATH * 4];
	bool src, has_bak;
	ferry_err e = FERRY_OK;

	swprintf(bak, 300, L"%ls%hs", name, APP_BAK_SUFFIX);
	swprintf(fresh, 300, L"%ls.ferry-new", name);
	swprintf(full, MAX_PATH * 4, L"%ls\\%ls", dir ? dir : L"", name);
	src = parent ? key_exists(parent, name) : path_exists(full);
	swprintf(full, MAX_PATH * 4, L"%ls\\%ls", dir ? dir : L"", bak);
	has_bak = parent ? key_exists(parent, bak) : path_exists(full);
	switch (app_rollback_decide(src, has_bak)) {
	case APP_UNDO_NOTHING:
		break;
	case APP_UNDO_SWAP:
		e = rename_obj(parent, dir, name, fresh);
		if (e != FERRY_OK)
			break;
		win_plog("rollback: %ls was re-created; kept as %ls", name, fresh);
		/* fall through */
	case APP_UNDO_RESTORE:
		e = rename_obj(parent, dir, bak, name);
		if (e == FERRY_OK)
			win_plog("rollback: %ls restored from %ls", name, bak);
		break;
	}
	if (e == FERRY_OK)
		unrecord(v, id);
	return e;
}

/* One item, reset (undo false) or rolled back. */
static ferry_err do_item(const struct env *v, const struct app_item *it, bool undo)
{
	wchar_t parent[MAX_PATH * 2], name[256], id[300], dir[MAX_PATH * 4], what[MAX_PATH * 2];
	HKEY pk = NULL;
	LONG lrc;
	ferry_err e;

	swprintf(id, 300, L"%hs", it->id);
	if (it->kind == APP_ITEM_RUNONCE)
		return v->hive.root ? runonce(v, it, id, undo) : FERRY_OK;
	if ((e = split(it->path, parent, name, MAX_PATH * 2)) != FERRY_OK)
		return e;
	if (it->kind == APP_ITEM_FOLDER) {
		if (!v->profile)
			return FERRY_OK;
		swprintf(dir, MAX_PATH * 4, L"%ls\\%ls", v->profile, parent);
		swprintf(what, MAX_PATH * 2, L"%%USERPROFILE%%\\%hs", it->path);
		return undo ? undo_one(v, NULL, dir, name, id) : move_one(v, NULL, dir, name, id, what);
	}
	if (!v->hive.root)
		return FERRY_OK;
	if (it->kind == APP_ITEM_KEY_PREFIX)
		swprintf(parent, MAX_PATH * 2, L"%hs", it->path);
	if ((lrc = open_nolink(v->hive.root, parent, KEY_ALL_ACCESS, &pk)) != ERROR_SUCCESS) {
		if (lrc == KEY_IS_A_LINK) {
			win_plog("reset %s: HKU\\%ls\\%ls passes through a registry link: refused, "
				 "not followed", it->id, v->hive.name, parent);
			return ferry_error_set(FERRY_EPERM, "reset %s: a registry link in the path",
					       it->id);
		}
		if (!undo)
			win_plog("reset %s: HKU\\%ls\\%ls absent; nothing to do", it->id, v->hive.name, parent);
		return FERRY_OK;
	}
	if (it->kind == APP_ITEM_KEY) {
		swprintf(what, MAX_PATH * 2, L"HKU\\%ls\\%hs", v->hive.name, it->path);
		e = undo ? undo_one(v, pk, NULL, name, id) : move_one(v, pk, NULL, name, id, what);
	} else {
		static wchar_t names[64][256];
		size_t n = prefix_names(pk, it->prefix, names, 64);

		if (!n && !undo)
			win_plog("reset %s: no %s* key; nothing to do", it->id, it->prefix);
		for (size_t i = 0; i < n && e == FERRY_OK; i++) {
			swprintf(id, 300, L"%hs:%ls", it->id, names[i]);
			swprintf(what, MAX_PATH * 2, L"HKU\\%ls\\%hs\\%ls", v->hive.name, it->path, names[i]);
			e = undo ? undo_one(v, pk, NULL, names[i], id)
				 : move_one(v, pk, NULL, names[i], id, what);
		}
	}
	RegCloseKey(pk);
	return e;
}

static ferry_err env_open(struct env *v, const char *sid, bool need_hive)
{
	wchar_t *w = NULL;
	ferry_err e;

	memset(v, 0, sizeof(*v));
	if ((e = win_check_sid(sid)) != FERRY_OK || (e = win_wide(&w, sid)) != FERRY_OK)
		return e;
	swprintf(v->rec, 300, L"%ls\\%ls\\Apps", WIN_BACKUP_ROOT, w);
	ferry_free(w);
	e = win_profile_dir(&v->profile, sid);
	if (e == FERRY_ENOTFOUND) {
		win_plog("apps: no profile folder for %s: %s", sid, ferry_error_detail());
		return FERRY_OK;
	}
	if (e == FERRY_OK && need_hive) {
		e = win_hive_open(&v->hive, sid, false);
		if (e == FERRY_ENOTFOUND) {
			win_plog("apps: no NTUSER.DAT for %s; registry items have nothing to do", sid);
			e = FERRY_OK;
		}
	}
	return e;
}

static ferry_err env_close(struct env *v)
{
	ferry_err e = win_hive_close(&v->hive);

	ferry_free(v->profile);
	v->profile = NULL;
	return e;
}

ferry_err win_apps_reset(const struct win_profile_ctx *pc, unsigned apps)
{
	size_t n;
	const struct app_item *items = app_reset_items(&n);
	bool need_hive = false;
	struct env v;
	ferry_err e, ce;

	if (!pc)
		return ferry_error_set(FERRY_EINVAL, "win_apps_reset: missing profile context");
	if (apps & ~(unsigned)(RB_APP_OFFICE | RB_APP_TEAMS | RB_APP_ONEDRIVE))
		return ferry_error_set(FERRY_EINVAL, "win_apps_reset: unknown app bits 0x%x", apps);
	for (size_t i = 0; i < n; i++)
		need_hive |= (items[i].app & apps) && items[i].kind != APP_ITEM_FOLDER;
	if (!apps)
		return FERRY_OK;
	e = env_open(&v, pc->source_sid, need_hive);
	for (size_t i = 0; i < n && e == FERRY_OK; i++)
		if (items[i].app & apps)
			e = do_item(&v, &items[i], false);
	ce = env_close(&v); /* always: unloads what env_open loaded */
	return e != FERRY_OK ? e : ce;
}

ferry_err win_apps_rollback(const char *source_sid)
{
	size_t n;
	const struct app_item *items = app_reset_items(&n);
	struct env v;
	ferry_err e, ce;

	e = env_open(&v, source_sid, true);
	/* In reverse, so a folder inside another comes back first. */
	for (size_t i = n; i-- > 0 && e == FERRY_OK;)
		e = do_item(&v, &items[i], true);
	ce = env_close(&v);
	if (e == FERRY_OK)
		RegDeleteKeyW(HKEY_LOCAL_MACHINE, v.rec); /* only empty records go */
	return e != FERRY_OK ? e : ce;
}
