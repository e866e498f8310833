/*
 * The Windows struct ferry_platform: each op binds one contract function of
 * service/win (sysops.h, profops.h, uninstall.h) or lockscreen/lock
 * (lock.h), plus the clock and durable storage in the service's state
 * folder. The ops that change what ferrycp.dll must know also keep its
 * registry hints (win/hints.h): the fallback account's name, the lease cap.
 * Rehearsal never reaches this table's effects, so it changes no hint.
 * What an op needs to know about the run (which runbook, whose
 * credentials, the signing key) it reads from the run context the worker
 * fills (svc_platform.h), never from the agent.
 *
 * Storage files are named by the engine ("journal-<runbook>"); a name is
 * limited to [A-Za-z0-9._-] so it can never leave the folder.
 * storage_replace writes <name>.tmp, flushes it, and renames it over the
 * old file with MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH): after a crash
 * the file is the old or the new one, never a mix.
 */
/* Core security headers before <windows.h> (see win/profops_int.h). */
#include "win/profops.h"

#include "svc/svc_binding.h"
#include "svc/svc_texts.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>


#include "lock/lock.h"
#include "net/package_archive.h"
#include "net/sig.h"
#include "util/mem.h"
#include "ux/texts.h"
#include "ux/hints.h"
#include "win/hints.h"
#include "win/sysops.h"
#include "win/uninstall.h"
#include "win/fileio.h"
#include "win/win_err.h"
#include "wu_tree.h"

#define SP(ctx) ((struct svc_platform *)(ctx))
#define REBOOT_GRACE_SECONDS 60

/* --- effects ------------------------------------------------------------- */

static ferry_err logged(const char *op, ferry_err err)
{
	if (err == FERRY_OK)
		svc_log("%s: done", op);
	else if (err != FERRY_EBUSY)
		svc_log("%s: %s: %s", op, ferry_strerror(err), ferry_error_detail());
	return err;
}

static ferry_err p_cache_credentials(void *ctx)
{
	/* The pipe's cache_credentials op does the logon (p_check_logon); this
	 * step waits for it. */
	return SP(ctx)->run->creds_cached ? FERRY_OK : FERRY_EBUSY;
}

static ferry_err p_check_logon(void *ctx, const char *user, const char *domain,
			       struct ferry_secret *password, enum logon_outcome *out)
{
	ferry_err err;

	(void)ctx;
	svc_log("cache_credentials: logon check for %s\\%s", domain, user);
	err = win_logon_check(out, user, domain, password);
	if (err != FERRY_OK)
		svc_log("cache_credentials: %s: %s", ferry_strerror(err), ferry_error_detail());
	else
		svc_log("cache_credentials: %s", logon_outcome_code(*out));
	return err;
}

static ferry_err p_create_fallback(void *ctx, const char *username)
{
	struct svc_platform *p = SP(ctx);
	struct ferry_secret *pw = NULL;
	ferry_err err;

	svc_log("create_fallback_account: %s", username);
	/* The hint first: if the account then exists, a resumed engine skips
	 * this op (check-then-act), and the tile must still offer it. */
	if ((err = win_hint_fallback_account(username)) != FERRY_OK)
		return logged("create_fallback_account", err);
	err = win_fallback_create(username, &pw);
	/* With a server the password must reach it, or the account goes again
	 * and the step fails: prevent-login never comes with a password nobody
	 * holds. Without a server (no escrow), helpdesk resets it locally. */
	if (err == FERRY_OK && pw && p->escrow && (err = p->escrow(p->escrow_ctx, pw)) != FERRY_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", ferry_error_detail());
		if (win_fallback_delete(username) == FERRY_OK)
			(void)win_hint_fallback_account(NULL);
		err = ferry_error_set(err, "the fallback password was not escrowed (%s); the "
				      "account was deleted again and the step fails", why);
	}
	ferry_secret_free(pw);
	if (err != FERRY_OK) {
		bool exists = false;

		/* The hint names an account only while it exists: the filter hides
		 * other providers only with a fallback account (issue 16). */
		if (win_fallback_exists(username, &exists) != FERRY_OK || !exists)
			win_hint_fallback_account(NULL);
	}
	return logged("create_fallback_account", err);
}

