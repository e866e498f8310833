/*
 * "ferry.runbook/1": parse and validate in one pass (see runbook.h). Each
 * section has its own reader; cross-section safety rules run last, when
 * every value is known. Defaults are the "do nothing" choice of each key.
 */
#include <stdio.h>
#include <string.h>

#include "runbook/rb_json.h"
#include "runbook/runbook.h"
#include "util/mem.h"
#include "ux/hints.h"

#define NAME_MAX_BYTES 256u
#define PATH_MAX_BYTES 1024u

static const char *const top_keys[] = {
	"schema", "id", "name", "description", "prerequisites", "startup", "user_experience",
	"device_state", "permission_updates", "app_reconfiguration", "completion", "retry", NULL,
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool has_suffix_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	if (m > n)
		return false;
	for (size_t i = 0; i < m; i++)
		if (ascii_lower((unsigned char)s[n - m + i]) != suf[i])
			return false;
	return true;
}

static const char *check_image(const char *s)
{
	if (has_suffix_ci(s, ".png") || has_suffix_ci(s, ".jpg") || has_suffix_ci(s, ".jpeg") ||
	    has_suffix_ci(s, ".bmp"))
		return NULL;
	return "must name a .png, .jpg, .jpeg or .bmp file";
}

/* "C:\..." or "%VAR%\..." (expanded on the device); no relative paths,
 * because the service's working directory is not the admin's. */
static const char *check_win_path(const char *s)
{
	bool drive = ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) &&
		     s[1] == ':' && s[2] == '\\';
	const char *close = s[0] == '%' ? strchr(s + 1, '%') : NULL;
	bool env = close && close > s + 1 && (close[1] == '\\' || close[1] == '\0');

	if (!drive && !env)
		return "must be an absolute path (C:\\...) or start with %VARIABLE%";
	if (strstr(s, "\\..\\") || has_suffix_ci(s, "\\.."))
		return "must not contain '..'";
	return NULL;
}

const char *rb_check_account_max(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0)
		return "account name must not be empty";
	if (n > max)
		return max == 20 ? "account name must be at most 20 characters"
				 : "account name is longer than Windows allows for its kind";
	if (strpbrk(s, "\"/\\[]:;|=,+*?<>@"))
		return "account name must not contain \" / \\ [ ] : ; | = , + * ? < > @";
	if (s[n - 1] == '.' || s[0] == ' ' || s[n - 1] == ' ')
		return "account name must not end with '.' or start or end with a space";
	return NULL;
}

static const char *check_account(const char *s)
{
	return rb_check_account_max(s, 20);
}

const char *rb_check_computer_name(const char *s)
{
	size_t n = s ? strlen(s) : 0, digits = 0;

	if (n < 1 || n > 15)
		return "computer name must be 1-15 characters";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
			return "computer name must be letters, digits and '-'";
	}
	return digits < n ? NULL : "computer name must not be all digits";
}

const char *rb_check_domain(const char *s)
{
	size_t label = 0, n = strlen(s);
	bool dot = false;

	if (n > 253)
		return "domain must be at most 253 characters";
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return "domain must be a DNS name (labels of 1-63 letters, digits, '-')";
			dot |= c == '.';
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			label++;
		} else {
			return "domain must be a DNS name (labels of 1-63 letters, digits, '-')";
		}
	}
	return dot ? NULL : "domain must be a fully qualified DNS name (e.g. target.example)";
}

/* The OU's DC= components must spell the target domain: ODJ provisions the
 * account in the target domain, so an OU elsewhere can never work. */
