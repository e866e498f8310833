/* core/ux/experience: scheduler decision + engine state -> what the tile and notifier show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runbook/runbook.h"
#include "util/mem.h"
#include "ux/experience.h"

#define SAMPLES FERRY_TEST_DATA "/../../resources/samples/"

static struct runbook *load(const char *file)
{
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;
	char *text = NULL;
	size_t len;

	assert_int_equal(rb_read_file(&text, &len, file, RUNBOOK_MAX_BYTES), FERRY_OK);
	assert_int_equal(runbook_parse(&rb, &iss, file, text, len), FERRY_OK);
	ferry_free(text);
	return rb;
}

static const struct ux_vars vars = {
	.target_user = "TARGET\\alice", .target_domain = "target.example",
};

static void test_experience__nothing_to_show(void **state)
{
	struct schedule_decision d = { .experience = SCHED_EXP_NONE };
	struct ux_experience_input in = { .decision = &d, .vars = &vars };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_NONE);
	assert_string_equal(x.title, "");
	assert_string_equal(x.body, "");
	assert_int_equal(x.generation, 0);
}

/* The service sends "none" with an empty title; the clients' parser must take it. */
static void test_experience__none_round_trips_through_a_reply_frame(void **state)
{
	struct schedule_decision d = { .experience = SCHED_EXP_NONE };
	struct ux_experience_input in = { .decision = &d, .vars = &vars };
	struct ipc_reply reply = { .id = 4, .op = IPC_OP_GET_EXPERIENCE, .ok = true };
	struct ipc_decoder dec;
	struct ipc_frame *f = NULL;
	struct ipc_reply *back = NULL;
	struct ferry_buf b;
	size_t used = 0;

	(void)state;
	assert_int_equal(ux_experience_build(&reply.u.experience, &in), FERRY_OK);
	reply.u.experience.generation = 1;
	ferry_buf_init(&b, 70000);
	assert_int_equal(ipc_reply_build(&b, &reply), FERRY_OK);
	ipc_decoder_init(&dec, IPC_FRAME_REPLY);
	assert_int_equal(ipc_decoder_feed(&dec, b.data, b.len, &used, &f), FERRY_OK);
	assert_non_null(f);
	assert_int_equal(ipc_reply_parse(&back, f, IPC_OP_GET_EXPERIENCE), FERRY_OK);
	assert_int_equal(back->u.experience.screen, IPC_SCREEN_NONE);
	assert_string_equal(back->u.experience.title, "");
	ferry_free(back);
	ipc_frame_free(f);
	ipc_decoder_free(&dec);
	ferry_buf_free(&b);
}

static void test_experience__credentials_prompt_uses_runbook_texts_and_logo(void **state)
{
	struct runbook *rb = load(SAMPLES "cache-credentials.json");
	struct schedule_decision d = { .experience = SCHED_EXP_CACHE_CREDENTIALS };
	struct ux_experience_input in = { .decision = &d, .rb = rb, .vars = &vars };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_CREDENTIALS);
	assert_string_equal(x.title, "Prepare your PC for the move to Target");
	assert_non_null(strstr(x.body, "Sign in once with your new account, TARGET\\alice,"));
	/* the login text follows as its own paragraph, placeholders filled */
	assert_non_null(strstr(x.body, "\n\nQuestions? Call the service desk on +1 555 0100."));
	assert_string_equal(x.image, "logo.png");
	assert_string_equal(x.target_user, "TARGET\\alice");
	assert_string_equal(x.qr_url, rb->user_experience.qr_code_url);
	assert_string_equal(x.starts_at, "");
	assert_int_equal(x.snooze_max_minutes, 0);
	runbook_free(rb);
}

/* 2030-01-01T00:00:00Z */
#define T0 1893456000

static void test_experience__starting_gives_starts_at_and_no_snooze(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct schedule_decision d = { .experience = SCHED_EXP_MIGRATION_STARTING,
		.action = SCHED_ACT_COUNTDOWN, .next_check = T0 + 1800, .minutes = 30 };
	struct ux_experience_input in = { .decision = &d, .rb = rb, .vars = &vars, .now = T0 };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_string_equal(x.starts_at, "2030-01-01T00:30:00Z");
	assert_int_equal(x.snooze_max_minutes, 0);
	runbook_free(rb);
}

static void test_experience__offer_snooze_never_passes_enforcement(void **state)
{
	struct schedule_decision d = { .experience = SCHED_EXP_MIGRATION_AVAILABLE,
		.action = SCHED_ACT_OFFER, .next_check = T0 + 3 * 3600 + 59 };
	struct ux_experience_input in = { .decision = &d, .vars = &vars, .now = T0 };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_NOTICE);
	assert_int_equal(x.snooze_max_minutes, 180); /* rounded down, never past */
	assert_string_equal(x.starts_at, "");
	/* under a minute left: no snooze at all */
	d.next_check = T0 + 59;
	assert_int_equal(ux_snooze_max_minutes(&d, T0), 0);
	d.next_check = T0;
	assert_int_equal(ux_snooze_max_minutes(&d, T0), 0);
	/* nothing enforced: the protocol's cap */
	d.next_check = RB_TIME_NONE;
	assert_int_equal(ux_snooze_max_minutes(&d, T0), IPC_SNOOZE_MIN_MAX);
	/* far away: capped */
	d.next_check = T0 + 30 * 86400;
	assert_int_equal(ux_snooze_max_minutes(&d, T0), IPC_SNOOZE_MIN_MAX);
	/* not an offer: no snooze */
	d.action = SCHED_ACT_WAIT;
	assert_int_equal(ux_snooze_max_minutes(&d, T0), 0);
}

