#include "fake_platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"

static const char *const names[FX_COUNT] = {
	"cache_credentials", "create_fallback_account", "delete_fallback_account",
	"set_lock_screen", "restore_lock_screen", "set_legal_notice", "restore_legal_notice",
	"set_prevent_login", "clear_prevent_login", "run_command_package", "notify_user",
	"unjoin_domain", "leave_entra", "import_odj", "reacl_paths", "reacl_registry_hives",
	"remap_profile", "reset_apps", "uninstall_agent", "reboot", "report_event", "obtain_odj",
};

const char *fake_op_name(enum fake_op op)
{
	return op < FX_COUNT ? names[op] : "?";
}

static void crash(struct fake_platform *f)
{
	f->crashed = true;
	f->crashes++;
}

/* Common entry of every effect: refuse after a crash, log, count, inject. */
static ferry_err enter(struct fake_platform *f, enum fake_op op, const char *arg)
{
	int n;

	if (f->crashed)
		return ferry_error_set(FERRY_EIO, "fake: the process has crashed");
	n = snprintf(f->log + f->log_len, sizeof(f->log) - f->log_len, "%s%s%s%s\n", names[op],
		     arg ? "(" : "", arg ? arg : "", arg ? ")" : "");
	if (n > 0 && (size_t)n < sizeof(f->log) - f->log_len)
		f->log_len += (size_t)n;
	f->calls[op]++;
	if (f->fail_next[op]) {
		f->fail_next[op]--;
		return ferry_error_set(FERRY_ESYSTEM, "fake: %s failed (injected)", names[op]);
	}
	return FERRY_OK;
}

/* Common exit of every effect that happened: maybe crash right after it. */
static ferry_err leave(struct fake_platform *f)
{
	if (++f->effects == f->crash_after_effect) {
		crash(f);
		return ferry_error_set(FERRY_EIO, "fake: crashed after the effect");
	}
	return FERRY_OK;
}

#define F(ctx) ((struct fake_platform *)(ctx))
#define ENTER(op, arg)                                    \
	do {                                              \
		ferry_err e_ = enter(F(ctx), (op), (arg)); \
		if (e_)                                   \
			return e_;                        \
	} while (0)

static ferry_err cache_credentials(void *ctx)
{
	ENTER(FX_CACHE_CREDENTIALS, NULL);
	F(ctx)->world.creds_cached = true;
	return leave(F(ctx));
}

static ferry_err create_fallback(void *ctx, const char *user)
{
	ENTER(FX_CREATE_FALLBACK, user);
	if (F(ctx)->world.fallback_exists)
		return ferry_error_set(FERRY_ESYSTEM, "fake: account %s already exists", user);
	F(ctx)->world.fallback_exists = true;
	return leave(F(ctx));
}

static ferry_err delete_fallback(void *ctx, const char *user)
{
	ENTER(FX_DELETE_FALLBACK, user);
	F(ctx)->world.fallback_exists = false;
	return leave(F(ctx));
}

static ferry_err set_lock_screen(void *ctx, const char *path)
{
	ENTER(FX_SET_LOCK_SCREEN, path);
	F(ctx)->world.lock_screen_set = true;
	return leave(F(ctx));
}

static ferry_err restore_lock_screen(void *ctx)
{
	ENTER(FX_RESTORE_LOCK_SCREEN, NULL);
	F(ctx)->world.lock_screen_set = false;
	return leave(F(ctx));
}

static ferry_err set_legal_notice(void *ctx, const char *caption, const char *text)
{
	(void)text;
	ENTER(FX_SET_LEGAL_NOTICE, caption);
	F(ctx)->world.legal_notice_set = true;
	return leave(F(ctx));
}

static ferry_err restore_legal_notice(void *ctx)
{
	ENTER(FX_RESTORE_LEGAL_NOTICE, NULL);
	F(ctx)->world.legal_notice_set = false;
	return leave(F(ctx));
}

static ferry_err set_prevent_login(void *ctx, int64_t until)
{
	ENTER(FX_SET_PREVENT_LOGIN, NULL);
	F(ctx)->world.lease_until = until;
	return leave(F(ctx));
}

static ferry_err clear_prevent_login(void *ctx)
{
	ENTER(FX_CLEAR_PREVENT_LOGIN, NULL);
	F(ctx)->world.lease_until = 0;
	return leave(F(ctx));
}

static int package_index(struct fake_platform *f, const char *id)
{
	for (unsigned i = 0; i < f->world.n_packages; i++)
		if (!strcmp(f->world.packages_done[i], id))
			return (int)i;
	return -1;
}

