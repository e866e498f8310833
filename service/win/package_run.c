/*
 * Running a signed command package (format: core/net/package.c; its one-blob
 * transport form and the staging into this folder: package_archive.c,
 * package_stage.c).
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
 *   4. The same bytes, read once, are hashed again as the canonical archive
 *      of the folder (package_archive.c: header, manifest.json,
 *      manifest.sig, the files in the manifest's order): its SHA-256 and
 *      size must be the signed list's for <id> (the accepted bundle's, or a
 *      v2 assignment's, /packages). So what runs is the blob the admin's
 *      signed list names, whoever wrote the folder, and a list with a new
 *      digest makes the folder stale (package_stage.c stages it again).
 *   5. Only then does the command run: as SYSTEM (the service's own token),
 *      in <packages>\<id> (a folder of the state tree: SYSTEM and
 *      Administrators only), with NoDefaultCurrentDirectoryInExePath set
 *      (no program is looked up in that folder before PATH), in a job
 *      object with the manifest's timeout (cmd_run.h). Any failure in 1-4
 *      returns before anything runs, with FERRY_EAUTH for signature, id,
 *      path and hash failures and FERRY_EMISMATCH for a folder that is not
 *      the signed blob.
 *   6. Completion is the engine's: run_command_package is an idempotent step
 *      whose DONE record in the journal is the only completion record
 *      (docs/packages.md). Nothing is written here; a .done marker from an
 *      older agent, or one somebody planted, is never read.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "net/package.h"
#include "net/package_archive.h"
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

/* The file's own SHA-256 into digest, and its bytes, headed by its archive
 * entry, into the archive hash; `size` (read from the locked handle) must be
 * what is read. */
static ferry_err hash_handle(uint8_t digest[32], HANDLE h, const char *rel,
			     struct package_hash *archive)
{
	struct package_hash *ph = NULL;
	uint8_t chunk[65536], head[PACKAGE_ARCHIVE_ENTRY_HEAD_MAX];
	LARGE_INTEGER size;
	uint64_t fed = 0;
	DWORD got = 0;
	ferry_err rc = package_hash_new(&ph);

	if (rc == 0 && !GetFileSizeEx(h, &size))
		rc = ferry_error_wrap(win_last_error("GetFileSizeEx"), "package file \"%s\": ", rel);
	if (rc == 0)
		rc = package_hash_update(archive, head,
					 package_archive_entry_head(head, rel, (uint64_t)size.QuadPart));
	while (rc == 0) {
		if (!ReadFile(h, chunk, sizeof chunk, &got, NULL)) {
			rc = ferry_error_wrap(win_last_error("ReadFile"), "package file \"%s\": ", rel);
			break;
		}
		if (got == 0)
			break;
		fed += got;
		rc = package_hash_update(ph, chunk, got);
		if (rc == 0)
			rc = package_hash_update(archive, chunk, got);
	}
	if (rc == 0 && fed != (uint64_t)size.QuadPart)
		rc = ferry_error_set(FERRY_EAUTH, "package file \"%s\" changed size while read", rel);
	if (rc == 0)
		rc = package_hash_final(ph, digest);
	package_hash_free(ph);
	return rc == FERRY_ERANGE ? ferry_error_set(FERRY_EAUTH, "package file \"%s\" is too large", rel) : rc;
}

/* Step 4: the archive so far (header, both parts, every file) against the signed entry. */
static ferry_err archive_check(struct package_hash *archive, const struct package_ref *want,
			       const char *id)
{
	uint8_t d[32];
	uint64_t size = package_hash_fed(archive);
	ferry_err rc = package_hash_final(archive, d);

	if (rc == 0 && (size != want->size || memcmp(d, want->sha256, 32)))
		rc = ferry_error_set(FERRY_EMISMATCH, "package %s: the staged folder is not the blob "
				     "the signed list names (%s differs)", id,
				     size != want->size ? "size" : "SHA-256");
	return rc;
}

