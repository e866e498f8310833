/*
 * The PostgreSQL backend of srv_store.h (libpq): several ferry-server nodes
 * share one database. One connection per server thread (libpq connections
 * are not shared between threads), each with its statements prepared once.
 *
 * Concurrency, per op (READ COMMITTED, PostgreSQL's default):
 *   - single-statement ops rely on the statement's own atomicity and on
 *     keys: an event is inserted ON CONFLICT DO NOTHING by (agent, id), a
 *     status report updates its device only WHERE status_seq < seq, so a
 *     retry through another node changes nothing twice;
 *   - enrol runs in a transaction holding a transaction advisory lock on
 *     the device name (two nodes enrolling one name serialise);
 *   - the provisioning queue is claimed with FOR UPDATE SKIP LOCKED;
 *   - background jobs hold session advisory locks (job_lock), which the
 *     database releases when the holder's connection ends, so a dead node's
 *     jobs pass to another within one round.
 *
 * A lost connection (node or database restart) is reopened on the next op;
 * the op that saw it fails (FERRY_EIO) and its caller answers 5xx, which
 * agents retry. Errors name the op and PostgreSQL's primary message, never
 * the connection string, a password or a bound value.
 *
 * This file: connections, statements, migrations, job locks, the ops table.
 */
#include "srv_pg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"

#define PARAMS_MAX 16

static ferry_err pg_err(PGconn *c, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char line[160];

	if (!msg) {
		snprintf(line, sizeof(line), "%s", c ? PQerrorMessage(c) : "no connection");
		line[strcspn(line, "\n")] = '\0';
		msg = line;
	}
	if (state && !strncmp(state, "23", 2))
		return ferry_error_set(FERRY_EMISMATCH, "database constraint: %s", what);
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03") || !strcmp(state, "57014")))
		return ferry_error_set(FERRY_EBUSY, "database busy: %s", what);
	return ferry_error_set(FERRY_EIO, "database: %s: %s", what, msg);
}

