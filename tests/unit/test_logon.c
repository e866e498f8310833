/* core/ux/logon_outcome: every Win32 and NTSTATUS code LogonUserExW's
 * callers meet maps to its own outcome, code and sentence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ux/logon_outcome.h"

struct row {
	uint32_t code;
	enum logon_outcome want;
};

/* Values from winerror.h, typed in again here (not copied from the table
 * under test) so a wrong number in either place fails. */
static const struct row win32_rows[] = {
	{ 0, LOGON_OUTCOME_OK },
	{ 1326, LOGON_OUTCOME_WRONG_PASSWORD }, { 1323, LOGON_OUTCOME_WRONG_PASSWORD },
	{ 1317, LOGON_OUTCOME_WRONG_PASSWORD },
	{ 1909, LOGON_OUTCOME_LOCKED },
	{ 1331, LOGON_OUTCOME_DISABLED }, { 1793, LOGON_OUTCOME_DISABLED },
	{ 1330, LOGON_OUTCOME_EXPIRED },
	{ 1907, LOGON_OUTCOME_MUST_CHANGE },
	{ 1311, LOGON_OUTCOME_NO_SERVERS }, { 1355, LOGON_OUTCOME_NO_SERVERS },
	{ 1789, LOGON_OUTCOME_TRUST_FAILURE }, { 1788, LOGON_OUTCOME_TRUST_FAILURE },
	{ 1787, LOGON_OUTCOME_TRUST_FAILURE }, { 1786, LOGON_OUTCOME_TRUST_FAILURE },
	{ 1810, LOGON_OUTCOME_TRUST_FAILURE },
	{ 5, LOGON_OUTCOME_OTHER },     /* ERROR_ACCESS_DENIED */
	{ 1385, LOGON_OUTCOME_OTHER },  /* ERROR_LOGON_TYPE_NOT_GRANTED */
	{ 120, LOGON_OUTCOME_OTHER },   /* ERROR_CALL_NOT_IMPLEMENTED */
};

static const struct row nt_rows[] = {
	{ 0x00000000u, LOGON_OUTCOME_OK },
	{ 0xC000006Du, LOGON_OUTCOME_WRONG_PASSWORD }, { 0xC000006Au, LOGON_OUTCOME_WRONG_PASSWORD },
	{ 0xC0000064u, LOGON_OUTCOME_WRONG_PASSWORD },
	{ 0xC0000234u, LOGON_OUTCOME_LOCKED },
	{ 0xC0000072u, LOGON_OUTCOME_DISABLED }, { 0xC0000193u, LOGON_OUTCOME_DISABLED },
	{ 0xC0000071u, LOGON_OUTCOME_EXPIRED },
	{ 0xC0000224u, LOGON_OUTCOME_MUST_CHANGE },
	{ 0xC000005Eu, LOGON_OUTCOME_NO_SERVERS }, { 0xC00000DFu, LOGON_OUTCOME_NO_SERVERS },
	{ 0xC000018Du, LOGON_OUTCOME_TRUST_FAILURE }, { 0xC000018Cu, LOGON_OUTCOME_TRUST_FAILURE },
	{ 0xC000018Bu, LOGON_OUTCOME_TRUST_FAILURE }, { 0xC000018Au, LOGON_OUTCOME_TRUST_FAILURE },
	{ 0xC000006Eu, LOGON_OUTCOME_OTHER }, /* STATUS_ACCOUNT_RESTRICTION */
	{ 1326u, LOGON_OUTCOME_OTHER },       /* a Win32 code is not an NTSTATUS */
};

static void test_logon__win32_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof win32_rows / sizeof win32_rows[0]; i++) {
		if (logon_outcome_from_win32(win32_rows[i].code) != win32_rows[i].want)
			fail_msg("Win32 %lu", (unsigned long)win32_rows[i].code);
	}
}

static void test_logon__ntstatus_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof nt_rows / sizeof nt_rows[0]; i++) {
		if (logon_outcome_from_ntstatus(nt_rows[i].code) != nt_rows[i].want)
			fail_msg("NTSTATUS 0x%08lx", (unsigned long)nt_rows[i].code);
	}
}

