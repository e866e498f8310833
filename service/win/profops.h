/*
 * The Windows profile ops behind struct ferry_platform: ReACL of files and
 * registry hives, the ProfileList remap and its rollback, and app
 * reconfiguration. service/svc/svc_platform.c binds them to the engine.
 */
#ifndef FERRY_SVC_PROFOPS_H
#define FERRY_SVC_PROFOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/platform.h"
#include "runbook/runbook.h"
#include "sec/table.h"
#include "util/err.h"

/* Whose profile is migrated, and with which table (the identity mapping's).
 * Borrowed pointers. */
struct win_profile_ctx {
	const struct sec_table *table;
	const char *source_sid;   /* S-1-5-21-... of the profile's owner in the source
				   * domain; NULL for win_reacl_paths of paths only */
	const char *target_sid;   /* the same user in the target domain */
	/* Checkpoints (per-directory resume) are kept through the platform's
	 * durable storage: storage_read / storage_replace. */
	const struct ferry_platform *store;
};

struct win_reacl_counts {
	uint64_t seen, changed, failed, skipped_reparse;
};

/**
 * ReACL each path (environment variables expanded) and, with
 * profile_folders, the profile owner's folder (pc->source_sid; NULL without
 * profile_folders). Resumes from its checkpoint after a reboot. `counts` may
 * be NULL.
 */
ferry_err win_reacl_paths(const struct win_profile_ctx *pc, enum rb_perm_mode mode,
			  const char *const *paths, size_t n, bool profile_folders,
			  struct win_reacl_counts *counts);

/** NTUSER.DAT and UsrClass.dat, loaded under HKU\Ferry_<sid>, always unloaded. */
ferry_err win_reacl_hives(const struct win_profile_ctx *pc, enum rb_perm_mode mode,
			  struct win_reacl_counts *counts);

/** ProfileList\<source> copied to <target> (Sid = target), source backed up. */
ferry_err win_profile_remap(const struct win_profile_ctx *pc);

/** RB_APP_* resets in the migrated user's hive and folders, each backed up first. */
ferry_err win_apps_reset(const struct win_profile_ctx *pc, unsigned apps);

#define WIN_PROFILE_LIST_MAX 4096u

/**
 * The SIDs (text) of HKLM\...\ProfileList's subkeys: every local profile,
 * the well-known ones included (net/idmap.h's idmap_profiles sorts them).
 * At most WIN_PROFILE_LIST_MAX. Free with win_profile_list_free.
 */
ferry_err win_profile_list_sids(char ***out, size_t *n);
void win_profile_list_free(char **v, size_t n);

/* LogonUI's record of the last user to log on (what its tile shows first). */
#define WIN_LOGONUI_KEY L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\LogonUI"

/** LastLoggedOnUserSID into out[cap]; "" when Windows has none. */
ferry_err win_last_logged_on_sid(char *out, size_t cap);

/** Undo win_profile_remap and win_apps_reset from their backups. */
ferry_err win_profile_rollback(const char *source_sid);

#endif
