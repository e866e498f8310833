/*
 * What the agent does with an accepted assignment: the documents check,
 * BUNDLE_DIR, the sealed ODJ blob and the fallback escrow (see agent.h).
 */
#include "net/idmap.h"
#include "net/agent.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "odj/odj.h"
#include "runbook/runbook.h"
#include "util/base64.h"

#define ODJ_REPLY_MAX (4u * 1024u * 1024u)


/* Parse one document (cJSON -> text -> the runbook module's parser). */
static ferry_err doc_text(char **out, const cJSON *doc)
{
	*out = cJSON_PrintUnformatted(doc);
	return *out ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "bundle document");
}

static ferry_err first_issue(struct rb_issues *iss, const char *what)
{
	if (!iss->n)
		return ferry_error_set(FERRY_ECORRUPT, "bundle: %s is invalid", what);
	return ferry_error_set(FERRY_ECORRUPT, "bundle: %s is invalid (%.100s: %.200s)", what,
			       iss->v[0].pointer ? iss->v[0].pointer : "",
			       iss->v[0].message ? iss->v[0].message : "");
}

void net_bundle_documents_free(struct net_bundle_documents *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_runbooks; i++)
		runbook_free(d->runbooks[i]);
	ferry_free(d->runbooks);
	batch_free(d->batch);
	ferry_free(d);
}

ferry_err net_bundle_documents_parse(struct net_bundle_documents **out, const struct bundle *b)
{
	return net_documents_parse(out, b->payload);
}

ferry_err net_documents_parse(struct net_bundle_documents **out, const cJSON *payload)
{
	const cJSON *rbs = cJSON_GetObjectItemCaseSensitive(payload, "runbooks");
	const char *files[NET_BUNDLE_RUNBOOKS_MAX];
	struct net_bundle_documents *d;
	struct rb_issues iss = { 0 };
	char *text = NULL;
	ferry_err rc;

	*out = NULL;
	if (!(d = ferry_calloc(1, sizeof(*d))) ||
	    !(d->runbooks = ferry_calloc(NET_BUNDLE_RUNBOOKS_MAX, sizeof(*d->runbooks)))) {
		ferry_free(d);
		return ferry_error_set(FERRY_ENOMEM, "bundle documents: out of memory");
	}
	rc = doc_text(&text, cJSON_GetObjectItemCaseSensitive(payload, "batch"));
	if (!rc && batch_parse(&d->batch, &iss, "batch", text, strlen(text), NULL, false))
		rc = first_issue(&iss, "/batch");
	for (const cJSON *r = rbs ? rbs->child : NULL; !rc && r; r = r->next) {
		cJSON_free(text);
		text = NULL;
		if (d->n_runbooks == NET_BUNDLE_RUNBOOKS_MAX) {
			rc = ferry_error_set(FERRY_ERANGE, "bundle: more than %u runbooks",
					     NET_BUNDLE_RUNBOOKS_MAX);
			break;
		}
		files[d->n_runbooks] = "runbook";
		rc = doc_text(&text, r);
		if (!rc && runbook_parse(&d->runbooks[d->n_runbooks], &iss, "runbook", text,
					 strlen(text)))
			rc = first_issue(&iss, "/runbooks");
		if (!rc)
			d->n_runbooks++;
	}
	if (!rc && rb_check_refs(&iss, d->batch, "batch", (const struct runbook *const *)d->runbooks,
				 files, d->n_runbooks))
		rc = first_issue(&iss, "the batch's runbook references");
	cJSON_free(text);
	rb_issues_clear(&iss);
	if (rc)
		net_bundle_documents_free(d);
	else
		*out = d;
	return rc;
}

/* Signed is not enough: the batch and runbooks must be usable too. */
ferry_err net_bundle_documents_check(const struct bundle *b)
{
	struct net_bundle_documents *d = NULL;
	ferry_err rc = net_bundle_documents_parse(&d, b);

	net_bundle_documents_free(d);
	return rc;
}

