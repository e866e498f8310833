/*
 * The SQLite backend's parts (srv_store_sqlite.c: connections, statements,
 * migrations, the ops table; srv_store_sqlite_agent.c: the agent's ops;
 * srv_store_sqlite_admin.c: the admin's, lists, provisioning, jobs;
 * srv_store_sqlite_console.c: the console's). Not a
 * public interface: only these files include it.
 */
#ifndef FERRY_SRV_SQLITE_H
#define FERRY_SRV_SQLITE_H

#include <pthread.h>

#include <sqlite3.h>

#include "srv_store.h"

#define STMT_CACHE 96 /* more than the distinct statements of the backend */

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

/*
 * Helpers: sq_prep prepares sql (cached by its address) on this thread's
 * connection and binds `types`: t text (const char *, NULL binds NULL),
 * i int64, b blob (const void *, size_t). The caller steps it.
 */
ferry_err sq_db_err(sqlite3 *db, int rc, const char *what);
ferry_err sq_conn_get(struct sq *q, struct conn **out);
ferry_err sq_prep(struct srv_store *st, sqlite3_stmt **out, const char *sql, const char *types, ...);
ferry_err sq_step_done(sqlite3_stmt *s, const char *what);
ferry_err sq_step_row(sqlite3_stmt *s, const char *what);
/* Prepare sql (one "?" bound to `device`) and step to its row;
 * FERRY_ENOTFOUND "no device named '...'" when there is none. */
ferry_err sq_device_step(struct srv_store *st, sqlite3_stmt **out, const char *sql,
			 const char *device);
