/*
 * The SQLite backend of srv_store.h: one database file in WAL mode, one
 * connection per server thread (SQLite connections are not shared between
 * threads), each with a small cache of prepared statements. Writers
 * serialise on SQLite's write lock (BEGIN IMMEDIATE, 5 s busy timeout);
 * readers never block them (WAL).
 *
 * Schema version 1 (meta.schema_version); see schema[] below. Device names
 * and agent ids are text keys; tokens are stored only as SHA-256 hex.
 */
#include "srv_store.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "util/mem.h"

#define STMT_CACHE 96 /* more than the distinct statements below */
#define SCHEMA_VERSION "1"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS waves(name TEXT PRIMARY KEY, created INTEGER NOT NULL,"
	" bundle BLOB, bundle_etag TEXT);"
	"CREATE TABLE IF NOT EXISTS wave_runbooks(wave TEXT NOT NULL, runbook TEXT NOT NULL,"
	" available_from INTEGER NOT NULL, enforced_after INTEGER NOT NULL, PRIMARY KEY(wave, runbook));"
	"CREATE TABLE IF NOT EXISTS devices(name TEXT PRIMARY KEY, wave TEXT, agent TEXT,"
	" added INTEGER NOT NULL, phase TEXT, stage INTEGER NOT NULL DEFAULT 0,"
	" status_seq INTEGER NOT NULL DEFAULT 0, status TEXT, progress_at INTEGER, last_seen INTEGER);"
	"CREATE INDEX IF NOT EXISTS devices_wave ON devices(wave);"
	"CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, device TEXT NOT NULL,"
	" token_sha256 TEXT NOT NULL, public_key BLOB NOT NULL, domain TEXT, os TEXT,"
	" enrolled INTEGER NOT NULL, replaced INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS enrol_requests(id INTEGER PRIMARY KEY, device TEXT NOT NULL,"
	" public_key BLOB NOT NULL, domain TEXT, os TEXT, reason TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending', created INTEGER NOT NULL, UNIQUE(device, public_key));"
	"CREATE TABLE IF NOT EXISTS events(agent TEXT NOT NULL, id TEXT NOT NULL, time INTEGER,"
	" kind TEXT NOT NULL, detail TEXT NOT NULL, received INTEGER NOT NULL, PRIMARY KEY(agent, id));"
	"CREATE TABLE IF NOT EXISTS odj(device TEXT PRIMARY KEY, agent TEXT NOT NULL,"
	" sealed BLOB NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS escrow(device TEXT PRIMARY KEY, agent TEXT NOT NULL,"
	" sealed BLOB NOT NULL, received INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tokens(sha256 TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
	" detail TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS catalog(id INTEGER PRIMARY KEY CHECK(id=1),"
	" sequence INTEGER NOT NULL, envelope BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS assignments(agent TEXT PRIMARY KEY, inputs TEXT NOT NULL,"
	" sequence INTEGER NOT NULL, envelope BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS prov_blobs(key TEXT PRIMARY KEY, sealed BLOB NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS prov_intents(key TEXT PRIMARY KEY, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS dir_table(id INTEGER PRIMARY KEY CHECK(id=1), hash TEXT NOT NULL,"
	" actor TEXT NOT NULL, imported INTEGER NOT NULL, source BLOB NOT NULL, target BLOB NOT NULL,"
	" rows TEXT NOT NULL, summary TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS dir_findings(id INTEGER PRIMARY KEY CHECK(id=1),"
	" findings TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS status_history(device TEXT NOT NULL, seq INTEGER NOT NULL,"
	" received INTEGER NOT NULL, phase TEXT NOT NULL, report TEXT NOT NULL,"
	" PRIMARY KEY(device, seq));"
	"CREATE INDEX IF NOT EXISTS agents_device ON agents(device);"
	"CREATE TABLE IF NOT EXISTS sessions(sha256 TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL,"
	" csrf TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES('schema_version', '" SCHEMA_VERSION "');";

struct conn {
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *s;
	} cache[STMT_CACHE];
	struct conn *next;
};

struct sq {
	struct srv_store base;
	char *path;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns */
	struct conn *conns;
};

static ferry_err db_err(sqlite3 *db, int rc, const char *what)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return ferry_error_set(FERRY_EBUSY, "database busy: %s", what);
	if (rc == SQLITE_CONSTRAINT)
		return ferry_error_set(FERRY_EMISMATCH, "database constraint: %s", what);
	return ferry_error_set(FERRY_EIO, "database: %s: %s", what, db ? sqlite3_errmsg(db) : "");
}

