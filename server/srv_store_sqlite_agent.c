/* The SQLite backend's agent ops (srv_store.h, srv_sqlite.h). */
#include "srv_sqlite.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/mem.h"

ferry_err sq_agent_auth(struct srv_store *st, struct srv_agent *out, const char *id,
			       const char *token_sha256, int64_t now)
{
	static const char q[] = "SELECT device, token_sha256, public_key FROM agents"
				" WHERE id=? AND replaced=0";
	sqlite3_stmt *s = NULL;
	char hash[SRV_HASH_HEX];
	ferry_err rc = sq_prep(st, &s, q, "t", id);

	if (!rc)
		rc = sq_step_row(s, "agent");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(FERRY_EAUTH, "unknown agent or token");
	if (rc)
		return rc;
	sq_col_text(out->device, sizeof(out->device), s, 0);
	sq_col_text(hash, sizeof(hash), s, 1);
	if (sqlite3_column_bytes(s, 2) != 32 || strlen(hash) != 64 ||
	    CRYPTO_memcmp(hash, token_sha256, 64)) {
		sqlite3_reset(s);
		return ferry_error_set(FERRY_EAUTH, "unknown agent or token");
	}
	memcpy(out->public_key, sqlite3_column_blob(s, 2), 32);
	snprintf(out->id, sizeof(out->id), "%s", id);
	sqlite3_reset(s);
	(void)now; /* last seen: batched by the caller (devices_seen) */
	return FERRY_OK;
}

ferry_err sq_devices_seen(struct srv_store *st, const struct srv_seen *v, size_t n)
{
	static const char seen[] = "UPDATE devices SET last_seen=? WHERE name=? AND agent=?"
				   " AND (last_seen IS NULL OR last_seen<?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_begin(st);

	for (size_t i = 0; !rc && i < n; i++) {
		rc = sq_prep(st, &s, seen, "itti", v[i].time, v[i].device, v[i].agent, v[i].time);
		if (!rc)
			rc = sq_step_done(s, "last_seen");
	}
	if (!rc)
		rc = sq_commit(st);
	if (rc)
		sq_rollback(st);
	return rc;
}

ferry_err sq_agent_get(struct srv_store *st, struct srv_agent *out, const char *id)
{
	static const char q[] = "SELECT device, public_key FROM agents WHERE id=? AND replaced=0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", id);

	if (!rc)
		rc = sq_step_row(s, "agent");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no agent '%s'", id);
	if (rc)
		return rc;
	sq_col_text(out->device, sizeof(out->device), s, 0);
	if (sqlite3_column_bytes(s, 1) == 32)
		memcpy(out->public_key, sqlite3_column_blob(s, 1), 32);
	snprintf(out->id, sizeof(out->id), "%s", id);
	sqlite3_reset(s);
	return FERRY_OK;
}

static ferry_err bind_agent(struct srv_store *st, const struct srv_enrol_req *r)
{
	static const char ins[] = "INSERT INTO agents(id, device, token_sha256, public_key, domain,"
				  " os, enrolled) VALUES(?,?,?,?,?,?,?)";
	static const char old[] = "UPDATE agents SET replaced=1 WHERE device=? AND id<>?";
	static const char dev[] = "INSERT INTO devices(name, agent, added) VALUES(?,?,?)"
				  " ON CONFLICT(name) DO UPDATE SET agent=excluded.agent";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, ins, "tttbtti", r->agent_id, r->device, r->token_sha256,
			    r->public_key, (size_t)32, r->domain, r->os, r->now);

	if (!rc)
		rc = sq_step_done(s, "agent insert");
	if (!rc)
		rc = sq_prep(st, &s, old, "tt", r->device, r->agent_id);
	if (!rc)
		rc = sq_step_done(s, "agent replace");
	if (!rc)
		rc = sq_prep(st, &s, dev, "tti", r->device, r->agent_id, r->now);
	if (!rc)
		rc = sq_step_done(s, "device bind");
	return rc;
}

