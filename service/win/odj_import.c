/*
 * The ODJ blob at rest and its import (design.md §1.4, §3 "Secrets").
 *
 * Sealed file (win_odj_store writes it, win_odj_import reads it):
 *
 *   offset 0  8 bytes  magic "FRYODJ01" (says what the file is; not secret)
 *   offset 8  rest     CryptProtectData output, machine scope
 *                      (CRYPTPROTECT_LOCAL_MACHINE), no UI, no entropy
 *
 * The plaintext is the ODJ provision in its binary form (what
 * NetRequestOfflineDomainJoin takes) or in djoin's text form (UTF-16LE with
 * a BOM), which import decodes first. Invariants:
 *   1. The file is written to "<path>.tmp", flushed, and renamed over
 *      <path> (MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH): after a
 *      power cut it holds the old or the new blob, never a mix.
 *   2. Import validates (odj_validate: the runbook's domain, this computer's
 *      NetBIOS name) before any join call; a blob for another machine or
 *      domain is refused with FERRY_EMISMATCH and the join API is never
 *      reached.
 *   3. The sealed file is deleted only after NetRequestOfflineDomainJoin
 *      succeeded, so a failed import can be retried after a reboot.
 *   4. Every plaintext copy (DPAPI's, ours, the decoded one) is wiped on
 *      every path.
 */
#include <windows.h>
#include <wincrypt.h>

#include <string.h>

#include "odj/odj.h"
#include "util/mem.h"
#include "util/utf.h"
#include "win/fileio.h"
#include "win/netapi_dyn.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"

#define SEAL_MAGIC "FRYODJ01"
#define SEAL_MAGIC_LEN 8u
#define SEALED_MAX (2u * ODJ_MAX_BLOB_BYTES) /* DPAPI adds well under 1 KiB; text form is larger */

ferry_err win_odj_store(const wchar_t *path, const struct ferry_secret *blob)
{
	static const char op[] = "odj_store";
	DATA_BLOB in, sealed = { 0, NULL };
	uint8_t *file = NULL;
	ferry_err rc;

	if (!path || !blob || !blob->data || blob->len == 0 || blob->len > ODJ_MAX_BLOB_BYTES * 2u)
		return ferry_error_set(FERRY_EINVAL, "win_odj_store: missing path or blob of a bad size");
	win_op_log(WIN_LOG_INFO, op, "sealing an ODJ blob of %zu bytes (DPAPI, machine scope)", blob->len);
	in.pbData = blob->data;
	in.cbData = (DWORD)blob->len;
	if (!CryptProtectData(&in, L"Ferry ODJ blob", NULL, NULL, NULL,
			      CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &sealed))
		return win_op_result(op, win_last_error("CryptProtectData"));
	file = ferry_malloc(SEAL_MAGIC_LEN + (size_t)sealed.cbData);
	if (!file) {
		rc = ferry_error_set(FERRY_ENOMEM, "sealed ODJ blob");
	} else {
		memcpy(file, SEAL_MAGIC, SEAL_MAGIC_LEN);
		memcpy(file + SEAL_MAGIC_LEN, sealed.pbData, sealed.cbData);
		rc = win_file_write_atomic(path, file, SEAL_MAGIC_LEN + (size_t)sealed.cbData);
		if (rc)
			rc = ferry_error_wrap(rc, "sealed ODJ blob: ");
	}
	ferry_free(file);
	LocalFree(sealed.pbData);
	return win_op_result(op, rc);
}

static ferry_err read_sealed(uint8_t **out, size_t *len, const wchar_t *path)
{
	ferry_err rc = win_file_read(out, len, path, SEALED_MAX);

	if (rc)
		return ferry_error_wrap(rc, "sealed ODJ blob: ");
	if (*len <= SEAL_MAGIC_LEN || memcmp(*out, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0) {
		ferry_free(*out);
		*out = NULL;
		return ferry_error_set(FERRY_ECORRUPT, "sealed ODJ blob: no FRYODJ01 header (offset 0)");
	}
	return FERRY_OK;
}

/* DPAPI-unseal into a secret; DPAPI's own copy is wiped and freed. */
static ferry_err unseal(struct ferry_secret **out, const wchar_t *path)
{
	uint8_t *sealed = NULL;
	size_t len = 0;
	DATA_BLOB in, plain = { 0, NULL };
	ferry_err rc = read_sealed(&sealed, &len, path);

	*out = NULL;
	if (rc)
		return rc;
	in.pbData = sealed + SEAL_MAGIC_LEN;
	in.cbData = (DWORD)(len - SEAL_MAGIC_LEN);
	if (!CryptUnprotectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &plain)) {
		rc = win_error(FERRY_EAUTH, "CryptUnprotectData(sealed ODJ blob)", GetLastError());
		goto out;
	}
	rc = ferry_secret_from(out, plain.pbData, plain.cbData);
	SecureZeroMemory(plain.pbData, plain.cbData);
	LocalFree(plain.pbData);
out:
	ferry_free(sealed);
	return rc;
}

