/*
 * ReACL of the user's registry hives: NTUSER.DAT and UsrClass.dat, loaded
 * under HKU\Ferry_<sid> and HKU\Ferry_<sid>_Classes (profops_util.c), walked
 * by core/sec/walk.h through a registry seam, and always unloaded.
 *
 * - Keys are opened with REG_OPTION_OPEN_LINK, so a symbolic link key is
 *   itself and is never followed; a link is recognised by its
 *   SymbolicLinkValue of type REG_LINK and reported as a reparse point.
 * - A key whose DACL shuts out SYSTEM is opened through
 *   RegCreateKeyExW(REG_OPTION_BACKUP_RESTORE), which SeBackup/SeRestore
 *   allow; a key that vanished in between is deleted again and reported.
 * - RegGetKeySecurity / RegSetKeySecurity carry owner, group and DACL (and
 *   the SACL when SeSecurityPrivilege is enabled). Registry SDs do not
 *   re-propagate on write either.
 * - No checkpoint: a hive is small next to a file tree, and translation is
 *   idempotent, so a restarted walk simply starts over.
 */
#include "win/profops_int.h"

#include <stdio.h>
#include <string.h>

#include "sec/walk.h"
#include "util/mem.h"
#include "win/win_err.h"

struct regs {
	bool sacl;
};

struct robj {
	HKEY k;
	SECURITY_INFORMATION si;
};

static ferry_err open_key(HKEY *out, const char *path, REGSAM sam)
{
	wchar_t *w = NULL;
	DWORD disp = 0;
	LONG rc;
	ferry_err e = win_wide(&w, path);

	if (e != FERRY_OK)
		return e;
	rc = RegOpenKeyExW(HKEY_USERS, w, REG_OPTION_OPEN_LINK, sam, out);
	if (rc == ERROR_ACCESS_DENIED) {
		rc = RegCreateKeyExW(HKEY_USERS, w, 0, NULL,
				     REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK, sam, NULL, out,
				     &disp);
		if (rc == ERROR_SUCCESS && disp == REG_CREATED_NEW_KEY) {
			RegCloseKey(*out);
			RegDeleteKeyW(HKEY_USERS, w);
			rc = ERROR_FILE_NOT_FOUND;
		}
	}
	ferry_free(w);
	if (rc != ERROR_SUCCESS)
		return win_error(rc == ERROR_FILE_NOT_FOUND ? FERRY_ENOTFOUND
				     : rc == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM,
				     "RegOpenKeyExW", (unsigned long)rc);
	return FERRY_OK;
}

static bool is_link(HKEY parent, const wchar_t *name)
{
	HKEY k;
	DWORD type = 0;
	bool link = false;

	if (RegOpenKeyExW(parent, name, REG_OPTION_OPEN_LINK, KEY_QUERY_VALUE, &k) != ERROR_SUCCESS)
		return false;
	if (RegQueryValueExW(k, L"SymbolicLinkValue", NULL, &type, NULL, NULL) == ERROR_SUCCESS)
		link = type == REG_LINK;
	RegCloseKey(k);
	return link;
}

static ferry_err r_list(void *ctx, const char *dir, walk_entry_fn each, void *arg)
{
	HKEY k = NULL;
	wchar_t name[256];
	ferry_err e;

	(void)ctx;
	if ((e = open_key(&k, dir, KEY_ENUMERATE_SUB_KEYS | KEY_QUERY_VALUE)) != FERRY_OK)
		return e;
	for (DWORD i = 0;; i++) {
		DWORD n = 256;
		char *u = NULL;
		LONG rc = RegEnumKeyExW(k, i, name, &n, NULL, NULL, NULL, NULL);

		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		if (rc != ERROR_SUCCESS) {
			e = win_error(FERRY_ESYSTEM, "RegEnumKeyExW", (unsigned long)rc);
			break;
		}
		e = win_utf8(&u, name);
		if (e == FERRY_OK)
			e = each(arg, u, WALK_ATTR_DIR | (is_link(k, name) ? WALK_ATTR_REPARSE : 0));
		ferry_free(u);
		if (e != FERRY_OK)
			break;
	}
	RegCloseKey(k);
	return e;
}

static ferry_err r_attrs(void *ctx, const char *path, unsigned *out)
{
	HKEY k = NULL;
	ferry_err e = open_key(&k, path, KEY_QUERY_VALUE);

	(void)ctx;
	if (e == FERRY_OK) {
		RegCloseKey(k);
		*out = WALK_ATTR_DIR;
	}
	return e;
}

