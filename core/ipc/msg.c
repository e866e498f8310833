/*
 * Requests: parse from a decoded frame, build into a frame. Field rules are
 * in docs/ipc.md; this file is their single implementation.
 */
#include <string.h>

#include "ipc/msg.h"
#include "ipc/msg_json.h"

static const char *const op_names[IPC_OP_COUNT] = {
	[IPC_OP_HELLO] = "hello",
	[IPC_OP_GET_EXPERIENCE] = "get_experience",
	[IPC_OP_CACHE_CREDENTIALS] = "cache_credentials",
	[IPC_OP_START_NOW] = "start_now",
	[IPC_OP_SNOOZE] = "snooze",
	[IPC_OP_ACK_COMPLETE] = "ack_complete",
	[IPC_OP_SUBSCRIBE] = "subscribe",
};

const char *ipc_op_name(enum ipc_op op)
{
	return (unsigned)op < IPC_OP_COUNT ? op_names[op] : NULL;
}

ferry_err ipc_op_from_name(enum ipc_op *out, const char *name)
{
	for (unsigned i = 0; i < IPC_OP_COUNT; i++) {
		if (!strcmp(op_names[i], name)) {
			*out = (enum ipc_op)i;
			return FERRY_OK;
		}
	}
	return ferry_error_set(FERRY_ENOTFOUND, "ipc: unknown op \"%.32s\"", name);
}

void ipc_request_free(struct ipc_request *r)
{
	if (!r)
		return;
	if (r->op == IPC_OP_CACHE_CREDENTIALS)
		ferry_secret_free(r->u.creds.password);
	ferry_wipe(r, sizeof(*r));
	ferry_free(r);
}

static ferry_err parse_hello(struct ipc_request *r, const cJSON *o)
{
	const cJSON *vs = cJSON_GetObjectItemCaseSensitive(o, "versions");
	const cJSON *v;
	ferry_err rc;

	if (!cJSON_IsArray(vs))
		return ferry_error_set(FERRY_ECORRUPT, "ipc: hello: \"versions\" %s",
				       vs ? "is not an array" : "is missing");
	cJSON_ArrayForEach(v, vs) {
		uint64_t n = 0;

		if (r->u.hello.n_versions == IPC_VERSIONS_MAX)
			return ferry_error_set(FERRY_ERANGE, "ipc: hello: more than %d versions",
					       IPC_VERSIONS_MAX);
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 65535 ||
		    (double)(uint64_t)v->valuedouble != v->valuedouble)
			return ferry_error_set(FERRY_ECORRUPT,
					       "ipc: hello: \"versions\"[%lu] is not an integer in 1..65535",
					       (unsigned long)r->u.hello.n_versions);
		n = (uint64_t)v->valuedouble;
		r->u.hello.versions[r->u.hello.n_versions++] = (uint32_t)n;
	}
	if (r->u.hello.n_versions == 0)
		return ferry_error_set(FERRY_ECORRUPT, "ipc: hello: \"versions\" is empty");
	rc = ipcj_string(o, "hello", "client", false, r->u.hello.client, IPC_CLIENT_MAX);
	return rc;
}

/* The password leaves the JSON tree for a secret, and its JSON copy is wiped at once. */
static ferry_err parse_creds(struct ipc_request *r, const cJSON *o)
{
	cJSON *pw = cJSON_GetObjectItemCaseSensitive(o, "password");
	ferry_err rc;
	size_t len;

	rc = ipcj_string(o, "cache_credentials", "user", true, r->u.creds.user, IPC_NAME_MAX);
	/* A UPN (user@suffix) travels whole with an empty domain: LogonUser takes
	 * a UPN only with lpszDomain NULL, and its suffix may be an alternate one. */
	if (!rc)
		rc = ipcj_string(o, "cache_credentials", "domain", !strchr(r->u.creds.user, '@'),
				 r->u.creds.domain, IPC_NAME_MAX);
	if (rc)
		return rc;
	if (!pw)
		return ferry_error_set(FERRY_ECORRUPT,
				       "ipc: cache_credentials: \"password\" is missing");
	if (!cJSON_IsString(pw))
		return ferry_error_set(FERRY_ECORRUPT,
				       "ipc: cache_credentials: \"password\" is not a string");
	len = strlen(pw->valuestring);
	if (len == 0 || len > IPC_PASSWORD_MAX)
		rc = ferry_error_set(FERRY_ERANGE,
				     "ipc: cache_credentials: \"password\" must be 1..%d bytes",
				     IPC_PASSWORD_MAX);
	else
		rc = ferry_secret_from(&r->u.creds.password, pw->valuestring, len);
	ferry_wipe(pw->valuestring, len);
	return rc;
}