static ferry_err conn_open(struct conn **out, const char *path, bool create)
{
	struct conn *c = ferry_calloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	ferry_err rc = FERRY_OK;
	int src;

	if (!c)
		return ferry_error_set(FERRY_ENOMEM, "database connection");
	src = sqlite3_open_v2(path, &c->db, flags, NULL);
	if (src != SQLITE_OK) {
		rc = ferry_error_set(FERRY_EIO, "database %s: %s", path,
				     c->db ? sqlite3_errmsg(c->db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(c->db, 5000);
	/* Reads through a memory map and a 32 MiB page cache: at 50,000 devices
	 * the database outgrows SQLite's 2 MiB default and each poll's lookups
	 * otherwise cost read() calls (scripts/bench-server). */
	src = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			   "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"
			   "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;", NULL, NULL, NULL);
	if (src != SQLITE_OK)
		rc = db_err(c->db, src, path);
out:
	if (rc) {
		sqlite3_close(c->db);
		ferry_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

static void conn_close(struct conn *c)
{
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(c->cache[i].s);
	sqlite3_close(c->db);
	ferry_free(c);
}

/* This thread's connection, opened on first use. */
static ferry_err conn_get(struct sq *q, struct conn **out)
{
	struct conn *c = pthread_getspecific(q->key);
	ferry_err rc;

	if (c) {
		*out = c;
		return FERRY_OK;
	}
	rc = conn_open(&c, q->path, false);
	if (rc)
		return rc;
	pthread_mutex_lock(&q->lock);
	c->next = q->conns;
	q->conns = c;
	pthread_mutex_unlock(&q->lock);
	pthread_setspecific(q->key, c);
	*out = c;
	return FERRY_OK;
}

/* A cached statement, reset and with its bindings cleared. */
static ferry_err stmt(struct conn *c, const char *sql, sqlite3_stmt **out)
{
	int i, rc;

	for (i = 0; i < STMT_CACHE && c->cache[i].sql; i++)
		if (c->cache[i].sql == sql) {
			sqlite3_reset(c->cache[i].s);
			sqlite3_clear_bindings(c->cache[i].s);
			*out = c->cache[i].s;
			return FERRY_OK;
		}
	if (i == STMT_CACHE)
		return ferry_error_set(FERRY_ERANGE, "statement cache full");
	rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->cache[i].s, NULL);
	if (rc != SQLITE_OK)
		return db_err(c->db, rc, "prepare");
	c->cache[i].sql = sql;
	*out = c->cache[i].s;
	return FERRY_OK;
}

/*
 * Prepare sql on this thread's connection and bind its parameters from
 * `types`: t text (const char *, NULL binds NULL), i int64, b blob
 * (const void *, size_t). The caller steps it.
 */
static ferry_err prep(struct srv_store *st, sqlite3_stmt **out, const char *sql,
		      const char *types, ...)
{
	struct sq *q = (struct sq *)st;
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	va_list ap;
	ferry_err rc = conn_get(q, &c);
	int n = 0, brc = SQLITE_OK;

	if (!rc)
		rc = stmt(c, sql, &s);
	if (rc)
		return rc;
	va_start(ap, types);
	for (const char *t = types; *t && brc == SQLITE_OK; t++) {
		n++;
		if (*t == 't') {
			const char *v = va_arg(ap, const char *);

			brc = v ? sqlite3_bind_text(s, n, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, n);
		} else if (*t == 'i') {
			brc = sqlite3_bind_int64(s, n, va_arg(ap, int64_t));
		} else {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);

			brc = sqlite3_bind_blob64(s, n, p, len, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	if (brc != SQLITE_OK)
		return db_err(c->db, brc, "bind");
	*out = s;
	return FERRY_OK;
}

static ferry_err step_done(sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return FERRY_OK;
	}
	rc = sqlite3_reset(s);
	return db_err(sqlite3_db_handle(s), rc, what);
}

/* Step once: FERRY_OK with a row, FERRY_ENOTFOUND without. */
static ferry_err step_row(sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return FERRY_OK;
	if (rc == SQLITE_DONE)
		return FERRY_ENOTFOUND;
	rc = sqlite3_reset(s);
	return db_err(sqlite3_db_handle(s), rc, what);
}

static void col_text(char *out, size_t cap, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static ferry_err col_blob(uint8_t **out, size_t *len, sqlite3_stmt *s, int i)
{
	int n = sqlite3_column_bytes(s, i);
	const void *p = sqlite3_column_blob(s, i);

	*out = ferry_malloc(n ? (size_t)n : 1);
	if (!*out)
		return ferry_error_set(FERRY_ENOMEM, "database blob");
	if (n)
		memcpy(*out, p, (size_t)n);
	*len = (size_t)n;
	return FERRY_OK;
}

static ferry_err must_change(sqlite3_stmt *s, const char *what, const char *name);

static ferry_err exec_sql(struct srv_store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, sql, "");

	return rc ? rc : step_done(s, what);
}

static ferry_err sq_begin(struct srv_store *st)
{
	return exec_sql(st, "BEGIN IMMEDIATE", "begin");
}

static ferry_err sq_commit(struct srv_store *st)
{
	return exec_sql(st, "COMMIT", "commit");
}

static void sq_rollback(struct srv_store *st)
{
	struct sq *q = (struct sq *)st;
	struct conn *c = NULL;

	if (!conn_get(q, &c) && !sqlite3_get_autocommit(c->db))
		(void)exec_sql(st, "ROLLBACK", "rollback");
}

static ferry_err sq_agent_auth(struct srv_store *st, struct srv_agent *out, const char *id,
			       const char *token_sha256, int64_t now)
{
	static const char q[] = "SELECT device, token_sha256, public_key FROM agents"
				" WHERE id=? AND replaced=0";
	sqlite3_stmt *s = NULL;
	char hash[SRV_HASH_HEX];
	ferry_err rc = prep(st, &s, q, "t", id);

	if (!rc)
		rc = step_row(s, "agent");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(FERRY_EAUTH, "unknown agent or token");
	if (rc)
		return rc;
	col_text(out->device, sizeof(out->device), s, 0);
	col_text(hash, sizeof(hash), s, 1);
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

static ferry_err sq_devices_seen(struct srv_store *st, const struct srv_seen *v, size_t n)
{
	static const char seen[] = "UPDATE devices SET last_seen=? WHERE name=? AND agent=?"
				   " AND (last_seen IS NULL OR last_seen<?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_begin(st);

	for (size_t i = 0; !rc && i < n; i++) {
		rc = prep(st, &s, seen, "itti", v[i].time, v[i].device, v[i].agent, v[i].time);
		if (!rc)
			rc = step_done(s, "last_seen");
	}
	if (!rc)
		rc = sq_commit(st);
	if (rc)
		sq_rollback(st);
	return rc;
}

static ferry_err sq_agent_get(struct srv_store *st, struct srv_agent *out, const char *id)
{
	static const char q[] = "SELECT device, public_key FROM agents WHERE id=? AND replaced=0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", id);

	if (!rc)
		rc = step_row(s, "agent");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no agent '%s'", id);
	if (rc)
		return rc;
	col_text(out->device, sizeof(out->device), s, 0);
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
	ferry_err rc = prep(st, &s, ins, "tttbtti", r->agent_id, r->device, r->token_sha256,
			    r->public_key, (size_t)32, r->domain, r->os, r->now);

	if (!rc)
		rc = step_done(s, "agent insert");
	if (!rc)
		rc = prep(st, &s, old, "tt", r->device, r->agent_id);
	if (!rc)
		rc = step_done(s, "agent replace");
	if (!rc)
		rc = prep(st, &s, dev, "tti", r->device, r->agent_id, r->now);
	if (!rc)
		rc = step_done(s, "device bind");
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
	rc = prep(st, &s, cur, "t", r->device);
	if (!rc)
		rc = step_row(s, "device agent");
	if (!rc) {
		bool same = sqlite3_column_bytes(s, 1) == 32 &&
			    !memcmp(sqlite3_column_blob(s, 1), r->public_key, 32);

		col_text(out->agent_id, sizeof(out->agent_id), s, 0);
		sqlite3_reset(s);
		if (same && r->key_ok) {
			out->outcome = SRV_ENROL_RENEWED;
			rc = prep(st, &s, renew, "tttt", r->token_sha256, r->os, r->domain,
				  out->agent_id);
			return rc ? rc : step_done(s, "agent renew");
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
	rc = prep(st, &s, req, "tb", r->device, r->public_key, (size_t)32);
	if (!rc)
		rc = step_row(s, "enrolment request");
	if (!rc) {
		req_id = sqlite3_column_int64(s, 0);
		col_text(status, sizeof(status), s, 1);
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
			rc = prep(st, &s, used, "i", req_id);
		return rc ? rc : step_done(s, "request granted");
	}
	if (!strcmp(status, "denied") || !strcmp(status, "granted")) {
		out->outcome = SRV_ENROL_DENIED;
		return FERRY_OK;
	}
	out->outcome = SRV_ENROL_HELD;
	if (req_id)
		return FERRY_OK; /* already pending */
	rc = prep(st, &s, npend, "");
	if (!rc)
		rc = step_row(s, "pending count");
	if (rc)
		return rc;
	if (sqlite3_column_int64(s, 0) >= (int64_t)r->pending_max) {
		sqlite3_reset(s);
		return ferry_error_set(FERRY_EBUSY, "%u enrolments already wait for approval",
				       r->pending_max);
	}
	sqlite3_reset(s);
	rc = prep(st, &s, hold, "tbttti", r->device, r->public_key, (size_t)32, r->domain, r->os,
		  r->hold_reason, r->now);
	if (!rc)
		rc = step_done(s, "enrolment hold");
	if (!rc) {
		struct conn *c = NULL;

		if (!conn_get((struct sq *)st, &c))
			out->request_id = sqlite3_last_insert_rowid(c->db);
	}
	return rc;
}

static ferry_err sq_enrol(struct srv_store *st, struct srv_enrol_result *out,
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

static ferry_err sq_assignment(struct srv_store *st, char etag[SRV_HASH_HEX], uint8_t **data,
			       size_t *len, const char *device, const char *inm)
{
	static const char q[] = "SELECT w.bundle_etag FROM devices d JOIN waves w ON w.name=d.wave"
				" WHERE d.name=? AND w.bundle IS NOT NULL";
	static const char qb[] = "SELECT w.bundle, w.bundle_etag FROM devices d JOIN waves w"
				 " ON w.name=d.wave WHERE d.name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", device);

	*data = NULL;
	*len = 0;
	if (!rc)
		rc = step_row(s, "assignment");
	if (rc)
		return rc;
	col_text(etag, SRV_HASH_HEX, s, 0);
	sqlite3_reset(s);
	if (inm && !strcmp(inm, etag))
		return FERRY_OK;
	rc = prep(st, &s, qb, "t", device);
	if (!rc)
		rc = step_row(s, "assignment bundle");
	if (rc)
		return rc == FERRY_ENOTFOUND ? FERRY_EBUSY : rc; /* moved meanwhile */
	rc = col_blob(data, len, s, 0);
	col_text(etag, SRV_HASH_HEX, s, 1);
	sqlite3_reset(s);
	return rc;
}

static ferry_err sq_event_add(struct srv_store *st, bool *dup, const char *agent, const char *id,
			      int64_t time, const char *kind, const char *detail, int64_t now)
{
	static const char q[] = "INSERT OR IGNORE INTO events VALUES(?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ttitti", agent, id, time, kind, detail, now);

	if (!rc)
		rc = step_done(s, "event");
	if (!rc)
		*dup = sqlite3_changes(sqlite3_db_handle(s)) == 0;
	return rc;
}

static ferry_err sq_status_add(struct srv_store *st, bool *dup, const char *device,
			       const struct srv_status *x, int64_t now)
{
	static const char q[] = "UPDATE devices SET status_seq=?, phase=?, status=?, last_seen=?,"
				" stage=max(stage, ?), progress_at=CASE WHEN ? OR progress_at IS NULL"
				" THEN ? ELSE progress_at END WHERE name=? AND status_seq<?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ittiiiiti", (int64_t)x->seq, x->phase, x->json, now,
			    (int64_t)x->stage, (int64_t)x->progressed, now, device, (int64_t)x->seq);

	static const char h[] = "INSERT OR IGNORE INTO status_history VALUES(?,?,?,?,?)";

	if (!rc)
		rc = step_done(s, "status");
	if (!rc)
		*dup = sqlite3_changes(sqlite3_db_handle(s)) == 0;
	if (!rc && !*dup)
		rc = prep(st, &s, h, "tiitt", device, (int64_t)x->seq, now, x->phase, x->json);
	if (!rc && !*dup)
		rc = step_done(s, "status history");
	return rc;
}

static ferry_err sq_odj_get(struct srv_store *st, uint8_t **sealed, size_t *len,
			    const char *device, const char *agent)
{
	static const char q[] = "SELECT sealed FROM odj WHERE device=? AND agent=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "tt", device, agent);

	if (!rc)
		rc = step_row(s, "odj");
	if (!rc) {
		rc = col_blob(sealed, len, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

static ferry_err sq_odj_put(struct srv_store *st, const char *device, const char *agent,
			    const uint8_t *sealed, size_t len, const char *sha256, const char *source,
			    int64_t now)
{
	static const char q[] = "INSERT OR REPLACE INTO odj VALUES(?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ttbtti", device, agent, sealed, len, sha256, source, now);

	return rc ? rc : step_done(s, "odj put");
}

static ferry_err sq_odj_delete(struct srv_store *st, const char *device)
{
	static const char q[] = "DELETE FROM odj WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", device);

	return rc ? rc : step_done(s, "odj delete");
}

static ferry_err sq_escrow_put(struct srv_store *st, bool *replaced, const char *device,
			       const char *agent, const uint8_t *sealed, size_t len, int64_t now)
{
	static const char q[] = "INSERT OR REPLACE INTO escrow VALUES(?,?,?,?)";
	static const char had[] = "SELECT 1 FROM escrow WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, had, "t", device);

	if (!rc)
		rc = step_row(s, "escrow");
	*replaced = rc == FERRY_OK;
	if (rc == FERRY_OK || rc == FERRY_ENOTFOUND) {
		sqlite3_reset(s);
		rc = prep(st, &s, q, "ttbi", device, agent, sealed, len, now);
	}
	return rc ? rc : step_done(s, "escrow put");
}

static ferry_err sq_escrow_get(struct srv_store *st, uint8_t **sealed, size_t *len,
			       char agent[SRV_ID_MAX], const char *device)
{
	static const char q[] = "SELECT sealed, agent FROM escrow WHERE device=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", device);

	if (!rc)
		rc = step_row(s, "escrow");
	if (!rc) {
		rc = col_blob(sealed, len, s, 0);
		col_text(agent, SRV_ID_MAX, s, 1);
		sqlite3_reset(s);
	}
	return rc;
}

static ferry_err sq_token_auth(struct srv_store *st, struct srv_principal *out,
			       const char *token_sha256)
{
	static const char q[] = "SELECT name, role FROM tokens WHERE sha256=? AND revoked=0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", token_sha256);

	if (!rc)
		rc = step_row(s, "token");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(FERRY_EAUTH, "unknown or revoked admin token");
	if (rc)
		return rc;
	col_text(out->name, sizeof(out->name), s, 0);
	col_text(out->role, sizeof(out->role), s, 1);
	sqlite3_reset(s);
	return FERRY_OK;
}

static ferry_err sq_token_add(struct srv_store *st, const char *name, const char *role,
			      const char *token_sha256, int64_t now)
{
	static const char q[] = "INSERT INTO tokens(sha256, name, role, created) VALUES(?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ttti", token_sha256, name, role, now);

	if (!rc)
		rc = step_done(s, "token add");
	if (rc == FERRY_EMISMATCH)
		return ferry_error_set(rc, "a token named '%s' exists already", name);
	return rc;
}

static ferry_err sq_token_revoke(struct srv_store *st, const char *name)
{
	static const char q[] = "UPDATE tokens SET revoked=1 WHERE name=? AND revoked=0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", name);

	if (!rc)
		rc = step_done(s, "token revoke");
	return rc ? rc : must_change(s, "token", name);
}

static ferry_err sq_audit_add(struct srv_store *st, const struct srv_principal *who,
			      const char *action, const char *target, const char *detail,
			      int64_t now)
{
	static const char q[] = "INSERT INTO audit(time, actor, role, action, target, detail)"
				" VALUES(?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "itttt" "t", now, who->name, who->role, action,
			    target ? target : "", detail ? detail : "");

	return rc ? rc : step_done(s, "audit");
}

