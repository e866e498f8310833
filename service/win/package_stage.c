/*
 * Staging command packages into <state>\packages\<id> (the folder
 * package_run.c runs), from the one-blob form (core/net/package_archive.c)
 * that the migration server serves and BundleDir holds.
 *
 * Order, and why:
 *   1. The signed list (the accepted bundle's /packages; a v2 catalog's or
 *      assignment's feeds the same code) names the blob's SHA-256 and
 *      size. When <packages>\<id> already is that blob (win_package_check
 *      recomputes its canonical archive digest), nothing is fetched: a
 *      changed digest in a newer list makes the folder stale and it is
 *      staged again.
 *   2. The blob comes from the server (GET /v1/agents/{id}/packages/{id})
 *      or <BundleDir>\packages\<id>, read at most up to the signed size
 *      (one byte more is a refusal, never a longer read), and must match
 *      the list (bundle_packages_match) before its bytes are parsed.
 *   3. The archive is parsed and verified (signature, id, every file's
 *      signed SHA-256, the file list exactly the manifest's) in memory.
 *   4. Its entries are written into <packages>\.staging\<16 hex>, a fresh
 *      folder (CreateDirectoryW fails on an existing name) inside
 *      .staging, a folder of the state tree (SYSTEM and Administrators
 *      only, protected; judged and swept by wu_tree_folder before use, so
 *      a planted entry is moved aside unread and kept). Files are created with
 *      CREATE_NEW and FILE_FLAG_OPEN_REPARSE_POINT, flushed, closed.
 *   5. Only a complete folder is renamed to <packages>\<id>; an existing
 *      one is first renamed into .staging and deleted after the new one
 *      is in place (put back if that rename fails). A crash leaves either
 *      the old folder, no folder (the next run stages again), or the new
 *      one; leftovers in .staging are deleted at the next staging and are
 *      never run (their names are not package ids).
 * Any failure leaves <packages>\<id> as it was and returns an error naming
 * the package and the step; nothing runs (the engine's step fails).
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "net/bundle.h"
#include "net/package_archive.h"
#include "util/mem.h"
#include "util/utf.h"
#include "win/fileio.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"
#include "winutil.h"
#include "wu_file.h"
#include "wu_tree.h"

#define STAGING L".staging"

/* Delete a folder and what it holds; a reparse point is deleted as a link,
 * never followed (itself included: a junction planted where a package folder
 * was is removed, not emptied). Runs only inside the SYSTEM-only packages
 * tree, so nobody else can swap an entry between its check and its delete. */
static ferry_err remove_tree(const wchar_t *path)
{
	WIN32_FIND_DATAW fd;
	DWORD attrs = GetFileAttributesW(path);
	wchar_t *pattern = NULL;
	HANDLE f = INVALID_HANDLE_VALUE;
	ferry_err rc = FERRY_OK;

	if (attrs == INVALID_FILE_ATTRIBUTES)
		return FERRY_OK;
	if (attrs & FILE_ATTRIBUTE_REPARSE_POINT || !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
		if (attrs & FILE_ATTRIBUTE_READONLY)
			SetFileAttributesW(path, attrs & ~FILE_ATTRIBUTE_READONLY);
		if (attrs & FILE_ATTRIBUTE_DIRECTORY ? !RemoveDirectoryW(path) : !DeleteFileW(path))
			return win_last_error("DeleteFileW");
		return FERRY_OK;
	}
	if ((pattern = win_path_join(path, L"*")))
		f = FindFirstFileW(pattern, &fd);
	ferry_free(pattern);
	while (f != INVALID_HANDLE_VALUE && rc == FERRY_OK) {
		if (wcscmp(fd.cFileName, L".") && wcscmp(fd.cFileName, L"..")) {
			wchar_t *child = win_path_join(path, fd.cFileName);

			rc = child ? remove_tree(child) : ferry_error_set(FERRY_ENOMEM, "staging cleanup");
			ferry_free(child);
		}
		if (!FindNextFileW(f, &fd))
			break;
	}
	if (f != INVALID_HANDLE_VALUE)
		FindClose(f);
	if (rc == FERRY_OK && !RemoveDirectoryW(path) && GetLastError() != ERROR_FILE_NOT_FOUND)
		rc = win_last_error("RemoveDirectoryW");
	return rc;
}

