/* core/sec/account: the account-name grammar the tile and the service share,
 * and who is being migrated (the translation table's target names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sec/account.h"
#include "sec/table.h"
#include "util/err.h"

static void test_sec_account__splits_netbios_form(void **state)
{
	struct account_name a;

	(void)state;
	assert_int_equal(account_split(&a, "TARGET\\jdoe"), FERRY_OK);
	assert_string_equal(a.domain, "TARGET");
	assert_string_equal(a.user, "jdoe");
}

static void test_sec_account__splits_upn_at_the_last_at(void **state)
{
	struct account_name a;

	(void)state;
	assert_int_equal(account_split(&a, "j\xc3\xb6rg@target.example"), FERRY_OK);
	assert_string_equal(a.user, "j\xc3\xb6rg");
	assert_string_equal(a.domain, "target.example");
	/* the user part may not hold a separator: refused, not guessed */
	assert_int_equal(account_split(&a, "a@b@target.example"), FERRY_EINVAL);
}

static void test_sec_account__refuses_what_is_neither_form(void **state)
{
	struct account_name a;
	char long_user[ACCOUNT_PART_MAX + 8] = "D\\";

	(void)state;
	assert_int_equal(account_split(&a, "jdoe"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, "\\jdoe"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, "TARGET\\"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, "@target"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, "TARGET\\a@b"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, "TARGET\\a\\b"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, "T\\\xff"), FERRY_EINVAL);
	assert_int_equal(account_split(&a, NULL), FERRY_EINVAL);
	memset(long_user + 2, 'u', ACCOUNT_PART_MAX + 1);
	long_user[ACCOUNT_PART_MAX + 3] = '\0';
	assert_int_equal(account_split(&a, long_user), FERRY_EINVAL);
	assert_string_equal(a.user, "");
}

static void test_sec_account__account_part(void **state)
{
	char out[32];

	(void)state;
	account_part(out, sizeof(out), "TARGET\\jdoe");
	assert_string_equal(out, "jdoe");
	account_part(out, sizeof(out), "jdoe@target.example");
	assert_string_equal(out, "jdoe");
	account_part(out, sizeof(out), "jdoe");
	assert_string_equal(out, "jdoe");
	account_part(out, 3, "TARGET\\jdoe");
	assert_string_equal(out, "jd");
}

static void test_sec_account__same_ignores_case(void **state)
{
	(void)state;
	assert_true(account_same("TARGET\\JDoe", "target\\jdoe"));
	assert_true(account_same("J\xc3\x96RG", "j\xc3\xb6rg"));             /* Ö ö */
	assert_true(account_same("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
				 "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd"));           /* Иван иван */
	assert_false(account_same("jdoe", "jdoe2"));
	assert_false(account_same("", ""));
}

static struct sec_table *table(void)
{
	struct sec_table *t = NULL;

	assert_int_equal(sec_table_new(&t), FERRY_OK);
	assert_int_equal(sec_table_add(t, "S-1-5-21-1-2-3-1001", "S-1-5-21-4-5-6-2001", "SRC\\jdoe",
				       "TARGET\\jdoe", 1), FERRY_OK);
	assert_int_equal(sec_table_add(t, "S-1-5-21-1-2-3-1002", "S-1-5-21-4-5-6-2002", "SRC\\amy",
				       "amy@target.example", 2), FERRY_OK);
	assert_int_equal(sec_table_add(t, "S-1-5-21-1-2-3-1003", "S-1-5-21-4-5-6-2003", "SRC\\bo",
				       "TARGET\\bo", 3), FERRY_OK);
	assert_int_equal(sec_table_add(t, "S-1-5-21-1-2-3-1004", "S-1-5-21-7-8-9-2004", "SRC2\\bo",
				       "OTHER\\bo", 4), FERRY_OK);
	assert_int_equal(sec_table_finish(t), FERRY_OK);
	return t;
}

static void test_sec_account__migrated_user_by_whole_name_then_account_part(void **state)
{
	struct sec_table *t = table();
	size_t i;

	(void)state;
	assert_int_equal(account_table_match(&i, t, "target\\JDOE"), FERRY_OK);
	assert_int_equal(i, 0);
	assert_int_equal(account_table_match(&i, t, "TARGET\\amy"), FERRY_OK);
	assert_int_equal(i, 1);
	/* the whole name wins over two entries sharing the account part */
	assert_int_equal(account_table_match(&i, t, "OTHER\\bo"), FERRY_OK);
	assert_int_equal(i, 3);
	assert_int_equal(account_table_match(&i, t, "TARGET\\nobody"), FERRY_OK);
	assert_int_equal(i, SIZE_MAX);
	sec_table_free(t);
}

static void test_sec_account__migrated_user_ambiguous_is_refused(void **state)
{
	struct sec_table *t = table();
	size_t i;

	(void)state;
	assert_int_equal(account_table_match(&i, t, "bo@elsewhere"), FERRY_EINVAL);
	assert_non_null(strstr(ferry_error_detail(), "DOMAIN\\user"));
	sec_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sec_account__splits_netbios_form),
		cmocka_unit_test(test_sec_account__splits_upn_at_the_last_at),
		cmocka_unit_test(test_sec_account__refuses_what_is_neither_form),
		cmocka_unit_test(test_sec_account__account_part),
		cmocka_unit_test(test_sec_account__same_ignores_case),
		cmocka_unit_test(test_sec_account__migrated_user_by_whole_name_then_account_part),
		cmocka_unit_test(test_sec_account__migrated_user_ambiguous_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
