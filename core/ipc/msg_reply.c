/*
 * Replies: {"v":1,"id":N,"ok":true,...} or
 * {"v":1,"id":N,"ok":false,"error":{"code":"...","message":"..."}}.
 * The fields of an ok reply depend on the op it answers (docs/ipc.md).
 */
#include <stdio.h>
#include <string.h>

#include "ipc/msg.h"
#include "ipc/msg_json.h"
#include "runbook/rfc3339.h"
#include "ux/logon_outcome.h"

static const char *const screen_names[IPC_SCREEN_COUNT] = {
	[IPC_SCREEN_NONE] = "none",
	[IPC_SCREEN_NOTICE] = "notice",
	[IPC_SCREEN_CREDENTIALS] = "credentials",
	[IPC_SCREEN_PROGRESS] = "progress",
	[IPC_SCREEN_COMPLETE] = "complete",
	[IPC_SCREEN_FAILED] = "failed",
};

const char *ipc_screen_name(enum ipc_screen s)
{
	return (unsigned)s < IPC_SCREEN_COUNT ? screen_names[s] : NULL;
}

const char *ipc_error_code(ferry_err err)
{
	switch (err) {
	case FERRY_OK: return "ok";
	case FERRY_ECORRUPT:
	case FERRY_ERANGE:
	case FERRY_EINVAL: return "bad_request";
	case FERRY_ENOTFOUND: return "unknown_op";
	case FERRY_EUNSUPPORTED: return "unsupported_version";
	case FERRY_EPERM: return "denied";
	case FERRY_EBUSY: return "busy";
	case FERRY_ETIMEOUT: return "timeout";
	case FERRY_ENOTIMPL: return "not_implemented";
	default: return "internal";
	}
}

void ipc_reply_error(struct ipc_reply *r, uint64_t id, const char *code, const char *message)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->ok = false;
	snprintf(r->u.error.code, sizeof(r->u.error.code), "%s", code);
	snprintf(r->u.error.message, sizeof(r->u.error.message), "%s", message);
}

void ipc_reply_logon(struct ipc_reply *r, uint64_t id, enum logon_outcome o)
{
	if (o == LOGON_OUTCOME_OK) {
		memset(r, 0, sizeof(*r));
		r->id = id;
		r->op = IPC_OP_CACHE_CREDENTIALS;
		r->ok = true;
		return;
	}
	ipc_reply_error(r, id, logon_outcome_code(o), logon_outcome_text(o));
	r->op = IPC_OP_CACHE_CREDENTIALS;
}

/* qr_url: printable ASCII only (0x21..0x7e), the QR encoder's input rule;
 * "" is none. */
static bool ipc_printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* starts_at: "" (no announced start) or an RFC 3339 time. */
static bool ipc_starts_at_ok(const char *s)
{
	int64_t t;

	return !*s || rfc3339_parse(&t, s) == FERRY_OK;
}

/* A string that must be present but may be empty ("" = none). */
static ferry_err present_string(const cJSON *o, const char *what, const char *key, char *dst,
				size_t max)
{
	if (!cJSON_GetObjectItemCaseSensitive(o, key))
		return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is missing", what, key);
	return ipcj_string(o, what, key, false, dst, max);
}

static bool build_experience(cJSON *o, const struct ipc_experience *e)
{
	const char *screen = ipc_screen_name(e->screen);
	cJSON *p;

	if (!screen || e->percent > 100 || e->snooze_max_minutes > IPC_SNOOZE_MIN_MAX ||
	    !ipc_printable_ascii(e->qr_url) || !ipc_starts_at_ok(e->starts_at))
		return false;
	if (!ipcj_add_num(o, "generation", (double)e->generation) ||
	    !ipcj_add_str(o, "screen", screen) || !ipcj_add_str(o, "title", e->title) ||
	    !ipcj_add_str(o, "body", e->body) || !ipcj_add_str(o, "image", e->image) ||
	    !ipcj_add_str(o, "target_user", e->target_user) ||
	    !ipcj_add_bool(o, "fallback_available", e->fallback_available) ||
	    !ipcj_add_str(o, "qr_url", e->qr_url) || !ipcj_add_str(o, "starts_at", e->starts_at) ||
	    !ipcj_add_num(o, "snooze_max_minutes", e->snooze_max_minutes))
		return false;
	p = cJSON_AddObjectToObject(o, "progress");
	return p && ipcj_add_num(p, "percent", e->percent) && ipcj_add_str(p, "step", e->step);
}