static ferry_err sq_wave_add(struct srv_store *st, const char *wave, int64_t now)
{
	static const char q[] = "INSERT INTO waves(name, created) VALUES(?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ti", wave, now);

	if (!rc)
		rc = step_done(s, "wave add");
	if (rc == FERRY_EMISMATCH)
		return ferry_error_set(rc, "wave '%s' exists already", wave);
	return rc;
}

static ferry_err must_change(sqlite3_stmt *s, const char *what, const char *name)
{
	if (sqlite3_changes(sqlite3_db_handle(s)) == 0)
		return ferry_error_set(FERRY_ENOTFOUND, "no %s named '%s'", what, name);
	return FERRY_OK;
}

static ferry_err sq_wave_bundle_set(struct srv_store *st, const char *wave, const uint8_t *b,
				    size_t len, const char *etag)
{
	static const char q[] = "UPDATE waves SET bundle=?, bundle_etag=? WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "btt", b, len, etag, wave);

	if (!rc)
		rc = step_done(s, "wave bundle");
	return rc ? rc : must_change(s, "wave", wave);
}

static ferry_err wave_exists(struct srv_store *st, const char *wave)
{
	static const char q[] = "SELECT 1 FROM waves WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", wave);

	if (!rc)
		rc = step_row(s, "wave");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no wave named '%s'", wave);
	sqlite3_reset(s);
	return rc;
}

