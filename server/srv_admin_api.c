/*
 * The admin API (/v1/admin/..., docs/server.md): waves, devices, runbook
 * windows, the signed bundle of a wave, ODJ blob import, enrolment
 * approval, reports, audit, tokens, helpdesk reveal; and /metrics.
 *
 * Invariants:
 *   1. Every call names a route in routes[]; its roles are checked before
 *      the handler runs (tokens are looked up by SHA-256 only).
 *   2. Every call, allowed or not, writes one audit row (who, when, what,
 *      target, outcome). A call's changes and its audit row commit in one
 *      transaction; if either fails, neither is kept and the reply is an
 *      error (so a reveal never answers without its audit row).
 *   3. A fallback password is revealed only to the helpdesk role.
 */
#include "srv.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "net/bundle.h"
#include "srv_assign.h"
#include "srv_status.h"
#include "srv_table.h"
#include "srv_tls.h"
#include "util/hex.h"


enum role { R_ADMIN = 1, R_OPERATOR = 2, R_HELPDESK = 4, R_AUDITOR = 8 };

struct call {
	struct srv *s;
	struct srv_req *rq;
	struct srv_reply *rp;
	struct srv_principal who;
	char target[128];
	char detail[512];
	bool table_imported;            /* served (srv_table_load) once committed */
};

typedef void (*handler_fn)(struct call *c);

ferry_err net_bundle_documents_check(const struct bundle *b);
ferry_err srv_odj_store(struct srv *s, const char *device, const char *agent,
			const uint8_t pub[32], const char *domain, const uint8_t *blob,
			size_t len, const char *source, uint8_t **sealed, size_t *sealed_len);

static const char *jstr(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int role_bit(const char *role)
{
	if (!strcmp(role, "admin"))
		return R_ADMIN;
	if (!strcmp(role, "operator"))
		return R_OPERATOR;
	if (!strcmp(role, "helpdesk"))
		return R_HELPDESK;
	if (!strcmp(role, "auditor"))
		return R_AUDITOR;
	return 0;
}

static void reply_list(struct call *c, enum srv_list what, const char *arg)
{
	cJSON *list = NULL;
	ferry_err rc = c->s->store->ops->list(c->s->store, &list, what, arg);

	if (rc)
		srv_reply_ferr(c->rp, rc, "list");
	else
		srv_reply_json(c->rp, 200, list);
	cJSON_Delete(list);
}

static void ok_reply(struct call *c, int status, const char *key, const char *value)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, key, value);
	srv_reply_json(c->rp, status, j);
	cJSON_Delete(j);
}

static void waves_list(struct call *c)
{
	reply_list(c, SRV_LIST_WAVES, NULL);
}

static void wave_create(struct call *c)
{
	cJSON *j = srv_body_json(c->rq, c->rp);
	const char *name = jstr(j, "name");
	ferry_err rc;

	if (!j)
		return;
	snprintf(c->target, sizeof(c->target), "%.64s", name ? name : "");
	if (!srv_name_ok(name)) {
		srv_reply_error(c->rp, 400, "waves: /name must be 1-64 of A-Z a-z 0-9 . _ -");
	} else if ((rc = c->s->store->ops->wave_add(c->s->store, name, c->s->now()))) {
		srv_reply_ferr(c->rp, rc, "waves");
	} else {
		ok_reply(c, 201, "wave", name);
	}
	cJSON_Delete(j);
}

