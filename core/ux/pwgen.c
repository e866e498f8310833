#include "ux/pwgen.h"

#include <string.h>

/* Classes in this order; their concatenation is the alphabet (64 chars). */
static const char upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";   /* 24: no I, O */
static const char lower[] = "abcdefghijkmnpqrstuvwxyz";   /* 24: no l, o */
static const char digit[] = "23456789";                   /* 8: no 0, 1 */
static const char symbol[] = "!#%+-=?@";                  /* 8: no quotes, \, space */

#define ALPHABET_LEN (sizeof upper - 1 + sizeof lower - 1 + sizeof digit - 1 + sizeof symbol - 1)
/* A byte is accepted when below the largest multiple of the alphabet size. */
#define ACCEPT_BELOW (256u - (256u % ALPHABET_LEN))
/* Whole-password redraws before the source is judged broken. A fair source
 * misses a class with probability < 0.12 per 20-char draw. */
#define MAX_ROUNDS 64u

static char alphabet_at(unsigned i)
{
	if (i < sizeof upper - 1)
		return upper[i];
	i -= (unsigned)(sizeof upper - 1);
	if (i < sizeof lower - 1)
		return lower[i];
	i -= (unsigned)(sizeof lower - 1);
	if (i < sizeof digit - 1)
		return digit[i];
	i -= (unsigned)(sizeof digit - 1);
	return symbol[i];
}

static int class_of(char c)
{
	if (c && memchr(upper, c, sizeof upper - 1))
		return 0;
	if (c && memchr(lower, c, sizeof lower - 1))
		return 1;
	if (c && memchr(digit, c, sizeof digit - 1))
		return 2;
	if (c && memchr(symbol, c, sizeof symbol - 1))
		return 3;
	return -1;
}

int pwgen_meets_policy(const char *text, size_t len)
{
	unsigned seen = 0;

	if (!text || len < PWGEN_MIN_LENGTH || len > PWGEN_MAX_LENGTH)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int c = class_of(text[i]);
		if (c < 0)
			return 0;
		seen |= 1u << c;
	}
	return seen == 0xFu;
}

/* One draw of `length` characters; FERRY_ERANGE when the source's bytes are
 * rejected far more often than a fair source's could be. */
static ferry_err draw(char *pw, size_t length, pwgen_random_fn rnd, void *ctx)
{
	uint8_t pool[64];
	size_t got = 0, tries = 0;
	ferry_err rc = 0;

	while (got < length) {
		if (++tries > 16u) {
			rc = ferry_error_set(FERRY_ERANGE,
					     "password generator: the random source keeps giving unusable bytes");
			goto out;
		}
		rc = rnd(ctx, pool, sizeof pool);
		if (rc)
			goto out;
		for (size_t i = 0; i < sizeof pool && got < length; i++) {
			unsigned b = pool[i];
			if (b < ACCEPT_BELOW) /* all bytes while the alphabet has 64 characters */
				pw[got++] = alphabet_at(b % (unsigned)ALPHABET_LEN);
		}
	}
out:
	ferry_wipe(pool, sizeof pool);
	return rc;
}

ferry_err pwgen_generate(struct ferry_secret **out, size_t length, pwgen_random_fn rnd, void *ctx)
{
	struct ferry_secret *s = NULL;
	ferry_err rc;

	if (!out)
		return ferry_error_set(FERRY_EINVAL, "pwgen_generate: missing output");
	*out = NULL;
	if (!rnd)
		return ferry_error_set(FERRY_EINVAL, "pwgen_generate: missing random source");
	if (length < PWGEN_MIN_LENGTH || length > PWGEN_MAX_LENGTH)
		return ferry_error_set(FERRY_EINVAL, "password length %zu outside %u..%u", length,
				       PWGEN_MIN_LENGTH, PWGEN_MAX_LENGTH);
	rc = ferry_secret_new(&s, length);
	if (rc)
		return rc;
	for (unsigned round = 0; round < MAX_ROUNDS; round++) {
		rc = draw((char *)s->data, length, rnd, ctx);
		if (rc)
			goto fail;
		if (pwgen_meets_policy((const char *)s->data, length)) {
			*out = s;
			return 0;
		}
	}
	rc = ferry_error_set(FERRY_ERANGE,
			     "password generator: %u draws in a row missed a character class; "
			     "the random source is not random", MAX_ROUNDS);
fail:
	ferry_secret_free(s);
	return rc;
}
