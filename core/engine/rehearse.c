/*
 * The rehearsal decorator (rehearse.h). Invariants:
 *
 *   1. No effect op of the inner platform is ever called; only its clock
 *      and storage functions are.
 *   2. Every effect call produces exactly one record, in call order, and
 *      returns FERRY_OK (a rehearsal shows the plan; it does not fail).
 *   3. After each effect the simulated PC is what the real one would be,
 *      so every check answers as it would after the real effect.
 *   4. A record holds only op arguments; platform.h guarantees none is a
 *      secret.
 */
#include "engine/rehearse.h"

#include <stdio.h>
#include <string.h>

#include "runbook/rfc3339.h"
#include "util/mem.h"

struct namelist {
	char **v;
	size_t n;
};

struct rehearse {
	struct ferry_platform table; /* table.ctx points back here */
	const struct ferry_platform *inner;
	rehearse_sink_fn sink;
	void *sink_ctx;
	size_t count;

	/* The simulated PC. */
	char ad_domain[256];
	char odj_domain[256]; /* the domain of the blob obtain_odj would keep; "" = none */
	bool entra_joined;
	uint64_t boot_id;
	struct namelist accounts;
	bool oom; /* a list could not grow; checks then fail rather than lie */
};

/* --- record text ---------------------------------------------------------- */

struct rec {
	char s[REHEARSE_RECORD_MAX + 1];
	size_t n;
};

static void rec_raw(struct rec *r, const char *s)
{
	while (*s && r->n < REHEARSE_RECORD_MAX)
		r->s[r->n++] = *s++;
	r->s[r->n] = '\0';
}

static void rec_key(struct rec *r, const char *key)
{
	if (r->n)
		rec_raw(r, " ");
	rec_raw(r, key);
	rec_raw(r, "=");
}

/* A quoted string; NULL is written as the bare word null. */
static void rec_quoted(struct rec *r, const char *v)
{
	char esc[8];

	if (!v) {
		rec_raw(r, "null");
		return;
	}
	rec_raw(r, "\"");
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			esc[0] = (char)c, esc[1] = '\0';
		rec_raw(r, esc);
	}
	rec_raw(r, "\"");
}

static void rec_str(struct rec *r, const char *key, const char *v)
{
	rec_key(r, key);
	rec_quoted(r, v);
}

static void rec_word(struct rec *r, const char *key, const char *word)
{
	rec_key(r, key);
	rec_raw(r, word);
}

static ferry_err emit(struct rehearse *h, const char *op, const struct rec *args)
{
	h->count++;
	if (h->sink)
		h->sink(h->sink_ctx, op, args ? args->s : "");
	return FERRY_OK;
}

/* --- the simulated PC ----------------------------------------------------- */

static bool list_has(const struct namelist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name))
			return true;
	return false;
}

static void list_add(struct rehearse *h, struct namelist *l, const char *name)
{
	char **v;
	char *copy;

	if (!name || list_has(l, name))
		return;
	v = ferry_realloc_array(l->v, l->n + 1, sizeof(*v));
	copy = ferry_strdup(name);
	if (v)
		l->v = v;
	if (!v || !copy) {
		ferry_free(copy);
		h->oom = true;
		return;
	}
	l->v[l->n++] = copy;
}

static void list_remove(struct namelist *l, const char *name)
{
	for (size_t i = 0; name && i < l->n; i++)
		if (!strcmp(l->v[i], name)) {
			ferry_free(l->v[i]);
			l->v[i] = l->v[--l->n];
			return;
		}
}

static void list_free(struct namelist *l)
{
	for (size_t i = 0; i < l->n; i++)
		ferry_free(l->v[i]);
	ferry_free(l->v);
	l->v = NULL;
	l->n = 0;
}

static ferry_err sim_ok(const struct rehearse *h)
{
	return h->oom ? ferry_error_set(FERRY_ENOMEM, "rehearsal: out of memory") : FERRY_OK;
}

/* --- effects ---------------------------------------------------------------- */

