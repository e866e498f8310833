/* The PostgreSQL backend's admin ops, lists, provisioning and jobs (srv_store.h, srv_pg.h). */
#include "srv_pg.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

ferry_err pq_token_auth(struct srv_store *st, struct srv_principal *out, const char *token_sha256)
{
	static const char q[] = "SELECT name, role FROM tokens WHERE sha256=$1 AND revoked=0";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "token", "t", token_sha256);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_EAUTH, "unknown or revoked admin token");
	if (!rc) {
		pq_text(out->name, sizeof(out->name), r, 0, 0);
		pq_text(out->role, sizeof(out->role), r, 0, 1);
	}
	PQclear(r);
	return rc;
}

ferry_err pq_token_add(struct srv_store *st, const char *name, const char *role,
		       const char *token_sha256, int64_t now)
{
	static const char q[] = "INSERT INTO tokens(sha256, name, role, created)"
				" VALUES($1,$2,$3,$4)";
	ferry_err rc = pq_run(st, q, "token add", "ttti", token_sha256, name, role, now);

	if (rc == FERRY_EMISMATCH)
		return ferry_error_set(rc, "a token named '%s' exists already", name);
	return rc;
}

ferry_err pq_token_revoke(struct srv_store *st, const char *name)
{
	static const char q[] = "UPDATE tokens SET revoked=1 WHERE name=$1 AND revoked=0";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "token revoke", "t", name);

	if (!rc)
		rc = pq_must_change(r, "token", name);
	PQclear(r);
	return rc;
}

ferry_err pq_audit_add(struct srv_store *st, const struct srv_principal *who, const char *action,
		       const char *target, const char *detail, int64_t now)
{
	static const char q[] = "INSERT INTO audit(time, actor, role, action, target, detail)"
				" VALUES($1,$2,$3,$4,$5,$6)";

	return pq_run(st, q, "audit", "itttt" "t", now, who->name, who->role, action,
		      target ? target : "", detail ? detail : "");
}

ferry_err pq_wave_add(struct srv_store *st, const char *wave, int64_t now)
{
	static const char q[] = "INSERT INTO waves(name, created) VALUES($1,$2)";
	ferry_err rc = pq_run(st, q, "wave add", "ti", wave, now);

	if (rc == FERRY_EMISMATCH)
		return ferry_error_set(rc, "wave '%s' exists already", wave);
	return rc;
}

ferry_err pq_wave_bundle_set(struct srv_store *st, const char *wave, const uint8_t *b,
			     size_t len, const char *etag)
{
	static const char q[] = "UPDATE waves SET bundle=$1, bundle_etag=$2 WHERE name=$3";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "wave bundle", "btt", b, len, etag, wave);

	if (!rc)
		rc = pq_must_change(r, "wave", wave);
	PQclear(r);
	return rc;
}

static ferry_err wave_exists(struct srv_store *st, const char *wave)
{
	static const char q[] = "SELECT 1 FROM waves WHERE name=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "wave", "t", wave);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_ENOTFOUND, "no wave named '%s'", wave);
	PQclear(r);
	return rc;
}

ferry_err pq_wave_runbook_set(struct srv_store *st, const char *wave, const char *rb,
			      int64_t from, int64_t enforced)
{
	static const char q[] = "INSERT INTO wave_runbooks VALUES($1,$2,$3,$4) ON CONFLICT(wave,"
				" runbook) DO UPDATE SET available_from=excluded.available_from,"
				" enforced_after=excluded.enforced_after";
	ferry_err rc = wave_exists(st, wave);

	return rc ? rc : pq_run(st, q, "wave runbook", "ttii", wave, rb, from, enforced);
}

ferry_err pq_device_add(struct srv_store *st, bool *added, const char *wave, const char *device,
			int64_t now)
{
	static const char q[] = "INSERT INTO devices(name, wave, added) VALUES($1,$2,$3)"
				" ON CONFLICT(name) DO UPDATE SET wave=excluded.wave"
				" WHERE devices.wave IS NULL";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "device add", "tti", device, wave, now);

	if (!rc)
		*added = pq_changes(r) != 0;
	PQclear(r);
	return rc;
}

ferry_err pq_device_move(struct srv_store *st, const char *device, const char *wave)
{
	static const char q[] = "UPDATE devices SET wave=$1 WHERE name=$2";
	PGresult *r = NULL;
	ferry_err rc = wave_exists(st, wave);

	if (!rc)
		rc = pq_exec(st, &r, q, "device move", "tt", wave, device);
	if (!rc)
		rc = pq_must_change(r, "device", device);
	PQclear(r);
	return rc;
}

