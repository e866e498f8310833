/* RFC 3339 timestamps <-> Unix seconds (UTC). No clock, no locale, no libc time zone. */
#ifndef FERRY_RUNBOOK_RFC3339_H
#define FERRY_RUNBOOK_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* "YYYY-MM-DDTHH:MM:SSZ" plus NUL. */
#define RFC3339_BUF 21

/**
 * Parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (T/Z either case)
 * into Unix seconds; fractions are truncated. Years 1970-9999. Leap seconds
 * (":60") are refused. FERRY_ECORRUPT with a detail naming what is wrong.
 */
ferry_err rfc3339_parse(int64_t *out, const char *s);

/** Format Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into buf[RFC3339_BUF]. */
ferry_err rfc3339_format(char buf[RFC3339_BUF], int64_t t);

#endif
