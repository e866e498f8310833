/*
 * The console's device page (srv_console.h): what the server knows of one
 * device, the op that failed (code and API from its last report with an
 * error), its timeline (every status report and event, newest first) and
 * the mapping slice of the last assignment signed for its agent.
 */
#include "srv_console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_status.h"

#define TIMELINE_MAX 500u
#define SLICE_ROWS 100u

static const char *jtext(const cJSON *o, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return v ? v : "";
}

static void facts(struct con *c, const struct srv_device_row *r)
{
	int64_t now = c->s->now();
	const char *st = srv_row_state(r, now, (int64_t)c->s->cfg.stuck_after_h * 3600,
				       (int64_t)c->s->cfg.lost_after_d * 86400);
	int stage = r->stage >= 0 && r->stage < SRV_STAGE_COUNT ? r->stage : 0;

	con_raw(c, "<dl class=\"facts\"><dt>Wave</dt><dd>");
	if (r->wave[0])
		con_link(c, "/console/devices?wave=", r->wave, r->wave);
	else
		con_raw(c, "none");
	con_raw(c, "</dd><dt>Agent</dt><dd>");
	con_text(c, r->agent[0] ? r->agent : "not enrolled");
	con_rawf(c, "</dd><dt>State</dt><dd id=\"state\" class=\"state-%s\">%s</dd>"
		 "<dt>Phase</dt><dd>", st, st);
	con_text(c, r->phase[0] ? r->phase : "no report yet");
	con_rawf(c, "</dd><dt>Highest stage</dt><dd>%s</dd><dt>Last seen</dt><dd>",
		 srv_stage_names[stage]);
	con_time(c, r->last_seen);
	con_raw(c, "</dd><dt>Last progress</dt><dd>");
	con_time(c, r->progress_at);
	con_rawf(c, "</dd><dt>ODJ blob</dt><dd>%s</dd><dt>Fallback password</dt><dd>%s</dd></dl>",
		 r->blob ? "sealed and ready" : "none waiting",
		 r->escrow ? "escrowed (Helpdesk reveals it)" : "not escrowed");
}

/* The newest status report with an error: the op that failed, its code and API. */
static void failure(struct con *c, const cJSON *timeline)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, timeline) {
		const cJSON *rep = cJSON_GetObjectItemCaseSensitive(e, "report");
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(rep, "error");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");

		if (!cJSON_IsObject(err))
			continue;
		con_raw(c, "<section id=\"failure\"><h2>Failed operation</h2><dl class=\"facts\">"
			"<dt>Step</dt><dd>");
		con_text(c, jtext(rep, "step"));
		con_raw(c, " <span class=\"muted\">(runbook ");
		con_text(c, jtext(rep, "runbook"));
		con_raw(c, ", phase ");
		con_text(c, jtext(rep, "phase"));
		con_raw(c, ")</span></dd><dt>API</dt><dd id=\"failure-api\">");
		con_text(c, jtext(err, "api"));
		con_raw(c, "</dd><dt>Code</dt><dd id=\"failure-code\">");
		if (cJSON_IsNumber(code))
			con_rawf(c, "%.0f (0x%08llX)", code->valuedouble,
				 (unsigned long long)code->valuedouble);
		con_raw(c, "</dd><dt>Message</dt><dd>");
		con_text(c, jtext(err, "message"));
		con_raw(c, "</dd><dt>Reported</dt><dd>");
		con_time(c, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "time")));
		con_raw(c, "</dd></dl></section>");
		return;
	}
}

static void timeline_table(struct con *c, const cJSON *timeline)
{
	const cJSON *e;

	con_rawf(c, "<h2>Timeline</h2><p class=\"muted\">Every status report and event, newest "
		 "first (at most %u).</p><div class=\"scroll\"><table id=\"timeline\"><thead><tr>"
		 "<th scope=\"col\">When</th><th scope=\"col\">What</th><th scope=\"col\">Detail</th>"
		 "</tr></thead><tbody>", TIMELINE_MAX);
	cJSON_ArrayForEach(e, timeline) {
		const cJSON *rep = cJSON_GetObjectItemCaseSensitive(e, "report");
		bool status = !strcmp(jtext(e, "source"), "status");

		con_raw(c, "<tr><td>");
		con_time(c, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "time")));
		con_raw(c, "</td><td>");
		if (status) {
			con_rawf(c, "status #%.0f: ",
				 cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seq")));
			con_text(c, jtext(rep, "phase"));
			if (cJSON_IsTrue(cJSON_GetObjectItem(rep, "heartbeat")))
				con_raw(c, " <span class=\"muted\">(heartbeat)</span>");
		} else {
			con_raw(c, "event: ");
			con_text(c, jtext(e, "kind"));
		}
		con_raw(c, "</td><td>");
		if (status) {
			const cJSON *err = cJSON_GetObjectItemCaseSensitive(rep, "error");

			con_text(c, jtext(rep, "runbook"));
			con_raw(c, *jtext(rep, "step") ? " / " : "");
			con_text(c, jtext(rep, "step"));
			if (cJSON_IsObject(err)) {
				con_raw(c, " <span class=\"error\">");
				con_text(c, jtext(err, "api"));
				con_rawf(c, " %.0f: ", cJSON_GetNumberValue(cJSON_GetObjectItem(err, "code")));
				con_text(c, jtext(err, "message"));
				con_raw(c, "</span>");
			}
		} else {
			con_text(c, jtext(e, "detail"));
		}
		con_raw(c, "</td></tr>");
	}
	con_raw(c, "</tbody></table></div>");
}