/* <packages>\.staging, judged and swept, emptied of earlier leftovers. */
static ferry_err staging_root(wchar_t **out, const wchar_t *packages_dir)
{
	WIN32_FIND_DATAW fd;
	wchar_t *root = win_path_join(packages_dir, STAGING), *pattern = NULL;
	HANDLE f = INVALID_HANDLE_VALUE;
	ferry_err rc = root ? wu_tree_folder(root, "state\\packages\\.staging") :
			      ferry_error_set(FERRY_ENOMEM, "staging folder");

	if (rc == FERRY_OK && (pattern = win_path_join(root, L"*")))
		f = FindFirstFileW(pattern, &fd);
	while (f != INVALID_HANDLE_VALUE) {
		/* What the sweep moved aside (<name>.untrusted-<time>) stays for an
		 * admin to look at; it is never read nor run. */
		if (wcscmp(fd.cFileName, L".") && wcscmp(fd.cFileName, L"..") &&
		    !wcsstr(fd.cFileName, L".untrusted-")) {
			wchar_t *child = win_path_join(root, fd.cFileName);

			/* Best effort: a leftover that will not go only costs space. */
			if (child)
				(void)remove_tree(child);
			ferry_free(child);
		}
		if (!FindNextFileW(f, &fd))
			break;
	}
	if (f != INVALID_HANDLE_VALUE)
		FindClose(f);
	ferry_free(pattern);
	if (rc)
		ferry_free(root);
	else
		*out = root;
	return rc;
}