const char *rb_check_ou(const char *ou, const char *domain)
{
	const char *dc = NULL, *d = domain;

	if (strncmp(ou, "OU=", 3) && strncmp(ou, "CN=", 3) && strncmp(ou, "ou=", 3) &&
	    strncmp(ou, "cn=", 3))
		return "computer_ou must be a distinguished name starting with OU= or CN=";
	for (const char *q = ou; (q = strchr(q, ',')); q++) {
		if (!strncmp(q, ",DC=", 4) || !strncmp(q, ",dc=", 4)) {
			dc = q;
			break;
		}
	}
	if (!dc)
		return "computer_ou must end in the domain's DC= components";
	if (!domain)
		return NULL;
	/* Walk ",DC=a,DC=b" against "a.b". */
	for (const char *q = dc; *q; ) {
		if (strncmp(q, ",DC=", 4) && strncmp(q, ",dc=", 4))
			return "computer_ou's DC= components must match domain";
		q += 4;
		while (*q && *q != ',' && *d && *d != '.' && ascii_lower(*q) == ascii_lower(*d))
			q++, d++;
		if ((*q != ',' && *q) || (*d != '.' && *d))
			return "computer_ou's DC= components must match domain";
		if (*d == '.')
			d++;
	}
	return *d ? "computer_ou's DC= components must match domain" : NULL;
}

static void read_startup(struct rbp *p, const cJSON *root, struct runbook *rb)
{
	static const char *const keys[] = { "run", "mode", "migration_image", "set_legal_notice",
		"prevent_login", "prevent_login_max_hours", "fallback_credentials",
		"command_packages", NULL };
	static const char *const img_keys[] = { "source", "path", NULL };
	static const char *const fb_keys[] = { "enabled", "username", "deletion_delay_hours", NULL };
	static const char *const modes[] = { "silent", "show_progress", NULL };
	static const char *const sources[] = { "default", "custom", NULL };
	const cJSON *s = rbp_object(p, root, "startup", false), *img, *fb;
	size_t saved = rbp_push(p, "startup");
	int v;

	rbp_check_keys(p, s, keys);
	rbp_bool(p, s, "run", &rb->startup.run);
	v = (int)rb->startup.mode;
	rbp_enum(p, s, "mode", false, modes, &v);
	rb->startup.mode = (enum rb_mode)v;
	rbp_bool(p, s, "set_legal_notice", &rb->startup.set_legal_notice);
	rbp_bool(p, s, "prevent_login", &rb->startup.prevent_login);
	rbp_uint(p, s, "prevent_login_max_hours", 1, HINT_CAP_MAX_HOURS, &rb->startup.prevent_login_max_hours);
	rbp_strlist(p, s, "command_packages", RUNBOOK_ID_MAX, rb_check_id,
		    &rb->startup.command_packages);

	if ((img = rbp_object(p, s, "migration_image", false))) {
		size_t s2 = rbp_push(p, "migration_image");

		rbp_check_keys(p, img, img_keys);
		v = 0;
		rbp_enum(p, img, "source", true, sources, &v);
		rb->startup.image_source = (enum rb_image_source)v;
		rbp_string(p, img, "path", v == RB_IMAGE_CUSTOM, PATH_MAX_BYTES,
			   &rb->startup.image_path);
		if (rb->startup.image_path && v != RB_IMAGE_CUSTOM)
			rbp_error_at(p, "path", "only allowed with \"source\":\"custom\"");
		else if (rb->startup.image_path && check_image(rb->startup.image_path))
			rbp_error_at(p, "path", "%s", check_image(rb->startup.image_path));
		rbp_pop(p, s2);
	}
	if ((fb = rbp_object(p, s, "fallback_credentials", false))) {
		size_t s2 = rbp_push(p, "fallback_credentials");

		rbp_check_keys(p, fb, fb_keys);
		rbp_bool(p, fb, "enabled", &rb->startup.fallback.enabled);
		rbp_string(p, fb, "username", rb->startup.fallback.enabled, NAME_MAX_BYTES,
			   &rb->startup.fallback.username);
		if (rb->startup.fallback.username && check_account(rb->startup.fallback.username))
			rbp_error_at(p, "username", "%s", check_account(rb->startup.fallback.username));
		rbp_uint(p, fb, "deletion_delay_hours", 0, 8760,
			 &rb->startup.fallback.deletion_delay_hours);
		rbp_pop(p, s2);
	}
	if (!rb->startup.run && rb->startup.command_packages.n)
		rbp_error_at(p, "command_packages", "never run: startup.run is false");
	rbp_pop(p, saved);
}