ferry_err pq_device_get(struct srv_store *st, struct srv_device *out, const char *device)
{
	static const char q[] = "SELECT name, wave, agent FROM devices WHERE name=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "device", "t", device);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_ENOTFOUND, "no device named '%s'", device);
	if (!rc) {
		pq_text(out->name, sizeof(out->name), r, 0, 0);
		pq_text(out->wave, sizeof(out->wave), r, 0, 1);
		pq_text(out->agent, sizeof(out->agent), r, 0, 2);
	}
	PQclear(r);
	return rc;
}

ferry_err pq_enrolment_decide(struct srv_store *st, int64_t id, bool approve)
{
	static const char q[] = "UPDATE enrol_requests SET status=$1 WHERE id=$2"
				" AND status='pending'";
	PGresult *r = NULL;
	char name[32];
	ferry_err rc = pq_exec(st, &r, q, "enrolment decide", "ti",
			       approve ? "approved" : "denied", id);

	snprintf(name, sizeof(name), "%lld", (long long)id);
	if (!rc)
		rc = pq_must_change(r, "pending enrolment", name);
	PQclear(r);
	return rc;
}

/* Each list's query (the columns: srv_list_cols, srv_schema.c). Names sort
 * bytewise (COLLATE "C"), as SQLite sorts them. */
static const char *const lists[] = {
	[SRV_LIST_WAVES] =
		"SELECT w.name, w.created, (SELECT count(*) FROM devices d WHERE d.wave=w.name),"
		" coalesce(w.bundle_etag, ''), (SELECT coalesce(json_agg(json_build_object("
		"'runbook', runbook, 'available_from', available_from, 'enforced_after',"
		" enforced_after))::text, '[]') FROM wave_runbooks r WHERE r.wave=w.name)"
		" FROM waves w WHERE $1::text IS NULL OR w.name=$1 ORDER BY w.name COLLATE \"C\"",
	[SRV_LIST_DEVICES] =
		"SELECT d.name, coalesce(d.wave, ''), coalesce(d.agent, ''), coalesce(d.phase, ''),"
		" d.stage, coalesce(d.last_seen, 0), coalesce(d.progress_at, 0),"
		" coalesce(CASE WHEN json_typeof(d.status::json->'error')='object' THEN"
		" d.status::json->'error'->>'message' END, ''),"
		" (SELECT count(*) FROM odj o WHERE o.device=d.name),"
		" (SELECT count(*) FROM escrow e WHERE e.device=d.name),"
		" coalesce(d.status, 'null')"
		" FROM devices d WHERE $1::text IS NULL OR d.wave=$1 ORDER BY d.name COLLATE \"C\"",
	[SRV_LIST_ENROLMENTS] =
		"SELECT id, device, coalesce(domain, ''), coalesce(os, ''), reason, status, created,"
		" upper(encode(public_key, 'hex')) FROM enrol_requests"
		" WHERE $1::text IS NULL OR status=$1 ORDER BY id",
	[SRV_LIST_AUDIT] =
		"SELECT id, time, actor, role, action, target, detail FROM audit"
		" WHERE $1::text IS NULL OR target=$1 ORDER BY id DESC LIMIT 10000",
	[SRV_LIST_TOKENS] =
		"SELECT name, role, created, revoked FROM tokens WHERE $1::text IS NULL OR role=$1"
		" ORDER BY name COLLATE \"C\"",
};

struct row {
	PGresult *r;
	int row;
};

static const char *column(void *ctx, int i)
{
	struct row *w = ctx;

	return PQgetisnull(w->r, w->row, i) ? NULL : PQgetvalue(w->r, w->row, i);
}