ferry_err net_agent_load_bundle(struct net_agent *a, struct bundle **out)
{
	char path[NET_PATH_MAX + 32], *text = NULL;
	struct bundle *b = NULL;
	size_t len = 0;
	ferry_err rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/bundle.json", a->dir);
	if (!a->mark.sequence)
		return ferry_error_set(FERRY_ENOTFOUND, "no accepted bundle yet");
	if (a->cat_mark.sequence) /* net/agent_v2.h, invariant 2 */
		return ferry_error_set(FERRY_EMISMATCH, "%s: not used, this agent accepted a v2 "
				       "catalog and never falls back to v1 bundles", path);
	if ((rc = rb_read_file(&text, &len, path, BUNDLE_MAX)) != FERRY_OK)
		return rc;
	/* The copy on disk is trusted no more than one from the server. */
	rc = bundle_verify(&b, (const uint8_t *)text, len, a->signing_pub, net_agent_identity(a));
	if (!rc && (b->sequence != a->mark.sequence ||
		    memcmp(b->digest, a->mark.digest, BUNDLE_DIGEST_LEN)))
		rc = ferry_error_set(FERRY_EAUTH, "%s: not the bundle last accepted (sequence %llu, "
				     "expected %llu)", path, (unsigned long long)b->sequence,
				     (unsigned long long)a->mark.sequence);
	if (!rc)
		rc = net_bundle_documents_check(b);
	ferry_free(text);
	if (rc)
		bundle_free(b);
	else
		*out = b;
	return rc;
}

ferry_err net_agent_target_domain(struct net_agent *a, char *out, size_t cap)
{
	char path[NET_PATH_MAX + 32], *text = NULL;
	size_t len = 0;
	cJSON *env = NULL;
	const cJSON *rbs;
	ferry_err rc;

	snprintf(path, sizeof(path), "%s/bundle.json", a->dir);
	rc = rb_read_file(&text, &len, path, BUNDLE_MAX);
	if (rc)
		return ferry_error_set(FERRY_ENOTFOUND, "no accepted bundle yet");
	env = cJSON_ParseWithLength(text, len);
	ferry_free(text);
	rbs = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(env, "payload"), "runbooks");
	rc = ferry_error_set(FERRY_ENOTFOUND, "the bundle names no target domain");
	for (const cJSON *r = rbs ? rbs->child : NULL; r; r = r->next) {
		const cJSON *ds = cJSON_GetObjectItemCaseSensitive(r, "device_state");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(ds, "domain_join"), "domain");
		if (cJSON_IsString(d) && *d->valuestring && strlen(d->valuestring) < cap) {
			memcpy(out, d->valuestring, strlen(d->valuestring) + 1);
			rc = FERRY_OK;
			break;
		}
	}
	cJSON_Delete(env);
	return rc;
}

ferry_err net_agent_bundle_dir(struct net_agent *a, const char *bundle_dir, struct bundle **out)
{
	char path[NET_PATH_MAX + 96], *text = NULL, *pkg = NULL;
	struct bundle *b = NULL;
	size_t len = 0;
	ferry_err rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/bundle.json", bundle_dir);
	rc = rb_read_file(&text, &len, path, BUNDLE_MAX);
	if (!rc)
		rc = bundle_verify(&b, (const uint8_t *)text, len, a->signing_pub,
				   net_agent_identity(a));
	/* Every package must be present and match before anything is accepted. */
	for (const cJSON *e = b ? cJSON_GetObjectItemCaseSensitive(b->payload, "packages")->child
				: NULL; !rc && e; e = e->next) {
		const char *id = cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring;
		size_t plen = 0;

		snprintf(path, sizeof(path), "%s/packages/%s", bundle_dir, id);
		rc = rb_read_file(&pkg, &plen, path, BUNDLE_PACKAGE_MAX);
		if (!rc)
			rc = bundle_check_package(b, id, (const uint8_t *)pkg, plen);
		ferry_free(pkg);
		pkg = NULL;
	}
	if (!rc)
		rc = net_agent_accept(a, (const uint8_t *)text, len, out);
	if (rc) {
		char detail[512];
		snprintf(detail, sizeof(detail), "BUNDLE_DIR: %s", ferry_error_detail());
		(void)net_agent_event(a, "bundle_refused", detail);
		ferry_error_set(rc, "%s", detail);
	}
	bundle_free(b);
	ferry_free(text);
	return rc;
}

