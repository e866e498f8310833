/* core/engine: the sample migration on the fake platform, clean and under every crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/journal.h"
#include "engine/platform_layer.h"
#include "fake_platform.h"
#include "runbook/runbook.h"
#include "util/mem.h"

#define SAMPLES FERRY_TEST_DATA "/../../resources/samples/"
#define T0 1741374000 /* 2025-03-07T19:00:00Z, when the sample migration starts */

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

/* The service's loop: run, reboot when asked, sleep until the wake time,
 * and after a crash power-cycle and reopen. */
static enum engine_status drive(struct fake_platform *f, const struct runbook *rb)
{
	struct engine *e = NULL;
	struct engine_result r;

	for (int i = 0; i < 1000; i++) {
		if (!e && engine_open(&e, &f->ops, rb, "journal", f->profiles, f->n_profiles) !=
			      FERRY_OK) {
			assert_true(f->crashed);
			fake_platform_power_cycle(f);
			continue;
		}
		if (engine_run(e, &r) != FERRY_OK) {
			assert_true(f->crashed); /* only a crash may make the engine give up */
			engine_free(e);
			e = NULL;
			fake_platform_power_cycle(f);
			continue;
		}
		switch (r.status) {
		case ENGINE_DONE:
		case ENGINE_STOPPED:
			engine_free(e);
			return r.status;
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
	fail_msg("the engine did not finish");
	return ENGINE_STOPPED;
}

/* The non-idempotent effects, in order, without reboots (a power loss can
 * stand in for a requested reboot). */
static void effect_sequence(const struct fake_platform *f, char *out, size_t cap)
{
	static const char *const keep[] = { "create_fallback_account", "run_command_package",
		"unjoin_domain", "leave_entra", "import_odj" };
	const char *line = f->log;

	out[0] = '\0';
	const char *last = NULL;
	size_t last_n = 0;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = (size_t)(nl - line);

		/* A package runs at least once: a crash between its exit and its
		 * DONE record runs it again, right after (docs/packages.md). */
		if (last && n == last_n && !strncmp(line, last, n) &&
		    !strncmp(line, "run_command_package", 19)) {
			line = nl + 1;
			continue;
		}
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (!strncmp(line, keep[k], strlen(keep[k])) && strlen(out) + n + 2 < cap) {
				strncat(strncat(out, line, n), "\n", 2);
				last = line;
				last_n = n;
			}
		line = nl + 1;
	}
}

static void assert_same_outcome(const struct fake_platform *clean, const struct fake_platform *f)
{
	char a[2048], b[2048];

	assert_memory_equal(&clean->world, &f->world, sizeof(f->world));
	effect_sequence(clean, a, sizeof(a));
	effect_sequence(f, b, sizeof(b));
	assert_string_equal(a, b);
	/* No non-idempotent op ran twice. */
	assert_true(f->calls[FX_CREATE_FALLBACK] <= 1);
	assert_true(f->calls[FX_UNJOIN] <= 1);
	assert_true(f->calls[FX_LEAVE_ENTRA] <= 1);
	assert_true(f->calls[FX_IMPORT_ODJ] <= 1);
	/* At least once, and twice only when the one crash fell between. */
	for (unsigned i = 0; i < f->world.n_packages; i++)
		assert_true(f->pkg_runs[i] >= 1 && f->pkg_runs[i] <= 2);
	assert_true(f->calls[FX_REBOOT] <= clean->calls[FX_REBOOT]);
}

static void clean_run(struct fake_platform *f, const struct runbook *rb)
{
	fake_platform_init(f, T0);
	assert_int_equal(drive(f, rb), ENGINE_DONE);
	assert_int_equal(f->crashes, 0);
}

static void test_engine__plan_follows_the_story(void **state)
{
	static const enum engine_op want[] = {
		OP_OBTAIN_ODJ, OP_CREATE_FALLBACK_ACCOUNT, OP_SET_LOCK_SCREEN, OP_SET_LEGAL_NOTICE,
		OP_SET_PREVENT_LOGIN, OP_RUN_COMMAND_PACKAGE, OP_NOTIFY_USER, OP_CACHE_CREDENTIALS,
		OP_UNJOIN_DOMAIN, OP_LEAVE_ENTRA, OP_REBOOT, OP_IMPORT_ODJ, OP_REBOOT, OP_REACL_PATHS,
		OP_REACL_PATHS, OP_REACL_REGISTRY_HIVES, OP_REMAP_PROFILE, OP_RESET_APPS, OP_RUN_COMMAND_PACKAGE,
		OP_RESTORE_LOCK_SCREEN, OP_RESTORE_LEGAL_NOTICE, OP_CLEAR_PREVENT_LOGIN, OP_REBOOT,
		OP_DELETE_FALLBACK_ACCOUNT, OP_UNINSTALL_AGENT,
	};
	struct runbook *rb = load(SAMPLES "migration.json");
	struct runbook *cc = load(SAMPLES "cache-credentials.json");
	struct engine_step *s = NULL;
	size_t n = 0;
	enum engine_phase last = PHASE_STARTUP;

	static const struct ferry_profile one = { FAKE_SOURCE_SID, FAKE_TARGET_SID };

	(void)state;
	assert_int_equal(engine_plan(&s, &n, rb, &one, 1), FERRY_OK);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		print_message("  %2u %-20s %s%s%s\n", (unsigned)i, engine_phase_name(s[i].phase),
			      engine_op_name(s[i].op), s[i].arg ? " " : "", s[i].arg ? s[i].arg : "");
		assert_int_equal(s[i].op, want[i]);
		assert_true(s[i].phase >= last); /* phases never go back */
		last = s[i].phase;
	}
	assert_string_equal(s[5].arg, "stop-sync-client");
	/* The configured paths once, then the profile's folder, hives, remap. */
	assert_null(s[13].profile);
	assert_ptr_equal(s[14].profile, &one);
	assert_ptr_equal(s[16].profile, &one);
	/* The fallback account goes after its delay, and only then the agent. */
	assert_int_equal(s[n - 2].delay_seconds, 72 * 3600);
	assert_int_equal(s[n - 1].delay_seconds, 0);
	ferry_free(s);
	assert_int_equal(engine_plan(&s, &n, cc, &one, 1), FERRY_OK);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].op, OP_CACHE_CREDENTIALS);
	ferry_free(s);
	runbook_free(rb);
	runbook_free(cc);
}

