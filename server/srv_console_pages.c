/*
 * The console's list pages (srv_console.h): waves with their funnels,
 * devices (filtered, sorted and paged on the server), the mapping review,
 * the helpdesk and the audit log. Every string from the database goes out
 * through con_text or con_url.
 */
#include "srv_console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_status.h"
#include "srv_table.h"

#define FUNNEL_ROWS (SRV_STAGE_COUNT + 2) /* the stages, stopped, stuck */

static const char *const states[] = { "waiting", "active", "stuck", "failed", "complete" };

static int64_t stuck_s(const struct con *c)
{
	return (int64_t)c->s->cfg.stuck_after_h * 3600;
}

static int64_t lost_s(const struct con *c)
{
	return (int64_t)c->s->cfg.lost_after_d * 86400;
}

/* --- Waves ------------------------------------------------------------------------------ */

struct funnel {
	long count[FUNNEL_ROWS], rate[FUNNEL_ROWS]; /* rate: arrived within the last hour */
};

static void funnel_of(struct funnel *f, const struct con *c, const struct srv_device_row *v,
		      size_t n)
{
	int64_t now = c->s->now();

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		const char *st = srv_row_state(&v[i], now, stuck_s(c), lost_s(c));
		int stage = srv_row_funnel_stage(&v[i]);
		bool recent = v[i].progress_at && now - v[i].progress_at <= 3600;
		int row = -1;

		for (int k = 0; k <= stage; k++)
			f->count[k]++;
		if (!strcmp(st, "failed"))
			row = SRV_STAGE_COUNT;
		else if (!strcmp(st, "stuck"))
			row = SRV_STAGE_COUNT + 1;
		if (row >= 0)
			f->count[row]++;
		if (recent)
			f->rate[stage]++;
		if (recent && row == SRV_STAGE_COUNT)
			f->rate[row]++;
	}
}

/* The funnel as an inline SVG bar chart: one bar per stage, count and rate beside it. */
static void funnel_svg(struct con *c, const char *wave, const struct funnel *f)
{
	static const char *const labels[FUNNEL_ROWS] = {
		"expected", "enrolled", "credentials cached", "blob ready", "unjoined",
		"joined", "ReACL done", "complete", "stopped", "stuck" };
	static const char *const keys[FUNNEL_ROWS] = {
		"expected", "enrolled", "credentials_cached", "blob_ready", "unjoined",
		"joined", "reacl_done", "complete", "stopped", "stuck" };
	long max = f->count[0] ? f->count[0] : 1;
	const int rowh = 26, w = 760, bar0 = 160, barw = 400;

	con_rawf(c, "<svg class=\"funnel\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", w,
		 FUNNEL_ROWS * rowh + 6);
	con_text(c, wave);
	con_rawf(c, ": %ld expected, %ld complete, %ld stopped, %ld stuck\" data-wave=\"",
		 f->count[0], f->count[SRV_STAGE_COMPLETE], f->count[SRV_STAGE_COUNT],
		 f->count[SRV_STAGE_COUNT + 1]);
	con_text(c, wave);
	con_raw(c, "\">");
	for (int i = 0; i < FUNNEL_ROWS; i++) {
		int y = 3 + i * rowh;
		long bw = f->count[i] * barw / max;

		con_rawf(c, "<g data-stage=\"%s\" data-count=\"%ld\" data-rate=\"%ld\">"
			 "<text x=\"0\" y=\"%d\">%s</text>"
			 "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%ld\" height=\"%d\"></rect>"
			 "<text x=\"%ld\" y=\"%d\">%ld &middot; %ld/h</text></g>",
			 keys[i], f->count[i], f->rate[i], y + 17, labels[i],
			 i >= SRV_STAGE_COUNT ? "bar bad" : "bar", bar0, y + 2, bw > 0 ? bw : 1,
			 rowh - 6, bar0 + (bw > 0 ? bw : 1) + 8, y + 17, f->count[i], f->rate[i]);
	}
	con_raw(c, "</svg>");
}