static void read_screen(struct rbp *p, const cJSON *ux, const char *key, struct rb_screen *out)
{
	static const char *const keys[] = { "title", "text", NULL };
	const cJSON *o = rbp_object(p, ux, key, false);
	size_t saved = rbp_push(p, key);

	rbp_check_keys(p, o, keys);
	rbp_text(p, o, "title", o != NULL, &out->title);
	rbp_text(p, o, "text", o != NULL, &out->text);
	rbp_pop(p, saved);
}

static void read_ux(struct rbp *p, const cJSON *root, struct runbook *rb)
{
	static const char *const keys[] = { "qr_code_url", "support_phone", "cache_credentials",
		"migration_available", "migration_starting", "migration_in_progress",
		"migration_complete", "service_unavailable", "legal_notice", NULL };
	static const char *const cc_keys[] = { "window_title", "main_message",
		"username_placeholder", "login_text", "logo", NULL };
	static const char *const ln_keys[] = { "caption", "text", NULL };
	const cJSON *u = rbp_object(p, root, "user_experience", false), *cc, *ln;
	size_t saved = rbp_push(p, "user_experience");

	rbp_check_keys(p, u, keys);
	rbp_string(p, u, "qr_code_url", false, 2048, &rb->user_experience.qr_code_url);
	if (rb->user_experience.qr_code_url &&
	    strncmp(rb->user_experience.qr_code_url, "https://", 8))
		rbp_error_at(p, "qr_code_url", "must be an https:// URL");
	rbp_string(p, u, "support_phone", false, 64, &rb->user_experience.support_phone);

	cc = rbp_object(p, u, "cache_credentials", false);
	{
		size_t s2 = rbp_push(p, "cache_credentials");

		rbp_check_keys(p, cc, cc_keys);
		rbp_text(p, cc, "window_title", false, &rb->user_experience.cache_credentials.window_title);
		rbp_text(p, cc, "main_message", false, &rb->user_experience.cache_credentials.main_message);
		rbp_text(p, cc, "username_placeholder", false,
			 &rb->user_experience.cache_credentials.username_placeholder);
		rbp_text(p, cc, "login_text", false, &rb->user_experience.cache_credentials.login_text);
		rbp_string(p, cc, "logo", false, PATH_MAX_BYTES, &rb->user_experience.cache_credentials.logo);
		if (rb->user_experience.cache_credentials.logo &&
		    check_image(rb->user_experience.cache_credentials.logo))
			rbp_error_at(p, "logo", "%s", check_image(rb->user_experience.cache_credentials.logo));
		rbp_pop(p, s2);
	}
	read_screen(p, u, "migration_available", &rb->user_experience.migration_available);
	read_screen(p, u, "migration_starting", &rb->user_experience.migration_starting);
	read_screen(p, u, "migration_in_progress", &rb->user_experience.migration_in_progress);
	read_screen(p, u, "migration_complete", &rb->user_experience.migration_complete);
	read_screen(p, u, "service_unavailable", &rb->user_experience.service_unavailable);
	ln = rbp_object(p, u, "legal_notice", false);
	{
		size_t s2 = rbp_push(p, "legal_notice");

		rbp_check_keys(p, ln, ln_keys);
		rbp_text(p, ln, "caption", ln != NULL, &rb->user_experience.legal_notice.caption);
		rbp_text(p, ln, "text", ln != NULL, &rb->user_experience.legal_notice.text);
		rbp_pop(p, s2);
	}
	rbp_pop(p, saved);
}

