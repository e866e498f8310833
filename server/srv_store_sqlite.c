/*
 * The SQLite backend of srv_store.h: one database file in WAL mode, one
 * connection per server thread (SQLite connections are not shared between
 * threads), each with a small cache of prepared statements. Writers
 * serialise on SQLite's write lock (BEGIN IMMEDIATE, 5 s busy timeout);
 * readers never block them (WAL). One process owns the file: SQLite is the
 * one-node backend (several nodes share PostgreSQL, srv_store_pg.c).
 *
 * This file: connections, statements, migrations (srv_schema.h) and the
 * ops table. The ops live in srv_store_sqlite_agent.c and _admin.c.
 */
#include "srv_sqlite.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/mem.h"

ferry_err sq_db_err(sqlite3 *db, int rc, const char *what)
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
		rc = sq_db_err(c->db, src, path);
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
ferry_err sq_conn_get(struct sq *q, struct conn **out)
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
		return sq_db_err(c->db, rc, "prepare");
	c->cache[i].sql = sql;
	*out = c->cache[i].s;
	return FERRY_OK;
}

/*
 * Prepare sql on this thread's connection and bind its parameters from
 * `types`: t text (const char *, NULL binds NULL), i int64, b blob
 * (const void *, size_t). The caller steps it.
 */
ferry_err sq_prep(struct srv_store *st, sqlite3_stmt **out, const char *sql,
		      const char *types, ...)
{
	struct sq *q = (struct sq *)st;
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	va_list ap;
	ferry_err rc = sq_conn_get(q, &c);
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
		return sq_db_err(c->db, brc, "bind");
	*out = s;
	return FERRY_OK;
}

ferry_err sq_step_done(sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return FERRY_OK;
	}
	rc = sqlite3_reset(s);
	return sq_db_err(sqlite3_db_handle(s), rc, what);
}

/* Step once: FERRY_OK with a row, FERRY_ENOTFOUND without. */
ferry_err sq_step_row(sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return FERRY_OK;
	if (rc == SQLITE_DONE)
		return FERRY_ENOTFOUND;
	rc = sqlite3_reset(s);
	return sq_db_err(sqlite3_db_handle(s), rc, what);
}

ferry_err sq_device_step(struct srv_store *st, sqlite3_stmt **out, const char *sql,
			 const char *device)
{
	ferry_err rc = sq_prep(st, out, sql, "t", device);

	if (!rc)
		rc = sq_step_row(*out, "device");
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no device named '%s'", device);
	return rc;
}

void sq_col_text(char *out, size_t cap, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

ferry_err sq_col_blob(uint8_t **out, size_t *len, sqlite3_stmt *s, int i)
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

ferry_err sq_exec_sql(struct srv_store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;
	ferry_err rc = sq_prep(st, &s, sql, "");

	return rc ? rc : sq_step_done(s, what);
}

ferry_err sq_begin(struct srv_store *st)
{
	return sq_exec_sql(st, "BEGIN IMMEDIATE", "begin");
}

ferry_err sq_commit(struct srv_store *st)
{
	return sq_exec_sql(st, "COMMIT", "commit");
}

void sq_rollback(struct srv_store *st)
{
	struct sq *q = (struct sq *)st;
	struct conn *c = NULL;

	if (!sq_conn_get(q, &c) && !sqlite3_get_autocommit(c->db))
		(void)sq_exec_sql(st, "ROLLBACK", "rollback");
}

ferry_err sq_must_change(sqlite3_stmt *s, const char *what, const char *name)
{
	if (sqlite3_changes(sqlite3_db_handle(s)) == 0)
		return ferry_error_set(FERRY_ENOTFOUND, "no %s named '%s'", what, name);
	return FERRY_OK;
}

ferry_err sq_col_string(char **out, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*out = ferry_strdup(t ? (const char *)t : "");
	return *out ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "database text");
}


ferry_err sq_size(struct srv_store *st, uint64_t *bytes)
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

void sq_close(struct srv_store *st)
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

/* The schema version stored in meta (0: no ferry-server schema yet). */
static ferry_err schema_have(sqlite3 *db, int *have, const char *path)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1,
				    &s, NULL);

	*have = 0;
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		/* no meta table: an empty (new) database */
		return strstr(sqlite3_errmsg(db), "no such table") ? FERRY_OK
								    : sq_db_err(db, rc, path);
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*have = sqlite3_column_int(s, 0);
	else if (rc != SQLITE_DONE)
		rc = sq_db_err(db, rc, path);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? FERRY_OK : FERRY_EIO;
}

/* Apply the migrations from index `from`, each with its version in one transaction. */
static ferry_err schema_apply(sqlite3 *db, size_t from, const char *path)
{
	char *err = NULL, ver[96];
	ferry_err rc = FERRY_OK;

	for (size_t i = from; !rc && i < srv_migrations_count; i++) {
		const struct srv_migration *m = &srv_migrations[i];

		snprintf(ver, sizeof(ver), "INSERT OR REPLACE INTO meta VALUES('schema_version',"
			 " '%d'); COMMIT;", m->version);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, m->sqlite, NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(db, ver, NULL, NULL, &err) != SQLITE_OK) {
			rc = ferry_error_set(FERRY_EIO, "database %s: migration %d: %s", path,
					     m->version, err ? err : "");
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		}
		sqlite3_free(err);
		err = NULL;
	}
	return rc;
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
	.profiles_put = sq_profiles_put,
	.profiles_get = sq_profiles_get,
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
	.prune = sq_prune,
	.job_lock = sq_job_lock,
	.prov_job_enqueue = sq_prov_job_enqueue,
	.prov_job_claim = sq_prov_job_claim,
	.prov_job_finish = sq_prov_job_finish,
	.prov_job_recover = sq_prov_job_recover,
	.versions = sq_versions,
};

ferry_err srv_store_sqlite_open(struct srv_store **out, const char *path, enum srv_store_mode mode)
{
	struct sq *q = ferry_calloc(1, sizeof(*q));
	struct conn *c = NULL;
	size_t from = 0;
	int have = 0;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!q || !(q->path = ferry_strdup(path))) {
		ferry_free(q);
		return ferry_error_set(FERRY_ENOMEM, "database");
	}
	q->base.ops = &sqlite_ops;
	pthread_mutex_init(&q->lock, NULL);
	pthread_key_create(&q->key, NULL);
	rc = conn_open(&c, path, mode == SRV_STORE_INIT);
	if (!rc)
		rc = schema_have(c->db, &have, path);
	if (!rc)
		rc = srv_schema_plan(&from, have, mode, path);
	if (!rc)
		rc = schema_apply(c->db, from, path);
	if (rc) {
		if (c)
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