static ferry_err run_package(void *ctx, const char *id)
{
	struct fake_platform *f = F(ctx);
	int i;

	ENTER(FX_RUN_PACKAGE, id);
	if ((i = package_index(f, id)) >= 0) {
		f->pkg_runs[i]++; /* a second run: only after a crash before its DONE record */
	} else if (f->world.n_packages < FAKE_MAX_PACKAGES) {
		snprintf(f->world.packages_done[f->world.n_packages], 64, "%s", id);
		f->pkg_runs[f->world.n_packages++] = 1;
	}
	return leave(f);
}

static ferry_err notify_user(void *ctx, enum schedule_experience x)
{
	ENTER(FX_NOTIFY_USER, schedule_experience_name(x));
	F(ctx)->world.last_experience = (int)x;
	return leave(F(ctx));
}

/* The server's blob, "opened and validated" as the agent would: only one
 * for this machine and the runbook's domain is kept. */
static ferry_err fetch_odj(struct fake_platform *f)
{
	if (f->server_odj == FAKE_ODJ_OTHER_MACHINE)
		return ferry_error_set(FERRY_EMISMATCH, "fake: ODJ blob is for another machine");
	if (f->server_odj != FAKE_ODJ_VALID)
		return ferry_error_set(FERRY_ECORRUPT, "fake: ODJ blob malformed");
	f->world.odj_blob = FAKE_ODJ_VALID;
	return FERRY_OK;
}

static ferry_err obtain_odj(void *ctx, const char *domain, const char *ou)
{
	ferry_err err;

	(void)ou;
	ENTER(FX_OBTAIN_ODJ, domain);
	if (F(ctx)->world.odj_blob != FAKE_ODJ_VALID && (err = fetch_odj(F(ctx))) != FERRY_OK)
		return err;
	return leave(F(ctx));
}

static ferry_err unjoin(void *ctx)
{
	ENTER(FX_UNJOIN, NULL);
	if (F(ctx)->world.odj_blob != FAKE_ODJ_VALID)
		F(ctx)->unjoins_without_blob++;
	if (!F(ctx)->world.ad_domain[0])
		return ferry_error_set(FERRY_ESYSTEM, "fake: NetUnjoinDomain: not joined");
	F(ctx)->world.ad_domain[0] = '\0';
	return leave(F(ctx));
}

static ferry_err leave_entra(void *ctx)
{
	ENTER(FX_LEAVE_ENTRA, NULL);
	if (!F(ctx)->world.entra_joined)
		return ferry_error_set(FERRY_ESYSTEM, "fake: dsregcmd /leave: not joined");
	F(ctx)->world.entra_joined = false;
	return leave(F(ctx));
}

/* Imports the blob on disk, obtained again when it is missing or bad; the
 * blob on disk is deleted after the import, succeeded or failed. */
static ferry_err import_odj(void *ctx, const char *domain, const char *ou)
{
	struct fake_platform *f = F(ctx);
	ferry_err err = enter(f, FX_IMPORT_ODJ, domain);

	(void)ou;
	if (!err && f->world.odj_blob != FAKE_ODJ_VALID)
		err = fetch_odj(f);
	if (!err && f->world.ad_domain[0])
		err = ferry_error_set(FERRY_ESYSTEM, "fake: ODJ import: already joined");
	if (!f->crashed)
		f->world.odj_blob = FAKE_ODJ_NONE;
	if (err)
		return err;
	snprintf(f->world.ad_domain, sizeof(f->world.ad_domain), "%s", domain);
	return leave(f);
}

/* Bit of the mapped profile `pf` names; 0 (and the op refuses) otherwise. */
static unsigned profile_bit(const struct fake_platform *f, const struct ferry_profile *pf)
{
	for (size_t i = 0; pf && i < f->n_profiles; i++)
		if (!strcmp(f->profiles[i].source_sid, pf->source_sid) &&
		    !strcmp(f->profiles[i].target_sid, pf->target_sid))
			return 1u << i;
	return 0;
}

static ferry_err reacl_paths(void *ctx, enum rb_perm_mode mode, const char *const *paths,
			     size_t n, const struct ferry_profile *profile)
{
	unsigned bit = profile_bit(F(ctx), profile);

	(void)mode, (void)paths, (void)n;
	ENTER(FX_REACL_PATHS, profile ? profile->source_sid : NULL);
	if (profile && !bit)
		return ferry_error_set(FERRY_ENOTFOUND, "fake: no profile %s", profile->source_sid);
	if (profile)
		F(ctx)->world.profile_folders |= bit;
	else
		F(ctx)->world.reacl_paths = true;
	return leave(F(ctx));
}

static ferry_err reacl_hives(void *ctx, enum rb_perm_mode mode, const struct ferry_profile *pf)
{
	unsigned bit = profile_bit(F(ctx), pf);

	(void)mode;
	ENTER(FX_REACL_HIVES, pf ? pf->source_sid : NULL);
	if (!bit)
		return ferry_error_set(FERRY_ENOTFOUND, "fake: hives of an unknown profile");
	F(ctx)->world.reacl_hives |= bit;
	return leave(F(ctx));
}

