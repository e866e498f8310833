/*
 * Protocol v2 on the agent: the poll, the accept path of a catalog and an
 * assignment, and the pair read back (see agent_v2.h for the rules).
 */
#include "net/agent_v2.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "net/agent_int.h"
#include "runbook/runbook.h"
#include "util/hex.h"
#include "util/mem.h"

#define V2_PATH_MAX (NET_AGENT_ID_MAX + 64u)

/* <state>/name read back (verified by the caller). */
static ferry_err read_state(char **text, size_t *len, const struct net_agent *a,
			    const char *name, size_t max)
{
	char path[NET_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", a->dir, name);
	return rb_read_file(text, len, path, max);
}

static ferry_err check_mark(const char *name, uint64_t seq, const uint8_t *digest,
			    const struct signed_mark *m)
{
	if (seq != m->sequence || memcmp(digest, m->digest, SIGNED_DIGEST_LEN))
		return ferry_error_set(FERRY_EAUTH, "%s: not the one last accepted (sequence %llu, "
				       "expected %llu)", name, (unsigned long long)seq,
				       (unsigned long long)m->sequence);
	return FERRY_OK;
}

/*
 * The held catalog, verified again. now = 0: expiry was judged when it was
 * accepted (agent_v2.h, invariant 3); the mark pins it to that one.
 */
static ferry_err load_catalog(struct net_agent *a, struct catalog **out)
{
	char *text = NULL;
	size_t len = 0;
	ferry_err rc;

	*out = NULL;
	if (!a->cat_mark.sequence)
		return ferry_error_set(FERRY_ENOTFOUND, "no accepted catalog yet");
	rc = read_state(&text, &len, a, "catalog.json", CATALOG_MAX);
	if (!rc)
		rc = catalog_verify(out, (const uint8_t *)text, len, a->signing_pub, 0);
	if (!rc && (rc = check_mark("catalog.json", (*out)->sequence, (*out)->digest,
				    &a->cat_mark))) {
		catalog_free(*out);
		*out = NULL;
	}
	ferry_free(text);
	return rc;
}

ferry_err net_agent_load_v2(struct net_agent *a, struct net_accepted **out)
{
	struct net_accepted *acc = NULL;
	struct net_bundle_documents *d = NULL;
	char *text = NULL;
	size_t len = 0;
	ferry_err rc;

	*out = NULL;
	if (!a->asg_mark.sequence)
		return ferry_error_set(FERRY_ENOTFOUND, "no accepted assignment yet");
	if (!(acc = ferry_calloc(1, sizeof(*acc))))
		return ferry_error_set(FERRY_ENOMEM, "assignment: out of memory");
	rc = load_catalog(a, &acc->catalog);
	if (!rc)
		rc = read_state(&text, &len, a, "assignment.json", ASSIGNMENT_MAX);
	if (!rc)
		rc = assignment_verify(&acc->assignment, (const uint8_t *)text, len, acc->catalog,
				       a->id, 0);
	if (!rc)
		rc = check_mark("assignment.json", acc->assignment->sequence,
				acc->assignment->digest, &a->asg_mark);
	if (!rc)
		rc = net_accepted_documents(&d, acc);
	net_bundle_documents_free(d);
	ferry_free(text);
	if (rc)
		net_accepted_free(acc);
	else
		*out = acc;
	return rc;
}

ferry_err net_agent_load_any(struct net_agent *a, struct net_accepted **out)
{
	struct bundle *b = NULL;
	ferry_err rc;

	*out = NULL;
	if (a->cat_mark.sequence)
		return net_agent_load_v2(a, out);
	if ((rc = net_agent_load_bundle(a, &b)) != FERRY_OK)
		return rc;
	return net_accepted_of_bundle(out, b);
}

/* The catalog_sha256 an (unverified) assignment names; only a lookup key. */
static ferry_err named_catalog(uint8_t digest[SIGNED_DIGEST_LEN], const uint8_t *buf, size_t len)
{
	cJSON *j = len <= ASSIGNMENT_MAX ? cJSON_ParseWithLength((const char *)buf, len) : NULL;
	const char *hex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "payload"), "catalog_sha256"));
	size_t got = 0;
	ferry_err rc = FERRY_OK;

	if (!hex || strlen(hex) != 2 * SIGNED_DIGEST_LEN ||
	    ferry_hex_decode(digest, SIGNED_DIGEST_LEN, &got, hex, strlen(hex)) ||
	    got != SIGNED_DIGEST_LEN)
		rc = ferry_error_set(FERRY_ECORRUPT, "assignment: /payload/catalog_sha256 is not "
				     "64 hex digits");
	cJSON_Delete(j);
	return rc;
}

