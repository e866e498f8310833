/* core/engine/rehearse: the sample migration rehearsed over the fake platform's clock and storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/rehearse.h"
#include "fake_platform.h"
#include "runbook/runbook.h"
#include "util/mem.h"

#define SAMPLES FERRY_TEST_DATA "/../../resources/samples/"
#define EXPECTED FERRY_TEST_DATA "/rehearse/engine-migration.txt"
#define T0 1741374000 /* 2025-03-07T19:00:00Z */

struct sink {
	char text[16384];
	size_t len;
	unsigned lines;
};

static void sink_line(void *ctx, const char *op, const char *args)
{
	struct sink *s = ctx;
	int n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s%s%s\n", op,
			 *args ? " " : "", args);

	assert_true(n > 0 && (size_t)n < sizeof(s->text) - s->len);
	s->len += (size_t)n;
	s->lines++;
}

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

static const struct rehearse_start source_pc = {
	.ad_domain = "source.example", .entra_joined = true, .boot_id = 1,
};

/* The service's loop with a simulated clock: reopen after each reboot,
 * jump to each wake time. */
static void rehearse_run(struct fake_platform *f, struct rehearse *h, const struct runbook *rb)
{
	struct engine *e = NULL;
	struct engine_result r;

	for (int i = 0; i < 100; i++) {
		if (!e)
			assert_int_equal(engine_open(&e, rehearse_platform(h), rb, "rehearsal",
						     f->profiles, f->n_profiles),
					 FERRY_OK);
		assert_int_equal(engine_run(e, &r), FERRY_OK);
		switch (r.status) {
		case ENGINE_DONE:
			engine_free(e);
			return;
		case ENGINE_STOPPED:
			fail_msg("rehearsal stopped: %s", r.reason);
			break;
		case ENGINE_REBOOTING:
			engine_free(e);
			e = NULL;
			break;
		case ENGINE_WAITING:
			assert_true(r.wake_at > f->clock);
			f->clock = r.wake_at;
			break;
		}
	}
	fail_msg("the rehearsal did not finish");
}

static void test_rehearse__sample_migration_yields_expected_sequence(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;
	struct rehearse *h = NULL;
	static struct sink s;
	char *expected = NULL;
	size_t len = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	fake_platform_init(&f, T0);
	assert_int_equal(rehearse_new(&h, &f.ops, &source_pc, sink_line, &s), FERRY_OK);
	rehearse_run(&f, h, rb);
	assert_int_equal(rehearse_count(h), s.lines);
	assert_int_equal(rb_read_file(&expected, &len, EXPECTED, 65536), FERRY_OK);
	if (strcmp(expected, s.text))
		print_message("got:\n%s", s.text);
	assert_string_equal(expected, s.text);
	/* The cleanup step waits 72 h on the simulated clock. */
	assert_true(f.clock >= T0 + 72 * 3600);
	ferry_free(expected);
	rehearse_free(h);
	fake_platform_free(&f);
	runbook_free(rb);
}

static void test_rehearse__changes_nothing_on_the_inner_platform(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;
	struct fake_world before;
	struct rehearse *h = NULL;

	(void)state;
	fake_platform_init(&f, T0);
	before = f.world;
	assert_int_equal(rehearse_new(&h, &f.ops, &source_pc, NULL, NULL), FERRY_OK);
	rehearse_run(&f, h, rb);
	assert_true(rehearse_count(h) > 20);
	for (int op = 0; op < FX_COUNT; op++)
		if (f.calls[op])
			fail_msg("inner op %s was called %u times", fake_op_name(op), f.calls[op]);
	assert_memory_equal(&before, &f.world, sizeof(before));
	assert_true(f.file_exists); /* the rehearsal is journaled through the inner storage */
	rehearse_free(h);
	fake_platform_free(&f);
	runbook_free(rb);
}