static ferry_err p_delete_fallback(void *ctx, const char *username)
{
	ferry_err err;

	(void)ctx;
	svc_log("delete_fallback_account: %s", username);
	if ((err = win_fallback_delete(username)) == FERRY_OK)
		err = win_hint_fallback_account(NULL);
	return logged("delete_fallback_account", err);
}

/* The caption drawn on the image: the "migration in progress" title, expanded. */
static ferry_err p_set_lock_screen(void *ctx, const char *image_path)
{
	const struct svc_run *run = SP(ctx)->run;
	struct ux_texts t;
	struct ux_vars v;
	ferry_err err;

	svc_texts_vars(run, &v);
	err = ux_texts_get(&t, run->rb, UX_SCREEN_MIGRATION_IN_PROGRESS, &v);
	if (err != FERRY_OK && err != FERRY_ERANGE)
		return logged("set_lock_screen", err);
	svc_log("set_lock_screen: %s, caption \"%s\"", image_path ? image_path : "(default image)",
		t.title);
	return logged("set_lock_screen", lock_screen_set(image_path, t.title));
}

static ferry_err p_restore_lock_screen(void *ctx)
{
	(void)ctx;
	return logged("restore_lock_screen", lock_screen_restore());
}

static ferry_err p_set_legal_notice(void *ctx, const char *caption, const char *text)
{
	(void)ctx;
	svc_log("set_legal_notice: %s", caption ? caption : "");
	return logged("set_legal_notice", lock_legal_set(caption, text));
}

static ferry_err p_restore_legal_notice(void *ctx)
{
	(void)ctx;
	return logged("restore_legal_notice", lock_legal_restore());
}

static int64_t p_now(void *ctx);

/* The running runbook's lease cap in hours (core/ux/hints.h's default when unset). */
static unsigned lease_cap_hours(void *ctx)
{
	const struct runbook *rb = SP(ctx)->run->rb;
	unsigned h = rb ? rb->startup.prevent_login_max_hours : 0;

	return hint_cap_hours(h);
}

static ferry_err p_set_prevent_login(void *ctx, int64_t until)
{
	int64_t now = p_now(ctx);
	unsigned hours = lease_cap_hours(ctx);
	ferry_err err;

	svc_log("set_prevent_login: until %lld (cap %u h)", (long long)until, hours);
	if ((err = win_hint_prevent_login_cap(hours)) == FERRY_OK)
		err = win_lease_write(until, now, (uint64_t)hours * 3600u);
	return logged("set_prevent_login", err);
}

static ferry_err p_clear_prevent_login(void *ctx)
{
	ferry_err err;

	(void)ctx;
	if ((err = win_lease_clear()) == FERRY_OK)
		err = win_hint_prevent_login_cap(0);
	return logged("clear_prevent_login", err);
}

/* Command packages sit in <state>\packages; the key is the MSI's SigningPublicKey. */
/* state\packages, judged again by its tree rule before every use. */
static ferry_err package_dir(void *ctx, wchar_t *dir)
{
	swprintf(dir, MAX_PATH, L"%ls\\packages", SP(ctx)->state_dir);
	return wu_tree_folder(dir, "state\\packages");
}

/* SigningPublicKey (policy over MSI, read at start by svc_options_load_config). */
static ferry_err signing_key(void *ctx, uint8_t pub[32])
{
	const char *v = SP(ctx)->run->signing_key;

	if (!v[0])
		return ferry_error_set(FERRY_EAUTH, "no SigningPublicKey setting (policy or MSI)");
	return sig_public_key_parse(pub, v, "SigningPublicKey");
}

