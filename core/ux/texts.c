#include "ux/texts.h"

#include <stdio.h>
#include <string.h>

static const char *const screen_names[UX_SCREEN_COUNT] = {
	"cache_credentials", "migration_available", "migration_starting",
	"migration_in_progress", "migration_complete", "service_unavailable",
	"fallback", "legal_notice",
};

/* Built-in texts: what a user reads when the runbook says nothing. Kept
 * short and actionable; every one tells the user what to do next. */
static const struct {
	const char *title;
	const char *body;
} builtin[UX_SCREEN_COUNT] = {
	{"Sign in with your new account",
	 "Your PC is moving to a new domain. Sign in once with your new account, {target_user}, "
	 "so you can log on after the move."},
	{"Your PC is ready to move",
	 "Start the move now, or snooze it until later. Your PC restarts during the move."},
	{"Your PC moves soon",
	 "The move starts in {minutes} minutes. Save your work. Afterwards, log on as {target_user}."},
	{"Migration in progress",
	 "Please do not turn off your PC. It restarts by itself when the move is done."},
	{"Migration complete",
	 "Log on as {target_user}. Connect the VPN, then lock and unlock your PC once."},
	{"Waiting for the migration service",
	 "The migration service on this PC is not answering. Restart the PC, or call the service desk."},
	{"Service desk sign-in",
	 "For service desk staff only: sign in with the local fallback account."},
	{"Migration in progress",
	 "This PC is being moved to {target_domain}. Only service desk staff may log on now."},
};

/* Overrides from a string table: empty = the compiled-in text stands. */
static char override_title[UX_SCREEN_COUNT][UX_TITLE_MAX + 1];
static char override_body[UX_SCREEN_COUNT][UX_BODY_MAX + 1];

static const char *builtin_title(enum ux_screen s)
{
	return override_title[s][0] ? override_title[s] : builtin[s].title;
}

static const char *builtin_body(enum ux_screen s)
{
	return override_body[s][0] ? override_body[s] : builtin[s].body;
}

const char *ux_screen_name(enum ux_screen s)
{
	return (unsigned)s < UX_SCREEN_COUNT ? screen_names[s] : NULL;
}

/* The value of placeholder name[0..n); *known = 0 for a name that is not one. */
static const char *var_value(const char *name, size_t n, const struct ux_vars *v, char *num,
			     size_t numcap, int *known)
{
	*known = 1;
#define IS(lit) (n == sizeof(lit) - 1 && !memcmp(name, lit, n))
	if (IS("target_user"))
		return v->target_user ? v->target_user : "";
	if (IS("source_user"))
		return v->source_user ? v->source_user : "";
	if (IS("target_domain"))
		return v->target_domain ? v->target_domain : "";
	if (IS("device_name"))
		return v->device_name ? v->device_name : "";
	if (IS("support_phone"))
		return v->support_phone ? v->support_phone : "";
	if (IS("runbook_name"))
		return v->runbook_name ? v->runbook_name : "";
	if (IS("minutes")) {
		snprintf(num, numcap, "%u", v->minutes);
		return num;
	}
#undef IS
	*known = 0;
	return "";
}

/* Drop a UTF-8 sequence left incomplete at the end of out[0..*len). */
static void trim_partial(char *out, size_t *len)
{
	size_t lead = *len, want;
	unsigned char c;

	while (lead > 0 && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)out[lead - 1];
	want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (*len - (lead - 1) < want)
		*len = lead - 1;
	out[*len] = '\0';
}

/* Append src[0..n) to out; when full, keep what fits, cut at a UTF-8
 * boundary, and return -1. */
static int put(char *out, size_t cap, size_t *len, const char *src, size_t n)
{
	size_t room = cap - 1 - *len;
	int full = n > room;

	if (full)
		n = room;
	memcpy(out + *len, src, n);
	*len += n;
	out[*len] = '\0';
	if (full)
		trim_partial(out, len);
	return full ? -1 : 0;
}