static void test_rehearse__checks_follow_recorded_effects(void **state)
{
	struct fake_platform f;
	struct rehearse *h = NULL;
	const struct ferry_platform *p;
	struct ferry_join_state js;
	const char *const accounts[] = { "left-behind" };
	struct rehearse_start st = source_pc;
	uint64_t boot = 0;
	bool b = false;

	(void)state;
	st.accounts = accounts;
	st.n_accounts = 1;
	fake_platform_init(&f, T0);
	assert_int_equal(rehearse_new(&h, &f.ops, &st, NULL, NULL), FERRY_OK);
	p = rehearse_platform(h);
	assert_int_equal(p->query_join(p->ctx, &js), FERRY_OK);
	assert_string_equal(js.ad_domain, "source.example");
	assert_true(js.entra_joined);
	assert_int_equal(p->odj_ready(p->ctx, "target.example", &b), FERRY_OK);
	assert_false(b);
	assert_int_equal(p->obtain_odj(p->ctx, "target.example", NULL), FERRY_OK);
	assert_int_equal(p->odj_ready(p->ctx, "target.example", &b), FERRY_OK);
	assert_true(b); /* the simulated blob is on disk for the guard */
	assert_int_equal(p->odj_ready(p->ctx, "other.example", &b), FERRY_OK);
	assert_false(b);
	assert_int_equal(p->unjoin_domain(p->ctx), FERRY_OK);
	assert_int_equal(p->leave_entra(p->ctx), FERRY_OK);
	assert_int_equal(p->query_join(p->ctx, &js), FERRY_OK);
	assert_string_equal(js.ad_domain, "");
	assert_false(js.entra_joined);
	assert_int_equal(p->import_odj(p->ctx, "target.example", NULL), FERRY_OK);
	assert_int_equal(p->query_join(p->ctx, &js), FERRY_OK);
	assert_string_equal(js.ad_domain, "target.example");
	assert_int_equal(p->odj_ready(p->ctx, "target.example", &b), FERRY_OK);
	assert_false(b); /* deleted after the import */
	assert_int_equal(p->boot_id(p->ctx, &boot), FERRY_OK);
	assert_int_equal(boot, 1);
	assert_int_equal(p->reboot(p->ctx), FERRY_OK);
	assert_int_equal(p->boot_id(p->ctx, &boot), FERRY_OK);
	assert_int_equal(boot, 2);
	assert_int_equal(p->account_exists(p->ctx, "left-behind", &b), FERRY_OK);
	assert_true(b);
	assert_int_equal(p->account_exists(p->ctx, "helpdesk", &b), FERRY_OK);
	assert_false(b);
	assert_int_equal(p->create_fallback_account(p->ctx, "helpdesk"), FERRY_OK);
	assert_int_equal(p->account_exists(p->ctx, "helpdesk", &b), FERRY_OK);
	assert_true(b);
	assert_int_equal(p->delete_fallback_account(p->ctx, "helpdesk"), FERRY_OK);
	assert_int_equal(p->account_exists(p->ctx, "helpdesk", &b), FERRY_OK);
	assert_false(b);
	assert_int_equal(p->run_command_package(p->ctx, "pkg"), FERRY_OK);
	assert_int_equal(p->now(p->ctx), T0); /* the clock is the inner one */
	rehearse_free(h);
	fake_platform_free(&f);
}

static void test_rehearse__record_escapes_quotes_and_controls(void **state)
{
	struct fake_platform f;
	struct rehearse *h = NULL;
	const struct ferry_platform *p;
	static struct sink s;

	(void)state;
	memset(&s, 0, sizeof(s));
	fake_platform_init(&f, T0);
	assert_int_equal(rehearse_new(&h, &f.ops, &source_pc, sink_line, &s), FERRY_OK);
	p = rehearse_platform(h);
	assert_int_equal(p->set_legal_notice(p->ctx, "say \"hi\"", "a\\b\nc"), FERRY_OK);
	assert_int_equal(p->report_event(p->ctx, "e", NULL), FERRY_OK);
	assert_string_equal(s.text, "set_legal_notice caption=\"say \\\"hi\\\"\" text=\"a\\\\b\\x0ac\"\n"
				    "report_event event=\"e\" reason=null\n");
	rehearse_free(h);
	fake_platform_free(&f);
}

static void test_rehearse__logon_check_records_who_never_the_password(void **state)
{
	struct fake_platform f;
	struct rehearse *h = NULL;
	const struct ferry_platform *p;
	struct ferry_secret *pw = NULL;
	enum logon_outcome o = LOGON_OUTCOME_OTHER;
	static struct sink s;

	(void)state;
	memset(&s, 0, sizeof(s));
	fake_platform_init(&f, T0);
	assert_int_equal(rehearse_new(&h, &f.ops, &source_pc, sink_line, &s), FERRY_OK);
	p = rehearse_platform(h);
	assert_int_equal(ferry_secret_from(&pw, "Hunter2-Secret", 14), FERRY_OK);
	assert_int_equal(p->check_logon(p->ctx, "jdoe", "TARGET", pw, &o), FERRY_OK); /* frees pw */
	assert_int_equal(o, LOGON_OUTCOME_OK);
	assert_string_equal(s.text, "cache_credentials_logon user=\"jdoe\" domain=\"TARGET\"\n");
	assert_null(strstr(s.text, "Hunter2"));
	assert_int_equal(rehearse_count(h), 1);
	rehearse_free(h);
	fake_platform_free(&f);
}

static void test_rehearse__out_of_memory_fails_cleanly(void **state)
{
	struct fake_platform f;
	const char *const accounts[] = { "a", "b" };
	struct rehearse_start st = source_pc;
	struct rehearse *h = NULL;
	ferry_err err = FERRY_ENOMEM;

	(void)state;
	st.accounts = accounts;
	st.n_accounts = 2;
	fake_platform_init(&f, T0);
	for (unsigned long n = 1; err == FERRY_ENOMEM; n++) {
		ferry_alloc_fail_after(n);
		err = rehearse_new(&h, &f.ops, &st, NULL, NULL);
		ferry_alloc_fail_after(0);
		if (err == FERRY_ENOMEM)
			assert_null(h);
	}
	assert_int_equal(err, FERRY_OK);
	rehearse_free(h);
	fake_platform_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rehearse__sample_migration_yields_expected_sequence),
		cmocka_unit_test(test_rehearse__changes_nothing_on_the_inner_platform),
		cmocka_unit_test(test_rehearse__checks_follow_recorded_effects),
		cmocka_unit_test(test_rehearse__record_escapes_quotes_and_controls),
		cmocka_unit_test(test_rehearse__logon_check_records_who_never_the_password),
		cmocka_unit_test(test_rehearse__out_of_memory_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