static void read_join(struct rbp *p, const cJSON *ds, struct runbook *rb)
{
	static const char *const keys[] = { "type", "domain", "offline_domain_join", "computer_ou",
		NULL };
	static const char *const types[] = { "none", "active_directory", NULL };
	const cJSON *j = rbp_object(p, ds, "domain_join", false);
	size_t saved = rbp_push(p, "domain_join");
	int v = 0;

	if (!j)
		goto out;
	rbp_check_keys(p, j, keys);
	rbp_enum(p, j, "type", true, types, &v);
	rb->device_state.join_type = (enum rb_join_type)v;
	if (v != RB_JOIN_ACTIVE_DIRECTORY) {
		for (size_t i = 1; keys[i]; i++)
			if (cJSON_GetObjectItemCaseSensitive(j, keys[i]))
				rbp_error_at(p, keys[i], "only allowed with \"type\":\"active_directory\"");
		goto out;
	}
	rbp_string(p, j, "domain", true, 253, &rb->device_state.domain);
	if (rb->device_state.domain && rb_check_domain(rb->device_state.domain))
		rbp_error_at(p, "domain", "%s", rb_check_domain(rb->device_state.domain));
	if (!cJSON_GetObjectItemCaseSensitive(j, "offline_domain_join"))
		rbp_error_at(p, "offline_domain_join", "required, must be true");
	rbp_bool(p, j, "offline_domain_join", &rb->device_state.offline_domain_join);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "offline_domain_join")))
		rbp_error_at(p, "offline_domain_join",
			     "must be true: Ferry joins only by offline domain join");
	rbp_string(p, j, "computer_ou", false, PATH_MAX_BYTES, &rb->device_state.computer_ou);
	if (rb->device_state.computer_ou &&
	    rb_check_ou(rb->device_state.computer_ou, rb->device_state.domain))
		rbp_error_at(p, "computer_ou", "%s",
			     rb_check_ou(rb->device_state.computer_ou, rb->device_state.domain));
out:
	rbp_pop(p, saved);
}

static void read_device_state(struct rbp *p, const cJSON *root, struct runbook *rb)
{
	static const char *const keys[] = { "cache_user_credentials", "credentials_required",
		"remove_from", "domain_join", NULL };
	static const char *const removes[] = { "none", "all_directories", NULL };
	static const char *const rules[] = { "every_mapped_user", "any_mapped_user", NULL };
	const cJSON *ds = rbp_object(p, root, "device_state", false);
	size_t saved = rbp_push(p, "device_state");
	int v = 0;

	rbp_check_keys(p, ds, keys);
	rbp_bool(p, ds, "cache_user_credentials", &rb->device_state.cache_user_credentials);
	rbp_enum(p, ds, "credentials_required", false, rules, &v);
	rb->device_state.credentials_required = (enum rb_creds_rule)v;
	v = 0;
	rbp_enum(p, ds, "remove_from", false, removes, &v);
	rb->device_state.remove_from = (enum rb_remove_from)v;
	read_join(p, ds, rb);
	rbp_pop(p, saved);
}

static void read_permissions(struct rbp *p, const cJSON *root, struct runbook *rb)
{
	static const char *const keys[] = { "mode", "paths", "registry_hives", "profile", NULL };
	static const char *const modes[] = { "none", "add", "replace", "remove", NULL };
	const cJSON *pu = rbp_object(p, root, "permission_updates", false);
	size_t saved = rbp_push(p, "permission_updates");
	int v = 0;

	rbp_check_keys(p, pu, keys);
	rbp_enum(p, pu, "mode", false, modes, &v);
	rb->permission_updates.mode = (enum rb_perm_mode)v;
	rbp_strlist(p, pu, "paths", PATH_MAX_BYTES, check_win_path, &rb->permission_updates.paths);
	rbp_bool(p, pu, "registry_hives", &rb->permission_updates.registry_hives);
	rbp_bool(p, pu, "profile", &rb->permission_updates.profile);
	if (v == RB_PERM_NONE && (rb->permission_updates.paths.n ||
				  rb->permission_updates.registry_hives ||
				  rb->permission_updates.profile))
		rbp_error_at(p, "mode", "is \"none\", so paths, registry_hives and profile do nothing");
	rbp_pop(p, saved);
}

static const char *check_app(const char *s)
{
	if (!strcmp(s, "office") || !strcmp(s, "teams") || !strcmp(s, "onedrive"))
		return NULL;
	return "must be one of \"office\", \"teams\", \"onedrive\"";
}