ferry_err ux_expand(char *out, size_t cap, const char *tmpl, const struct ux_vars *v)
{
	static const struct ux_vars none;
	size_t len = 0, i = 0;
	char num[16];

	if (!out || !cap || !tmpl)
		return ferry_error_set(FERRY_EINVAL, "ux_expand: missing argument");
	if (!v)
		v = &none;
	out[0] = '\0';
	while (tmpl[i]) {
		const char *piece = tmpl + i;
		size_t n = 1;

		if ((tmpl[i] == '{' && tmpl[i + 1] == '{') || (tmpl[i] == '}' && tmpl[i + 1] == '}')) {
			i += 2; /* the first brace of the pair is the literal */
		} else if (tmpl[i] == '}') {
			return ferry_error_set(FERRY_ECORRUPT, "text: unmatched '}' at byte %zu", i);
		} else if (tmpl[i] == '{') {
			const char *close = strchr(tmpl + i + 1, '}');
			size_t nl = close ? (size_t)(close - (tmpl + i + 1)) : 0;
			int known = 0;

			if (close)
				piece = var_value(tmpl + i + 1, nl, v, num, sizeof num, &known);
			if (!known)
				return ferry_error_set(FERRY_ECORRUPT,
						       "text: unknown or unclosed placeholder at byte %zu", i);
			n = strlen(piece);
			i += nl + 2;
		} else {
			i++;
		}
		if (put(out, cap, &len, piece, n))
			return ferry_error_set(FERRY_ERANGE, "text: longer than %zu bytes after expansion",
					       cap - 1);
	}
	return FERRY_OK;
}

/* The runbook's title/text for screen s; NULLs where it says nothing. */
static void runbook_texts(const struct runbook *rb, enum ux_screen s, const char **title,
			  const char **body, const char **extra)
{
	const struct rb_screen *sc = NULL;

	*title = *body = *extra = NULL;
	if (!rb)
		return;
	switch (s) {
	case UX_SCREEN_CACHE_CREDENTIALS:
		*title = rb->user_experience.cache_credentials.window_title;
		*body = rb->user_experience.cache_credentials.main_message;
		*extra = rb->user_experience.cache_credentials.login_text;
		return;
	case UX_SCREEN_MIGRATION_AVAILABLE: sc = &rb->user_experience.migration_available; break;
	case UX_SCREEN_MIGRATION_STARTING: sc = &rb->user_experience.migration_starting; break;
	case UX_SCREEN_MIGRATION_IN_PROGRESS: sc = &rb->user_experience.migration_in_progress; break;
	case UX_SCREEN_MIGRATION_COMPLETE: sc = &rb->user_experience.migration_complete; break;
	case UX_SCREEN_SERVICE_UNAVAILABLE: sc = &rb->user_experience.service_unavailable; break;
	case UX_SCREEN_LEGAL_NOTICE:
		*title = rb->user_experience.legal_notice.caption;
		*body = rb->user_experience.legal_notice.text;
		return;
	default:
		return;
	}
	*title = sc->title;
	*body = sc->text;
}

/* The caller's values, with the runbook's where the caller gives none. */
static struct ux_vars with_runbook(const struct runbook *rb, const struct ux_vars *v)
{
	struct ux_vars vars = v ? *v : (struct ux_vars){0};

	if (rb && !vars.support_phone)
		vars.support_phone = rb->user_experience.support_phone;
	if (rb && !vars.runbook_name)
		vars.runbook_name = rb->name;
	return vars;
}

ferry_err ux_texts_get(struct ux_texts *out, const struct runbook *rb, enum ux_screen s,
		       const struct ux_vars *v)
{
	struct ux_vars vars = with_runbook(rb, v);
	const char *title, *body, *extra;
	ferry_err rc;

	if (!out || (unsigned)s >= UX_SCREEN_COUNT)
		return ferry_error_set(FERRY_EINVAL, "ux_texts_get: bad screen %d", (int)s);
	runbook_texts(rb, s, &title, &body, &extra);
	rc = ux_expand(out->title, sizeof out->title, title ? title : builtin_title(s), &vars);
	if (!rc)
		rc = ux_expand(out->body, sizeof out->body, body ? body : builtin_body(s), &vars);
	if (!rc)
		rc = ux_expand(out->extra, sizeof out->extra, extra ? extra : "", &vars);
	return rc;
}

/* A template is acceptable when it fits and every placeholder is known. */
static ferry_err check_template(const char *t, size_t max, const char *what)
{
	static char scratch[UX_BODY_MAX * 4 + 1];
	const struct ux_vars probe = {0};
	size_t n = strlen(t);
	ferry_err rc;

	if (n > max)
		return ferry_error_set(FERRY_ERANGE, "built-in %s: %zu bytes, at most %zu", what, n, max);
	rc = ux_expand(scratch, sizeof scratch, t, &probe);
	return rc == FERRY_ERANGE ? FERRY_OK : rc;
}

