/* The SQLite backend's console ops (srv_console.c; srv_store.h, srv_sqlite.h). */
#include "srv_sqlite.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

static const char *column(void *ctx, int i)
{
	return (const char *)sqlite3_column_text(ctx, i);
}

ferry_err sq_session_add(struct srv_store *st, const char *id_sha256,
				const char *token_sha256, const char *csrf, int64_t now,
				int64_t expires)
{
	static const char gc[] = "DELETE FROM sessions WHERE expires<=?";
	static const char q[] = "INSERT INTO sessions VALUES(?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, gc, "i", now);

	if (!rc)
		rc = sq_step_done(s, "session expiry");
	if (!rc)
		rc = sq_prep(st, &s, q, "tttii", id_sha256, token_sha256, csrf, now, expires);
	return rc ? rc : sq_step_done(s, "session add");
}

ferry_err sq_session_get(struct srv_store *st, struct srv_session *out,
				const char *id_sha256, int64_t now)
{
	static const char q[] = "SELECT t.name, t.role, s.csrf, s.expires FROM sessions s"
				" JOIN tokens t ON t.sha256=s.token_sha256 AND t.revoked=0"
				" WHERE s.sha256=? AND s.expires>?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ti", id_sha256, now);

	if (!rc)
		rc = sq_step_row(s, "session");
	if (rc)
		return rc == FERRY_ENOTFOUND ? ferry_error_set(rc, "no such session") : rc;
	sq_col_text(out->who.name, sizeof(out->who.name), s, 0);
	sq_col_text(out->who.role, sizeof(out->who.role), s, 1);
	sq_col_text(out->csrf, sizeof(out->csrf), s, 2);
	out->expires = sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	return FERRY_OK;
}

ferry_err sq_session_delete(struct srv_store *st, const char *id_sha256)
{
	static const char q[] = "DELETE FROM sessions WHERE sha256=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", id_sha256);

	return rc ? rc : sq_step_done(s, "session delete");
}

#define DEVICE_ROW_BASE \
	"d.name, coalesce(d.wave, ''), coalesce(d.agent, ''), coalesce(d.phase, ''), d.stage," \
	" coalesce(d.last_seen, 0), coalesce(d.progress_at, 0)," \
	" EXISTS(SELECT 1 FROM odj o WHERE o.device=d.name), "
#define DEVICE_ROW_COLS DEVICE_ROW_BASE \
	"EXISTS(SELECT 1 FROM escrow e WHERE e.device=d.name), " \
	"substr(coalesce(json_extract(d.status, '$.error.message'), ''), 1, 95)"

static void device_row_fill(struct srv_device_row *r, sqlite3_stmt *s)
{
	sq_col_text(r->name, sizeof(r->name), s, 0);
	sq_col_text(r->wave, sizeof(r->wave), s, 1);
	sq_col_text(r->agent, sizeof(r->agent), s, 2);
	sq_col_text(r->phase, sizeof(r->phase), s, 3);
	r->stage = sqlite3_column_int(s, 4);
	r->last_seen = sqlite3_column_int64(s, 5);
	r->progress_at = sqlite3_column_int64(s, 6);
	r->blob = sqlite3_column_int(s, 7) != 0;
	r->escrow = sqlite3_column_int(s, 8) != 0;
	sq_col_text(r->error, sizeof(r->error), s, 9);
}

ferry_err sq_device_rows(struct srv_store *st, struct srv_device_row **out, size_t *n,
				const char *wave, bool errors)
{
	static const char q[] = "SELECT " DEVICE_ROW_COLS " FROM devices d"
				" WHERE ?1 IS NULL OR d.wave=?1 ORDER BY d.name";
	static const char qn[] = "SELECT " DEVICE_ROW_BASE "0, '' FROM devices d"
				 " WHERE ?1 IS NULL OR d.wave=?1 ORDER BY d.name";
	struct srv_device_row *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, errors ? q : qn, "t", wave);
	int src = SQLITE_DONE;

	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct srv_device_row *nv = ferry_realloc_array(v, ncap, sizeof(*v));

			if (!nv) {
				rc = ferry_error_set(FERRY_ENOMEM, "device rows");
				break;
			}
			v = nv;
			cap = ncap;
		}
		device_row_fill(&v[len++], s);
	}
	if (!rc && src != SQLITE_DONE)
		rc = sq_db_err(sqlite3_db_handle(s), sqlite3_reset(s), "device rows");
	if (s)
		sqlite3_reset(s);
	if (rc) {
		ferry_free(v);
		v = NULL;
		len = 0;
	}
	*out = v;
	*n = len;
	return rc;
}

