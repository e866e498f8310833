/* core/runbook: RFC 3339 times, placeholders, runbook/batch parsing, cross-references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runbook/placeholder.h"
#include "runbook/rfc3339.h"
#include "runbook/runbook.h"
#include "util/mem.h"

#define SAMPLES FERRY_TEST_DATA "/../../resources/samples/"

static char *slurp(const char *path, size_t *len)
{
	char *text = NULL;

	assert_int_equal(rb_read_file(&text, len, path, RUNBOOK_MAX_BYTES), FERRY_OK);
	return text;
}

static void test_runbook__rfc3339_round_trips_and_offsets(void **state)
{
	char buf[RFC3339_BUF];
	int64_t t = 0, u = 0;

	(void)state;
	assert_int_equal(rfc3339_parse(&t, "2025-03-07T18:00:00Z"), FERRY_OK);
	assert_int_equal(t, 1741370400);
	assert_int_equal(rfc3339_format(buf, t), FERRY_OK);
	assert_string_equal(buf, "2025-03-07T18:00:00Z");
	/* The same instant written with an offset and a fraction. */
	assert_int_equal(rfc3339_parse(&u, "2025-03-07T19:30:00.999+01:30"), FERRY_OK);
	assert_int_equal(u, t);
	assert_int_equal(rfc3339_parse(&u, "2024-02-29T00:00:00z"), FERRY_OK);
	assert_int_equal(rfc3339_format(buf, u), FERRY_OK);
	assert_string_equal(buf, "2024-02-29T00:00:00Z");
}

static void test_runbook__rfc3339_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "2025-03-07", "2025-03-07 18:00:00Z", "2025-02-29T00:00:00Z",
		"2025-13-01T00:00:00Z", "2025-03-07T24:00:00Z", "2025-03-07T23:59:60Z",
		"2025-03-07T18:00:00", "2025-03-07T18:00:00+0100", "2025-03-07T18:00:00Zjunk",
		"2025-03-07T18:00:00.Z", "1969-12-31T23:59:59Z", "2025-03-07T18:00:00+01:6",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rfc3339_parse(&t, bad[i]), FERRY_ECORRUPT);
}

static void test_runbook__placeholders_known_escaped_and_unknown(void **state)
{
	char why[160];

	(void)state;
	assert_int_equal(placeholder_check("Hi {target_user}, call {support_phone} in {minutes}",
					   why, sizeof(why)), FERRY_OK);
	assert_int_equal(placeholder_check("literal {{braces}}", why, sizeof(why)), FERRY_OK);
	assert_int_equal(placeholder_check("Hi {targt_user}", why, sizeof(why)), FERRY_ECORRUPT);
	assert_non_null(strstr(why, "unknown placeholder {targt_user} at byte 3"));
	assert_int_equal(placeholder_check("Hi {target_user", why, sizeof(why)), FERRY_ECORRUPT);
	assert_int_equal(placeholder_check("a } b", why, sizeof(why)), FERRY_ECORRUPT);
}

static void test_runbook__parses_sample_migration(void **state)
{
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;
	size_t len;
	char *text = slurp(SAMPLES "migration.json", &len);

	(void)state;
	assert_int_equal(runbook_parse(&rb, &iss, "migration.json", text, len), FERRY_OK);
	assert_int_equal(iss.n, 0);
	assert_string_equal(rb->id, "migration");
	assert_true(rb->startup.run);
	assert_int_equal(rb->startup.mode, RB_MODE_SHOW_PROGRESS);
	assert_true(rb->startup.prevent_login);
	assert_string_equal(rb->startup.fallback.username, "ferry-helpdesk");
	assert_int_equal(rb->startup.fallback.deletion_delay_hours, 72);
	assert_int_equal(rb->device_state.join_type, RB_JOIN_ACTIVE_DIRECTORY);
	assert_string_equal(rb->device_state.domain, "target.example");
	assert_int_equal(rb->permission_updates.mode, RB_PERM_ADD);
	assert_int_equal(rb->permission_updates.paths.n, 2);
	assert_int_equal(rb->app_reset, RB_APP_OFFICE | RB_APP_TEAMS | RB_APP_ONEDRIVE);
	assert_true(rb->completion.run);
	assert_true(rb->completion.uninstall_agent);
	assert_int_equal(rb->retry.max_backoff_seconds, 900);
	assert_true(runbook_is_migration(rb));
	runbook_free(rb);
	ferry_free(text);
}