/* Staged from the signed list first (package_stage.c), then run against that
 * list's digest; its completion is the engine journal's DONE record. */
static ferry_err p_run_package(void *ctx, const char *id)
{
	struct svc_platform *p = SP(ctx);
	struct win_package_source src = { p->package_fetch, p->package_fetch_ctx, p->run->bundle_dir };
	struct win_cmd_output out = { 0 };
	struct package_ref ref;
	wchar_t dir[MAX_PATH];
	uint8_t pub[32];
	ferry_err err;

	svc_log("run_command_package: %s", id);
	if ((err = package_dir(ctx, dir)) == FERRY_OK && (err = signing_key(ctx, pub)) == FERRY_OK &&
	    (err = win_package_prepare(&ref, dir, id, p->run->packages,
				       p->run->packages_from ? p->run->packages_from : "bundle", &src,
				       pub)) == FERRY_OK)
		err = win_package_run(dir, id, pub, &ref, &out);
	if (err == FERRY_OK)
		svc_log("run_command_package: %s exit code %lu%s", id, out.exit_code,
			out.timed_out ? " (timed out)" : "");
	win_cmd_output_clear(&out);
	return logged("run_command_package", err);
}

static ferry_err p_notify_user(void *ctx, enum schedule_experience e)
{
	(void)ctx;
	/* The notifier and the tile poll the experience; nothing to push. */
	svc_log("notify_user: %s", schedule_experience_name(e));
	return FERRY_OK;
}

static ferry_err p_unjoin(void *ctx)
{
	(void)ctx;
	return logged("unjoin_domain", win_join_unjoin());
}

static ferry_err p_leave_entra(void *ctx)
{
	struct win_cmd_output out = { 0 };
	ferry_err err;

	(void)ctx;
	err = win_entra_leave(&out);
	if (err == FERRY_OK)
		svc_log("leave_entra: dsregcmd exit code %lu", out.exit_code);
	win_cmd_output_clear(&out);
	return logged("leave_entra", err);
}

/* Without a migration server there is no source of a sealed blob yet (the
 * server's layer, svc_net.c, replaces these two when one is configured), so
 * the step fails and the engine stops before any unjoin, saying why. */
static ferry_err p_obtain_odj(void *ctx, const char *domain, const char *ou)
{
	(void)ctx, (void)ou;
	return logged("obtain_odj", ferry_error_set(FERRY_EUNSUPPORTED, "no migration server is "
			"configured: the ODJ blob for %s comes only from the server (ServerUrl), so "
			"this PC is not removed from its domain", domain ? domain : "(none)"));
}

static ferry_err p_odj_ready(void *ctx, const char *domain, bool *ready)
{
	(void)ctx, (void)domain;
	*ready = false;
	return FERRY_OK;
}

static ferry_err p_import_odj(void *ctx, const char *domain, const char *ou)
{
	wchar_t path[MAX_PATH];

	svc_log("import_odj: domain %s, OU %s", domain ? domain : "", ou ? ou : "(default)");
	swprintf(path, MAX_PATH, L"%ls\\odj.sealed", SP(ctx)->state_dir);
	return logged("import_odj", win_odj_import(path, domain));
}

/* The profile ops: the table (the signed identity mapping) and the profile's
 * SIDs come from svc_profile.c; what is missing is named in the error (the
 * engine's failure policy then retries or stops safely). */
static void log_counts(const char *op, const struct win_reacl_counts *c)
{
	svc_log("%s: seen %llu, changed %llu, failed %llu, reparse points skipped %llu", op,
		(unsigned long long)c->seen, (unsigned long long)c->changed,
		(unsigned long long)c->failed, (unsigned long long)c->skipped_reparse);
}