static void test_logon__codes_and_texts_are_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < LOGON_OUTCOME_COUNT_; a++) {
		const char *ca = logon_outcome_code((enum logon_outcome)a);
		const char *ta = logon_outcome_text((enum logon_outcome)a);
		assert_non_null(ca);
		assert_true(strlen(ta) > 20);
		for (int b = a + 1; b < LOGON_OUTCOME_COUNT_; b++) {
			assert_string_not_equal(ca, logon_outcome_code((enum logon_outcome)b));
			assert_string_not_equal(ta, logon_outcome_text((enum logon_outcome)b));
		}
	}
}

static void test_logon__ipc_codes_are_stable(void **state)
{
	(void)state;
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_WRONG_PASSWORD), "wrong_password");
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_LOCKED), "account_locked");
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_DISABLED), "account_disabled");
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_EXPIRED), "password_expired");
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_MUST_CHANGE), "password_must_change");
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_NO_SERVERS), "no_logon_servers");
	assert_string_equal(logon_outcome_code(LOGON_OUTCOME_TRUST_FAILURE), "trust_failure");
}

static void test_logon__no_servers_says_vpn(void **state)
{
	(void)state;
	assert_non_null(strstr(logon_outcome_text(LOGON_OUTCOME_NO_SERVERS), "VPN"));
}

static void test_logon__out_of_range_is_other(void **state)
{
	(void)state;
	assert_string_equal(logon_outcome_code((enum logon_outcome)99), "other");
	assert_string_equal(logon_outcome_text((enum logon_outcome)99),
			    logon_outcome_text(LOGON_OUTCOME_OTHER));
}

static void test_logon__codes_round_trip(void **state)
{
	enum logon_outcome o;

	(void)state;
	for (int a = 0; a < LOGON_OUTCOME_COUNT_; a++) {
		assert_true(logon_outcome_from_code(&o, logon_outcome_code((enum logon_outcome)a)));
		assert_int_equal(o, a);
	}
}

static void test_logon__pipe_codes_are_not_outcomes(void **state)
{
	enum logon_outcome o = LOGON_OUTCOME_OK;

	(void)state;
	assert_false(logon_outcome_from_code(&o, "busy"));
	assert_int_equal(o, LOGON_OUTCOME_OTHER);
	assert_false(logon_outcome_from_code(&o, "denied"));
	assert_false(logon_outcome_from_code(&o, NULL));
	assert_false(logon_outcome_from_code(&o, "Wrong_Password"));
}

static void test_logon__severity_marks_what_the_user_must_fix(void **state)
{
	(void)state;
	assert_int_equal(logon_outcome_severity(LOGON_OUTCOME_OK), LOGON_SEVERITY_SUCCESS);
	assert_int_equal(logon_outcome_severity(LOGON_OUTCOME_WRONG_PASSWORD), LOGON_SEVERITY_ERROR);
	assert_int_equal(logon_outcome_severity(LOGON_OUTCOME_LOCKED), LOGON_SEVERITY_ERROR);
	assert_int_equal(logon_outcome_severity(LOGON_OUTCOME_NO_SERVERS), LOGON_SEVERITY_WARNING);
	assert_int_equal(logon_outcome_severity((enum logon_outcome)99), LOGON_SEVERITY_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logon__win32_table),
		cmocka_unit_test(test_logon__ntstatus_table),
		cmocka_unit_test(test_logon__codes_and_texts_are_distinct),
		cmocka_unit_test(test_logon__ipc_codes_are_stable),
		cmocka_unit_test(test_logon__no_servers_says_vpn),
		cmocka_unit_test(test_logon__out_of_range_is_other),
		cmocka_unit_test(test_logon__codes_round_trip),
		cmocka_unit_test(test_logon__pipe_codes_are_not_outcomes),
		cmocka_unit_test(test_logon__severity_marks_what_the_user_must_fix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
