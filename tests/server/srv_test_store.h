/*
 * The server suites' database: SQLite at `path`, or, when FERRY_TEST_PG is
 * set (tests/server/pg_cluster.py run -- SUITE), a fresh schema in that
 * PostgreSQL database, so each suite runs against both backends.
 */
#ifndef FERRY_SRV_TEST_STORE_H
#define FERRY_SRV_TEST_STORE_H

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

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

#endif