static ferry_err p_reacl_paths(void *ctx, enum rb_perm_mode mode, const char *const *paths,
			       size_t n, const struct ferry_profile *profile)
{
	struct win_profile_ctx pc;
	struct win_reacl_counts c = { 0 };
	ferry_err err = svc_profile_context(SP(ctx), "reacl_paths", profile, &pc);

	if (err == FERRY_OK) {
		if (profile)
			svc_log("reacl_paths: the profile folder of %s (-> %s)", profile->source_sid,
				profile->target_sid);
		else
			svc_log("reacl_paths: %zu path(s)", n);
		err = win_reacl_paths(&pc, mode, paths, n, profile != NULL, &c);
		log_counts("reacl_paths", &c);
	}
	return logged("reacl_paths", err);
}

static ferry_err p_reacl_hives(void *ctx, enum rb_perm_mode mode,
			       const struct ferry_profile *profile)
{
	struct win_profile_ctx pc;
	struct win_reacl_counts c = { 0 };
	ferry_err err = svc_profile_context(SP(ctx), "reacl_registry_hives", profile, &pc);

	if (err == FERRY_OK) {
		err = win_reacl_hives(&pc, mode, &c);
		log_counts("reacl_registry_hives", &c);
	}
	return logged("reacl_registry_hives", err);
}

static ferry_err p_remap_profile(void *ctx, const struct ferry_profile *profile)
{
	struct win_profile_ctx pc;
	ferry_err err = svc_profile_context(SP(ctx), "remap_profile", profile, &pc);

	if (err == FERRY_OK)
		err = win_profile_remap(&pc);
	return logged("remap_profile", err);
}

static ferry_err p_reset_apps(void *ctx, unsigned apps, const struct ferry_profile *profile)
{
	struct win_profile_ctx pc;
	ferry_err err = svc_profile_context(SP(ctx), "reset_apps", profile, &pc);

	if (err == FERRY_OK) {
		svc_log("reset_apps: apps=%s%s%s", apps & RB_APP_OFFICE ? "office " : "",
			apps & RB_APP_TEAMS ? "teams " : "", apps & RB_APP_ONEDRIVE ? "onedrive" : "");
		err = win_apps_reset(&pc, apps);
	}
	return logged("reset_apps", err);
}

/* Archive and schedule the MSI removal (win/uninstall.h). The service then
 * stops from its own main path once the worker has recorded the runbook
 * (agent.c), never from inside the SCM's control handler. */
static ferry_err p_uninstall(void *ctx)
{
	ferry_err err = win_uninstall_agent();

	if (err == FERRY_OK)
		InterlockedExchange(&SP(ctx)->uninstall_scheduled, 1);
	return logged("uninstall_agent", err);
}

void svc_platform_migration_hint(struct svc_platform *p, const struct runbook *rb, bool running)
{
	if (!rb || !rb->startup.run || p->run->rehearse)
		return;
	if (win_hint_migration_running(running) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "MigrationRunning hint: %s", ferry_error_detail());
}

static ferry_err p_reboot(void *ctx)
{
	(void)ctx;
	return logged("reboot", win_reboot_schedule("Ferry is moving this PC to its new domain. "
						    "It restarts in one minute.",
						    REBOOT_GRACE_SECONDS));
}

static ferry_err p_report_event(void *ctx, const char *event, const char *reason)
{
	(void)ctx;
	svc_log_event(SVC_EV_RUNBOOK_STOPPED, "%s: %s", event ? event : "", reason ? reason : "");
	return FERRY_OK;
}

/* --- checks ---------------------------------------------------------------- */

static ferry_err p_query_join(void *ctx, struct ferry_join_state *out)
{
	(void)ctx;
	return win_join_query(out);
}

static ferry_err p_account_exists(void *ctx, const char *username, bool *exists)
{
	(void)ctx;
	return win_fallback_exists(username, exists);
}

static ferry_err p_boot_id(void *ctx, uint64_t *out)
{
	(void)ctx;
	return win_boot_id(out);
}

