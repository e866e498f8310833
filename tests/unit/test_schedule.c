/* core/runbook scheduler: every rule of schedule.c as rows of a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "runbook/rfc3339.h"
#include "runbook/schedule.h"
#include "util/mem.h"

#define SAMPLES FERRY_TEST_DATA "/../../resources/samples/"

/* A = the sample migration's available_from, E = its enforced_after. */
#define A "2025-03-03T08:00:00Z"
#define E "2025-03-07T18:00:00Z"

static const char *const batches[] = {
	/* 0: the sample batch (cache: always; migration: A..E) */
	NULL,
	/* 1: both runbooks without times */
	"{\"schema\":\"ferry.batch/1\",\"id\":\"b1\",\"devices\":[\"PC1\"],\"runbooks\":["
	"{\"runbook\":\"cache-credentials\"},{\"runbook\":\"migration\"}]}",
	/* 2: the migration without its prerequisite (check refuses it; decide must be safe) */
	"{\"schema\":\"ferry.batch/1\",\"id\":\"b2\",\"devices\":[\"PC1\"],\"runbooks\":["
	"{\"runbook\":\"migration\",\"available_from\":\"" A "\"}]}",
	/* 3: enforced at the instant it becomes available */
	"{\"schema\":\"ferry.batch/1\",\"id\":\"b3\",\"devices\":[\"PC1\"],\"runbooks\":["
	"{\"runbook\":\"cache-credentials\"},{\"runbook\":\"migration\",\"available_from\":\"" A
	"\",\"enforced_after\":\"" A "\"}]}",
	/* 4: a silent runbook that needs nothing */
	"{\"schema\":\"ferry.batch/1\",\"id\":\"b4\",\"devices\":[\"PC1\"],\"runbooks\":["
	"{\"runbook\":\"silent-task\",\"available_from\":\"" A "\"}]}",
};

struct row {
	const char *name;
	int batch;
	const char *now;
	/* device state */
	bool cached, unreachable, user, ack, requested;
	const char *completed; /* comma-separated */
	const char *snoozed, *running, *announced, *device;
	/* expected decision */
	const char *exp, *rb, *act, *next;
	int minutes; /* 0 = not checked */
};

#define CC "cache-credentials"
#define MG "migration"
#define BOTH CC "," MG