/* Found by fuzz_runbook: -1 was converted to unsigned before the range was
 * checked (undefined behaviour). Every out-of-range number is now refused
 * at its pointer, and none is converted first (float-cast-overflow is on). */
static void test_runbook__out_of_range_numbers_are_refused(void **state)
{
	static const char *const bad[] = { "-1", "-0.5", "2.5", "4294967296", "1e30", "-1e30" };
	static const char key[] = "\"deletion_delay_hours\": 72";
	static char sample[RUNBOOK_MAX_BYTES];
	size_t len, off;
	char *text = slurp(SAMPLES "migration.json", &len);

	(void)state;
	assert_true(len < sizeof(sample));
	memcpy(sample, text, len + 1);
	ferry_free(text);
	off = strstr(sample, key) ? (size_t)(strstr(sample, key) - sample) : len;
	assert_true(off < len);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rb_issues iss = { 0 };
		struct runbook *rb = NULL;
		char doc[8192];
		int n = snprintf(doc, sizeof(doc), "%.*s\"deletion_delay_hours\": %s%s", (int)off,
				 sample, bad[i], sample + off + strlen(key));

		assert_true(n > 0 && (size_t)n < sizeof(doc));
		assert_int_equal(runbook_parse(&rb, &iss, "f", doc, (size_t)n), FERRY_ECORRUPT);
		assert_int_equal(iss.n, 1);
		assert_string_equal(iss.v[0].pointer, "/startup/fallback_credentials/deletion_delay_hours");
		rb_issues_clear(&iss);
	}
}

static void test_runbook__reports_every_problem_with_pointer(void **state)
{
	const char *doc = "{\"schema\":\"ferry.runbook/1\",\"id\":\"x\",\"name\":\"n\","
			  "\"startup\":{\"mode\":\"loud\",\"bogus\":1},"
			  "\"permission_updates\":{\"mode\":\"add\",\"paths\":[\"rel\\\\p\"]}}";
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;

	(void)state;
	assert_int_equal(runbook_parse(&rb, &iss, "f", doc, strlen(doc)), FERRY_ECORRUPT);
	assert_null(rb);
	assert_int_equal(iss.n, 3);
	assert_string_equal(iss.v[0].pointer, "/startup/bogus");
	assert_string_equal(iss.v[1].pointer, "/startup/mode");
	assert_string_equal(iss.v[2].pointer, "/permission_updates/paths/0");
	rb_issues_clear(&iss);
}

static void test_runbook__empty_optional_text_means_default(void **state)
{
	const char *doc = "{\"schema\":\"ferry.runbook/1\",\"id\":\"x\",\"name\":\"n\","
			  "\"user_experience\":{\"cache_credentials\":{\"main_message\":\"\","
			  "\"window_title\":\" \\t\\n\",\"login_text\":\"Hi\"},"
			  "\"migration_complete\":{\"title\":\"\",\"text\":\"Done\"}}}";
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;

	(void)state;
	assert_int_equal(runbook_parse(&rb, &iss, "f", doc, strlen(doc)), FERRY_OK);
	assert_int_equal(iss.n, 0);
	assert_null(rb->user_experience.cache_credentials.main_message);
	assert_null(rb->user_experience.cache_credentials.window_title);
	assert_string_equal(rb->user_experience.cache_credentials.login_text, "Hi");
	assert_null(rb->user_experience.migration_complete.title);
	assert_string_equal(rb->user_experience.migration_complete.text, "Done");
	runbook_free(rb);
	rb_issues_clear(&iss);
}

