/*
 * ReACL of files and folders: the walker of core/sec/walk.h behind a Win32
 * seam.
 *
 * - Listing: FindFirstFileExW(FindExInfoBasic, FIND_FIRST_EX_LARGE_FETCH);
 *   the attributes come with the listing, so a child costs no extra call.
 * - Objects are opened with FILE_FLAG_BACKUP_SEMANTICS (directories, and
 *   access granted by SeBackup/SeRestore rather than the object's DACL) and
 *   FILE_FLAG_OPEN_REPARSE_POINT (a link itself, never its target).
 * - SDs are read with GetKernelObjectSecurity and written with
 *   SetKernelObjectSecurity, which stores exactly the given SD and does not
 *   re-propagate inheritance to children (SetNamedSecurityInfo would).
 *   Owner, group and DACL always; the SACL too when SeSecurityPrivilege is
 *   enabled.
 * - Paths are handed to Win32 with the \\?\ prefix, so they may exceed
 *   MAX_PATH; the walker and the log see them without it.
 * - The checkpoint is the platform's durable storage file
 *   "reacl-files-<source SID>" (walk.c draws the record).
 */
#include "win/profops_int.h"

#include <stdio.h>
#include <string.h>

#include "sec/walk.h"
#include "util/mem.h"
#include "win/win_err.h"

struct files {
	bool sacl; /* SeSecurityPrivilege enabled */
};

struct fobj {
	HANDLE h;
	SECURITY_INFORMATION si;
};

/* "C:\x" -> "\\?\C:\x", "\\srv\share" -> "\\?\UNC\srv\share"; others as given. */
static ferry_err long_path(wchar_t **out, const char *path, const wchar_t *suffix)
{
	wchar_t *w = NULL, *r;
	size_t n, cap;
	ferry_err e = win_wide(&w, path);

	if (e != FERRY_OK)
		return e;
	n = wcslen(w);
	cap = n + 16 + (suffix ? wcslen(suffix) : 0);
	r = ferry_calloc(cap, sizeof(wchar_t));
	if (!r) {
		ferry_free(w);
		return ferry_error_set(FERRY_ENOMEM, "path");
	}
	for (wchar_t *p = w; *p; p++)
		if (*p == L'/')
			*p = L'\\';
	if (n >= 3 && w[1] == L':' && w[2] == L'\\')
		swprintf(r, cap, L"\\\\?\\%ls", w);
	else if (n > 2 && w[0] == L'\\' && w[1] == L'\\' && w[2] != L'?' && w[2] != L'.')
		swprintf(r, cap, L"\\\\?\\UNC\\%ls", w + 2);
	else
		swprintf(r, cap, L"%ls", w);
	if (suffix)
		wcscat(r, suffix);
	ferry_free(w);
	*out = r;
	return FERRY_OK;
}

static unsigned attrs_of(DWORD a)
{
	return ((a & FILE_ATTRIBUTE_DIRECTORY) ? WALK_ATTR_DIR : 0) |
	       ((a & FILE_ATTRIBUTE_REPARSE_POINT) ? WALK_ATTR_REPARSE : 0);
}

static ferry_err f_list(void *ctx, const char *dir, walk_entry_fn each, void *arg)
{
	WIN32_FIND_DATAW fd;
	HANDLE fh = INVALID_HANDLE_VALUE;
	wchar_t *pat = NULL;
	ferry_err e;

	(void)ctx;
	e = long_path(&pat, dir, dir[0] && dir[strlen(dir) - 1] == '\\' ? L"*" : L"\\*");
	if (e != FERRY_OK)
		return e;
	fh = FindFirstFileExW(pat, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL,
			      FIND_FIRST_EX_LARGE_FETCH);
	ferry_free(pat);
	if (fh == INVALID_HANDLE_VALUE)
		return GetLastError() == ERROR_FILE_NOT_FOUND ? FERRY_OK /* empty */
							       : win_last_error("FindFirstFileExW");
	do {
		char *name = NULL;

		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
			continue;
		e = win_utf8(&name, fd.cFileName);
		if (e == FERRY_OK)
			e = each(arg, name, attrs_of(fd.dwFileAttributes));
		ferry_free(name);
		if (e != FERRY_OK)
			break;
	} while (FindNextFileW(fh, &fd));
	if (e == FERRY_OK && GetLastError() != ERROR_NO_MORE_FILES)
		e = win_last_error("FindNextFileW");
	FindClose(fh);
	return e;
}