/* One entry as a new file under dir: its folders first, then CREATE_NEW. */
static ferry_err write_entry(const wchar_t *dir, const struct package_archive_entry *e)
{
	wchar_t *rel = wu_wide(e->name), *path = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	uint64_t done = 0;
	ferry_err rc = rel ? FERRY_OK : ferry_error_set(FERRY_EINVAL, "a name is not UTF-8");

	for (wchar_t *c = rel; rc == FERRY_OK && *c; c++)
		if (*c == L'/')
			*c = L'\\';
	if (rc == FERRY_OK && !(path = win_path_join(dir, rel)))
		rc = ferry_error_set(FERRY_ENOMEM, "staged file path");
	/* The folders of its path: made here, in a folder this staging made. */
	for (wchar_t *c = path ? path + wcslen(dir) + 1 : NULL; rc == FERRY_OK && c && *c; c++) {
		if (*c != L'\\')
			continue;
		*c = L'\0';
		if (!CreateDirectoryW(path, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
			rc = win_last_error("CreateDirectoryW");
		*c = L'\\';
	}
	if (rc == FERRY_OK) {
		h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW,
				FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
		if (h == INVALID_HANDLE_VALUE)
			rc = win_last_error("CreateFileW(CREATE_NEW)");
	}
	while (rc == FERRY_OK && done < e->len) {
		DWORD want = e->len - done > (1u << 20) ? (1u << 20) : (DWORD)(e->len - done), put = 0;

		if (!WriteFile(h, e->data + done, want, &put, NULL) || put == 0)
			rc = win_last_error("WriteFile");
		done += put;
	}
	if (rc == FERRY_OK && !FlushFileBuffers(h))
		rc = win_last_error("FlushFileBuffers");
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	ferry_free(path);
	ferry_free(rel);
	return rc ? ferry_error_wrap(rc, "writing \"%.80s\": ", e->name) : FERRY_OK;
}

/* Step 5: the complete folder `fresh` becomes `target`; the old one goes. */
static ferry_err swap_in(const wchar_t *root, const wchar_t *fresh, const wchar_t *target)
{
	wchar_t hex[17], old[MAX_PATH * 2];
	bool had_old = false;
	ferry_err rc = wu_random_hex(hex, 8);

	if (rc)
		return rc;
	_snwprintf(old, sizeof(old) / sizeof(old[0]) - 1, L"%ls\\%ls.old", root, hex);
	old[sizeof(old) / sizeof(old[0]) - 1] = L'\0';
	if (MoveFileExW(target, old, MOVEFILE_WRITE_THROUGH))
		had_old = true;
	else if (GetLastError() != ERROR_FILE_NOT_FOUND && GetLastError() != ERROR_PATH_NOT_FOUND)
		return ferry_error_wrap(win_last_error("MoveFileExW"), "moving the previous folder aside: ");
	if (!MoveFileExW(fresh, target, MOVEFILE_WRITE_THROUGH)) {
		rc = ferry_error_wrap(win_last_error("MoveFileExW"), "moving the staged folder in: ");
		if (had_old)
			(void)MoveFileExW(old, target, MOVEFILE_WRITE_THROUGH);
		return rc;
	}
	if (had_old)
		(void)remove_tree(old); /* a leftover goes at the next staging */
	return FERRY_OK;
}

ferry_err win_package_stage(const wchar_t *packages_dir, const char *id, const uint8_t *blob,
			    size_t len, const uint8_t pub[32])
{
	static const char op[] = "package_stage";
	struct package_archive *a = NULL;
	struct package *p = NULL;
	wchar_t *root = NULL, *fresh = NULL, *target = NULL, *wid = NULL, hex[17];
	bool made = false;
	ferry_err rc;

	if (!packages_dir || !pub || (!blob && len) || !package_id_valid(id))
		return win_op_result(op, ferry_error_set(FERRY_EINVAL, "win_package_stage: missing argument or invalid package id"));
	/* verify's errors name the package already; the parser's name the archive. */
	if ((rc = package_archive_parse(&a, blob, len)) != FERRY_OK) {
		rc = ferry_error_wrap(rc, "package %s: the blob is not a valid archive: ", id);
		goto out;
	}
	if ((rc = package_archive_verify(&p, a, pub, id)) != FERRY_OK)
		goto out;
	if ((rc = staging_root(&root, packages_dir)) || (rc = wu_random_hex(hex, 8)))
		goto out;
	wid = wu_wide(id);
	fresh = win_path_join(root, hex);
	target = wid ? win_path_join(packages_dir, wid) : NULL;
	if (!fresh || !target) {
		rc = ferry_error_set(FERRY_ENOMEM, "staging paths");
		goto out;
	}
	if (!CreateDirectoryW(fresh, NULL)) {
		rc = ferry_error_wrap(win_last_error("CreateDirectoryW"), "package %s: staging folder: ", id);
		goto out;
	}
	made = true;
	for (size_t i = 0; rc == FERRY_OK && i < a->n; i++)
		rc = write_entry(fresh, &a->e[i]);
	if (rc == FERRY_OK)
		rc = swap_in(root, fresh, target);
	if (rc == FERRY_OK)
		made = false;
	else
		rc = ferry_error_wrap(rc, "package %s: staging: ", id);
out:
	if (made)
		(void)remove_tree(fresh);
	if (rc == FERRY_OK)
		win_op_log(WIN_LOG_INFO, op, "package %s staged (%zu files, %zu bytes)", id,
			   p->nfiles, len);
	else
		win_op_log(WIN_LOG_ERROR, op, "package %s not staged; nothing was run: %s", id,
			   ferry_error_detail());
	package_free(p);
	package_archive_free(a);
	ferry_free(root);
	ferry_free(fresh);
	ferry_free(target);
	ferry_free(wid);
	return win_op_result(op, rc);
}

/* Step 2: the blob from the server or BundleDir, at most `max` bytes. */
static ferry_err obtain(uint8_t **blob, size_t *len, const char *id, uint64_t max,
			const struct win_package_source *src)
{
	char path[MAX_PATH * 3 + 96];
	wchar_t *wpath = NULL;
	ferry_err rc;

	if (src && src->fetch)
		return src->fetch(src->fetch_ctx, id, max, blob, len);
	if (!src || !src->bundle_dir || !src->bundle_dir[0])
		return ferry_error_set(FERRY_ENOTFOUND, "package %s is not staged, and there is no "
				       "server or BundleDir to fetch it from", id);
	snprintf(path, sizeof(path), "%s\\packages\\%s", src->bundle_dir, id);
	if (!(wpath = wu_wide(path)))
		return ferry_error_set(FERRY_EINVAL, "BundleDir is not UTF-8");
	rc = win_file_read(blob, len, wpath, (size_t)max);
	ferry_free(wpath);
	if (rc == FERRY_ERANGE)
		rc = ferry_error_set(FERRY_EAUTH, "%s is larger than the signed size (%llu bytes)",
				     path, (unsigned long long)max);
	return rc ? ferry_error_wrap(rc, "package %s from BundleDir: ", id) : FERRY_OK;
}

ferry_err win_package_prepare(struct package_ref *ref, const wchar_t *packages_dir, const char *id,
			      const struct cJSON *packages, const char *what,
			      const struct win_package_source *src, const uint8_t pub[32])
{
	uint8_t *blob = NULL;
	size_t len = 0;
	ferry_err rc;

	if (!ref || !packages_dir || !what || !pub || !package_id_valid(id))
		return ferry_error_set(FERRY_EINVAL, "win_package_prepare: missing argument or invalid package id");
	if ((rc = package_ref_find(ref, packages, id, what)) != FERRY_OK)
		return win_op_result("package_stage", ferry_error_wrap(rc, "nothing was run: "));
	if (win_package_check(packages_dir, id, pub, ref) == FERRY_OK) {
		win_op_log(WIN_LOG_INFO, "package_stage", "package %s already staged (the %s's SHA-256)",
			   id, what);
		return FERRY_OK;
	}
	rc = obtain(&blob, &len, id, ref->size, src);
	if (rc == FERRY_OK)
		rc = bundle_packages_match(packages, id, blob, len, what);
	if (rc == FERRY_OK)
		rc = win_package_stage(packages_dir, id, blob, len, pub);
	else
		win_op_log(WIN_LOG_ERROR, "package_stage", "package %s not staged; nothing was run: %s",
			   id, ferry_error_detail());
	ferry_free(blob);
	return rc;
}