static void test_engine__clean_run_migrates_the_pc(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;

	(void)state;
	clean_run(&f, rb);
	print_message("%s", f.log);
	assert_string_equal(f.world.ad_domain, "target.example");
	assert_false(f.world.entra_joined);
	assert_true(f.world.creds_cached);
	assert_false(f.world.fallback_exists); /* deleted after its delay */
	assert_true(f.clock >= T0 + 72 * 3600);
	assert_false(f.world.lock_screen_set);
	assert_false(f.world.legal_notice_set);
	assert_int_equal(f.world.lease_until, 0);
	assert_int_equal(f.world.n_packages, 2);
	assert_true(f.world.reacl_paths);
	assert_int_equal(f.world.profile_folders & f.world.reacl_hives & f.world.profile_remapped, 1);
	assert_int_equal(f.world.apps_reset, RB_APP_OFFICE | RB_APP_TEAMS | RB_APP_ONEDRIVE);
	assert_true(f.world.uninstalled); /* the sample's completion.uninstall_agent */
	assert_int_equal(f.calls[FX_REBOOT], 3);
	assert_string_equal(f.world.last_event, "");
	/* The join in hand before the unjoin: the blob came first of all, and
	 * it is gone after the import. */
	assert_true(strncmp(f.log, "obtain_odj(target.example)\n", 27) == 0);
	assert_int_equal(f.calls[FX_OBTAIN_ODJ], 1);
	assert_int_equal(f.unjoins_without_blob, 0);
	assert_int_equal(f.world.odj_blob, FAKE_ODJ_NONE);
	print_message("clean run: %lu journal writes, %lu appends, %lu effects\n", f.writes,
		      f.appends, f.effects);
	fake_platform_free(&f);
	runbook_free(rb);
}

static void test_engine__resumes_after_crash_at_every_journal_write(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;
	unsigned long points;

	(void)state;
	clean_run(&clean, rb);
	points = clean.writes;
	for (unsigned long k = 1; k <= points; k++) {
		fake_platform_init(&f, T0);
		f.crash_at_write = k;
		assert_int_equal(drive(&f, rb), ENGINE_DONE);
		assert_int_equal(f.crashes, 1);
		assert_same_outcome(&clean, &f);
		fake_platform_free(&f);
	}
	print_message("crash sweep: %lu crash points (every journal write) covered\n", points);
	assert_int_equal(clean.unjoins_without_blob, 0);
	assert_true(points > 40);
	fake_platform_free(&clean);
	runbook_free(rb);
}