static ferry_err sq_wave_runbook_set(struct srv_store *st, const char *wave, const char *rb,
				     int64_t from, int64_t enforced)
{
	static const char q[] = "INSERT OR REPLACE INTO wave_runbooks VALUES(?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = wave_exists(st, wave);

	if (!rc)
		rc = prep(st, &s, q, "ttii", wave, rb, from, enforced);
	return rc ? rc : step_done(s, "wave runbook");
}

static ferry_err sq_device_add(struct srv_store *st, bool *added, const char *wave,
			       const char *device, int64_t now)
{
	static const char q[] = "INSERT INTO devices(name, wave, added) VALUES(?,?,?)"
				" ON CONFLICT(name) DO UPDATE SET wave=excluded.wave WHERE wave IS NULL";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "tti", device, wave, now);

	if (!rc)
		rc = step_done(s, "device add");
	if (!rc)
		*added = sqlite3_changes(sqlite3_db_handle(s)) != 0;
	return rc;
}

static ferry_err sq_device_move(struct srv_store *st, const char *device, const char *wave)
{
	static const char q[] = "UPDATE devices SET wave=? WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = wave_exists(st, wave);

	if (!rc)
		rc = prep(st, &s, q, "tt", wave, device);
	if (!rc)
		rc = step_done(s, "device move");
	return rc ? rc : must_change(s, "device", device);
}

