/*
 * The Windows struct ferry_platform: each op binds one contract function of
 * service/win (sysops.h, profops.h) or lockscreen/lock (lock.h), plus the
 * clock and durable storage in the service's state folder.
 *
 * Storage files are named by the engine ("journal-<runbook>"); a name is
 * limited to [A-Za-z0-9._-] so it can never leave the folder.
 * storage_replace writes <name>.tmp, flushes it, and renames it over the
 * old file with MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH): after a crash
 * the file is the old or the new one, never a mix.
 */
#include "svc/svc.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <shlobj.h>

#include "lock/lock.h"
#include "util/mem.h"
#include "win/sysops.h"
#include "win/win_err.h"

#define SP(ctx) ((struct svc_platform *)(ctx))
#define REBOOT_GRACE_SECONDS 60

ferry_err svc_program_data(wchar_t *out, size_t cap, const wchar_t *sub)
{
	wchar_t *base = NULL;
	HRESULT hr = SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &base);
	wchar_t ferry[MAX_PATH];

	if (FAILED(hr))
		return svc_win_error(FERRY_ESYSTEM, "SHGetKnownFolderPath", (unsigned long)hr);
	swprintf(ferry, MAX_PATH, L"%ls\\Ferry", base);
	swprintf(out, cap, L"%ls\\%ls", ferry, sub);
	CoTaskMemFree(base);
	if (!CreateDirectoryW(ferry, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return svc_win_last_error("CreateDirectoryW(ProgramData\\Ferry)");
	if (!CreateDirectoryW(out, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return svc_win_last_error("CreateDirectoryW(ProgramData\\Ferry\\sub)");
	return FERRY_OK;
}

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
	/* The pipe's cache_credentials op does the logon; this step waits for it. */
	return svc_agent_has_credentials(SP(ctx)->agent) ? FERRY_OK : FERRY_EBUSY;
}

static ferry_err p_create_fallback(void *ctx, const char *username)
{
	struct ferry_secret *pw = NULL;
	ferry_err err;

	(void)ctx;
	svc_log("create_fallback_account: %s", username);
	err = svc_fallback_create(username, &pw);
	svc_net_escrow(pw); /* no server: helpdesk resets it locally */
	ferry_secret_free(pw);
	return logged("create_fallback_account", err);
}

static ferry_err p_delete_fallback(void *ctx, const char *username)
{
	(void)ctx;
	svc_log("delete_fallback_account: %s", username);
	return logged("delete_fallback_account", svc_fallback_delete(username));
}

static ferry_err p_set_lock_screen(void *ctx, const char *image_path)
{
	(void)ctx;
	svc_log("set_lock_screen: %s", image_path ? image_path : "(default image)");
	return logged("set_lock_screen", lock_screen_set(image_path, NULL));
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

static ferry_err p_set_prevent_login(void *ctx, int64_t until)
{
	int64_t now = p_now(ctx);
	uint64_t cap = until > now ? (uint64_t)(until - now) : 0;

	svc_log("set_prevent_login: until %lld", (long long)until);
	return logged("set_prevent_login", svc_lease_write(until, now, cap));
}

static ferry_err p_clear_prevent_login(void *ctx)
{
	(void)ctx;
	return logged("clear_prevent_login", svc_lease_clear());
}

/* Command packages sit in <state>\packages; the key is the MSI's SigningPublicKey. */
static ferry_err package_dir(void *ctx, wchar_t *dir)
{
	swprintf(dir, MAX_PATH, L"%ls\\packages", SP(ctx)->state_dir);
	return FERRY_OK;
}

static ferry_err signing_key(uint8_t pub[32])
{
	wchar_t v[80];
	DWORD cb = sizeof(v);
	LSTATUS rc = RegGetValueW(HKEY_LOCAL_MACHINE, SVC_REG_KEY, L"SigningPublicKey",
				  RRF_RT_REG_SZ, NULL, v, &cb);

	if (rc != ERROR_SUCCESS)
		return svc_win_error(FERRY_EAUTH, "RegGetValueW(SigningPublicKey)", (unsigned long)rc);
	for (size_t i = 0; i < 32; i++) {
		unsigned hi, lo;

		if (swscanf(v + 2 * i, L"%1x%1x", &hi, &lo) != 2)
			return ferry_error_set(FERRY_EAUTH, "SigningPublicKey is not 64 hex digits");
		pub[i] = (uint8_t)(hi << 4 | lo);
	}
	return FERRY_OK;
}

static ferry_err p_run_package(void *ctx, const char *id)
{
	struct svc_cmd_output out = { 0 };
	wchar_t dir[MAX_PATH];
	uint8_t pub[32];
	ferry_err err;

	svc_log("run_command_package: %s", id);
	if ((err = package_dir(ctx, dir)) == FERRY_OK && (err = signing_key(pub)) == FERRY_OK)
		err = svc_package_run(dir, id, pub, &out);
	if (err == FERRY_OK)
		svc_log("run_command_package: %s exit code %lu%s", id, out.exit_code,
			out.timed_out ? " (timed out)" : "");
	svc_cmd_output_clear(&out);
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
	return logged("unjoin_domain", svc_join_unjoin());
}

static ferry_err p_leave_entra(void *ctx)
{
	struct svc_cmd_output out = { 0 };
	ferry_err err;

	(void)ctx;
	err = svc_entra_leave(&out);
	if (err == FERRY_OK)
		svc_log("leave_entra: dsregcmd exit code %lu", out.exit_code);
	svc_cmd_output_clear(&out);
	return logged("leave_entra", err);
}

static ferry_err p_import_odj(void *ctx, const char *domain, const char *ou)
{
	wchar_t path[MAX_PATH];

	svc_log("import_odj: domain %s, OU %s", domain ? domain : "", ou ? ou : "(default)");
	swprintf(path, MAX_PATH, L"%ls\\odj.sealed", SP(ctx)->state_dir);
	return logged("import_odj", svc_odj_import(path, domain));
}

/* The profile ops need the user's SIDs and the translation table, which the
 * migration server's client delivers (a later issue). Until then they say
 * so instead of guessing whose profile to rewrite. */
static ferry_err no_profile_ctx(const char *op)
{
	return logged(op, ferry_error_set(FERRY_ENOTIMPL, "%s: no translation table or user "
						      "SIDs in this build (they come from the "
						      "migration server)", op));
}

static ferry_err p_reacl_paths(void *ctx, enum rb_perm_mode mode, const char *const *paths,
			       size_t n, bool profile)
{
	(void)ctx, (void)mode, (void)paths, (void)n, (void)profile;
	return no_profile_ctx("reacl_paths");
}

static ferry_err p_reacl_hives(void *ctx, enum rb_perm_mode mode)
{
	(void)ctx, (void)mode;
	return no_profile_ctx("reacl_registry_hives");
}

static ferry_err p_remap_profile(void *ctx)
{
	(void)ctx;
	return no_profile_ctx("remap_profile");
}

static ferry_err p_reset_apps(void *ctx, unsigned apps)
{
	(void)ctx, (void)apps;
	return no_profile_ctx("reset_apps");
}

static ferry_err p_uninstall(void *ctx)
{
	(void)ctx;
	return logged("uninstall_agent", ferry_error_set(FERRY_ENOTIMPL, "uninstall_agent: the "
								      "MSI removal arrives with the MSI issue"));
}

static ferry_err p_reboot(void *ctx)
{
	(void)ctx;
	return logged("reboot", svc_reboot_schedule("Ferry is moving this PC to its new domain. "
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
	return svc_join_query(out);
}

static ferry_err p_account_exists(void *ctx, const char *username, bool *exists)
{
	(void)ctx;
	return svc_fallback_exists(username, exists);
}

static ferry_err p_package_done(void *ctx, const char *id, bool *done)
{
	wchar_t dir[MAX_PATH];

	package_dir(ctx, dir);
	return svc_package_done(dir, id, done);
}

static ferry_err p_boot_id(void *ctx, uint64_t *out)
{
	(void)ctx;
	return svc_boot_id(out);
}

static int64_t p_now(void *ctx)
{
	FILETIME ft;
	ULARGE_INTEGER u;

	if (SP(ctx)->sim_clock)
		return *SP(ctx)->sim_clock;
	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	return (int64_t)(u.QuadPart / 10000000ull) - 11644473600ll;
}

ferry_err svc_platform_init(struct svc_platform *p, const wchar_t *state_dir,
			    struct svc_agent *agent, const int64_t *sim_clock)
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
		.import_odj = p_import_odj,
		.reacl_paths = p_reacl_paths,
		.reacl_registry_hives = p_reacl_hives,
		.remap_profile = p_remap_profile,
		.reset_apps = p_reset_apps,
		.uninstall_agent = p_uninstall,
		.reboot = p_reboot,
		.report_event = p_report_event,
		.query_join = p_query_join,
		.account_exists = p_account_exists,
		.command_package_done = p_package_done,
		.boot_id = p_boot_id,
		.now = p_now,
		.storage_read = svc_storage_read,
		.storage_append = svc_storage_append,
		.storage_replace = svc_storage_replace,
		.storage_sync = svc_storage_sync,
	};
	ferry_err err;

	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->ops.ctx = p;
	p->agent = agent;
	p->sim_clock = sim_clock;
	if (state_dir && *state_dir) {
		swprintf(p->state_dir, MAX_PATH, L"%ls", state_dir);
		if (!CreateDirectoryW(p->state_dir, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
			return svc_win_last_error("CreateDirectoryW(state)");
	} else if ((err = svc_program_data(p->state_dir, MAX_PATH, L"state")) != FERRY_OK) {
		return err;
	}
	InitializeCriticalSection(&p->io);
	return FERRY_OK;
}

void svc_platform_free(struct svc_platform *p)
{
	if (p && p->ops.ctx)
		DeleteCriticalSection(&p->io);
	if (p)
		p->ops.ctx = NULL;
}