ferry_err net_agent_odj_open(struct net_agent *a, const uint8_t *sealed, size_t len,
			     const char *domain, struct ferry_secret **out)
{
	struct ferry_secret *priv = NULL, *text = NULL, *bin = NULL;
	struct odj_provision *p = NULL;
	ferry_err rc = a->ks->load(a->ks->ctx, "agent.key", &priv);

	if (out)
		*out = NULL;
	if (!rc && priv->len != SEAL_KEY_LEN)
		rc = ferry_error_set(FERRY_ECORRUPT, "agent.key: not %u bytes", SEAL_KEY_LEN);
	if (!rc)
		rc = seal_open(&text, priv->data, net_agent_identity(a), sealed, len);
	if (!rc)
		rc = odj_text_decode(&bin, text->data, text->len);
	if (!rc)
		rc = odj_decode(&p, bin->data, bin->len);
	if (!rc)
		rc = odj_validate(p, domain, a->machine);
	if (!rc && out) {
		*out = text;
		text = NULL;
	}
	odj_provision_free(p);
	ferry_secret_free(bin);
	ferry_secret_free(text);
	ferry_secret_free(priv);
	return rc;
}

static cJSON *odj_body(const struct net_agent *a, const struct net_odj_request *rq)
{
	cJSON *req = cJSON_CreateObject();

	if (!req || !cJSON_AddStringToObject(req, "machine", a->machine) ||
	    !cJSON_AddStringToObject(req, "domain", rq->domain) ||
	    (rq->ou && !cJSON_AddStringToObject(req, "ou", rq->ou)) ||
	    (rq->dry_run && !cJSON_AddBoolToObject(req, "dry_run", true))) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* The server's error text, for the detail of a 404/409 (bounded; never a secret). */
static const char *reply_error(const struct net_reply *r, cJSON **j)
{
	const cJSON *e;

	*j = cJSON_ParseWithLength((const char *)r->body.data, r->body.len);
	e = cJSON_GetObjectItemCaseSensitive(*j, "error");
	return cJSON_IsString(e) ? e->valuestring : "";
}

ferry_err net_agent_odj_sealed(struct net_agent *a, const struct net_odj_request *rq,
			       uint8_t **sealed, size_t *len)
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	char url[NET_AGENT_ID_MAX + 32], *body = NULL;
	cJSON *req = NULL, *rj = NULL;
	const cJSON *s;
	ferry_err rc;

	*sealed = NULL;
	*len = 0;
	if (!a->id[0])
		return ferry_error_set(FERRY_EPERM, "agent is not enrolled");
	rc = a->ks->load(a->ks->ctx, "agent.token", &tok);
	if (rc)
		return rc;
	snprintf(url, sizeof(url), "/v1/agents/%s/odj", a->id);
	if (!(req = odj_body(a, rq)) || !(body = cJSON_PrintUnformatted(req))) {
		rc = ferry_error_set(FERRY_ENOMEM, "odj request");
		goto out;
	}
	rc = net_http(&r, &a->cfg, "POST", url, tok, body, strlen(body), NULL);
	if (!rc && r.status != 200) {
		rc = ferry_error_set(r.status == 404 || r.status == 409 ? FERRY_EBUSY : FERRY_EIO,
				     "odj: server answered HTTP %ld: %.300s", r.status,
				     reply_error(&r, &rj));
		goto out;
	}
	if (rc)
		goto out;
	rj = cJSON_ParseWithLength((const char *)r.body.data, r.body.len);
	s = cJSON_GetObjectItemCaseSensitive(rj, "sealed");
	if (!cJSON_IsString(s))
		rc = ferry_error_set(FERRY_ECORRUPT, "odj: reply has no /sealed string");
	else
		rc = ferry_base64_decode(sealed, len, s->valuestring, strlen(s->valuestring));
	if (!rc)
		rc = net_agent_odj_open(a, *sealed, *len, rq->domain, NULL);
	if (rc) {
		char detail[512];

		snprintf(detail, sizeof(detail), "%s: %s", ferry_strerror(rc), ferry_error_detail());
		(void)net_agent_event(a, "odj_refused", detail);
		ferry_error_set(rc, "%s", detail);
		ferry_free(*sealed);
		*sealed = NULL;
		*len = 0;
	}
out:
	cJSON_free(body);
	cJSON_Delete(req);
	cJSON_Delete(rj);
	net_reply_free(&r);
	ferry_secret_free(tok);
	return rc;
}

ferry_err net_agent_fetch_odj(struct net_agent *a, const char *target_domain,
			      struct ferry_secret **out)
{
	struct net_odj_request rq = { target_domain, NULL, false };
	uint8_t *sealed = NULL;
	size_t len = 0;
	ferry_err rc = net_agent_odj_sealed(a, &rq, &sealed, &len);

