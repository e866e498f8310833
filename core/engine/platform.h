/*
 * The platform seam: every side effect the migration engine can cause, as a
 * table of function pointers (SQLite's VFS idea). core/engine decides; an
 * implementation only performs. Three implementations: Windows
 * (service/win/), rehearsal (records intended calls, changes nothing), and
 * the tests' fake with fault injection (tests/support/fake_platform.c).
 *
 * Every op returns ferry_err. FERRY_EBUSY means "not yet, ask again later"
 * (e.g. the user has not typed their password) and is not a failure. Any
 * other error is a failure the engine retries per the runbook's policy.
 * No op receives or returns a secret, except check_logon, which takes the
 * typed password in a struct ferry_secret and wipes it on every path (a
 * rehearsal records only the user and domain).
 *
 * Resume safety: each effect op is either IDEMPOTENT (running it again
 * leaves the same state) or CHECK-THEN-ACT (running it twice is wrong, so
 * the engine asks its check first, every time, and acts only when the check
 * says it has not happened). The classes and checks are fixed here:
 *
 *   op                       class           check
 *   cache_credentials        idempotent
 *   create_fallback_account  check-then-act  account_exists(username)
 *   delete_fallback_account  idempotent      (absent account = success)
 *   set_lock_screen          idempotent
 *   restore_lock_screen      idempotent
 *   set_legal_notice         idempotent
 *   restore_legal_notice     idempotent
 *   set_prevent_login        idempotent      (writes an absolute expiry)
 *   clear_prevent_login      idempotent
 *   run_command_package      idempotent      (at least once: its DONE record is the only
 *                                            completion record; a crash between the
 *                                            command's exit and DONE runs it again,
 *                                            docs/packages.md)
 *   notify_user              idempotent
 *   obtain_odj               idempotent      (a validated blob on disk is kept; the
 *                                            server gives the same bytes on retry)
 *   unjoin_domain            check-then-act  query_join: not in an AD domain; and it
 *                                            runs only when odj_ready says a validated
 *                                            blob is on disk (the engine asks first)
 *   leave_entra              check-then-act  query_join: not Entra-joined
 *   import_odj               check-then-act  query_join: joined to the target
 *   reacl_paths              idempotent      (translating translated ACEs is a no-op)
 *   reacl_registry_hives     idempotent      (same)
 *   remap_profile            idempotent      (sets the ProfileList entry)
 *   reset_apps               idempotent
 * The profile ops act on one local profile each (struct ferry_profile):
 * the engine plans them once per profile the identity mapping migrates.
 *   uninstall_agent          idempotent      (schedules the MSI removal)
 *   reboot                   check-then-act  boot_id differs from the one journaled
 *   report_event             idempotent      (the server de-duplicates by sequence)
 */
#ifndef FERRY_ENGINE_PLATFORM_H
#define FERRY_ENGINE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbook/runbook.h"
#include "runbook/schedule.h"
#include "util/err.h"
#include "ux/logon_outcome.h"

struct ferry_secret;

/* What query_join reports. */
struct ferry_join_state {
	char ad_domain[256]; /* DNS name of the AD domain (or the pending ODJ join); "" if none */
	bool entra_joined;
};

/* One local profile the identity mapping migrates (net/idmap.h): its owner's
 * SID in the source domain, whose ProfileList entry exists on this PC, and
 * the same user's SID in the target domain. Text, S-1-5-21-... */
struct ferry_profile {
	const char *source_sid;
	const char *target_sid;
};

struct ferry_platform {
	void *ctx;