/* The catalog the assignment names: the held one, else fetched and checked. */
static ferry_err catalog_for(struct net_agent *a, const uint8_t want[SIGNED_DIGEST_LEN],
			     net_catalog_fetch_fn fetch, void *ctx, struct catalog **cat,
			     uint8_t **fetched, size_t *flen)
{
	char hex[2 * SIGNED_DIGEST_LEN + 1];
	ferry_err rc;

	*cat = NULL;
	*fetched = NULL;
	/* A held copy that no longer verifies is fetched again below. */
	if (a->cat_mark.sequence && !memcmp(want, a->cat_mark.digest, SIGNED_DIGEST_LEN) &&
	    load_catalog(a, cat) == FERRY_OK)
		return FERRY_OK;
	ferry_error_clear();
	if (!fetch)
		return ferry_error_set(FERRY_ENOTFOUND, "catalog: the assignment names one this "
				       "agent does not hold");
	rc = fetch(ctx, fetched, flen);
	if (!rc)
		rc = catalog_verify(cat, *fetched, *flen, a->signing_pub, (int64_t)time(NULL));
	if (!rc && memcmp((*cat)->digest, want, SIGNED_DIGEST_LEN)) {
		ferry_hex_encode(hex, want, SIGNED_DIGEST_LEN);
		rc = ferry_error_set(FERRY_EMISMATCH, "catalog: the server's catalog is not the "
				     "one its assignment names (catalog_sha256 %.16s...)", hex);
	}
	if (!rc)
		rc = catalog_check_fresh(*cat, &a->cat_mark);
	if (rc) {
		catalog_free(*cat);
		*cat = NULL;
		ferry_free(*fetched);
		*fetched = NULL;
	}
	return rc;
}

/*
 * catalog.json (when new) and assignment.json swapped in, then the marks in
 * agent.json; on any failure both files and the marks go back.
 */
static ferry_err persist(struct net_agent *a, const uint8_t *cbuf, size_t clen,
			 const uint8_t *buf, size_t len, const struct catalog *cat,
			 const struct assignment *asg)
{
	struct signed_mark cat_before = a->cat_mark, asg_before = a->asg_mark;
	uint32_t poll_before = a->poll_s;
	struct net_swap sc = { 0 }, sa = { 0 };
	ferry_err rc = FERRY_OK;

	if (cbuf)
		rc = net_swap_begin(&sc, a->dir, "catalog.json", cbuf, clen);
	if (!rc)
		rc = net_swap_begin(&sa, a->dir, "assignment.json", buf, len);
	if (!rc) {
		catalog_mark_of(&a->cat_mark, cat);
		assignment_mark_of(&a->asg_mark, asg);
		if (asg->poll_interval_s)
			a->poll_s = asg->poll_interval_s;
		rc = net_agent_save(a);
	}
	if (rc) {
		char detail[512];

		snprintf(detail, sizeof(detail), "%s", ferry_error_detail());
		a->cat_mark = cat_before;
		a->asg_mark = asg_before;
		a->poll_s = poll_before;
		net_swap_undo(&sa);
		net_swap_undo(&sc);
		return ferry_error_set(rc, "assignment: %s; the pair accepted before stays in force",
				       detail);
	}
	net_swap_commit(&sa);
	net_swap_commit(&sc);
	return FERRY_OK;
}

ferry_err net_agent_accept_v2(struct net_agent *a, const uint8_t *buf, size_t len,
			      net_catalog_fetch_fn fetch, void *ctx, struct net_accepted **out)
{
	struct net_accepted *acc = ferry_calloc(1, sizeof(*acc));
	struct net_bundle_documents *d = NULL;
	uint8_t want[SIGNED_DIGEST_LEN], *cbuf = NULL;
	size_t clen = 0;
	ferry_err rc;

	if (out)
		*out = NULL;
	if (!acc)
		return ferry_error_set(FERRY_ENOMEM, "assignment: out of memory");
	rc = a->id[0] ? FERRY_OK : ferry_error_set(FERRY_EPERM, "assignment: the agent is not "
						   "enrolled");
	if (!rc)
		rc = named_catalog(want, buf, len);
	if (!rc)
		rc = catalog_for(a, want, fetch, ctx, &acc->catalog, &cbuf, &clen);
	if (!rc)
		rc = assignment_verify(&acc->assignment, buf, len, acc->catalog, a->id,
				       (int64_t)time(NULL));
	if (!rc)
		rc = assignment_check_fresh(acc->assignment, &a->asg_mark);
	if (!rc)
		rc = net_accepted_documents(&d, acc);
	if (!rc)
		rc = persist(a, cbuf, clen, buf, len, acc->catalog, acc->assignment);
	net_bundle_documents_free(d);
	ferry_free(cbuf);
	if (!rc && out)
		*out = acc;
	else
		net_accepted_free(acc);
	return rc;
}

