/*
 * The agent protocol (docs/protocol.md, v1): enrolment with the enrolment
 * key, the assignment with ETag, packages, events, status, the ODJ blob and
 * the fallback escrow.
 *
 * Invariants:
 *   1. After enrolment an agent is known only by (id, token); the device
 *      it speaks for is the one it enrolled as. No request body names the
 *      device, the domain or the OU of anything the server hands out.
 *   2. An enrolment claiming a name already bound to another key never
 *      gets a token until an admin approves it (srv_store.h, rule 3).
 *   3. A blob leaves the server only sealed to the enrolled agent's key,
 *      with its id as associated data, after odj_validate said it is for
 *      that device and the domain of the device's assignment.
 *   4. An escrow is accepted only if it opens with the escrow key for this
 *      agent (so garbage cannot replace a good one), and replacing one
 *      writes an audit row in the same transaction.
 */
#include "net/idmap.h"
#include "srv.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "net/agent.h"
#include "net/bundle.h"
#include "net/package.h"
#include "odj/odj.h"
#include "srv_assign.h"
#include "srv_status.h"
#include "util/base64.h"
#include "util/hex.h"

#define EVENTS_MAX 1000
#define ESCROW_MAX 4096u

static const char *jstr(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool text_ok(const char *s, size_t max)
{
	if (!s || strlen(s) > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

static bool enroll_key_ok(struct srv *s, const char *given)
{
	if (!given || strlen(given) != s->enroll_key->len)
		return false;
	return !CRYPTO_memcmp(given, s->enroll_key->data, s->enroll_key->len);
}

static void enroll(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	cJSON *j = srv_body_json(rq, rp), *out = NULL;
	const char *machine, *domain, *os, *pub, *key;
	struct srv_enrol_req er = { 0 };
	struct srv_enrol_result res;
	struct ferry_secret *token = NULL;
	char dev[SRV_DEVICE_MAX], hash[SRV_HASH_HEX], id[17];
	uint8_t *raw = NULL, idb[8];
	size_t rawlen = 0;
	ferry_err rc;

	if (!j)
		return;
	machine = jstr(j, "machine");
	domain = jstr(j, "domain");
	os = jstr(j, "os");
	pub = jstr(j, "public_key");
	key = jstr(j, "enroll_key");
	if (!machine || !srv_device_name_ok(dev, machine)) {
		srv_reply_error(rp, 400, "enroll: /machine must be a computer name (1-15 of "
				"A-Z 0-9 -)");
		goto out;
	}
	if (!text_ok(domain, 255) || !text_ok(os, 255)) {
		srv_reply_error(rp, 400, "enroll: /domain and /os must be text of at most 255 bytes");
		goto out;
	}
	if (!pub || strlen(pub) > 64 || ferry_base64_decode(&raw, &rawlen, pub, strlen(pub)) ||
	    rawlen != 32) {
		srv_reply_error(rp, 400, "enroll: /public_key must be base64 of 32 bytes");
		goto out;
	}
	if (key && !enroll_key_ok(s, key)) {
		srv_reply_error(rp, 403, "enroll: the enrolment key is wrong");
		goto out;
	}
	if (!key && s->cfg.without_key == SRV_ENROL_REFUSE) {
		srv_reply_error(rp, 403, "enroll: an enrolment key (enroll_key) is required");
		goto out;
	}
	rc = srv_token_new(&token, hash);
	if (!rc && net_random_hex(id, sizeof(idb)))
		rc = FERRY_ESYSTEM;
	if (rc) {
		srv_reply_ferr(rp, rc, "enroll");
		goto out;
	}
	er.device = dev;
	er.domain = domain;
	er.os = os;
	memcpy(er.public_key, raw, 32);
	er.agent_id = id;
	er.token_sha256 = hash;
	er.key_ok = key != NULL;
	er.hold_reason = key ? "name enrolled by another key" : "no enrolment key";
	er.pending_max = s->cfg.pending_max;
	er.now = s->now();
	rc = s->store->ops->enrol(s->store, &res, &er);
	if (rc == FERRY_EBUSY) {
		snprintf(rp->retry_after, sizeof(rp->retry_after), "3600");
		srv_reply_error(rp, 429, "enroll: %s", ferry_error_detail());
		goto out;
	}
	if (rc) {
		srv_reply_ferr(rp, rc, "enroll");
		goto out;
	}
	out = cJSON_CreateObject();
	if (!out)
		goto out;
	if (res.outcome == SRV_ENROL_HELD || res.outcome == SRV_ENROL_DENIED) {
		bool held = res.outcome == SRV_ENROL_HELD;

		cJSON_AddStringToObject(out, "status", held ? "pending" : "denied");
		cJSON_AddNumberToObject(out, "request", (double)res.request_id);
		cJSON_AddStringToObject(out, "error", held ?
					"enrolment held for an administrator's approval" :
					"enrolment denied by an administrator");
		snprintf(rp->log_note, sizeof(rp->log_note), "%s %s (request %lld)", dev,
			 held ? "held" : "denied", (long long)res.request_id);
		srv_reply_json(rp, held ? 202 : 403, out);
		goto out;
	}
	rp->secret = true;
	cJSON_AddStringToObject(out, "agent_id", res.agent_id);
	cJSON_AddStringToObject(out, "token", (const char *)token->data);
	cJSON_AddNumberToObject(out, "poll_interval_s", s->cfg.poll_interval_s);
	cJSON_AddStringToObject(out, "escrow_public_key", "");
	{
		char *b64 = NULL;

		if (!ferry_base64_encode(&b64, s->escrow_pub, sizeof(s->escrow_pub)))
			cJSON_ReplaceItemInObject(out, "escrow_public_key", cJSON_CreateString(b64));
		ferry_free(b64);
	}
	snprintf(rp->log_note, sizeof(rp->log_note), "%s enrolled as %s%s", dev, res.agent_id,
		 res.outcome == SRV_ENROL_RENEWED ? " (token renewed)" : "");
	srv_reply_json(rp, 201, out);
	/* the token's copy inside the JSON tree */
	{
		cJSON *t = cJSON_GetObjectItemCaseSensitive(out, "token");

		if (cJSON_IsString(t))
			ferry_wipe(t->valuestring, strlen(t->valuestring));
	}
out:
	ferry_secret_free(token);
	ferry_free(raw);
	cJSON_Delete(out);
	cJSON_Delete(j);
}

static void assignment(struct srv *s, struct srv_req *rq, struct srv_reply *rp,
		       const struct srv_agent *a)
{
	char etag[SRV_HASH_HEX], inm[SRV_HASH_HEX] = "";
	uint8_t *data = NULL;
	size_t len = 0;
	ferry_err rc;

	/* The client sends the ETag as it got it: "<hex>" with quotes. */
	if (rq->if_none_match) {
		size_t n = strlen(rq->if_none_match);

		if (n >= 2 && n - 2 < sizeof(inm) && rq->if_none_match[0] == '"' &&
		    rq->if_none_match[n - 1] == '"') {
			memcpy(inm, rq->if_none_match + 1, n - 2);
			inm[n - 2] = '\0';
		}
	}
	rc = s->store->ops->assignment(s->store, etag, &data, &len, a->device, inm);
	if (rc == FERRY_ENOTFOUND) {
		/* In no wave, or the wave has no bundle yet: nothing new for it. */
		rp->status = 304;
		atomic_fetch_add(&s->stats.polls_304, 1);
		return;
	}
	if (rc) {
		srv_reply_ferr(rp, rc, "assignment");
		return;
	}
	snprintf(rp->etag, sizeof(rp->etag), "\"%s\"", etag);
	if (!data) {
		rp->status = 304;
		atomic_fetch_add(&s->stats.polls_304, 1);
		return;
	}
	rp->status = 200;
	rp->content_type = "application/json";
	if (ferry_buf_append(&rp->body, data, len))
		srv_reply_error(rp, 500, "assignment: reply buffer");
	else
		atomic_fetch_add(&s->stats.polls_200, 1);
	ferry_free(data);
}

/* Serve bytes with an ETag, or 304 when the client holds them. */
static void reply_etag(struct srv_reply *rp, const struct srv_req *rq, const char *etag,
		       const uint8_t *data, size_t len)
{
	snprintf(rp->etag, sizeof(rp->etag), "\"%s\"", etag);
	if (rq->if_none_match && !strcmp(rq->if_none_match, rp->etag)) {
		rp->status = 304;
		return;
	}
	rp->status = 200;
	rp->content_type = "application/json";
	if (ferry_buf_append(&rp->body, data, len))
		srv_reply_error(rp, 500, "reply buffer");
}

static void v2_assignment(struct srv *s, struct srv_req *rq, struct srv_reply *rp,
			  const struct srv_agent *a)
{
	char etag[SRV_HASH_HEX];
	uint8_t *env = NULL;
	size_t len = 0;
	ferry_err rc = srv_assignment_for(s, &env, &len, etag, a);

	if (rc == FERRY_ENOTFOUND) {
		rp->status = 304; /* nothing to assign yet; the agent keeps what it has */
		snprintf(rp->log_note, sizeof(rp->log_note), "%.150s", ferry_error_detail());
		atomic_fetch_add(&s->stats.polls_304, 1);
		return;
	}
	if (rc) {
		/* e.g. a runbook the catalog lacks: the server refuses to sign what agents refuse */
		srv_reply_error(rp, 409, "assignment: %s", ferry_error_detail());
		return;
	}
	reply_etag(rp, rq, etag, env, len);
	atomic_fetch_add(rp->status == 304 ? &s->stats.polls_304 : &s->stats.polls_200, 1);
	ferry_free(env);
}

static void v2_catalog(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	char etag[SRV_HASH_HEX];
	uint8_t *env = NULL;
	size_t len = 0;
	ferry_err rc = srv_catalog_envelope(s, &env, &len, etag);

	if (rc)
		srv_reply_error(rp, rc == FERRY_ENOTFOUND ? 404 : 500, "catalog: %s",
				ferry_error_detail());
	else
		reply_etag(rp, rq, etag, env, len);
	ferry_free(env);
}

static void package(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	const char *id = rq->parts[4];
	char rel[128], path[SRV_PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	ferry_err rc;

	if (!package_id_valid(id)) {
		srv_reply_error(rp, 400, "packages: '%.64s' is not a package id", id);
		return;
	}
	snprintf(rel, sizeof(rel), "packages/%s", id);
	rc = srv_path(path, sizeof(path), s->cfg.dir, rel);
	if (!rc)
		rc = srv_read_file(&data, &len, path, BUNDLE_PACKAGE_MAX);
	if (rc) {
		srv_reply_error(rp, rc == FERRY_ENOTFOUND ? 404 : 500, "packages: %s: %s", id,
				rc == FERRY_ENOTFOUND ? "no such package" : "unreadable");
		ferry_free(data);
		return;
	}
	rp->status = 200;
	rp->content_type = "application/octet-stream";
	if (ferry_buf_append(&rp->body, data, len))
		srv_reply_error(rp, 500, "packages: reply buffer");
	ferry_free(data);
}

/*
 * Ends the transaction a handler began: commits when rc is FERRY_OK; when rc
 * or the commit fails, rolls back and answers the error for `what`. True
 * when committed (the handler then answers), false when answered here.
 */
static bool txn_end(struct srv *s, struct srv_reply *rp, ferry_err rc, const char *what)
{
	if (!rc)
		rc = s->store->ops->commit(s->store);
	if (!rc)
		return true;
	s->store->ops->rollback(s->store);
	srv_reply_ferr(rp, rc, what);
	return false;
}

static bool event_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 8 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ferry_hex_digit(id[i]) < 0 && id[i] != '-')
			return false;
	return true;
}

static void events(struct srv *s, struct srv_req *rq, struct srv_reply *rp,
		   const struct srv_agent *a)
{
	cJSON *j = srv_body_json(rq, rp), *out = NULL;
	const cJSON *list, *e;
	unsigned accepted = 0, dups = 0, n = 0;
	ferry_err rc = FERRY_OK;

	if (!j)
		return;
	list = cJSON_GetObjectItemCaseSensitive(j, "events");
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > EVENTS_MAX) {
		srv_reply_error(rp, 400, "events: /events must be an array of at most %d events",
				EVENTS_MAX);
		goto out;
	}
	cJSON_ArrayForEach(e, list) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "time");
		const char *id = jstr(e, "id"), *kind = jstr(e, "kind"), *detail = jstr(e, "detail");

		if (!event_id_ok(id) || !text_ok(kind, 64) || !*kind ||
		    (detail && strlen(detail) > 2048) ||
		    (t && (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 1e11))) {
			srv_reply_error(rp, 400, "events: /events/%u: needs id (8-64 hex), kind (text, "
					"1-64 bytes), optional detail (at most 2048 bytes) and time", n);
			goto out;
		}
		n++;
	}
	rc = s->store->ops->begin(s->store);
	cJSON_ArrayForEach(e, list) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "time");
		const char *detail = jstr(e, "detail");
		bool dup = false;

		if (rc)
			break;
		rc = s->store->ops->event_add(s->store, &dup, a->id, jstr(e, "id"),
					      t ? (int64_t)t->valuedouble : 0, jstr(e, "kind"),
					      detail ? detail : "", s->now());
		dups += dup;
		accepted += !dup;
	}
	if (!txn_end(s, rp, rc, "events"))
		goto out;
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "accepted", accepted);
	cJSON_AddNumberToObject(out, "duplicates", dups);
	srv_reply_json(rp, 200, out);
