/*
 * The PostgreSQL backend's parts (srv_store_pg.c: connections, statements,
 * migrations, job locks, the ops table; srv_store_pg_agent.c: the agent's
 * ops; srv_store_pg_admin.c: the admin's, lists, provisioning;
 * srv_store_pg_console.c: the console's). Not a
 * public interface: only these files include it.
 */
#ifndef FERRY_SRV_PG_H
#define FERRY_SRV_PG_H

#include <pthread.h>

#include <libpq-fe.h>

#include "srv_store.h"

#define PG_STMT_CACHE 96  /* more than the distinct statements of the backend */
#define PG_LOCKS_MAX 8    /* job locks one session holds at most */
#define PG_LOCK_SPACE 0x46525259 /* 1179800153, "FRRY": job locks (key 2: FNV of the name), migrations (key 2: 0); enrolment uses the next space */

struct pgconn {
	PGconn *c;
	const char *cache[PG_STMT_CACHE]; /* statement i is prepared as "s<i>" */
	int32_t locks[PG_LOCKS_MAX];      /* session advisory locks held (second key) */
	unsigned n_locks;
	struct pgconn *next;
};

struct pgst {
	struct srv_store base;
	char *conninfo;
	struct ferry_secret *password;
	char where[96];       /* the database for messages: "PostgreSQL database NAME" */
	char app[64];         /* application_name: "ferry-server HOST:PID" */
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns */
	struct pgconn *conns;
};

/*
 * pq_exec prepares sql (cached by its address) on this thread's connection
 * and runs it with `types`: t text (const char *, NULL binds NULL), i int64,
 * b bytea (const void *, size_t). *out receives the result (PQclear), FERRY_OK
 * only for a successful command; the errors name `what`, never a value.
 */
ferry_err pq_exec(struct srv_store *st, PGresult **out, const char *sql, const char *what,
		  const char *types, ...);
/* Run and discard the result. */
ferry_err pq_run(struct srv_store *st, const char *sql, const char *what, const char *types, ...);
/* Rows changed by a command's result. */
uint64_t pq_changes(PGresult *r);
/* Column i of row 0 as text into out ("" when NULL). */
void pq_text(char *out, size_t cap, PGresult *r, int row, int i);
int64_t pq_int(PGresult *r, int row, int i);
/* A bytea column (ferry_free). */
ferry_err pq_bytea(uint8_t **out, size_t *len, PGresult *r, int row, int i);
ferry_err pq_string(char **out, PGresult *r, int row, int i);
/* FERRY_ENOTFOUND "no <what> named '<name>'" when a command changed nothing. */
ferry_err pq_must_change(PGresult *r, const char *what, const char *name);

ferry_err pq_begin(struct srv_store *st);
ferry_err pq_commit(struct srv_store *st);
void pq_rollback(struct srv_store *st);

/* agent ops (srv_store_pg_agent.c) */
ferry_err pq_agent_auth(struct srv_store *st, struct srv_agent *out, const char *id,
			const char *token_sha256, int64_t now);
ferry_err pq_devices_seen(struct srv_store *st, const struct srv_seen *v, size_t n);
ferry_err pq_agent_get(struct srv_store *st, struct srv_agent *out, const char *id);
ferry_err pq_enrol(struct srv_store *st, struct srv_enrol_result *out,
		   const struct srv_enrol_req *r);
ferry_err pq_assignment(struct srv_store *st, char etag[SRV_HASH_HEX], uint8_t **data,
			size_t *len, const char *device, const char *inm);
ferry_err pq_event_add(struct srv_store *st, bool *dup, const char *agent, const char *id,
		       int64_t time, const char *kind, const char *detail, int64_t now);
ferry_err pq_status_add(struct srv_store *st, bool *dup, const char *device,
			const struct srv_status *x, int64_t now);
ferry_err pq_odj_get(struct srv_store *st, uint8_t **sealed, size_t *len, const char *device,
		     const char *agent);
ferry_err pq_odj_put(struct srv_store *st, const char *device, const char *agent,
		     const uint8_t *sealed, size_t len, const char *sha256, const char *source,
		     int64_t now);
ferry_err pq_odj_delete(struct srv_store *st, const char *device);
ferry_err pq_escrow_put(struct srv_store *st, bool *replaced, const char *device,
			const char *agent, const uint8_t *sealed, size_t len, int64_t now);
ferry_err pq_profiles_put(struct srv_store *st, const char *device, const char *json, int64_t now);
ferry_err pq_profiles_get(struct srv_store *st, char **json, const char *device);
ferry_err pq_escrow_get(struct srv_store *st, uint8_t **sealed, size_t *len,
			char agent[SRV_ID_MAX], const char *device);