static ferry_err r_open(void *ctx, const char *path, unsigned at, void **obj)
{
	struct regs *rs = ctx;
	struct robj *o = ferry_calloc(1, sizeof(*o));
	REGSAM sam = READ_CONTROL | WRITE_DAC | WRITE_OWNER;
	ferry_err e;

	(void)at;
	if (!o)
		return ferry_error_set(FERRY_ENOMEM, "key object");
	o->si = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
	if (rs->sacl) {
		sam |= ACCESS_SYSTEM_SECURITY;
		o->si |= SACL_SECURITY_INFORMATION;
	}
	e = open_key(&o->k, path, sam);
	if (e != FERRY_OK) {
		ferry_free(o);
		return e;
	}
	*obj = o;
	return FERRY_OK;
}

static ferry_err r_read(void *ctx, void *obj, uint8_t *buf, size_t cap, size_t *len)
{
	struct robj *o = obj;
	DWORD n = (DWORD)cap;
	LONG rc = RegGetKeySecurity(o->k, o->si, (PSECURITY_DESCRIPTOR)buf, &n);

	(void)ctx;
	if (rc != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegGetKeySecurity", (unsigned long)rc);
	*len = GetSecurityDescriptorLength((PSECURITY_DESCRIPTOR)buf);
	return FERRY_OK;
}

static ferry_err r_write(void *ctx, void *obj, const uint8_t *sd, size_t len)
{
	struct robj *o = obj;
	LONG rc = RegSetKeySecurity(o->k, o->si, (PSECURITY_DESCRIPTOR)sd);

	(void)ctx;
	(void)len;
	if (rc != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegSetKeySecurity", (unsigned long)rc);
	return FERRY_OK;
}

static void r_close(void *ctx, void *obj)
{
	struct robj *o = obj;

	(void)ctx;
	RegCloseKey(o->k);
	ferry_free(o);
}

static void on_failure(void *arg, const char *path, ferry_err code, const char *detail)
{
	(void)arg;
	win_plog("reacl hive: HKU\\%s: %s (%s)", path, ferry_strerror(code), detail);
}

/* Walk one hive; a hive file that does not exist (no UsrClass.dat yet) is nothing to do. */
static ferry_err walk_hive(const struct win_profile_ctx *pc, enum sd_mode mode, bool classes,
			   bool sacl, struct walk_counts *total)
{
	struct regs rs = { .sacl = sacl };
	struct walk_fs seam = { .ctx = &rs, .sep = '\\', .list = r_list, .attrs = r_attrs,
				.open = r_open, .read_sd = r_read, .write_sd = r_write, .close = r_close };
	struct walk_opts o = { .fs = &seam, .table = pc->table, .mode = mode, .failure = on_failure };
	struct walk_counts c = { 0 };
	struct win_hive h;
	char *root = NULL;
	const char *roots[1];
	ferry_err e, ce;

	e = win_hive_open(&h, pc->source_sid, classes);
	if (e == FERRY_ENOTFOUND) {
		win_plog("reacl hive: %s: %s; nothing to do", classes ? "UsrClass.dat" : "NTUSER.DAT",
			 ferry_error_detail());
		return FERRY_OK;
	}
	if (e != FERRY_OK)
		return e;
	e = win_utf8(&root, h.name);
	if (e == FERRY_OK) {
		roots[0] = root;
		e = walk_run(&c, &o, roots, 1);
		win_plog("reacl hive HKU\\%s: %llu keys seen, %llu changed, %llu failed, %llu links not followed",
			 root, (unsigned long long)c.seen, (unsigned long long)c.changed,
			 (unsigned long long)c.failed, (unsigned long long)c.skipped_reparse);
	}
	ferry_free(root);
	ce = win_hive_close(&h); /* always, even after a failed walk */
	total->seen += c.seen;
	total->changed += c.changed;
	total->failed += c.failed;
	total->skipped_reparse += c.skipped_reparse;
	return e != FERRY_OK ? e : ce;
}

ferry_err win_reacl_hives(const struct win_profile_ctx *pc, enum rb_perm_mode mode,
			  struct win_reacl_counts *counts)
{
	static const wchar_t *const privs[] = { SE_BACKUP_NAME, SE_RESTORE_NAME, SE_SECURITY_NAME };
	struct walk_counts c = { 0 };
	enum sd_mode m;
	bool all = false;
	ferry_err e;

	if (!pc || !pc->table || win_check_sid(pc->source_sid))
		return ferry_error_set(FERRY_EINVAL, "win_reacl_hives: missing profile context");
	if ((e = win_reacl_mode(&m, mode)) != FERRY_OK)
		return e;
	e = win_enable_privileges(privs, 3, &all);
	if (e == FERRY_OK)
		e = walk_hive(pc, m, false, all, &c);
	if (e == FERRY_OK)
		e = walk_hive(pc, m, true, all, &c);
	if (counts)
		*counts = (struct win_reacl_counts){ c.seen, c.changed, c.failed, c.skipped_reparse };
	return e;
}