static ferry_err sq_device_get(struct srv_store *st, struct srv_device *out, const char *device)
{
	static const char q[] = "SELECT name, wave, agent FROM devices WHERE name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", device);

	if (!rc)
		rc = step_row(s, "device");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no device named '%s'", device);
	if (rc)
		return rc;
	col_text(out->name, sizeof(out->name), s, 0);
	col_text(out->wave, sizeof(out->wave), s, 1);
	col_text(out->agent, sizeof(out->agent), s, 2);
	sqlite3_reset(s);
	return FERRY_OK;
}

static ferry_err sq_enrolment_decide(struct srv_store *st, int64_t id, bool approve)
{
	static const char q[] = "UPDATE enrol_requests SET status=? WHERE id=? AND status='pending'";
	sqlite3_stmt *s = NULL;
	char name[32];
	ferry_err rc = prep(st, &s, q, "ti", approve ? "approved" : "denied", id);

	if (!rc)
		rc = step_done(s, "enrolment decide");
	snprintf(name, sizeof(name), "%lld", (long long)id);
	return rc ? rc : must_change(s, "pending enrolment", name);
}

/* Each list: its query, and for each column the JSON member and kind. */
struct list_def {
	const char *sql;
	const char *cols; /* comma-separated "name:t|i|j" (j: JSON text, parsed) */
};

static const struct list_def lists[] = {
	[SRV_LIST_WAVES] = {
		"SELECT w.name, w.created, (SELECT count(*) FROM devices d WHERE d.wave=w.name),"
		" coalesce(w.bundle_etag, ''), (SELECT coalesce(json_group_array(json_object("
		"'runbook', runbook, 'available_from', available_from, 'enforced_after',"
		" enforced_after)), '[]') FROM wave_runbooks r WHERE r.wave=w.name)"
		" FROM waves w WHERE ?1 IS NULL OR w.name=?1 ORDER BY w.name",
		"name:t,created:i,devices:i,bundle_etag:t,runbooks:j" },
	[SRV_LIST_DEVICES] = {
		"SELECT d.name, coalesce(d.wave, ''), coalesce(d.agent, ''), coalesce(d.phase, ''),"
		" d.stage, coalesce(d.last_seen, 0), coalesce(d.progress_at, 0),"
		" coalesce(json_extract(d.status, '$.error.message'), ''),"
		" (SELECT count(*) FROM odj o WHERE o.device=d.name),"
		" (SELECT count(*) FROM escrow e WHERE e.device=d.name),"
		" coalesce(d.status, 'null')"
		" FROM devices d WHERE ?1 IS NULL OR d.wave=?1 ORDER BY d.name",
		"name:t,wave:t,agent:t,phase:t,stage:i,last_seen:i,progress_at:i,error:t,blob:i,"
		"escrow:i,status:j" },
	[SRV_LIST_ENROLMENTS] = {
		"SELECT id, device, coalesce(domain, ''), coalesce(os, ''), reason, status, created,"
		" hex(public_key) FROM enrol_requests WHERE ?1 IS NULL OR status=?1 ORDER BY id",
		"id:i,device:t,domain:t,os:t,reason:t,status:t,created:i,public_key:t" },
	[SRV_LIST_AUDIT] = {
		"SELECT id, time, actor, role, action, target, detail FROM audit"
		" WHERE ?1 IS NULL OR target=?1 ORDER BY id DESC LIMIT 10000",
		"id:i,time:i,actor:t,role:t,action:t,target:t,detail:t" },
	[SRV_LIST_TOKENS] = {
		"SELECT name, role, created, revoked FROM tokens WHERE ?1 IS NULL OR role=?1"
		" ORDER BY name",
		"name:t,role:t,created:i,revoked:i" },
};