out:
	cJSON_Delete(out);
	cJSON_Delete(j);
}

/*
 * A rehearsal's report ("rehearsal": true): recorded, never acted on. It is
 * kept as a `rehearsal_status` event (idempotent by agent and seq), so the
 * device's phase, funnel stage and progress stay what its real runs made
 * them, and a rehearsed "joined" never deletes the device's ODJ blob.
 */
static ferry_err status_rehearsal(struct srv *s, bool *dup, const struct srv_agent *a,
				  uint64_t seq, const char *text)
{
	char key[SRV_ID_MAX + 64], id[33], hex[SRV_HASH_HEX];
	uint8_t d[32];
	ferry_err rc;

	snprintf(key, sizeof(key), "rehearsal-status:%s:%llu", a->id, (unsigned long long)seq);
	rc = net_sha256(d, (const uint8_t *)key, strlen(key));
	if (rc)
		return rc;
	ferry_hex_encode(hex, d, sizeof(d));
	snprintf(id, sizeof(id), "%.32s", hex);
	return s->store->ops->event_add(s->store, dup, a->id, id, s->now(), "rehearsal_status",
					text, s->now());
}

/* POST /v1/agents/{id}/profiles: the device's local profile SIDs, from
 * which its assignment's identity-map slice is cut (net/idmap.h). */
