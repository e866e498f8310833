/*
 * The admin console (/console, docs/server.md "Console"): server-rendered
 * pages over the same TLS as the rest of ferry-server.
 *
 * Sessions. POST /console/login with an admin API token (any role) opens a
 * session: a random 32-byte id in a cookie (HttpOnly, Secure,
 * SameSite=Strict, Path=/console, 8 hours), stored only as its SHA-256
 * with the token's hash and a random CSRF token (srv_store session_*).
 * Revoking the token ends its sessions at once (session_get joins the
 * token). POST /console/logout deletes the session.
 *
 * Invariants:
 *   1. Nothing but the login page and the two static files answers
 *      without a session: a GET is sent to the login page, anything else
 *      is refused 401.
 *   2. Every page is allowed by the admin API's own route table for its
 *      action (srv_admin_may) and writes one audit row (the action's name,
 *      "console" in the detail); a refusal is 403 with its audit row.
 *   3. Every POST but the login carries the session's CSRF token
 *      (compared in constant time); without it the request is refused 403
 *      and audited, and nothing changes.
 *   4. Actions run through srv_admin_call: the admin API's handler, role
 *      check, transaction and audit row (a reveal answers only after its
 *      audit row committed, and only to the helpdesk role).
 */
#include "srv_console.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "util/hex.h"

#define SESSION_S (8 * 3600)
#define COOKIE "ferry_session"

/* The session id from the Cookie header into id (43 chars); false when absent. */
static bool cookie_id(char id[64], const char *cookie)
{
	const char *p = cookie;
	size_t n = 0;

	while (p && (p = strstr(p, COOKIE "="))) {
		if (p == cookie || p[-1] == ' ' || p[-1] == ';')
			break;
		p++;
	}
	if (!p)
		return false;
	p += strlen(COOKIE "=");
	while (p[n] && p[n] != ';' && n < 63)
		n++;
	if (n != 43)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_'))
			return false;
	memcpy(id, p, n);
	id[n] = '\0';
	return true;
}

static bool session_load(struct con *c)
{
	char id[64], hash[SRV_HASH_HEX];

	return c->rq->cookie && cookie_id(id, c->rq->cookie) && !srv_token_hash(hash, id, 43) &&
	       !c->s->store->ops->session_get(c->s->store, &c->ses, hash, c->s->now());
}

static void redirect(struct con *c, const char *to)
{
	c->rp->status = 303;
	snprintf(c->rp->location, sizeof(c->rp->location), "%s", to);
}

/* The first page the role may see (every role may list devices). */
static const char *home(const struct srv_principal *who)
{
	return srv_admin_may(who->role, "waves.list") ? "/console/waves" : "/console/devices";
}

static void login_page(struct con *c, int status, const char *error)
{
	con_page_start(c, "Sign in", NULL, 0);
	c->rp->status = status;
	if (error) {
		con_raw(c, "<p class=\"error\" role=\"alert\">");
		con_text(c, error);
		con_raw(c, "</p>");
	}
	con_raw(c, "<form method=\"post\" action=\"/console/login\">"
		"<label>Admin API token (ferry-admin tokens create, or admin.token)"
		"<input type=\"password\" name=\"token\" autocomplete=\"off\" required autofocus "
		"size=\"48\"></label><p><button type=\"submit\">Sign in</button></p></form>"
		"<p class=\"muted\">The token stays in this browser only as a session cookie's "
		"reference; the server keeps its hash.</p>");
	con_page_end(c);
}

