/* The translation table the server imports and puts into assignments (srv_table.c). */
#ifndef FERRY_SRV_TABLE_H
#define FERRY_SRV_TABLE_H

#include <cjson/cJSON.h>

#include "srv.h"

/**
 * Import {"source","target"[,"rules"][,"overrides"]} (the files' texts):
 * check, build, store (inside the caller's transaction; srv_table_load
 * once it committed). *summary is what `table status` shows, hash the
 * table's SHA-256. Refusals: FERRY_EINVAL / FERRY_ECORRUPT (a snapshot,
 * rules or overrides refused, naming which and where), FERRY_EMISMATCH
 * (the build or the catalog refused), FERRY_ERANGE (too large for an
 * assignment).
 */
ferry_err srv_table_import(struct srv *s, cJSON **summary, char hash[SRV_HASH_HEX],
			   const char *actor, const cJSON *body);

/** Serve the stored table (none is fine): at start and after an import committed. */
ferry_err srv_table_load(struct srv *s);
void srv_table_close(struct srv *s);

/**
 * Hold the table's read lock: the rows (NULL when none) and their hash
 * ("" when none) stay valid until srv_table_release.
 */
const cJSON *srv_table_hold(struct srv *s, char hash[SRV_HASH_HEX]);
void srv_table_release(void);

/** {"table_sha256","imported","imported_by","summary"}; FERRY_ENOTFOUND: none. */
ferry_err srv_table_status(cJSON **out, struct srv *s);

#endif
