/*
 * Placeholders in texts shown to users: "{name}" is replaced when the text is
 * shown; "{{" and "}}" stand for literal braces. The set of names is closed,
 * so a misspelt placeholder is a validation error rather than a user seeing
 * "{targt_user}" on their lock screen.
 */
#ifndef FERRY_RUNBOOK_PLACEHOLDER_H
#define FERRY_RUNBOOK_PLACEHOLDER_H

#include <stddef.h>

#include "util/err.h"

/* NULL-terminated list of the known placeholder names. */
extern const char *const placeholder_names[];

/**
 * Check every placeholder in `text`. On a problem returns FERRY_ECORRUPT and
 * writes a one-line reason (with the byte offset) into why[whylen].
 */
ferry_err placeholder_check(const char *text, char *why, size_t whylen);

#endif