static ferry_err conn_open(struct pgconn **out, struct pgst *p)
{
	const char *keys[] = { "dbname", "password", "application_name", "connect_timeout",
			       "client_encoding", NULL };
	const char *vals[] = { p->conninfo, p->password ? (const char *)p->password->data : NULL,
			       p->app, "10", "UTF8", NULL };
	struct pgconn *c = ferry_calloc(1, sizeof(*c));
	ferry_err rc = FERRY_OK;

	if (!c)
		return ferry_error_set(FERRY_ENOMEM, "database connection");
	if (!p->password) { /* no password given: libpq's own sources (.pgpass, peer) */
		keys[1] = "application_name";
		vals[1] = p->app;
	}
	c->c = PQconnectdbParams(keys, vals, 1);
	if (!c->c || PQstatus(c->c) != CONNECTION_OK) {
		char line[200];

		snprintf(line, sizeof(line), "%s", c->c ? PQerrorMessage(c->c) : "out of memory");
		line[strcspn(line, "\n")] = '\0';
		rc = ferry_error_set(FERRY_EIO, "%s: cannot connect: %s", p->where, line);
		PQfinish(c->c);
		ferry_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

/* This thread's connection, opened on first use and reopened when lost. */
static ferry_err conn_get(struct pgst *p, struct pgconn **out)
{
	struct pgconn *c = pthread_getspecific(p->key);
	ferry_err rc;

	if (c && PQstatus(c->c) == CONNECTION_BAD) {
		PQreset(c->c);
		memset(c->cache, 0, sizeof(c->cache)); /* a new session: nothing prepared, */
		c->n_locks = 0;                        /* no lock held */
		if (PQstatus(c->c) != CONNECTION_OK)
			return pg_err(c->c, NULL, p->where);
	}
	if (c) {
		*out = c;
		return FERRY_OK;
	}
	rc = conn_open(&c, p);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->lock);
	c->next = p->conns;
	p->conns = c;
	pthread_mutex_unlock(&p->lock);
	pthread_setspecific(p->key, c);
	*out = c;
	return FERRY_OK;
}

/* The statement name of sql on c, preparing it on first use. */
static ferry_err prepared(struct pgconn *c, char name[8], const char *sql, int nparams)
{
	PGresult *r;
	int i;

	for (i = 0; i < PG_STMT_CACHE && c->cache[i]; i++)
		if (c->cache[i] == sql)
			break;
	if (i == PG_STMT_CACHE)
		return ferry_error_set(FERRY_ERANGE, "statement cache full");
	snprintf(name, 8, "s%d", i);
	if (c->cache[i])
		return FERRY_OK;
	r = PQprepare(c->c, name, sql, nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		ferry_err rc = pg_err(c->c, r, "prepare");

		PQclear(r);
		return rc;
	}
	PQclear(r);
	c->cache[i] = sql;
	return FERRY_OK;
}

static ferry_err vexec(struct srv_store *st, PGresult **out, const char *sql, const char *what,
		       const char *types, va_list ap)
{
	struct pgst *p = (struct pgst *)st;
	struct pgconn *c = NULL;
	const char *vals[PARAMS_MAX];
	int lens[PARAMS_MAX], fmts[PARAMS_MAX], n = 0;
	char nums[PARAMS_MAX][24], name[8];
	PGresult *r;
	ferry_err rc;

	*out = NULL;
	if (strlen(types) > PARAMS_MAX)
		return ferry_error_set(FERRY_ERANGE, "%s: too many parameters", what);
	for (const char *t = types; *t; t++, n++) {
		lens[n] = 0;
		fmts[n] = 0;
		if (*t == 't') {
			vals[n] = va_arg(ap, const char *);
		} else if (*t == 'i') {
			snprintf(nums[n], sizeof(nums[n]), "%" PRId64, va_arg(ap, int64_t));
			vals[n] = nums[n];
		} else {
			size_t len;

			vals[n] = va_arg(ap, const char *);
			len = va_arg(ap, size_t);
			if (len > INT32_MAX)
				return ferry_error_set(FERRY_ERANGE, "%s: value too large", what);
			lens[n] = (int)len;
			fmts[n] = 1;
			if (!vals[n])
				vals[n] = "";
		}
	}
	rc = conn_get(p, &c);
	if (!rc)
		rc = prepared(c, name, sql, n);
	if (rc)
		return rc;
	r = PQexecPrepared(c->c, name, n, vals, lens, fmts, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_err(c->c, r, what);
		PQclear(r);
		return rc;
	}
	*out = r;
	return FERRY_OK;
}

ferry_err pq_exec(struct srv_store *st, PGresult **out, const char *sql, const char *what,
		  const char *types, ...)
{
	va_list ap;
	ferry_err rc;

	va_start(ap, types);
	rc = vexec(st, out, sql, what, types, ap);
	va_end(ap);
	return rc;
}

ferry_err pq_run(struct srv_store *st, const char *sql, const char *what, const char *types, ...)
{
	PGresult *r = NULL;
	va_list ap;
	ferry_err rc;

	va_start(ap, types);
	rc = vexec(st, &r, sql, what, types, ap);
	va_end(ap);
	PQclear(r);
	return rc;
}

uint64_t pq_changes(PGresult *r)
{
	const char *n = PQcmdTuples(r);

	return n && *n ? strtoull(n, NULL, 10) : 0;
}

void pq_text(char *out, size_t cap, PGresult *r, int row, int i)
{
	snprintf(out, cap, "%s", PQgetisnull(r, row, i) ? "" : PQgetvalue(r, row, i));
}

int64_t pq_int(PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? 0 : strtoll(PQgetvalue(r, row, i), NULL, 10);
}

ferry_err pq_bytea(uint8_t **out, size_t *len, PGresult *r, int row, int i)
{
	size_t n = 0;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, i), &n);

	*out = raw ? ferry_malloc(n ? n : 1) : NULL;
	if (!*out) {
		PQfreemem(raw);
		return ferry_error_set(FERRY_ENOMEM, "database blob");
	}
	if (n)
		memcpy(*out, raw, n);
	ferry_wipe(raw, n); /* blobs may be sealed secrets: leave no stray copy */
	PQfreemem(raw);
	*len = n;
	return FERRY_OK;
}

ferry_err pq_string(char **out, PGresult *r, int row, int i)
{
	*out = ferry_strdup(PQgetisnull(r, row, i) ? "" : PQgetvalue(r, row, i));
	return *out ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "database text");
}

ferry_err pq_must_change(PGresult *r, const char *what, const char *name)
{
	if (pq_changes(r) == 0)
		return ferry_error_set(FERRY_ENOTFOUND, "no %s named '%s'", what, name);
	return FERRY_OK;
}

ferry_err pq_begin(struct srv_store *st)
{
	static const char q[] = "BEGIN";

	return pq_run(st, q, "begin", "");
}

ferry_err pq_commit(struct srv_store *st)
{
	static const char q[] = "COMMIT";

	return pq_run(st, q, "commit", "");
}

void pq_rollback(struct srv_store *st)
{
	static const char q[] = "ROLLBACK";
	struct pgconn *c = NULL;

	if (!conn_get((struct pgst *)st, &c) && PQtransactionStatus(c->c) != PQTRANS_IDLE)
		(void)pq_run(st, q, "rollback", "");
}