static ferry_err row_json(cJSON *arr, sqlite3_stmt *s, const char *cols)
{
	cJSON *o = cJSON_CreateObject();
	char name[32];
	int i = 0;

	if (!o || !cJSON_AddItemToArray(arr, o))
		return ferry_error_set(FERRY_ENOMEM, "list row");
	for (const char *p = cols; *p; i++) {
		const char *colon = strchr(p, ':');
		const char *end = strchr(p, ',');
		const char *t = (const char *)sqlite3_column_text(s, i);
		cJSON *v;

		snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
		if (colon[1] == 'i')
			v = cJSON_CreateNumber((double)sqlite3_column_int64(s, i));
		else if (colon[1] == 'j')
			v = cJSON_Parse(t ? t : "null");
		else
			v = cJSON_CreateString(t ? t : "");
		if (!v || !cJSON_AddItemToObject(o, name, v)) {
			cJSON_Delete(v);
			return ferry_error_set(FERRY_ENOMEM, "list row");
		}
		p = end ? end + 1 : colon + 2;
	}
	return FERRY_OK;
}

static ferry_err sq_list(struct srv_store *st, cJSON **out, enum srv_list what, const char *arg)
{
	cJSON *arr = cJSON_CreateArray();
	sqlite3_stmt *s = NULL;
	ferry_err rc = arr ? prep(st, &s, lists[what].sql, "t", arg)
			   : ferry_error_set(FERRY_ENOMEM, "list");
	int src;

	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW)
		rc = row_json(arr, s, lists[what].cols);
	if (!rc && src != SQLITE_DONE)
		rc = db_err(sqlite3_db_handle(s), sqlite3_reset(s), "list");
	if (arr && !rc)
		sqlite3_reset(s);
	if (rc) {
		cJSON_Delete(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

static ferry_err sq_catalog_put(struct srv_store *st, const uint8_t *env, size_t len,
				uint64_t sequence)
{
	static const char q[] = "INSERT OR REPLACE INTO catalog VALUES(1,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ib", (int64_t)sequence, env, len);

	return rc ? rc : step_done(s, "catalog put");
}

static ferry_err sq_catalog_get(struct srv_store *st, uint8_t **env, size_t *len)
{
	static const char q[] = "SELECT envelope FROM catalog WHERE id=1";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "");

	if (!rc)
		rc = step_row(s, "catalog");
	if (!rc) {
		rc = col_blob(env, len, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

static ferry_err sq_assignment_get(struct srv_store *st, char inputs[SRV_HASH_HEX], uint64_t *seq,
				   uint8_t **env, size_t *len, const char *agent)
{
	static const char q[] = "SELECT inputs, sequence, envelope FROM assignments WHERE agent=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", agent);

	if (!rc)
		rc = step_row(s, "assignment");
	if (!rc) {
		col_text(inputs, SRV_HASH_HEX, s, 0);
		*seq = (uint64_t)sqlite3_column_int64(s, 1);
		rc = col_blob(env, len, s, 2);
		sqlite3_reset(s);
	}
	return rc;
}

static ferry_err sq_assignment_put(struct srv_store *st, const char *agent, const char *inputs,
				   uint64_t seq, const uint8_t *env, size_t len)
{
	static const char q[] = "INSERT OR REPLACE INTO assignments VALUES(?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ttib", agent, inputs, (int64_t)seq, env, len);

	return rc ? rc : step_done(s, "assignment put");
}

static ferry_err sq_table_put(struct srv_store *st, const struct srv_table *t)
{
	static const char q[] = "INSERT OR REPLACE INTO dir_table VALUES(1,?,?,?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	static const char f[] = "INSERT OR REPLACE INTO dir_findings VALUES(1,?)";
	ferry_err rc = prep(st, &s, q, "ttibbtt", t->hash, t->actor, t->imported, t->source,
			    t->source_len, t->target, t->target_len, t->rows, t->summary);

	if (!rc)
		rc = step_done(s, "table put");
	if (!rc)
		rc = prep(st, &s, f, "t", t->findings ? t->findings : "[]");
	return rc ? rc : step_done(s, "table findings put");
}

static ferry_err col_string(char **out, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*out = ferry_strdup(t ? (const char *)t : "");
	return *out ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "database text");
}

static ferry_err sq_table_get(struct srv_store *st, struct srv_table *out, bool with_snapshots)
{
	static const char q[] = "SELECT hash, actor, imported, rows, summary, source, target"
				" FROM dir_table WHERE id=1";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "");

	memset(out, 0, sizeof(*out));
	if (!rc)
		rc = step_row(s, "table");
	if (rc)
		return rc;
	col_text(out->hash, sizeof(out->hash), s, 0);
	col_text(out->actor, sizeof(out->actor), s, 1);
	out->imported = sqlite3_column_int64(s, 2);
	rc = col_string(&out->rows, s, 3);
	if (!rc)
		rc = col_string(&out->summary, s, 4);
	if (!rc && with_snapshots)
		rc = col_blob(&out->source, &out->source_len, s, 5);
	if (!rc && with_snapshots)
		rc = col_blob(&out->target, &out->target_len, s, 6);
	sqlite3_reset(s);
	if (rc)
		srv_table_clear(out);
	return rc;
}

static ferry_err sq_prov_blob_get(struct srv_store *st, uint8_t **sealed, size_t *len,
				  const char *key)
{
	static const char q[] = "SELECT sealed FROM prov_blobs WHERE key=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", key);

	if (!rc)
		rc = step_row(s, "provisioned blob");
	if (!rc) {
		rc = col_blob(sealed, len, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

static ferry_err sq_prov_blob_put(struct srv_store *st, const char *key, const uint8_t *sealed,
				  size_t len, int64_t now)
{
	static const char q[] = "INSERT OR IGNORE INTO prov_blobs VALUES(?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "tbi", key, sealed, len, now);

	return rc ? rc : step_done(s, "provisioned blob put");
}

static ferry_err sq_prov_blob_delete(struct srv_store *st, const char *key)
{
	static const char q[] = "DELETE FROM prov_blobs WHERE key=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", key);

	return rc ? rc : step_done(s, "provisioned blob delete");
}

static ferry_err sq_prov_intent_put(struct srv_store *st, const char *key, int64_t now)
{
	static const char q[] = "INSERT OR IGNORE INTO prov_intents VALUES(?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ti", key, now);

	return rc ? rc : step_done(s, "provisioning intent");
}

