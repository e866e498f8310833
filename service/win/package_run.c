/*
 * Running a signed command package (format: core/net/package.c).
 *
 * Order, and why:
 *   1. The id must be a valid package id (it becomes a folder name).
 *   2. manifest.json and manifest.sig are read from <packages>\<id> and
 *      verified against the MSI's key; the manifest's id must be <id>.
 *   3. Every listed file is opened with FILE_SHARE_READ only and hashed;
 *      the handles stay open until the command has finished, so nobody can
 *      swap a file between its check and its use. A reparse point is
 *      refused (it could point outside the signed folder), at the file and
 *      at every folder of its path from the volume root (wu_tree_path_check).
 *   4. Only then does the command run: as SYSTEM (the service's own token),
 *      in <packages>\<id> (a folder of the state tree: SYSTEM and
 *      Administrators only), with NoDefaultCurrentDirectoryInExePath set
 *      (no program is looked up in that folder before PATH), in a job
 *      object with the manifest's timeout (cmd_run.h). Any failure in 1-3
 *      returns before anything runs, with FERRY_EAUTH for signature, id,
 *      path and hash failures.
 *   5. An exit code of 0 is recorded durably in
 *      <packages>\.done\<id> (atomic replace), which win_package_done reads.
 *      A non-zero exit or a timeout is not recorded, so the engine may run
 *      the package again; completion is per id (a new version of a package
 *      that already ran needs a new id).
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "net/package.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/utf.h"
#include "win/cmd_run.h"
#include "win/fileio.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"
#include "winutil.h"
#include "wu_tree.h"

#define DONE_DIR L".done"

/* Open a listed file for hashing and keep it locked against writers. */
static ferry_err open_locked(HANDLE *h, const wchar_t *dir, const char *rel)
{
	wchar_t *wrel = NULL, *path = NULL;
	BY_HANDLE_FILE_INFORMATION bi;
	ferry_err rc = (wrel = wu_wide(rel)) ? FERRY_OK :
						ferry_error_set(FERRY_EINVAL, "package: a file name is not UTF-8");

	*h = INVALID_HANDLE_VALUE;
	if (rc)
		return rc;
	for (wchar_t *c = wrel; *c; c++)
		if (*c == L'/')
			*c = L'\\';
	path = win_path_join(dir, wrel);
	ferry_free(wrel);
	if (!path)
		return ferry_error_set(FERRY_ENOMEM, "package file path");
	/* Every folder from the volume root to the file's, not only the last
	 * component: a junction in the middle would lead outside the package. */
	{
		wchar_t *slash = wcsrchr(path, L'\\');

		*slash = L'\0'; /* path is dir\rel: it has one */
		rc = wu_tree_path_check(path);
		*slash = L'\\';
		if (rc) {
			ferry_free(path);
			return ferry_error_wrap(FERRY_EAUTH, "package file \"%s\": ", rel);
		}
	}
	*h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			 FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
	ferry_free(path);
	if (*h == INVALID_HANDLE_VALUE)
		return ferry_error_wrap(win_last_error("CreateFileW"), "package file \"%s\": ", rel);
	if (!GetFileInformationByHandle(*h, &bi))
		return ferry_error_wrap(win_last_error("GetFileInformationByHandle"), "package file \"%s\": ", rel);
	if (bi.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY))
		return ferry_error_set(FERRY_EAUTH, "package file \"%s\" is a reparse point or a folder", rel);
	return FERRY_OK;
}

static ferry_err hash_handle(uint8_t digest[32], HANDLE h, const char *rel)
{
	struct package_hash *ph = NULL;
	uint8_t chunk[65536];
	DWORD got = 0;
	ferry_err rc = package_hash_new(&ph);

	while (rc == 0) {
		if (!ReadFile(h, chunk, sizeof chunk, &got, NULL)) {
			rc = ferry_error_wrap(win_last_error("ReadFile"), "package file \"%s\": ", rel);
			break;
		}
		if (got == 0)
			break;
		rc = package_hash_update(ph, chunk, got);
	}
	if (rc == 0)
		rc = package_hash_final(ph, digest);
	package_hash_free(ph);
	return rc == FERRY_ERANGE ? ferry_error_set(FERRY_EAUTH, "package file \"%s\" is too large", rel) : rc;
}

