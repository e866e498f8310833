/* The SQLite backend's admin ops, lists, provisioning and jobs (srv_store.h, srv_sqlite.h). */
#include "srv_sqlite.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

ferry_err sq_token_auth(struct srv_store *st, struct srv_principal *out,
			       const char *token_sha256)
{
	static const char q[] = "SELECT name, role FROM tokens WHERE sha256=? AND revoked=0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", token_sha256);

	if (!rc)
		rc = sq_step_row(s, "token");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(FERRY_EAUTH, "unknown or revoked admin token");
	if (rc)
		return rc;
	sq_col_text(out->name, sizeof(out->name), s, 0);
	sq_col_text(out->role, sizeof(out->role), s, 1);
	sqlite3_reset(s);
	return FERRY_OK;
}

ferry_err sq_token_add(struct srv_store *st, const char *name, const char *role,
			      const char *token_sha256, int64_t now)
{
	static const char q[] = "INSERT INTO tokens(sha256, name, role, created) VALUES(?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ttti", token_sha256, name, role, now);

	if (!rc)
		rc = sq_step_done(s, "token add");
	if (rc == FERRY_EMISMATCH)
		return ferry_error_set(rc, "a token named '%s' exists already", name);
	return rc;
}

ferry_err sq_token_revoke(struct srv_store *st, const char *name)
{
	static const char q[] = "UPDATE tokens SET revoked=1 WHERE name=? AND revoked=0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", name);

	if (!rc)
		rc = sq_step_done(s, "token revoke");
	return rc ? rc : sq_must_change(s, "token", name);
}

ferry_err sq_audit_add(struct srv_store *st, const struct srv_principal *who,
			      const char *action, const char *target, const char *detail,
			      int64_t now)
{
	static const char q[] = "INSERT INTO audit(time, actor, role, action, target, detail)"
				" VALUES(?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "itttt" "t", now, who->name, who->role, action,
			    target ? target : "", detail ? detail : "");

	return rc ? rc : sq_step_done(s, "audit");
}

ferry_err sq_wave_add(struct srv_store *st, const char *wave, int64_t now)
{
	static const char q[] = "INSERT INTO waves(name, created) VALUES(?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ti", wave, now);

	if (!rc)
		rc = sq_step_done(s, "wave add");
	if (rc == FERRY_EMISMATCH)
		return ferry_error_set(rc, "wave '%s' exists already", wave);
	return rc;
}

ferry_err sq_wave_bundle_set(struct srv_store *st, const char *wave, const uint8_t *b,
				    size_t len, const char *etag)
{
	static const char q[] = "UPDATE waves SET bundle=?, bundle_etag=? WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "btt", b, len, etag, wave);

	if (!rc)
		rc = sq_step_done(s, "wave bundle");
	return rc ? rc : sq_must_change(s, "wave", wave);
}

static ferry_err wave_exists(struct srv_store *st, const char *wave)
{
	static const char q[] = "SELECT 1 FROM waves WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", wave);

	if (!rc)
		rc = sq_step_row(s, "wave");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no wave named '%s'", wave);
	sqlite3_reset(s);
	return rc;
}

ferry_err sq_wave_runbook_set(struct srv_store *st, const char *wave, const char *rb,
				     int64_t from, int64_t enforced)
{
	static const char q[] = "INSERT OR REPLACE INTO wave_runbooks VALUES(?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = wave_exists(st, wave);

	if (!rc)
		rc = sq_prep(st, &s, q, "ttii", wave, rb, from, enforced);
	return rc ? rc : sq_step_done(s, "wave runbook");
}

ferry_err sq_device_add(struct srv_store *st, bool *added, const char *wave,
			       const char *device, int64_t now)
{
	static const char q[] = "INSERT INTO devices(name, wave, added) VALUES(?,?,?)"
				" ON CONFLICT(name) DO UPDATE SET wave=excluded.wave WHERE wave IS NULL";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "tti", device, wave, now);

	if (!rc)
		rc = sq_step_done(s, "device add");
	if (!rc)
		*added = sqlite3_changes(sqlite3_db_handle(s)) != 0;
	return rc;
}

ferry_err sq_device_move(struct srv_store *st, const char *device, const char *wave)
{
	static const char q[] = "UPDATE devices SET wave=? WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = wave_exists(st, wave);

	if (!rc)
		rc = sq_prep(st, &s, q, "tt", wave, device);
	if (!rc)
		rc = sq_step_done(s, "device move");
	return rc ? rc : sq_must_change(s, "device", device);
}

