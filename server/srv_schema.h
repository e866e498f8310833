/*
 * The server database's schema, as numbered migrations shared by every
 * backend (srv_schema.c). Each migration has one text per SQL dialect and
 * both describe the same tables, columns and keys; a backend applies the
 * ones above meta.schema_version, each in its own transaction together with
 * the new version number, so a failed step leaves the version before.
 *
 * Invariants:
 *   1. Migrations are append-only: a released one is never edited, a change
 *      is a new migration (an edited one would not reach databases that
 *      already ran it).
 *   2. srv_migrations[i].version == i + 1, and SRV_SCHEMA_VERSION is the
 *      last one's.
 *   3. A server opens a database only at exactly SRV_SCHEMA_VERSION: an
 *      older one is upgraded by `ferry-server migrate` (never implicitly by
 *      `run`, so several nodes never race to upgrade), a newer one is
 *      refused (it was written by a newer server).
 */
#ifndef FERRY_SRV_SCHEMA_H
#define FERRY_SRV_SCHEMA_H

#include <stddef.h>

#include "util/err.h"

#define SRV_SCHEMA_VERSION 3

struct srv_migration {
	int version;
	const char *what;   /* one line for `ferry-server migrate` */
	const char *sqlite; /* statements separated by ';' */
	const char *pg;
};

extern const struct srv_migration srv_migrations[];
extern const size_t srv_migrations_count;

/* How a backend opens its database. */
enum srv_store_mode {
	SRV_STORE_USE,     /* exactly SRV_SCHEMA_VERSION, or an error saying what to run */
	SRV_STORE_INIT,    /* a new database: create it and apply every migration */
	SRV_STORE_MIGRATE, /* an existing database: apply what it lacks */
};

/**
 * Decide what opening at `have` (0: no schema yet) in `mode` does: FERRY_OK
 * with *from set to the first migration index to apply (== count: none), or
 * an error naming the versions and what to run. `where` names the database
 * for the message (never a password: the caller passes a redacted name).
 */
ferry_err srv_schema_plan(size_t *from, int have, enum srv_store_mode mode, const char *where);

/* The columns of each srv_list (srv_store.h), the same for every backend:
 * comma-separated "name:t|i|j" (t text, i integer, j JSON text, parsed). */
extern const char *const srv_list_cols[];

struct cJSON;

/** Append one list row to arr, column i's text from col(ctx, i) (NULL: empty/0/null). */
ferry_err srv_list_row(struct cJSON *arr, const char *cols, const char *(*col)(void *ctx, int i),
		       void *ctx);

#endif