static int64_t p_now(void *ctx)
{
	return SP(ctx)->clock(SP(ctx)->clock_ctx);
}

ferry_err svc_platform_new(struct svc_platform **out, const wchar_t *state_dir,
			   const struct svc_run *run, svc_clock_fn clock, void *clock_ctx)
{
	static const struct ferry_platform ops = {
		.cache_credentials = p_cache_credentials,
		.create_fallback_account = p_create_fallback,
		.delete_fallback_account = p_delete_fallback,
		.set_lock_screen = p_set_lock_screen,
		.restore_lock_screen = p_restore_lock_screen,
		.set_legal_notice = p_set_legal_notice,
		.restore_legal_notice = p_restore_legal_notice,
		.set_prevent_login = p_set_prevent_login,
		.clear_prevent_login = p_clear_prevent_login,
		.run_command_package = p_run_package,
		.notify_user = p_notify_user,
		.unjoin_domain = p_unjoin,
		.leave_entra = p_leave_entra,
		.obtain_odj = p_obtain_odj,
		.import_odj = p_import_odj,
		.reacl_paths = p_reacl_paths,
		.reacl_registry_hives = p_reacl_hives,
		.remap_profile = p_remap_profile,
		.reset_apps = p_reset_apps,
		.uninstall_agent = p_uninstall,
		.reboot = p_reboot,
		.report_event = p_report_event,
		.check_logon = p_check_logon,
		.query_join = p_query_join,
		.odj_ready = p_odj_ready,
		.account_exists = p_account_exists,
		.boot_id = p_boot_id,
		.now = p_now,
		.storage_read = svc_storage_read,
		.storage_append = svc_storage_append,
		.storage_replace = svc_storage_replace,
		.storage_sync = svc_storage_sync,
	};
	struct svc_platform *p;
	ferry_err err = FERRY_OK;

	*out = NULL;
	if (!(p = ferry_calloc(1, sizeof(*p))))
		return ferry_error_set(FERRY_ENOMEM, "platform: out of memory");
	p->ops = ops;
	p->ops.ctx = p;
	p->run = run;
	p->clock = clock;
	p->clock_ctx = clock_ctx;
	if (state_dir && *state_dir) {
		swprintf(p->state_dir, MAX_PATH, L"%ls", state_dir);
		err = wu_tree_folder(p->state_dir, "state");
	} else {
		err = win_program_data(p->state_dir, MAX_PATH, "state");
	}
	if (err != FERRY_OK) {
		ferry_free(p);
		return err;
	}
	InitializeCriticalSection(&p->io);
	*out = p;
	return FERRY_OK;
}

void svc_platform_free(struct svc_platform *p)
{
	if (!p)
		return;
	DeleteCriticalSection(&p->io);
	ferry_free(p);
}

const struct ferry_platform *svc_platform_ops(struct svc_platform *p)
{
	return &p->ops;
}

void svc_platform_set_package_fetch(struct svc_platform *p, win_package_fetch_fn fn, void *ctx)
{
	p->package_fetch = fn;
	p->package_fetch_ctx = ctx;
}

void svc_platform_set_escrow(struct svc_platform *p, svc_escrow_fn fn, void *ctx)
{
	p->escrow = fn;
	p->escrow_ctx = ctx;
}

bool svc_platform_uninstall_scheduled(struct svc_platform *p)
{
	return InterlockedCompareExchange(&p->uninstall_scheduled, 0, 0) != 0;
}

ferry_err svc_platform_storage_delete(struct svc_platform *p, const char *name)
{
	return svc_storage_delete(p, name);
}

void svc_platform_source_user(struct svc_platform *p, char *out, size_t cap)
{
	(void)p;
	/* Read-only, so a rehearsal reads it too; the identity mapping replaces it. */
	if (win_last_logon_user(out, cap) != FERRY_OK)
		out[0] = '\0';
}