static ferry_err remap_profile(void *ctx, const struct ferry_profile *pf)
{
	unsigned bit = profile_bit(F(ctx), pf);

	ENTER(FX_REMAP_PROFILE, pf ? pf->source_sid : NULL);
	if (!bit)
		return ferry_error_set(FERRY_ENOTFOUND, "fake: remap of an unknown profile");
	F(ctx)->world.profile_remapped |= bit;
	return leave(F(ctx));
}

static ferry_err reset_apps(void *ctx, unsigned apps, const struct ferry_profile *pf)
{
	char list[40];

	/* Logged with its arguments, as the rehearsal records it: apps=office,teams. */
	snprintf(list, sizeof(list), "apps=%s%s%s%s%s%s", apps & RB_APP_OFFICE ? "office" : "",
		 apps & RB_APP_OFFICE && apps & (RB_APP_TEAMS | RB_APP_ONEDRIVE) ? "," : "",
		 apps & RB_APP_TEAMS ? "teams" : "",
		 apps & RB_APP_TEAMS && apps & RB_APP_ONEDRIVE ? "," : "",
		 apps & RB_APP_ONEDRIVE ? "onedrive" : "",
		 apps & (RB_APP_OFFICE | RB_APP_TEAMS | RB_APP_ONEDRIVE) ? "" : "none");
	ENTER(FX_RESET_APPS, list);
	F(ctx)->world.apps_reset |= apps;
	F(ctx)->world.profile_apps |= profile_bit(F(ctx), pf);
	return leave(F(ctx));
}

static ferry_err uninstall_agent(void *ctx)
{
	ENTER(FX_UNINSTALL, NULL);
	F(ctx)->world.uninstalled = true;
	return leave(F(ctx));
}

static ferry_err reboot(void *ctx)
{
	ENTER(FX_REBOOT, NULL);
	/* The boot id changes now; the engine returns ENGINE_REBOOTING next. */
	F(ctx)->boot_id++;
	return leave(F(ctx));
}

static ferry_err report_event(void *ctx, const char *event, const char *reason)
{
	ENTER(FX_REPORT_EVENT, event);
	snprintf(F(ctx)->world.last_event, sizeof(F(ctx)->world.last_event), "%s: %s", event,
		 reason);
	return leave(F(ctx));
}

/* --- checks, clock ------------------------------------------------------ */

static ferry_err query_join(void *ctx, struct ferry_join_state *out)
{
	if (F(ctx)->crashed)
		return ferry_error_set(FERRY_EIO, "fake: the process has crashed");
	memset(out, 0, sizeof(*out));
	snprintf(out->ad_domain, sizeof(out->ad_domain), "%s", F(ctx)->world.ad_domain);
	out->entra_joined = F(ctx)->world.entra_joined;
	return FERRY_OK;
}

static ferry_err odj_ready(void *ctx, const char *domain, bool *ready)
{
	(void)domain;
	if (F(ctx)->crashed)
		return ferry_error_set(FERRY_EIO, "fake: the process has crashed");
	*ready = F(ctx)->world.odj_blob == FAKE_ODJ_VALID;
	return FERRY_OK;
}

static ferry_err account_exists(void *ctx, const char *user, bool *exists)
{
	(void)user;
	if (F(ctx)->crashed)
		return ferry_error_set(FERRY_EIO, "fake: the process has crashed");
	*exists = F(ctx)->world.fallback_exists;
	return FERRY_OK;
}

static ferry_err boot_id(void *ctx, uint64_t *out)
{
	if (F(ctx)->crashed)
		return ferry_error_set(FERRY_EIO, "fake: the process has crashed");
	*out = F(ctx)->boot_id;
	return FERRY_OK;
}

static int64_t now(void *ctx)
{
	return F(ctx)->clock;
}

/* --- storage ------------------------------------------------------------ */

static ferry_err check_name(struct fake_platform *f, const char *name)
{
	if (f->crashed)
		return ferry_error_set(FERRY_EIO, "fake: the process has crashed");
	if (f->file_name[0] && strcmp(f->file_name, name))
		return ferry_error_set(FERRY_EINVAL, "fake: only one stored file (%s)", f->file_name);
	snprintf(f->file_name, sizeof(f->file_name), "%s", name);
	return FERRY_OK;
}

/* Count a journal write; true if the process crashes at it. */
static bool write_point(struct fake_platform *f)
{
	if (++f->writes != f->crash_at_write)
		return false;
	crash(f);
	return true;
}