static void test_engine__resumes_after_torn_write_at_every_byte(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;
	unsigned long runs = 0, last;

	(void)state;
	clean_run(&clean, rb);
	assert_true(clean.appends <= 256);
	/* Every byte offset of the last record, as the acceptance asks, and of
	 * every other record too, since each one was the last when written. */
	for (unsigned long a = 0; a < clean.appends; a++) {
		for (size_t cut = 1; cut < clean.append_len[a]; cut++) {
			fake_platform_init(&f, T0);
			f.crash_at_write = clean.append_write[a];
			f.torn_bytes = cut;
			assert_int_equal(drive(&f, rb), ENGINE_DONE);
			assert_int_equal(f.crashes, 1);
			assert_same_outcome(&clean, &f);
			fake_platform_free(&f);
			runs++;
		}
	}
	last = clean.append_len[clean.appends - 1] - 1;
	print_message("torn-write sweep: %lu torn writes over %lu records (%lu offsets of the "
		      "last record)\n", runs, clean.appends, last);
	fake_platform_free(&clean);
	runbook_free(rb);
}

static void test_engine__resumes_after_crash_after_every_effect(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;

	(void)state;
	clean_run(&clean, rb);
	for (unsigned long k = 1; k <= clean.effects; k++) {
		fake_platform_init(&f, T0);
		f.crash_after_effect = k;
		assert_int_equal(drive(&f, rb), ENGINE_DONE);
		assert_int_equal(f.crashes, 1);
		assert_same_outcome(&clean, &f);
		fake_platform_free(&f);
	}
	print_message("effect sweep: crash after each of %lu effects covered\n", clean.effects);
	fake_platform_free(&clean);
	runbook_free(rb);
}

/* Completion of a package is its step's DONE record in the journal, nothing
 * else: a crash after the command ran and before DONE is durable runs it
 * again (at least once), and a crash anywhere else never does. */
static void test_engine__package_reruns_only_when_crash_precedes_its_done_record(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;
	unsigned long reruns = 0;

	(void)state;
	clean_run(&clean, rb);
	for (unsigned long k = 1; k <= clean.effects; k++) {
		unsigned runs = 0;

		fake_platform_init(&f, T0);
		f.crash_after_effect = k;
		assert_int_equal(drive(&f, rb), ENGINE_DONE);
		for (unsigned i = 0; i < f.world.n_packages; i++)
			runs += f.pkg_runs[i];
		if (runs > clean.world.n_packages) {
			assert_int_equal(runs, clean.world.n_packages + 1);
			assert_non_null(strstr(f.log, "run_command_package"));
			reruns++;
		}
		fake_platform_free(&f);
	}
	/* Exactly the crash right after each of the sample's two packages. */
	assert_int_equal(reruns, clean.world.n_packages);
	fake_platform_free(&clean);
	runbook_free(rb);
}

/* The journal is the record: the startup package's step (5) has STARTED then
 * DONE; and a "done" the platform claims beforehand (a planted marker in the
 * old scheme) is never asked: the package runs anyway. */
static void test_engine__package_completion_is_its_journal_done_record(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;
	struct engine *e = NULL;
	struct engine_result r;
	struct journal *j = NULL;
	bool started = false, done = false;

	(void)state;
	fake_platform_init(&f, T0);
	snprintf(f.world.packages_done[0], 64, "%s", "stop-sync-client"); /* "already done" */
	f.world.n_packages = 1;
	f.fail_next[FX_NOTIFY_USER] = 1; /* stop right after the package step */
	assert_int_equal(engine_open(&e, &f.ops, rb, "journal", f.profiles, f.n_profiles), FERRY_OK);
	assert_int_equal(engine_run(e, &r), FERRY_OK);
	assert_int_equal(r.status, ENGINE_WAITING);
	assert_int_equal(r.step, 6);
	engine_free(e);
	assert_int_equal(f.calls[FX_RUN_PACKAGE], 1);
	assert_int_equal(f.pkg_runs[0], 1); /* ran although the "marker" said done */
	assert_int_equal(journal_open(&j, &f.ops, "journal", NULL), FERRY_OK);
	for (size_t i = 0; i < journal_count(j); i++) {
		const struct journal_record *rec = journal_get(j, i);

		if (rec->step != 5)
			continue;
		print_message("  journal #%u type %u step %u\n", rec->seq, rec->type, rec->step);
		started |= rec->type == JREC_STARTED && !done;
		done |= rec->type == JREC_DONE && started;
	}
	assert_true(started && done);
	journal_free(j);
	fake_platform_free(&f);
	runbook_free(rb);
}

