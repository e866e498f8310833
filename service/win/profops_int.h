/*
 * Helpers shared by the profile ops (reacl_files.c, reacl_hives.c,
 * profile_list.c, app_reset.c): privileges, UTF-8/UTF-16, the source user's
 * profile folder, the user's hive loaded under HKU, the backup registry
 * key and the log line. Internal to service/win.
 */
#ifndef FERRY_SVC_PROFOPS_INT_H
#define FERRY_SVC_PROFOPS_INT_H

/* Core headers first: they define SID_REVISION, SE_* and ACL_REVISION as
 * Windows does, and <windows.h> (a system header) may then repeat them
 * quietly; the other order is a redefinition error. */
#include "sec/translate.h"
#include "sec/walk.h"
#include "util/err.h"
#include "win/profops.h"

#include <windows.h>

#include <stdbool.h>

#define WIN_PROFILE_LIST L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList"
/* HKLM\SOFTWARE\Ferry\Backup\<source SID>: what rollback restores. */
#define WIN_BACKUP_ROOT L"SOFTWARE\\Ferry\\Backup"

/** One log line (printf-style, UTF-8, never a secret). */
void win_plog(const char *fmt, ...) FERRY_PRINTF(1, 2);

/** Enable each named privilege the token holds; names the first that fails. */
ferry_err win_enable_privileges(const wchar_t *const *names, size_t n, bool *all_enabled);

/** UTF-8 -> new wide string (ferry_free). */
ferry_err win_wide(wchar_t **out, const char *s);
/** Wide -> new UTF-8 string (ferry_free). */
ferry_err win_utf8(char **out, const wchar_t *w);

/** The SID string must look like a SID (S-1-...) and hold no backslash. */
ferry_err win_check_sid(const char *sid);

/** ProfileList\<sid>\ProfileImagePath, environment expanded (ferry_free). */
ferry_err win_profile_dir(wchar_t **out, const char *sid);

/*
 * The user's hive. Loaded with RegLoadKeyW under HKU\Ferry_<sid> (or
 * HKU\Ferry_<sid>_Classes) unless a hive is already there or the user is
 * logged on (HKU\<sid>): then that one is used and left as it is. Only what
 * win_hive_open loaded is unloaded by win_hive_close.
 */
struct win_hive {
	HKEY root;            /* the hive's root key */
	wchar_t name[200];    /* its name under HKU */
	bool loaded_by_us;
};

/** classes: UsrClass.dat instead of NTUSER.DAT. FERRY_ENOTFOUND if the file is absent. */
ferry_err win_hive_open(struct win_hive *h, const char *sid, bool classes);
/** Close the key and unload what we loaded (always tried; logs a failure). */
ferry_err win_hive_close(struct win_hive *h);

/** The runbook's permission mode as the engine's; RB_PERM_NONE is FERRY_EINVAL. */
ferry_err win_reacl_mode(enum sd_mode *out, enum rb_perm_mode mode);

/** Undo the app resets of win_apps_reset (app_reset.c); part of win_profile_rollback. */
ferry_err win_apps_rollback(const char *source_sid);

/** Recursive size of a key: subkeys, values and value bytes. */
void win_key_stats(HKEY k, unsigned long long *keys, unsigned long long *values,
		   unsigned long long *bytes);

#endif