void sq_col_text(char *out, size_t cap, sqlite3_stmt *s, int i);
ferry_err sq_col_blob(uint8_t **out, size_t *len, sqlite3_stmt *s, int i);
ferry_err sq_exec_sql(struct srv_store *st, const char *sql, const char *what);
ferry_err sq_begin(struct srv_store *st);
ferry_err sq_commit(struct srv_store *st);
void sq_rollback(struct srv_store *st);
ferry_err sq_must_change(sqlite3_stmt *s, const char *what, const char *name);
ferry_err sq_col_string(char **out, sqlite3_stmt *s, int i);
ferry_err sq_agent_auth(struct srv_store *st, struct srv_agent *out, const char *id, const char *token_sha256, int64_t now);
ferry_err sq_devices_seen(struct srv_store *st, const struct srv_seen *v, size_t n);
ferry_err sq_agent_get(struct srv_store *st, struct srv_agent *out, const char *id);
ferry_err sq_enrol(struct srv_store *st, struct srv_enrol_result *out, const struct srv_enrol_req *r);
ferry_err sq_assignment(struct srv_store *st, char etag[SRV_HASH_HEX], uint8_t **data, size_t *len, const char *device, const char *inm);
ferry_err sq_event_add(struct srv_store *st, bool *dup, const char *agent, const char *id, int64_t time, const char *kind, const char *detail, int64_t now);
ferry_err sq_status_add(struct srv_store *st, bool *dup, const char *device, const struct srv_status *x, int64_t now);
ferry_err sq_odj_get(struct srv_store *st, uint8_t **sealed, size_t *len, const char *device, const char *agent);
ferry_err sq_odj_put(struct srv_store *st, const char *device, const char *agent, const uint8_t *sealed, size_t len, const char *sha256, const char *source, int64_t now);
ferry_err sq_odj_delete(struct srv_store *st, const char *device);
ferry_err sq_escrow_put(struct srv_store *st, bool *replaced, const char *device, const char *agent, const uint8_t *sealed, size_t len, int64_t now);
ferry_err sq_profiles_put(struct srv_store *st, const char *device, const char *json, int64_t now);
ferry_err sq_profiles_get(struct srv_store *st, char **json, const char *device);
ferry_err sq_escrow_get(struct srv_store *st, uint8_t **sealed, size_t *len, char agent[SRV_ID_MAX], const char *device);
ferry_err sq_token_auth(struct srv_store *st, struct srv_principal *out, const char *token_sha256);
ferry_err sq_token_add(struct srv_store *st, const char *name, const char *role, const char *token_sha256, int64_t now);
ferry_err sq_token_revoke(struct srv_store *st, const char *name);
ferry_err sq_audit_add(struct srv_store *st, const struct srv_principal *who, const char *action, const char *target, const char *detail, int64_t now);
ferry_err sq_wave_add(struct srv_store *st, const char *wave, int64_t now);
ferry_err sq_wave_bundle_set(struct srv_store *st, const char *wave, const uint8_t *b, size_t len, const char *etag);
ferry_err sq_wave_runbook_set(struct srv_store *st, const char *wave, const char *rb, int64_t from, int64_t enforced);
ferry_err sq_device_add(struct srv_store *st, bool *added, const char *wave, const char *device, int64_t now);
ferry_err sq_device_move(struct srv_store *st, const char *device, const char *wave);
ferry_err sq_device_get(struct srv_store *st, struct srv_device *out, const char *device);
ferry_err sq_enrolment_decide(struct srv_store *st, int64_t id, bool approve);
ferry_err sq_list(struct srv_store *st, cJSON **out, enum srv_list what, const char *arg);
ferry_err sq_catalog_put(struct srv_store *st, const uint8_t *env, size_t len, uint64_t sequence);
ferry_err sq_catalog_get(struct srv_store *st, uint8_t **env, size_t *len);
ferry_err sq_assignment_get(struct srv_store *st, char inputs[SRV_HASH_HEX], uint64_t *seq, uint8_t **env, size_t *len, const char *agent);
ferry_err sq_assignment_put(struct srv_store *st, const char *agent, const char *inputs, uint64_t seq, const uint8_t *env, size_t len);
ferry_err sq_table_put(struct srv_store *st, const struct srv_table *t);
ferry_err sq_table_get(struct srv_store *st, struct srv_table *out, bool with_snapshots);
ferry_err sq_prov_blob_get(struct srv_store *st, uint8_t **sealed, size_t *len, const char *key);
ferry_err sq_prov_blob_put(struct srv_store *st, const char *key, const uint8_t *sealed, size_t len, int64_t now);
ferry_err sq_prov_blob_delete(struct srv_store *st, const char *key);
ferry_err sq_prov_intent_put(struct srv_store *st, const char *key, int64_t now);
ferry_err sq_prov_intent_get(struct srv_store *st, const char *key);
ferry_err sq_size(struct srv_store *st, uint64_t *bytes);
void sq_close(struct srv_store *st);
ferry_err sq_prune(struct srv_store *st, uint64_t *deleted, int64_t events_before, int64_t status_before, unsigned limit);
ferry_err sq_job_lock(struct srv_store *st, bool *held, const char *job);
ferry_err sq_prov_job_enqueue(struct srv_store *st, struct srv_prov_job *out, const char *device, const char *ou, int64_t now, int64_t retry_s);
ferry_err sq_prov_job_claim(struct srv_store *st, struct srv_prov_job *out, const char *node);
ferry_err sq_prov_job_finish(struct srv_store *st, const char *device, const char *error, int64_t now);
ferry_err sq_prov_job_recover(struct srv_store *st, unsigned *requeued, const char *node);
ferry_err sq_versions(struct srv_store *st, uint64_t *catalog_seq, char table_hash[SRV_HASH_HEX]);

/* console ops (srv_store_sqlite_console.c) */
ferry_err sq_session_add(struct srv_store *st, const char *id_sha256, const char *token_sha256, const char *csrf, int64_t now, int64_t expires);
ferry_err sq_session_get(struct srv_store *st, struct srv_session *out, const char *id_sha256, int64_t now);
ferry_err sq_session_delete(struct srv_store *st, const char *id_sha256);
ferry_err sq_device_rows(struct srv_store *st, struct srv_device_row **out, size_t *n, const char *wave, bool errors);
ferry_err sq_device_row(struct srv_store *st, struct srv_device_row *out, const char *device);
ferry_err sq_devices_by_user(struct srv_store *st, cJSON **out, const char *user, unsigned limit);
ferry_err sq_device_users(struct srv_store *st, cJSON **out);
ferry_err sq_device_timeline(struct srv_store *st, cJSON **out, const char *device, unsigned limit);
ferry_err sq_audit_page(struct srv_store *st, cJSON **out, int64_t *total, const char *text, int64_t offset, unsigned limit);
ferry_err sq_table_findings(struct srv_store *st, char **json);

#endif