/* A job name's second advisory-lock key (FNV-1a, folded to 31 bits). */
static int32_t lock_key(const char *job)
{
	uint32_t h = 2166136261u;

	for (; *job; job++)
		h = (h ^ (unsigned char)*job) * 16777619u;
	return (int32_t)(h & 0x7fffffff);
}

static ferry_err pq_job_lock(struct srv_store *st, bool *held, const char *job)
{
	static const char q[] = "SELECT pg_try_advisory_lock($1::int, $2::int)";
	static const char alive[] = "SELECT 1";
	struct pgst *p = (struct pgst *)st;
	struct pgconn *c = NULL;
	int32_t k = lock_key(job);
	PGresult *r = NULL;
	ferry_err rc = conn_get(p, &c);

	*held = false;
	if (rc)
		return rc;
	for (unsigned i = 0; i < c->n_locks; i++)
		if (c->locks[i] == k) {
			/* still ours while this session lives (a reset clears n_locks) */
			rc = pq_run(st, alive, "job lock", "");
			*held = !rc && c->n_locks > i && c->locks[i] == k;
			return rc;
		}
	if (c->n_locks == PG_LOCKS_MAX)
		return ferry_error_set(FERRY_ERANGE, "job lock %s: too many locks", job);
	rc = pq_exec(st, &r, q, "job lock", "ii", (int64_t)PG_LOCK_SPACE, (int64_t)k);
	if (!rc && PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t")) {
		c->locks[c->n_locks++] = k;
		*held = true;
	}
	PQclear(r);
	return rc;
}

static ferry_err pq_size(struct srv_store *st, uint64_t *bytes)
{
	static const char q[] = "SELECT pg_database_size(current_database())";
	PGresult *r = NULL;
	ferry_err rc = pq_exec(st, &r, q, "size", "");

	*bytes = rc ? 0 : (uint64_t)pq_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static void pq_close(struct srv_store *st)
{
	struct pgst *p = (struct pgst *)st;

	if (!p)
		return;
	while (p->conns) {
		struct pgconn *c = p->conns;

		p->conns = c->next;
		PQfinish(c->c);
		ferry_free(c);
	}
	pthread_key_delete(p->key);
	pthread_mutex_destroy(&p->lock);
	if (p->conninfo)
		ferry_wipe(p->conninfo, strlen(p->conninfo)); /* it may name a password */
	ferry_free(p->conninfo);
	ferry_secret_free(p->password);
	ferry_free(p);
}

/* Simple-protocol statements (migrations run several at once). */
static ferry_err simple(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ferry_err rc = FERRY_OK;

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_err(c, r, what);
	PQclear(r);
	return rc;
}

/*
 * Apply what the database lacks, one migration per transaction, each under
 * a transaction advisory lock so nodes started together never race: the
 * second finds the version raised and applies nothing.
 */
static ferry_err migrate(struct pgst *p, PGconn *c, enum srv_store_mode mode)
{
	static const char lock[] = "SELECT pg_advisory_xact_lock(1179800153, 0)";
	/* meta may not exist yet: the query that reads it is planned only then */
	static const char has[] = "SELECT to_regclass('meta') IS NOT NULL";
	static const char ver[] = "SELECT coalesce((SELECT value::int FROM meta"
				  " WHERE key='schema_version'), 0)";
	ferry_err rc = FERRY_OK;
	bool first = true;

	for (;;) {
		PGresult *r;
		size_t from = 0;
		int have;
		char set[160];

		rc = simple(c, "BEGIN", "migrate");
		if (!rc)
			rc = simple(c, lock, "migrate");
		if (rc)
			break;
		r = PQexec(c, has);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "t")) {
			PQclear(r);
			r = PQexec(c, ver);
		}
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pg_err(c, r, "schema version");
			PQclear(r);
			break;
		}
		have = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		/* after the first step, INIT continues as MIGRATE does */
		rc = srv_schema_plan(&from, have, first ? mode : SRV_STORE_MIGRATE, p->where);
		if (rc || from == srv_migrations_count)
			break;
		first = false;
		snprintf(set, sizeof(set), "INSERT INTO meta VALUES('schema_version', '%d') ON CONFLICT"
			 "(key) DO UPDATE SET value=excluded.value", srv_migrations[from].version);
		rc = simple(c, srv_migrations[from].pg, "migration");
		if (!rc)
			rc = simple(c, set, "migration");
		if (!rc)
			rc = simple(c, "COMMIT", "migration");
		if (rc)
			break;
	}
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)simple(c, rc ? "ROLLBACK" : "COMMIT", "migrate");
	return rc;
}