/* Start the archive hash: header, manifest.json and manifest.sig entries. */
static ferry_err archive_begin(struct package_hash **archive, const struct package *p,
			       const uint8_t *m, size_t mlen, const uint8_t *s, size_t slen)
{
	uint8_t head[PACKAGE_ARCHIVE_ENTRY_HEAD_MAX];
	ferry_err rc = package_hash_new(archive);

	package_archive_header(head, (uint32_t)(p->nfiles + 2));
	if (rc == 0)
		rc = package_hash_update(*archive, head, PACKAGE_ARCHIVE_HEADER);
	if (rc == 0)
		rc = package_hash_update(*archive, head,
					 package_archive_entry_head(head, PACKAGE_MANIFEST_NAME, mlen));
	if (rc == 0)
		rc = package_hash_update(*archive, m, mlen);
	if (rc == 0)
		rc = package_hash_update(*archive, head,
					 package_archive_entry_head(head, PACKAGE_SIG_NAME, slen));
	if (rc == 0)
		rc = package_hash_update(*archive, s, slen);
	return rc;
}

/* Steps 2-4: on success *pkg is verified and handles[] hold every file. */
static ferry_err verify(struct package **pkg, HANDLE **handles, const wchar_t *dir, const char *id,
			const uint8_t pub[32], const struct package_ref *want)
{
	struct package_hash *archive = NULL;
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
	if (rc == 0)
		rc = archive_begin(&archive, *pkg, m, mlen, s, slen);
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
			rc = hash_handle(d, (*handles)[i], f->path, archive);
		if (rc == 0)
			rc = package_file_check(*pkg, f, d);
		if (rc == FERRY_ENOTFOUND)
			rc = ferry_error_wrap(FERRY_EAUTH, "package %s: a signed file is missing: ", id);
	}
	if (rc == 0)
		rc = archive_check(archive, want, id);
	package_hash_free(archive);
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

/* <packages>\<id> into *dir, then steps 1-4. */
static ferry_err open_verified(struct package **pkg, HANDLE **handles, wchar_t **dir,
			       const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			       const struct package_ref *want)
{
	wchar_t *wid = wu_wide(id);
	ferry_err rc = wid ? FERRY_OK : ferry_error_set(FERRY_EINVAL, "package id is not UTF-8");

	*pkg = NULL;
	*handles = NULL;
	if (rc == 0 && !(*dir = win_path_join(packages_dir, wid)))
		rc = ferry_error_set(FERRY_ENOMEM, "package folder");
	if (rc == 0)
		rc = verify(pkg, handles, *dir, id, pub, want);
	ferry_free(wid);
	return rc;
}

ferry_err win_package_check(const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			    const struct package_ref *want)
{
	struct package *pkg = NULL;
	HANDLE *handles = NULL;
	wchar_t *dir = NULL;
	ferry_err rc;

	if (!packages_dir || !pub || !want || !package_id_valid(id))
		return ferry_error_set(FERRY_EINVAL, "win_package_check: missing argument or invalid package id");
	rc = open_verified(&pkg, &handles, &dir, packages_dir, id, pub, want);
	close_handles(handles, pkg ? pkg->nfiles : 0);
	package_free(pkg);
	ferry_free(dir);
	return rc;
}

ferry_err win_package_run(const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			  const struct package_ref *want, struct win_cmd_output *out)
{
	static const char op[] = "package_run";
	struct package *pkg = NULL;
	HANDLE *handles = NULL;
	wchar_t *dir = NULL, *cmd = NULL;
	ferry_err rc;

	if (!packages_dir || !pub || !want || !out || !package_id_valid(id))
		return win_op_result(op, ferry_error_set(FERRY_EINVAL, "win_package_run: missing argument or invalid package id"));
	memset(out, 0, sizeof *out);
	win_op_log(WIN_LOG_INFO, op, "verifying package %s", id);
	rc = open_verified(&pkg, &handles, &dir, packages_dir, id, pub, want);
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
out:
	close_handles(handles, pkg ? pkg->nfiles : 0);
	package_free(pkg);
	ferry_free(cmd);
	ferry_free(dir);
	return win_op_result(op, rc);
}