static void profiles(struct srv *s, struct srv_req *rq, struct srv_reply *rp,
		     const struct srv_agent *a)
{
	cJSON *j = srv_body_json(rq, rp), *out = NULL;
	char *text = NULL;
	size_t n = 0;
	ferry_err rc;

	if (!j)
		return;
	if ((rc = idmap_report_check(j, &n))) {
		srv_reply_error(rp, 400, "%s", ferry_error_detail());
		goto out;
	}
	text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "profiles"));
	rc = text ? s->store->ops->profiles_put(s->store, a->device, text, s->now())
		  : ferry_error_set(FERRY_ENOMEM, "profiles");
	if (rc) {
		srv_reply_ferr(rp, rc, "profiles");
		goto out;
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "stored", (double)n);
	srv_reply_json(rp, 200, out);
out:
	cJSON_free(text);
	cJSON_Delete(j);
}

static void status(struct srv *s, struct srv_req *rq, struct srv_reply *rp,
		   const struct srv_agent *a)
{
	cJSON *j = srv_body_json(rq, rp), *out = NULL;
	bool rehearsal = false;
	struct srv_status st = { 0 };
	char *text = NULL;
	bool dup = false;
	ferry_err rc;

	if (!j)
		return;
	rc = srv_status_check(j, &st.seq, &st.phase);
	if (!rc)
		rc = srv_status_rehearsal(j, &rehearsal);
	if (rc) {
		srv_reply_error(rp, 400, "%s", ferry_error_detail());
		goto out;
	}
	text = cJSON_PrintUnformatted(j);
	if (rehearsal) {
		rc = text ? status_rehearsal(s, &dup, a, st.seq, text)
			  : ferry_error_set(FERRY_ENOMEM, "status");
		goto reply;
	}
	st.stage = srv_phase_stage(st.phase);
	st.json = text;
	/* Progress: anything but a heartbeat repeating the same phase and step. */
	st.progressed = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "heartbeat"));
	rc = text ? s->store->ops->status_add(s->store, &dup, a->device, &st, s->now())
		  : ferry_error_set(FERRY_ENOMEM, "status");
	if (!rc && !dup && st.stage >= 5) {
		/* Joined: the blob has done its work; it is deleted (issue: after the join). */
		rc = s->store->ops->odj_delete(s->store, a->device);
		if (!rc && s->odj.release)
			s->odj.release(s->odj.ctx, a->device);
	}