static void wave_devices_add(struct call *c)
{
	const char *wave = c->rq->parts[3];
	cJSON *j = srv_body_json(c->rq, c->rp), *names = cJSON_CreateArray(), *out = NULL;
	const cJSON *it;
	struct srv_device d;
	char why[160];
	long added = 0, kept = 0;
	ferry_err rc = FERRY_OK;

	snprintf(c->target, sizeof(c->target), "%.64s", wave);
	if (!j || !names)
		goto out;
	if (srv_devices_parse(names, j, why, sizeof(why))) {
		srv_reply_error(c->rp, 400, "devices: %s", why);
		goto out;
	}
	out = cJSON_CreateObject();
	cJSON *moved = cJSON_AddArrayToObject(out, "elsewhere");
	cJSON_ArrayForEach(it, names) {
		bool a = false;

		rc = c->s->store->ops->device_add(c->s->store, &a, wave, it->valuestring, c->s->now());
		if (rc)
			break;
		if (a) {
			added++;
			continue;
		}
		kept++;
		if (!c->s->store->ops->device_get(c->s->store, &d, it->valuestring) &&
		    strcmp(d.wave, wave))
			cJSON_AddItemToArray(moved, cJSON_CreateString(d.name));
	}
	if (rc) {
		srv_reply_ferr(c->rp, rc, "devices");
		goto out;
	}
	cJSON_AddNumberToObject(out, "added", (double)added);
	cJSON_AddNumberToObject(out, "already", (double)kept);
	snprintf(c->detail, sizeof(c->detail), "%ld added, %ld already present (%d in another "
		 "wave, not moved)", added, kept, cJSON_GetArraySize(moved));
	srv_reply_json(c->rp, 200, out);
out:
	cJSON_Delete(out);
	cJSON_Delete(names);
	cJSON_Delete(j);
}

static void wave_runbook(struct call *c)
{
	const char *wave = c->rq->parts[3], *rb = c->rq->parts[5];
	cJSON *j = srv_body_json(c->rq, c->rp);
	const char *tf, *te;
	int64_t from = 0, enforced = 0;
	bool loaded = false;
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "%.64s/%.60s", wave, rb);
	if (!j)
		return;
	if (!srv_name_ok(rb)) {
		srv_reply_error(c->rp, 400, "runbooks: '%.64s' is not a runbook id", rb);
	} else if (((tf = jstr(j, "available_from")) && strcmp(tf, "none") &&
		    srv_time_parse(&from, tf, "/available_from")) ||
		   ((te = jstr(j, "enforced_after")) && strcmp(te, "none") &&
		    srv_time_parse(&enforced, te, "/enforced_after"))) {
		srv_reply_error(c->rp, 400, "runbooks: %s", ferry_error_detail());
	} else if (enforced && enforced < from) {
		srv_reply_error(c->rp, 400, "runbooks: /enforced_after is before /available_from");
	} else if ((rc = srv_catalog_has_runbook(c->s, rb, &loaded))) {
		srv_reply_error(c->rp, 409, "runbooks: %s", ferry_error_detail());
	} else if ((rc = c->s->store->ops->wave_runbook_set(c->s->store, wave, rb, from,
							    enforced))) {
		srv_reply_ferr(c->rp, rc, "runbooks");
	} else {
		snprintf(c->detail, sizeof(c->detail), "available_from %lld, enforced_after %lld",
			 (long long)from, (long long)enforced);
		ok_reply(c, 200, "runbook", rb);
	}
	cJSON_Delete(j);
}

static void wave_bundle(struct call *c)
{
	const char *wave = c->rq->parts[3];
	struct bundle *b = NULL;
	uint8_t d[32];
	char etag[SRV_HASH_HEX];
	const cJSON *agent;
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "%.64s", wave);
	rc = bundle_verify(&b, c->rq->body, c->rq->body_len, c->s->cfg.signing_pub, NULL);
	/* Agents refuse a bundle past its not_after: storing one would only
	 * serve a refusal to every device of the wave. */
	if (!rc)
		rc = bundle_check_time(b, c->s->now());
	if (!rc)
		rc = net_bundle_documents_check(b);
	if (rc) {
		srv_reply_error(c->rp, 400, "bundle: refused (%s)", ferry_error_detail());
		goto out;
	}
	agent = cJSON_GetObjectItemCaseSensitive(b->payload, "agent");
	if (agent && (!cJSON_IsString(agent) || strcmp(agent->valuestring, "*"))) {
		srv_reply_error(c->rp, 400, "bundle: a wave's bundle must be for every agent "
				"(payload.agent \"*\" or absent)");
		goto out;
	}
	rc = net_sha256(d, c->rq->body, c->rq->body_len);
	if (!rc) {
		ferry_hex_encode(etag, d, 16);
		rc = c->s->store->ops->wave_bundle_set(c->s->store, wave, c->rq->body,
						       c->rq->body_len, etag);
	}
	if (rc) {
		srv_reply_ferr(c->rp, rc, "bundle");
		goto out;
	}
	snprintf(c->detail, sizeof(c->detail), "sequence %llu, etag %s",
		 (unsigned long long)b->sequence, etag);
	ok_reply(c, 200, "etag", etag);