	*out = NULL;
	if (!rc)
		rc = net_agent_odj_open(a, sealed, len, target_domain, out);
	ferry_free(sealed);
	return rc;
}

ferry_err net_agent_escrow(struct net_agent *a, const struct ferry_secret *password,
			   const uint8_t server_pub[SEAL_KEY_LEN])
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	uint8_t *sealed = NULL;
	size_t slen = 0;
	char url[NET_AGENT_ID_MAX + 32], *b64 = NULL;
	struct ferry_buf body;
	ferry_err rc;

	ferry_buf_init(&body, 64 * 1024);
	rc = a->ks->load(a->ks->ctx, "agent.token", &tok);
	if (!rc)
		rc = seal_box(&sealed, &slen, server_pub, a->id, password->data, password->len);
	if (!rc)
		rc = ferry_base64_encode(&b64, sealed, slen);
	if (!rc)
		rc = ferry_buf_printf(&body, "{\"sealed\":\"%s\"}", b64);
	if (!rc) {
		snprintf(url, sizeof(url), "/v1/agents/%s/fallback", a->id);
		rc = net_http(&r, &a->cfg, "POST", url, tok, (const char *)body.data, body.len,
			      NULL);
	}
	if (!rc && (r.status < 200 || r.status > 299))
		rc = ferry_error_set(FERRY_EIO, "fallback: server answered HTTP %ld", r.status);
	ferry_free(b64);
	ferry_free(sealed);
	ferry_buf_free(&body);
	net_reply_free(&r);
	ferry_secret_free(tok);
	return rc;
}

ferry_err net_agent_status(struct net_agent *a, const cJSON *report, bool *duplicate)
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	char url[NET_AGENT_ID_MAX + 32], *body = NULL;
	cJSON *j = NULL;
	ferry_err rc;

	*duplicate = false;
	rc = a->ks->load(a->ks->ctx, "agent.token", &tok);
	if (!rc && !(body = cJSON_PrintUnformatted(report)))
		rc = ferry_error_set(FERRY_ENOMEM, "status report");
	if (!rc) {
		snprintf(url, sizeof(url), "/v1/agents/%s/status", a->id);
		rc = net_http(&r, &a->cfg, "POST", url, tok, body, strlen(body), NULL);
	}
	if (!rc && (r.status < 200 || r.status > 299))
		rc = ferry_error_set(r.status == 400 ? FERRY_ECORRUPT : FERRY_EIO,
				     "status: server answered HTTP %ld", r.status);
	if (!rc) {
		j = cJSON_ParseWithLength((const char *)r.body.data, r.body.len);
		*duplicate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "duplicate"));
	}
	cJSON_Delete(j);
	cJSON_free(body);
	net_reply_free(&r);
	ferry_secret_free(tok);
	return rc;
}

ferry_err net_agent_profiles(struct net_agent *a, const char *const *sids, size_t n)
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	char url[NET_AGENT_ID_MAX + 32], *body = NULL;
	cJSON *j = cJSON_CreateObject(), *list = j ? cJSON_AddArrayToObject(j, "profiles") : NULL;
	size_t cnt = 0;
	ferry_err rc = list ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "profiles");

	for (size_t i = 0; !rc && i < n; i++) {
		cJSON *s = cJSON_CreateString(sids[i]);

		if (!s || !cJSON_AddItemToArray(list, s)) {
			cJSON_Delete(s);
			rc = ferry_error_set(FERRY_ENOMEM, "profiles");
		}
	}
	/* The server's check, before anything leaves the PC. */
	if (!rc)
		rc = idmap_report_check(j, &cnt);
	if (!rc)
		rc = a->ks->load(a->ks->ctx, "agent.token", &tok);
	if (!rc && !(body = cJSON_PrintUnformatted(j)))
		rc = ferry_error_set(FERRY_ENOMEM, "profiles");
	if (!rc) {
		snprintf(url, sizeof(url), "/v1/agents/%s/profiles", a->id);
		rc = net_http(&r, &a->cfg, "POST", url, tok, body, strlen(body), NULL);
	}
	if (!rc && (r.status < 200 || r.status > 299))
		rc = ferry_error_set(r.status == 400 ? FERRY_ECORRUPT : FERRY_EIO,
				     "profiles: server answered HTTP %ld", r.status);
	cJSON_free(body);
	cJSON_Delete(j);
	net_reply_free(&r);
	ferry_secret_free(tok);
	return rc;
}
