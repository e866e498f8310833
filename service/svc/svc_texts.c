/*
 * Texts with their placeholders filled in before any op sees them. The
 * engine hands set_legal_notice the runbook's templates as written
 * ("This PC is moving to {target_domain}."); this thin layer sits on top of
 * the platform the engine drives (Windows, or the rehearsal over it), so the
 * real op and the rehearsal record both get the expanded words, through the
 * same core/ux/texts.h functions the tile, the notifier and ferry-preview
 * use. Every other op passes through unchanged.
 *
 * Variables: the target user (DOMAIN\user whose credentials were cached),
 * the runbook's target domain, this device's name, and the runbook's
 * support phone (ux_vars.support_phone NULL = the runbook's).
 */
#include "svc/svc_agent.h"

#include <stdio.h>
#include <string.h>

#include "ux/texts.h"

#define TX(ctx) ((struct svc_platform *)(ctx))

void svc_texts_vars(struct svc_agent *a, const struct runbook *rb, struct ux_vars *v,
		    char *user, size_t user_cap)
{
	EnterCriticalSection(&a->lock);
	snprintf(user, user_cap, "%s", a->creds_user);
	LeaveCriticalSection(&a->lock);
	memset(v, 0, sizeof(*v));
	v->target_user = user;
	v->target_domain = rb ? rb->device_state.domain : NULL;
	v->device_name = a->device;
}

static ferry_err t_set_legal_notice(void *ctx, const char *caption, const char *text)
{
	struct svc_platform *p = TX(ctx);
	const struct runbook *rb = p->agent->engine_rb;
	const struct ferry_platform *in = p->texts_inner;
	struct ux_texts t;
	struct ux_vars v;
	char user[sizeof(p->agent->creds_user)];
	char cap_out[UX_TITLE_MAX + 1], text_out[UX_BODY_MAX + 1];
	ferry_err err;

	svc_texts_vars(p->agent, rb, &v, user, sizeof(user));
	/* The built-in legal notice, expanded, stands in for a missing part. */
	if ((err = ux_texts_get(&t, NULL, UX_SCREEN_LEGAL_NOTICE, &v)) != FERRY_OK &&
	    err != FERRY_ERANGE)
		return err;
	if (caption && (err = ux_expand(cap_out, sizeof(cap_out), caption, &v)) != FERRY_OK &&
	    err != FERRY_ERANGE)
		return err;
	if (text && (err = ux_expand(text_out, sizeof(text_out), text, &v)) != FERRY_OK &&
	    err != FERRY_ERANGE)
		return err;
	return in->set_legal_notice(in->ctx, caption ? cap_out : t.title, text ? text_out : t.body);
}

/* Every other op: straight to the inner platform. */
#define INNER (TX(ctx)->texts_inner)
#define FWD(name, params, args) \
	static ferry_err t_##name params { return INNER->name args; }

FWD(cache_credentials, (void *ctx), (INNER->ctx))
FWD(create_fallback_account, (void *ctx, const char *u), (INNER->ctx, u))
FWD(delete_fallback_account, (void *ctx, const char *u), (INNER->ctx, u))
FWD(set_lock_screen, (void *ctx, const char *img), (INNER->ctx, img))
FWD(restore_lock_screen, (void *ctx), (INNER->ctx))
FWD(restore_legal_notice, (void *ctx), (INNER->ctx))
FWD(set_prevent_login, (void *ctx, int64_t until), (INNER->ctx, until))
FWD(clear_prevent_login, (void *ctx), (INNER->ctx))
FWD(run_command_package, (void *ctx, const char *id), (INNER->ctx, id))
FWD(notify_user, (void *ctx, enum schedule_experience e), (INNER->ctx, e))
FWD(unjoin_domain, (void *ctx), (INNER->ctx))
FWD(leave_entra, (void *ctx), (INNER->ctx))
FWD(import_odj, (void *ctx, const char *d, const char *ou), (INNER->ctx, d, ou))
FWD(reacl_paths, (void *ctx, enum rb_perm_mode m, const char *const *v, size_t n, bool pf),
    (INNER->ctx, m, v, n, pf))
FWD(reacl_registry_hives, (void *ctx, enum rb_perm_mode m), (INNER->ctx, m))
FWD(remap_profile, (void *ctx), (INNER->ctx))
FWD(reset_apps, (void *ctx, unsigned apps), (INNER->ctx, apps))
FWD(uninstall_agent, (void *ctx), (INNER->ctx))
FWD(reboot, (void *ctx), (INNER->ctx))
FWD(report_event, (void *ctx, const char *e, const char *r), (INNER->ctx, e, r))
FWD(query_join, (void *ctx, struct ferry_join_state *o), (INNER->ctx, o))
FWD(account_exists, (void *ctx, const char *u, bool *x), (INNER->ctx, u, x))
FWD(command_package_done, (void *ctx, const char *id, bool *d), (INNER->ctx, id, d))
FWD(boot_id, (void *ctx, uint64_t *o), (INNER->ctx, o))
FWD(storage_read, (void *ctx, const char *n, uint8_t **d, size_t *l), (INNER->ctx, n, d, l))
FWD(storage_append, (void *ctx, const char *n, const uint8_t *d, size_t l), (INNER->ctx, n, d, l))
FWD(storage_replace, (void *ctx, const char *n, const uint8_t *d, size_t l), (INNER->ctx, n, d, l))
FWD(storage_sync, (void *ctx, const char *n), (INNER->ctx, n))

static int64_t t_now(void *ctx)
{
	return INNER->now(INNER->ctx);
}

const struct ferry_platform *svc_texts_wrap(struct svc_platform *p,
					    const struct ferry_platform *inner)
{
	static const struct ferry_platform ops = {
		.cache_credentials = t_cache_credentials,
		.create_fallback_account = t_create_fallback_account,
		.delete_fallback_account = t_delete_fallback_account,
		.set_lock_screen = t_set_lock_screen,
		.restore_lock_screen = t_restore_lock_screen,
		.set_legal_notice = t_set_legal_notice,
		.restore_legal_notice = t_restore_legal_notice,
		.set_prevent_login = t_set_prevent_login,
		.clear_prevent_login = t_clear_prevent_login,
		.run_command_package = t_run_command_package,
		.notify_user = t_notify_user,
		.unjoin_domain = t_unjoin_domain,
		.leave_entra = t_leave_entra,
		.import_odj = t_import_odj,
		.reacl_paths = t_reacl_paths,
		.reacl_registry_hives = t_reacl_registry_hives,
		.remap_profile = t_remap_profile,
		.reset_apps = t_reset_apps,
		.uninstall_agent = t_uninstall_agent,
		.reboot = t_reboot,
		.report_event = t_report_event,
		.query_join = t_query_join,
		.account_exists = t_account_exists,
		.command_package_done = t_command_package_done,
		.boot_id = t_boot_id,
		.now = t_now,
		.storage_read = t_storage_read,
		.storage_append = t_storage_append,
		.storage_replace = t_storage_replace,
		.storage_sync = t_storage_sync,
	};

	p->texts_inner = inner;
	p->texts = ops;
	p->texts.ctx = p;
	return &p->texts;
}