out:
	bundle_free(b);
}

static void catalog_upload(struct call *c)
{
	uint64_t seq = 0;
	char num[32];
	ferry_err rc = srv_catalog_put(c->s, &seq, c->rq->body, c->rq->body_len);

	snprintf(c->target, sizeof(c->target), "catalog");
	if (rc) {
		srv_reply_error(c->rp, rc == FERRY_EMISMATCH || rc == FERRY_EAUTH ||
				rc == FERRY_ECORRUPT || rc == FERRY_EUNSUPPORTED ||
				rc == FERRY_EINVAL ? 400 : 500,
				"catalog: refused (%s)", ferry_error_detail());
		return;
	}
	snprintf(c->detail, sizeof(c->detail), "sequence %llu", (unsigned long long)seq);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
	ok_reply(c, 200, "sequence", num);
}

static void devices_list(struct call *c)
{
	const char *wave = c->rq->query(c->rq->query_ctx, "wave");
	const char *state = c->rq->query(c->rq->query_ctx, "state");
	int64_t now = c->s->now(), stuck = (int64_t)c->s->cfg.stuck_after_h * 3600,
		lost = (int64_t)c->s->cfg.lost_after_d * 86400;
	cJSON *list = NULL, *out = cJSON_CreateArray();
	cJSON *d;
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "%.64s", wave ? wave : "*");
	if (state && strcmp(state, "stuck") && strcmp(state, "failed") &&
	    strcmp(state, "complete") && strcmp(state, "active") && strcmp(state, "waiting")) {
		srv_reply_error(c->rp, 400, "devices: state must be stuck, failed, complete, "
				"active or waiting");
		goto out;
	}
	rc = c->s->store->ops->list(c->s->store, &list, SRV_LIST_DEVICES, wave);
	if (rc) {
		srv_reply_ferr(c->rp, rc, "devices");
		goto out;
	}
	while ((d = cJSON_DetachItemFromArray(list, 0))) {
		const char *st = srv_device_state(d, now, stuck, lost);

		if (state && strcmp(st, state)) {
			cJSON_Delete(d);
			continue;
		}
		cJSON_AddStringToObject(d, "state", st);
		cJSON_AddItemToArray(out, d);
	}
	srv_reply_json(c->rp, 200, out);
out:
	cJSON_Delete(list);
	cJSON_Delete(out);
}

static void device_move(struct call *c)
{
	char dev[SRV_DEVICE_MAX];
	cJSON *j = srv_body_json(c->rq, c->rp);
	const char *wave = jstr(j, "wave");
	ferry_err rc;

	if (!j)
		return;
	snprintf(c->target, sizeof(c->target), "%.64s", c->rq->parts[3]);
	if (!srv_device_name_ok(dev, c->rq->parts[3]) || !srv_name_ok(wave)) {
		srv_reply_error(c->rp, 400, "move: a device name in the path and /wave in the body");
	} else if ((rc = c->s->store->ops->device_move(c->s->store, dev, wave))) {
		srv_reply_ferr(c->rp, rc, "move");
	} else {
		snprintf(c->detail, sizeof(c->detail), "to wave %s", wave);
		ok_reply(c, 200, "wave", wave);
	}
	cJSON_Delete(j);
}

/* PUT the ODJ file (djoin's text form) of an enrolled device; sealed to its agent at once. */
static void device_odj(struct call *c)
{
	char dev[SRV_DEVICE_MAX], domain[256], ou[512];
	struct srv_device d;
	struct srv_agent a;
	uint8_t *sealed = NULL;
	size_t len = 0;
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "%.64s", c->rq->parts[3]);
	if (!srv_device_name_ok(dev, c->rq->parts[3])) {
		srv_reply_error(c->rp, 400, "odj: '%.64s' is not a computer name", c->rq->parts[3]);
		return;
	}
	rc = c->s->store->ops->device_get(c->s->store, &d, dev);
	if (!rc && !d.agent[0])
		rc = ferry_error_set(FERRY_EMISMATCH, "%s is not enrolled yet (a blob is sealed to "
				     "its agent's key)", dev);
	if (!rc)
		rc = srv_device_target(c->s, dev, domain, sizeof(domain), ou, sizeof(ou));
	if (!rc)
		rc = c->s->store->ops->agent_get(c->s->store, &a, d.agent);
	if (!rc)
		rc = srv_odj_store(c->s, dev, a.id, a.public_key, domain, c->rq->body,
				   c->rq->body_len, "import", &sealed, &len);
	if (rc) {
		srv_reply_ferr(c->rp, rc, "odj import");
		return;
	}
	ferry_free(sealed);
	snprintf(c->detail, sizeof(c->detail), "blob for domain %s sealed to agent %s", domain,
		 a.id);
	ok_reply(c, 200, "device", dev);
}

