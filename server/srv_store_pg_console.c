/* The PostgreSQL backend's console ops (srv_console.c; srv_store.h, srv_pg.h). */
#include "srv_pg.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

ferry_err pq_session_add(struct srv_store *st, const char *id_sha256, const char *token_sha256,
			 const char *csrf, int64_t now, int64_t expires)
{
	static const char gc[] = "DELETE FROM sessions WHERE expires<=$1";
	static const char q[] = "INSERT INTO sessions VALUES($1,$2,$3,$4,$5)";
	ferry_err rc = pq_run(st, gc, "session expiry", "i", now);

	return rc ? rc : pq_run(st, q, "session add", "tttii", id_sha256, token_sha256, csrf, now,
				expires);
}

ferry_err pq_session_get(struct srv_store *st, struct srv_session *out, const char *id_sha256,
			 int64_t now)
{
	static const char q[] = "SELECT t.name, t.role, s.csrf, s.expires FROM sessions s"
				" JOIN tokens t ON t.sha256=s.token_sha256 AND t.revoked=0"
				" WHERE s.sha256=$1 AND s.expires>$2";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "session", "ti", id_sha256, now);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_ENOTFOUND, "no such session");
	if (!rc) {
		pq_text(out->who.name, sizeof(out->who.name), r, 0, 0);
		pq_text(out->who.role, sizeof(out->who.role), r, 0, 1);
		pq_text(out->csrf, sizeof(out->csrf), r, 0, 2);
		out->expires = pq_int(r, 0, 3);
	}
	PQclear(r);
	return rc;
}

ferry_err pq_session_delete(struct srv_store *st, const char *id_sha256)
{
	static const char q[] = "DELETE FROM sessions WHERE sha256=$1";

	return pq_run(st, q, "session delete", "t", id_sha256);
}

#define DEVICE_ROW_BASE \
	"d.name, coalesce(d.wave, ''), coalesce(d.agent, ''), coalesce(d.phase, ''), d.stage," \
	" coalesce(d.last_seen, 0), coalesce(d.progress_at, 0)," \
	" EXISTS(SELECT 1 FROM odj o WHERE o.device=d.name), "
#define DEVICE_ROW_COLS DEVICE_ROW_BASE \
	"EXISTS(SELECT 1 FROM escrow e WHERE e.device=d.name), " \
	"substr(coalesce(CASE WHEN json_typeof(d.status::json->'error')='object' THEN" \
	" d.status::json->'error'->>'message' END, ''), 1, 95)"

static void device_row_fill(struct srv_device_row *d, PGresult *r, int row)
{
	pq_text(d->name, sizeof(d->name), r, row, 0);
	pq_text(d->wave, sizeof(d->wave), r, row, 1);
	pq_text(d->agent, sizeof(d->agent), r, row, 2);
	pq_text(d->phase, sizeof(d->phase), r, row, 3);
	d->stage = (int)pq_int(r, row, 4);
	d->last_seen = pq_int(r, row, 5);
	d->progress_at = pq_int(r, row, 6);
	d->blob = !strcmp(PQgetvalue(r, row, 7), "t");
	d->escrow = !strcmp(PQgetvalue(r, row, 8), "t");
	pq_text(d->error, sizeof(d->error), r, row, 9);
}

ferry_err pq_device_rows(struct srv_store *st, struct srv_device_row **out, size_t *n,
			 const char *wave, bool errors)
{
	static const char q[] = "SELECT " DEVICE_ROW_COLS " FROM devices d"
				" WHERE $1::text IS NULL OR d.wave=$1 ORDER BY d.name COLLATE \"C\"";
	static const char qn[] = "SELECT " DEVICE_ROW_BASE "false, '' FROM devices d"
				 " WHERE $1::text IS NULL OR d.wave=$1 ORDER BY d.name COLLATE \"C\"";
	struct srv_device_row *v = NULL;
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, errors ? q : qn, "device rows", "t", wave);
	size_t len = rc ? 0 : (size_t)PQntuples(r);

	*out = NULL;
	*n = 0;
	if (!rc && !(v = ferry_calloc(len ? len : 1, sizeof(*v))))
		rc = ferry_error_set(FERRY_ENOMEM, "device rows");
	for (size_t i = 0; !rc && i < len; i++)
		device_row_fill(&v[i], r, (int)i);
	PQclear(r);
	if (!rc) {
		*out = v;
		*n = len;
	}
	return rc;
}

ferry_err pq_device_row(struct srv_store *st, struct srv_device_row *out, const char *device)
{
	static const char q[] = "SELECT " DEVICE_ROW_COLS " FROM devices d WHERE d.name=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "device", "t", device);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_ENOTFOUND, "no device named '%s'", device);
	if (!rc)
		device_row_fill(out, r, 0);
	PQclear(r);
	return rc;
}