ferry_err ux_texts_set_builtin(enum ux_screen s, const char *title, const char *body)
{
	ferry_err rc = FERRY_OK;

	if ((unsigned)s >= UX_SCREEN_COUNT)
		return ferry_error_set(FERRY_EINVAL, "ux_texts_set_builtin: bad screen %d", (int)s);
	if (title)
		rc = check_template(title, UX_TITLE_MAX, "title");
	if (!rc && body)
		rc = check_template(body, UX_BODY_MAX, "text");
	if (rc)
		return ferry_error_wrap(rc, "screen %s: ", screen_names[s]);
	if (title)
		memcpy(override_title[s], title, strlen(title) + 1);
	if (body)
		memcpy(override_body[s], body, strlen(body) + 1);
	return FERRY_OK;
}

ferry_err ux_texts_builtin(enum ux_screen s, const char **title, const char **body)
{
	if ((unsigned)s >= UX_SCREEN_COUNT || !title || !body)
		return ferry_error_set(FERRY_EINVAL, "ux_texts_builtin: bad screen %d", (int)s);
	*title = builtin_title(s);
	*body = builtin_body(s);
	return FERRY_OK;
}

void ux_texts_reset_builtin(void)
{
	memset(override_title, 0, sizeof override_title);
	memset(override_body, 0, sizeof override_body);
}

/* The runbook key behind each piece of screen s (title, body, extra). */
static void runbook_keys(enum ux_screen s, const char *keys[3])
{
	keys[0] = "title";
	keys[1] = "text";
	keys[2] = NULL;
	if (s == UX_SCREEN_CACHE_CREDENTIALS) {
		keys[0] = "window_title";
		keys[1] = "main_message";
		keys[2] = "login_text";
	} else if (s == UX_SCREEN_LEGAL_NOTICE) {
		keys[0] = "caption";
	}
}

/* Record every known placeholder of tmpl that expands to nothing. */
static void scan_empty(const char *tmpl, const char *field, const struct ux_vars *v,
		       struct ux_empty_var *out, size_t cap, size_t *n)
{
	char num[16];

	for (size_t i = 0; tmpl[i]; i++) {
		const char *close;
		size_t nl;
		int known = 0;

		if ((tmpl[i] == '{' && tmpl[i + 1] == '{') || (tmpl[i] == '}' && tmpl[i + 1] == '}')) {
			i++;
			continue;
		}
		if (tmpl[i] != '{' || !(close = strchr(tmpl + i + 1, '}')))
			continue;
		nl = (size_t)(close - (tmpl + i + 1));
		if (!*var_value(tmpl + i + 1, nl, v, num, sizeof num, &known) && known) {
			if (*n < cap) {
				snprintf(out[*n].field, sizeof out[*n].field, "%s", field);
				snprintf(out[*n].name, sizeof out[*n].name, "%.*s", (int)nl, tmpl + i + 1);
			}
			(*n)++;
		}
		i += nl + 1;
	}
}

ferry_err ux_texts_empty_vars(struct ux_empty_var *out, size_t cap, size_t *n,
			      const struct runbook *rb, enum ux_screen s, const struct ux_vars *v)
{
	struct ux_vars vars = with_runbook(rb, v);
	const char *piece[3], *keys[3], *builtin_piece[3];
	char field[sizeof out->field];

	if (!n || (cap && !out) || (unsigned)s >= UX_SCREEN_COUNT)
		return ferry_error_set(FERRY_EINVAL, "ux_texts_empty_vars: bad argument");
	*n = 0;
	runbook_texts(rb, s, &piece[0], &piece[1], &piece[2]);
	runbook_keys(s, keys);
	builtin_piece[0] = builtin_title(s);
	builtin_piece[1] = builtin_body(s);
	builtin_piece[2] = NULL;
	for (int k = 0; k < 3; k++) {
		const char *t = piece[k] ? piece[k] : builtin_piece[k];

		if (!t)
			continue;
		if (piece[k])
			snprintf(field, sizeof field, "user_experience.%s.%s", screen_names[s], keys[k]);
		else
			snprintf(field, sizeof field, "built-in %s of %s", k ? "text" : "title",
				 screen_names[s]);
		scan_empty(t, field, &vars, out, cap, n);
	}
	return FERRY_OK;
}