static ferry_err sq_prov_intent_get(struct srv_store *st, const char *key)
{
	static const char q[] = "SELECT 1 FROM prov_intents WHERE key=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", key);

	if (!rc)
		rc = step_row(s, "provisioning intent");
	if (!rc)
		sqlite3_reset(s);
	return rc;
}

/* --- the console (srv_console.c) --------------------------------------------------------- */

static ferry_err sq_session_add(struct srv_store *st, const char *id_sha256,
				const char *token_sha256, const char *csrf, int64_t now,
				int64_t expires)
{
	static const char gc[] = "DELETE FROM sessions WHERE expires<=?";
	static const char q[] = "INSERT INTO sessions VALUES(?,?,?,?,?)";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, gc, "i", now);

	if (!rc)
		rc = step_done(s, "session expiry");
	if (!rc)
		rc = prep(st, &s, q, "tttii", id_sha256, token_sha256, csrf, now, expires);
	return rc ? rc : step_done(s, "session add");
}

static ferry_err sq_session_get(struct srv_store *st, struct srv_session *out,
				const char *id_sha256, int64_t now)
{
	static const char q[] = "SELECT t.name, t.role, s.csrf, s.expires FROM sessions s"
				" JOIN tokens t ON t.sha256=s.token_sha256 AND t.revoked=0"
				" WHERE s.sha256=? AND s.expires>?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ti", id_sha256, now);

	if (!rc)
		rc = step_row(s, "session");
	if (rc)
		return rc == FERRY_ENOTFOUND ? ferry_error_set(rc, "no such session") : rc;
	col_text(out->who.name, sizeof(out->who.name), s, 0);
	col_text(out->who.role, sizeof(out->who.role), s, 1);
	col_text(out->csrf, sizeof(out->csrf), s, 2);
	out->expires = sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	return FERRY_OK;
}

static ferry_err sq_session_delete(struct srv_store *st, const char *id_sha256)
{
	static const char q[] = "DELETE FROM sessions WHERE sha256=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", id_sha256);

	return rc ? rc : step_done(s, "session delete");
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
	col_text(r->name, sizeof(r->name), s, 0);
	col_text(r->wave, sizeof(r->wave), s, 1);
	col_text(r->agent, sizeof(r->agent), s, 2);
	col_text(r->phase, sizeof(r->phase), s, 3);
	r->stage = sqlite3_column_int(s, 4);
	r->last_seen = sqlite3_column_int64(s, 5);
	r->progress_at = sqlite3_column_int64(s, 6);
	r->blob = sqlite3_column_int(s, 7) != 0;
	r->escrow = sqlite3_column_int(s, 8) != 0;
	col_text(r->error, sizeof(r->error), s, 9);
}

static ferry_err sq_device_rows(struct srv_store *st, struct srv_device_row **out, size_t *n,
				const char *wave, bool errors)
{
	static const char q[] = "SELECT " DEVICE_ROW_COLS " FROM devices d"
				" WHERE ?1 IS NULL OR d.wave=?1 ORDER BY d.name";
	static const char qn[] = "SELECT " DEVICE_ROW_BASE "0, '' FROM devices d"
				 " WHERE ?1 IS NULL OR d.wave=?1 ORDER BY d.name";
	struct srv_device_row *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, errors ? q : qn, "t", wave);
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
		rc = db_err(sqlite3_db_handle(s), sqlite3_reset(s), "device rows");
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

static ferry_err sq_device_row(struct srv_store *st, struct srv_device_row *out,
			       const char *device)
{
	static const char q[] = "SELECT " DEVICE_ROW_COLS " FROM devices d WHERE d.name=?";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "t", device);

	if (!rc)
		rc = step_row(s, "device");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no device named '%s'", device);
	if (rc)
		return rc;
	device_row_fill(out, s);
	sqlite3_reset(s);
	return FERRY_OK;
}

/* Step every row of s into a JSON array (row_json's column kinds). */
static ferry_err rows_into(cJSON **out, sqlite3_stmt *s, const char *cols, const char *what)
{
	cJSON *arr = cJSON_CreateArray();
	ferry_err rc = arr ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "%s", what);
	int src = SQLITE_DONE;

	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW)
		rc = row_json(arr, s, cols);
	if (!rc && src != SQLITE_DONE)
		rc = db_err(sqlite3_db_handle(s), sqlite3_reset(s), what);
	sqlite3_reset(s);
	if (rc) {
		cJSON_Delete(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

static ferry_err sq_devices_by_user(struct srv_store *st, cJSON **out, const char *user,
				    unsigned limit)
{
	static const char q[] = "SELECT d.name FROM devices d WHERE d.status IS NOT NULL AND EXISTS("
				"SELECT 1 FROM json_each(d.status, '$.cached_users') u"
				" WHERE instr(lower(u.value), lower(?1)) > 0) ORDER BY d.name LIMIT ?2";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "ti", user, (int64_t)limit);

	*out = NULL;
	return rc ? rc : rows_into(out, s, "name:t", "devices by user");
}

static ferry_err sq_device_users(struct srv_store *st, cJSON **out)
{
	static const char q[] = "SELECT d.name, json_extract(d.status, '$.cached_users') FROM devices d"
				" WHERE json_array_length(d.status, '$.cached_users') > 0";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "");

	*out = NULL;
	return rc ? rc : rows_into(out, s, "device:t,users:j", "device users");
}