static const char *perm_mode_name(enum rb_perm_mode m)
{
	static const char *const names[] = { "none", "add", "replace", "remove" };

	return (size_t)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

static ferry_err r_cache_credentials(void *ctx)
{
	return emit(ctx, "cache_credentials", NULL);
}

static ferry_err r_create_fallback(void *ctx, const char *username)
{
	struct rehearse *h = ctx;
	struct rec a = { .n = 0 };

	rec_str(&a, "username", username);
	list_add(h, &h->accounts, username);
	return emit(h, "create_fallback_account", &a);
}

static ferry_err r_delete_fallback(void *ctx, const char *username)
{
	struct rehearse *h = ctx;
	struct rec a = { .n = 0 };

	rec_str(&a, "username", username);
	list_remove(&h->accounts, username);
	return emit(h, "delete_fallback_account", &a);
}

static ferry_err r_set_lock_screen(void *ctx, const char *image_path)
{
	struct rec a = { .n = 0 };

	if (image_path)
		rec_str(&a, "image", image_path);
	else
		rec_word(&a, "image", "default");
	return emit(ctx, "set_lock_screen", &a);
}

static ferry_err r_restore_lock_screen(void *ctx)
{
	return emit(ctx, "restore_lock_screen", NULL);
}

static ferry_err r_set_legal_notice(void *ctx, const char *caption, const char *text)
{
	struct rec a = { .n = 0 };

	rec_str(&a, "caption", caption);
	rec_str(&a, "text", text);
	return emit(ctx, "set_legal_notice", &a);
}

static ferry_err r_restore_legal_notice(void *ctx)
{
	return emit(ctx, "restore_legal_notice", NULL);
}

static ferry_err r_set_prevent_login(void *ctx, int64_t until)
{
	struct rec a = { .n = 0 };
	char t[RFC3339_BUF];

	if (rfc3339_format(t, until) != FERRY_OK)
		snprintf(t, sizeof(t), "%lld", (long long)until);
	rec_word(&a, "until", t);
	return emit(ctx, "set_prevent_login", &a);
}

static ferry_err r_clear_prevent_login(void *ctx)
{
	return emit(ctx, "clear_prevent_login", NULL);
}

static ferry_err r_run_command_package(void *ctx, const char *package_id)
{
	struct rehearse *h = ctx;
	struct rec a = { .n = 0 };

	rec_str(&a, "package", package_id);
	return emit(h, "run_command_package", &a);
}

static ferry_err r_notify_user(void *ctx, enum schedule_experience experience)
{
	struct rec a = { .n = 0 };
	const char *name = schedule_experience_name(experience);

	rec_word(&a, "experience", name ? name : "?");
	return emit(ctx, "notify_user", &a);
}

static ferry_err r_unjoin_domain(void *ctx)
{
	struct rehearse *h = ctx;

	h->ad_domain[0] = '\0';
	return emit(h, "unjoin_domain", NULL);
}

static ferry_err r_leave_entra(void *ctx)
{
	struct rehearse *h = ctx;

	h->entra_joined = false;
	return emit(h, "leave_entra", NULL);
}

static ferry_err r_obtain_odj(void *ctx, const char *domain, const char *computer_ou)
{
	struct rehearse *h = ctx;
	struct rec a = { .n = 0 };

	rec_str(&a, "domain", domain);
	rec_str(&a, "computer_ou", computer_ou);
	snprintf(h->odj_domain, sizeof(h->odj_domain), "%s", domain ? domain : "");
	return emit(h, "obtain_odj", &a);
}

static ferry_err r_import_odj(void *ctx, const char *domain, const char *computer_ou)
{
	struct rehearse *h = ctx;
	struct rec a = { .n = 0 };

	rec_str(&a, "domain", domain);
	rec_str(&a, "computer_ou", computer_ou);
	snprintf(h->ad_domain, sizeof(h->ad_domain), "%s", domain ? domain : "");
	h->odj_domain[0] = '\0'; /* deleted after the import */
	return emit(h, "import_odj", &a);
}

/* Whose profile: source_sid="..." target_sid="..." (neither is a secret). */
static void rec_profile(struct rec *r, const struct ferry_profile *pf)
{
	if (!pf)
		return;
	rec_str(r, "source_sid", pf->source_sid);
	rec_str(r, "target_sid", pf->target_sid);
}

static ferry_err r_reacl_paths(void *ctx, enum rb_perm_mode mode, const char *const *paths,
			       size_t n, const struct ferry_profile *profile)
{
	struct rec a = { .n = 0 };

	rec_word(&a, "mode", perm_mode_name(mode));
	rec_key(&a, "paths");
	rec_raw(&a, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			rec_raw(&a, ",");
		rec_quoted(&a, paths[i]);
	}
	rec_raw(&a, "]");
	rec_word(&a, "profile_folders", profile ? "true" : "false");
	rec_profile(&a, profile);
	return emit(ctx, "reacl_paths", &a);
}

static ferry_err r_reacl_registry_hives(void *ctx, enum rb_perm_mode mode,
					const struct ferry_profile *profile)
{
	struct rec a = { .n = 0 };

	rec_word(&a, "mode", perm_mode_name(mode));
	rec_profile(&a, profile);
	return emit(ctx, "reacl_registry_hives", &a);
}

static ferry_err r_remap_profile(void *ctx, const struct ferry_profile *profile)
{
	struct rec a = { .n = 0 };

	rec_profile(&a, profile);
	return emit(ctx, "remap_profile", &a);
}

static ferry_err r_reset_apps(void *ctx, unsigned apps, const struct ferry_profile *profile)
{
	struct rec a = { .n = 0 };
	const char *sep = "";

	rec_key(&a, "apps");
	if (apps & RB_APP_OFFICE)
		rec_raw(&a, "office"), sep = ",";
	if (apps & RB_APP_TEAMS)
		rec_raw(&a, sep), rec_raw(&a, "teams"), sep = ",";
	if (apps & RB_APP_ONEDRIVE)
		rec_raw(&a, sep), rec_raw(&a, "onedrive"), sep = ",";
	if (!*sep)
		rec_raw(&a, "none");
	rec_profile(&a, profile);
	return emit(ctx, "reset_apps", &a);
}

static ferry_err r_uninstall_agent(void *ctx)
{
	return emit(ctx, "uninstall_agent", NULL);
}

static ferry_err r_reboot(void *ctx)
{
	struct rehearse *h = ctx;

	h->boot_id++; /* the "next boot" happens at once in a rehearsal */
	return emit(h, "reboot", NULL);
}

/* A rehearsal logs nobody on: it records who, never the password, and
 * answers as a DC that accepted it. */
static ferry_err r_check_logon(void *ctx, const char *user, const char *domain,
			       struct ferry_secret *password, enum logon_outcome *out)
{
	struct rec a = { .n = 0 };

	ferry_secret_free(password);
	*out = LOGON_OUTCOME_OK;
	rec_str(&a, "user", user);
	rec_str(&a, "domain", domain);
	return emit(ctx, "cache_credentials_logon", &a);
}

static ferry_err r_report_event(void *ctx, const char *event, const char *reason)
{
	struct rec a = { .n = 0 };

	rec_str(&a, "event", event);
	rec_str(&a, "reason", reason);
	return emit(ctx, "report_event", &a);
}

/* --- checks -------------------------------------------------------------- */

static ferry_err r_query_join(void *ctx, struct ferry_join_state *out)
{
	const struct rehearse *h = ctx;

	memset(out, 0, sizeof(*out));
	snprintf(out->ad_domain, sizeof(out->ad_domain), "%s", h->ad_domain);
	out->entra_joined = h->entra_joined;
	return FERRY_OK;
}

static ferry_err r_odj_ready(void *ctx, const char *domain, bool *ready)
{
	const struct rehearse *h = ctx;

	*ready = domain && h->odj_domain[0] && !strcmp(h->odj_domain, domain);
	return FERRY_OK;
}

static ferry_err r_account_exists(void *ctx, const char *username, bool *exists)
{
	const struct rehearse *h = ctx;

	*exists = username && list_has(&h->accounts, username);
	return sim_ok(h);
}

static ferry_err r_boot_id(void *ctx, uint64_t *out)
{
	*out = ((const struct rehearse *)ctx)->boot_id;
	return FERRY_OK;
}

/* --- pass-through: clock and storage ------------------------------------ */

static int64_t p_now(void *ctx)
{
	const struct ferry_platform *in = ((const struct rehearse *)ctx)->inner;

	return in->now(in->ctx);
}

static ferry_err p_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
	const struct ferry_platform *in = ((const struct rehearse *)ctx)->inner;

	return in->storage_read(in->ctx, name, data, len);
}