static void fallback_reveal(struct call *c)
{
	char dev[SRV_DEVICE_MAX], agent[SRV_ID_MAX];
	cJSON *j = srv_body_json(c->rq, c->rp), *out = NULL;
	const char *reason = jstr(j, "reason");
	struct ferry_secret *pw = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0;
	ferry_err rc;

	if (!j)
		return;
	snprintf(c->target, sizeof(c->target), "%.64s", c->rq->parts[3]);
	if (!srv_device_name_ok(dev, c->rq->parts[3])) {
		srv_reply_error(c->rp, 400, "reveal: '%.64s' is not a computer name", c->rq->parts[3]);
		goto out;
	}
	if (!reason || strlen(reason) < 3 || strlen(reason) > 400) {
		srv_reply_error(c->rp, 400, "reveal: /reason is required (3-400 bytes): it goes in "
				"the audit row");
		goto out;
	}
	snprintf(c->detail, sizeof(c->detail), "reason: %s", reason);
	rc = c->s->store->ops->escrow_get(c->s->store, &sealed, &len, agent, dev);
	if (!rc)
		rc = seal_open(&pw, c->s->escrow_priv->data, agent, sealed, len);
	if (rc) {
		srv_reply_ferr(c->rp, rc, "reveal");
		goto out;
	}
	c->rp->secret = true;
	out = cJSON_CreateObject();
	if (out && cJSON_AddStringToObject(out, "device", dev)) {
		cJSON *p = cJSON_CreateStringReference("");
		char *text = ferry_malloc(pw->len + 1);

		if (text && p) {
			memcpy(text, pw->data, pw->len);
			text[pw->len] = '\0';
			p->valuestring = text;
			cJSON_AddItemToObject(out, "password", p);
			srv_reply_json(c->rp, 200, out);
			ferry_wipe(text, pw->len);
			p->valuestring = (char *)"";
		} else {
			cJSON_Delete(p);
			srv_reply_error(c->rp, 500, "reveal: out of memory");
		}
		ferry_free(text);
	}
out:
	ferry_secret_free(pw);
	ferry_free(sealed);
	cJSON_Delete(out);
	cJSON_Delete(j);
}

static void csv_cell(struct ferry_buf *b, const char *s)
{
	bool quote = strpbrk(s, ",\"\n\r") != NULL;

	if (quote)
		(void)ferry_buf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"')
			(void)ferry_buf_puts(b, "\"");
		(void)ferry_buf_append(b, s, 1);
	}
	if (quote)
		(void)ferry_buf_puts(b, "\"");
}