struct row {
	PGresult *r;
	int row;
};

static const char *column(void *ctx, int i)
{
	struct row *w = ctx;

	return PQgetisnull(w->r, w->row, i) ? NULL : PQgetvalue(w->r, w->row, i);
}

/* Every row of r into a JSON array (srv_list_row's column kinds); clears r. */
static ferry_err rows_into(cJSON **out, PGresult *r, const char *cols, const char *what)
{
	cJSON *arr = cJSON_CreateArray();
	struct row w = { r, 0 };
	ferry_err rc = arr ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "%s", what);

	for (w.row = 0; !rc && w.row < PQntuples(r); w.row++)
		rc = srv_list_row(arr, cols, column, &w);
	PQclear(r);
	if (rc) {
		cJSON_Delete(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

/* cached_users of a device's last report, when it is an array of strings. */
#define CACHED_USERS \
	"CASE WHEN json_typeof(d.status::json->'cached_users')='array'" \
	" THEN d.status::json->'cached_users' END"

ferry_err pq_devices_by_user(struct srv_store *st, cJSON **out, const char *user, unsigned limit)
{
	static const char q[] = "SELECT d.name FROM devices d WHERE d.status IS NOT NULL AND EXISTS("
				"SELECT 1 FROM json_array_elements(" CACHED_USERS ") u"
				" WHERE json_typeof(u)='string' AND strpos(lower(u#>>'{}'),"
				" lower($1)) > 0) ORDER BY d.name COLLATE \"C\" LIMIT $2";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "devices by user", "ti", user, (int64_t)limit);

	*out = NULL;
	return rc ? rc : rows_into(out, r, "name:t", "devices by user");
}

ferry_err pq_device_users(struct srv_store *st, cJSON **out)
{
	static const char q[] = "SELECT d.name, (" CACHED_USERS ")::text FROM devices d"
				" WHERE json_array_length(" CACHED_USERS ") > 0";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "device users", "");

	*out = NULL;
	return rc ? rc : rows_into(out, r, "device:t,users:j", "device users");
}

ferry_err pq_device_timeline(struct srv_store *st, cJSON **out, const char *device,
			     unsigned limit)
{
	static const char q[] =
		"SELECT time, source, seq, report, agent, id, kind, detail FROM ("
		" SELECT received AS time, 'status' AS source, seq, report, '' AS agent, '' AS id,"
		"  '' AS kind, '' AS detail FROM status_history WHERE device=$1"
		" UNION ALL"
		" SELECT coalesce(nullif(e.time, 0), e.received), 'event', 0, 'null', e.agent, e.id,"
		"  e.kind, e.detail FROM events e WHERE e.agent IN (SELECT id FROM agents"
		"  WHERE device=$1)) t ORDER BY time DESC, seq DESC LIMIT $2";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "timeline", "ti", device, (int64_t)limit);

	*out = NULL;
	return rc ? rc : rows_into(out, r, "time:i,source:t,seq:i,report:j,agent:t,id:t,kind:t,"
				   "detail:t", "timeline");
}

ferry_err pq_audit_page(struct srv_store *st, cJSON **out, int64_t *total, const char *text,
			int64_t offset, unsigned limit)
{
	static const char qn[] = "SELECT count(*) FROM audit WHERE $1::text IS NULL"
				 " OR strpos(actor, $1) > 0 OR strpos(action, $1) > 0"
				 " OR strpos(target, $1) > 0";
	static const char q[] = "SELECT id, time, actor, role, action, target, detail FROM audit"
				" WHERE $1::text IS NULL OR strpos(actor, $1) > 0"
				" OR strpos(action, $1) > 0 OR strpos(target, $1) > 0"
				" ORDER BY id DESC LIMIT $3 OFFSET $2";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, qn, "audit count", "t", text);

	*out = NULL;
	if (!rc)
		*total = pq_int(r, 0, 0);
	PQclear(r);
	r = NULL;
	if (!rc)
		rc = pq_exec(st, &r, q, "audit page", "tii", text, offset, (int64_t)limit);
	return rc ? rc : rows_into(out, r, "id:i,time:i,actor:t,role:t,action:t,target:t,detail:t",
				   "audit page");
}

ferry_err pq_table_findings(struct srv_store *st, char **json)
{
	static const char q[] = "SELECT findings FROM dir_findings WHERE id=1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "table findings", "");

	*json = NULL;
	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		rc = pq_string(json, r, 0, 0);
	PQclear(r);
	return rc;
}
