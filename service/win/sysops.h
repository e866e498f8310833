/*
 * The Windows system ops behind struct ferry_platform: credentials, domain
 * membership, ODJ import, reboot, the fallback account, the prevent-login
 * lease and command packages. One file per concern implements them
 * (service/win/); service/svc/svc_platform.c binds them to the engine's
 * table, and rehearsal mode replaces them with a recorder.
 *
 * Every function logs its intent and result (never a secret) and maps
 * Win32 failures to ferry_err with the API name and code (win/win_err.h).
 */
#ifndef FERRY_SVC_SYSOPS_H
#define FERRY_SVC_SYSOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "engine/platform.h"
#include "util/err.h"
#include "util/mem.h"
#include "ux/logon_outcome.h"

/* --- credentials (cache_credentials) ------------------------------------ */

/**
 * LogonUserExW(LOGON32_LOGON_INTERACTIVE) as user@domain, so Windows keeps a
 * cached logon; the token is closed at once. *out is core/ux's outcome
 * (the one vocabulary the pipe carries). Takes ownership of `password`
 * and wipes/frees it before returning, on every path. Returns 0 with *out
 * set for every answer the DC gave (including refusals); an error only when
 * the attempt itself could not be made.
 */
ferry_err win_logon_check(enum logon_outcome *out, const char *user, const char *domain,
			  struct ferry_secret *password);

/**
 * The account last signed in at this PC's logon screen (LogonUI's
 * LastLoggedOnSAMUser, "DOMAIN\\user"): who the cache prompt is for until
 * the identity mapping names the target account. FERRY_ENOTFOUND when absent.
 */
ferry_err win_last_logon_user(char *out, size_t cap);

/* --- domain membership ---------------------------------------------------- */

/** NetGetJoinInformation + dsregcmd state, for the engine's checks. */
ferry_err win_join_query(struct ferry_join_state *out);
/** NetUnjoinDomain (resolved at run time from netapi32). */
ferry_err win_join_unjoin(void);

/* Captured output of a child process, size-capped. */
struct win_cmd_output {
	unsigned long exit_code;
	char *text;       /* UTF-8, NUL-terminated, at most WIN_CMD_OUTPUT_MAX bytes; ferry_free */
	size_t len;
	bool truncated;
	bool timed_out;
};
#define WIN_CMD_OUTPUT_MAX (64u * 1024u)
void win_cmd_output_clear(struct win_cmd_output *o);

/** dsregcmd /leave, with its exit code and output. */
ferry_err win_entra_leave(struct win_cmd_output *out);

/* --- ODJ -------------------------------------------------------------------- */

/** DPAPI-seal (machine scope) `blob` into `path` (atomic replace). */
ferry_err win_odj_store(const wchar_t *path, const struct ferry_secret *blob);
/**
 * Unseal `path`, odj_validate it against `domain` and this computer's name,
 * NetRequestOfflineDomainJoin(NETSETUP_PROVISION_ONLINE_CALLER) it, and
 * delete the sealed file after success. The blob is wiped on every path.
 */
ferry_err win_odj_import(const wchar_t *path, const char *domain);
/**
 * The same for a blob in memory (djoin's text form or binary), opened by
 * the caller from the server's sealed form: odj_validate against `domain`
 * and this computer's name, then NetRequestOfflineDomainJoin. Status 2713
 * (NERR_JoinPerformedMustRestart) is success; the reboot follows. Deleting
 * what the caller keeps on disk is the caller's.
 */
ferry_err win_odj_import_blob(const struct ferry_secret *plain, const char *domain);

/* --- reboot --------------------------------------------------------------- */

/** InitiateShutdownW, planned, restart, with reason code and grace message. */
ferry_err win_reboot_schedule(const char *message, unsigned grace_seconds);
/** A value that changes at every boot. */
ferry_err win_boot_id(uint64_t *out);

/* --- fallback (break-glass) account -------------------------------------- */

/**
 * NetUserAdd with a CSPRNG password of at least 20 characters, added to the
 * Administrators group found by its well-known SID. *password receives the
 * password (for escrow); the caller frees it with ferry_secret_free.
 */