static void login(struct con *c)
{
	char tok[300], hash[SRV_HASH_HEX], sid_hash[SRV_HASH_HEX], csrf[SRV_HASH_HEX];
	struct ferry_secret *sid = NULL;
	uint8_t raw[32];
	ferry_err rc;

	if (!con_form_get(tok, sizeof(tok), (const char *)c->rq->body, c->rq->body_len, "token") ||
	    !tok[0] || srv_token_hash(hash, tok, strlen(tok)) ||
	    c->s->store->ops->token_auth(c->s->store, &c->ses.who, hash)) {
		ferry_wipe(tok, sizeof(tok));
		memset(&c->ses, 0, sizeof(c->ses));
		login_page(c, 401, "Unknown or revoked token.");
		return;
	}
	ferry_wipe(tok, sizeof(tok));
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		con_error(c, 500, "no randomness for a session");
		return;
	}
	ferry_hex_encode(csrf, raw, sizeof(raw));
	ferry_wipe(raw, sizeof(raw));
	rc = srv_token_new(&sid, sid_hash);
	if (!rc)
		rc = c->s->store->ops->begin(c->s->store);
	if (!rc) {
		rc = c->s->store->ops->session_add(c->s->store, sid_hash, hash, csrf, c->s->now(),
						   c->s->now() + SESSION_S);
		if (!rc)
			rc = c->s->store->ops->audit_add(c->s->store, &c->ses.who, "console.login",
							 "console", "HTTP 303; session opened",
							 c->s->now());
		if (!rc)
			rc = c->s->store->ops->commit(c->s->store);
		if (rc)
			c->s->store->ops->rollback(c->s->store);
	}
	if (rc) {
		ferry_secret_free(sid);
		con_error(c, 500, ferry_error_detail());
		return;
	}
	snprintf(c->rp->set_cookie, sizeof(c->rp->set_cookie),
		 COOKIE "=%s; Path=/console; Max-Age=%d; HttpOnly; Secure; SameSite=Strict",
		 (const char *)sid->data, SESSION_S);
	c->rp->secret = true; /* the reply's header holds the session id */
	ferry_secret_free(sid);
	redirect(c, home(&c->ses.who));
}

static void logout(struct con *c)
{
	char id[64], hash[SRV_HASH_HEX];

	if (cookie_id(id, c->rq->cookie) && !srv_token_hash(hash, id, 43))
		(void)c->s->store->ops->session_delete(c->s->store, hash);
	srv_admin_audit(c->s, &c->ses.who, "console.logout", "console", 303, "session closed");
	snprintf(c->rp->set_cookie, sizeof(c->rp->set_cookie),
		 COOKIE "=; Path=/console; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
	redirect(c, "/console/login");
}

static bool csrf_ok(struct con *c)
{
	char got[SRV_HASH_HEX + 2];

	return con_form_get(got, sizeof(got), (const char *)c->rq->body, c->rq->body_len, "csrf") &&
	       strlen(got) == 64 && strlen(c->ses.csrf) == 64 &&
	       !CRYPTO_memcmp(got, c->ses.csrf, 64);
}

/* POST /console/helpdesk/reveal: the admin API's fallback.reveal for this session. */
static void reveal(struct con *c)
{
	char dev[SRV_DEVICE_MAX + 1], reason[420], path[128];
	struct srv_req rq = { .method = "POST", .client = "" };
	struct srv_reply rp = { 0 };
	cJSON *body = cJSON_CreateObject(), *out = NULL;
	char *text = NULL;

	if (!con_form_get(dev, sizeof(dev), (const char *)c->rq->body, c->rq->body_len, "device") ||
	    !con_form_get(reason, sizeof(reason), (const char *)c->rq->body, c->rq->body_len,
			  "reason"))
		reason[0] = dev[0] = '\0';
	snprintf(path, sizeof(path), "/v1/admin/devices/%s/fallback/reveal", dev[0] ? dev : "-");
	ferry_buf_init(&rp.body, 1u << 20);
	if (!body || !cJSON_AddStringToObject(body, "reason", reason) ||
	    !(text = cJSON_PrintUnformatted(body)) || srv_req_split(&rq, path)) {
		con_helpdesk(c, dev, NULL, "That device name cannot be looked up.");
		goto out;
	}
	rq.body = (const uint8_t *)text;
	rq.body_len = strlen(text);
	srv_admin_call(c->s, &c->ses.who, &rq, &rp);
	out = rp.status == 200 ? cJSON_ParseWithLength((const char *)rp.body.data, rp.body.len)
			       : NULL;
	if (rp.status == 200 && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(out, "password"))) {
		char *pw = cJSON_GetObjectItemCaseSensitive(out, "password")->valuestring;

		c->rp->secret = true;
		con_helpdesk(c, dev, pw, NULL);
		ferry_wipe(pw, strlen(pw));
	} else {
		cJSON *e = cJSON_ParseWithLength((const char *)rp.body.data, rp.body.len);
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "error"));

		con_helpdesk(c, dev, NULL, why ? why : "The reveal was refused.");
		if (rp.status == 403)
			c->rp->status = 403;
		cJSON_Delete(e);
	}
out:
	ferry_wipe(rp.body.data, rp.body.len);
	ferry_buf_free(&rp.body);
	cJSON_Delete(out);
	cJSON_free(text);
	cJSON_Delete(body);
}

