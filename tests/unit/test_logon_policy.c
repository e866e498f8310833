/* core/ux/logon_policy: the logon screen's rules (issue 16), natively. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ux/logon_policy.h"

static struct filter_inputs all_true(void)
{
	struct filter_inputs in = { .logon = true, .lease_held = true, .ferry_present = true,
				    .ferry_allowed = true, .fallback_exists = true };
	return in;
}

/* Hiding needs every input; dropping any one of them shows everything. */
static void test_logon_policy__filter_hides_only_when_all_hold(void **state)
{
	struct filter_inputs in = all_true();
	bool *flags[] = { &in.logon, &in.lease_held, &in.ferry_present, &in.ferry_allowed,
			  &in.fallback_exists };
	const char *why = NULL;

	(void)state;
	assert_int_equal(filter_decide(&in, &why), FILTER_HIDE_OTHERS);
	assert_non_null(why);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		in = all_true();
		*flags[i] = false;
		assert_int_equal(filter_decide(&in, &why), FILTER_SHOW_ALL);
		assert_non_null(why);
	}
	assert_int_equal(filter_decide(NULL, NULL), FILTER_SHOW_ALL);
}

/* Unlock never hides: the locked user's own provider must stay. */
static void test_logon_policy__filter_never_hides_at_unlock(void **state)
{
	struct filter_inputs in = all_true();
	const char *why = NULL;

	(void)state;
	in.logon = false;
	assert_int_equal(filter_decide(&in, &why), FILTER_SHOW_ALL);
	assert_non_null(strstr(why, "unlock"));
}

static void test_logon_policy__expected_account_forms(void **state)
{
	struct cache_account a;

	(void)state;
	assert_int_equal(cache_account_expected(&a, "TARGET\\jdoe", "target.example"), FERRY_OK);
	assert_string_equal(a.user, "jdoe");
	assert_string_equal(a.domain, "TARGET");
	assert_false(a.upn);
	assert_int_equal(cache_account_expected(&a, "target.example\\jdoe", "target.example"),
			 FERRY_OK);
	assert_string_equal(a.domain, "target.example");
	/* A UPN with an alternate suffix: whole, no domain (LogonUser wants NULL). */
	assert_int_equal(cache_account_expected(&a, "jdoe@alt.example", "target.example"), FERRY_OK);
	assert_string_equal(a.user, "jdoe@alt.example");
	assert_string_equal(a.domain, "");
	assert_true(a.upn);
	/* A bare name is in the target domain. */
	assert_int_equal(cache_account_expected(&a, "jdoe", "target.example"), FERRY_OK);
	assert_string_equal(a.user, "jdoe");
	assert_string_equal(a.domain, "target.example");
}

static void test_logon_policy__expected_account_refuses_other_domains(void **state)
{
	struct cache_account a;

	(void)state;
	assert_int_equal(cache_account_expected(&a, "CORP\\alice", "target.example"), FERRY_EINVAL);
	assert_null(strstr(ferry_error_detail(), "alice"));
	assert_string_equal(a.user, "");
	assert_int_equal(cache_account_expected(&a, "", "target.example"), FERRY_EINVAL);
	assert_int_equal(cache_account_expected(&a, NULL, "target.example"), FERRY_EINVAL);
	assert_int_equal(cache_account_expected(&a, "jdoe", ""), FERRY_EINVAL);
	assert_int_equal(cache_account_expected(&a, "\\jdoe", "target.example"), FERRY_EINVAL);
	assert_int_equal(cache_account_expected(&a, "a/b", "target.example"), FERRY_EINVAL);
}

static void test_logon_policy__request_must_name_the_expected_account(void **state)
{
	struct cache_account a;

	(void)state;
	assert_int_equal(cache_account_expected(&a, "TARGET\\jdoe", "target.example"), FERRY_OK);
	assert_true(cache_account_matches(&a, "JDOE", "target"));
	assert_false(cache_account_matches(&a, "jdoe", "CORP"));      /* old credentials */
	assert_false(cache_account_matches(&a, "alice", "TARGET"));   /* someone else */
	assert_false(cache_account_matches(&a, "jdoe@target.example", ""));
	assert_int_equal(cache_account_expected(&a, "jdoe@alt.example", "target.example"), FERRY_OK);
	assert_true(cache_account_matches(&a, "jdoe@ALT.example", ""));
	assert_false(cache_account_matches(&a, "jdoe@alt.example", "TARGET"));
	assert_false(cache_account_matches(&a, "jdoe@corp.example", ""));
	assert_false(cache_account_matches(NULL, "jdoe", "TARGET"));
}

static void test_logon_policy__shown_account_parses_back(void **state)
{
	struct cache_account a;

	(void)state;
	assert_int_equal(cache_account_parse(&a, "TARGET\\jdoe"), FERRY_OK);
	assert_string_equal(a.user, "jdoe");
	assert_string_equal(a.domain, "TARGET");
	assert_int_equal(cache_account_parse(&a, "jdoe@alt.example"), FERRY_OK);
	assert_string_equal(a.user, "jdoe@alt.example");
	assert_string_equal(a.domain, "");
	assert_true(a.upn);
	assert_int_equal(cache_account_parse(&a, ""), FERRY_EINVAL);
	assert_int_equal(cache_account_parse(&a, "jdoe"), FERRY_EINVAL);
	assert_string_equal(a.user, "");
}