static ferry_err parse_fields(struct ipc_request *r, const cJSON *o)
{
	uint64_t n = 0;
	ferry_err rc;

	switch (r->op) {
	case IPC_OP_HELLO:
		return parse_hello(r, o);
	case IPC_OP_CACHE_CREDENTIALS:
		return parse_creds(r, o);
	case IPC_OP_SNOOZE:
		rc = ipcj_uint(o, "snooze", "minutes", true, 1, IPC_SNOOZE_MIN_MAX, &n);
		r->u.snooze.minutes = (uint32_t)n;
		return rc;
	case IPC_OP_SUBSCRIBE:
		rc = ipcj_uint(o, "subscribe", "timeout_ms", true, 1, IPC_SUBSCRIBE_MS_MAX, &n);
		r->u.subscribe.timeout_ms = (uint32_t)n;
		if (!rc)
			rc = ipcj_uint(o, "subscribe", "since", false, 0, IPC_ID_MAX,
				       &r->u.subscribe.since);
		return rc;
	default:
		return FERRY_OK;
	}
}

static const char *const *allowed_keys(enum ipc_op op)
{
	static const char *const hello[] = { "v", "id", "op", "versions", "client", NULL };
	static const char *const plain[] = { "v", "id", "op", "session", NULL };
	static const char *const creds[] = { "v", "id", "op", "session", "user", "domain",
					     "password", NULL };
	static const char *const snooze[] = { "v", "id", "op", "session", "minutes", NULL };
	static const char *const sub[] = { "v", "id", "op", "session", "timeout_ms", "since",
					   NULL };

	switch (op) {
	case IPC_OP_HELLO: return hello;
	case IPC_OP_CACHE_CREDENTIALS: return creds;
	case IPC_OP_SNOOZE: return snooze;
	case IPC_OP_SUBSCRIBE: return sub;
	default: return plain;
	}
}

ferry_err ipc_request_parse(struct ipc_request **out, const struct ipc_frame *f)
{
	struct ipc_request *r = NULL;
	uint64_t session = IPC_NO_SESSION;
	ferry_err rc;

	*out = NULL;
	r = ferry_calloc(1, sizeof(*r));
	if (!r)
		return ferry_error_set(FERRY_ENOMEM, "ipc: request");
	r->id = f->id;
	rc = ipc_op_from_name(&r->op, f->op);
	if (rc)
		goto out;
	rc = ipcj_check_keys(f->root, op_names[r->op], allowed_keys(r->op));
	if (!rc)
		rc = ipcj_uint(f->root, op_names[r->op], "session", false, 0, UINT32_MAX - 1,
			       &session);
	r->session = (uint32_t)session;
	if (!rc)
		rc = parse_fields(r, f->root);
out:
	if (rc) {
		/* The password may sit in the tree if an earlier field failed. */
		cJSON *pw = cJSON_GetObjectItemCaseSensitive(f->root, "password");
		if (cJSON_IsString(pw))
			ferry_wipe(pw->valuestring, strlen(pw->valuestring));
		ipc_request_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

static bool build_fields(cJSON *o, const struct ipc_request *r)
{
	switch (r->op) {
	case IPC_OP_HELLO: {
		cJSON *a = cJSON_AddArrayToObject(o, "versions");

		for (size_t i = 0; a && i < r->u.hello.n_versions; i++) {
			cJSON *n = cJSON_CreateNumber(r->u.hello.versions[i]);
			if (!n || !cJSON_AddItemToArray(a, n)) {
				cJSON_Delete(n);
				return false;
			}
		}
		return a && (!r->u.hello.client[0] || ipcj_add_str(o, "client", r->u.hello.client));
	}
	case IPC_OP_CACHE_CREDENTIALS:
		return r->u.creds.password && ipcj_add_str(o, "user", r->u.creds.user) &&
		       ipcj_add_str(o, "domain", r->u.creds.domain) &&
		       ipcj_add_str(o, "password", (const char *)r->u.creds.password->data);
	case IPC_OP_SNOOZE:
		return ipcj_add_num(o, "minutes", r->u.snooze.minutes);
	case IPC_OP_SUBSCRIBE:
		return ipcj_add_num(o, "timeout_ms", r->u.subscribe.timeout_ms) &&
		       ipcj_add_num(o, "since", (double)r->u.subscribe.since);
	default:
		return true;
	}
}

ferry_err ipc_request_build(struct ferry_buf *out, const struct ipc_request *r)
{
	const char *name = ipc_op_name(r->op);
	cJSON *o = NULL;
	ferry_err rc;

	if (!name || r->id == 0 || r->id > IPC_ID_MAX ||
	    (r->op == IPC_OP_CACHE_CREDENTIALS && !r->u.creds.password))
		return ferry_error_set(FERRY_EINVAL, "ipc: request needs a known op, id 1..2^53-1 and its fields");
	o = ipcj_envelope(r->id);
	if (!o || !ipcj_add_str(o, "op", name) ||
	    (r->op != IPC_OP_HELLO && r->session != IPC_NO_SESSION &&
	     !ipcj_add_num(o, "session", r->session)) ||
	    !build_fields(o, r)) {
		rc = ferry_error_set(FERRY_ENOMEM, "ipc: building %s request", name);
		goto out;
	}
	rc = ipc_frame_encode(out, o);
out:
	ipc_json_delete_wiped(o);
	return rc;
}
