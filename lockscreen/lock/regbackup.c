/* Save-once / restore-exactly of registry values; the layout and its
 * invariants are drawn in regbackup.h. */
#include "lock/regbackup.h"

#include <stdint.h>

#include "util/mem.h"

#define REG_FLAGS KEY_WOW64_64KEY
#define MARK_KEY_EXISTED 1u
#define MARK_KEY_ABSENT 2u

static ferry_err reg_error(const char *api, const wchar_t *what, LSTATUS st)
{
	ferry_err code = st == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM;

	return ferry_error_set(code, "%s(%ls) failed: Win32 error %ld", api, what, (long)st);
}

/* Read value `name` of `k` into a new buffer, exactly its stored bytes.
 * ERROR_FILE_NOT_FOUND when it does not exist; *data is NULL for an empty
 * value. Retried because another writer may grow it between the calls. */
static LSTATUS value_read(HKEY k, const wchar_t *name, DWORD *type, uint8_t **data, DWORD *len)
{
	LSTATUS st = ERROR_MORE_DATA;

	*data = NULL;
	*len = 0;
	for (int tries = 0; tries < 4 && st == ERROR_MORE_DATA; tries++) {
		DWORD cap = 0;

		st = RegQueryValueExW(k, name, NULL, type, NULL, &cap);
		if (st != ERROR_SUCCESS || cap == 0)
			return st;
		*data = ferry_malloc(cap);
		if (!*data)
			return ERROR_OUTOFMEMORY;
		*len = cap;
		st = RegQueryValueExW(k, name, NULL, type, *data, len);
		if (st != ERROR_SUCCESS) {
			ferry_free(*data);
			*data = NULL;
			*len = 0;
		}
	}
	return st;
}

/* Copy every listed value of `from` (NULL = the key is absent) into `to`. */
static ferry_err copy_values(HKEY to, HKEY from, const wchar_t *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		uint8_t *data = NULL;
		DWORD type = 0, len = 0;
		LSTATUS st;

		if (!from)
			continue;
		st = value_read(from, names[i], &type, &data, &len);
		if (st == ERROR_FILE_NOT_FOUND)
			continue;
		if (st == ERROR_SUCCESS)
			st = RegSetValueExW(to, names[i], 0, type, data, len);
		ferry_free(data);
		if (st != ERROR_SUCCESS)
			return reg_error("copy value", names[i], st);
	}
	return FERRY_OK;
}

static LSTATUS open_key(const wchar_t *path, REGSAM access, HKEY *out)
{
	return RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, access | REG_FLAGS, out);
}

static LSTATUS create_key(const wchar_t *path, HKEY *out)
{
	return RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, REG_OPTION_NON_VOLATILE,
			       KEY_READ | KEY_WRITE | REG_FLAGS, NULL, out, NULL);
}

static DWORD marker_get(const struct lock_reg_set *s)
{
	DWORD mark = 0, size = sizeof mark, type = 0;
	HKEY root = NULL;

	if (open_key(LOCK_BACKUP_ROOT, KEY_READ, &root) != ERROR_SUCCESS)
		return 0;
	if (RegQueryValueExW(root, s->backup, NULL, &type, (BYTE *)&mark, &size) != ERROR_SUCCESS ||
	    type != REG_DWORD || size != sizeof mark)
		mark = 0;
	RegCloseKey(root);
	return mark == MARK_KEY_EXISTED || mark == MARK_KEY_ABSENT ? mark : 0;
}

int lock_backup_committed(const struct lock_reg_set *s)
{
	return marker_get(s) != 0;
}