static ferry_err sq_device_timeline(struct srv_store *st, cJSON **out, const char *device,
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
	ferry_err rc = prep(st, &s, q, "ti", device, (int64_t)limit);

	*out = NULL;
	if (!rc)
		rc = rows_into(out, s, "time:i,source:t,seq:i,report:j,agent:t,id:t,kind:t,detail:t",
			       "timeline");
	return rc;
}

static ferry_err sq_audit_page(struct srv_store *st, cJSON **out, int64_t *total,
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
	ferry_err rc = prep(st, &s, qn, "t", text);

	*out = NULL;
	if (!rc)
		rc = step_row(s, "audit count");
	if (rc)
		return rc == FERRY_ENOTFOUND ? FERRY_EIO : rc;
	*total = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	rc = prep(st, &s, q, "tii", text, offset, (int64_t)limit);
	return rc ? rc : rows_into(out, s, "id:i,time:i,actor:t,role:t,action:t,target:t,detail:t",
				   "audit page");
}

static ferry_err sq_table_findings(struct srv_store *st, char **json)
{
	static const char q[] = "SELECT findings FROM dir_findings WHERE id=1";
	sqlite3_stmt *s = NULL;
	ferry_err rc = prep(st, &s, q, "");

	*json = NULL;
	if (!rc)
		rc = step_row(s, "table findings");
	if (!rc) {
		rc = col_string(json, s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

static ferry_err sq_size(struct srv_store *st, uint64_t *bytes)
{
	struct sq *q = (struct sq *)st;
	char wal[4096];
	struct stat a, b;

	*bytes = 0;
	if (stat(q->path, &a))
		return ferry_error_set(FERRY_EIO, "stat %s", q->path);
	*bytes = (uint64_t)a.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", q->path);
	if (!stat(wal, &b))
		*bytes += (uint64_t)b.st_size;
	return FERRY_OK;
}

static void sq_close(struct srv_store *st)
{
	struct sq *q = (struct sq *)st;

	if (!q)
		return;
	while (q->conns) {
		struct conn *c = q->conns;

		q->conns = c->next;
		conn_close(c);
	}
	pthread_key_delete(q->key);
	pthread_mutex_destroy(&q->lock);
	ferry_free(q->path);
	ferry_free(q);
}

static const struct srv_store_ops sqlite_ops = {
	.backend = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.agent_auth = sq_agent_auth,
	.agent_get = sq_agent_get,
	.devices_seen = sq_devices_seen,
	.enrol = sq_enrol,
	.assignment = sq_assignment,
	.event_add = sq_event_add,
	.status_add = sq_status_add,
	.odj_get = sq_odj_get,
	.odj_put = sq_odj_put,
	.odj_delete = sq_odj_delete,
	.escrow_put = sq_escrow_put,
	.escrow_get = sq_escrow_get,
	.token_auth = sq_token_auth,
	.token_add = sq_token_add,
	.token_revoke = sq_token_revoke,
	.audit_add = sq_audit_add,
	.wave_add = sq_wave_add,
	.wave_bundle_set = sq_wave_bundle_set,
	.wave_runbook_set = sq_wave_runbook_set,
	.device_add = sq_device_add,
	.device_move = sq_device_move,
	.device_get = sq_device_get,
	.enrolment_decide = sq_enrolment_decide,
	.list = sq_list,
	.catalog_put = sq_catalog_put,
	.catalog_get = sq_catalog_get,
	.assignment_get = sq_assignment_get,
	.assignment_put = sq_assignment_put,
	.prov_blob_get = sq_prov_blob_get,
	.prov_blob_put = sq_prov_blob_put,
	.prov_blob_delete = sq_prov_blob_delete,
	.prov_intent_put = sq_prov_intent_put,
	.prov_intent_get = sq_prov_intent_get,
	.table_put = sq_table_put,
	.table_get = sq_table_get,
	.session_add = sq_session_add,
	.session_get = sq_session_get,
	.session_delete = sq_session_delete,
	.device_rows = sq_device_rows,
	.device_row = sq_device_row,
	.devices_by_user = sq_devices_by_user,
	.device_users = sq_device_users,
	.device_timeline = sq_device_timeline,
	.audit_page = sq_audit_page,
	.table_findings = sq_table_findings,
	.size = sq_size,
};

ferry_err srv_store_sqlite_open(struct srv_store **out, const char *path, bool create)
{
	struct sq *q = ferry_calloc(1, sizeof(*q));
	struct conn *c = NULL;
	char *err = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!q || !(q->path = ferry_strdup(path))) {
		ferry_free(q);
		return ferry_error_set(FERRY_ENOMEM, "database");
	}
	q->base.ops = &sqlite_ops;
	pthread_mutex_init(&q->lock, NULL);
	pthread_key_create(&q->key, NULL);
	rc = conn_open(&c, path, create);
	if (rc)
		goto out;
	if (sqlite3_exec(c->db, schema, NULL, NULL, &err) != SQLITE_OK) {
		rc = ferry_error_set(FERRY_EIO, "database %s: schema: %s", path, err ? err : "");
		sqlite3_free(err);
		conn_close(c);
		goto out;
	}
	q->conns = c;
	pthread_setspecific(q->key, c);
out:
	if (rc) {
		sq_close(&q->base);
		return rc;
	}
	*out = &q->base;
	return FERRY_OK;
}
