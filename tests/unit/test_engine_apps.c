/*
 * App reconfiguration: the decision table of core/engine/app_reset.h
 * (idempotent when re-run after a crash at any point, for reset and
 * rollback), and the engine's op sequence for a runbook with resets and the
 * agent's uninstall, on the fake platform. The moves themselves run under
 * Wine (tests/win/test_profops_apps.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/app_reset.h"
#include "engine/engine.h"
#include "fake_platform.h"
#include "runbook/runbook.h"
#include "util/mem.h"

/* One item on disk: where the original data is, and the record. */
struct item_state {
	int src, bak; /* 0 = absent, else a data version (1 = the user's original) */
	bool recorded, moving;
	bool crashed;
	int steps, crash_at; /* sub-steps done so far, crash at this one (1-based) */
};

/* A sub-step; false if the "process" died before it. */
static bool act(struct item_state *s)
{
	if (s->crashed || ++s->steps == s->crash_at) {
		s->crashed = true;
		return false;
	}
	return true;
}

/* What app_reset.c does for one item, in the same order: record the
 * intent, copy X to X.ferry-bak (-1 = a partial copy until it ends), delete
 * X, record the move done. */
static void reset_once(struct item_state *s)
{
	switch (app_reset_decide(s->src != 0, s->bak != 0, s->recorded, s->moving)) {
	case APP_STEP_MOVE:
		if (!act(s))
			return;
		s->moving = true;
		s->bak = -1;
		if (!act(s))
			return;
		s->bak = s->src;
		if (!act(s))
			return;
		s->src = 0;
		/* fall through */
	case APP_STEP_RECORD:
		if (act(s))
			s->recorded = true;
		break;
	case APP_STEP_NOTHING:
	case APP_STEP_DONE:
	case APP_STEP_CONFLICT:
		break;
	}
}

/* What undo_one does (set aside, rename back, unrecord). */
static void rollback_once(struct item_state *s, int *set_aside)
{
	switch (app_rollback_decide(s->src != 0, s->bak != 0)) {
	case APP_UNDO_SWAP:
		if (!act(s))
			return;
		*set_aside = s->src;
		s->src = 0;
		/* fall through */
	case APP_UNDO_RESTORE:
		if (!act(s))
			return;
		s->src = s->bak;
		s->bak = 0;
		/* fall through */
	case APP_UNDO_NOTHING:
		if (act(s))
			s->recorded = false;
		break;
	}
}

static void test_engine_apps__reset_is_idempotent_after_a_crash_at_every_step(void **state)
{
	(void)state;
	for (int crash = 0; crash <= 5; crash++) {
		struct item_state s = { .src = 1, .crash_at = crash };

		reset_once(&s);
		s.crashed = false;
		s.crash_at = 0;
		reset_once(&s); /* the re-run after the crash */
		reset_once(&s); /* and once more, as the engine may */
		assert_int_equal(s.src, 0);
		assert_int_equal(s.bak, 1); /* the original, moved once, never lost */
		assert_true(s.recorded);
	}
}

static void test_engine_apps__a_recorded_reset_is_not_redone_when_the_app_came_back(void **state)
{
	struct item_state s = { .src = 1 };

	(void)state;
	reset_once(&s);
	s.src = 2; /* the app re-created its data at first logon */
	reset_once(&s);
	assert_int_equal(s.src, 2);
	assert_int_equal(s.bak, 1); /* the backup is not overwritten */
	assert_int_equal(app_reset_decide(true, true, true, false), APP_STEP_DONE);
}

static void test_engine_apps__missing_app_and_foreign_backup_are_left_alone(void **state)
{
	struct item_state none = { 0 };
	struct item_state foreign = { .src = 2, .bak = 1 };

	(void)state;
	reset_once(&none);
	assert_int_equal(none.src + none.bak, 0);
	assert_false(none.recorded); /* nothing to do is not recorded as a move */
	reset_once(&foreign);
	assert_int_equal(foreign.src, 2);
	assert_int_equal(foreign.bak, 1);
	assert_false(foreign.recorded);
	assert_int_equal(app_reset_decide(true, true, false, false), APP_STEP_CONFLICT);
	assert_int_equal(app_reset_decide(true, true, false, true), APP_STEP_MOVE);
}