static const struct row rows[] = {
	/* Step 1: credentials first; a migration never starts without them (R4, R5). */
	{ "cache prompt before anything", 0, "2025-03-01T09:00:00Z", .user = true,
	  .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
	{ "cache prompt at the logon screen", 0, "2025-03-01T09:00:00Z",
	  .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
	{ "cache prompt after available", 0, "2025-03-04T09:00:00Z", .user = true,
	  .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
	{ "cache prompt, not start, past enforcement", 0, "2025-03-08T09:00:00Z", .user = true,
	  .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
	{ "cache prompt even after the start was announced", 0, "2025-03-07T19:30:00Z",
	  .user = true, .announced = E,
	  .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
	{ "cached: silent cache runbook starts", 0, "2025-03-01T09:00:00Z", .cached = true,
	  .exp = "none", .rb = CC, .act = "start" },
	{ "credentials lost after the prerequisite: prompt for the migration", 0,
	  "2025-03-04T09:00:00Z", .completed = CC, .user = true,
	  .exp = "cache_credentials", .rb = MG, .act = "prompt_cache_credentials" },
	{ "prerequisite not complete although cached: it runs, the migration waits", 0,
	  "2025-03-07T19:30:00Z", .cached = true, .announced = E,
	  .exp = "none", .rb = CC, .act = "start" },
	/* Step 2: available, snooze, enforcement (R3, R7, R8). */
	{ "cache done, before available: wait for A", 0, "2025-03-01T09:00:00Z", .cached = true,
	  .completed = CC, .exp = "none", .act = "wait", .next = A },
	{ "one second before available", 0, "2025-03-03T07:59:59Z", .cached = true,
	  .completed = CC, .exp = "none", .act = "wait", .next = A },
	{ "exactly at available: offered", 0, A, .cached = true, .completed = CC, .user = true,
	  .exp = "migration_available", .rb = MG, .act = "offer", .next = E },
	{ "between available and enforced: offered", 0, "2025-03-05T12:00:00Z", .cached = true,
	  .completed = CC, .user = true,
	  .exp = "migration_available", .rb = MG, .act = "offer", .next = E },
	{ "offered at the logon screen too", 0, "2025-03-05T12:00:00Z", .cached = true,
	  .completed = CC, .exp = "migration_available", .rb = MG, .act = "offer", .next = E },
	{ "snoozed: hidden until the snooze ends", 0, "2025-03-03T08:30:00Z", .cached = true,
	  .completed = CC, .user = true, .snoozed = "2025-03-03T09:00:00Z",
	  .exp = "none", .rb = MG, .act = "wait", .next = "2025-03-03T09:00:00Z" },
	{ "snooze ends at its exact instant", 0, "2025-03-03T09:00:00Z", .cached = true,
	  .completed = CC, .user = true, .snoozed = "2025-03-03T09:00:00Z",
	  .exp = "migration_available", .rb = MG, .act = "offer", .next = E },
	{ "snooze past enforcement is cut at enforcement", 0, "2025-03-07T17:59:59Z",
	  .cached = true, .completed = CC, .user = true, .snoozed = "2025-03-08T18:00:00Z",
	  .exp = "none", .rb = MG, .act = "wait", .next = E },
	{ "snooze past enforcement ignored at enforcement", 0, E, .cached = true,
	  .completed = CC, .user = true, .snoozed = "2025-03-08T18:00:00Z",
	  .exp = "migration_starting", .rb = MG, .act = "announce_start",
	  .next = "2025-03-07T19:00:00Z", .minutes = 60 },
	{ "start now between available and enforced", 0, "2025-03-04T10:00:00Z", .cached = true,
	  .completed = CC, .user = true, .requested = true,
	  .exp = "migration_starting", .rb = MG, .act = "start" },
	{ "start now refused before available", 0, "2025-03-02T10:00:00Z", .cached = true,
	  .completed = CC, .user = true, .requested = true,
	  .exp = "none", .act = "wait", .next = A },
	{ "start now while snoozed", 0, "2025-03-04T10:00:00Z", .cached = true,
	  .completed = CC, .user = true, .requested = true, .snoozed = "2025-03-05T10:00:00Z",
	  .exp = "migration_starting", .rb = MG, .act = "start" },
	{ "one second before enforcement: still offered", 0, "2025-03-07T17:59:59Z",
	  .cached = true, .completed = CC, .user = true,
	  .exp = "migration_available", .rb = MG, .act = "offer", .next = E },
	{ "exactly at enforcement: announced", 0, E, .cached = true, .completed = CC,
	  .user = true, .exp = "migration_starting", .rb = MG, .act = "announce_start",
	  .next = "2025-03-07T19:00:00Z", .minutes = 60 },
	{ "enforced, nobody logged on: announced at the logon screen", 0, "2025-03-07T20:00:00Z",
	  .cached = true, .completed = CC, .exp = "migration_starting", .rb = MG,
	  .act = "announce_start", .next = "2025-03-07T21:00:00Z", .minutes = 60 },
	{ "countdown, 30 minutes left", 0, "2025-03-07T18:30:00Z", .cached = true,
	  .completed = CC, .user = true, .announced = E, .exp = "migration_starting", .rb = MG,
	  .act = "countdown", .next = "2025-03-07T19:00:00Z", .minutes = 30 },
	{ "countdown, one second left rounds up to a minute", 0, "2025-03-07T18:59:59Z",
	  .cached = true, .completed = CC, .user = true, .announced = E,
	  .exp = "migration_starting", .rb = MG, .act = "countdown",
	  .next = "2025-03-07T19:00:00Z", .minutes = 1 },
	{ "exactly 60 minutes after the announcement: start", 0, "2025-03-07T19:00:00Z",
	  .cached = true, .completed = CC, .user = true, .announced = E,
	  .exp = "migration_starting", .rb = MG, .act = "start" },
	{ "long after the announcement: start", 0, "2025-03-08T03:00:00Z", .cached = true,
	  .completed = CC, .announced = E, .exp = "migration_starting", .rb = MG, .act = "start" },
	{ "announced late (device was off): 60 minutes from the announcement", 0,
	  "2025-03-07T20:30:00Z", .cached = true, .completed = CC, .user = true,
	  .announced = "2025-03-07T20:00:00Z", .exp = "migration_starting", .rb = MG,
	  .act = "countdown", .next = "2025-03-07T21:00:00Z", .minutes = 30 },
	{ "clock back before enforcement after the announcement: countdown stands", 0,
	  "2025-03-07T16:00:00Z", .cached = true, .completed = CC, .user = true, .announced = E,
	  .exp = "migration_starting", .rb = MG, .act = "countdown",
	  .next = "2025-03-07T19:00:00Z", .minutes = 60 },
	{ "clock back before available: wait again", 0, "2025-03-02T00:00:00Z", .cached = true,
	  .completed = CC, .user = true, .exp = "none", .act = "wait", .next = A },
	{ "clock back after completion: nothing to do", 0, "2025-01-01T00:00:00Z",
	  .cached = true, .completed = BOTH, .user = true, .ack = true,
	  .exp = "none", .act = "none" },
	/* Steps 3-5: running (R1). */
	{ "running: in progress", 0, "2025-03-07T19:05:00Z", .cached = true, .completed = CC,
	  .user = true, .running = MG,
	  .exp = "migration_in_progress", .rb = MG, .act = "continue" },
	{ "running, server unreachable, user logged on: service unavailable", 0,
	  "2025-03-07T19:30:00Z", .cached = true, .completed = CC, .user = true,
	  .unreachable = true, .running = MG,
	  .exp = "service_unavailable", .rb = MG, .act = "continue" },
	{ "running, server unreachable, nobody logged on: in progress", 0,
	  "2025-03-07T19:30:00Z", .cached = true, .completed = CC, .unreachable = true,
	  .running = MG, .exp = "migration_in_progress", .rb = MG, .act = "continue" },
	{ "running, nobody logged on: in progress", 0, "2025-03-07T19:30:00Z", .cached = true,
	  .completed = CC, .running = MG,
	  .exp = "migration_in_progress", .rb = MG, .act = "continue" },
	{ "running a silent runbook shows nothing", 0, "2025-03-01T09:00:00Z", .cached = true,
	  .user = true, .unreachable = true, .running = CC,
	  .exp = "none", .rb = CC, .act = "continue" },
	{ "running wins over a clock before available", 0, "2025-01-01T00:00:00Z",
	  .cached = true, .completed = CC, .running = MG,
	  .exp = "migration_in_progress", .rb = MG, .act = "continue" },
	/* Step 6: complete, once, at the first logon (R2). */
	{ "complete, first logon: shown", 0, "2025-03-07T21:00:00Z", .cached = true,
	  .completed = BOTH, .user = true,
	  .exp = "migration_complete", .rb = MG, .act = "show_complete" },
	{ "complete, nobody logged on yet: waits for the logon", 0, "2025-03-07T21:00:00Z",
	  .cached = true, .completed = BOTH, .exp = "none", .act = "none" },
	{ "complete and acknowledged: shown no more", 0, "2025-03-07T21:10:00Z", .cached = true,
	  .completed = BOTH, .user = true, .ack = true, .exp = "none", .act = "none" },
	{ "complete shown before anything else pending", 0, "2025-03-07T21:00:00Z",
	  .cached = true, .completed = MG, .user = true,
	  .exp = "migration_complete", .rb = MG, .act = "show_complete" },
	/* No times: available at once, never enforced (R3, R7). */
	{ "no available_from: offered at once", 1, "2020-01-01T00:00:00Z", .cached = true,
	  .completed = CC, .user = true, .exp = "migration_available", .rb = MG, .act = "offer" },
	{ "no times, not cached: prompt", 1, "2020-01-01T00:00:00Z", .user = true,
	  .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
	{ "no enforcement: snooze without limit", 1, "2020-01-01T00:00:00Z", .cached = true,
	  .completed = CC, .snoozed = "2030-01-01T00:00:00Z",
	  .exp = "none", .rb = MG, .act = "wait", .next = "2030-01-01T00:00:00Z" },
	/* Missing prerequisites (R4). */
	{ "prerequisite missing from the batch: never starts", 2, "2025-03-08T00:00:00Z",
	  .cached = true, .user = true, .exp = "none", .act = "none" },
	{ "prerequisite completed elsewhere: offered", 2, "2025-03-04T00:00:00Z", .cached = true,
	  .completed = CC, .user = true, .exp = "migration_available", .rb = MG, .act = "offer" },
	/* Enforced at the instant it is available. */
	{ "available and enforced at once: announced", 3, A, .cached = true, .completed = CC,
	  .user = true, .exp = "migration_starting", .rb = MG, .act = "announce_start",
	  .next = "2025-03-03T09:00:00Z", .minutes = 60 },
	{ "available and enforced at once, a second before", 3, "2025-03-03T07:59:59Z",
	  .cached = true, .completed = CC, .exp = "none", .act = "wait", .next = A },
	/* Silent runbooks (R6). */
	{ "silent runbook starts when available, no credentials needed", 4, A,
	  .exp = "none", .rb = "silent-task", .act = "start" },
	{ "silent runbook waits for available", 4, "2025-03-01T00:00:00Z",
	  .exp = "none", .act = "wait", .next = A },
	{ "silent runbook done", 4, "2025-03-04T00:00:00Z", .completed = "silent-task",
	  .exp = "none", .act = "none" },
	/* Batch membership. */
	{ "device not in the batch: nothing", 0, "2025-03-04T09:00:00Z", .device = "OTHER-PC",
	  .user = true, .exp = "none", .act = "none" },
	{ "device in the batch (any case)", 0, "2025-03-04T09:00:00Z", .device = "fin-pc-001",
	  .user = true, .exp = "cache_credentials", .rb = CC, .act = "prompt_cache_credentials" },
};

struct fixture {
	struct batch *batches[sizeof(batches) / sizeof(batches[0])];
	struct runbook *rbs[3];
};

static struct runbook *load_rb(const char *path, const char *text)
{
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;
	char *owned = NULL;
	size_t len;

	if (path) {
		assert_int_equal(rb_read_file(&owned, &len, path, RUNBOOK_MAX_BYTES), FERRY_OK);
		text = owned;
	}
	assert_int_equal(runbook_parse(&rb, &iss, "t", text, strlen(text)), FERRY_OK);
	ferry_free(owned);
	return rb;
}

static int setup(void **state)
{
	static struct fixture f;
	size_t len;
	char *text = NULL;
	struct rb_issues iss = { 0 };

	f.rbs[0] = load_rb(SAMPLES "cache-credentials.json", NULL);
	f.rbs[1] = load_rb(SAMPLES "migration.json", NULL);
	f.rbs[2] = load_rb(NULL, "{\"schema\":\"ferry.runbook/1\",\"id\":\"silent-task\","
				 "\"name\":\"t\",\"startup\":{\"mode\":\"silent\"}}");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		if (batches[i]) {
			assert_int_equal(batch_parse(&f.batches[i], &iss, "b", batches[i],
						     strlen(batches[i]), NULL, false), FERRY_OK);
			continue;
		}
		assert_int_equal(rb_read_file(&text, &len, SAMPLES "batch-01.json", 65536), FERRY_OK);
		assert_int_equal(batch_parse(&f.batches[i], &iss, "b", text, len, SAMPLES, true),
				 FERRY_OK);
		ferry_free(text);
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(f->batches) / sizeof(f->batches[0]); i++)
		batch_free(f->batches[i]);
	for (size_t i = 0; i < 3; i++)
		runbook_free(f->rbs[i]);
	return 0;
}

static int64_t t(const char *s)
{
	int64_t v = RB_TIME_NONE;

	if (s)
		assert_int_equal(rfc3339_parse(&v, s), FERRY_OK);
	return v;
}

static void run_row(const struct fixture *f, const struct row *r)
{
	const char *completed[4];
	char list[128], when[RFC3339_BUF] = "null";
	struct device_state st = { 0 };
	struct schedule_decision d;
	size_t n = 0;

	if (r->completed) {
		snprintf(list, sizeof(list), "%s", r->completed);
		for (char *tok = strtok(list, ","); tok && n < 4; tok = strtok(NULL, ","))
			completed[n++] = tok;
	}
	st.credentials_cached = r->cached;
	st.completed = completed;
	st.n_completed = n;
	st.snoozed_until = t(r->snoozed);
	st.running_runbook = r->running;
	st.running_phase = r->running ? "startup" : NULL;
	st.server_reachable = !r->unreachable;
	st.user_logged_on = r->user;
	st.complete_acknowledged = r->ack;
	st.start_announced_at = t(r->announced);
	st.start_requested = r->requested;
	st.device_name = r->device;
	schedule_decide(&d, f->batches[r->batch], (const struct runbook *const *)f->rbs, 3, &st,
			t(r->now));
	if (d.next_check != RB_TIME_NONE)
		rfc3339_format(when, d.next_check);
	print_message("  %-70s %s %s %s %s\n", r->name, schedule_experience_name(d.experience),
		      d.runbook ? d.runbook : "null", schedule_action_name(d.action), when);
	assert_string_equal(schedule_experience_name(d.experience), r->exp);
	assert_string_equal(d.runbook ? d.runbook : "null", r->rb ? r->rb : "null");
	assert_string_equal(schedule_action_name(d.action), r->act);
	assert_string_equal(when, r->next ? r->next : "null");
	if (r->minutes)
		assert_int_equal(d.minutes, r->minutes);
}

static void test_schedule__table(void **state)
{
	size_t n = sizeof(rows) / sizeof(rows[0]);

	for (size_t i = 0; i < n; i++)
		run_row(*state, &rows[i]);
	print_message("%u scheduling rows\n", (unsigned)n);
	assert_true(n >= 40);
}

static void test_schedule__state_file_keys(void **state)
{
	const char *doc = "{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],"
			  "\"snoozed_until\":\"2025-03-04T10:00:00Z\",\"running\":{\"runbook\":"
			  "\"migration\",\"phase\":\"device_state\"},\"server_reachable\":false,"
			  "\"user_logged_on\":true,\"complete_acknowledged\":false}";
	struct device_state_doc *d = NULL;
	struct rb_issues iss = { 0 };

	(void)state;
	assert_int_equal(device_state_parse(&d, &iss, "s", doc, strlen(doc)), FERRY_OK);
	assert_true(d->st.credentials_cached);
	assert_int_equal(d->st.n_completed, 1);
	assert_string_equal(d->st.completed[0], "cache-credentials");
	assert_int_equal(d->st.snoozed_until, t("2025-03-04T10:00:00Z"));
	assert_string_equal(d->st.running_runbook, "migration");
	assert_string_equal(d->st.running_phase, "device_state");
	assert_false(d->st.server_reachable);
	assert_true(d->st.user_logged_on);
	assert_int_equal(d->st.start_announced_at, RB_TIME_NONE);
	device_state_free(d);
	doc = "{\"credentials_cached\":1,\"snoozed_until\":\"soon\"}";
	assert_int_equal(device_state_parse(&d, &iss, "s", doc, strlen(doc)), FERRY_ECORRUPT);
	assert_int_equal(iss.n, 2);
	assert_string_equal(iss.v[0].pointer, "/credentials_cached");
	assert_string_equal(iss.v[1].pointer, "/snoozed_until");
	rb_issues_clear(&iss);
}

static void test_schedule__state_file_round_trips(void **state)
{
	static const char *const done[] = { "cache-credentials", "prep" };
	struct device_state st = { 0 }, *back;
	struct device_state_doc *d = NULL;
	struct rb_issues iss = { 0 };
	char *text = NULL;

	(void)state;
	st.credentials_cached = true;
	st.credentials_user = "TARGET\\jdoe";
	st.completed = done;
	st.n_completed = 2;
	st.snoozed_until = t("2025-03-04T10:00:00Z");
	st.running_runbook = "migration";
	st.complete_acknowledged = true;
	st.start_announced_at = RB_TIME_NONE;
	st.start_requested = true;
	assert_int_equal(device_state_format(&text, &st), FERRY_OK);
	assert_int_equal(device_state_parse(&d, &iss, "s", text, strlen(text)), FERRY_OK);
	back = &d->st;
	assert_true(back->credentials_cached);
	assert_string_equal(back->credentials_user, "TARGET\\jdoe");
	assert_int_equal(back->n_completed, 2);
	assert_string_equal(back->completed[1], "prep");
	assert_int_equal(back->snoozed_until, st.snoozed_until);
	assert_string_equal(back->running_runbook, "migration");
	assert_true(back->complete_acknowledged);
	assert_int_equal(back->start_announced_at, RB_TIME_NONE);
	assert_true(back->start_requested);
	device_state_free(d);
	cJSON_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schedule__table, setup, teardown),
		cmocka_unit_test(test_schedule__state_file_keys),
		cmocka_unit_test(test_schedule__state_file_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