ferry_err sq_device_get(struct srv_store *st, struct srv_device *out, const char *device)
{
	static const char q[] = "SELECT name, wave, agent FROM devices WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_device_step(st, &s, q, device);

	if (rc)
		return rc;
	sq_col_text(out->name, sizeof(out->name), s, 0);
	sq_col_text(out->wave, sizeof(out->wave), s, 1);
	sq_col_text(out->agent, sizeof(out->agent), s, 2);
	sqlite3_reset(s);
	return FERRY_OK;
}

ferry_err sq_enrolment_decide(struct srv_store *st, int64_t id, bool approve)
{
	static const char q[] = "UPDATE enrol_requests SET status=? WHERE id=? AND status='pending'";
	sqlite3_stmt *s = NULL;
	char name[32];
	ferry_err rc = sq_prep(st, &s, q, "ti", approve ? "approved" : "denied", id);

	if (!rc)
		rc = sq_step_done(s, "enrolment decide");
	snprintf(name, sizeof(name), "%lld", (long long)id);
	return rc ? rc : sq_must_change(s, "pending enrolment", name);
}

/* Each list's query; its columns are srv_list_cols[what] (srv_schema.c). */
static const char *const lists[] = {
	[SRV_LIST_WAVES] =
		"SELECT w.name, w.created, (SELECT count(*) FROM devices d WHERE d.wave=w.name),"
		" coalesce(w.bundle_etag, ''), (SELECT coalesce(json_group_array(json_object("
		"'runbook', runbook, 'available_from', available_from, 'enforced_after',"
		" enforced_after)), '[]') FROM wave_runbooks r WHERE r.wave=w.name)"
		" FROM waves w WHERE ?1 IS NULL OR w.name=?1 ORDER BY w.name",
	[SRV_LIST_DEVICES] =
		"SELECT d.name, coalesce(d.wave, ''), coalesce(d.agent, ''), coalesce(d.phase, ''),"
		" d.stage, coalesce(d.last_seen, 0), coalesce(d.progress_at, 0),"
		" coalesce(json_extract(d.status, '$.error.message'), ''),"
		" (SELECT count(*) FROM odj o WHERE o.device=d.name),"
		" (SELECT count(*) FROM escrow e WHERE e.device=d.name),"
		" coalesce(d.status, 'null')"
		" FROM devices d WHERE ?1 IS NULL OR d.wave=?1 ORDER BY d.name",
	[SRV_LIST_ENROLMENTS] =
		"SELECT id, device, coalesce(domain, ''), coalesce(os, ''), reason, status, created,"
		" hex(public_key) FROM enrol_requests WHERE ?1 IS NULL OR status=?1 ORDER BY id",
	[SRV_LIST_AUDIT] =
		"SELECT id, time, actor, role, action, target, detail FROM audit"
		" WHERE ?1 IS NULL OR target=?1 ORDER BY id DESC LIMIT 10000",
	[SRV_LIST_TOKENS] =
		"SELECT name, role, created, revoked FROM tokens WHERE ?1 IS NULL OR role=?1"
		" ORDER BY name",
};

static const char *column(void *ctx, int i)
{
	return (const char *)sqlite3_column_text(ctx, i);
}