static void test_engine_apps__rollback_is_idempotent_after_a_crash_at_every_step(void **state)
{
	(void)state;
	for (int recreated = 0; recreated <= 1; recreated++) {
		for (int crash = 0; crash <= 4; crash++) {
			struct item_state s = { .src = 1 };
			int aside = 0;

			reset_once(&s);
			assert_false(s.crashed);
			if (recreated)
				s.src = 2;
			s.steps = 0;
			s.crash_at = crash;
			rollback_once(&s, &aside);
			s.crashed = false;
			s.crash_at = 0;
			rollback_once(&s, &aside);
			rollback_once(&s, &aside);
			assert_int_equal(s.src, 1); /* the user's original is back */
			assert_int_equal(s.bak, 0);
			assert_false(s.recorded);
			assert_int_equal(aside, recreated ? 2 : 0); /* nothing deleted */
		}
	}
}

static void test_engine_apps__table_covers_each_app_with_unique_ids(void **state)
{
	size_t n;
	const struct app_item *it = app_reset_items(&n);
	unsigned seen = 0;

	(void)state;
	assert_true(n >= 6);
	for (size_t i = 0; i < n; i++) {
		seen |= it[i].app;
		assert_non_null(strchr(it[i].path, '\\')); /* every item has a parent */
		assert_ptr_equal(app_reset_item(it[i].id), &it[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(it[i].id, it[j].id);
		if (it[i].kind == APP_ITEM_KEY_PREFIX || it[i].kind == APP_ITEM_RUNONCE)
			assert_non_null(it[i].prefix);
	}
	assert_int_equal(seen, RB_APP_OFFICE | RB_APP_TEAMS | RB_APP_ONEDRIVE);
	assert_string_equal(app_reset_item("office.identity")->path,
			    "Software\\Microsoft\\Office\\16.0\\Common\\Identity");
	assert_string_equal(app_reset_item("onedrive.business")->prefix, "Business");
	assert_null(app_reset_item("nope"));
}

/* --- the engine with resets and the uninstall ------------------------- */

#define SAMPLE FERRY_TEST_DATA "/../../resources/samples/migration.json"
#define T0 1741374000

static void replace(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from);
	size_t fl = strlen(from), tl = strlen(to);

	assert_non_null(p);
	assert_true(tl <= fl);
	memmove(p + tl, p + fl, strlen(p + fl) + 1);
	memcpy(p, to, tl);
}

/* The sample migration with resets of Office and OneDrive and the uninstall. */
static struct runbook *load_variant(void)
{
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;
	char *text = NULL;
	size_t len;

	assert_int_equal(rb_read_file(&text, &len, SAMPLE, RUNBOOK_MAX_BYTES), FERRY_OK);
	replace(text, "[\"office\", \"teams\", \"onedrive\"]", "[\"office\", \"onedrive\"]");
	/* The sample itself has completion.uninstall_agent true. */
	assert_int_equal(runbook_parse(&rb, &iss, "variant.json", text, strlen(text)), FERRY_OK);
	ferry_free(text);
	return rb;
}

static enum engine_status drive(struct fake_platform *f, const struct runbook *rb)
{
	struct engine *e = NULL;
	struct engine_result r;

	for (int i = 0; i < 1000; i++) {
		if (!e && engine_open(&e, &f->ops, rb, "journal", f->profiles, f->n_profiles) !=
			      FERRY_OK) {
			fake_platform_power_cycle(f);
			continue;
		}
		if (engine_run(e, &r) != FERRY_OK) {
			assert_true(f->crashed);
			engine_free(e);
			e = NULL;
			fake_platform_power_cycle(f);
			continue;
		}
		if (r.status == ENGINE_DONE || r.status == ENGINE_STOPPED) {
			engine_free(e);
			return r.status;
		}
		if (r.status == ENGINE_REBOOTING) {
			engine_free(e);
			e = NULL;
		} else {
			f->clock = r.wake_at;
		}
	}
	fail_msg("the engine did not finish");
	return ENGINE_STOPPED;
}

static void test_engine_apps__plan_and_run_with_resets_and_uninstall(void **state)
{
	struct runbook *rb = load_variant();
	struct engine_step *s = NULL;
	size_t n = 0, reacl = 0, remap = 0, reset = 0, uninstall = 0, restore = 0;
	struct fake_platform f;
	const char *p_remap, *p_reset, *p_uninstall;

	(void)state;
	assert_int_equal(rb->app_reset, RB_APP_OFFICE | RB_APP_ONEDRIVE);
	assert_int_equal(engine_plan(&s, &n, rb, &(struct ferry_profile){ FAKE_SOURCE_SID,
									    FAKE_TARGET_SID }, 1),
			 FERRY_OK);
	for (size_t i = 0; i < n; i++) {
		if (s[i].op == OP_REACL_REGISTRY_HIVES)
			reacl = i;
		if (s[i].op == OP_REMAP_PROFILE)
			remap = i;
		if (s[i].op == OP_RESET_APPS)
			reset = i;
		if (s[i].op == OP_UNINSTALL_AGENT)
			uninstall = i;
		if (s[i].op == OP_RESTORE_LOCK_SCREEN)
			restore = i;
	}
	/* Hives are translated, the profile remapped, then the apps reset in
	 * that profile; the uninstall comes after the completion phase. */
	assert_true(reacl < remap && remap < reset && reset < restore && restore < uninstall);
	assert_int_equal(s[reset].phase, PHASE_APP_RECONFIGURATION);
	ferry_free(s);

	fake_platform_init(&f, T0);
	assert_int_equal(drive(&f, rb), ENGINE_DONE);
	assert_int_equal(f.world.apps_reset, RB_APP_OFFICE | RB_APP_ONEDRIVE);
	assert_true(f.world.uninstalled);
	p_remap = strstr(f.log, "remap_profile");
	p_reset = strstr(f.log, "reset_apps");
	p_uninstall = strstr(f.log, "uninstall_agent");
	/* The fake logs the resets with their arguments, as a rehearsal does. */
	assert_non_null(strstr(f.log, "reset_apps(apps=office,onedrive)\n"));
	/* The agent removes itself last, after the fallback account's deletion. */
	assert_true(strstr(f.log, "delete_fallback_account") < p_uninstall);
	assert_true(p_remap && p_reset && p_uninstall && p_remap < p_reset && p_reset < p_uninstall);
	fake_platform_free(&f);

	/* A crash right after each effect: the resets end the same. */
	for (unsigned long k = 1; k < 40; k++) {
		fake_platform_init(&f, T0);
		f.crash_after_effect = k;
		assert_int_equal(drive(&f, rb), ENGINE_DONE);
		assert_int_equal(f.world.apps_reset, RB_APP_OFFICE | RB_APP_ONEDRIVE);
		assert_true(f.world.uninstalled);
		fake_platform_free(&f);
	}
	runbook_free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_apps__reset_is_idempotent_after_a_crash_at_every_step),
		cmocka_unit_test(test_engine_apps__a_recorded_reset_is_not_redone_when_the_app_came_back),
		cmocka_unit_test(test_engine_apps__missing_app_and_foreign_backup_are_left_alone),
		cmocka_unit_test(test_engine_apps__rollback_is_idempotent_after_a_crash_at_every_step),
		cmocka_unit_test(test_engine_apps__table_covers_each_app_with_unique_ids),
		cmocka_unit_test(test_engine_apps__plan_and_run_with_resets_and_uninstall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