/* The identity map of the last assignment signed for the agent (what it received). */
static void slice(struct con *c, const struct srv_device_row *r)
{
	char inputs[SRV_HASH_HEX];
	uint64_t seq = 0;
	uint8_t *env = NULL;
	size_t len = 0;
	long from = atol(con_query(c, "slice", 9));
	cJSON *j = NULL;
	const cJSON *map, *row;
	int n, i = 0;
	ferry_err rc;

	con_raw(c, "<h2>Mapping slice</h2>");
	rc = r->agent[0] ? c->s->store->ops->assignment_get(c->s->store, inputs, &seq, &env, &len,
							    r->agent)
			 : FERRY_ENOTFOUND;
	if (!rc)
		j = cJSON_ParseWithLength((const char *)env, len);
	ferry_free(env);
	map = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "payload"),
					       "identity_map");
	if (rc || !cJSON_IsArray(map)) {
		con_raw(c, rc == FERRY_ENOTFOUND ? "<p>No signed assignment for this device's agent "
			"yet (v2; a v1 wave's bundle carries no slice).</p>"
			: "<p class=\"error\">The stored assignment cannot be read.</p>");
		cJSON_Delete(j);
		return;
	}
	n = cJSON_GetArraySize(map);
	if (from < 0 || from >= n)
		from = 0;
	con_rawf(c, "<p id=\"slice-count\" data-rows=\"%d\">Assignment sequence %llu carries %d "
		 "row%s; rows %ld&ndash;%ld:</p>", n, (unsigned long long)seq, n, n == 1 ? "" : "s",
		 n ? from + 1 : 0, from + (long)SLICE_ROWS < n ? from + (long)SLICE_ROWS : (long)n);
	con_raw(c, "<div class=\"scroll\"><table id=\"slice\"><thead><tr><th scope=\"col\">Source SID"
		"</th><th scope=\"col\">Kind</th><th scope=\"col\">Target account</th>"
		"<th scope=\"col\" class=\"hide-narrow\">Target SID</th></tr></thead><tbody>");
	cJSON_ArrayForEach(row, map) {
		if (i++ < from)
			continue;
		if (i > from + (long)SLICE_ROWS)
			break;
		con_raw(c, "<tr>");
		con_cell(c, jtext(row, "source_sid"));
		con_cell(c, jtext(row, "kind"));
		con_raw(c, "<td>");
		con_account(c, jtext(row, "netbios_domain"), jtext(row, "target_sam"));
		con_raw(c, "</td><td class=\"hide-narrow\">");
		con_text(c, jtext(row, "target_sid"));
		con_raw(c, "</td></tr>");
	}
	con_raw(c, "</tbody></table></div>");
	if (from + (long)SLICE_ROWS < n) {
		con_raw(c, "<p><a href=\"/console/devices/");
		con_url(c, r->name);
		con_rawf(c, "?slice=%ld\">Next rows</a></p>", from + (long)SLICE_ROWS);
	}
	cJSON_Delete(j);
}

void con_device(struct con *c, const char *name)
{
	struct srv_device_row r;
	char dev[SRV_DEVICE_MAX];
	cJSON *timeline = NULL;
	ferry_err rc;

	snprintf(c->target, sizeof(c->target), "%.64s", name);
	if (!srv_device_name_ok(dev, name)) {
		char why[200];

		snprintf(why, sizeof(why), "'%.64s' is not a computer name (1-15 of A-Z 0-9 -).",
			 name);
		con_error(c, 404, why);
		return;
	}
	rc = c->s->store->ops->device_row(c->s->store, &r, dev);
	if (!rc)
		rc = c->s->store->ops->device_timeline(c->s->store, &timeline, dev, TIMELINE_MAX);
	if (rc) {
		con_error(c, rc == FERRY_ENOTFOUND ? 404 : 500, ferry_error_detail());
		return;
	}
	con_page_start(c, r.name, "devices", 30);
	facts(c, &r);
	failure(c, timeline);
	slice(c, &r);
	timeline_table(c, timeline);
	con_page_end(c);
	cJSON_Delete(timeline);
}