/* A shared PC: three mapped profiles. Every profile gets its folder, hives and
 * ProfileList entry exactly as in a clean run, whatever crash comes between
 * or inside their steps (journal writes and effects alike). */
static void three_profiles(struct fake_platform *f)
{
	static const struct ferry_profile more[] = {
		{ "S-1-5-21-1111-2222-3333-1106", "S-1-5-21-7777-8888-9999-2202" },
		{ "S-1-5-21-1111-2222-3333-1107", "S-1-5-21-7777-8888-9999-2203" },
	};

	f->profiles[1] = more[0];
	f->profiles[2] = more[1];
	f->n_profiles = 3;
}

static void test_engine__every_profile_survives_every_crash(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;
	unsigned long writes = 0, effects = 0;

	(void)state;
	fake_platform_init(&clean, T0);
	three_profiles(&clean);
	assert_int_equal(drive(&clean, rb), ENGINE_DONE);
	assert_int_equal(clean.world.profile_folders, 7);
	assert_int_equal(clean.world.reacl_hives, 7);
	assert_int_equal(clean.world.profile_remapped, 7);
	assert_int_equal(clean.calls[FX_REMAP_PROFILE], 3);
	for (unsigned long k = 1; k <= clean.writes + clean.effects; k++) {
		fake_platform_init(&f, T0);
		three_profiles(&f);
		if (k <= clean.writes)
			f.crash_at_write = k, writes++;
		else
			f.crash_after_effect = k - clean.writes, effects++;
		assert_int_equal(drive(&f, rb), ENGINE_DONE);
		assert_int_equal(f.crashes, 1);
		assert_same_outcome(&clean, &f);
		fake_platform_free(&f);
	}
	print_message("multi-profile crash sweep (3 profiles): %lu journal-write crashes and %lu "
		      "effect crashes covered\n", writes, effects);
	fake_platform_free(&clean);
	runbook_free(rb);
}

/* Another set of profiles is another plan: a journal begun for two profiles
 * is not resumed for three (the caller must fix the set at the start). */
static void test_engine__refuses_a_journal_for_other_profiles(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;
	struct engine *e = NULL;

	(void)state;
	fake_platform_init(&f, T0);
	assert_int_equal(engine_open(&e, &f.ops, rb, "journal", f.profiles, 1), FERRY_OK);
	engine_free(e);
	three_profiles(&f);
	assert_int_equal(engine_open(&e, &f.ops, rb, "journal", f.profiles, 3), FERRY_EMISMATCH);
	assert_null(e);
	fake_platform_free(&f);
	runbook_free(rb);
}

static void test_engine__retries_with_backoff_then_succeeds(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;

	(void)state;
	clean_run(&clean, rb);
	fake_platform_init(&f, T0);
	f.fail_next[FX_UNJOIN] = 2; /* attempts = 3 in the sample */
	assert_int_equal(drive(&f, rb), ENGINE_DONE);
	assert_int_equal(f.calls[FX_UNJOIN], 3);
	assert_memory_equal(&clean.world, &f.world, sizeof(f.world));
	/* Waited 60 s, then 120 s, more than the clean run did. */
	assert_int_equal(f.clock - clean.clock, 60 + 120);
	fake_platform_free(&f);
	fake_platform_free(&clean);
	runbook_free(rb);
}

/* Issue 15, finding 10: a stop before the PC's directories change leaves
 * domain logon as it was, so the break-glass account Ferry made goes. */
static void test_engine__stop_before_unjoin_deletes_the_fallback_account(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;

	(void)state;
	fake_platform_init(&f, T0);
	f.fail_next[FX_CACHE_CREDENTIALS] = 3;
	assert_int_equal(drive(&f, rb), ENGINE_STOPPED);
	assert_int_equal(f.calls[FX_CREATE_FALLBACK], 1);
	assert_int_equal(f.calls[FX_DELETE_FALLBACK], 1);
	assert_false(f.world.fallback_exists);
	assert_int_equal(f.world.lease_until, 0);
	assert_int_equal(f.calls[FX_UNJOIN], 0);
	fake_platform_free(&f);
	runbook_free(rb);
}