static void wave_times(struct con *c, const cJSON *w, const struct funnel *f)
{
	const cJSON *rb;
	int64_t now = c->s->now(), opened = 0;

	con_raw(c, "<dl class=\"facts\"><dt>Created</dt><dd>");
	con_time(c, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(w, "created")));
	con_raw(c, "</dd>");
	cJSON_ArrayForEach(rb, cJSON_GetObjectItem(w, "runbooks")) {
		int64_t from = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(rb, "available_from"));

		con_raw(c, "<dt>Runbook ");
		con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(rb, "runbook")));
		con_raw(c, "</dt><dd>available from ");
		con_time(c, from);
		con_raw(c, ", enforced after ");
		con_time(c, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(rb, "enforced_after")));
		con_raw(c, "</dd>");
		if (from > 0 && (!opened || from < opened))
			opened = from;
	}
	if (opened && now > opened)
		con_rawf(c, "<dt>Completed per hour since it opened</dt><dd>%.1f</dd>",
			 (double)f->count[SRV_STAGE_COMPLETE] * 3600.0 / (double)(now - opened));
	con_raw(c, "</dl>");
}

void con_waves(struct con *c)
{
	cJSON *waves = NULL, *w;
	ferry_err rc = c->s->store->ops->list(c->s->store, &waves, SRV_LIST_WAVES, NULL);

	if (rc) {
		con_error(c, 500, ferry_error_detail());
		return;
	}
	con_page_start(c, "Waves", "waves", 30);
	con_raw(c, "<p class=\"muted\">Each bar counts the devices that reached the stage; "
		"&ldquo;/h&rdquo; is how many of them got there (their last progress) within the "
		"last hour. Refreshes every 30 s.</p>");
	if (!cJSON_GetArraySize(waves))
		con_raw(c, "<p>No waves yet (<code>ferry-admin waves create</code>).</p>");
	cJSON_ArrayForEach(w, waves) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(w, "name"));
		struct srv_device_row *v = NULL;
		struct funnel f;
		size_t n = 0;

		rc = c->s->store->ops->device_rows(c->s->store, &v, &n, name, false);
		if (rc)
			break;
		funnel_of(&f, c, v, n);
		ferry_free(v);
		con_raw(c, "<section class=\"wave\"><h2>");
		con_link(c, "/console/devices?wave=", name, name);
		con_raw(c, "</h2>");
		funnel_svg(c, name, &f);
		con_raw(c, "<p><a href=\"/console/devices?state=stuck&amp;wave=");
		con_url(c, name);
		con_rawf(c, "\">%ld stuck</a> &middot; <a href=\"/console/devices?state=failed&amp;"
			 "wave=", f.count[SRV_STAGE_COUNT + 1]);
		con_url(c, name);
		con_rawf(c, "\">%ld stopped</a></p>", f.count[SRV_STAGE_COUNT]);
		wave_times(c, w, &f);
		con_raw(c, "</section>");
	}
	if (rc)
		con_error(c, 500, ferry_error_detail());
	else
		con_page_end(c);
	cJSON_Delete(waves);
}

/* --- Devices ---------------------------------------------------------------------------- */

struct item {
	const struct srv_device_row *r;
	const char *state;
};

struct order {
	int key, dir; /* sort_names' index; 1 ascending, -1 descending */
};

static int cmp_item(const void *a, const void *b, void *ctx)
{
	const struct item *x = a, *y = b;
	const struct order *o = ctx;
	int d = 0;

	switch (o->key) {
	case 1: d = strcmp(x->r->wave, y->r->wave); break;
	case 2: d = strcmp(x->state, y->state); break;
	case 3: d = (x->r->stage > y->r->stage) - (x->r->stage < y->r->stage); break;
	case 4: d = (x->r->last_seen > y->r->last_seen) - (x->r->last_seen < y->r->last_seen); break;
	case 5: d = strcmp(x->r->error, y->r->error); break;
	}
	if (!d)
		d = strcmp(x->r->name, y->r->name);
	return d * o->dir;
}