/* --- the poll ------------------------------------------------------------------ */

struct http_ctx {
	struct net_agent *a;
	const struct ferry_secret *tok;
};

/* GET /v2/agents/{id}/catalog: the whole envelope (no ETag: it is needed). */
static ferry_err http_catalog(void *ctx, uint8_t **buf, size_t *len)
{
	struct http_ctx *h = ctx;
	struct net_reply r = { 0 };
	char path[V2_PATH_MAX];
	ferry_err rc;

	*buf = NULL;
	snprintf(path, sizeof(path), "/v2/agents/%s/catalog", h->a->id);
	rc = net_agent_get(h->a, &r, path, h->tok, NULL);
	if (!rc && r.status != 200)
		rc = ferry_error_set(r.status == 404 ? FERRY_ENOTFOUND : FERRY_EIO,
				     "catalog: server answered HTTP %ld", r.status);
	if (!rc && !(*buf = ferry_malloc(r.body.len ? r.body.len : 1)))
		rc = ferry_error_set(FERRY_ENOMEM, "catalog: out of memory");
	if (!rc) {
		memcpy(*buf, r.body.data, r.body.len);
		*len = r.body.len;
	}
	net_reply_free(&r);
	return rc;
}

/* The kind of event a refusal of the pair is reported as. */
static const char *refusal_kind(void)
{
	return strncmp(ferry_error_detail(), "catalog:", 8) ? "assignment_refused" :
							       "catalog_refused";
}

/* A v2 reply: *v1 says the server has no v2 assignment for a v1-era agent. */
static ferry_err v2_reply(struct net_agent *a, struct net_reply *r, struct http_ctx *h,
			  enum net_poll_result *res, struct net_accepted **out, bool *v1)
{
	bool pinned = a->cat_mark.sequence != 0;
	ferry_err rc;

	if (r->status == 304 || r->status == 404) {
		*v1 = !pinned;
		if (r->status == 304 || !pinned)
			return FERRY_OK;
		rc = ferry_error_set(FERRY_EPERM, "assignment: the server answered HTTP 404 on v2; "
				     "this agent accepted a catalog and never falls back to v1");
		net_agent_note_refusal(a, rc, "downgrade_refused");
		return rc;
	}
	if (r->status == 429 || r->status == 503)
		return net_agent_busy(a, r);
	if (r->status == 409) {
		rc = ferry_error_set(FERRY_EPERM, "assignment: the server refuses to sign one "
				     "(HTTP 409: %.200s)", r->body.data ? (char *)r->body.data : "");
		net_agent_note_refusal(a, rc, "assignment_refused");
		return rc;
	}
	if (r->status != 200)
		return ferry_error_set(FERRY_EIO, "assignment: server answered HTTP %ld", r->status);
	rc = net_agent_accept_v2(a, r->body.data, r->body.len, http_catalog, h, out);
	if (rc) {
		net_agent_note_refusal(a, rc, refusal_kind());
		return rc;
	}
	if (strlen(r->etag) < sizeof(a->etag_v2))
		memcpy(a->etag_v2, r->etag, strlen(r->etag) + 1);
	*res = NET_POLL_NEW;
	return FERRY_OK;
}

ferry_err net_agent_poll_any(struct net_agent *a, enum net_poll_result *res,
			     struct net_accepted **out)
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	struct http_ctx h = { a, NULL };
	struct bundle *b = NULL;
	char path[V2_PATH_MAX];
	bool v1 = false;
	ferry_err rc;

	*res = NET_POLL_UNCHANGED;
	if (out)
		*out = NULL;
	a->retry_after_s = 0;
	if ((rc = net_agent_token(a, &tok)) != FERRY_OK)
		return rc;
	h.tok = tok;
	snprintf(path, sizeof(path), "/v2/agents/%s/assignment", a->id);
	if ((rc = net_agent_get(a, &r, path, tok, a->etag_v2)) == FERRY_OK)
		rc = v2_reply(a, &r, &h, res, out, &v1);
	net_reply_free(&r);
	if (!rc && v1) {
		rc = net_agent_poll_v1(a, tok, res, out ? &b : NULL);
		if (!rc && b)
			rc = net_accepted_of_bundle(out, b);
	}
	ferry_secret_free(tok);
	return net_agent_poll_done(a, rc);
}