ferry_err pq_list(struct srv_store *st, cJSON **out, enum srv_list what, const char *arg)
{
	cJSON *arr = cJSON_CreateArray();
	struct row w = { NULL, 0 };
	ferry_err rc = arr ? pq_exec(st, &w.r, lists[what], "list", "t", arg)
			   : ferry_error_set(FERRY_ENOMEM, "list");

	for (w.row = 0; !rc && w.row < PQntuples(w.r); w.row++)
		rc = srv_list_row(arr, srv_list_cols[what], column, &w);
	PQclear(w.r);
	if (rc) {
		cJSON_Delete(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

ferry_err pq_catalog_put(struct srv_store *st, const uint8_t *env, size_t len, uint64_t sequence)
{
	static const char q[] = "INSERT INTO catalog VALUES(1,$1,$2) ON CONFLICT(id) DO UPDATE"
				" SET sequence=excluded.sequence, envelope=excluded.envelope";

	return pq_run(st, q, "catalog put", "ib", (int64_t)sequence, env, len);
}

/* The one bytea column of a one-row query on key (FERRY_ENOTFOUND: no row). */
static ferry_err one_blob(struct srv_store *st, uint8_t **out, size_t *len, const char *sql,
			  const char *what, const char *key)
{
	PGresult *r = NULL;
	ferry_err rc = key ? pq_exec(st, &r, sql, what, "t", key) : pq_exec(st, &r, sql, what, "");

	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		rc = pq_bytea(out, len, r, 0, 0);
	PQclear(r);
	return rc;
}

ferry_err pq_catalog_get(struct srv_store *st, uint8_t **env, size_t *len)
{
	static const char q[] = "SELECT envelope FROM catalog WHERE id=1";

	return one_blob(st, env, len, q, "catalog", NULL);
}

ferry_err pq_assignment_get(struct srv_store *st, char inputs[SRV_HASH_HEX], uint64_t *seq,
			    uint8_t **env, size_t *len, const char *agent)
{
	static const char q[] = "SELECT inputs, sequence, envelope FROM assignments WHERE agent=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "assignment", "t", agent);

	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc) {
		pq_text(inputs, SRV_HASH_HEX, r, 0, 0);
		*seq = (uint64_t)pq_int(r, 0, 1);
		rc = pq_bytea(env, len, r, 0, 2);
	}
	PQclear(r);
	return rc;
}

ferry_err pq_assignment_put(struct srv_store *st, const char *agent, const char *inputs,
			    uint64_t seq, const uint8_t *env, size_t len)
{
	static const char q[] = "INSERT INTO assignments VALUES($1,$2,$3,$4) ON CONFLICT(agent)"
				" DO UPDATE SET inputs=excluded.inputs, sequence=excluded.sequence,"
				" envelope=excluded.envelope";

	return pq_run(st, q, "assignment put", "ttib", agent, inputs, (int64_t)seq, env, len);
}

ferry_err pq_table_put(struct srv_store *st, const struct srv_table *t)
{
	static const char q[] = "INSERT INTO dir_table VALUES(1,$1,$2,$3,$4,$5,$6,$7)"
				" ON CONFLICT(id) DO UPDATE SET hash=excluded.hash,"
				" actor=excluded.actor, imported=excluded.imported,"
				" source=excluded.source, target=excluded.target,"
				" rows=excluded.rows, summary=excluded.summary";
	static const char f[] = "INSERT INTO dir_findings VALUES(1,$1) ON CONFLICT(id) DO UPDATE"
				" SET findings=excluded.findings";
	ferry_err rc = pq_run(st, q, "table put", "ttibbtt", t->hash, t->actor, t->imported,
			      t->source, t->source_len, t->target, t->target_len, t->rows,
			      t->summary);

	return rc ? rc : pq_run(st, f, "table findings put", "t", t->findings ? t->findings : "[]");
}

ferry_err pq_table_get(struct srv_store *st, struct srv_table *out, bool with_snapshots)
{
	static const char q[] = "SELECT hash, actor, imported, rows, summary FROM dir_table"
				" WHERE id=1";
	static const char qs[] = "SELECT hash, actor, imported, rows, summary, source, target"
				 " FROM dir_table WHERE id=1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, with_snapshots ? qs : q, "table", "");

	memset(out, 0, sizeof(*out));
	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc) {
		pq_text(out->hash, sizeof(out->hash), r, 0, 0);
		pq_text(out->actor, sizeof(out->actor), r, 0, 1);
		out->imported = pq_int(r, 0, 2);
		rc = pq_string(&out->rows, r, 0, 3);
	}
	if (!rc)
		rc = pq_string(&out->summary, r, 0, 4);
	if (!rc && with_snapshots)
		rc = pq_bytea(&out->source, &out->source_len, r, 0, 5);
	if (!rc && with_snapshots)
		rc = pq_bytea(&out->target, &out->target_len, r, 0, 6);
	PQclear(r);
	if (rc)
		srv_table_clear(out);
	return rc;
}

ferry_err pq_prov_blob_get(struct srv_store *st, uint8_t **sealed, size_t *len, const char *key)
{
	static const char q[] = "SELECT sealed FROM prov_blobs WHERE key=$1";

	return one_blob(st, sealed, len, q, "provisioned blob", key);
}

ferry_err pq_prov_blob_put(struct srv_store *st, const char *key, const uint8_t *sealed,
			   size_t len, int64_t now)
{
	static const char q[] = "INSERT INTO prov_blobs VALUES($1,$2,$3) ON CONFLICT(key) DO NOTHING";

	return pq_run(st, q, "provisioned blob put", "tbi", key, sealed, len, now);
}

ferry_err pq_prov_blob_delete(struct srv_store *st, const char *key)
{
	static const char q[] = "DELETE FROM prov_blobs WHERE key=$1";

	return pq_run(st, q, "provisioned blob delete", "t", key);
}

ferry_err pq_prov_intent_put(struct srv_store *st, const char *key, int64_t now)
{
	static const char q[] = "INSERT INTO prov_intents VALUES($1,$2) ON CONFLICT(key) DO NOTHING";

	return pq_run(st, q, "provisioning intent", "ti", key, now);
}

ferry_err pq_prov_intent_get(struct srv_store *st, const char *key)
{
	static const char q[] = "SELECT 1 FROM prov_intents WHERE key=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "provisioning intent", "t", key);

	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	PQclear(r);
	return rc;
}

static void job_row(struct srv_prov_job *out, PGresult *r)
{
	char state[16];

	memset(out, 0, sizeof(*out));
	pq_text(out->device, sizeof(out->device), r, 0, 0);
	pq_text(out->ou, sizeof(out->ou), r, 0, 1);
	pq_text(state, sizeof(state), r, 0, 2);
	out->failed_at = pq_int(r, 0, 3);
	pq_text(out->error, sizeof(out->error), r, 0, 4);
	out->state = !strcmp(state, "running") ? SRV_PROV_RUNNING :
		     !strcmp(state, "failed") ? SRV_PROV_FAILED : SRV_PROV_QUEUED;
}

ferry_err pq_prov_job_enqueue(struct srv_store *st, struct srv_prov_job *out, const char *device,
			      const char *ou, int64_t now, int64_t retry_s)
{
	/* The insert-or-requeue and the read in one statement: a job another
	 * node changes meanwhile is read as this statement left it. */
	static const char q[] =
		"WITH up AS (INSERT INTO prov_queue(device, ou, state, queued)"
		" VALUES($1,$2,'queued',$3) ON CONFLICT(device) DO UPDATE SET state='queued',"
		" ou=excluded.ou, queued=excluded.queued, node='' WHERE prov_queue.state='failed'"
		" AND $3-prov_queue.failed_at>=$4 RETURNING device, ou, state, failed_at, error)"
		" SELECT * FROM up UNION ALL SELECT device, ou, state, failed_at, error"
		" FROM prov_queue WHERE device=$1 AND NOT EXISTS(SELECT 1 FROM up)";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "provisioning enqueue", "ttii", device, ou, now, retry_s);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_EBUSY, "provisioning job of %s changed meanwhile", device);
	if (!rc)
		job_row(out, r);
	PQclear(r);
	return rc;
}