static ferry_err enrol_in_tx(struct srv_store *st, struct srv_enrol_result *out,
			     const struct srv_enrol_req *r)
{
	static const char cur[] = "SELECT a.id, a.public_key FROM devices d JOIN agents a"
				  " ON a.id=d.agent AND a.replaced=0 WHERE d.name=?";
	static const char req[] = "SELECT id, status FROM enrol_requests WHERE device=? AND"
				  " public_key=?";
	static const char renew[] = "UPDATE agents SET token_sha256=?, os=?, domain=? WHERE id=?";
	static const char npend[] = "SELECT count(*) FROM enrol_requests WHERE status='pending'";
	static const char hold[] = "INSERT INTO enrol_requests(device, public_key, domain, os,"
				   " reason, created) VALUES(?,?,?,?,?,?)";
	static const char used[] = "UPDATE enrol_requests SET status='granted' WHERE id=?";
	sqlite3_stmt *s = NULL;
	char status[16] = "";
	int64_t req_id = 0;
	ferry_err rc;

	memset(out, 0, sizeof(*out));
	rc = sq_prep(st, &s, cur, "t", r->device);
	if (!rc)
		rc = sq_step_row(s, "device agent");
	if (!rc) {
		bool same = sqlite3_column_bytes(s, 1) == 32 &&
			    !memcmp(sqlite3_column_blob(s, 1), r->public_key, 32);

		sq_col_text(out->agent_id, sizeof(out->agent_id), s, 0);
		sqlite3_reset(s);
		if (same && r->key_ok) {
			out->outcome = SRV_ENROL_RENEWED;
			rc = sq_prep(st, &s, renew, "tttt", r->token_sha256, r->os, r->domain,
				  out->agent_id);
			return rc ? rc : sq_step_done(s, "agent renew");
		}
		out->agent_id[0] = '\0';
	} else if (rc == FERRY_ENOTFOUND) {
		if (r->key_ok) {
			out->outcome = SRV_ENROL_NEW;
			snprintf(out->agent_id, sizeof(out->agent_id), "%s", r->agent_id);
			return bind_agent(st, r);
		}
		rc = FERRY_OK;
	}
	if (rc)
		return rc;
	/* Claimed by another key, or no key: the admin decides. */
	rc = sq_prep(st, &s, req, "tb", r->device, r->public_key, (size_t)32);
	if (!rc)
		rc = sq_step_row(s, "enrolment request");
	if (!rc) {
		req_id = sqlite3_column_int64(s, 0);
		sq_col_text(status, sizeof(status), s, 1);
		sqlite3_reset(s);
	} else if (rc != FERRY_ENOTFOUND) {
		return rc;
	}
	out->request_id = req_id;
	if (!strcmp(status, "approved")) {
		out->outcome = SRV_ENROL_NEW;
		snprintf(out->agent_id, sizeof(out->agent_id), "%s", r->agent_id);
		rc = bind_agent(st, r);
		if (!rc)
			rc = sq_prep(st, &s, used, "i", req_id);
		return rc ? rc : sq_step_done(s, "request granted");
	}
	if (!strcmp(status, "denied") || !strcmp(status, "granted")) {
		out->outcome = SRV_ENROL_DENIED;
		return FERRY_OK;
	}
	out->outcome = SRV_ENROL_HELD;
	if (req_id)
		return FERRY_OK; /* already pending */
	rc = sq_prep(st, &s, npend, "");
	if (!rc)
		rc = sq_step_row(s, "pending count");
	if (rc)
		return rc;
	if (sqlite3_column_int64(s, 0) >= (int64_t)r->pending_max) {
		sqlite3_reset(s);
		return ferry_error_set(FERRY_EBUSY, "%u enrolments already wait for approval",
				       r->pending_max);
	}
	sqlite3_reset(s);
	rc = sq_prep(st, &s, hold, "tbttti", r->device, r->public_key, (size_t)32, r->domain, r->os,
		  r->hold_reason, r->now);
	if (!rc)
		rc = sq_step_done(s, "enrolment hold");
	if (!rc) {
		struct conn *c = NULL;

		if (!sq_conn_get((struct sq *)st, &c))
			out->request_id = sqlite3_last_insert_rowid(c->db);
	}
	return rc;
}