static void report(struct call *c)
{
	const char *wave = c->rq->query(c->rq->query_ctx, "wave");
	const char *format = c->rq->query(c->rq->query_ctx, "format");
	int64_t now = c->s->now();
	cJSON *list = NULL, *funnel = NULL, *d;
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "%.64s", wave ? wave : "*");
	if (format && strcmp(format, "json") && strcmp(format, "csv")) {
		srv_reply_error(c->rp, 400, "report: format must be json or csv");
		return;
	}
	rc = c->s->store->ops->list(c->s->store, &list, SRV_LIST_DEVICES, wave);
	if (!rc && !(funnel = srv_funnel(list, wave, now, (int64_t)c->s->cfg.stuck_after_h * 3600,
					  (int64_t)c->s->cfg.lost_after_d * 86400)))
		rc = ferry_error_set(FERRY_ENOMEM, "report");
	if (rc) {
		srv_reply_ferr(c->rp, rc, "report");
		goto out;
	}
	if (!format || !strcmp(format, "json")) {
		srv_reply_json(c->rp, 200, funnel);
		goto out;
	}
	/* CSV: the funnel as stage,count lines, then one line per device. */
	c->rp->status = 200;
	c->rp->content_type = "text/csv";
	(void)ferry_buf_puts(&c->rp->body, "stage,count\n");
	cJSON_ArrayForEach(d, funnel)
		if (cJSON_IsNumber(d))
			(void)ferry_buf_printf(&c->rp->body, "%s,%lld\n", d->string,
					       (long long)d->valuedouble);
	(void)ferry_buf_puts(&c->rp->body, "\ndevice,wave,state,phase,stage,last_seen,error\n");
	cJSON_ArrayForEach(d, list) {
		const char *st = srv_device_state(d, now, (int64_t)c->s->cfg.stuck_after_h * 3600,
						  (int64_t)c->s->cfg.lost_after_d * 86400);
		int stage = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "stage"));

		csv_cell(&c->rp->body, jstr(d, "name"));
		(void)ferry_buf_puts(&c->rp->body, ",");
		csv_cell(&c->rp->body, jstr(d, "wave"));
		(void)ferry_buf_printf(&c->rp->body, ",%s,", st);
		csv_cell(&c->rp->body, jstr(d, "phase"));
		(void)ferry_buf_printf(&c->rp->body, ",%s,%lld,",
				       srv_stage_names[stage >= 0 && stage < SRV_STAGE_COUNT ? stage : 0],
				       (long long)cJSON_GetNumberValue(
					       cJSON_GetObjectItemCaseSensitive(d, "last_seen")));
		csv_cell(&c->rp->body, jstr(d, "error"));
		(void)ferry_buf_puts(&c->rp->body, "\n");
	}
out:
	cJSON_Delete(funnel);
	cJSON_Delete(list);
}

static void enrolments_list(struct call *c)
{
	const char *status = c->rq->query(c->rq->query_ctx, "status");

	reply_list(c, SRV_LIST_ENROLMENTS, status);
}

static void enrolment_decide(struct call *c)
{
	const char *id = c->rq->parts[3], *verb = c->rq->parts[4];
	bool approve = !strcmp(verb, "approve");
	char *end;
	long long n = strtoll(id, &end, 10);
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "enrolment %.20s", id);
	if (*end || n <= 0 || (!approve && strcmp(verb, "deny"))) {
		srv_reply_error(c->rp, 400, "enrolments: /v1/admin/enrolments/ID/approve|deny");
		return;
	}
	rc = c->s->store->ops->enrolment_decide(c->s->store, n, approve);
	if (rc) {
		srv_reply_ferr(c->rp, rc, "enrolments");
		return;
	}
	snprintf(c->detail, sizeof(c->detail), "%s", approve ? "approved" : "denied");
	ok_reply(c, 200, "status", approve ? "approved" : "denied");
}

static void audit_list(struct call *c)
{
	reply_list(c, SRV_LIST_AUDIT, c->rq->query(c->rq->query_ctx, "target"));
}

static void tokens_list(struct call *c)
{
	reply_list(c, SRV_LIST_TOKENS, NULL);
}

static void token_create(struct call *c)
{
	cJSON *j = srv_body_json(c->rq, c->rp), *out = NULL;
	const char *name = jstr(j, "name"), *role = jstr(j, "role");
	struct ferry_secret *tok = NULL;
	char hash[SRV_HASH_HEX];
	ferry_err rc;

	if (!j)
		return;
	snprintf(c->target, sizeof(c->target), "%.64s", name ? name : "");
	if (!srv_name_ok(name) || !role || !role_bit(role)) {
		srv_reply_error(c->rp, 400, "tokens: /name (1-64 of A-Z a-z 0-9 . _ -) and /role "
				"(admin, operator, helpdesk or auditor)");
		goto out;
	}
	rc = srv_token_new(&tok, hash);
	if (!rc)
		rc = c->s->store->ops->token_add(c->s->store, name, role, hash, c->s->now());
	if (rc) {
		srv_reply_ferr(c->rp, rc, "tokens");
		goto out;
	}
	snprintf(c->detail, sizeof(c->detail), "role %s", role);
	c->rp->secret = true;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "name", name);
	cJSON_AddStringToObject(out, "role", role);
	cJSON_AddStringToObject(out, "token", (const char *)tok->data);
	srv_reply_json(c->rp, 201, out);
	ferry_wipe(cJSON_GetObjectItemCaseSensitive(out, "token")->valuestring,
		   strlen((const char *)tok->data));