static ferry_err f_attrs(void *ctx, const char *path, unsigned *out)
{
	wchar_t *w = NULL;
	DWORD a;
	ferry_err e = long_path(&w, path, NULL);

	(void)ctx;
	if (e != FERRY_OK)
		return e;
	a = GetFileAttributesW(w);
	ferry_free(w);
	if (a == INVALID_FILE_ATTRIBUTES)
		return win_last_error("GetFileAttributesW");
	*out = attrs_of(a);
	return FERRY_OK;
}

static ferry_err f_open(void *ctx, const char *path, unsigned at, void **obj)
{
	struct files *fs = ctx;
	struct fobj *o;
	wchar_t *w = NULL;
	DWORD access = READ_CONTROL | WRITE_DAC | WRITE_OWNER;
	ferry_err e;

	(void)at;
	if ((e = long_path(&w, path, NULL)) != FERRY_OK)
		return e;
	o = ferry_calloc(1, sizeof(*o));
	if (!o) {
		ferry_free(w);
		return ferry_error_set(FERRY_ENOMEM, "file object");
	}
	o->si = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
	if (fs->sacl) {
		access |= ACCESS_SYSTEM_SECURITY;
		o->si |= SACL_SECURITY_INFORMATION;
	}
	o->h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
			   NULL);
	ferry_free(w);
	if (o->h == INVALID_HANDLE_VALUE) {
		e = win_last_error("CreateFileW");
		ferry_free(o);
		return e;
	}
	*obj = o;
	return FERRY_OK;
}

static ferry_err f_read(void *ctx, void *obj, uint8_t *buf, size_t cap, size_t *len)
{
	struct fobj *o = obj;
	DWORD need = 0;

	(void)ctx;
	if (!GetKernelObjectSecurity(o->h, o->si, (PSECURITY_DESCRIPTOR)buf, (DWORD)cap, &need))
		return win_last_error("GetKernelObjectSecurity");
	*len = GetSecurityDescriptorLength((PSECURITY_DESCRIPTOR)buf);
	return FERRY_OK;
}

static ferry_err f_write(void *ctx, void *obj, const uint8_t *sd, size_t len)
{
	struct fobj *o = obj;

	(void)ctx;
	(void)len;
	if (!SetKernelObjectSecurity(o->h, o->si, (PSECURITY_DESCRIPTOR)sd))
		return win_last_error("SetKernelObjectSecurity");
	return FERRY_OK;
}

static void f_close(void *ctx, void *obj)
{
	struct fobj *o = obj;

	(void)ctx;
	CloseHandle(o->h);
	ferry_free(o);
}

/* Checkpoints through the platform's durable storage. */
struct ckpt {
	const struct ferry_platform *p;
	char name[240];
};

static ferry_err ck_read(void *arg, uint8_t **data, size_t *len)
{
	struct ckpt *c = arg;

	return c->p->storage_read(c->p->ctx, c->name, data, len);
}

static ferry_err ck_write(void *arg, const uint8_t *data, size_t len)
{
	struct ckpt *c = arg;

	return c->p->storage_replace(c->p->ctx, c->name, data, len);
}

static void on_failure(void *arg, const char *path, ferry_err code, const char *detail)
{
	(void)arg;
	win_plog("reacl: %s: %s (%s)", path, ferry_strerror(code), detail);
}

static void on_progress(void *arg, const struct walk_counts *c, const char *dir)
{
	unsigned long long *next = arg;

	/* Every 10,000 objects, not every directory. */
	if (c->seen >= *next) {
		win_plog("reacl: %llu seen, %llu changed, %llu failed, at %s",
			 (unsigned long long)c->seen, (unsigned long long)c->changed,
			 (unsigned long long)c->failed, dir);
		*next = c->seen + 10000;
	}
}