static ferry_err p_append(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	const struct ferry_platform *in = ((const struct rehearse *)ctx)->inner;

	return in->storage_append(in->ctx, name, data, len);
}

static ferry_err p_replace(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	const struct ferry_platform *in = ((const struct rehearse *)ctx)->inner;

	return in->storage_replace(in->ctx, name, data, len);
}

static ferry_err p_sync(void *ctx, const char *name)
{
	const struct ferry_platform *in = ((const struct rehearse *)ctx)->inner;

	return in->storage_sync(in->ctx, name);
}

static const struct ferry_platform rehearse_ops = {
	.cache_credentials = r_cache_credentials,
	.create_fallback_account = r_create_fallback,
	.delete_fallback_account = r_delete_fallback,
	.set_lock_screen = r_set_lock_screen,
	.restore_lock_screen = r_restore_lock_screen,
	.set_legal_notice = r_set_legal_notice,
	.restore_legal_notice = r_restore_legal_notice,
	.set_prevent_login = r_set_prevent_login,
	.clear_prevent_login = r_clear_prevent_login,
	.run_command_package = r_run_command_package,
	.notify_user = r_notify_user,
	.unjoin_domain = r_unjoin_domain,
	.leave_entra = r_leave_entra,
	.obtain_odj = r_obtain_odj,
	.import_odj = r_import_odj,
	.reacl_paths = r_reacl_paths,
	.reacl_registry_hives = r_reacl_registry_hives,
	.remap_profile = r_remap_profile,
	.reset_apps = r_reset_apps,
	.uninstall_agent = r_uninstall_agent,
	.reboot = r_reboot,
	.report_event = r_report_event,
	.check_logon = r_check_logon,
	.query_join = r_query_join,
	.odj_ready = r_odj_ready,
	.account_exists = r_account_exists,
	.boot_id = r_boot_id,
	.now = p_now,
	.storage_read = p_read,
	.storage_append = p_append,
	.storage_replace = p_replace,
	.storage_sync = p_sync,
};