reply:
	if (rc) {
		srv_reply_ferr(rp, rc, "status");
		goto out;
	}
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "duplicate", dup);
	if (rehearsal)
		cJSON_AddBoolToObject(out, "rehearsal", true);
	srv_reply_json(rp, 200, out);
out:
	cJSON_free(text);
	cJSON_Delete(out);
	cJSON_Delete(j);
}

/* Validate blob for (device, domain) and seal it to the agent; stored only when store. */
static ferry_err odj_seal(struct srv *s, const char *device, const char *agent,
			  const uint8_t pub[32], const char *domain, const uint8_t *blob, size_t len,
			  const char *source, bool store, uint8_t **sealed, size_t *sealed_len)
{
	struct ferry_secret *bin = NULL;
	struct odj_provision *p = NULL;
	uint8_t digest[32];
	char hex[SRV_HASH_HEX];
	ferry_err rc = odj_text_decode(&bin, blob, len);

	*sealed = NULL;
	if (!rc)
		rc = odj_decode(&p, bin->data, bin->len);
	if (!rc)
		rc = odj_validate(p, domain, device);
	if (rc) {
		rc = ferry_error_wrap(rc, "blob for %s (%s): ", device, domain);
		goto out;
	}
	rc = net_sha256(digest, blob, len);
	if (!rc) {
		ferry_hex_encode(hex, digest, sizeof(digest));
		rc = seal_box(sealed, sealed_len, pub, agent, blob, len);
	}
	if (!rc && store)
		rc = s->store->ops->odj_put(s->store, device, agent, *sealed, *sealed_len, hex, source,
					    s->now());
out:
	if (rc) {
		ferry_free(*sealed);
		*sealed = NULL;
	}
	odj_provision_free(p);
	ferry_secret_free(bin);
	return rc;
}

