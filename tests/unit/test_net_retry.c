/* core/net/retry: poll interval, backoff with jitter, Retry-After, offline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/retry.h"

static void test_net__poll_interval_defaults_and_clamps(void **state)
{
	(void)state;
	assert_int_equal(net_poll_interval(0), 900);
	assert_int_equal(net_poll_interval(5), NET_POLL_MIN_S);
	assert_int_equal(net_poll_interval(600), 600);
	assert_int_equal(net_poll_interval(10u * 86400u), NET_POLL_MAX_S);
}

static void test_net__backoff_doubles_within_jitter_and_caps(void **state)
{
	(void)state;
	/* rnd = 0 gives the floor (1 s), rnd = max gives the ceiling. */
	for (unsigned f = 1; f <= 40; f++) {
		uint32_t ceiling = 5u << (f - 1 > 20 ? 20 : f - 1);
		if (ceiling > 3600 || f > 20)
			ceiling = 3600;
		assert_int_equal(net_backoff_s(f, 5, 3600, 0), 1);
		assert_int_equal(net_backoff_s(f, 5, 3600, ceiling - 1), ceiling);
		assert_true(net_backoff_s(f, 5, 3600, 0xffffffffu) <= 3600);
	}
	assert_int_equal(net_backoff_s(0, 5, 3600, 7), 0);
}

static void test_net__retry_after_seconds_and_date(void **state)
{
	uint32_t s = 1;
	(void)state;
	assert_int_equal(net_retry_after_parse(&s, "120", 0), FERRY_OK);
	assert_int_equal(s, 120);
	assert_int_equal(net_retry_after_parse(&s, "99999999999", 0), FERRY_OK);
	assert_int_equal(s, NET_RETRY_AFTER_MAX_S);
	/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example). */
	assert_int_equal(net_retry_after_parse(&s, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30),
			 FERRY_OK);
	assert_int_equal(s, 30);
	assert_int_equal(net_retry_after_parse(&s, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 5),
			 FERRY_OK);
	assert_int_equal(s, 0);
}

static void test_net__retry_after_refuses_garbage(void **state)
{
	uint32_t s;
	(void)state;
	assert_int_equal(net_retry_after_parse(&s, "", 0), FERRY_ECORRUPT);
	assert_int_equal(net_retry_after_parse(&s, "12x", 0), FERRY_ECORRUPT);
	assert_int_equal(net_retry_after_parse(&s, "-5", 0), FERRY_ECORRUPT);
	assert_int_equal(net_retry_after_parse(&s, "Sun, 06 Nov 1994 08:49:37 UTC", 0),
			 FERRY_ECORRUPT);
	assert_int_equal(net_retry_after_parse(&s, "Sun, 06 Foo 1994 08:49:37 GMT", 0),
			 FERRY_ECORRUPT);
}

static void test_net__next_wait_success_is_poll_interval_jittered(void **state)
{
	(void)state;
	assert_int_equal(net_next_wait_s(NET_OUTCOME_OK, 0, 0, 0, 0), 810);
	assert_int_equal(net_next_wait_s(NET_OUTCOME_OK, 0, 0, 0, 180), 990);
	for (uint32_t r = 0; r < 1000; r += 7) {
		uint32_t w = net_next_wait_s(NET_OUTCOME_OK, 0, 600, 0, r);
		assert_true(w >= 540 && w <= 660);
	}
}

static void test_net__next_wait_failure_honours_retry_after(void **state)
{
	(void)state;
	/* Backoff alone after the first failure is in [1, 5]. */
	assert_true(net_next_wait_s(NET_OUTCOME_TRANSIENT, 1, 900, 0, 12345) <= 5);
	/* The server's Retry-After wins when it is longer than the backoff. */
	assert_int_equal(net_next_wait_s(NET_OUTCOME_TRANSIENT, 1, 900, 300, 12345), 300);
	/* A short Retry-After does not shorten a long backoff. */
	assert_true(net_next_wait_s(NET_OUTCOME_TRANSIENT, 12, 900, 2, 3599) > 2);
}

static void test_net__offline_after_grace_without_success(void **state)
{
	(void)state;
	assert_false(net_is_offline(1000, 1000, 0));
	assert_false(net_is_offline(1000 + NET_OFFLINE_AFTER_S - 1, 1000, 3));
	assert_true(net_is_offline(1000 + NET_OFFLINE_AFTER_S, 1000, 3));
	assert_false(net_is_offline(1000 + 10 * NET_OFFLINE_AFTER_S, 1000, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net__poll_interval_defaults_and_clamps),
		cmocka_unit_test(test_net__backoff_doubles_within_jitter_and_caps),
		cmocka_unit_test(test_net__retry_after_seconds_and_date),
		cmocka_unit_test(test_net__retry_after_refuses_garbage),
		cmocka_unit_test(test_net__next_wait_success_is_poll_interval_jittered),
		cmocka_unit_test(test_net__next_wait_failure_honours_retry_after),
		cmocka_unit_test(test_net__offline_after_grace_without_success),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