	/* --- effects ------------------------------------------------------ */
	/* Make sure the primary user's target credentials are cached (prompting
	 * through the tile or notifier and logging on interactively);
	 * FERRY_EBUSY while the user has not answered. */
	ferry_err (*cache_credentials)(void *ctx);
	ferry_err (*create_fallback_account)(void *ctx, const char *username);
	ferry_err (*delete_fallback_account)(void *ctx, const char *username);
	/* image_path NULL = Ferry's default migration image. */
	ferry_err (*set_lock_screen)(void *ctx, const char *image_path);
	ferry_err (*restore_lock_screen)(void *ctx);
	ferry_err (*set_legal_notice)(void *ctx, const char *caption, const char *text);
	ferry_err (*restore_legal_notice)(void *ctx);
	/* Write PreventLoginUntil = until (Unix seconds; the op converts to FILETIME). */
	ferry_err (*set_prevent_login)(void *ctx, int64_t until);
	ferry_err (*clear_prevent_login)(void *ctx);
	ferry_err (*run_command_package)(void *ctx, const char *package_id);
	ferry_err (*notify_user)(void *ctx, enum schedule_experience experience);
	/* NetUnjoinDomain from the source domain. */
	ferry_err (*unjoin_domain)(void *ctx);
	/* dsregcmd /leave. */
	ferry_err (*leave_entra)(void *ctx);
	/* Obtain the sealed ODJ blob for this device (the migration server, for
	 * the runbook's domain and computer_ou, which may be NULL), validate it
	 * (this machine, `domain`) and keep it on disk in its sealed form for
	 * import_odj. FERRY_EBUSY while the server has not provisioned it yet. A
	 * rehearsal obtains it without any side effect (docs/protocol.md). */
	ferry_err (*obtain_odj)(void *ctx, const char *domain, const char *computer_ou);
	/* Import the blob obtain_odj kept (validated again: this machine, this
	 * domain) with NetRequestOfflineDomainJoin; the blob on disk is deleted
	 * after the import, whether it succeeded or failed (a failed import
	 * obtains it again from the server on its retry). */
	ferry_err (*import_odj)(void *ctx, const char *domain, const char *computer_ou);
	/* Rewrite source SIDs to target SIDs (the whole mapping) in the given
	 * paths (profile NULL), or in one profile's folder (paths empty). */
	ferry_err (*reacl_paths)(void *ctx, enum rb_perm_mode mode, const char *const *paths,
				 size_t n, const struct ferry_profile *profile);
	/* Same for the profile's NTUSER.DAT and UsrClass.dat. */
	ferry_err (*reacl_registry_hives)(void *ctx, enum rb_perm_mode mode,
					  const struct ferry_profile *profile);
	/* ProfileList: the target SID gets the profile's folder. */
	ferry_err (*remap_profile)(void *ctx, const struct ferry_profile *profile);
	/* RB_APP_* bits, in the profile's hive and folders. */
	ferry_err (*reset_apps)(void *ctx, unsigned apps, const struct ferry_profile *profile);
	ferry_err (*uninstall_agent)(void *ctx);
	/* Request a restart; returns once it is scheduled. */
	ferry_err (*reboot)(void *ctx);
	/* An event for the server (and the event log). Never carries a secret. */
	ferry_err (*report_event)(void *ctx, const char *event, const char *reason);

	/* --- the logon check of cache_credentials ------------------------------
	 * Not an engine step: the pipe's cache_credentials op calls it with what
	 * the user typed. An interactive logon as user@domain so Windows keeps a
	 * cached logon; *out receives the DC's answer (core/ux/logon_outcome.h).
	 * Takes ownership of `password` and frees it, wiped, on every path. An
	 * error only when the attempt itself could not be made. */
	ferry_err (*check_logon)(void *ctx, const char *user, const char *domain,
				 struct ferry_secret *password, enum logon_outcome *out);

	/* --- checks for the check-then-act ops ------------------------------ */
	ferry_err (*query_join)(void *ctx, struct ferry_join_state *out);
	/* unjoin_domain's guard: *ready when a sealed blob on disk opens and
	 * validates for this machine and `domain`. */
	ferry_err (*odj_ready)(void *ctx, const char *domain, bool *ready);
	ferry_err (*account_exists)(void *ctx, const char *username, bool *exists);
	/* A value that changes at every boot (on Windows, from the boot count). */
	ferry_err (*boot_id)(void *ctx, uint64_t *out);

	/* --- clock ---------------------------------------------------------- */
	/* Unix seconds, UTC. */
	int64_t (*now)(void *ctx);

	/* --- durable storage --------------------------------------------------
	 * Named byte files in the service's state folder. storage_read gives a
	 * copy the caller frees with ferry_free, FERRY_ENOTFOUND if absent.
	 * storage_append adds bytes at the end (creating the file); bytes are
	 * durable only after storage_sync. storage_replace atomically replaces
	 * the whole file (write a temporary, flush, rename over) and is durable
	 * when it returns: after a crash the file holds either the old or the
	 * new contents, never a mix. */
	ferry_err (*storage_read)(void *ctx, const char *name, uint8_t **data, size_t *len);
	ferry_err (*storage_append)(void *ctx, const char *name, const uint8_t *data, size_t len);
	ferry_err (*storage_replace)(void *ctx, const char *name, const uint8_t *data, size_t len);
	ferry_err (*storage_sync)(void *ctx, const char *name);
};

#endif
