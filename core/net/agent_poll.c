/*
 * Polling for the assignment, the accept path every bundle goes through,
 * and the event outbox (see agent.h).
 */
#include "net/agent.h"
#include "net/agent_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "net/append.h"
#include "net/retry.h"
#include "runbook/runbook.h"

#define OUTBOX_LINE_MAX 2048u
#define ASSIGN_PATH_MAX (NET_AGENT_ID_MAX + 64u)

static ferry_err token(struct net_agent *a, struct ferry_secret **out)
{
	if (!a->id[0])
		return ferry_error_set(FERRY_EPERM, "agent is not enrolled");
	return a->ks->load(a->ks->ctx, "agent.token", out);
}

ferry_err net_agent_token(struct net_agent *a, struct ferry_secret **out)
{
	return token(a, out);
}

const char *net_agent_identity(const struct net_agent *a)
{
	return a->id[0] ? a->id : a->machine;
}

ferry_err net_swap_begin(struct net_swap *s, const char *dir, const char *name,
			 const uint8_t *buf, size_t len)
{
	char tmp[NET_PATH_MAX + 80];
	ferry_err rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s/%s", dir, name);
	snprintf(s->prev, sizeof(s->prev), "%s.prev", s->path);
	if ((rc = net_agent_write_tmp(tmp, sizeof(tmp), s->path, buf, len)))
		return rc;
	remove(s->prev);
	s->aside = rename(s->path, s->prev) == 0;
	if (rename(tmp, s->path)) {
		remove(tmp);
		net_swap_undo(s);
		return ferry_error_set(FERRY_EIO, "%s: rename failed; the copy accepted before "
				       "stays in force", s->path);
	}
	s->in = true;
	return FERRY_OK;
}

void net_swap_commit(struct net_swap *s)
{
	if (s->aside)
		remove(s->prev);
	s->aside = s->in = false;
}

void net_swap_undo(struct net_swap *s)
{
	if (s->in)
		remove(s->path);
	if (s->aside)
		(void)rename(s->prev, s->path);
	s->aside = s->in = false;
}

/*
 * bundle.json replaced through net_swap (a failure at any point leaves the
 * bundle accepted before in place); agent.json's mark is written last, and
 * when it fails the old copy is renamed back.
 */
ferry_err net_agent_accept(struct net_agent *a, const uint8_t *buf, size_t len,
			   struct bundle **out)
{
	struct bundle_mark before = a->mark;
	uint32_t poll_before = a->poll_s;
	struct bundle *b = NULL;
	struct net_swap sw = { 0 };
	ferry_err rc = FERRY_OK;

	if (out)
		*out = NULL;
	/* Once a v2 catalog is accepted, a v1 bundle would let whoever holds
	 * the server's keys (or BundleDir) step around the catalog. */
	if (a->cat_mark.sequence)
		rc = ferry_error_set(FERRY_EMISMATCH, "bundle: refused, this agent accepted a v2 "
				     "catalog (sequence %llu) and never falls back to v1 bundles",
				     (unsigned long long)a->cat_mark.sequence);
	if (!rc)
		rc = bundle_verify(&b, buf, len, a->signing_pub, net_agent_identity(a));
	if (!rc)
		rc = bundle_check_time(b, (int64_t)time(NULL));
	if (!rc)
		rc = bundle_check_fresh(b, &a->mark);
	if (!rc)
		rc = net_bundle_documents_check(b);
	if (!rc)
		rc = net_swap_begin(&sw, a->dir, "bundle.json", buf, len);
	if (!rc) {
		bundle_mark_of(&a->mark, b);
		if (b->poll_interval_s)
			a->poll_s = b->poll_interval_s;
		if ((rc = net_agent_save(a)) != FERRY_OK) {
			char detail[512];

			snprintf(detail, sizeof(detail), "%s", ferry_error_detail());
			a->mark = before;
			a->poll_s = poll_before;
			net_swap_undo(&sw);
			ferry_error_set(rc, "%s; the bundle accepted before stays in force", detail);
		}
	}
	net_swap_commit(&sw);
	if (!rc && out) {
		*out = b;
		b = NULL;
	}
	bundle_free(b);
	return rc;
}

/* Transport failures the client refuses for safety get an event too. */
void net_agent_note_refusal(struct net_agent *a, ferry_err rc, const char *kind)
{
	char detail[512];

	if (rc == FERRY_EIO)
		return; /* plainly unreachable: counted, not reported */
	snprintf(detail, sizeof(detail), "%s: %s", ferry_strerror(rc), ferry_error_detail());
	(void)net_agent_event(a, kind, detail);
	/* The event write may have replaced the detail; put the reason back. */
	ferry_error_set(rc, "%s", detail);
}

