/* The PostgreSQL backend's agent ops (srv_store.h, srv_pg.h). */
#include "srv_pg.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/buf.h"
#include "util/mem.h"

/* the first key of the enrolment locks (the second: hashtext of the device) */
#define ENROL_LOCK "1179800154" /* PG_LOCK_SPACE + 1 */

ferry_err pq_agent_auth(struct srv_store *st, struct srv_agent *out, const char *id,
			const char *token_sha256, int64_t now)
{
	static const char q[] = "SELECT device, token_sha256, public_key FROM agents"
				" WHERE id=$1 AND replaced=0";
	PGresult *r = NULL;
	char hash[SRV_HASH_HEX];
	uint8_t *key = NULL;
	size_t klen = 0;
	ferry_err rc = pq_exec(st, &r, q, "agent", "t", id);

	(void)now; /* last seen: batched by the caller (devices_seen) */
	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_EAUTH, "unknown agent or token");
	if (!rc) {
		pq_text(out->device, sizeof(out->device), r, 0, 0);
		pq_text(hash, sizeof(hash), r, 0, 1);
		rc = pq_bytea(&key, &klen, r, 0, 2);
	}
	if (!rc && (klen != 32 || strlen(hash) != 64 || CRYPTO_memcmp(hash, token_sha256, 64)))
		rc = ferry_error_set(FERRY_EAUTH, "unknown agent or token");
	if (!rc) {
		memcpy(out->public_key, key, 32);
		snprintf(out->id, sizeof(out->id), "%s", id);
	}
	ferry_free(key);
	PQclear(r);
	return rc;
}

/* Append `v` to a PostgreSQL array literal, double-quoted and escaped. */
static ferry_err array_add(struct ferry_buf *b, const char *v, bool first)
{
	ferry_err rc = ferry_buf_append(b, first ? "\"" : ",\"", first ? 1 : 2);

	for (; !rc && *v; v++) {
		if (*v == '"' || *v == '\\')
			rc = ferry_buf_append(b, "\\", 1);
		if (!rc)
			rc = ferry_buf_append(b, v, 1);
	}
	return rc ? rc : ferry_buf_append(b, "\"", 1);
}

ferry_err pq_devices_seen(struct srv_store *st, const struct srv_seen *v, size_t n)
{
	/* One statement for the whole batch (a device noted several times: its
	 * latest time); rows are locked in name order so two nodes' batches over
	 * the same devices cannot deadlock. */
	static const char q[] =
		"WITH v AS (SELECT n, a, max(t) AS t FROM unnest($1::text[], $2::text[], $3::bigint[])"
		" AS u(n, a, t) GROUP BY n, a),"
		" l AS (SELECT d.name FROM devices d JOIN v ON d.name=v.n ORDER BY d.name FOR UPDATE OF d)"
		" UPDATE devices d SET last_seen=v.t FROM v WHERE d.name=v.n AND d.agent=v.a"
		" AND (d.last_seen IS NULL OR d.last_seen<v.t) AND d.name IN (SELECT name FROM l)";
	struct ferry_buf names = { 0 }, agents = { 0 }, times = { 0 };
	char num[24];
	ferry_err rc = FERRY_OK;

	if (!n)
		return FERRY_OK;
	ferry_buf_init(&names, 64u * 1024u * 1024u);
	ferry_buf_init(&agents, 64u * 1024u * 1024u);
	ferry_buf_init(&times, 64u * 1024u * 1024u);
	rc = ferry_buf_append(&names, "{", 1);
	if (!rc)
		rc = ferry_buf_append(&agents, "{", 1);
	if (!rc)
		rc = ferry_buf_append(&times, "{", 1);
	for (size_t i = 0; !rc && i < n; i++) {
		int k = snprintf(num, sizeof(num), "%s%lld", i ? "," : "", (long long)v[i].time);

		rc = array_add(&names, v[i].device, i == 0);
		if (!rc)
			rc = array_add(&agents, v[i].agent, i == 0);
		if (!rc)
			rc = ferry_buf_append(&times, num, (size_t)k);
	}
	if (!rc)
		rc = ferry_buf_append(&names, "}", 2); /* with the NUL */
	if (!rc)
		rc = ferry_buf_append(&agents, "}", 2);
	if (!rc)
		rc = ferry_buf_append(&times, "}", 2);
	if (!rc)
		rc = pq_run(st, q, "last_seen", "ttt", (const char *)names.data,
			    (const char *)agents.data, (const char *)times.data);
	ferry_buf_free(&names);
	ferry_buf_free(&agents);
	ferry_buf_free(&times);
	return rc;
}