static void test_logon_policy__cached_count_parse(void **state)
{
	uint32_t n = 99;

	(void)state;
	assert_int_equal(logon_cached_count_parse(&n, NULL), FERRY_OK);
	assert_int_equal(n, LOGON_CACHED_COUNT_DEFAULT);
	assert_int_equal(logon_cached_count_parse(&n, "0"), FERRY_OK);
	assert_int_equal(n, 0);
	assert_int_equal(logon_cached_count_parse(&n, "25"), FERRY_OK);
	assert_int_equal(n, 25);
	assert_int_equal(logon_cached_count_parse(&n, "99999999999999999999"), FERRY_OK);
	assert_int_equal(n, LOGON_CACHED_COUNT_MAX);
	assert_int_equal(logon_cached_count_parse(&n, "1x"), FERRY_ECORRUPT);
	assert_int_equal(n, 0);
	assert_int_equal(logon_cached_count_parse(&n, ""), FERRY_ECORRUPT);
	assert_int_equal(logon_cached_count_parse(&n, "-1"), FERRY_ECORRUPT);
}

static void test_logon_policy__protected_users_sid(void **state)
{
	(void)state;
	assert_true(logon_sid_is_protected_users("S-1-5-21-1004336348-1177238915-682003330-525"));
	assert_false(logon_sid_is_protected_users("S-1-5-21-1004336348-1177238915-682003330-513"));
	assert_false(logon_sid_is_protected_users("S-1-5-32-525"));
	assert_false(logon_sid_is_protected_users("S-1-5-21-1-2-525"));
	assert_false(logon_sid_is_protected_users("garbage"));
	assert_false(logon_sid_is_protected_users(NULL));
}

/* "Cached" only when Windows keeps a verifier; other outcomes pass through. */
static void test_logon_policy__verdict_says_cached_only_when_it_is(void **state)
{
	(void)state;
	assert_int_equal(logon_cache_verdict(LOGON_OUTCOME_OK, 10, false), LOGON_OUTCOME_OK);
	assert_int_equal(logon_cache_verdict(LOGON_OUTCOME_OK, 0, false),
			 LOGON_OUTCOME_NOT_CACHED_POLICY);
	assert_int_equal(logon_cache_verdict(LOGON_OUTCOME_OK, 10, true),
			 LOGON_OUTCOME_NOT_CACHED_PROTECTED);
	assert_int_equal(logon_cache_verdict(LOGON_OUTCOME_WRONG_PASSWORD, 0, true),
			 LOGON_OUTCOME_WRONG_PASSWORD);
	/* Each says what the admin must change. */
	assert_non_null(strstr(logon_outcome_text(LOGON_OUTCOME_NOT_CACHED_POLICY),
			       "CachedLogonsCount"));
	assert_non_null(strstr(logon_outcome_text(LOGON_OUTCOME_NOT_CACHED_PROTECTED),
			       "Protected Users"));
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_WRONG_ACCOUNT), "wrong_account");
}

static void test_logon_policy__ratelimit_backs_off_and_resets(void **state)
{
	struct logon_ratelimit rl = { 0 };
	uint64_t wait = 1, t = 1000;

	(void)state;
	for (unsigned i = 0; i < LOGON_RL_FREE; i++) {
		assert_true(logon_ratelimit_allow(&rl, t, &wait));
		logon_ratelimit_record(&rl, t, LOGON_OUTCOME_WRONG_PASSWORD);
	}
	assert_true(logon_ratelimit_allow(&rl, t, &wait)); /* three are free */
	logon_ratelimit_record(&rl, t, LOGON_OUTCOME_WRONG_PASSWORD);
	assert_false(logon_ratelimit_allow(&rl, t + 1, &wait));
	assert_int_equal(wait, LOGON_RL_BASE_MS - 1);
	t += LOGON_RL_BASE_MS;
	assert_true(logon_ratelimit_allow(&rl, t, &wait));
	logon_ratelimit_record(&rl, t, LOGON_OUTCOME_WRONG_PASSWORD);
	assert_false(logon_ratelimit_allow(&rl, t + LOGON_RL_BASE_MS, &wait));
	assert_int_equal(wait, LOGON_RL_BASE_MS);
	for (int i = 0; i < 10; i++)
		logon_ratelimit_record(&rl, t, LOGON_OUTCOME_WRONG_PASSWORD);
	assert_false(logon_ratelimit_allow(&rl, t, &wait));
	assert_int_equal(wait, LOGON_RL_MAX_MS);
	/* No DC: no penalty, and the count stays. */
	logon_ratelimit_record(&rl, t, LOGON_OUTCOME_NO_SERVERS);
	assert_true(logon_ratelimit_allow(&rl, t, &wait));
	/* Locked: the longest wait. */
	logon_ratelimit_record(&rl, t, LOGON_OUTCOME_LOCKED);
	assert_false(logon_ratelimit_allow(&rl, t, &wait));
	assert_int_equal(wait, LOGON_RL_MAX_MS);
	/* Right password: the count starts again. */
	logon_ratelimit_record(&rl, t, LOGON_OUTCOME_OK);
	assert_int_equal(rl.failures, 0);
	assert_true(logon_ratelimit_allow(&rl, t, &wait));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logon_policy__filter_hides_only_when_all_hold),
		cmocka_unit_test(test_logon_policy__filter_never_hides_at_unlock),
		cmocka_unit_test(test_logon_policy__expected_account_forms),
		cmocka_unit_test(test_logon_policy__expected_account_refuses_other_domains),
		cmocka_unit_test(test_logon_policy__request_must_name_the_expected_account),
		cmocka_unit_test(test_logon_policy__shown_account_parses_back),
		cmocka_unit_test(test_logon_policy__cached_count_parse),
		cmocka_unit_test(test_logon_policy__protected_users_sid),
		cmocka_unit_test(test_logon_policy__verdict_says_cached_only_when_it_is),
		cmocka_unit_test(test_logon_policy__ratelimit_backs_off_and_resets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