ferry_err sq_enrol(struct srv_store *st, struct srv_enrol_result *out,
			  const struct srv_enrol_req *r)
{
	ferry_err rc = sq_begin(st);

	if (!rc)
		rc = enrol_in_tx(st, out, r);
	if (!rc)
		rc = sq_commit(st);
	if (rc)
		sq_rollback(st);
	return rc;
}

ferry_err sq_assignment(struct srv_store *st, char etag[SRV_HASH_HEX], uint8_t **data,
			       size_t *len, const char *device, const char *inm)
{
	static const char q[] = "SELECT w.bundle_etag FROM devices d JOIN waves w ON w.name=d.wave"
				" WHERE d.name=? AND w.bundle IS NOT NULL";
	static const char qb[] = "SELECT w.bundle, w.bundle_etag FROM devices d JOIN waves w"
				 " ON w.name=d.wave WHERE d.name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", device);

	*data = NULL;
	*len = 0;
	if (!rc)
		rc = sq_step_row(s, "assignment");
	if (rc)
		return rc;
	sq_col_text(etag, SRV_HASH_HEX, s, 0);
	sqlite3_reset(s);
	if (inm && !strcmp(inm, etag))
		return FERRY_OK;
	rc = sq_prep(st, &s, qb, "t", device);
	if (!rc)
		rc = sq_step_row(s, "assignment bundle");
	if (rc)
		return rc == FERRY_ENOTFOUND ? FERRY_EBUSY : rc; /* moved meanwhile */
	rc = sq_col_blob(data, len, s, 0);
	sq_col_text(etag, SRV_HASH_HEX, s, 1);
	sqlite3_reset(s);
	return rc;
}

ferry_err sq_event_add(struct srv_store *st, bool *dup, const char *agent, const char *id,
			      int64_t time, const char *kind, const char *detail, int64_t now)
{
	static const char q[] = "INSERT OR IGNORE INTO events VALUES(?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ttitti", agent, id, time, kind, detail, now);

	if (!rc)
		rc = sq_step_done(s, "event");
	if (!rc)
		*dup = sqlite3_changes(sqlite3_db_handle(s)) == 0;
	return rc;
}

ferry_err sq_status_add(struct srv_store *st, bool *dup, const char *device,
			const struct srv_status *x, int64_t now)
{
	/* History first: both statements are idempotent, so a report retried
	 * after a failure between them converges to one row and one update. */
	static const char h[] = "INSERT OR IGNORE INTO status_history SELECT ?,?,?,?,?"
				" WHERE EXISTS(SELECT 1 FROM devices WHERE name=?)";
	static const char q[] = "UPDATE devices SET status_seq=?, phase=?, status=?, last_seen=?,"
				" stage=max(stage, ?), progress_at=CASE WHEN ? OR progress_at IS NULL"
				" THEN ? ELSE progress_at END WHERE name=? AND status_seq<?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, h, "tiitt" "t", device, (int64_t)x->seq, now, x->phase,
			       x->json, device);

	if (!rc)
		rc = sq_step_done(s, "status history");
	if (!rc)
		rc = sq_prep(st, &s, q, "ittiiiiti", (int64_t)x->seq, x->phase, x->json, now,
			     (int64_t)x->stage, (int64_t)x->progressed, now, device, (int64_t)x->seq);
	if (!rc)
		rc = sq_step_done(s, "status");
	if (!rc)
		*dup = sqlite3_changes(sqlite3_db_handle(s)) == 0;
	return rc;
}