static const char *const sort_names[] = { "name", "wave", "state", "stage", "seen", "error" };

/* The list's query string without page (and with sort/dir overridden when given). */
static void devices_query(struct con *c, const char *wave, const char *state, const char *q,
			  const char *sort, const char *dir)
{
	con_raw(c, "/console/devices?wave=");
	con_url(c, wave);
	con_raw(c, "&amp;state=");
	con_url(c, state);
	con_raw(c, "&amp;q=");
	con_url(c, q);
	con_raw(c, "&amp;sort=");
	con_url(c, sort);
	con_raw(c, "&amp;dir=");
	con_url(c, dir);
}

static void devices_filters(struct con *c, const char *wave, const char *state, const char *q,
			    const char *sort, const char *dir)
{
	con_raw(c, "<form class=\"filters\" method=\"get\" action=\"/console/devices\">"
		"<label>Name contains<input name=\"q\" value=\"");
	con_text(c, q);
	con_raw(c, "\" size=\"14\"></label><label>Wave<input name=\"wave\" value=\"");
	con_text(c, wave);
	con_raw(c, "\" size=\"10\"></label><label>State<select name=\"state\"><option value=\"\">any"
		"</option>");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		con_rawf(c, "<option%s>%s</option>", !strcmp(state, states[i]) ? " selected" : "",
			 states[i]);
	con_raw(c, "</select></label><input type=\"hidden\" name=\"sort\" value=\"");
	con_text(c, sort);
	con_raw(c, "\"><input type=\"hidden\" name=\"dir\" value=\"");
	con_text(c, dir);
	con_raw(c, "\"><button type=\"submit\">Filter</button></form>");
}

static void devices_table(struct con *c, const struct item *it, size_t from, size_t to,
			  const char *wave, const char *state, const char *q, const char *sort,
			  const char *dir, bool errors)
{
	static const char *const heads[] = { "Device", "Wave", "State", "Stage", "Last seen",
					     "Last error" };

	con_raw(c, "<div class=\"scroll\"><table id=\"devices\"><thead><tr>");
	for (size_t k = 0; k < 6; k++) {
		bool cur = !strcmp(sort, sort_names[k]);
		const char *nd = cur && !strcmp(dir, "asc") ? "desc" : "asc";

		con_rawf(c, "<th scope=\"col\"%s%s><a href=\"", k >= 4 ? " class=\"hide-narrow\"" : "",
			 cur ? (!strcmp(dir, "desc") ? " aria-sort=\"descending\""
						    : " aria-sort=\"ascending\"") : "");
		devices_query(c, wave, state, q, sort_names[k], nd);
		con_rawf(c, "\">%s</a></th>", heads[k]);
	}
	con_raw(c, "</tr></thead><tbody>");
	for (size_t i = from; i < to; i++) {
		const struct srv_device_row *r = it[i].r;
		int st = r->stage >= 0 && r->stage < SRV_STAGE_COUNT ? r->stage : 0;
		struct srv_device_row full;

		/* the list was read without errors: the shown rows' are read one by one */
		if (!errors && !c->s->store->ops->device_row(c->s->store, &full, r->name))
			r = &full;

		con_raw(c, "<tr><td>");
		con_link(c, "/console/devices/", r->name, r->name);
		con_raw(c, "</td>");
		con_cell(c, r->wave);
		con_rawf(c, "<td class=\"state-%s\">%s</td><td>", it[i].state, it[i].state);
		for (const char *p = srv_stage_names[st]; *p; p++) /* words, so a narrow column wraps */
			con_raw(c, *p == '_' ? " " : (char[]){ *p, '\0' });
		con_raw(c, "</td><td class=\"hide-narrow\">");
		con_time(c, r->last_seen);
		con_raw(c, "</td><td class=\"hide-narrow\">");
		con_text(c, r->error);
		con_raw(c, "</td></tr>");
	}
	con_raw(c, "</tbody></table></div>");
}