static void test_engine__stops_where_someone_can_log_on(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;
	struct engine *e = NULL;
	struct engine_result r;
	unsigned before;

	(void)state;
	fake_platform_init(&f, T0);
	f.fail_next[FX_IMPORT_ODJ] = 3;
	assert_int_equal(drive(&f, rb), ENGINE_STOPPED);
	assert_int_equal(f.calls[FX_IMPORT_ODJ], 3);
	assert_int_equal(f.world.lease_until, 0);  /* logon is not blocked */
	assert_true(f.world.fallback_exists);      /* helpdesk can log on */
	assert_int_equal(f.calls[FX_DELETE_FALLBACK], 0); /* unjoined: it stays */
	assert_int_equal(f.world.last_experience, SCHED_EXP_SERVICE_UNAVAILABLE);
	assert_non_null(strstr(f.world.last_event, "migration_stopped: step 11 import_odj: "
						   "system call failed: fake: import_odj failed"));
	/* The stop is durable: reopening does nothing more. */
	before = f.calls[FX_IMPORT_ODJ] + f.calls[FX_CLEAR_PREVENT_LOGIN];
	assert_int_equal(engine_open(&e, &f.ops, rb, "journal", f.profiles, f.n_profiles), FERRY_OK);
	assert_int_equal(engine_run(e, &r), FERRY_OK);
	assert_int_equal(r.status, ENGINE_STOPPED);
	assert_non_null(strstr(r.reason, "import_odj"));
	assert_int_equal(f.calls[FX_IMPORT_ODJ] + f.calls[FX_CLEAR_PREVENT_LOGIN], before);
	engine_free(e);
	fake_platform_free(&f);
	runbook_free(rb);
}

/* The server (or the DC behind it) cannot be reached when the blob is to be
 * obtained: the engine stops before anything changed, the PC still in its
 * source domain, and says why. */
static void test_engine__server_unreachable_stops_before_the_unjoin(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;

	(void)state;
	fake_platform_init(&f, T0);
	f.fail_next[FX_OBTAIN_ODJ] = 3; /* every attempt of the sample's retry policy */
	assert_int_equal(drive(&f, rb), ENGINE_STOPPED);
	print_message("%s%s\n", f.log, f.world.last_event);
	assert_int_equal(f.calls[FX_OBTAIN_ODJ], 3);
	assert_int_equal(f.calls[FX_UNJOIN], 0);
	assert_int_equal(f.calls[FX_LEAVE_ENTRA], 0);
	assert_string_equal(f.world.ad_domain, "source.example");
	assert_true(f.world.entra_joined);
	assert_false(f.world.fallback_exists); /* nothing on the PC changed */
	assert_int_equal(f.world.lease_until, 0);
	assert_non_null(strstr(f.world.last_event, "migration_stopped: step 0 obtain_odj: "));
	fake_platform_free(&f);
	runbook_free(rb);
}

static void test_engine__blob_for_another_machine_stops_before_the_unjoin(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;

	(void)state;
	fake_platform_init(&f, T0);
	f.server_odj = FAKE_ODJ_OTHER_MACHINE;
	assert_int_equal(drive(&f, rb), ENGINE_STOPPED);
	assert_int_equal(f.calls[FX_UNJOIN], 0);
	assert_string_equal(f.world.ad_domain, "source.example");
	assert_int_equal(f.world.odj_blob, FAKE_ODJ_NONE); /* nothing kept */
	assert_non_null(strstr(f.world.last_event, "another machine"));
	fake_platform_free(&f);
	runbook_free(rb);
}

/* The blob obtained, then spoiled on disk (a crash after obtain_odj is done,
 * the file corrupt at the next boot) while the server now gives a blob for
 * another machine: unjoin_domain is refused, never run. */