static void test_experience__qr_url_over_the_limit_is_dropped_not_cut(void **state)
{
	struct runbook *rb = load(SAMPLES "cache-credentials.json");
	struct schedule_decision d = { .experience = SCHED_EXP_CACHE_CREDENTIALS };
	struct ux_experience_input in = { .decision = &d, .rb = rb, .vars = &vars };
	struct ipc_experience x;
	char *saved = rb->user_experience.qr_code_url;
	char longer[IPC_URL_MAX + 2];

	(void)state;
	memset(longer, 'a', sizeof(longer) - 1);
	memcpy(longer, "https://", 8);
	longer[IPC_URL_MAX] = '\0'; /* exactly IPC_URL_MAX: kept */
	rb->user_experience.qr_code_url = longer;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(strlen(x.qr_url), IPC_URL_MAX);
	longer[IPC_URL_MAX] = 'a'; /* one more: dropped */
	longer[IPC_URL_MAX + 1] = '\0';
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_string_equal(x.qr_url, "");
	longer[IPC_URL_MAX] = '\0';
	longer[20] = ' '; /* not printable per the QR rule: dropped */
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_string_equal(x.qr_url, "");
	rb->user_experience.qr_code_url = saved;
	runbook_free(rb);
}

static void test_experience__starting_fills_minutes(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct schedule_decision d = { .experience = SCHED_EXP_MIGRATION_STARTING, .minutes = 42 };
	struct ux_experience_input in = { .decision = &d, .rb = rb, .vars = &vars };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_NOTICE);
	assert_string_equal(x.title, "Your PC moves soon");
	assert_non_null(strstr(x.body, "starts in 42 minutes"));
	runbook_free(rb);
}

static void test_experience__progress_reports_percent_step_and_fallback(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct schedule_decision d = { .experience = SCHED_EXP_MIGRATION_IN_PROGRESS };
	struct ux_experience_input in = {
		.decision = &d, .rb = rb, .vars = &vars, .engine_known = true,
		.status = ENGINE_REBOOTING, .phase = PHASE_DEVICE_STATE, .step = 6, .n_steps = 24,
		.step_name = "unjoin_domain", .fallback_available = true,
	};
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_PROGRESS);
	assert_string_equal(x.title, "Migration in progress");
	assert_string_equal(x.body, "Please do not turn off your PC. Help: +1 555 0100.");
	assert_int_equal(x.percent, 25);
	assert_string_equal(x.step, "unjoin_domain");
	assert_true(x.fallback_available);
	assert_string_equal(x.image, ""); /* default image: the service's own */
	runbook_free(rb);
}

static void test_experience__stopped_engine_shows_service_unavailable(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct schedule_decision d = { .experience = SCHED_EXP_MIGRATION_IN_PROGRESS };
	struct ux_experience_input in = { .decision = &d, .rb = rb, .vars = &vars,
		.engine_known = true, .status = ENGINE_STOPPED, .step = 3, .n_steps = 24 };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_FAILED);
	assert_string_equal(x.title, "Waiting for the migration service");
	runbook_free(rb);
}

static void test_experience__builtin_texts_without_runbook(void **state)
{
	struct schedule_decision d = { .experience = SCHED_EXP_MIGRATION_COMPLETE };
	struct ux_experience_input in = { .decision = &d, .vars = &vars };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_OK);
	assert_int_equal(x.screen, IPC_SCREEN_COMPLETE);
	assert_string_equal(x.title, "Migration complete");
	assert_non_null(strstr(x.body, "Log on as TARGET\\alice."));
	assert_int_equal(x.percent, 100);
}

static void test_experience__screen_and_percent_tables(void **state)
{
	(void)state;
	assert_int_equal(ux_screen_for(SCHED_EXP_MIGRATION_AVAILABLE), IPC_SCREEN_NOTICE);
	assert_int_equal(ux_screen_for(SCHED_EXP_SERVICE_UNAVAILABLE), IPC_SCREEN_FAILED);
	assert_int_equal(ux_screen_for((enum schedule_experience)99), IPC_SCREEN_NONE);
	assert_int_equal(ux_progress_percent(0, 0), 0);
	assert_int_equal(ux_progress_percent(0, 24), 0);
	assert_int_equal(ux_progress_percent(23, 24), 95);
	assert_int_equal(ux_progress_percent(24, 24), 100);
	assert_int_equal(ux_progress_percent(99, 24), 100);
}

static void test_experience__missing_decision_is_refused(void **state)
{
	struct ux_experience_input in = { .vars = &vars };
	struct ipc_experience x;

	(void)state;
	assert_int_equal(ux_experience_build(&x, &in), FERRY_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_experience__nothing_to_show),
		cmocka_unit_test(test_experience__none_round_trips_through_a_reply_frame),
		cmocka_unit_test(test_experience__credentials_prompt_uses_runbook_texts_and_logo),
		cmocka_unit_test(test_experience__starting_fills_minutes),
		cmocka_unit_test(test_experience__starting_gives_starts_at_and_no_snooze),
		cmocka_unit_test(test_experience__offer_snooze_never_passes_enforcement),
		cmocka_unit_test(test_experience__qr_url_over_the_limit_is_dropped_not_cut),
		cmocka_unit_test(test_experience__progress_reports_percent_step_and_fallback),
		cmocka_unit_test(test_experience__stopped_engine_shows_service_unavailable),
		cmocka_unit_test(test_experience__builtin_texts_without_runbook),
		cmocka_unit_test(test_experience__screen_and_percent_tables),
		cmocka_unit_test(test_experience__missing_decision_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