static ferry_err storage_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
	struct fake_platform *f = F(ctx);
	ferry_err err = check_name(f, name);

	if (err)
		return err;
	if (!f->file_exists)
		return ferry_error_set(FERRY_ENOTFOUND, "fake: %s does not exist", name);
	if (!(*data = ferry_malloc(f->file_len ? f->file_len : 1)))
		return ferry_error_set(FERRY_ENOMEM, "fake: out of memory");
	if (f->file_len)
		memcpy(*data, f->file, f->file_len);
	*len = f->file_len;
	return FERRY_OK;
}

static ferry_err put(struct fake_platform *f, size_t at, const uint8_t *data, size_t len)
{
	uint8_t *nb = ferry_realloc_array(f->file, at + len + 1, 1);

	if (!nb)
		return ferry_error_set(FERRY_ENOMEM, "fake: out of memory");
	f->file = nb;
	if (len)
		memcpy(f->file + at, data, len);
	f->file_len = at + len;
	f->file_exists = true;
	return FERRY_OK;
}

static ferry_err storage_append(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct fake_platform *f = F(ctx);
	ferry_err err = check_name(f, name);

	if (err)
		return err;
	if (f->appends < 256) {
		f->append_write[f->appends] = f->writes + 1;
		f->append_len[f->appends] = len;
	}
	f->appends++;
	f->last_append_len = len;
	if (write_point(f)) {
		/* A torn write: the first torn_bytes reach the disk, durably. */
		size_t k = f->torn_bytes < len ? f->torn_bytes : len;

		if (k && put(f, f->file_len, data, k) == FERRY_OK)
			f->file_synced = f->file_len;
		return ferry_error_set(FERRY_EIO, "fake: crashed during append");
	}
	return put(f, f->file_len, data, len);
}

static ferry_err storage_replace(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct fake_platform *f = F(ctx);
	ferry_err err = check_name(f, name);

	if (err)
		return err;
	if (write_point(f))
		return ferry_error_set(FERRY_EIO, "fake: crashed before the rename");
	if ((err = put(f, 0, data, len)) == FERRY_OK)
		f->file_synced = f->file_len;
	return err;
}

static ferry_err storage_sync(void *ctx, const char *name)
{
	struct fake_platform *f = F(ctx);
	ferry_err err = check_name(f, name);

	if (err)
		return err;
	if (write_point(f))
		return ferry_error_set(FERRY_EIO, "fake: crashed during sync");
	f->file_synced = f->file_len;
	return FERRY_OK;
}

void fake_platform_init(struct fake_platform *f, int64_t clock)
{
	memset(f, 0, sizeof(*f));
	f->ops = (struct ferry_platform){
		.ctx = f,
		.cache_credentials = cache_credentials,
		.create_fallback_account = create_fallback,
		.delete_fallback_account = delete_fallback,
		.set_lock_screen = set_lock_screen,
		.restore_lock_screen = restore_lock_screen,
		.set_legal_notice = set_legal_notice,
		.restore_legal_notice = restore_legal_notice,
		.set_prevent_login = set_prevent_login,
		.clear_prevent_login = clear_prevent_login,
		.run_command_package = run_package,
		.notify_user = notify_user,
		.unjoin_domain = unjoin,
		.leave_entra = leave_entra,
		.obtain_odj = obtain_odj,
		.import_odj = import_odj,
		.reacl_paths = reacl_paths,
		.reacl_registry_hives = reacl_hives,
		.remap_profile = remap_profile,
		.reset_apps = reset_apps,
		.uninstall_agent = uninstall_agent,
		.reboot = reboot,
		.report_event = report_event,
		.query_join = query_join,
		.odj_ready = odj_ready,
		.account_exists = account_exists,
		.boot_id = boot_id,
		.now = now,
		.storage_read = storage_read,
		.storage_append = storage_append,
		.storage_replace = storage_replace,
		.storage_sync = storage_sync,
	};
	snprintf(f->world.ad_domain, sizeof(f->world.ad_domain), "source.example");
	f->world.entra_joined = true;
	f->boot_id = 1;
	f->clock = clock;
	f->server_odj = FAKE_ODJ_VALID;
	f->profiles[0].source_sid = FAKE_SOURCE_SID;
	f->profiles[0].target_sid = FAKE_TARGET_SID;
	f->n_profiles = 1;
}

void fake_platform_power_cycle(struct fake_platform *f)
{
	f->crashed = false;
	f->boot_id++;
	f->file_len = f->file_synced;
	if (f->odj_at_power_cycle && f->world.odj_blob != FAKE_ODJ_NONE)
		f->world.odj_blob = f->odj_at_power_cycle;
}

void fake_platform_free(struct fake_platform *f)
{
	ferry_free(f->file);
	f->file = NULL;
	f->file_len = f->file_synced = 0;
}