void con_devices(struct con *c)
{
	const char *wave = con_query(c, "wave", 64), *state = con_query(c, "state", 16);
	const char *q = con_query(c, "q", 64), *sort = con_query(c, "sort", 8);
	const char *dir = con_query(c, "dir", 4);
	long page = atol(con_query(c, "page", 9));
	struct srv_device_row *v = NULL;
	struct item *it = NULL;
	size_t n = 0, m = 0, pages, from, to;
	int64_t now = c->s->now();
	char up[SRV_DEVICE_MAX];
	struct order o = { 0, 1 };
	ferry_err rc;

	for (int k = 0; k < 6; k++)
		if (!strcmp(sort, sort_names[k]))
			o.key = k;
	sort = sort_names[o.key];
	dir = !strcmp(dir, "desc") ? "desc" : "asc";
	snprintf(c->detail, sizeof(c->detail), "console: wave '%.64s', state '%.16s'", wave, state);
	rc = c->s->store->ops->device_rows(c->s->store, &v, &n, wave[0] ? wave : NULL,
					   o.key == 5 /* sorted by error */);
	if (!rc && !(it = ferry_calloc(n ? n : 1, sizeof(*it))))
		rc = ferry_error_set(FERRY_ENOMEM, "device list");
	if (rc) {
		ferry_free(v);
		con_error(c, 500, ferry_error_detail());
		return;
	}
	snprintf(up, sizeof(up), "%s", q);
	for (char *p = up; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	for (size_t i = 0; i < n; i++) {
		const char *st = srv_row_state(&v[i], now, stuck_s(c), lost_s(c));

		if ((state[0] && strcmp(st, state)) || (up[0] && !strstr(v[i].name, up)))
			continue;
		it[m].r = &v[i];
		it[m++].state = st;
	}
	o.dir = !strcmp(dir, "desc") ? -1 : 1;
	qsort_r(it, m, sizeof(*it), cmp_item, &o);
	pages = m ? (m + CON_PAGE_ROWS - 1) / CON_PAGE_ROWS : 1;
	if (page < 1)
		page = 1;
	if ((size_t)page > pages)
		page = (long)pages;
	from = (size_t)(page - 1) * CON_PAGE_ROWS;
	to = from + CON_PAGE_ROWS < m ? from + CON_PAGE_ROWS : m;
	con_page_start(c, "Devices", "devices", 0);
	devices_filters(c, wave, state, q, sort, dir);
	con_rawf(c, "<p id=\"count\" data-total=\"%zu\">Matching: %zu of %zu devices", m, m, n);
	con_rawf(c, "; page %ld of %zu.</p>", page, pages);
	devices_table(c, it, from, to, wave, state, q, sort, dir, o.key == 5);
	con_raw(c, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1) {
		con_raw(c, "<a rel=\"prev\" href=\"");
		devices_query(c, wave, state, q, sort, dir);
		con_rawf(c, "&amp;page=%ld\">Previous page</a>", page - 1);
	}
	if ((size_t)page < pages) {
		con_raw(c, "<a rel=\"next\" href=\"");
		devices_query(c, wave, state, q, sort, dir);
		con_rawf(c, "&amp;page=%ld\">Next page</a>", page + 1);
	}
	con_raw(c, "</nav>");
	con_page_end(c);
	ferry_free(it);
	ferry_free(v);
}

/* --- Audit ------------------------------------------------------------------------------ */

void con_audit(struct con *c)
{
	const char *q = con_query(c, "q", 64);
	long page = atol(con_query(c, "page", 9));
	int64_t total = 0;
	cJSON *rows = NULL, *r;
	ferry_err rc;

	if (page < 1)
		page = 1;
	rc = c->s->store->ops->audit_page(c->s->store, &rows, &total, q[0] ? q : NULL,
					  (int64_t)(page - 1) * CON_PAGE_ROWS, CON_PAGE_ROWS);
	if (rc) {
		con_error(c, 500, ferry_error_detail());
		return;
	}
	con_page_start(c, "Audit", "audit", 0);
	con_raw(c, "<form class=\"filters\" method=\"get\" action=\"/console/audit\"><label>Actor, "
		"action or target contains<input name=\"q\" value=\"");
	con_text(c, q);
	con_rawf(c, "\"></label><button type=\"submit\">Filter</button></form><p>%lld row%s.</p>",
		 (long long)total, total == 1 ? "" : "s");
	con_raw(c, "<div class=\"scroll\"><table id=\"audit\"><thead><tr><th scope=\"col\">When</th>"
		"<th scope=\"col\">Who</th><th scope=\"col\">Action</th><th scope=\"col\">Target</th>"
		"<th scope=\"col\">Outcome</th></tr></thead><tbody>");
	cJSON_ArrayForEach(r, rows) {
		con_raw(c, "<tr><td>");
		con_time(c, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "time")));
		con_raw(c, "</td><td>");
		con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(r, "actor")));
		con_raw(c, " <span class=\"muted\">(");
		con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(r, "role")));
		con_raw(c, ")</span></td>");
		con_cell(c, cJSON_GetStringValue(cJSON_GetObjectItem(r, "action")));
		con_cell(c, cJSON_GetStringValue(cJSON_GetObjectItem(r, "target")));
		con_cell(c, cJSON_GetStringValue(cJSON_GetObjectItem(r, "detail")));
		con_raw(c, "</tr>");
	}
	con_raw(c, "</tbody></table></div>");
	con_pager(c, "/console/audit?q=", q, page, (int64_t)page * CON_PAGE_ROWS < total, "Newer",
		  "Older");
	con_page_end(c);
	cJSON_Delete(rows);
}

