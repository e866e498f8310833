/*
 * The server suites' database: SQLite at `path`, or, when FERRY_TEST_PG is
 * set (tests/server/pg_cluster.py run -- SUITE), a fresh schema in that
 * PostgreSQL database, so each suite runs against both backends.
 */
#ifndef FERRY_SRV_TEST_STORE_H
#define FERRY_SRV_TEST_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "srv_store.h"

static inline int srv_test_store_open(struct srv_store **st, const char *path)
{
	const char *pg = getenv("FERRY_TEST_PG");
	PGconn *c;
	PGresult *r;
	int bad;

	if (!pg || !*pg)
		return srv_store_sqlite_open(st, path, SRV_STORE_INIT) ? -1 : 0;
	c = PQconnectdb(pg);
	r = PQexec(c, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
	bad = PQresultStatus(r) != PGRES_COMMAND_OK;
	if (bad)
		fprintf(stderr, "reset schema: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	if (!bad && srv_store_pg_open(st, pg, NULL, SRV_STORE_INIT)) {
		fprintf(stderr, "open: %s\n", ferry_error_detail());
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* A suite's private folder and the SQLite file in it (with its -wal and -shm). */
struct srv_test_db {
	char dir[64], path[96];
};

/* Makes /tmp/ferry-TAG-XXXXXX and opens the suite's store there (or in
 * FERRY_TEST_PG's fresh schema); 0 on success. */
static inline int srv_test_db_open(struct srv_test_db *d, struct srv_store **st, const char *tag)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/ferry-%s-XXXXXX", tag);
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/ferry.db", d->dir);
	return srv_test_store_open(st, d->path);
}

/* Removes what srv_test_db_open made; the store is closed first. */
static inline void srv_test_db_remove(const struct srv_test_db *d)
{
	char p[128];

	unlink(d->path);
	snprintf(p, sizeof(p), "%s-wal", d->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", d->path);
	unlink(p);
	rmdir(d->dir);
}

/* The suites' cmocka fixture: a store in a private folder (srv_test_db). */
struct srv_test_fx {
	struct srv_test_db db;
	struct srv_store *st;
};

/* cmocka setup: *state becomes a srv_test_fx for /tmp/ferry-TAG-XXXXXX. */
static inline int srv_test_fx_setup(void **state, const char *tag)
{
	struct srv_test_fx *f = calloc(1, sizeof(*f));

	if (!f || srv_test_db_open(&f->db, &f->st, tag))
		return -1;
	*state = f;
	return 0;
}

static inline int srv_test_fx_teardown(void **state)
{
	struct srv_test_fx *f = *state;

	f->st->ops->close(f->st);
	srv_test_db_remove(&f->db);
	free(f);
	return 0;
}

/* A database at schema version 1 (what ferry-server shipped before
 * migrations), at path or in FERRY_TEST_PG's fresh schema; 0 on success. */
static inline int srv_test_store_make_v1(const char *path)
{
	const char *pg = getenv("FERRY_TEST_PG");
	static const char meta[] = "INSERT INTO meta VALUES('schema_version', '1')";
	int bad;

	if (!pg || !*pg) {
		sqlite3 *db = NULL;

		bad = sqlite3_open(path, &db) != SQLITE_OK ||
		      sqlite3_exec(db, srv_migrations[0].sqlite, NULL, NULL, NULL) != SQLITE_OK ||
		      sqlite3_exec(db, meta, NULL, NULL, NULL) != SQLITE_OK;
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(pg);
		PGresult *r = PQexec(c, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");

		bad = PQresultStatus(r) != PGRES_COMMAND_OK;
		PQclear(r);
		r = PQexec(c, srv_migrations[0].pg);
		bad |= PQresultStatus(r) != PGRES_COMMAND_OK;
		PQclear(r);
		r = PQexec(c, meta);
		bad |= PQresultStatus(r) != PGRES_COMMAND_OK;
		PQclear(r);
		PQfinish(c);
	}
	return bad ? -1 : 0;
}

/* Open what srv_test_store_make_v1 made, in mode. */
static inline ferry_err srv_test_store_reopen(struct srv_store **st, const char *path,
					      enum srv_store_mode mode)
{
	const char *pg = getenv("FERRY_TEST_PG");

	return pg && *pg ? srv_store_pg_open(st, pg, NULL, mode) : srv_store_sqlite_open(st, path, mode);
}

#endif