ferry_err sq_device_row(struct srv_store *st, struct srv_device_row *out,
			       const char *device)
{
	static const char q[] = "SELECT " DEVICE_ROW_COLS " FROM devices d WHERE d.name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_device_step(st, &s, q, device);

	if (rc)
		return rc;
	device_row_fill(out, s);
	sqlite3_reset(s);
	return FERRY_OK;
}

/* Step every row of s into a JSON array (srv_list_row's column kinds). */
static ferry_err rows_into(cJSON **out, sqlite3_stmt *s, const char *cols, const char *what)
{
	cJSON *arr = cJSON_CreateArray();
	ferry_err rc = arr ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "%s", what);
	int src = SQLITE_DONE;

	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW)
		rc = srv_list_row(arr, cols, column, s);
	if (!rc && src != SQLITE_DONE)
		rc = sq_db_err(sqlite3_db_handle(s), sqlite3_reset(s), what);
	sqlite3_reset(s);
	if (rc) {
		cJSON_Delete(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

ferry_err sq_devices_by_user(struct srv_store *st, cJSON **out, const char *user,
				    unsigned limit)
{
	static const char q[] = "SELECT d.name FROM devices d WHERE d.status IS NOT NULL AND EXISTS("
				"SELECT 1 FROM json_each(d.status, '$.cached_users') u"
				" WHERE instr(lower(u.value), lower(?1)) > 0) ORDER BY d.name LIMIT ?2";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ti", user, (int64_t)limit);

	*out = NULL;
	return rc ? rc : rows_into(out, s, "name:t", "devices by user");
}

ferry_err sq_device_users(struct srv_store *st, cJSON **out)
{
	static const char q[] = "SELECT d.name, json_extract(d.status, '$.cached_users') FROM devices d"
				" WHERE json_array_length(d.status, '$.cached_users') > 0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "");

	*out = NULL;
	return rc ? rc : rows_into(out, s, "device:t,users:j", "device users");
}

ferry_err sq_device_timeline(struct srv_store *st, cJSON **out, const char *device,
				    unsigned limit)
{
	static const char q[] =
		"SELECT time, source, seq, report, agent, id, kind, detail FROM ("
		" SELECT received AS time, 'status' AS source, seq, report, '' AS agent, '' AS id,"
		"  '' AS kind, '' AS detail FROM status_history WHERE device=?1"
		" UNION ALL"
		" SELECT coalesce(nullif(e.time, 0), e.received), 'event', 0, 'null', e.agent, e.id,"
		"  e.kind, e.detail FROM events e WHERE e.agent IN (SELECT id FROM agents WHERE device=?1)"
		") ORDER BY time DESC, seq DESC LIMIT ?2";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ti", device, (int64_t)limit);

	*out = NULL;
	if (!rc)
		rc = rows_into(out, s, "time:i,source:t,seq:i,report:j,agent:t,id:t,kind:t,detail:t",
			       "timeline");
	return rc;
}

ferry_err sq_audit_page(struct srv_store *st, cJSON **out, int64_t *total,
			       const char *text, int64_t offset, unsigned limit)
{
	static const char qn[] = "SELECT count(*) FROM audit"
				 " WHERE ?1 IS NULL OR instr(actor, ?1) > 0"
				 " OR instr(action, ?1) > 0 OR instr(target, ?1) > 0";
	static const char q[] = "SELECT id, time, actor, role, action, target, detail FROM audit"
				" WHERE ?1 IS NULL OR instr(actor, ?1) > 0"
				" OR instr(action, ?1) > 0 OR instr(target, ?1) > 0"
				" ORDER BY id DESC LIMIT ?3 OFFSET ?2";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, qn, "t", text);

	*out = NULL;
	if (!rc)
		rc = sq_step_row(s, "audit count");
	if (rc)
		return rc == FERRY_ENOTFOUND ? FERRY_EIO : rc;
	*total = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	rc = sq_prep(st, &s, q, "tii", text, offset, (int64_t)limit);
	return rc ? rc : rows_into(out, s, "id:i,time:i,actor:t,role:t,action:t,target:t,detail:t",
				   "audit page");
}

ferry_err sq_table_findings(struct srv_store *st, char **json)
{
	static const char q[] = "SELECT findings FROM dir_findings WHERE id=1";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "");

	*json = NULL;
	if (!rc)
		rc = sq_step_row(s, "table findings");
	if (!rc) {
		rc = sq_col_string(json, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