/* Steps 2 and 3: on success *pkg is verified and handles[] hold every file. */
static ferry_err verify(struct package **pkg, HANDLE **handles, const wchar_t *dir, const char *id,
			const uint8_t pub[32])
{
	uint8_t *m = NULL, *s = NULL;
	size_t mlen = 0, slen = 0;
	wchar_t *mp = win_path_join(dir, L"" PACKAGE_MANIFEST_NAME), *sp = win_path_join(dir, L"" PACKAGE_SIG_NAME);
	ferry_err rc = (mp && sp) ? 0 : ferry_error_set(FERRY_ENOMEM, "package paths");

	*pkg = NULL;
	*handles = NULL;
	if (rc == 0)
		rc = win_file_read(&m, &mlen, mp, PACKAGE_MANIFEST_MAX);
	if (rc == 0)
		rc = win_file_read(&s, &slen, sp, PACKAGE_SIG_TEXT_MAX);
	if (rc == FERRY_ERANGE || rc == FERRY_ENOTFOUND)
		rc = ferry_error_wrap(FERRY_EAUTH, "package %s: manifest or signature missing or oversized: ", id);
	if (rc == 0)
		rc = package_manifest_verify(pkg, m, mlen, s, slen, pub, id);
	if (rc == 0 && (*pkg)->nfiles) {
		*handles = ferry_calloc((*pkg)->nfiles, sizeof **handles);
		if (!*handles)
			rc = ferry_error_set(FERRY_ENOMEM, "package file handles");
		for (size_t i = 0; *handles && i < (*pkg)->nfiles; i++)
			(*handles)[i] = INVALID_HANDLE_VALUE;
	}
	for (size_t i = 0; rc == 0 && i < (*pkg)->nfiles; i++) {
		uint8_t d[32];
		const struct package_file *f = &(*pkg)->files[i];
		rc = open_locked(&(*handles)[i], dir, f->path);
		if (rc == 0)
			rc = hash_handle(d, (*handles)[i], f->path);
		if (rc == 0)
			rc = package_file_check(*pkg, f, d);
		if (rc == FERRY_ENOTFOUND)
			rc = ferry_error_wrap(FERRY_EAUTH, "package %s: a signed file is missing: ", id);
	}
	ferry_free(m);
	ferry_free(s);
	ferry_free(mp);
	ferry_free(sp);
	return rc;
}

static void close_handles(HANDLE *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++)
		if (h[i] != INVALID_HANDLE_VALUE)
			CloseHandle(h[i]);
	ferry_free(h);
}

static wchar_t *done_path(const wchar_t *packages_dir, const char *id, bool create_dir)
{
	wchar_t *dir = win_path_join(packages_dir, DONE_DIR), *wid = NULL, *p = NULL;

	/* Made or judged by its tree rule: SYSTEM and Administrators only, so
	 * a marker is never one a user planted (a failure shows at the write). */
	if (dir && create_dir)
		(void)wu_tree_folder(dir, "state\\packages\\.done");
	if (dir && (wid = wu_wide(id)))
		p = win_path_join(dir, wid);
	ferry_free(dir);
	ferry_free(wid);
	return p;
}

static ferry_err record_done(const wchar_t *packages_dir, const struct package *p, unsigned long code)
{
	char rec[256];
	wchar_t *path = done_path(packages_dir, p->id, true);
	int n = snprintf(rec, sizeof rec, "{\"id\":\"%s\",\"exit_code\":%lu}\n", p->id, code);
	ferry_err rc;

	if (!path)
		return ferry_error_set(FERRY_ENOMEM, "completion record path");
	rc = win_file_write_atomic(path, rec, (size_t)n);
	ferry_free(path);
	return rc ? ferry_error_wrap(rc, "package %s ran, but its completion record: ", p->id) : FERRY_OK;
}