/* --- Helpdesk --------------------------------------------------------------------------- */

static void helpdesk_row(struct con *c, const struct srv_device_row *r)
{
	const char *st = srv_row_state(r, c->s->now(), stuck_s(c), lost_s(c));

	con_raw(c, "<tr><td>");
	con_link(c, "/console/devices/", r->name, r->name);
	con_raw(c, "</td>");
	con_cell(c, r->wave);
	con_rawf(c, "<td class=\"state-%s\">%s</td><td>", st, st);
	if (!r->escrow) {
		con_raw(c, "<span class=\"muted\">no password escrowed</span></td></tr>");
		return;
	}
	con_raw(c, "<form method=\"post\" action=\"/console/helpdesk/reveal\">"
		"<input type=\"hidden\" name=\"csrf\" value=\"");
	con_text(c, c->ses.csrf);
	con_raw(c, "\"><input type=\"hidden\" name=\"device\" value=\"");
	con_text(c, r->name);
	con_raw(c, "\"><label>Reason (ticket, caller)<input name=\"reason\" required "
		"minlength=\"3\" maxlength=\"400\" size=\"28\"></label> "
		"<button type=\"submit\">Reveal password</button></form></td></tr>");
}

void con_helpdesk(struct con *c, const char *device, const char *password, const char *error)
{
	const char *q = con_query(c, "q", 64);
	char dev[SRV_DEVICE_MAX];
	struct srv_device_row r;
	cJSON *names = NULL, *n;
	bool any = false;

	con_page_start(c, "Helpdesk", "helpdesk", 0);
	if (password) {
		con_raw(c, "<section aria-live=\"polite\"><h2>Break-glass password of ");
		con_text(c, device);
		con_raw(c, "</h2><p class=\"secret\" id=\"password\">");
		con_text(c, password);
		con_raw(c, "</p><p class=\"warn\">Shown once: this page is not stored, and the reveal "
			"is in the audit log with your reason.</p></section>");
	}
	if (error) {
		con_raw(c, "<p class=\"error\" role=\"alert\">");
		con_text(c, error);
		con_raw(c, "</p>");
	}
	con_raw(c, "<form class=\"filters\" method=\"get\" action=\"/console/helpdesk\">"
		"<label>Device name or user<input name=\"q\" required value=\"");
	con_text(c, q);
	con_raw(c, "\"></label><button type=\"submit\">Look up</button></form>");
	if (!q[0])
		goto end;
	snprintf(c->detail, sizeof(c->detail), "console: lookup");
	con_raw(c, "<div class=\"scroll\"><table id=\"found\"><thead><tr><th scope=\"col\">Device"
		"</th><th scope=\"col\">Wave</th><th scope=\"col\">State</th><th scope=\"col\">"
		"Fallback password</th></tr></thead><tbody>");
	if (srv_device_name_ok(dev, q) && !c->s->store->ops->device_row(c->s->store, &r, dev)) {
		helpdesk_row(c, &r);
		any = true;
	}
	if (!c->s->store->ops->devices_by_user(c->s->store, &names, q, 20)) {
		cJSON_ArrayForEach(n, names) {
			const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(n, "name"));

			if (!name || (any && !strcmp(name, dev)) ||
			    c->s->store->ops->device_row(c->s->store, &r, name))
				continue;
			helpdesk_row(c, &r);
			any = true;
		}
	}
	con_raw(c, "</tbody></table></div>");
	if (!any) {
		con_raw(c, "<p>No device named ");
		con_text(c, q);
		con_raw(c, ", and none whose status names that user.</p>");
	}
	cJSON_Delete(names);
