/* core/ux/pwgen: the fallback account's password policy, with scripted
 * random sources standing in for BCryptGenRandom. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ux/pwgen.h"

/* xorshift64: deterministic, good enough to cover the alphabet. */
static ferry_err xorshift(void *ctx, uint8_t *buf, size_t len)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		buf[i] = (uint8_t)(*s >> 32);
	}
	return 0;
}

static ferry_err constant(void *ctx, uint8_t *buf, size_t len)
{
	memset(buf, *(const uint8_t *)ctx, len);
	return 0;
}

static ferry_err failing(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return ferry_error_set(FERRY_ESYSTEM, "BCryptGenRandom failed (scripted)");
}

static void test_pwgen__meets_policy_over_many_seeds(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2000; seed++) {
		struct ferry_secret *pw = NULL;
		uint64_t s = seed * 0x9E3779B97F4A7C15ull;
		assert_int_equal(pwgen_generate(&pw, PWGEN_MIN_LENGTH, xorshift, &s), 0);
		assert_int_equal(pw->len, PWGEN_MIN_LENGTH);
		assert_int_equal(strlen((const char *)pw->data), PWGEN_MIN_LENGTH);
		assert_true(pwgen_meets_policy((const char *)pw->data, pw->len));
		ferry_secret_free(pw);
	}
}

static void test_pwgen__uses_the_whole_alphabet(void **state)
{
	int seen[256] = { 0 };
	size_t distinct = 0;
	uint64_t s = 42;
	(void)state;
	for (int i = 0; i < 200; i++) {
		struct ferry_secret *pw = NULL;
		assert_int_equal(pwgen_generate(&pw, PWGEN_DEFAULT_LENGTH, xorshift, &s), 0);
		for (size_t j = 0; j < pw->len; j++)
			seen[pw->data[j]] = 1;
		ferry_secret_free(pw);
	}
	for (int c = 0; c < 256; c++)
		distinct += (size_t)seen[c];
	assert_int_equal(distinct, 64);
	assert_false(seen['I'] || seen['O'] || seen['l'] || seen['o'] || seen['0'] || seen['1']);
	assert_false(seen['"'] || seen['\''] || seen['\\'] || seen[' ']);
}

static void test_pwgen__refuses_short_and_long(void **state)
{
	struct ferry_secret *pw = NULL;
	uint64_t s = 7;
	(void)state;
	assert_int_equal(pwgen_generate(&pw, PWGEN_MIN_LENGTH - 1, xorshift, &s), FERRY_EINVAL);
	assert_null(pw);
	assert_int_equal(pwgen_generate(&pw, PWGEN_MAX_LENGTH + 1, xorshift, &s), FERRY_EINVAL);
	assert_null(pw);
}

static void test_pwgen__constant_source_is_refused(void **state)
{
	struct ferry_secret *pw = NULL;
	uint8_t byte = 0; /* always 'A': never all four classes */
	(void)state;
	assert_int_equal(pwgen_generate(&pw, PWGEN_MIN_LENGTH, constant, &byte), FERRY_ERANGE);
	assert_null(pw);
	assert_non_null(strstr(ferry_error_detail(), "not random"));
}

static void test_pwgen__source_failure_propagates(void **state)
{
	struct ferry_secret *pw = NULL;
	(void)state;
	assert_int_equal(pwgen_generate(&pw, PWGEN_MIN_LENGTH, failing, NULL), FERRY_ESYSTEM);
	assert_null(pw);
	assert_non_null(strstr(ferry_error_detail(), "BCryptGenRandom"));
}

static void test_pwgen__policy_check(void **state)
{
	(void)state;
	assert_true(pwgen_meets_policy("Abcdefghijk23456789#x", 21));
	assert_false(pwgen_meets_policy("abcdefghijk23456789#x", 21));  /* no upper */
	assert_false(pwgen_meets_policy("Abcdefghijkmnpqrstuv#", 21));  /* no digit */
	assert_false(pwgen_meets_policy("Abcdefghijk234567890x", 21));  /* no symbol, has 0 */
	assert_false(pwgen_meets_policy("Ab2#", 4));                    /* short */
	assert_false(pwgen_meets_policy("Abcdefghijk23456789# ", 21));  /* space */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pwgen__meets_policy_over_many_seeds),
		cmocka_unit_test(test_pwgen__uses_the_whole_alphabet),
		cmocka_unit_test(test_pwgen__refuses_short_and_long),
		cmocka_unit_test(test_pwgen__constant_source_is_refused),
		cmocka_unit_test(test_pwgen__source_failure_propagates),
		cmocka_unit_test(test_pwgen__policy_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