static ferry_err computer_name(char **out)
{
	wchar_t name[MAX_COMPUTERNAME_LENGTH + 2];
	DWORD n = sizeof name / sizeof name[0];
	size_t len = 0;

	*out = NULL;
	if (!GetComputerNameExW(ComputerNameNetBIOS, name, &n))
		return win_last_error("GetComputerNameExW(ComputerNameNetBIOS)");
	return ferry_utf16_to_utf8(out, &len, (const uint16_t *)name, n);
}

/* Text form (UTF-16LE with BOM, as djoin writes it) -> binary; binary as is. */
static ferry_err to_binary(struct ferry_secret **bin, const struct ferry_secret *plain)
{
	if (plain->len >= 2 && plain->data[0] == 0xFF && plain->data[1] == 0xFE)
		return odj_text_decode(bin, plain->data, plain->len);
	return ferry_secret_from(bin, plain->data, plain->len);
}

/* Invariant 2: everything before the join call, for a blob in memory (the
 * plaintext of either sealed form). */
static ferry_err check_plain(struct ferry_secret **bin, const struct ferry_secret *plain,
			     const char *domain)
{
	struct odj_provision *p = NULL;
	char *machine = NULL;
	ferry_err rc = to_binary(bin, plain);

	if (rc == 0)
		rc = odj_decode(&p, (*bin)->data, (*bin)->len);
	if (rc == 0)
		rc = computer_name(&machine);
	if (rc == 0 && (rc = odj_validate(p, domain, machine)) != 0)
		rc = ferry_error_wrap(rc, "ODJ blob refused before joining (this computer is %s): ",
				      machine);
	if (rc) {
		ferry_secret_free(*bin);
		*bin = NULL;
	}
	ferry_free(machine);
	odj_provision_free(p);
	return rc;
}

/* The same for the DPAPI file form. */
static ferry_err check_blob(struct ferry_secret **bin, const wchar_t *path, const char *domain)
{
	struct ferry_secret *plain = NULL;
	ferry_err rc = unseal(&plain, path);

	*bin = NULL;
	if (rc == 0)
		rc = check_plain(bin, plain, domain);
	ferry_secret_free(plain);
	return rc;
}

static ferry_err request_join(struct ferry_secret *bin)
{
	win_net_request_odj_fn request;
	FARPROC fn = NULL;
	wchar_t windir[MAX_PATH];
	UINT n = GetWindowsDirectoryW(windir, MAX_PATH);
	DWORD st;
	ferry_err rc;

	if (n == 0 || n >= MAX_PATH)
		return win_last_error("GetWindowsDirectoryW");
	rc = win_netapi_resolve(&fn, "NetRequestOfflineDomainJoin");
	if (rc)
		return rc;
	request = (win_net_request_odj_fn)(void (*)(void))fn;
	st = request(bin->data, (DWORD)bin->len, NETSETUP_PROVISION_ONLINE_CALLER, windir);
	switch (odj_join_result_of(st)) {
	case ODJ_JOIN_DONE:
		return FERRY_OK;
	case ODJ_JOIN_DONE_RESTART: /* the plan's next step is the reboot it asks for */
		win_op_log(WIN_LOG_INFO, "odj_import", "NetRequestOfflineDomainJoin: the join is done "
			   "and needs a restart (%lu); the reboot follows", (unsigned long)st);
		return FERRY_OK;
	case ODJ_JOIN_FAILED:
		break;
	}
	return win_error(st == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM,
			 "NetRequestOfflineDomainJoin", st);
}

ferry_err win_odj_import_blob(const struct ferry_secret *plain, const char *domain)
{
	static const char op[] = "odj_import";
	struct ferry_secret *bin = NULL;
	ferry_err rc;

	if (!plain || !plain->data || !domain || !*domain)
		return ferry_error_set(FERRY_EINVAL, "win_odj_import_blob: missing blob or domain");
	rc = check_plain(&bin, plain, domain);
	if (rc == 0) {
		win_op_log(WIN_LOG_INFO, op, "blob valid for this computer and %s (%zu bytes); "
			   "requesting the join", domain, bin->len);
		rc = request_join(bin);
	}
	ferry_secret_free(bin);
	return win_op_result(op, rc);
}

ferry_err win_odj_import(const wchar_t *path, const char *domain)
{
	static const char op[] = "odj_import";
	struct ferry_secret *bin = NULL;
	ferry_err rc;

	if (!path || !domain || !*domain)
		return ferry_error_set(FERRY_EINVAL, "win_odj_import: missing path or domain");
	win_op_log(WIN_LOG_INFO, op, "importing the sealed ODJ blob for domain %s", domain);
	rc = check_blob(&bin, path, domain);
	if (rc == 0) {
		win_op_log(WIN_LOG_INFO, op, "blob valid for this computer and %s (%zu bytes); requesting the join",
			   domain, bin->len);
		rc = request_join(bin);
	}
	ferry_secret_free(bin);
	/* Invariant 3; if the file cannot go now, it goes at the next boot. */
	if (rc == 0 && !DeleteFileW(path)) {
		win_op_log(WIN_LOG_WARN, op, "joined, but the sealed blob could not be deleted (Win32 %lu); "
			   "it is deleted at the next boot", (unsigned long)GetLastError());
		MoveFileExW(path, NULL, MOVEFILE_DELAY_UNTIL_REBOOT);
	}
	return win_op_result(op, rc);
}