end:
	con_page_end(c);
}

/* --- Mapping review --------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The lower-cased "DOMAIN\sam" of every device's cached users, sorted (one per device). */
static char **users_index(cJSON *devs, size_t *n)
{
	size_t cap = 0, len = 0;
	char **v = NULL;
	const cJSON *d, *u;

	cJSON_ArrayForEach(d, devs)
		cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(d, "users"));
	v = ferry_calloc(cap ? cap : 1, sizeof(*v));
	if (!v)
		return NULL;
	cJSON_ArrayForEach(d, devs)
		cJSON_ArrayForEach(u, cJSON_GetObjectItem(d, "users")) {
			char *s = cJSON_GetStringValue(u);

			if (!s)
				continue;
			for (char *p = s; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			v[len++] = s;
		}
	qsort(v, len, sizeof(*v), cmp_str);
	*n = len;
	return v;
}

static long users_count(char **v, size_t n, const char *domain, const char *sam)
{
	char key[300];
	long count = 0;
	size_t lo = 0, hi = n;

	if (!domain || !sam)
		return 0;
	snprintf(key, sizeof(key), "%s\\%s", domain, sam);
	for (char *p = key; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < n && !strcmp(v[lo++], key))
		count++;
	return count;
}

static void mapping_summary(struct con *c, const cJSON *st)
{
	const cJSON *sum = cJSON_GetObjectItem(st, "summary"), *r;

	con_raw(c, "<dl class=\"facts\"><dt>Imported</dt><dd>");
	con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(st, "imported")));
	con_raw(c, " by ");
	con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(st, "imported_by")));
	con_rawf(c, "</dd><dt>Rows</dt><dd>%.0f of %.0f source accounts</dd><dt>Table SHA-256</dt>"
		 "<dd><code>", cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "rows")),
		 cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "sources")));
	con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(st, "table_sha256")));
	con_raw(c, "</code></dd></dl><h2>Findings by reason</h2><ul id=\"reasons\">");
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(sum, "by_reason")) {
		con_raw(c, "<li><a href=\"/console/mapping?reason=");
		con_url(c, r->string);
		con_raw(c, "\">");
		con_text(c, r->string);
		con_rawf(c, "</a>: <span data-reason=\"%s\">%.0f</span></li>",
			 r->string, r->valuedouble);
	}
	con_raw(c, "</ul>");
}