ferry_err pq_prune(struct srv_store *st, uint64_t *deleted, int64_t events_before,
		   int64_t status_before, unsigned limit);

/* admin ops (srv_store_pg_admin.c) */
ferry_err pq_token_auth(struct srv_store *st, struct srv_principal *out,
			const char *token_sha256);
ferry_err pq_token_add(struct srv_store *st, const char *name, const char *role,
		       const char *token_sha256, int64_t now);
ferry_err pq_token_revoke(struct srv_store *st, const char *name);
ferry_err pq_audit_add(struct srv_store *st, const struct srv_principal *who, const char *action,
		       const char *target, const char *detail, int64_t now);
ferry_err pq_wave_add(struct srv_store *st, const char *wave, int64_t now);
ferry_err pq_wave_bundle_set(struct srv_store *st, const char *wave, const uint8_t *b,
			     size_t len, const char *etag);
ferry_err pq_wave_runbook_set(struct srv_store *st, const char *wave, const char *rb,
			      int64_t from, int64_t enforced);
ferry_err pq_device_add(struct srv_store *st, bool *added, const char *wave, const char *device,
			int64_t now);
ferry_err pq_device_move(struct srv_store *st, const char *device, const char *wave);
ferry_err pq_device_get(struct srv_store *st, struct srv_device *out, const char *device);
ferry_err pq_enrolment_decide(struct srv_store *st, int64_t id, bool approve);
ferry_err pq_list(struct srv_store *st, cJSON **out, enum srv_list what, const char *arg);
ferry_err pq_catalog_put(struct srv_store *st, const uint8_t *env, size_t len, uint64_t sequence);
ferry_err pq_catalog_get(struct srv_store *st, uint8_t **env, size_t *len);
ferry_err pq_assignment_get(struct srv_store *st, char inputs[SRV_HASH_HEX], uint64_t *seq,
			    uint8_t **env, size_t *len, const char *agent);
ferry_err pq_assignment_put(struct srv_store *st, const char *agent, const char *inputs,
			    uint64_t seq, const uint8_t *env, size_t len);
ferry_err pq_table_put(struct srv_store *st, const struct srv_table *t);
ferry_err pq_table_get(struct srv_store *st, struct srv_table *out, bool with_snapshots);
ferry_err pq_prov_blob_get(struct srv_store *st, uint8_t **sealed, size_t *len, const char *key);
ferry_err pq_prov_blob_put(struct srv_store *st, const char *key, const uint8_t *sealed,
			   size_t len, int64_t now);
ferry_err pq_prov_blob_delete(struct srv_store *st, const char *key);
ferry_err pq_prov_intent_put(struct srv_store *st, const char *key, int64_t now);
ferry_err pq_prov_intent_get(struct srv_store *st, const char *key);
ferry_err pq_prov_job_enqueue(struct srv_store *st, struct srv_prov_job *out, const char *device,
			      const char *ou, int64_t now, int64_t retry_s);
ferry_err pq_prov_job_claim(struct srv_store *st, struct srv_prov_job *out, const char *node);
ferry_err pq_prov_job_finish(struct srv_store *st, const char *device, const char *error,
			     int64_t now);
ferry_err pq_prov_job_recover(struct srv_store *st, unsigned *requeued, const char *node);
ferry_err pq_versions(struct srv_store *st, uint64_t *catalog_seq, char table_hash[SRV_HASH_HEX]);

/* console ops (srv_store_pg_console.c) */
ferry_err pq_session_add(struct srv_store *st, const char *id_sha256, const char *token_sha256,
			 const char *csrf, int64_t now, int64_t expires);
ferry_err pq_session_get(struct srv_store *st, struct srv_session *out, const char *id_sha256,
			 int64_t now);
ferry_err pq_session_delete(struct srv_store *st, const char *id_sha256);
ferry_err pq_device_rows(struct srv_store *st, struct srv_device_row **out, size_t *n,
			 const char *wave, bool errors);
ferry_err pq_device_row(struct srv_store *st, struct srv_device_row *out, const char *device);
ferry_err pq_devices_by_user(struct srv_store *st, cJSON **out, const char *user, unsigned limit);
ferry_err pq_device_users(struct srv_store *st, cJSON **out);
ferry_err pq_device_timeline(struct srv_store *st, cJSON **out, const char *device,
			     unsigned limit);
ferry_err pq_audit_page(struct srv_store *st, cJSON **out, int64_t *total, const char *text,
			int64_t offset, unsigned limit);
ferry_err pq_table_findings(struct srv_store *st, char **json);

#endif