ferry_err net_agent_get(struct net_agent *a, struct net_reply *r, const char *path,
			const struct ferry_secret *tok, const char *etag)
{
	ferry_err rc = net_http(r, &a->cfg, "GET", path, tok, NULL, 0, etag);

	if (rc) {
		net_agent_note_refusal(a, rc, "server_refused");
		return rc;
	}
	a->bytes_up += r->bytes_up;
	a->bytes_down += r->bytes_down;
	return FERRY_OK;
}

ferry_err net_agent_busy(struct net_agent *a, const struct net_reply *r)
{
	if (r->retry_after[0] &&
	    net_retry_after_parse(&a->retry_after_s, r->retry_after, (int64_t)time(NULL)))
		a->retry_after_s = 0;
	return ferry_error_set(FERRY_EBUSY, "assignment: server busy (HTTP %ld, Retry-After %u s)",
			       r->status, a->retry_after_s);
}

static ferry_err poll_reply(struct net_agent *a, struct net_reply *r, enum net_poll_result *res,
			    struct bundle **out)
{
	ferry_err rc = FERRY_OK;

	if (r->status == 304) {
		*res = NET_POLL_UNCHANGED;
		return FERRY_OK;
	}
	if (r->status == 429 || r->status == 503)
		return net_agent_busy(a, r);
	if (r->status != 200)
		return ferry_error_set(FERRY_EIO, "assignment: server answered HTTP %ld", r->status);
	rc = net_agent_accept(a, r->body.data, r->body.len, out);
	if (rc) {
		net_agent_note_refusal(a, rc, "bundle_refused");
		return rc;
	}
	if (strlen(r->etag) < sizeof(a->etag))
		memcpy(a->etag, r->etag, strlen(r->etag) + 1);
	*res = NET_POLL_NEW;
	return FERRY_OK;
}

ferry_err net_agent_poll_v1(struct net_agent *a, const struct ferry_secret *tok,
			    enum net_poll_result *res, struct bundle **out)
{
	struct net_reply r = { 0 };
	char path[ASSIGN_PATH_MAX];
	ferry_err rc;

	snprintf(path, sizeof(path), "/v1/agents/%s/assignment", a->id);
	if ((rc = net_agent_get(a, &r, path, tok, a->etag)) == FERRY_OK)
		rc = poll_reply(a, &r, res, out);
	net_reply_free(&r);
	return rc;
}

ferry_err net_agent_poll_done(struct net_agent *a, ferry_err rc)
{
	char detail[512];

	if (rc) {
		a->failures++;
	} else {
		a->failures = 0;
		a->last_ok = (int64_t)time(NULL);
	}
	snprintf(detail, sizeof(detail), "%s", ferry_error_detail());
	if (!rc)
		(void)net_agent_flush(a, NULL);
	(void)net_agent_save(a);
	if (rc)
		ferry_error_set(rc, "%s", detail);
	return rc;
}

ferry_err net_agent_poll(struct net_agent *a, enum net_poll_result *res, struct bundle **out)
{
	struct ferry_secret *tok = NULL;
	ferry_err rc;

	*res = NET_POLL_UNCHANGED;
	if (out)
		*out = NULL;
	a->retry_after_s = 0;
	rc = token(a, &tok);
	if (rc)
		return rc;
	rc = net_agent_poll_v1(a, tok, res, out);
	ferry_secret_free(tok);
	return net_agent_poll_done(a, rc);
}

/* One line appended to outbox.jsonl: {"id","time",...members}. */
static ferry_err outbox_append(struct net_agent *a, cJSON *e, const char *what)
{
	char path[NET_PATH_MAX + 32], id[33], *line = NULL;
	ferry_err rc = net_random_hex(id, 16);

	if (!rc && (!cJSON_AddStringToObject(e, "id", id) ||
		    !cJSON_AddNumberToObject(e, "time", (double)time(NULL)) ||
		    !(line = cJSON_PrintUnformatted(e))))
		rc = ferry_error_set(FERRY_ENOMEM, "%s", what);
	if (!rc && strlen(line) >= OUTBOX_LINE_MAX)
		rc = ferry_error_set(FERRY_ERANGE, "%s: longer than %u bytes", what, OUTBOX_LINE_MAX);
	if (!rc) {
		/* Never fopen("ab"): the platform's append refuses a link or a
		 * file someone else made there (net/append.h). */
		size_t n = strlen(line);

		snprintf(path, sizeof(path), "%s/outbox.jsonl", a->dir);
		line[n] = '\n'; /* over the NUL: the line goes in one write */
		rc = net_file_append(path, line, n + 1);
		line[n] = '\0';
	}
	cJSON_free(line);
	return rc;
}