static bool build_ok(cJSON *o, const struct ipc_reply *r)
{
	switch (r->op) {
	case IPC_OP_HELLO:
		return ipcj_add_num(o, "version", r->u.hello.version) &&
		       ipcj_add_str(o, "service", r->u.hello.service);
	case IPC_OP_GET_EXPERIENCE:
		return build_experience(o, &r->u.experience);
	case IPC_OP_SNOOZE:
		return ipcj_add_str(o, "until", r->u.snooze.until);
	case IPC_OP_SUBSCRIBE:
		return ipcj_add_bool(o, "changed", r->u.subscribe.changed) &&
		       build_experience(o, &r->u.subscribe.experience);
	default:
		return true;
	}
}

ferry_err ipc_reply_build(struct ferry_buf *out, const struct ipc_reply *r)
{
	cJSON *o = NULL, *e;
	ferry_err rc = FERRY_OK;
	bool built;

	if (r->id > IPC_ID_MAX || (r->ok && !ipc_op_name(r->op)))
		return ferry_error_set(FERRY_EINVAL, "ipc: reply needs a known op and id 0..2^53-1");
	o = ipcj_envelope(r->id);
	built = o && ipcj_add_bool(o, "ok", r->ok);
	if (built && r->ok) {
		built = build_ok(o, r);
	} else if (built) {
		e = cJSON_AddObjectToObject(o, "error");
		built = e && ipcj_add_str(e, "code", r->u.error.code) &&
			ipcj_add_str(e, "message", r->u.error.message);
	}
	if (!built)
		rc = ferry_error_set(o ? FERRY_EINVAL : FERRY_ENOMEM,
				     "ipc: cannot build reply (out of memory or a field out of range)");
	if (!rc)
		rc = ipc_frame_encode(out, o);
	ipc_json_delete_wiped(o);
	return rc;
}

static ferry_err parse_experience(struct ipc_experience *e, const cJSON *o, const char *what)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "progress");
	static const char *const pkeys[] = { "percent", "step", NULL };
	char screen[16];
	uint64_t n = 0;
	ferry_err rc;
	unsigned i;

	rc = ipcj_uint(o, what, "generation", true, 0, IPC_ID_MAX, &e->generation);
	if (!rc)
		rc = ipcj_string(o, what, "screen", true, screen, sizeof(screen) - 1);
	for (i = 0; !rc && i < IPC_SCREEN_COUNT && strcmp(screen, screen_names[i]); i++)
		;
	if (!rc && i == IPC_SCREEN_COUNT)
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: %s: unknown \"screen\"", what);
	e->screen = (enum ipc_screen)i;
	if (!rc)
		/* Screen "none" shows nothing, so it has no title. */
		rc = ipcj_string(o, what, "title", e->screen != IPC_SCREEN_NONE, e->title,
				 IPC_TEXT_MAX);
	if (!rc)
		rc = ipcj_string(o, what, "body", false, e->body, IPC_TEXT_MAX);
	if (!rc)
		rc = ipcj_string(o, what, "image", false, e->image, IPC_PATH_MAX);
	if (!rc)
		rc = ipcj_string(o, what, "target_user", false, e->target_user, IPC_NAME_MAX);
	if (!rc)
		rc = ipcj_bool(o, what, "fallback_available", true, &e->fallback_available);
	if (!rc)
		rc = present_string(o, what, "qr_url", e->qr_url, IPC_URL_MAX);
	if (!rc && !ipc_printable_ascii(e->qr_url))
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"qr_url\" is not printable ASCII",
				     what);
	if (!rc)
		rc = present_string(o, what, "starts_at", e->starts_at, IPC_TIME_MAX);
	if (!rc && !ipc_starts_at_ok(e->starts_at))
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"starts_at\" is not RFC 3339", what);
	if (!rc)
		rc = ipcj_uint(o, what, "snooze_max_minutes", true, 0, IPC_SNOOZE_MIN_MAX, &n);
	e->snooze_max_minutes = (uint32_t)n;
	n = 0;
	if (!rc && !cJSON_IsObject(p))
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"progress\" is not an object", what);
	if (!rc)
		rc = ipcj_check_keys(p, what, pkeys);
	if (!rc)
		rc = ipcj_uint(p, what, "percent", true, 0, 100, &n);
	e->percent = (uint32_t)n;
	if (!rc)
		rc = ipcj_string(p, what, "step", false, e->step, IPC_NAME_MAX);
	return rc;
}

