/*
 * ux_texts_set_builtin: a string table (Windows binaries, at start-up)
 * replaces the built-in English texts; a runbook's text still wins; a bad
 * translation is refused whole and changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ux/texts.h"

static int reset(void **state)
{
	(void)state;
	ux_texts_reset_builtin();
	return 0;
}

static void test_ux_builtin__override_replaces_english(void **state)
{
	const struct ux_vars v = {.target_user = "anna@target.example"};
	struct ux_texts t;

	(void)state;
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_MIGRATION_COMPLETE, "Migration abgeschlossen",
					      "Melden Sie sich als {target_user} an."), 0);
	assert_int_equal(ux_texts_get(&t, NULL, UX_SCREEN_MIGRATION_COMPLETE, &v), 0);
	assert_string_equal(t.title, "Migration abgeschlossen");
	assert_string_equal(t.body, "Melden Sie sich als anna@target.example an.");
	/* Other screens keep their English. */
	assert_int_equal(ux_texts_get(&t, NULL, UX_SCREEN_MIGRATION_IN_PROGRESS, &v), 0);
	assert_string_equal(t.title, "Migration in progress");
}

static void test_ux_builtin__null_keeps_a_part(void **state)
{
	const char *title, *body, *body0;

	(void)state;
	assert_int_equal(ux_texts_builtin(UX_SCREEN_FALLBACK, &title, &body0), 0);
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_FALLBACK, "Service desk", NULL), 0);
	assert_int_equal(ux_texts_builtin(UX_SCREEN_FALLBACK, &title, &body), 0);
	assert_string_equal(title, "Service desk");
	assert_string_equal(body, body0);
}

static void test_ux_builtin__refuses_bad_translation_whole(void **state)
{
	const char *title, *body;
	char big[UX_TITLE_MAX + 2];

	(void)state;
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_LEGAL_NOTICE, "Fine", "Moved to {nope}"),
			 FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "legal_notice"));
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_LEGAL_NOTICE, big, NULL), FERRY_ERANGE);
	assert_int_equal(ux_texts_builtin(UX_SCREEN_LEGAL_NOTICE, &title, &body), 0);
	assert_string_equal(title, "Migration in progress"); /* unchanged */
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_COUNT, "x", "y"), FERRY_EINVAL);
}

/* A long body that expands past the buffer is still a valid template. */
static void test_ux_builtin__long_placeholder_text_is_accepted(void **state)
{
	static char body[UX_BODY_MAX + 1];

	(void)state;
	for (size_t i = 0; i + 13 < UX_BODY_MAX; i += 13)
		memcpy(body + i, "{target_user}", 13);
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_MIGRATION_STARTING, NULL, body), 0);
}

static void test_ux_builtin__reset_restores_english(void **state)
{
	const char *title, *body;

	(void)state;
	assert_int_equal(ux_texts_set_builtin(UX_SCREEN_CACHE_CREDENTIALS, "Anmelden", "Text"), 0);
	ux_texts_reset_builtin();
	assert_int_equal(ux_texts_builtin(UX_SCREEN_CACHE_CREDENTIALS, &title, &body), 0);
	assert_string_equal(title, "Sign in with your new account");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ux_builtin__override_replaces_english, reset),
		cmocka_unit_test_setup(test_ux_builtin__null_keeps_a_part, reset),
		cmocka_unit_test_setup(test_ux_builtin__refuses_bad_translation_whole, reset),
		cmocka_unit_test_setup(test_ux_builtin__long_placeholder_text_is_accepted, reset),
		cmocka_unit_test_setup(test_ux_builtin__reset_restores_english, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