/* Validate blob for (device, domain), seal it to the agent, store it. */
ferry_err srv_odj_store(struct srv *s, const char *device, const char *agent,
			const uint8_t pub[32], const char *domain, const uint8_t *blob,
			size_t len, const char *source, uint8_t **sealed, size_t *sealed_len);

ferry_err srv_odj_store(struct srv *s, const char *device, const char *agent,
			const uint8_t pub[32], const char *domain, const uint8_t *blob,
			size_t len, const char *source, uint8_t **sealed, size_t *sealed_len)
{
	return odj_seal(s, device, agent, pub, domain, blob, len, source, true, sealed, sealed_len);
}

/* The device's blob from the provider: made now or already (the provider
 * gives the same bytes on every call), or FERRY_EBUSY with why. A dry run
 * only peeks at a blob already made. */
static ferry_err odj_from_provider(struct srv *s, const struct srv_agent *a, const char *domain,
				   const char *ou, bool dry_run, uint8_t **sealed, size_t *len)
{
	struct ferry_secret *blob = NULL;
	ferry_err rc;

	if (dry_run && s->odj.peek)
		rc = s->odj.peek(s->odj.ctx, &blob, a->device, domain);
	else if (dry_run || !s->odj.get)
		rc = FERRY_ENOTFOUND;
	else
		rc = s->odj.get(s->odj.ctx, &blob, a->device, domain, ou[0] ? ou : NULL);
	if (rc == FERRY_ENOTFOUND && dry_run)
		rc = ferry_error_set(FERRY_EBUSY, "dry run: no blob for %s yet; a real run would %s "
				     "(domain %s, OU %s); nothing was queued", a->device,
				     s->odj.get ? "queue it for provisioning" : "wait for ferry-admin "
				     "odj import", domain, ou[0] ? ou : "(default)");
	else if (rc == FERRY_ENOTFOUND)
		rc = ferry_error_set(FERRY_EBUSY, "no blob for %s yet (import one with ferry-admin "
				     "odj import)", a->device);
	if (!rc)
		rc = odj_seal(s, a->device, a->id, a->public_key, domain, blob->data, blob->len,
			      s->odj.name ? s->odj.name : "provider", !dry_run, sealed, len);
	ferry_secret_free(blob);
	return rc;
}

