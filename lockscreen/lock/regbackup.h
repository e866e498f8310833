/*
 * Save-once / restore-exactly for a few registry values (the lock-screen
 * CSP values and the legal notice). Internal to ferrylock.
 *
 * Layout of one backup, named B (e.g. "LockScreen"), under HKLM:
 *
 *   SOFTWARE\Ferry\Backup            value B   REG_DWORD  the commit marker:
 *                                                1 = the target key existed,
 *                                                2 = it did not
 *   SOFTWARE\Ferry\Backup\B          value N   a copy of value N of the
 *                                              target key, same type, same
 *                                              bytes, for every N that existed
 *
 * Invariants:
 *  1. The marker is written only after the mirror key holds every value and
 *     has been flushed; a mirror without a marker is a torn save and is
 *     discarded by the next save.
 *  2. While the marker exists, save does nothing: the first state before
 *     Ferry's change is the one kept, however often set runs.
 *  3. A name listed in the set but absent from a committed mirror means
 *     "was absent": restore deletes it.
 *  4. Restore writes every value back, then deletes the marker, then the
 *     mirror, so a crash anywhere in restore leaves a restore that can be
 *     run again with the same result (idempotent), and a restore without a
 *     marker does nothing.
 */
#ifndef FERRY_LOCK_REGBACKUP_H
#define FERRY_LOCK_REGBACKUP_H

#include <windows.h>

#include "util/err.h"

#define LOCK_BACKUP_ROOT L"SOFTWARE\\Ferry\\Backup"

struct lock_reg_set {
	const wchar_t *key;           /* the target key under HKLM */
	const wchar_t *const *names;  /* its values Ferry changes, NULL-terminated */
	const wchar_t *backup;        /* B, the backup's name */
};

/** Save the current values once (invariant 2). */
ferry_err lock_backup_save(const struct lock_reg_set *s);

/** Put the saved values back and forget the backup; no backup = no-op. */
ferry_err lock_backup_restore(const struct lock_reg_set *s);

/** 1 when a committed backup exists, 0 when not. */
int lock_backup_committed(const struct lock_reg_set *s);

#endif