static void read_apps_completion_retry(struct rbp *p, const cJSON *root, struct runbook *rb)
{
	static const char *const app_keys[] = { "reset", NULL };
	static const char *const c_keys[] = { "run", "command_packages", "uninstall_agent", NULL };
	static const char *const r_keys[] = { "attempts", "backoff_seconds", "max_backoff_seconds",
		NULL };
	const cJSON *a = rbp_object(p, root, "app_reconfiguration", false);
	const cJSON *c = rbp_object(p, root, "completion", false);
	const cJSON *r = rbp_object(p, root, "retry", false);
	struct rb_strlist apps = { 0 };
	size_t saved = rbp_push(p, "app_reconfiguration");

	rbp_check_keys(p, a, app_keys);
	rbp_strlist(p, a, "reset", 16, check_app, &apps);
	for (size_t i = 0; i < apps.n; i++)
		rb->app_reset |= !strcmp(apps.v[i], "office") ? RB_APP_OFFICE :
				 !strcmp(apps.v[i], "teams")  ? RB_APP_TEAMS : RB_APP_ONEDRIVE;
	rb_strlist_free(&apps);
	rbp_pop(p, saved);

	saved = rbp_push(p, "completion");
	rbp_check_keys(p, c, c_keys);
	rbp_bool(p, c, "run", &rb->completion.run);
	rbp_strlist(p, c, "command_packages", RUNBOOK_ID_MAX, rb_check_id,
		    &rb->completion.command_packages);
	rbp_bool(p, c, "uninstall_agent", &rb->completion.uninstall_agent);
	if (!rb->completion.run && rb->completion.command_packages.n)
		rbp_error_at(p, "command_packages", "never run: completion.run is false");
	if (!rb->completion.run && rb->completion.uninstall_agent)
		rbp_error_at(p, "uninstall_agent", "never done: completion.run is false");
	rbp_pop(p, saved);

	saved = rbp_push(p, "retry");
	rbp_check_keys(p, r, r_keys);
	rbp_uint(p, r, "attempts", 1, 10, &rb->retry.attempts);
	rbp_uint(p, r, "backoff_seconds", 1, 86400, &rb->retry.backoff_seconds);
	rbp_uint(p, r, "max_backoff_seconds", 1, 86400, &rb->retry.max_backoff_seconds);
	if (rb->retry.max_backoff_seconds < rb->retry.backoff_seconds)
		rbp_error_at(p, "max_backoff_seconds", "must be at least backoff_seconds");
	rbp_pop(p, saved);
}

/* Rules that span sections. Their purpose is design.md's "nothing may leave
 * a PC where nobody can log on". */
static void check_safety(struct rbp *p, const struct runbook *rb)
{
	bool fallback = rb->startup.run && rb->startup.fallback.enabled;

	if (rb->startup.prevent_login && !fallback)
		rbp_error_ptr(p, "/startup/prevent_login", "needs startup.run and "
			      "fallback_credentials.enabled, so helpdesk can still log on");
	if (rb->device_state.remove_from == RB_REMOVE_ALL_DIRECTORIES && !fallback)
		rbp_error_ptr(p, "/device_state/remove_from", "needs startup.run and "
			      "fallback_credentials.enabled: an unjoined device must keep a local account");
	if (rb->device_state.join_type == RB_JOIN_ACTIVE_DIRECTORY &&
	    rb->device_state.remove_from != RB_REMOVE_ALL_DIRECTORIES)
		rbp_error_ptr(p, "/device_state/domain_join/type",
			      "joining a domain needs remove_from \"all_directories\" first");
	if (rb->startup.set_legal_notice && !rb->user_experience.legal_notice.text)
		rbp_error_ptr(p, "/startup/set_legal_notice", "needs user_experience.legal_notice");
}