ferry_err lock_backup_save(const struct lock_reg_set *s)
{
	HKEY root = NULL, mirror = NULL, target = NULL;
	DWORD mark;
	LSTATUS st;
	ferry_err rc = FERRY_OK;

	if (marker_get(s))
		return FERRY_OK; /* invariant 2 */
	st = create_key(LOCK_BACKUP_ROOT, &root);
	if (st != ERROR_SUCCESS)
		return reg_error("RegCreateKeyExW", LOCK_BACKUP_ROOT, st);
	/* A mirror without a marker is a torn save: start it again. */
	st = RegDeleteKeyExW(root, s->backup, REG_FLAGS, 0);
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND) {
		rc = reg_error("RegDeleteKeyExW", s->backup, st);
		goto out;
	}
	st = RegCreateKeyExW(root, s->backup, 0, NULL, REG_OPTION_NON_VOLATILE,
			     KEY_READ | KEY_WRITE | REG_FLAGS, NULL, &mirror, NULL);
	if (st != ERROR_SUCCESS) {
		rc = reg_error("RegCreateKeyExW", s->backup, st);
		goto out;
	}
	st = open_key(s->key, KEY_READ, &target);
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND) {
		rc = reg_error("RegOpenKeyExW", s->key, st);
		goto out;
	}
	mark = target ? MARK_KEY_EXISTED : MARK_KEY_ABSENT;
	rc = copy_values(mirror, target, s->names);
	if (rc)
		goto out;
	st = RegFlushKey(mirror);
	if (st == ERROR_SUCCESS)
		st = RegSetValueExW(root, s->backup, 0, REG_DWORD, (const BYTE *)&mark, sizeof mark);
	if (st == ERROR_SUCCESS)
		st = RegFlushKey(root);
	if (st != ERROR_SUCCESS)
		rc = reg_error("commit backup", s->backup, st);
out:
	if (target)
		RegCloseKey(target);
	if (mirror)
		RegCloseKey(mirror);
	if (root)
		RegCloseKey(root);
	return rc;
}

/* Invariant 3: the mirror's values back, the rest deleted. */
static ferry_err put_back(HKEY target, HKEY mirror, const wchar_t *const *names)
{
	ferry_err rc = copy_values(target, mirror, names);

	for (size_t i = 0; !rc && names[i]; i++) {
		LSTATUS st = ERROR_FILE_NOT_FOUND;

		if (mirror)
			st = RegQueryValueExW(mirror, names[i], NULL, NULL, NULL, NULL);
		if (st == ERROR_SUCCESS)
			continue;
		st = RegDeleteValueW(target, names[i]);
		if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
			rc = reg_error("RegDeleteValueW", names[i], st);
	}
	return rc;
}

/* A key Ferry created (marker "absent") goes again once it is empty. */
static void drop_if_created(const struct lock_reg_set *s, HKEY target, DWORD mark)
{
	DWORD nkeys = 1, nvalues = 1;

	if (mark != MARK_KEY_ABSENT)
		return;
	if (RegQueryInfoKeyW(target, NULL, NULL, NULL, &nkeys, NULL, NULL, &nvalues, NULL, NULL,
			     NULL, NULL) == ERROR_SUCCESS &&
	    !nkeys && !nvalues)
		RegDeleteKeyExW(HKEY_LOCAL_MACHINE, s->key, REG_FLAGS, 0);
}

ferry_err lock_backup_restore(const struct lock_reg_set *s)
{
	HKEY root = NULL, mirror = NULL, target = NULL;
	DWORD mark = marker_get(s);
	LSTATUS st;
	ferry_err rc = FERRY_OK;

	if (!mark)
		return FERRY_OK; /* nothing saved: never set, or already restored */
	st = open_key(LOCK_BACKUP_ROOT, KEY_READ | KEY_WRITE, &root);
	if (st == ERROR_SUCCESS)
		st = RegOpenKeyExW(root, s->backup, 0, KEY_READ | REG_FLAGS, &mirror);
	if (st != ERROR_SUCCESS) {
		rc = reg_error("open backup", s->backup, st);
		goto out;
	}
	st = create_key(s->key, &target);
	if (st != ERROR_SUCCESS) {
		rc = reg_error("RegCreateKeyExW", s->key, st);
		goto out;
	}
	rc = put_back(target, mirror, s->names);
	if (rc)
		goto out;
	st = RegFlushKey(target);
	drop_if_created(s, target, mark);
	if (st == ERROR_SUCCESS)
		st = RegDeleteValueW(root, s->backup);
	if (st == ERROR_SUCCESS) {
		RegCloseKey(mirror);
		mirror = NULL;
		st = RegDeleteKeyExW(root, s->backup, REG_FLAGS, 0);
	}
	if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
		rc = reg_error("forget backup", s->backup, st);
out:
	if (target)
		RegCloseKey(target);
	if (mirror)
		RegCloseKey(mirror);
	if (root)
		RegCloseKey(root);
	return rc;
}