static void odj(struct srv *s, struct srv_req *rq, struct srv_reply *rp, const struct srv_agent *a)
{
	char domain[256], ou[512], *b64 = NULL;
	const char *asked_ou = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0;
	bool dry_run = false;
	cJSON *j = srv_body_json(rq, rp), *out = NULL;
	ferry_err rc;

	if (!j)
		return;
	if ((rc = srv_odj_request_check(j, &asked_ou, &dry_run)) != FERRY_OK) {
		srv_reply_error(rp, 400, "%s", ferry_error_detail());
		goto out;
	}
	/* The enrolled device and its assignment decide; the body is only checked. */
	rc = srv_device_target(s, a->device, domain, sizeof(domain), ou, sizeof(ou));
	if (rc) {
		srv_reply_error(rp, rc == FERRY_ENOTFOUND ? 404 : 409, "odj: %s", ferry_error_detail());
		goto out;
	}
	/* Refusals, not "not yet": the agent's step fails and says why. */
	if (asked_ou && strcasecmp(asked_ou, ou))
		rc = ferry_error_set(FERRY_EMISMATCH, "the runbook's computer_ou \"%s\" is not the OU "
				     "of %s's assignment (\"%s\")", asked_ou, a->device, ou);
	if (!rc)
		rc = srv_catalog_allows_ou(s, domain, ou);
	if (rc) {
		srv_reply_error(rp, 403, "odj: %s", ferry_error_detail());
		goto out;
	}
	rc = s->store->ops->odj_get(s->store, &sealed, &len, a->device, a->id);
	if (rc == FERRY_ENOTFOUND)
		rc = odj_from_provider(s, a, domain, ou, dry_run, &sealed, &len);
	if (rc == FERRY_EBUSY) {
		srv_reply_error(rp, 409, "odj: %s: %s", a->device, ferry_error_detail());
		goto out;
	}
	if (rc) {
		srv_reply_ferr(rp, rc, "odj");
		goto out;
	}
	if (ferry_base64_encode(&b64, sealed, len) || !(out = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(out, "sealed", b64) ||
	    (dry_run && !cJSON_AddBoolToObject(out, "dry_run", true)))
		srv_reply_error(rp, 500, "odj: out of memory");
	else
		srv_reply_json(rp, 200, out);
	snprintf(rp->log_note, sizeof(rp->log_note), "sealed blob for %s%s", a->device,
		 dry_run ? " (dry run)" : "");
out:
	cJSON_Delete(out);
	cJSON_Delete(j);
	ferry_free(b64);
	ferry_free(sealed);
}

static void fallback(struct srv *s, struct srv_req *rq, struct srv_reply *rp,
		     const struct srv_agent *a)
{
	cJSON *j = srv_body_json(rq, rp), *out = NULL;
	const char *b64;
	uint8_t *raw = NULL;
	size_t len = 0;
	struct ferry_secret *pt = NULL;
	struct srv_principal who = { 0 };
	bool replaced = false;
	ferry_err rc;

	if (!j)
		return;
	b64 = jstr(j, "sealed");
	if (!b64 || strlen(b64) > ESCROW_MAX * 2 ||
	    ferry_base64_decode(&raw, &len, b64, strlen(b64)) || len > ESCROW_MAX) {
		srv_reply_error(rp, 400, "fallback: /sealed must be base64 of at most %u bytes",
				ESCROW_MAX);
		goto out;
	}
	/* It must open for this agent with the escrow key; the plaintext is dropped at once. */
	rc = seal_open(&pt, s->escrow_priv->data, a->id, raw, len);
	ferry_secret_free(pt);
	if (rc) {
		srv_reply_error(rp, 400, "fallback: not sealed to this server's escrow key for this "
				"agent (%s)", ferry_strerror(rc));
		goto out;
	}
	snprintf(who.name, sizeof(who.name), "agent:%s", a->id);
	snprintf(who.role, sizeof(who.role), "agent");
	rc = s->store->ops->begin(s->store);
	if (!rc)
		rc = s->store->ops->escrow_put(s->store, &replaced, a->device, a->id, raw, len,
					       s->now());
	if (!rc && replaced)
		rc = s->store->ops->audit_add(s->store, &who, "escrow.replace", a->device,
					      "the agent sent a new sealed fallback password",
					      s->now());
	if (!txn_end(s, rp, rc, "fallback"))
		goto out;
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "stored", true);
	cJSON_AddBoolToObject(out, "replaced", replaced);
	srv_reply_json(rp, 201, out);
out:
	cJSON_Delete(out);
	ferry_free(raw);
	cJSON_Delete(j);
}