static void test_engine__unjoin_refused_without_a_validated_blob(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform f;
	struct engine *e = NULL;
	struct engine_result r;

	(void)state;
	fake_platform_init(&f, T0);
	f.crash_after_effect = 2; /* create_fallback_account, after obtain_odj was journaled done */
	f.odj_at_power_cycle = FAKE_ODJ_CORRUPT;
	assert_int_equal(engine_open(&e, &f.ops, rb, "journal", f.profiles, f.n_profiles), FERRY_OK);
	assert_int_not_equal(engine_run(e, &r), FERRY_OK);
	assert_true(f.crashed);
	engine_free(e);
	fake_platform_power_cycle(&f);
	assert_int_equal(f.world.odj_blob, FAKE_ODJ_CORRUPT);
	f.server_odj = FAKE_ODJ_OTHER_MACHINE;
	assert_int_equal(drive(&f, rb), ENGINE_STOPPED);
	print_message("%s\n", f.world.last_event);
	assert_int_equal(f.calls[FX_UNJOIN], 0);
	assert_string_equal(f.world.ad_domain, "source.example");
	assert_true(f.world.fallback_exists); /* helpdesk can log on */
	assert_int_equal(f.world.lease_until, 0);
	assert_non_null(strstr(f.world.last_event, "unjoin_domain refused"));
	fake_platform_free(&f);
	runbook_free(rb);
}

/* Crash after every effect, and at the restart the blob on disk is corrupt,
 * or one for another machine: the engine obtains it again and the migration
 * ends as the clean run did, never unjoining without a valid blob. */
static void test_engine__resumes_with_a_bad_blob_on_disk_after_every_effect(void **state)
{
	static const int bad[] = { FAKE_ODJ_CORRUPT, FAKE_ODJ_OTHER_MACHINE };
	struct runbook *rb = load(SAMPLES "migration.json");
	struct fake_platform clean, f;
	unsigned long runs = 0;

	(void)state;
	clean_run(&clean, rb);
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		for (unsigned long k = 1; k <= clean.effects; k++) {
			fake_platform_init(&f, T0);
			f.crash_after_effect = k;
			f.odj_at_power_cycle = bad[b];
			assert_int_equal(drive(&f, rb), ENGINE_DONE);
			assert_int_equal(f.crashes, 1);
			assert_same_outcome(&clean, &f);
			assert_int_equal(f.unjoins_without_blob, 0);
			fake_platform_free(&f);
			runs++;
		}
	}
	print_message("bad-blob sweep: %lu runs (crash after each of %lu effects, blob corrupt or "
		      "for another machine at restart)\n", runs, clean.effects);
	fake_platform_free(&clean);
	runbook_free(rb);
}

static void test_engine__refuses_another_runbooks_journal(void **state)
{
	struct runbook *rb = load(SAMPLES "migration.json");
	struct runbook *cc = load(SAMPLES "cache-credentials.json");
	struct fake_platform f;
	struct engine *e = NULL;

	(void)state;
	fake_platform_init(&f, T0);
	assert_int_equal(drive(&f, cc), ENGINE_DONE);
	assert_int_equal(engine_open(&e, &f.ops, rb, "journal", f.profiles, f.n_profiles),
			 FERRY_EMISMATCH);
	assert_null(e);
	fake_platform_free(&f);
	runbook_free(rb);
	runbook_free(cc);
}

/* A decorator built on platform_layer reaches the inner table's own ctx for
 * every op it does not replace, and only that op (no copied ctx). */