ferry_err pq_agent_get(struct srv_store *st, struct srv_agent *out, const char *id)
{
	static const char q[] = "SELECT device, public_key FROM agents WHERE id=$1 AND replaced=0";
	PGresult *r = NULL;
	uint8_t *key = NULL;
	size_t klen = 0;
	ferry_err rc = pq_exec(st, &r, q, "agent", "t", id);

	if (!rc && PQntuples(r) != 1)
		rc = ferry_error_set(FERRY_ENOTFOUND, "no agent '%s'", id);
	if (!rc) {
		pq_text(out->device, sizeof(out->device), r, 0, 0);
		rc = pq_bytea(&key, &klen, r, 0, 1);
	}
	if (!rc) {
		if (klen == 32)
			memcpy(out->public_key, key, 32);
		snprintf(out->id, sizeof(out->id), "%s", id);
	}
	ferry_free(key);
	PQclear(r);
	return rc;
}

static ferry_err bind_agent(struct srv_store *st, const struct srv_enrol_req *r)
{
	static const char ins[] = "INSERT INTO agents(id, device, token_sha256, public_key, domain,"
				  " os, enrolled) VALUES($1,$2,$3,$4,$5,$6,$7)";
	static const char old[] = "UPDATE agents SET replaced=1 WHERE device=$1 AND id<>$2";
	static const char dev[] = "INSERT INTO devices(name, agent, added) VALUES($1,$2,$3)"
				  " ON CONFLICT(name) DO UPDATE SET agent=excluded.agent";
	ferry_err rc = pq_run(st, ins, "agent insert", "tttbtti", r->agent_id, r->device,
			      r->token_sha256, r->public_key, (size_t)32, r->domain, r->os, r->now);

	if (!rc)
		rc = pq_run(st, old, "agent replace", "tt", r->device, r->agent_id);
	if (!rc)
		rc = pq_run(st, dev, "device bind", "tti", r->device, r->agent_id, r->now);
	return rc;
}

/* A new pending request (rule 3's HELD), bounded by pending_max across nodes. */
static ferry_err hold(struct srv_store *st, struct srv_enrol_result *out,
		      const struct srv_enrol_req *r)
{
	static const char lock[] = "SELECT pg_advisory_xact_lock(" ENROL_LOCK ", 0)";
	static const char npend[] = "SELECT count(*) FROM enrol_requests WHERE status='pending'";
	static const char ins[] = "INSERT INTO enrol_requests(device, public_key, domain, os,"
				  " reason, created) VALUES($1,$2,$3,$4,$5,$6) RETURNING id";
	PGresult *res = NULL;
	ferry_err rc = pq_run(st, lock, "enrolment lock", "");

	if (!rc)
		rc = pq_exec(st, &res, npend, "pending count", "");
	if (!rc && pq_int(res, 0, 0) >= (int64_t)r->pending_max)
		rc = ferry_error_set(FERRY_EBUSY, "%u enrolments already wait for approval",
				     r->pending_max);
	PQclear(res);
	res = NULL;
	if (!rc)
		rc = pq_exec(st, &res, ins, "enrolment hold", "tbttti", r->device, r->public_key,
			     (size_t)32, r->domain, r->os, r->hold_reason, r->now);
	if (!rc)
		out->request_id = pq_int(res, 0, 0);
	PQclear(res);
	return rc;
}

