/*
 * The lock-screen image and the legal notice (ferrylock). Each set saves
 * what was there before (including its absence) once, before the first
 * change; restore puts back exactly that. Called by the service's platform
 * ops (set/restore_lock_screen, set/restore_legal_notice).
 */
#ifndef FERRY_LOCK_H
#define FERRY_LOCK_H

#include "util/err.h"

/**
 * Compose `caption` onto the migration image (image_path, UTF-8; NULL =
 * Ferry's default), write it under %ProgramData%\Ferry\lockscreen\ and point
 * the PersonalizationCSP values at it.
 */
ferry_err lock_screen_set(const char *image_path, const char *caption);
ferry_err lock_screen_restore(void);

/** legalnoticecaption / legalnoticetext under Policies\System. */
ferry_err lock_legal_set(const char *caption, const char *text);
ferry_err lock_legal_restore(void);

#endif