ferry_err pq_prov_job_claim(struct srv_store *st, struct srv_prov_job *out, const char *node)
{
	static const char q[] = "UPDATE prov_queue SET state='running', node=$1 WHERE device=("
				"SELECT device FROM prov_queue WHERE state='queued'"
				" ORDER BY queued, device LIMIT 1 FOR UPDATE SKIP LOCKED)"
				" RETURNING device, ou, state, failed_at, error";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "provisioning claim", "t", node);

	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		job_row(out, r);
	PQclear(r);
	return rc;
}

ferry_err pq_prov_job_finish(struct srv_store *st, const char *device, const char *error,
			     int64_t now)
{
	static const char done[] = "DELETE FROM prov_queue WHERE device=$1";
	static const char failed[] = "UPDATE prov_queue SET state='failed', failed_at=$1,"
				     " error=$2, node='' WHERE device=$3";

	return error ? pq_run(st, failed, "provisioning finish", "itt", now, error, device)
		     : pq_run(st, done, "provisioning finish", "t", device);
}

ferry_err pq_prov_job_recover(struct srv_store *st, unsigned *requeued, const char *node)
{
	static const char q[] = "UPDATE prov_queue SET state='queued', node=''"
				" WHERE state='running' AND node<>$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "provisioning recover", "t", node);

	*requeued = rc ? 0 : (unsigned)pq_changes(r);
	PQclear(r);
	return rc;
}

ferry_err pq_versions(struct srv_store *st, uint64_t *catalog_seq, char table_hash[SRV_HASH_HEX])
{
	static const char q[] = "SELECT coalesce((SELECT sequence FROM catalog WHERE id=1), 0),"
				" coalesce((SELECT hash FROM dir_table WHERE id=1), '')";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "versions", "");

	if (!rc) {
		*catalog_seq = (uint64_t)pq_int(r, 0, 0);
		pq_text(table_hash, SRV_HASH_HEX, r, 0, 1);
	}
	PQclear(r);
	return rc;
}