static void test_runbook__empty_text_is_still_a_string(void **state)
{
	const char *doc = "{\"schema\":\"ferry.runbook/1\",\"id\":\"x\",\"name\":\"n\","
			  "\"user_experience\":{\"cache_credentials\":{\"main_message\":0}}}";
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;

	(void)state;
	assert_int_equal(runbook_parse(&rb, &iss, "f", doc, strlen(doc)), FERRY_ECORRUPT);
	assert_int_equal(iss.n, 1);
	assert_string_equal(iss.v[0].pointer, "/user_experience/cache_credentials/main_message");
	rb_issues_clear(&iss);
}

static void test_runbook__pointer_escapes_tilde_and_slash(void **state)
{
	const char *doc = "{\"schema\":\"ferry.runbook/1\",\"id\":\"x\",\"name\":\"n\",\"a/b~c\":1}";
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;

	(void)state;
	assert_int_equal(runbook_parse(&rb, &iss, "f", doc, strlen(doc)), FERRY_ECORRUPT);
	assert_int_equal(iss.n, 1);
	assert_string_equal(iss.v[0].pointer, "/a~1b~0c");
	rb_issues_clear(&iss);
}

static void test_runbook__batch_reads_csv_and_devices(void **state)
{
	struct rb_issues iss = { 0 };
	struct batch *b = NULL;
	size_t len;
	char *text = slurp(SAMPLES "batch-01.json", &len);

	(void)state;
	assert_int_equal(batch_parse(&b, &iss, "batch-01.json", text, len, SAMPLES, true), FERRY_OK);
	assert_int_equal(b->n_entries, 2);
	assert_int_equal(b->entries[0].available_from, RB_TIME_NONE);
	assert_int_equal(b->entries[1].enforced_after, 1741370400);
	assert_int_equal(b->devices.n, 5);
	assert_true(batch_has_device(b, "fin-lt-010"));
	assert_false(batch_has_device(b, "name"));
	batch_free(b);
	ferry_free(text);
}

static void test_runbook__every_allocation_failure_is_clean(void **state)
{
	size_t len;
	char *text = slurp(SAMPLES "migration.json", &len);
	unsigned long n;

	(void)state;
	/* Fail the 1st, 2nd, ... allocation until a parse succeeds; none may leak or crash. */
	for (n = 1;; n++) {
		struct rb_issues iss = { 0 };
		struct runbook *rb = NULL;
		ferry_err err;

		ferry_alloc_fail_after(n);
		err = runbook_parse(&rb, &iss, "m", text, len);
		ferry_alloc_fail_after(0);
		rb_issues_clear(&iss);
		runbook_free(rb);
		if (err == FERRY_OK)
			break;
		assert_int_equal(err, FERRY_ENOMEM);
	}
	assert_true(n > 10);
	ferry_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runbook__rfc3339_round_trips_and_offsets),
		cmocka_unit_test(test_runbook__rfc3339_rejects_malformed),
		cmocka_unit_test(test_runbook__placeholders_known_escaped_and_unknown),
		cmocka_unit_test(test_runbook__parses_sample_migration),
		cmocka_unit_test(test_runbook__out_of_range_numbers_are_refused),
		cmocka_unit_test(test_runbook__reports_every_problem_with_pointer),
		cmocka_unit_test(test_runbook__empty_optional_text_means_default),
		cmocka_unit_test(test_runbook__empty_text_is_still_a_string),
		cmocka_unit_test(test_runbook__pointer_escapes_tilde_and_slash),
		cmocka_unit_test(test_runbook__batch_reads_csv_and_devices),
		cmocka_unit_test(test_runbook__every_allocation_failure_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