ferry_err sq_list(struct srv_store *st, cJSON **out, enum srv_list what, const char *arg)
{
	cJSON *arr = cJSON_CreateArray();
	sqlite3_stmt *s = NULL;
	ferry_err rc = arr ? sq_prep(st, &s, lists[what], "t", arg)
			   : ferry_error_set(FERRY_ENOMEM, "list");
	int src;

	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW)
		rc = srv_list_row(arr, srv_list_cols[what], column, s);
	if (!rc && src != SQLITE_DONE)
		rc = sq_db_err(sqlite3_db_handle(s), sqlite3_reset(s), "list");
	if (arr && !rc)
		sqlite3_reset(s);
	if (rc) {
		cJSON_Delete(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

ferry_err sq_catalog_put(struct srv_store *st, const uint8_t *env, size_t len,
				uint64_t sequence)
{
	static const char q[] = "INSERT OR REPLACE INTO catalog VALUES(1,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ib", (int64_t)sequence, env, len);

	return rc ? rc : sq_step_done(s, "catalog put");
}

ferry_err sq_catalog_get(struct srv_store *st, uint8_t **env, size_t *len)
{
	static const char q[] = "SELECT envelope FROM catalog WHERE id=1";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "");

	if (!rc)
		rc = sq_step_row(s, "catalog");
	if (!rc) {
		rc = sq_col_blob(env, len, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

ferry_err sq_assignment_get(struct srv_store *st, char inputs[SRV_HASH_HEX], uint64_t *seq,
				   uint8_t **env, size_t *len, const char *agent)
{
	static const char q[] = "SELECT inputs, sequence, envelope FROM assignments WHERE agent=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", agent);

	if (!rc)
		rc = sq_step_row(s, "assignment");
	if (!rc) {
		sq_col_text(inputs, SRV_HASH_HEX, s, 0);
		*seq = (uint64_t)sqlite3_column_int64(s, 1);
		rc = sq_col_blob(env, len, s, 2);
		sqlite3_reset(s);
	}
	return rc;
}

ferry_err sq_assignment_put(struct srv_store *st, const char *agent, const char *inputs,
				   uint64_t seq, const uint8_t *env, size_t len)
{
	static const char q[] = "INSERT OR REPLACE INTO assignments VALUES(?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ttib", agent, inputs, (int64_t)seq, env, len);

	return rc ? rc : sq_step_done(s, "assignment put");
}

ferry_err sq_table_put(struct srv_store *st, const struct srv_table *t)
{
	static const char q[] = "INSERT OR REPLACE INTO dir_table VALUES(1,?,?,?,?,?,?,?)";
	static const char f[] = "INSERT OR REPLACE INTO dir_findings VALUES(1,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ttibbtt", t->hash, t->actor, t->imported, t->source,
			       t->source_len, t->target, t->target_len, t->rows, t->summary);

	if (!rc)
		rc = sq_step_done(s, "table put");
	if (!rc)
		rc = sq_prep(st, &s, f, "t", t->findings ? t->findings : "[]");
	return rc ? rc : sq_step_done(s, "table findings put");
}

ferry_err sq_table_get(struct srv_store *st, struct srv_table *out, bool with_snapshots)
{
	static const char q[] = "SELECT hash, actor, imported, rows, summary, source, target"
				" FROM dir_table WHERE id=1";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "");

	memset(out, 0, sizeof(*out));
	if (!rc)
		rc = sq_step_row(s, "table");
	if (rc)
		return rc;
	sq_col_text(out->hash, sizeof(out->hash), s, 0);
	sq_col_text(out->actor, sizeof(out->actor), s, 1);
	out->imported = sqlite3_column_int64(s, 2);
	rc = sq_col_string(&out->rows, s, 3);
	if (!rc)
		rc = sq_col_string(&out->summary, s, 4);
	if (!rc && with_snapshots)
		rc = sq_col_blob(&out->source, &out->source_len, s, 5);
	if (!rc && with_snapshots)
		rc = sq_col_blob(&out->target, &out->target_len, s, 6);
	sqlite3_reset(s);
	if (rc)
		srv_table_clear(out);
	return rc;
}

ferry_err sq_prov_blob_get(struct srv_store *st, uint8_t **sealed, size_t *len,
				  const char *key)
{
	static const char q[] = "SELECT sealed FROM prov_blobs WHERE key=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", key);

	if (!rc)
		rc = sq_step_row(s, "provisioned blob");
	if (!rc) {
		rc = sq_col_blob(sealed, len, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

ferry_err sq_prov_blob_put(struct srv_store *st, const char *key, const uint8_t *sealed,
				  size_t len, int64_t now)
{
	static const char q[] = "INSERT OR IGNORE INTO prov_blobs VALUES(?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "tbi", key, sealed, len, now);

	return rc ? rc : sq_step_done(s, "provisioned blob put");
}

ferry_err sq_prov_blob_delete(struct srv_store *st, const char *key)
{
	static const char q[] = "DELETE FROM prov_blobs WHERE key=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", key);

	return rc ? rc : sq_step_done(s, "provisioned blob delete");
}

ferry_err sq_prov_intent_put(struct srv_store *st, const char *key, int64_t now)
{
	static const char q[] = "INSERT OR IGNORE INTO prov_intents VALUES(?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ti", key, now);

	return rc ? rc : sq_step_done(s, "provisioning intent");
}

ferry_err sq_prov_intent_get(struct srv_store *st, const char *key)
{
	static const char q[] = "SELECT 1 FROM prov_intents WHERE key=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", key);

	if (!rc)
		rc = sq_step_row(s, "provisioning intent");
	if (!rc)
		sqlite3_reset(s);
	return rc;
}