/* Rule 3 for a device that has an agent already (cur: its id and key). */
static ferry_err enrol_in_tx(struct srv_store *st, struct srv_enrol_result *out,
			     const struct srv_enrol_req *r)
{
	static const char lock[] = "SELECT pg_advisory_xact_lock(" ENROL_LOCK ", hashtext($1))";
	static const char cur[] = "SELECT a.id, a.public_key FROM devices d JOIN agents a"
				  " ON a.id=d.agent AND a.replaced=0 WHERE d.name=$1";
	static const char req[] = "SELECT id, status FROM enrol_requests WHERE device=$1 AND"
				  " public_key=$2";
	static const char renew[] = "UPDATE agents SET token_sha256=$1, os=$2, domain=$3"
				    " WHERE id=$4";
	static const char used[] = "UPDATE enrol_requests SET status='granted' WHERE id=$1";
	PGresult *res = NULL;
	uint8_t *key = NULL;
	size_t klen = 0;
	char status[16] = "";
	ferry_err rc = pq_run(st, lock, "enrolment lock", "t", r->device);

	memset(out, 0, sizeof(*out));
	if (!rc)
		rc = pq_exec(st, &res, cur, "device agent", "t", r->device);
	if (!rc && PQntuples(res) == 1) {
		rc = pq_bytea(&key, &klen, res, 0, 1);
		if (!rc && r->key_ok && klen == 32 && !memcmp(key, r->public_key, 32)) {
			out->outcome = SRV_ENROL_RENEWED;
			pq_text(out->agent_id, sizeof(out->agent_id), res, 0, 0);
			rc = pq_run(st, renew, "agent renew", "tttt", r->token_sha256, r->os,
				    r->domain, out->agent_id);
			goto out;
		}
	} else if (!rc && r->key_ok) {
		out->outcome = SRV_ENROL_NEW;
		snprintf(out->agent_id, sizeof(out->agent_id), "%s", r->agent_id);
		rc = bind_agent(st, r);
		goto out;
	}
	if (rc)
		goto out;
	/* Claimed by another key, or no key: the admin decides. */
	PQclear(res);
	res = NULL;
	rc = pq_exec(st, &res, req, "enrolment request", "tb", r->device, r->public_key,
		     (size_t)32);
	if (!rc && PQntuples(res) == 1) {
		out->request_id = pq_int(res, 0, 0);
		pq_text(status, sizeof(status), res, 0, 1);
	}
	if (rc)
		goto out;
	if (!strcmp(status, "approved")) {
		out->outcome = SRV_ENROL_NEW;
		snprintf(out->agent_id, sizeof(out->agent_id), "%s", r->agent_id);
		rc = bind_agent(st, r);
		if (!rc)
			rc = pq_run(st, used, "request granted", "i", out->request_id);
	} else if (!strcmp(status, "denied") || !strcmp(status, "granted")) {
		out->outcome = SRV_ENROL_DENIED;
	} else {
		out->outcome = SRV_ENROL_HELD;
		if (!out->request_id) /* else: already pending */
			rc = hold(st, out, r);
	}
out:
	ferry_free(key);
	PQclear(res);
	return rc;
}

ferry_err pq_enrol(struct srv_store *st, struct srv_enrol_result *out,
		   const struct srv_enrol_req *r)
{
	ferry_err rc = pq_begin(st);

	if (!rc)
		rc = enrol_in_tx(st, out, r);
	if (!rc)
		rc = pq_commit(st);
	if (rc)
		pq_rollback(st);
	return rc;
}

ferry_err pq_assignment(struct srv_store *st, char etag[SRV_HASH_HEX], uint8_t **data,
			size_t *len, const char *device, const char *inm)
{
	static const char q[] = "SELECT w.bundle_etag FROM devices d JOIN waves w ON w.name=d.wave"
				" WHERE d.name=$1 AND w.bundle IS NOT NULL";
	static const char qb[] = "SELECT w.bundle, w.bundle_etag FROM devices d JOIN waves w"
				 " ON w.name=d.wave WHERE d.name=$1 AND w.bundle IS NOT NULL";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "assignment", "t", device);

	*data = NULL;
	*len = 0;
	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		pq_text(etag, SRV_HASH_HEX, r, 0, 0);
	PQclear(r);
	r = NULL;
	if (rc || (inm && !strcmp(inm, etag)))
		return rc;
	rc = pq_exec(st, &r, qb, "assignment bundle", "t", device);
	if (!rc && PQntuples(r) != 1)
		rc = FERRY_EBUSY; /* moved meanwhile */
	if (!rc)
		rc = pq_bytea(data, len, r, 0, 0);
	if (!rc)
		pq_text(etag, SRV_HASH_HEX, r, 0, 1);
	PQclear(r);
	return rc;
}

ferry_err pq_event_add(struct srv_store *st, bool *dup, const char *agent, const char *id,
		       int64_t time, const char *kind, const char *detail, int64_t now)
{
	static const char q[] = "INSERT INTO events VALUES($1,$2,$3,$4,$5,$6)"
				" ON CONFLICT(agent, id) DO NOTHING";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "event", "ttitti", agent, id, time, kind, detail, now);

	if (!rc)
		*dup = pq_changes(r) == 0;
	PQclear(r);
	return rc;
}

ferry_err pq_status_add(struct srv_store *st, bool *dup, const char *device,
			const struct srv_status *x, int64_t now)
{
	/* The history row and the device in one statement: one commit, and a
	 * report retried after a failure converges to one row and one update. */
	static const char q[] =
		"WITH h AS (INSERT INTO status_history SELECT $7::text, $1::bigint, $4::bigint,"
		" $2::text, $3::text WHERE EXISTS(SELECT 1 FROM devices WHERE name=$7)"
		" ON CONFLICT(device, seq) DO NOTHING)"
		" UPDATE devices SET status_seq=$1, phase=$2, status=$3, last_seen=$4,"
		" stage=greatest(stage, $5), progress_at=CASE WHEN $6::int<>0 OR progress_at IS NULL"
		" THEN $4 ELSE progress_at END WHERE name=$7 AND status_seq<$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "status", "ittiiit", (int64_t)x->seq, x->phase, x->json,
			       now, (int64_t)x->stage, (int64_t)x->progressed, device);

	if (!rc)
		*dup = pq_changes(r) == 0;
	PQclear(r);
	return rc;
}

