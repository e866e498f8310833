/*
 * Random passwords for the break-glass (fallback) account.
 *
 * The policy is pure and portable; the randomness is injected, so the
 * service passes BCryptGenRandom and the tests pass a scripted source.
 * Policy: PWGEN_MIN_LENGTH..PWGEN_MAX_LENGTH characters drawn uniformly
 * (rejection sampling, no modulo bias) from an alphabet without look-alike
 * characters (no I, O, l, o, 0, 1) and without quotes, backslash or space,
 * so helpdesk staff can read it aloud and type it; at least one character
 * of each class (upper, lower, digit, symbol), which satisfies Windows'
 * complexity policy (3 of 4 classes). A draw missing a class is discarded
 * whole and redrawn, so every accepted password is uniform over the
 * passwords that meet the policy.
 */
#ifndef FERRY_UX_PWGEN_H
#define FERRY_UX_PWGEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"

#define PWGEN_MIN_LENGTH 20u
#define PWGEN_MAX_LENGTH 127u /* NetUserAdd's LM-free limit is 256; keep it typeable */
#define PWGEN_DEFAULT_LENGTH 24u

/** Fill buf[0..len) with random bytes; 0 or a ferry_err (detail set). */
typedef ferry_err (*pwgen_random_fn)(void *ctx, uint8_t *buf, size_t len);

/**
 * Generate a password of `length` characters into a new secret (text,
 * NUL-terminated) the caller frees with ferry_secret_free. FERRY_EINVAL for
 * a length outside the policy; the random source's error as is; FERRY_ERANGE
 * when the source keeps producing unusable bytes (a broken source is
 * refused rather than trusted).
 */
ferry_err pwgen_generate(struct ferry_secret **out, size_t length, pwgen_random_fn rnd, void *ctx);

/** Whether text[0..len) meets the policy (length, alphabet, every class). */
int pwgen_meets_policy(const char *text, size_t len);

#endif