static ferry_err parse_ok(struct ipc_reply *r, const cJSON *o)
{
	static const char *const k_hello[] = { "v", "id", "ok", "version", "service", NULL };
	static const char *const k_exp[] = { "v", "id", "ok", "generation", "screen", "title",
		"body", "image", "target_user", "fallback_available", "progress", "qr_url", "starts_at",
		"snooze_max_minutes", NULL };
	static const char *const k_sub[] = { "v", "id", "ok", "changed", "generation", "screen",
		"title", "body", "image", "target_user", "fallback_available", "progress", "qr_url",
		"starts_at", "snooze_max_minutes", NULL };
	static const char *const k_snooze[] = { "v", "id", "ok", "until", NULL };
	static const char *const k_plain[] = { "v", "id", "ok", NULL };
	const char *what = ipc_op_name(r->op);
	uint64_t n = 0;
	ferry_err rc;

	switch (r->op) {
	case IPC_OP_HELLO:
		rc = ipcj_check_keys(o, what, k_hello);
		if (!rc)
			rc = ipcj_uint(o, what, "version", true, 1, 65535, &n);
		r->u.hello.version = (uint32_t)n;
		if (!rc)
			rc = ipcj_string(o, what, "service", false, r->u.hello.service,
					 IPC_CLIENT_MAX);
		return rc;
	case IPC_OP_GET_EXPERIENCE:
		rc = ipcj_check_keys(o, what, k_exp);
		return rc ? rc : parse_experience(&r->u.experience, o, what);
	case IPC_OP_SUBSCRIBE:
		rc = ipcj_check_keys(o, what, k_sub);
		if (!rc)
			rc = ipcj_bool(o, what, "changed", true, &r->u.subscribe.changed);
		return rc ? rc : parse_experience(&r->u.subscribe.experience, o, what);
	case IPC_OP_SNOOZE:
		rc = ipcj_check_keys(o, what, k_snooze);
		return rc ? rc : ipcj_string(o, what, "until", true, r->u.snooze.until,
					     sizeof(r->u.snooze.until) - 1);
	default:
		return ipcj_check_keys(o, what, k_plain);
	}
}

static ferry_err parse_error(struct ipc_reply *r, const cJSON *o)
{
	static const char *const keys[] = { "v", "id", "ok", "error", NULL };
	static const char *const ekeys[] = { "code", "message", NULL };
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	ferry_err rc = ipcj_check_keys(o, "error reply", keys);

	if (!rc && !cJSON_IsObject(e))
		rc = ferry_error_set(FERRY_ECORRUPT, "ipc: error reply: \"error\" is not an object");
	if (!rc)
		rc = ipcj_check_keys(e, "error reply", ekeys);
	if (!rc)
		rc = ipcj_string(e, "error reply", "code", true, r->u.error.code, IPC_OP_MAX);
	if (!rc)
		rc = ipcj_string(e, "error reply", "message", false, r->u.error.message,
				 IPC_TEXT_MAX);
	return rc;
}

ferry_err ipc_reply_parse(struct ipc_reply **out, const struct ipc_frame *f, enum ipc_op op)
{
	struct ipc_reply *r;
	ferry_err rc;

	*out = NULL;
	if (!ipc_op_name(op))
		return ferry_error_set(FERRY_EINVAL, "ipc: reply for an unknown op");
	r = ferry_calloc(1, sizeof(*r));
	if (!r)
		return ferry_error_set(FERRY_ENOMEM, "ipc: reply");
	r->id = f->id;
	r->op = op;
	r->ok = f->ok;
	rc = r->ok ? parse_ok(r, f->root) : parse_error(r, f->root);
	if (rc) {
		ferry_free(r);
		return rc;
	}
	*out = r;
	return FERRY_OK;
}