static void test_engine__layer_forwards_every_op_with_the_inner_ctx(void **state)
{
	struct fake_platform f;
	struct platform_layer l;
	const struct ferry_platform *p = &l.table;
	const char *const paths[] = { "C:\\Data" };
	struct ferry_join_state js;
	uint8_t *data = NULL;
	size_t len = 0;
	uint64_t boot = 0;
	bool b = false;

	(void)state;
	fake_platform_init(&f, T0);
	platform_layer_init(&l, &f.ops);
	assert_ptr_equal(p->ctx, &l);
	assert_ptr_equal(platform_layer_inner(p->ctx), &f.ops);
	f.world.creds_cached = true;
	assert_int_equal(p->cache_credentials(p->ctx), FERRY_OK);
	assert_int_equal(p->create_fallback_account(p->ctx, "fb"), FERRY_OK);
	assert_int_equal(p->delete_fallback_account(p->ctx, "fb"), FERRY_OK);
	assert_int_equal(p->set_lock_screen(p->ctx, NULL), FERRY_OK);
	assert_int_equal(p->restore_lock_screen(p->ctx), FERRY_OK);
	assert_int_equal(p->set_legal_notice(p->ctx, "c", "t"), FERRY_OK);
	assert_int_equal(p->restore_legal_notice(p->ctx), FERRY_OK);
	assert_int_equal(p->set_prevent_login(p->ctx, T0 + 60), FERRY_OK);
	assert_int_equal(p->clear_prevent_login(p->ctx), FERRY_OK);
	assert_int_equal(p->run_command_package(p->ctx, "pkg"), FERRY_OK);
	assert_int_equal(p->notify_user(p->ctx, SCHED_EXP_NONE), FERRY_OK);
	assert_int_equal(p->query_join(p->ctx, &js), FERRY_OK);
	assert_int_equal(p->leave_entra(p->ctx), FERRY_OK);
	assert_int_equal(p->unjoin_domain(p->ctx), FERRY_OK);
	assert_int_equal(p->obtain_odj(p->ctx, "target.example", NULL), FERRY_OK);
	assert_int_equal(p->odj_ready(p->ctx, "target.example", &b), FERRY_OK);
	assert_true(b);
	assert_int_equal(p->import_odj(p->ctx, "target.example", NULL), FERRY_OK);
	assert_int_equal(p->reacl_paths(p->ctx, RB_PERM_ADD, paths, 1, NULL), FERRY_OK);
	assert_int_equal(p->reacl_registry_hives(p->ctx, RB_PERM_ADD, &f.profiles[0]), FERRY_OK);
	assert_int_equal(p->remap_profile(p->ctx, &f.profiles[0]), FERRY_OK);
	assert_int_equal(p->reset_apps(p->ctx, 1, &f.profiles[0]), FERRY_OK);
	assert_int_equal(p->uninstall_agent(p->ctx), FERRY_OK);
	assert_int_equal(p->reboot(p->ctx), FERRY_OK);
	assert_int_equal(p->report_event(p->ctx, "e", "r"), FERRY_OK);
	for (int op = 0; op < FX_COUNT; op++)
		assert_int_equal(f.calls[op], 1);
	assert_int_equal(p->account_exists(p->ctx, "fb", &b), FERRY_OK);
	assert_int_equal(p->boot_id(p->ctx, &boot), FERRY_OK);
	assert_int_equal(boot, f.boot_id);
	assert_int_equal(p->now(p->ctx), T0);
	assert_int_equal(p->storage_replace(p->ctx, "j", (const uint8_t *)"ab", 2), FERRY_OK);
	assert_int_equal(p->storage_append(p->ctx, "j", (const uint8_t *)"c", 1), FERRY_OK);
	assert_int_equal(p->storage_sync(p->ctx, "j"), FERRY_OK);
	assert_int_equal(p->storage_read(p->ctx, "j", &data, &len), FERRY_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	ferry_free(data);
	fake_platform_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine__plan_follows_the_story),
		cmocka_unit_test(test_engine__clean_run_migrates_the_pc),
		cmocka_unit_test(test_engine__resumes_after_crash_at_every_journal_write),
		cmocka_unit_test(test_engine__resumes_after_torn_write_at_every_byte),
		cmocka_unit_test(test_engine__resumes_after_crash_after_every_effect),
		cmocka_unit_test(test_engine__package_reruns_only_when_crash_precedes_its_done_record),
		cmocka_unit_test(test_engine__package_completion_is_its_journal_done_record),
		cmocka_unit_test(test_engine__every_profile_survives_every_crash),
		cmocka_unit_test(test_engine__refuses_a_journal_for_other_profiles),
		cmocka_unit_test(test_engine__retries_with_backoff_then_succeeds),
		cmocka_unit_test(test_engine__stop_before_unjoin_deletes_the_fallback_account),
		cmocka_unit_test(test_engine__stops_where_someone_can_log_on),
		cmocka_unit_test(test_engine__server_unreachable_stops_before_the_unjoin),
		cmocka_unit_test(test_engine__blob_for_another_machine_stops_before_the_unjoin),
		cmocka_unit_test(test_engine__unjoin_refused_without_a_validated_blob),
		cmocka_unit_test(test_engine__resumes_with_a_bad_blob_on_disk_after_every_effect),
		cmocka_unit_test(test_engine__refuses_another_runbooks_journal),
		cmocka_unit_test(test_engine__layer_forwards_every_op_with_the_inner_ctx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