out:
	ferry_secret_free(tok);
	cJSON_Delete(out);
	cJSON_Delete(j);
}

static void token_revoke(struct call *c)
{
	ferry_err rc = c->s->store->ops->token_revoke(c->s->store, c->rq->parts[3]);

	snprintf(c->target, sizeof(c->target), "%.64s", c->rq->parts[3]);
	if (rc)
		srv_reply_ferr(c->rp, rc, "tokens");
	else
		ok_reply(c, 200, "revoked", c->rq->parts[3]);
}

static void table_import(struct call *c)
{
	cJSON *j = srv_body_json(c->rq, c->rp), *summary = NULL, *out = NULL;
	char hash[SRV_HASH_HEX];
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "table");
	if (!j)
		return;
	rc = srv_table_import(c->s, &summary, hash, c->who.name, j);
	cJSON_Delete(j);
	if (rc) {
		srv_reply_ferr(c->rp, rc, "table import");
		return;
	}
	c->table_imported = true;
	snprintf(c->detail, sizeof(c->detail), "sha256 %s, %.0f rows", hash,
		 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "rows")));
	out = cJSON_CreateObject();
	if (out && cJSON_AddStringToObject(out, "table_sha256", hash) &&
	    cJSON_AddItemToObject(out, "summary", summary)) {
		srv_reply_json(c->rp, 201, out);
	} else {
		if (!out || !cJSON_GetObjectItemCaseSensitive(out, "summary"))
			cJSON_Delete(summary);
		srv_reply_error(c->rp, 500, "table import: out of memory");
	}
	cJSON_Delete(out);
}

static void table_status(struct call *c)
{
	cJSON *out = NULL;
	ferry_err rc = srv_table_status(&out, c->s);

	snprintf(c->target, sizeof(c->target), "table");
	if (rc)
		srv_reply_ferr(c->rp, rc, "table status");
	else
		srv_reply_json(c->rp, 200, out);
	cJSON_Delete(out);
}

/* parts after "v1","admin"; "*" matches one part. */
static const struct route {
	const char *method;
	const char *pattern[4];
	int roles;
	const char *action;
	handler_fn fn;
} routes[] = {
	{ "GET", { "waves" }, R_ADMIN | R_OPERATOR | R_AUDITOR, "waves.list", waves_list },
	{ "POST", { "waves" }, R_ADMIN | R_OPERATOR, "wave.create", wave_create },
	{ "POST", { "waves", "*", "devices" }, R_ADMIN | R_OPERATOR, "wave.devices.add",
	  wave_devices_add },
	{ "PUT", { "waves", "*", "runbooks", "*" }, R_ADMIN | R_OPERATOR, "wave.runbook.set",
	  wave_runbook },
	{ "PUT", { "waves", "*", "bundle" }, R_ADMIN | R_OPERATOR, "wave.bundle.set", wave_bundle },
	{ "PUT", { "catalog" }, R_ADMIN | R_OPERATOR, "catalog.set", catalog_upload },
	{ "PUT", { "table" }, R_ADMIN | R_OPERATOR, "table.import", table_import },
	{ "GET", { "table" }, R_ADMIN | R_OPERATOR | R_AUDITOR, "table.status", table_status },
	{ "GET", { "devices" }, R_ADMIN | R_OPERATOR | R_HELPDESK | R_AUDITOR, "devices.list",
	  devices_list },
	{ "POST", { "devices", "*", "move" }, R_ADMIN | R_OPERATOR, "device.move", device_move },
	{ "PUT", { "devices", "*", "odj" }, R_ADMIN | R_OPERATOR, "device.odj.import", device_odj },
	{ "POST", { "devices", "*", "fallback", "reveal" }, R_HELPDESK, "fallback.reveal",
	  fallback_reveal },
	{ "GET", { "report" }, R_ADMIN | R_OPERATOR | R_AUDITOR, "report", report },
	{ "GET", { "enrolments" }, R_ADMIN | R_OPERATOR | R_AUDITOR, "enrolments.list",
	  enrolments_list },
	{ "POST", { "enrolments", "*", "*" }, R_ADMIN | R_OPERATOR, "enrolment.decide",
	  enrolment_decide },
	{ "GET", { "audit" }, R_ADMIN | R_AUDITOR, "audit.list", audit_list },
	{ "GET", { "tokens" }, R_ADMIN | R_AUDITOR, "tokens.list", tokens_list },
	{ "POST", { "tokens" }, R_ADMIN, "token.create", token_create },
	{ "DELETE", { "tokens", "*" }, R_ADMIN, "token.revoke", token_revoke },
};

