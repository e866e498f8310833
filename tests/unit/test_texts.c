#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "runbook/runbook.h"
#include "ux/texts.h"
#include "util/mem.h"

static const struct ux_vars vars = {
	.target_user = "TARGET\\alice", .target_domain = "target.example", .minutes = 42,
};

static void test_texts__expands_every_placeholder(void **state)
{
	char out[128];
	struct ux_vars v = vars;
	(void)state;
	v.source_user = "SOURCE\\alice";
	v.device_name = "FIN-PC-001";
	v.support_phone = "+1 555";
	v.runbook_name = "Migration";
	assert_int_equal(ux_expand(out, sizeof out,
				   "{target_user}|{source_user}|{target_domain}|{device_name}|"
				   "{support_phone}|{runbook_name}|{minutes}", &v), 0);
	assert_string_equal(out, "TARGET\\alice|SOURCE\\alice|target.example|FIN-PC-001|+1 555|Migration|42");
}

static void test_texts__double_braces_are_literal(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(ux_expand(out, sizeof out, "{{x}} and }}", &vars), 0);
	assert_string_equal(out, "{x} and }");
}

static void test_texts__unknown_placeholder_is_refused(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(ux_expand(out, sizeof out, "hi {targt_user}", &vars), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "byte 3"));
	assert_int_equal(ux_expand(out, sizeof out, "hi {target_user", &vars), FERRY_ECORRUPT);
	assert_int_equal(ux_expand(out, sizeof out, "a } b", &vars), FERRY_ECORRUPT);
}

static void test_texts__overflow_cuts_at_utf8_boundary(void **state)
{
	char out[6];
	(void)state;
	/* "abcd" then U+00E9 (2 bytes): only 5 bytes fit, so the é is dropped whole. */
	assert_int_equal(ux_expand(out, sizeof out, "abcd\xc3\xa9", &vars), FERRY_ERANGE);
	assert_string_equal(out, "abcd");
}

static void test_texts__builtin_when_runbook_is_silent(void **state)
{
	struct ux_texts t;
	(void)state;
	assert_int_equal(ux_texts_get(&t, NULL, UX_SCREEN_MIGRATION_STARTING, &vars), 0);
	assert_string_equal(t.title, "Your PC moves soon");
	assert_non_null(strstr(t.body, "starts in 42 minutes"));
	assert_non_null(strstr(t.body, "TARGET\\alice"));
	assert_string_equal(t.extra, "");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = ferry_malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_texts__runbook_texts_win_with_support_phone(void **state)
{
	char *json = slurp(FERRY_TEST_DATA "/../../resources/samples/cache-credentials.json");
	struct rb_issues iss = {0};
	struct runbook *rb = NULL;
	struct ux_texts t;
	(void)state;
	assert_int_equal(runbook_parse(&rb, &iss, "cache-credentials.json", json, strlen(json)), 0);
	assert_int_equal(ux_texts_get(&t, rb, UX_SCREEN_CACHE_CREDENTIALS, &vars), 0);
	assert_string_equal(t.title, "Prepare your PC for the move to Target");
	assert_non_null(strstr(t.body, "new account, TARGET\\alice, so"));
	assert_string_equal(t.extra, "Questions? Call the service desk on +1 555 0100.");
	runbook_free(rb);
	rb_issues_clear(&iss);
	ferry_free(json);
}

static struct runbook *parse(const char *doc)
{
	struct rb_issues iss = {0};
	struct runbook *rb = NULL;

	assert_int_equal(runbook_parse(&rb, &iss, "t", doc, strlen(doc)), 0);
	rb_issues_clear(&iss);
	return rb;
}

static void test_texts__empty_placeholder_names_its_field(void **state)
{
	struct runbook *rb = parse("{\"schema\":\"ferry.runbook/1\",\"id\":\"x\",\"name\":\"n\","
				   "\"user_experience\":{\"migration_complete\":{\"title\":\"Done\","
				   "\"text\":\"Call {support_phone}, {{support_phone}} {minutes}.\"}}}");
	struct ux_empty_var e[4];
	struct ux_texts t;
	size_t n = 99;
	(void)state;
	assert_int_equal(ux_texts_get(&t, rb, UX_SCREEN_MIGRATION_COMPLETE, &vars), 0);
	assert_non_null(strstr(t.body, "Call , {support_phone} 42."));
	assert_int_equal(ux_texts_empty_vars(e, 4, &n, rb, UX_SCREEN_MIGRATION_COMPLETE, &vars), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].name, "support_phone");
	assert_string_equal(e[0].field, "user_experience.migration_complete.text");
	runbook_free(rb);
}

static void test_texts__empty_placeholder_in_builtin_text(void **state)
{
	const struct ux_vars none = { .minutes = 5 };
	struct ux_empty_var e[4];
	size_t n = 0;
	(void)state;
	assert_int_equal(ux_texts_empty_vars(e, 4, &n, NULL, UX_SCREEN_MIGRATION_STARTING, &none), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].name, "target_user");
	assert_string_equal(e[0].field, "built-in text of migration_starting");
	assert_int_equal(ux_texts_empty_vars(e, 4, &n, NULL, UX_SCREEN_MIGRATION_STARTING, &vars), 0);
	assert_int_equal(n, 0);
}

static void test_texts__empty_placeholders_counted_past_capacity(void **state)
{
	struct runbook *rb = parse("{\"schema\":\"ferry.runbook/1\",\"id\":\"x\",\"name\":\"n\","
				   "\"user_experience\":{\"cache_credentials\":{\"window_title\":"
				   "\"{device_name}\",\"main_message\":\"\",\"login_text\":"
				   "\"{source_user} {support_phone}\"}}}");
	const struct ux_vars some = { .target_user = "T\\a" };
	struct ux_empty_var e[2];
	size_t n = 0;
	(void)state;
	assert_int_equal(ux_texts_empty_vars(e, 2, &n, rb, UX_SCREEN_CACHE_CREDENTIALS, &some), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].field, "user_experience.cache_credentials.window_title");
	assert_string_equal(e[0].name, "device_name");
	assert_string_equal(e[1].field, "user_experience.cache_credentials.login_text");
	assert_string_equal(e[1].name, "source_user");
	runbook_free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texts__expands_every_placeholder),
		cmocka_unit_test(test_texts__double_braces_are_literal),
		cmocka_unit_test(test_texts__unknown_placeholder_is_refused),
		cmocka_unit_test(test_texts__overflow_cuts_at_utf8_boundary),
		cmocka_unit_test(test_texts__builtin_when_runbook_is_silent),
		cmocka_unit_test(test_texts__runbook_texts_win_with_support_phone),
		cmocka_unit_test(test_texts__empty_placeholder_names_its_field),
		cmocka_unit_test(test_texts__empty_placeholder_in_builtin_text),
		cmocka_unit_test(test_texts__empty_placeholders_counted_past_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