static void read_top(struct rbp *p, const cJSON *root, struct runbook *rb)
{
	rbp_schema(p, root, RUNBOOK_SCHEMA);
	rbp_check_keys(p, root, top_keys);
	rbp_string(p, root, "id", true, RUNBOOK_ID_MAX, &rb->id);
	if (rb->id && rb_check_id(rb->id))
		rbp_error_at(p, "id", "%s", rb_check_id(rb->id));
	rbp_string(p, root, "name", true, NAME_MAX_BYTES, &rb->name);
	{
		char *desc = NULL;

		rbp_string(p, root, "description", false, RUNBOOK_MAX_TEXT, &desc);
		ferry_free(desc);
	}
	rbp_strlist(p, root, "prerequisites", RUNBOOK_ID_MAX, rb_check_id, &rb->prerequisites);
	for (size_t i = 0; rb->id && i < rb->prerequisites.n; i++) {
		if (!strcmp(rb->prerequisites.v[i], rb->id)) {
			char rel[48];

			snprintf(rel, sizeof(rel), "/prerequisites/%zu", i);
			rbp_error_ptr(p, rel, "a runbook cannot be its own prerequisite");
		}
	}
}

ferry_err runbook_parse(struct runbook **out, struct rb_issues *iss, const char *file,
			const char *json, size_t len)
{
	struct runbook *rb = NULL;
	struct rbp p;
	cJSON *root = NULL;
	ferry_err err;

	*out = NULL;
	rbp_init(&p, iss, file);
	rb = ferry_calloc(1, sizeof(*rb));
	if (!rb)
		return ferry_error_set(FERRY_ENOMEM, "runbook: out of memory");
	rb->startup.mode = RB_MODE_SILENT;
	rb->startup.prevent_login_max_hours = HINT_CAP_DEFAULT_HOURS;
	rb->startup.fallback.deletion_delay_hours = 72;
	rb->retry.attempts = 3;
	rb->retry.backoff_seconds = 60;
	rb->retry.max_backoff_seconds = 3600;

	root = rbp_parse_json(&p, json, len);
	if (root) {
		read_top(&p, root, rb);
		read_startup(&p, root, rb);
		read_ux(&p, root, rb);
		read_device_state(&p, root, rb);
		read_permissions(&p, root, rb);
		read_apps_completion_retry(&p, root, rb);
		check_safety(&p, rb);
	}
	cJSON_Delete(root);
	if (p.err) {
		err = ferry_error_set(FERRY_ENOMEM, "runbook: out of memory");
	} else if (p.n_issues) {
		err = ferry_error_set(FERRY_ECORRUPT, "runbook %s: %zu problem(s)", p.file, p.n_issues);
	} else {
		*out = rb;
		return FERRY_OK;
	}
	runbook_free(rb);
	return err;
}

bool runbook_is_migration(const struct runbook *rb)
{
	return rb->device_state.join_type != RB_JOIN_NONE ||
	       rb->device_state.remove_from != RB_REMOVE_NONE;
}

void runbook_free(struct runbook *rb)
{
	struct rb_screen *screens[5];

	if (!rb)
		return;
	screens[0] = &rb->user_experience.migration_available;
	screens[1] = &rb->user_experience.migration_starting;
	screens[2] = &rb->user_experience.migration_in_progress;
	screens[3] = &rb->user_experience.migration_complete;
	screens[4] = &rb->user_experience.service_unavailable;
	for (size_t i = 0; i < 5; i++) {
		ferry_free(screens[i]->title);
		ferry_free(screens[i]->text);
	}
	ferry_free(rb->id);
	ferry_free(rb->name);
	rb_strlist_free(&rb->prerequisites);
	ferry_free(rb->startup.image_path);
	ferry_free(rb->startup.fallback.username);
	rb_strlist_free(&rb->startup.command_packages);
	ferry_free(rb->user_experience.qr_code_url);
	ferry_free(rb->user_experience.support_phone);
	ferry_free(rb->user_experience.cache_credentials.window_title);
	ferry_free(rb->user_experience.cache_credentials.main_message);
	ferry_free(rb->user_experience.cache_credentials.username_placeholder);
	ferry_free(rb->user_experience.cache_credentials.login_text);
	ferry_free(rb->user_experience.cache_credentials.logo);
	ferry_free(rb->user_experience.legal_notice.caption);
	ferry_free(rb->user_experience.legal_notice.text);
	ferry_free(rb->device_state.domain);
	ferry_free(rb->device_state.computer_ou);
	rb_strlist_free(&rb->permission_updates.paths);
	rb_strlist_free(&rb->completion.command_packages);
	ferry_free(rb);
}