static const struct route *match(const struct srv_req *rq, bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		size_t n = 0;
		bool ok = true;

		while (n < 4 && r->pattern[n])
			n++;
		if (rq->nparts != n + 2)
			continue;
		for (size_t k = 0; ok && k < n; k++)
			ok = !strcmp(r->pattern[k], "*") || !strcmp(r->pattern[k], rq->parts[k + 2]);
		if (!ok)
			continue;
		*path_known = true;
		if (!strcmp(r->method, rq->method))
			return r;
	}
	return NULL;
}

static void audit_outcome(struct call *c, const char *action)
{
	char detail[700];

	snprintf(detail, sizeof(detail), "HTTP %d%s%s", c->rp->status, c->detail[0] ? "; " : "",
		 c->detail[0] ? c->detail : c->rp->log_note);
	(void)c->s->store->ops->audit_add(c->s->store, &c->who, action, c->target, detail,
					  c->s->now());
}

bool srv_admin_may(const char *role, const char *action)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strcmp(routes[i].action, action))
			return (routes[i].roles & role_bit(role)) != 0;
	return false;
}

void srv_admin_audit(struct srv *s, const struct srv_principal *who, const char *action,
		     const char *target, int status, const char *detail)
{
	char text[700];

	snprintf(text, sizeof(text), "HTTP %d%s%s", status, detail && *detail ? "; " : "",
		 detail ? detail : "");
	(void)s->store->ops->audit_add(s->store, who, action, target, text, s->now());
}

void srv_admin_call(struct srv *s, const struct srv_principal *who, struct srv_req *rq,
		    struct srv_reply *rp)
{
	struct call c = { .s = s, .rq = rq, .rp = rp, .who = *who };
	const struct route *r;
	bool known;
	ferry_err rc;

	r = match(rq, &known);
	if (!r) {
		srv_reply_error(rp, known ? 405 : 404, "%s: no such admin endpoint%s", rq->path,
				known ? " for this method" : "");
		return;
	}
	if (!(r->roles & role_bit(c.who.role))) {
		srv_reply_error(rp, 403, "%s: the %s role may not do this", r->action, c.who.role);
		snprintf(c.target, sizeof(c.target), "%.100s", rq->path);
		audit_outcome(&c, r->action);
		return;
	}
	rc = s->store->ops->begin(s->store);
	if (rc) {
		srv_reply_ferr(rp, rc, r->action);
		return;
	}
	r->fn(&c);
	if (rp->status >= 400) {
		/* nothing of a failed call is kept but its audit row */
		s->store->ops->rollback(s->store);
		audit_outcome(&c, r->action);
		return;
	}
	audit_outcome(&c, r->action);
	rc = s->store->ops->commit(s->store);
	if (rc) {
		s->store->ops->rollback(s->store);
		if (rp->secret)
			ferry_wipe(rp->body.data, rp->body.len);
		srv_reply_ferr(rp, rc, r->action);
	} else if (c.table_imported && (rc = srv_table_load(s))) {
		/* stored, but agents keep the table before until a restart loads it */
		srv_reply_ferr(rp, rc, "table import (stored, not yet served)");
	}
}

void srv_admin_api(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	struct srv_principal who;
	const char *tok = srv_bearer(rq->authorization);
	char hash[SRV_HASH_HEX];

	if (!tok || strlen(tok) > 256 || srv_token_hash(hash, tok, strlen(tok)) ||
	    s->store->ops->token_auth(s->store, &who, hash)) {
		srv_reply_error(rp, 401, "admin API: unknown or revoked token");
		return;
	}
	srv_admin_call(s, &who, rq, rp);
}