ferry_err sq_job_lock(struct srv_store *st, bool *held, const char *job)
{
	(void)st;
	(void)job;
	*held = true; /* one process owns a SQLite database: it runs every job */
	return FERRY_OK;
}

static ferry_err job_row(struct srv_prov_job *out, sqlite3_stmt *s)
{
	char state[16];

	memset(out, 0, sizeof(*out));
	sq_col_text(out->device, sizeof(out->device), s, 0);
	sq_col_text(out->ou, sizeof(out->ou), s, 1);
	sq_col_text(state, sizeof(state), s, 2);
	out->failed_at = sqlite3_column_int64(s, 3);
	sq_col_text(out->error, sizeof(out->error), s, 4);
	out->state = !strcmp(state, "running") ? SRV_PROV_RUNNING :
		     !strcmp(state, "failed") ? SRV_PROV_FAILED : SRV_PROV_QUEUED;
	return FERRY_OK;
}

ferry_err sq_prov_job_enqueue(struct srv_store *st, struct srv_prov_job *out, const char *device,
			      const char *ou, int64_t now, int64_t retry_s)
{
	static const char ins[] = "INSERT INTO prov_queue(device, ou, state, queued)"
				  " VALUES(?,?,'queued',?) ON CONFLICT(device) DO UPDATE SET"
				  " state='queued', ou=excluded.ou, queued=excluded.queued, node=''"
				  " WHERE prov_queue.state='failed' AND ?-prov_queue.failed_at>=?";
	static const char get[] = "SELECT device, ou, state, failed_at, error FROM prov_queue"
				  " WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, ins, "ttiii", device, ou, now, now, retry_s);

	if (!rc)
		rc = sq_step_done(s, "provisioning enqueue");
	if (!rc)
		rc = sq_prep(st, &s, get, "t", device);
	if (!rc)
		rc = sq_step_row(s, "provisioning job");
	if (!rc)
		job_row(out, s);
	sqlite3_reset(s);
	return rc;
}

ferry_err sq_prov_job_claim(struct srv_store *st, struct srv_prov_job *out, const char *node)
{
	static const char q[] = "UPDATE prov_queue SET state='running', node=? WHERE device=("
				"SELECT device FROM prov_queue WHERE state='queued'"
				" ORDER BY queued, device LIMIT 1)"
				" RETURNING device, ou, state, failed_at, error";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", node);

	if (!rc)
		rc = sq_step_row(s, "provisioning claim");
	if (rc == FERRY_ENOTFOUND)
		sqlite3_reset(s);
	if (!rc) {
		job_row(out, s);
		/* RETURNING: the change is made when the statement completes */
		while (sqlite3_step(s) == SQLITE_ROW)
			;
		sqlite3_reset(s);
	}
	return rc;
}

ferry_err sq_prov_job_finish(struct srv_store *st, const char *device, const char *error,
			     int64_t now)
{
	static const char done[] = "DELETE FROM prov_queue WHERE device=?";
	static const char failed[] = "UPDATE prov_queue SET state='failed', failed_at=?, error=?,"
				     " node='' WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = error ? sq_prep(st, &s, failed, "itt", now, error, device)
			     : sq_prep(st, &s, done, "t", device);

	return rc ? rc : sq_step_done(s, "provisioning finish");
}

ferry_err sq_prov_job_recover(struct srv_store *st, unsigned *requeued, const char *node)
{
	static const char q[] = "UPDATE prov_queue SET state='queued', node=''"
				" WHERE state='running' AND node<>?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", node);

	if (!rc)
		rc = sq_step_done(s, "provisioning recover");
	*requeued = rc ? 0 : (unsigned)sqlite3_changes(sqlite3_db_handle(s));
	return rc;
}

ferry_err sq_versions(struct srv_store *st, uint64_t *catalog_seq, char table_hash[SRV_HASH_HEX])
{
	static const char q[] = "SELECT coalesce((SELECT sequence FROM catalog WHERE id=1), 0),"
				" coalesce((SELECT hash FROM dir_table WHERE id=1), '')";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "");

	if (!rc)
		rc = sq_step_row(s, "versions");
	if (!rc) {
		*catalog_seq = (uint64_t)sqlite3_column_int64(s, 0);
		sq_col_text(table_hash, SRV_HASH_HEX, s, 1);
		sqlite3_reset(s);
	}
	return rc;
}