static const struct srv_store_ops pg_ops = {
	.backend = "postgresql",
	.close = pq_close,
	.begin = pq_begin,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.agent_auth = pq_agent_auth,
	.agent_get = pq_agent_get,
	.devices_seen = pq_devices_seen,
	.enrol = pq_enrol,
	.assignment = pq_assignment,
	.event_add = pq_event_add,
	.status_add = pq_status_add,
	.odj_get = pq_odj_get,
	.odj_put = pq_odj_put,
	.odj_delete = pq_odj_delete,
	.escrow_put = pq_escrow_put,
	.escrow_get = pq_escrow_get,
	.profiles_put = pq_profiles_put,
	.profiles_get = pq_profiles_get,
	.token_auth = pq_token_auth,
	.token_add = pq_token_add,
	.token_revoke = pq_token_revoke,
	.audit_add = pq_audit_add,
	.wave_add = pq_wave_add,
	.wave_bundle_set = pq_wave_bundle_set,
	.wave_runbook_set = pq_wave_runbook_set,
	.device_add = pq_device_add,
	.device_move = pq_device_move,
	.device_get = pq_device_get,
	.enrolment_decide = pq_enrolment_decide,
	.list = pq_list,
	.catalog_put = pq_catalog_put,
	.catalog_get = pq_catalog_get,
	.assignment_get = pq_assignment_get,
	.assignment_put = pq_assignment_put,
	.prov_blob_get = pq_prov_blob_get,
	.prov_blob_put = pq_prov_blob_put,
	.prov_blob_delete = pq_prov_blob_delete,
	.prov_intent_put = pq_prov_intent_put,
	.prov_intent_get = pq_prov_intent_get,
	.table_put = pq_table_put,
	.table_get = pq_table_get,
	.session_add = pq_session_add,
	.session_get = pq_session_get,
	.session_delete = pq_session_delete,
	.device_rows = pq_device_rows,
	.device_row = pq_device_row,
	.devices_by_user = pq_devices_by_user,
	.device_users = pq_device_users,
	.device_timeline = pq_device_timeline,
	.audit_page = pq_audit_page,
	.table_findings = pq_table_findings,
	.size = pq_size,
	.prune = pq_prune,
	.job_lock = pq_job_lock,
	.prov_job_enqueue = pq_prov_job_enqueue,
	.prov_job_claim = pq_prov_job_claim,
	.prov_job_finish = pq_prov_job_finish,
	.prov_job_recover = pq_prov_job_recover,
	.versions = pq_versions,
};

/* "PostgreSQL database NAME" for messages (never the whole string). */
static void describe(char *out, size_t cap, const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *db = NULL;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "dbname") && o->val && *o->val)
			db = o->val;
	snprintf(out, cap, "PostgreSQL database '%.40s'", db ? db : "(default)");
	PQconninfoFree(opts);
}

ferry_err srv_store_pg_open(struct srv_store **out, const char *conninfo, const char *password,
			    enum srv_store_mode mode)
{
	struct pgst *p = ferry_calloc(1, sizeof(*p));
	struct pgconn *c = NULL;
	char *perr = NULL;
	PQconninfoOption *opts = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!p || !(p->conninfo = ferry_strdup(conninfo)) ||
	    (password && ferry_secret_from(&p->password, password, strlen(password) + 1))) {
		if (p)
			ferry_free(p->conninfo);
		ferry_free(p);
		return ferry_error_set(FERRY_ENOMEM, "database");
	}
	p->base.ops = &pg_ops;
	pthread_mutex_init(&p->lock, NULL);
	pthread_key_create(&p->key, NULL);
	opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		/* libpq's message may quote the string: say only that it is malformed */
		rc = ferry_error_set(FERRY_EINVAL, "the PostgreSQL connection string is malformed");
		PQfreemem(perr);
		goto out;
	}
	PQconninfoFree(opts);
	describe(p->where, sizeof(p->where), conninfo);
	{
		/* which node a session is (pg_stat_activity.application_name) */
		char host[32] = "";

		gethostname(host, sizeof(host) - 1);
		snprintf(p->app, sizeof(p->app), "ferry-server %s:%ld", host, (long)getpid());
	}
	rc = conn_open(&c, p);
	if (rc)
		goto out;
	p->conns = c;
	pthread_setspecific(p->key, c);
	rc = migrate(p, c->c, mode);
out:
	if (rc) {
		pq_close(&p->base);
		return rc;
	}
	*out = &p->base;
	return FERRY_OK;
}