ferry_err pq_odj_get(struct srv_store *st, uint8_t **sealed, size_t *len, const char *device,
		     const char *agent)
{
	static const char q[] = "SELECT sealed FROM odj WHERE device=$1 AND agent=$2";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "odj", "tt", device, agent);

	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		rc = pq_bytea(sealed, len, r, 0, 0);
	PQclear(r);
	return rc;
}

ferry_err pq_odj_put(struct srv_store *st, const char *device, const char *agent,
		     const uint8_t *sealed, size_t len, const char *sha256, const char *source,
		     int64_t now)
{
	static const char q[] = "INSERT INTO odj VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT(device)"
				" DO UPDATE SET agent=excluded.agent, sealed=excluded.sealed,"
				" sha256=excluded.sha256, source=excluded.source,"
				" created=excluded.created";

	return pq_run(st, q, "odj put", "ttbtti", device, agent, sealed, len, sha256, source, now);
}

ferry_err pq_odj_delete(struct srv_store *st, const char *device)
{
	static const char q[] = "DELETE FROM odj WHERE device=$1";

	return pq_run(st, q, "odj delete", "t", device);
}

ferry_err pq_escrow_put(struct srv_store *st, bool *replaced, const char *device,
			const char *agent, const uint8_t *sealed, size_t len, int64_t now)
{
	static const char had[] = "SELECT 1 FROM escrow WHERE device=$1 FOR UPDATE";
	static const char q[] = "INSERT INTO escrow VALUES($1,$2,$3,$4) ON CONFLICT(device)"
				" DO UPDATE SET agent=excluded.agent, sealed=excluded.sealed,"
				" received=excluded.received";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, had, "escrow", "t", device);

	*replaced = !rc && PQntuples(r) == 1;
	PQclear(r);
	return rc ? rc : pq_run(st, q, "escrow put", "ttbi", device, agent, sealed, len, now);
}

ferry_err pq_escrow_get(struct srv_store *st, uint8_t **sealed, size_t *len,
			char agent[SRV_ID_MAX], const char *device)
{
	static const char q[] = "SELECT sealed, agent FROM escrow WHERE device=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "escrow", "t", device);

	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		rc = pq_bytea(sealed, len, r, 0, 0);
	if (!rc)
		pq_text(agent, SRV_ID_MAX, r, 0, 1);
	PQclear(r);
	return rc;
}

ferry_err pq_prune(struct srv_store *st, uint64_t *deleted, int64_t events_before,
		   int64_t status_before, unsigned limit)
{
	static const char ev[] = "DELETE FROM events WHERE ctid IN (SELECT ctid FROM events"
				 " WHERE received<$1 LIMIT $2)";
	static const char sh[] = "DELETE FROM status_history WHERE ctid IN (SELECT ctid FROM"
				 " status_history WHERE received<$1 LIMIT $2)";
	PGresult *r = NULL;
	ferry_err rc = FERRY_OK;

	*deleted = 0;
	if (events_before > 0) {
		rc = pq_exec(st, &r, ev, "prune events", "ii", events_before, (int64_t)limit);
		*deleted += rc ? 0 : pq_changes(r);
		PQclear(r);
		r = NULL;
	}
	if (!rc && status_before > 0) {
		rc = pq_exec(st, &r, sh, "prune status history", "ii", status_before,
			     (int64_t)limit);
		*deleted += rc ? 0 : pq_changes(r);
		PQclear(r);
	}
	return rc;
}

ferry_err pq_profiles_put(struct srv_store *st, const char *device, const char *json,
			  int64_t now)
{
	static const char q[] = "INSERT INTO device_profiles VALUES($1,$2,$3) ON CONFLICT(device)"
				" DO UPDATE SET sids=EXCLUDED.sids, updated=EXCLUDED.updated";

	return pq_run(st, q, "profiles put", "tti", device, json, now);
}

ferry_err pq_profiles_get(struct srv_store *st, char **json, const char *device)
{
	static const char q[] = "SELECT sids FROM device_profiles WHERE device=$1";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "profiles", "t", device);

	*json = NULL;
	if (!rc && PQntuples(r) != 1)
		rc = FERRY_ENOTFOUND;
	if (!rc)
		rc = pq_string(json, r, 0, 0);
	PQclear(r);
	return rc;
}