ferry_err sq_prune(struct srv_store *st, uint64_t *deleted, int64_t events_before,
		   int64_t status_before, unsigned limit)
{
	static const char ev[] = "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events"
				 " WHERE received<? LIMIT ?)";
	static const char sh[] = "DELETE FROM status_history WHERE rowid IN (SELECT rowid FROM"
				 " status_history WHERE received<? LIMIT ?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = FERRY_OK;

	*deleted = 0;
	if (events_before > 0) {
		rc = sq_prep(st, &s, ev, "ii", events_before, (int64_t)limit);
		if (!rc)
			rc = sq_step_done(s, "prune events");
		if (!rc)
			*deleted += (uint64_t)sqlite3_changes(sqlite3_db_handle(s));
	}
	if (!rc && status_before > 0) {
		rc = sq_prep(st, &s, sh, "ii", status_before, (int64_t)limit);
		if (!rc)
			rc = sq_step_done(s, "prune status history");
		if (!rc)
			*deleted += (uint64_t)sqlite3_changes(sqlite3_db_handle(s));
	}
	return rc;
}

ferry_err sq_odj_get(struct srv_store *st, uint8_t **sealed, size_t *len,
			    const char *device, const char *agent)
{
	static const char q[] = "SELECT sealed FROM odj WHERE device=? AND agent=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "tt", device, agent);

	if (!rc)
		rc = sq_step_row(s, "odj");
	if (!rc) {
		rc = sq_col_blob(sealed, len, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

ferry_err sq_odj_put(struct srv_store *st, const char *device, const char *agent,
			    const uint8_t *sealed, size_t len, const char *sha256, const char *source,
			    int64_t now)
{
	static const char q[] = "INSERT OR REPLACE INTO odj VALUES(?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "ttbtti", device, agent, sealed, len, sha256, source, now);

	return rc ? rc : sq_step_done(s, "odj put");
}

ferry_err sq_odj_delete(struct srv_store *st, const char *device)
{
	static const char q[] = "DELETE FROM odj WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", device);

	return rc ? rc : sq_step_done(s, "odj delete");
}

ferry_err sq_escrow_put(struct srv_store *st, bool *replaced, const char *device,
			       const char *agent, const uint8_t *sealed, size_t len, int64_t now)
{
	static const char q[] = "INSERT OR REPLACE INTO escrow VALUES(?,?,?,?)";
	static const char had[] = "SELECT 1 FROM escrow WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, had, "t", device);

	if (!rc)
		rc = sq_step_row(s, "escrow");
	*replaced = rc == FERRY_OK;
	if (rc == FERRY_OK || rc == FERRY_ENOTFOUND) {
		sqlite3_reset(s);
		rc = sq_prep(st, &s, q, "ttbi", device, agent, sealed, len, now);
	}
	return rc ? rc : sq_step_done(s, "escrow put");
}

ferry_err sq_escrow_get(struct srv_store *st, uint8_t **sealed, size_t *len,
			       char agent[SRV_ID_MAX], const char *device)
{
	static const char q[] = "SELECT sealed, agent FROM escrow WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", device);

	if (!rc)
		rc = sq_step_row(s, "escrow");
	if (!rc) {
		rc = sq_col_blob(sealed, len, s, 0);
		sq_col_text(agent, SRV_ID_MAX, s, 1);
		sqlite3_reset(s);
	}
	return rc;
}

ferry_err sq_profiles_put(struct srv_store *st, const char *device, const char *json,
			  int64_t now)
{
	static const char q[] = "INSERT OR REPLACE INTO device_profiles VALUES(?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "tti", device, json, now);

	return rc ? rc : sq_step_done(s, "profiles put");
}

ferry_err sq_profiles_get(struct srv_store *st, char **json, const char *device)
{
	static const char q[] = "SELECT sids FROM device_profiles WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, q, "t", device);

	*json = NULL;
	if (!rc)
		rc = sq_step_row(s, "profiles");
	if (!rc) {
		rc = sq_col_string(json, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}