void srv_agent_api(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	const char *tok = srv_bearer(rq->authorization), *what;
	bool get = !strcmp(rq->method, "GET"), post = !strcmp(rq->method, "POST");
	struct srv_agent a = { 0 };
	char hash[SRV_HASH_HEX];
	ferry_err rc;

	if (!strcmp(rq->parts[0], "v1") && rq->nparts == 3 && !strcmp(rq->parts[2], "enroll")) {
		if (!post)
			srv_reply_error(rp, 405, "enroll: POST only");
		else
			enroll(s, rq, rp);
		return;
	}
	if (rq->nparts < 4) {
		srv_reply_error(rp, 404, "%s: no such endpoint", rq->path);
		return;
	}
	what = rq->parts[3];
	if (!tok || strlen(rq->parts[2]) >= SRV_ID_MAX || strlen(tok) > 256 ||
	    srv_token_hash(hash, tok, strlen(tok))) {
		srv_reply_error(rp, 401, "unknown agent or token");
		return;
	}
	rc = s->store->ops->agent_auth(s->store, &a, rq->parts[2], hash, s->now());
	if (rc) {
		if (rc == FERRY_EAUTH)
			srv_reply_error(rp, 401, "unknown agent or token");
		else
			srv_reply_ferr(rp, rc, "agent");
		return;
	}
	srv_seen(s, &a, s->now());
	if (!strcmp(rq->parts[0], "v2")) {
		if (get && rq->nparts == 4 && !strcmp(what, "assignment"))
			v2_assignment(s, rq, rp, &a);
		else if (get && rq->nparts == 4 && !strcmp(what, "catalog"))
			v2_catalog(s, rq, rp);
		else
			srv_reply_error(rp, 404, "%s: no such endpoint (v2 has assignment and catalog; "
					"the rest stays at /v1)", rq->path);
		return;
	}
	if (get && rq->nparts == 4 && !strcmp(what, "assignment"))
		assignment(s, rq, rp, &a);
	else if (get && rq->nparts == 5 && !strcmp(what, "packages"))
		package(s, rq, rp);
	else if (post && rq->nparts == 4 && !strcmp(what, "events"))
		events(s, rq, rp, &a);
	else if (post && rq->nparts == 4 && !strcmp(what, "status"))
		status(s, rq, rp, &a);
	else if (post && rq->nparts == 4 && !strcmp(what, "profiles"))
		profiles(s, rq, rp, &a);
	else if (post && rq->nparts == 4 && !strcmp(what, "odj"))
		odj(s, rq, rp, &a);
	else if (post && rq->nparts == 4 && !strcmp(what, "fallback"))
		fallback(s, rq, rp, &a);
	else
		srv_reply_error(rp, 404, "%s: no such endpoint", rq->path);
}