ferry_err net_agent_event(struct net_agent *a, const char *kind, const char *detail)
{
	cJSON *e = cJSON_CreateObject();
	ferry_err rc = FERRY_OK;

	if (!e || !cJSON_AddStringToObject(e, "kind", kind) ||
	    !cJSON_AddStringToObject(e, "detail", detail ? detail : ""))
		rc = ferry_error_set(FERRY_ENOMEM, "event");
	if (!rc)
		rc = outbox_append(a, e, "event");
	cJSON_Delete(e);
	return rc;
}

ferry_err net_agent_queue_status(struct net_agent *a, cJSON *report)
{
	cJSON *e = cJSON_CreateObject(), *copy = NULL;
	ferry_err rc = FERRY_OK;

	if (!cJSON_IsObject(report))
		rc = ferry_error_set(FERRY_EINVAL, "status report: not an object");
	cJSON_DeleteItemFromObjectCaseSensitive(report, "seq");
	if (!rc && (!e || !cJSON_AddNumberToObject(report, "seq", (double)(a->status_seq + 1)) ||
		    !(copy = cJSON_Duplicate(report, true)) ||
		    !cJSON_AddItemToObject(e, "report", copy)))
		rc = ferry_error_set(FERRY_ENOMEM, "status report");
	if (!rc)
		rc = outbox_append(a, e, "status report");
	if (!rc) {
		a->status_seq++;
		rc = net_agent_save(a); /* the seq never goes back, even after a restart */
	}
	cJSON_Delete(e);
	return rc;
}

/*
 * outbox.jsonl -> its status reports (array `reports`, in order) and
 * {"events":[...]} (at most NET_OUTBOX_MAX lines, bad lines dropped).
 */
static ferry_err outbox_read(char **events, unsigned *n, cJSON **reports, const char *path)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "events");
	char line[OUTBOX_LINE_MAX + 2];
	FILE *f = fopen(path, "rb");
	ferry_err rc = FERRY_OK;
	unsigned lines = 0;

	*events = NULL;
	*n = 0;
	if (!(*reports = cJSON_CreateArray()) || !root || !arr)
		rc = ferry_error_set(FERRY_ENOMEM, "outbox");
	while (!rc && f && lines < NET_OUTBOX_MAX && fgets(line, sizeof(line), f)) {
		cJSON *e = cJSON_Parse(line), *r = cJSON_DetachItemFromObjectCaseSensitive(e, "report");

		lines++;
		if (cJSON_IsObject(r) && cJSON_AddItemToArray(*reports, r))
			r = NULL;
		else if (!r && cJSON_IsObject(e) && cJSON_AddItemToArray(arr, e))
			(*n)++, e = NULL;
		cJSON_Delete(r);
		cJSON_Delete(e);
	}
	if (f)
		fclose(f);
	if (!rc && *n && !(*events = cJSON_PrintUnformatted(root)))
		rc = ferry_error_set(FERRY_ENOMEM, "outbox");
	cJSON_Delete(root);
	return rc;
}

/* The queued status reports, in order; a malformed one (400) is dropped. */
static ferry_err flush_reports(struct net_agent *a, const cJSON *reports, unsigned *sent)
{
	const cJSON *r;
	ferry_err rc;
	bool dup;

	cJSON_ArrayForEach(r, reports) {
		rc = net_agent_status(a, r, &dup);
		if (rc == FERRY_ECORRUPT)
			continue; /* resending it would be refused for ever */
		if (rc)
			return rc;
		(*sent)++;
	}
	return FERRY_OK;
}

ferry_err net_agent_flush(struct net_agent *a, unsigned *sent)
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	char path[NET_PATH_MAX + 32], url[ASSIGN_PATH_MAX], *body = NULL;
	cJSON *reports = NULL;
	unsigned n = 0, done = 0;
	ferry_err rc;

	if (sent)
		*sent = 0;
	snprintf(path, sizeof(path), "%s/outbox.jsonl", a->dir);
	rc = outbox_read(&body, &n, &reports, path);
	if (rc || (!n && !cJSON_GetArraySize(reports)))
		goto out;
	rc = token(a, &tok);
	if (!rc)
		rc = flush_reports(a, reports, &done);
	if (rc || !n)
		goto sent;
	snprintf(url, sizeof(url), "/v1/agents/%s/events", a->id);
	rc = net_http(&r, &a->cfg, "POST", url, tok, body, strlen(body), NULL);
	if (!rc && (r.status < 200 || r.status > 299))
		rc = ferry_error_set(FERRY_EIO, "events: server answered HTTP %ld", r.status);
	if (!rc)
		done += n;
sent:
	if (!rc)
		remove(path);
	if (sent)
		*sent = done;
out:
	cJSON_Delete(reports);
	cJSON_free(body);
	net_reply_free(&r);
	ferry_secret_free(tok);
	return rc;
}