ferry_err win_fallback_create(const char *username, struct ferry_secret **password);
/** Absent account = success. */
ferry_err win_fallback_delete(const char *username);
ferry_err win_fallback_exists(const char *username, bool *exists);

/* What win_fallback_rollback found and did. */
enum win_fallback_rollback {
	WIN_FALLBACK_NONE_RECORDED, /* no FallbackSid: Ferry made no account (or deleted it) */
	WIN_FALLBACK_ALREADY_GONE,  /* no account has the recorded SID any more: record cleared */
	WIN_FALLBACK_DELETED,       /* the recorded account deleted, record cleared */
};

/**
 * `ferry rollback fallback`: delete the break-glass account Ferry created,
 * found by the SID recorded at its creation (HKLM\SOFTWARE\Ferry\State
 * FallbackSid), never by name. Refused (FERRY_EPERM, nothing deleted) when
 * the SID is not a local user account of this PC, and (FERRY_EBUSY) while
 * the prevent-login lease is in force: then the account is helpdesk's only
 * way in. Idempotent. *what says what happened; name[cap] and sid[sid_cap]
 * receive the account's name and the recorded SID ("" when none).
 */
ferry_err win_fallback_rollback(enum win_fallback_rollback *what, char *name, size_t cap,
				char *sid, size_t sid_cap);

/* --- prevent-login lease -------------------------------------------------- */

/** Write HKLM\SOFTWARE\Ferry\State\PreventLoginUntil, capped at now + cap. */
ferry_err win_lease_write(int64_t until_unix, int64_t now_unix, uint64_t cap_seconds);
/** Delete the value (absent = success). */
ferry_err win_lease_clear(void);

/* --- command packages ------------------------------------------------------ */

struct package_ref;
struct cJSON;

/**
 * Verify the package `id` under `packages_dir` against the Ed25519 key
 * `pub` and the signed list's entry `want` (the folder's canonical archive
 * must have its SHA-256 and size), then run it as SYSTEM in a job object
 * with its timeout; capture exit code and output. Nothing runs when
 * verification fails (FERRY_EAUTH; FERRY_EMISMATCH for a folder that is not
 * the signed blob). Completion is the engine journal's DONE record.
 */
ferry_err win_package_run(const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			  const struct package_ref *want, struct win_cmd_output *out);

/** Steps 1-4 of win_package_run without running: FERRY_OK when the folder is the signed blob. */
ferry_err win_package_check(const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			    const struct package_ref *want);

/** A package blob from the migration server, at most `max` bytes (ferry_free *out). */
typedef ferry_err (*win_package_fetch_fn)(void *ctx, const char *id, uint64_t max, uint8_t **out,
					  size_t *len);

/* Where a blob comes from when the staged folder is not the signed one. */
struct win_package_source {
	win_package_fetch_fn fetch; /* the server; NULL: none */
	void *fetch_ctx;
	const char *bundle_dir;     /* BundleDir (UTF-8): <BundleDir>\packages\<id>; NULL or "": none */
};

/**
 * Unpack a blob that matched its signed digest into <packages>\<id>
 * (package_stage.c): verified archive, a fresh folder under the SYSTEM-only
 * <packages>\.staging with CREATE_NEW files, then renamed into place; the
 * previous folder goes only once the new one is complete. FERRY_EAUTH or
 * FERRY_ECORRUPT naming the package and the entry; nothing half-staged.
 */
ferry_err win_package_stage(const wchar_t *packages_dir, const char *id, const uint8_t *blob,
			    size_t len, const uint8_t pub[32]);

/**
 * Make <packages>\<id> the blob that the signed list `packages` (a
 * bundle's, catalog's or assignment's /packages; `what` names it) lists:
 * nothing when the staged folder already is; else fetch it (server first,
 * else BundleDir), bounded by the signed size, check it with
 * bundle_packages_match and stage it. *ref receives the signed entry.
 */
ferry_err win_package_prepare(struct package_ref *ref, const wchar_t *packages_dir, const char *id,
			      const struct cJSON *packages, const char *what,
			      const struct win_package_source *src, const uint8_t pub[32]);

#endif