static void serve_static(struct con *c, const char *name)
{
	const char *data = !strcmp(name, "console.css") ? con_css :
			   !strcmp(name, "console.js")  ? con_js : NULL;

	if (!data) {
		srv_reply_error(c->rp, 404, "%s: no such file", c->rq->path);
		return;
	}
	c->rp->status = 200;
	c->rp->content_type = !strcmp(name, "console.css") ? "text/css; charset=utf-8"
							    : "text/javascript; charset=utf-8";
	c->rp->html = true;
	con_raw(c, data);
}

/* The page's action in the admin API's route table, or NULL for no such page. */
static const char *page_action(const char *page)
{
	static const struct { const char *page, *action; } pages[] = {
		{ "waves", "waves.list" }, { "devices", "devices.list" },
		{ "mapping", "table.status" }, { "helpdesk", "fallback.reveal" },
		{ "audit", "audit.list" },
	};

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (!strcmp(pages[i].page, page))
			return pages[i].action;
	return NULL;
}

static void page(struct con *c)
{
	const char *name = c->rq->parts[1], *action = page_action(name);
	bool get = !strcmp(c->rq->method, "GET") || !strcmp(c->rq->method, "HEAD");
	bool post = !strcmp(c->rq->method, "POST");

	snprintf(c->target, sizeof(c->target), "%.100s", c->rq->path);
	if (!action || c->rq->nparts > 3 || (c->rq->nparts == 3 && strcmp(name, "devices") &&
					     strcmp(name, "helpdesk"))) {
		con_error(c, 404, "No such page.");
		return;
	}
	if (!srv_admin_may(c->ses.who.role, action)) {
		con_error(c, 403, "Your role may not see this page.");
		srv_admin_audit(c->s, &c->ses.who, action, c->target, 403, "console: role refused");
		return;
	}
	if (post && c->rq->nparts == 3 && !strcmp(name, "helpdesk") &&
	    !strcmp(c->rq->parts[2], "reveal")) {
		reveal(c); /* audited by srv_admin_call */
		return;
	}
	if (!get) {
		con_error(c, 405, "This page is read with GET.");
		return;
	}
	if (!strcmp(name, "waves"))
		con_waves(c);
	else if (!strcmp(name, "devices") && c->rq->nparts == 3)
		con_device(c, c->rq->parts[2]);
	else if (!strcmp(name, "devices"))
		con_devices(c);
	else if (!strcmp(name, "mapping"))
		con_mapping(c);
	else if (!strcmp(name, "helpdesk") && c->rq->nparts == 2)
		con_helpdesk(c, NULL, NULL, NULL);
	else if (!strcmp(name, "audit"))
		con_audit(c);
	else
		con_error(c, 404, "No such page.");
	srv_admin_audit(c->s, &c->ses.who, action, c->target, c->rp->status,
			c->detail[0] ? c->detail : "console");
}

void srv_console(struct srv *s, struct srv_req *rq, struct srv_reply *rp)
{
	struct con c = { .s = s, .rq = rq, .rp = rp };
	const char *what = rq->nparts >= 2 ? rq->parts[1] : "";
	bool get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	bool post = !strcmp(rq->method, "POST");

	if (rq->nparts == 3 && !strcmp(what, "static") && get) {
		serve_static(&c, rq->parts[2]);
		return;
	}
	if (rq->nparts == 2 && !strcmp(what, "login")) {
		if (post)
			login(&c);
		else
			login_page(&c, 200, NULL);
		return;
	}
	if (!session_load(&c)) {
		memset(&c.ses, 0, sizeof(c.ses));
		if (get) {
			redirect(&c, "/console/login");
		} else {
			con_error(&c, 401, "Sign in first: this request has no session.");
		}
		return;
	}
	if (post && !csrf_ok(&c)) {
		con_error(&c, 403, "This form's CSRF token is missing or wrong; nothing was done. "
			  "Reload the page and try again.");
		srv_admin_audit(s, &c.ses.who, "console.csrf", rq->path, 403,
				"refused: CSRF token missing or wrong");
		return;
	}
	if (rq->nparts == 1) {
		redirect(&c, get ? home(&c.ses.who) : "/console/login");
		return;
	}
	if (rq->nparts == 2 && !strcmp(what, "logout") && post) {
		logout(&c);
		return;
	}
	page(&c);
}