ferry_err win_package_run(const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			  struct win_cmd_output *out)
{
	static const char op[] = "package_run";
	struct package *pkg = NULL;
	HANDLE *handles = NULL;
	wchar_t *wid = NULL, *dir = NULL, *cmd = NULL;
	ferry_err rc;

	if (!packages_dir || !pub || !out || !package_id_valid(id))
		return win_op_result(op, ferry_error_set(FERRY_EINVAL, "win_package_run: missing argument or invalid package id"));
	memset(out, 0, sizeof *out);
	win_op_log(WIN_LOG_INFO, op, "verifying package %s", id);
	rc = (wid = wu_wide(id)) ? FERRY_OK :
				   ferry_error_set(FERRY_EINVAL, "package id is not UTF-8");
	if (rc == 0) {
		dir = win_path_join(packages_dir, wid);
		if (!dir)
			rc = ferry_error_set(FERRY_ENOMEM, "package folder");
	}
	if (rc == 0)
		rc = verify(&pkg, &handles, dir, id, pub);
	if (rc) {
		win_op_log(WIN_LOG_ERROR, op, "package %s refused; nothing was run", id);
		goto out;
	}
	rc = (cmd = wu_wide(pkg->command)) ? FERRY_OK :
					     ferry_error_set(FERRY_EINVAL, "package command is not UTF-8");
	if (rc)
		goto out;
	win_op_log(WIN_LOG_INFO, op, "running package %s as SYSTEM (timeout %lu s): %s", id,
		   (unsigned long)pkg->timeout_seconds, pkg->command);
	rc = win_cmd_run(cmd, dir, pkg->timeout_seconds * 1000u, out);
	win_op_log(rc ? WIN_LOG_WARN : WIN_LOG_INFO, op,
		   "package %s: exit code %lu%s, output %zu bytes%s: %.2000s", id, out->exit_code,
		   out->timed_out ? " (timed out, killed)" : "", out->len, out->truncated ? " (truncated)" : "",
		   out->text ? out->text : "");
	if (rc == 0 && out->exit_code != 0)
		rc = ferry_error_set(FERRY_ESYSTEM, "package %s exited with %lu", id, out->exit_code);
	if (rc == 0)
		rc = record_done(packages_dir, pkg, out->exit_code);
out:
	close_handles(handles, pkg ? pkg->nfiles : 0);
	package_free(pkg);
	ferry_free(cmd);
	ferry_free(dir);
	ferry_free(wid);
	return win_op_result(op, rc);
}

ferry_err win_package_done(const wchar_t *packages_dir, const char *id, bool *done)
{
	wchar_t *path;
	uint8_t *rec = NULL;
	size_t len = 0;
	char want[PACKAGE_ID_MAX + 16];
	ferry_err rc;

	if (!packages_dir || !done || !package_id_valid(id))
		return ferry_error_set(FERRY_EINVAL, "win_package_done: missing argument or invalid package id");
	*done = false;
	path = done_path(packages_dir, id, false);
	if (!path)
		return ferry_error_set(FERRY_ENOMEM, "completion record path");
	rc = win_file_read(&rec, &len, path, 4096);
	ferry_free(path);
	if (rc == FERRY_ENOTFOUND)
		return FERRY_OK;
	if (rc)
		return win_op_result("package_done", ferry_error_wrap(rc, "package %s completion record: ", id));
	snprintf(want, sizeof want, "{\"id\":\"%s\",", id);
	*done = strncmp((const char *)rec, want, strlen(want)) == 0;
	ferry_free(rec);
	return FERRY_OK;
}