ferry_err rehearse_new(struct rehearse **out, const struct ferry_platform *inner,
		       const struct rehearse_start *start, rehearse_sink_fn sink, void *sink_ctx)
{
	struct rehearse *h;

	*out = NULL;
	if (!inner || !start)
		return ferry_error_set(FERRY_EINVAL, "rehearsal: no inner platform or start state");
	if (!(h = ferry_calloc(1, sizeof(*h))))
		return ferry_error_set(FERRY_ENOMEM, "rehearsal: out of memory");
	h->table = rehearse_ops;
	h->table.ctx = h;
	h->inner = inner;
	h->sink = sink;
	h->sink_ctx = sink_ctx;
	snprintf(h->ad_domain, sizeof(h->ad_domain), "%s", start->ad_domain ? start->ad_domain : "");
	h->entra_joined = start->entra_joined;
	h->boot_id = start->boot_id;
	for (size_t i = 0; i < start->n_accounts; i++)
		list_add(h, &h->accounts, start->accounts[i]);
	if (h->oom) {
		rehearse_free(h);
		return ferry_error_set(FERRY_ENOMEM, "rehearsal: out of memory");
	}
	*out = h;
	return FERRY_OK;
}

const struct ferry_platform *rehearse_platform(const struct rehearse *r)
{
	return &r->table;
}

size_t rehearse_count(const struct rehearse *r)
{
	return r->count;
}

void rehearse_free(struct rehearse *r)
{
	if (!r)
		return;
	list_free(&r->accounts);
	ferry_free(r);
}