static void metric(struct ferry_buf *b, const char *name, const char *help, const char *type)
{
	(void)ferry_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void srv_metrics(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	static const char *const states[] = { "waiting", "active", "stuck", "failed", "complete" };
	int64_t now = s->now();
	long counts[SRV_STAGE_COUNT] = { 0 }, by_state[5] = { 0 }, pending = 0;
	cJSON *devs = NULL, *enr = NULL, *d;
	struct srv_principal who;
	const char *tok = srv_bearer(rq->authorization);
	char hash[SRV_HASH_HEX];
	uint64_t bytes = 0;
	struct ferry_buf *b = &rp->body;
	ferry_err rc;

	if (!s->cfg.metrics_public &&
	    (!tok || strlen(tok) > 256 || srv_token_hash(hash, tok, strlen(tok)) ||
	     s->store->ops->token_auth(s->store, &who, hash))) {
		srv_reply_error(rp, 401, "/metrics: a token is required (metrics.public = false)");
		return;
	}
	rc = s->store->ops->list(s->store, &devs, SRV_LIST_DEVICES, NULL);
	if (!rc)
		rc = s->store->ops->list(s->store, &enr, SRV_LIST_ENROLMENTS, "pending");
	if (rc) {
		srv_reply_ferr(rp, rc, "metrics");
		goto out;
	}
	pending = cJSON_GetArraySize(enr);
	cJSON_ArrayForEach(d, devs) {
		const char *st = srv_device_state(d, now, (int64_t)s->cfg.stuck_after_h * 3600,
						  (int64_t)s->cfg.lost_after_d * 86400);
		int stage = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "stage"));

		for (int i = 0; i < 5; i++)
			by_state[i] += !strcmp(st, states[i]);
		if (stage >= 0 && stage < SRV_STAGE_COUNT)
			counts[stage]++;
	}
	(void)s->store->ops->size(s->store, &bytes);
	rp->status = 200;
	rp->content_type = "text/plain; version=0.0.4";
	metric(b, "ferry_devices", "Devices by state (the stuck rule of docs/server.md).", "gauge");
	for (int i = 0; i < 5; i++)
		(void)ferry_buf_printf(b, "ferry_devices{state=\"%s\"} %ld\n", states[i], by_state[i]);
	metric(b, "ferry_devices_stage", "Devices by the highest stage reported.", "gauge");
	for (int i = 0; i < SRV_STAGE_COUNT; i++)
		(void)ferry_buf_printf(b, "ferry_devices_stage{stage=\"%s\"} %ld\n", srv_stage_names[i],
				       counts[i]);
	metric(b, "ferry_enrolments_pending", "Enrolments waiting for an admin's approval.", "gauge");
	(void)ferry_buf_printf(b, "ferry_enrolments_pending %ld\n", pending);
	metric(b, "ferry_http_requests_total", "Requests answered, by status class.", "counter");
	for (int i = 1; i < 6; i++)
		(void)ferry_buf_printf(b, "ferry_http_requests_total{class=\"%dxx\"} %lu\n", i,
				       atomic_load(&s->stats.by_class[i]));
	metric(b, "ferry_polls_total", "Assignment polls, by reply.", "counter");
	(void)ferry_buf_printf(b, "ferry_polls_total{reply=\"200\"} %lu\n",
			       atomic_load(&s->stats.polls_200));
	(void)ferry_buf_printf(b, "ferry_polls_total{reply=\"304\"} %lu\n",
			       atomic_load(&s->stats.polls_304));
	metric(b, "ferry_refused_bodies_total", "Requests refused as malformed or too large.",
	       "counter");
	(void)ferry_buf_printf(b, "ferry_refused_bodies_total %lu\n",
			       atomic_load(&s->stats.refused_bodies));
	{
		unsigned long full = 0, resumed = 0;

		srv_tls_handshakes(&full, &resumed);
		metric(b, "ferry_tls_handshakes_total", "TLS handshakes on this node: full, or "
		       "resuming an agent's session (a ticket).", "counter");
		(void)ferry_buf_printf(b, "ferry_tls_handshakes_total{kind=\"full\"} %lu\n"
				       "ferry_tls_handshakes_total{kind=\"resumed\"} %lu\n", full,
				       resumed);
	}
	metric(b, "ferry_database_bytes", "Bytes of the database on disk (with its WAL).", "gauge");
	(void)ferry_buf_printf(b, "ferry_database_bytes %llu\n", (unsigned long long)bytes);
out:
	cJSON_Delete(devs);
	cJSON_Delete(enr);
}
