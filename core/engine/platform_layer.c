/*
 * Forwarders for platform_layer (platform_layer.h): each op calls the same
 * op of the layer below with that layer's own ctx. Written out once here so
 * that no decorator carries a copy.
 */
#include "engine/platform_layer.h"

#define IN(ctx) platform_layer_inner(ctx)
static ferry_err f_cache_credentials(void *ctx)
{
	return IN(ctx)->cache_credentials(IN(ctx)->ctx);
}
static ferry_err f_create_fallback_account(void *ctx, const char *u)
{
	return IN(ctx)->create_fallback_account(IN(ctx)->ctx, u);
}
static ferry_err f_delete_fallback_account(void *ctx, const char *u)
{
	return IN(ctx)->delete_fallback_account(IN(ctx)->ctx, u);
}
static ferry_err f_set_lock_screen(void *ctx, const char *img)
{
	return IN(ctx)->set_lock_screen(IN(ctx)->ctx, img);
}
static ferry_err f_restore_lock_screen(void *ctx)
{
	return IN(ctx)->restore_lock_screen(IN(ctx)->ctx);
}
static ferry_err f_set_legal_notice(void *ctx, const char *cap, const char *text)
{
	return IN(ctx)->set_legal_notice(IN(ctx)->ctx, cap, text);
}
static ferry_err f_restore_legal_notice(void *ctx)
{
	return IN(ctx)->restore_legal_notice(IN(ctx)->ctx);
}
static ferry_err f_set_prevent_login(void *ctx, int64_t until)
{
	return IN(ctx)->set_prevent_login(IN(ctx)->ctx, until);
}
static ferry_err f_clear_prevent_login(void *ctx)
{
	return IN(ctx)->clear_prevent_login(IN(ctx)->ctx);
}
static ferry_err f_run_command_package(void *ctx, const char *id)
{
	return IN(ctx)->run_command_package(IN(ctx)->ctx, id);
}
static ferry_err f_notify_user(void *ctx, enum schedule_experience e)
{
	return IN(ctx)->notify_user(IN(ctx)->ctx, e);
}
static ferry_err f_unjoin_domain(void *ctx)
{
	return IN(ctx)->unjoin_domain(IN(ctx)->ctx);
}
static ferry_err f_leave_entra(void *ctx)
{
	return IN(ctx)->leave_entra(IN(ctx)->ctx);
}
static ferry_err f_obtain_odj(void *ctx, const char *d, const char *ou)
{
	return IN(ctx)->obtain_odj(IN(ctx)->ctx, d, ou);
}
static ferry_err f_odj_ready(void *ctx, const char *d, bool *r)
{
	return IN(ctx)->odj_ready(IN(ctx)->ctx, d, r);
}
static ferry_err f_import_odj(void *ctx, const char *d, const char *ou)
{
	return IN(ctx)->import_odj(IN(ctx)->ctx, d, ou);
}
static ferry_err f_reacl_paths(void *ctx, enum rb_perm_mode m, const char *const *v, size_t n,
			       const struct ferry_profile *pf)
{
	return IN(ctx)->reacl_paths(IN(ctx)->ctx, m, v, n, pf);
}
static ferry_err f_reacl_registry_hives(void *ctx, enum rb_perm_mode m,
					const struct ferry_profile *pf)
{
	return IN(ctx)->reacl_registry_hives(IN(ctx)->ctx, m, pf);
}
static ferry_err f_remap_profile(void *ctx, const struct ferry_profile *pf)
{
	return IN(ctx)->remap_profile(IN(ctx)->ctx, pf);
}
static ferry_err f_reset_apps(void *ctx, unsigned apps, const struct ferry_profile *pf)
{
	return IN(ctx)->reset_apps(IN(ctx)->ctx, apps, pf);
}
static ferry_err f_uninstall_agent(void *ctx)
{
	return IN(ctx)->uninstall_agent(IN(ctx)->ctx);
}
static ferry_err f_reboot(void *ctx)
{
	return IN(ctx)->reboot(IN(ctx)->ctx);
}
static ferry_err f_report_event(void *ctx, const char *e, const char *r)
{
	return IN(ctx)->report_event(IN(ctx)->ctx, e, r);
}
static ferry_err f_check_logon(void *ctx, const char *u, const char *d, struct ferry_secret *pw, enum logon_outcome *o)
{
	return IN(ctx)->check_logon(IN(ctx)->ctx, u, d, pw, o);
}
static ferry_err f_query_join(void *ctx, struct ferry_join_state *o)
{
	return IN(ctx)->query_join(IN(ctx)->ctx, o);
}
static ferry_err f_account_exists(void *ctx, const char *u, bool *x)
{
	return IN(ctx)->account_exists(IN(ctx)->ctx, u, x);
}
static ferry_err f_boot_id(void *ctx, uint64_t *o)
{
	return IN(ctx)->boot_id(IN(ctx)->ctx, o);
}
static ferry_err f_storage_read(void *ctx, const char *n, uint8_t **d, size_t *l)
{
	return IN(ctx)->storage_read(IN(ctx)->ctx, n, d, l);
}
static ferry_err f_storage_append(void *ctx, const char *n, const uint8_t *d, size_t l)
{
	return IN(ctx)->storage_append(IN(ctx)->ctx, n, d, l);
}
static ferry_err f_storage_replace(void *ctx, const char *n, const uint8_t *d, size_t l)
{
	return IN(ctx)->storage_replace(IN(ctx)->ctx, n, d, l);
}
static ferry_err f_storage_sync(void *ctx, const char *n)
{
	return IN(ctx)->storage_sync(IN(ctx)->ctx, n);
}
static int64_t f_now(void *ctx)
{
	return IN(ctx)->now(IN(ctx)->ctx);
}
void platform_layer_init(struct platform_layer *l, const struct ferry_platform *inner)
{
	static const struct ferry_platform fwd = {
		.cache_credentials = f_cache_credentials,
		.create_fallback_account = f_create_fallback_account,
		.delete_fallback_account = f_delete_fallback_account,
		.set_lock_screen = f_set_lock_screen,
		.restore_lock_screen = f_restore_lock_screen,
		.set_legal_notice = f_set_legal_notice,
		.restore_legal_notice = f_restore_legal_notice,
		.set_prevent_login = f_set_prevent_login,
		.clear_prevent_login = f_clear_prevent_login,
		.run_command_package = f_run_command_package,
		.notify_user = f_notify_user,
		.unjoin_domain = f_unjoin_domain,
		.leave_entra = f_leave_entra,
		.obtain_odj = f_obtain_odj,
		.import_odj = f_import_odj,
		.reacl_paths = f_reacl_paths,
		.reacl_registry_hives = f_reacl_registry_hives,
		.remap_profile = f_remap_profile,
		.reset_apps = f_reset_apps,
		.uninstall_agent = f_uninstall_agent,
		.reboot = f_reboot,
		.report_event = f_report_event,
		.query_join = f_query_join,
		.odj_ready = f_odj_ready,
		.account_exists = f_account_exists,
		.boot_id = f_boot_id,
		.storage_read = f_storage_read,
		.storage_append = f_storage_append,
		.storage_replace = f_storage_replace,
		.storage_sync = f_storage_sync,
		.check_logon = f_check_logon,
		.now = f_now,
	};

	l->table = fwd;
	l->table.ctx = l;
	l->inner = inner;
}