ferry_err win_reacl_mode(enum sd_mode *out, enum rb_perm_mode mode)
{
	switch (mode) {
	case RB_PERM_ADD: *out = SD_MODE_ADD; return FERRY_OK;
	case RB_PERM_REPLACE: *out = SD_MODE_REPLACE; return FERRY_OK;
	case RB_PERM_REMOVE: *out = SD_MODE_REMOVE; return FERRY_OK;
	default: return ferry_error_set(FERRY_EINVAL, "reacl: permission mode %d", (int)mode);
	}
}

ferry_err win_reacl_paths(const struct win_profile_ctx *pc, enum rb_perm_mode mode,
			  const char *const *paths, size_t n, bool profile_folders,
			  struct win_reacl_counts *counts)
{
	static const wchar_t *const privs[] = { SE_BACKUP_NAME, SE_RESTORE_NAME,
						SE_TAKE_OWNERSHIP_NAME, SE_SECURITY_NAME };
	struct files fs = { 0 };
	struct walk_fs seam = { .ctx = &fs, .sep = '\\', .list = f_list, .attrs = f_attrs,
				.open = f_open, .read_sd = f_read, .write_sd = f_write, .close = f_close };
	struct ckpt ck = { .p = pc ? pc->store : NULL };
	struct walk_opts o = { .fs = &seam, .ckpt_arg = &ck, .failure = on_failure,
			       .progress = on_progress, .ckpt_min_objects = 256 };
	struct walk_counts c = { 0 };
	char **roots = NULL, salt[400];
	unsigned long long next = 10000;
	size_t nroots = 0;
	bool all;
	ferry_err e;

	if (!pc || !pc->table ||
	    (profile_folders && (win_check_sid(pc->source_sid) || win_check_sid(pc->target_sid))))
		return ferry_error_set(FERRY_EINVAL, "win_reacl_paths: missing profile context");
	if ((e = win_reacl_mode(&o.mode, mode)) != FERRY_OK)
		return e;
	o.table = pc->table;
	/* One checkpoint per profile folder, and one for the configured paths. */
	snprintf(salt, sizeof(salt), "files %s>%s", profile_folders ? pc->source_sid : "paths",
		 profile_folders ? pc->target_sid : "");
	o.salt = salt;
	snprintf(ck.name, sizeof(ck.name), "reacl-files-%s",
		 profile_folders ? pc->source_sid : "paths");
	if (ck.p && ck.p->storage_read && ck.p->storage_replace) {
		o.ckpt_read = ck_read;
		o.ckpt_write = ck_write;
	}
	roots = ferry_calloc(n + 1, sizeof(*roots));
	if (!roots)
		return ferry_error_set(FERRY_ENOMEM, "reacl roots");
	for (size_t i = 0; i < n && e == FERRY_OK; i++) {
		wchar_t *w = NULL, exp[32768];

		e = win_wide(&w, paths[i]);
		if (e == FERRY_OK && !ExpandEnvironmentStringsW(w, exp, 32768))
			e = win_last_error("ExpandEnvironmentStringsW");
		if (e == FERRY_OK)
			e = win_utf8(&roots[nroots++], exp);
		ferry_free(w);
	}
	if (e == FERRY_OK && profile_folders) {
		wchar_t *dir = NULL;

		e = win_profile_dir(&dir, pc->source_sid);
		if (e == FERRY_OK)
			e = win_utf8(&roots[nroots++], dir);
		ferry_free(dir);
	}
	if (e == FERRY_OK)
		e = win_enable_privileges(privs, 4, &all);
	if (e == FERRY_OK) {
		fs.sacl = all;
		o.cb_arg = &next;
		win_plog("reacl: %s mode over %lu path(s)%s", sd_mode_name(o.mode),
			 (unsigned long)nroots, fs.sacl ? "" : " (SACLs left alone: SeSecurityPrivilege missing)");
		e = walk_run(&c, &o, (const char *const *)roots, nroots);
		win_plog("reacl: done: %llu seen, %llu changed, %llu failed, %llu reparse points not followed",
			 (unsigned long long)c.seen, (unsigned long long)c.changed,
			 (unsigned long long)c.failed, (unsigned long long)c.skipped_reparse);
	}
	if (counts)
		*counts = (struct win_reacl_counts){ c.seen, c.changed, c.failed, c.skipped_reparse };
	for (size_t i = 0; i < nroots; i++)
		ferry_free(roots[i]);
	ferry_free(roots);
	return e;
}