static void mapping_findings(struct con *c, cJSON *findings, char **users, size_t nusers,
			     const char *reason, long page)
{
	const cJSON *f;
	long shown = 0, idx = 0, from = (page - 1) * (long)CON_PAGE_ROWS;

	con_raw(c, "<h2>Findings</h2><p class=\"muted\">Devices: how many devices' status reports "
		"name the account among their cached users (source or target form). Until agents "
		"report their profiles' SIDs, an account that never cached counts no device.</p>"
		"<div class=\"scroll\"><table id=\"findings\"><thead><tr><th scope=\"col\">Reason</th>"
		"<th scope=\"col\">Source account</th><th scope=\"col\">Target account</th>"
		"<th scope=\"col\">Devices</th><th scope=\"col\" class=\"hide-narrow\">Detail</th>"
		"</tr></thead><tbody>");
	cJSON_ArrayForEach(f, findings) {
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(f, "reason"));
		const char *sd = cJSON_GetStringValue(cJSON_GetObjectItem(f, "source_domain"));
		const char *ss = cJSON_GetStringValue(cJSON_GetObjectItem(f, "source_sam"));
		const char *td = cJSON_GetStringValue(cJSON_GetObjectItem(f, "target_domain"));
		const char *ts = cJSON_GetStringValue(cJSON_GetObjectItem(f, "target_sam"));

		if (!why || (reason[0] && strcmp(why, reason)))
			continue;
		if (idx++ < from || shown >= (long)CON_PAGE_ROWS)
			continue;
		shown++;
		con_raw(c, "<tr>");
		con_cell(c, why);
		con_raw(c, "<td>");
		if (ss)
			con_account(c, sd, ss);
		con_raw(c, "</td><td>");
		if (ts)
			con_account(c, td, ts);
		con_rawf(c, "</td><td>%ld</td><td class=\"hide-narrow\">",
			 users_count(users, nusers, sd, ss) + users_count(users, nusers, td, ts));
		con_text(c, cJSON_GetStringValue(cJSON_GetObjectItem(f, "detail")));
		con_raw(c, "</td></tr>");
	}
	con_raw(c, "</tbody></table></div>");
	con_pager(c, "/console/mapping?reason=", reason, page, idx > from + shown, "Previous page",
		  "Next page");
}

void con_mapping(struct con *c)
{
	const char *reason = con_query(c, "reason", 32);
	long page = atol(con_query(c, "page", 9));
	cJSON *st = NULL, *findings = NULL, *devs = NULL;
	char *text = NULL, **users = NULL;
	size_t nusers = 0;
	ferry_err rc = srv_table_status(&st, c->s);

	if (page < 1)
		page = 1;
	if (rc == FERRY_ENOTFOUND) {
		con_page_start(c, "Mapping review", "mapping", 0);
		con_raw(c, "<p>No translation table imported yet (<code>ferry-admin table import"
			"</code>).</p>");
		con_page_end(c);
		return;
	}
	if (!rc && (rc = c->s->store->ops->table_findings(c->s->store, &text)) == FERRY_ENOTFOUND)
		rc = (text = ferry_strdup("[]")) ? FERRY_OK : FERRY_ENOMEM; /* imported before findings were kept */
	if (!rc && !(findings = cJSON_Parse(text)))
		rc = ferry_error_set(FERRY_ECORRUPT, "the stored findings are not JSON");
	if (!rc)
		rc = c->s->store->ops->device_users(c->s->store, &devs);
	if (!rc && !(users = users_index(devs, &nusers)))
		rc = ferry_error_set(FERRY_ENOMEM, "mapping review");
	if (rc) {
		con_error(c, 500, ferry_error_detail());
		goto out;
	}
	con_page_start(c, "Mapping review", "mapping", 0);
	mapping_summary(c, st);
	mapping_findings(c, findings, users, nusers, reason, page);
	con_page_end(c);
out:
	ferry_free(users);
	cJSON_Delete(devs);
	cJSON_Delete(findings);
	ferry_free(text);
	cJSON_Delete(st);
}
