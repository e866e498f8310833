/* server/srv_store_sqlite: the storage rules of srv_store.h, on a real SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "srv.h"
#include "srv_test_store.h"

static int setup(void **state)
{
	return srv_test_fx_setup(state, "store");
}

static int teardown(void **state)
{
	return srv_test_fx_teardown(state);
}

static struct srv_enrol_req req(const char *dev, uint8_t key, const char *id, bool key_ok)
{
	struct srv_enrol_req r = { .device = dev, .domain = "SOURCE", .os = "test", .agent_id = id,
				   .token_sha256 = "0000000000000000000000000000000000000000000000000000000000000001",
				   .key_ok = key_ok, .hold_reason = "test", .pending_max = 3, .now = 100 };

	memset(r.public_key, key, 32);
	return r;
}

static void test_srv_store__enrol_rules(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_enrol_result res;
	struct srv_enrol_req r;
	struct srv_agent a;
	cJSON *list = NULL;

	r = req("PC1", 1, "a1", true);
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_NEW);
	assert_string_equal(res.agent_id, "a1");
	/* the same key again: the same agent, a new token */
	r = req("PC1", 1, "a1bis", true);
	r.token_sha256 = "0000000000000000000000000000000000000000000000000000000000000002";
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_RENEWED);
	assert_string_equal(res.agent_id, "a1");
	assert_int_equal(o->agent_auth(f->st, &a, "a1", r.token_sha256, 100), FERRY_OK);
	assert_string_equal(a.device, "PC1");
	assert_int_equal(o->agent_auth(f->st, &a, "a1",
				       "0000000000000000000000000000000000000000000000000000000000000001",
				       100), FERRY_EAUTH);
	/* another key claiming PC1: held, then held again (once per key), never a token */
	r = req("PC1", 2, "a2", true);
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_HELD);
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_HELD);
	assert_int_equal(o->agent_auth(f->st, &a, "a2", r.token_sha256, 100), FERRY_EAUTH);
	/* no key: held too */
	r = req("PC9", 3, "a3", false);
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_HELD);
	assert_int_equal(o->list(f->st, &list, SRV_LIST_ENROLMENTS, "pending"), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(list), 2);
	cJSON_Delete(list);
	/* approval of the claim: the next enrolment binds a2 and retires a1 */
	assert_int_equal(o->enrolment_decide(f->st, 1, true), FERRY_OK);
	assert_int_equal(o->enrolment_decide(f->st, 1, true), FERRY_ENOTFOUND); /* not pending */
	r = req("PC1", 2, "a2", true);
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_NEW);
	assert_string_equal(res.agent_id, "a2");
	assert_int_equal(o->agent_auth(f->st, &a, "a1",
				       "0000000000000000000000000000000000000000000000000000000000000002",
				       100), FERRY_EAUTH);
	/* a granted request is not a ticket for later enrolments */
	r = req("PC1", 2, "a2b", true);
	r.token_sha256 = "0000000000000000000000000000000000000000000000000000000000000003";
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_RENEWED);
	/* denial sticks */
	assert_int_equal(o->enrolment_decide(f->st, 2, false), FERRY_OK);
	r = req("PC9", 3, "a3", false);
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(res.outcome, SRV_ENROL_DENIED);
}

static void test_srv_store__pending_is_bounded(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_enrol_result res;
	struct srv_enrol_req r;

	for (uint8_t k = 1; k <= 3; k++) {
		r = req("PCX", k, "x", false);
		assert_int_equal(f->st->ops->enrol(f->st, &res, &r), FERRY_OK);
		assert_int_equal(res.outcome, SRV_ENROL_HELD);
	}
	r = req("PCX", 4, "x", false);
	assert_int_equal(f->st->ops->enrol(f->st, &res, &r), FERRY_EBUSY);
}

static void test_srv_store__assignment_etag_and_waves(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	char etag[SRV_HASH_HEX];
	uint8_t *data = NULL;
	size_t len = 0;
	bool added = false;

	assert_int_equal(o->wave_add(f->st, "w1", 1), FERRY_OK);
	assert_int_equal(o->wave_add(f->st, "w1", 1), FERRY_EMISMATCH);
	assert_int_equal(o->device_add(f->st, &added, "w1", "PC1", 1), FERRY_OK);
	assert_true(added);
	assert_int_equal(o->device_add(f->st, &added, "w1", "PC1", 1), FERRY_OK);
	assert_false(added);
	assert_int_equal(o->assignment(f->st, etag, &data, &len, "PC1", NULL), FERRY_ENOTFOUND);
	assert_int_equal(o->wave_bundle_set(f->st, "w1", (const uint8_t *)"{}", 2, "e1"), FERRY_OK);
	assert_int_equal(o->wave_bundle_set(f->st, "nope", (const uint8_t *)"{}", 2, "e1"),
			 FERRY_ENOTFOUND);
	assert_int_equal(o->assignment(f->st, etag, &data, &len, "PC1", NULL), FERRY_OK);
	assert_string_equal(etag, "e1");
	assert_int_equal(len, 2);
	ferry_free(data);
	assert_int_equal(o->assignment(f->st, etag, &data, &len, "PC1", "e1"), FERRY_OK);
	assert_null(data);
	assert_int_equal(o->wave_add(f->st, "w2", 1), FERRY_OK);
	assert_int_equal(o->device_move(f->st, "PC1", "w2"), FERRY_OK);
	assert_int_equal(o->device_move(f->st, "PC1", "w3"), FERRY_ENOTFOUND);
	assert_int_equal(o->device_move(f->st, "PC7", "w2"), FERRY_ENOTFOUND);
	assert_int_equal(o->assignment(f->st, etag, &data, &len, "PC1", NULL), FERRY_ENOTFOUND);
	assert_int_equal(o->wave_runbook_set(f->st, "w2", "migration", 10, 20), FERRY_OK);
	assert_int_equal(o->wave_runbook_set(f->st, "w9", "migration", 10, 20), FERRY_ENOTFOUND);
}

static void test_srv_store__status_idempotent_by_sequence(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_status s = { .seq = 2, .phase = "unjoined", .stage = 4, .progressed = true,
				.json = "{\"seq\":2}" };
	bool added, dup;
	cJSON *list = NULL;

	assert_int_equal(o->wave_add(f->st, "w", 1), FERRY_OK);
	assert_int_equal(o->device_add(f->st, &added, "w", "PC1", 1), FERRY_OK);
	assert_int_equal(o->status_add(f->st, &dup, "PC1", &s, 50), FERRY_OK);
	assert_false(dup);
	assert_int_equal(o->status_add(f->st, &dup, "PC1", &s, 60), FERRY_OK);
	assert_true(dup);
	s.seq = 1;
	s.phase = "idle";
	s.stage = 1;
	assert_int_equal(o->status_add(f->st, &dup, "PC1", &s, 70), FERRY_OK);
	assert_true(dup); /* older: ignored */
	assert_int_equal(o->list(f->st, &list, SRV_LIST_DEVICES, "w"), FERRY_OK);
	assert_string_equal(cJSON_GetObjectItem(list->child, "phase")->valuestring, "unjoined");
	assert_int_equal(cJSON_GetObjectItem(list->child, "stage")->valueint, 4);
	assert_int_equal(cJSON_GetObjectItem(list->child, "progress_at")->valueint, 50);
	cJSON_Delete(list);
}

static void test_srv_store__escrow_replace_flag_and_rollback(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_principal who = { "t", "admin" };
	char agent[SRV_ID_MAX];
	uint8_t *got = NULL;
	size_t len = 0;
	bool replaced;
	cJSON *audit = NULL;

	assert_int_equal(o->escrow_put(f->st, &replaced, "PC1", "a1", (const uint8_t *)"one", 3, 1),
			 FERRY_OK);
	assert_false(replaced);
	/* a replacement whose transaction is rolled back leaves the first escrow */
	assert_int_equal(o->begin(f->st), FERRY_OK);
	assert_int_equal(o->escrow_put(f->st, &replaced, "PC1", "a1", (const uint8_t *)"two", 3, 2),
			 FERRY_OK);
	assert_true(replaced);
	assert_int_equal(o->audit_add(f->st, &who, "escrow.replace", "PC1", "", 2), FERRY_OK);
	o->rollback(f->st);
	assert_int_equal(o->escrow_get(f->st, &got, &len, agent, "PC1"), FERRY_OK);
	assert_memory_equal(got, "one", 3);
	assert_string_equal(agent, "a1");
	ferry_free(got);
	assert_int_equal(o->list(f->st, &audit, SRV_LIST_AUDIT, NULL), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(audit), 0);
	cJSON_Delete(audit);
	assert_int_equal(o->escrow_get(f->st, &got, &len, agent, "PC2"), FERRY_ENOTFOUND);
}

static void test_srv_store__tokens_by_hash_only(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_principal p;

	assert_int_equal(f->st->ops->token_add(f->st, "alice", "helpdesk", "ab", 1), FERRY_OK);
	assert_int_equal(f->st->ops->token_add(f->st, "alice", "admin", "cd", 1), FERRY_EMISMATCH);
	assert_int_equal(f->st->ops->token_auth(f->st, &p, "ab"), FERRY_OK);
	assert_string_equal(p.name, "alice");
	assert_string_equal(p.role, "helpdesk");
	assert_int_equal(f->st->ops->token_auth(f->st, &p, "cd"), FERRY_EAUTH);
}

static void test_srv_store__table_put_get_replace(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_store *st = f->st;
	struct srv_table t = { .hash = "ab", .actor = "alice", .imported = 100,
			       .source = (uint8_t *)"S1", .source_len = 2,
			       .target = (uint8_t *)"T1\0x", .target_len = 4,
			       .rows = "[1]", .summary = "{}" }, got;

	assert_int_equal(st->ops->table_get(st, &got, true), FERRY_ENOTFOUND);
	assert_int_equal(st->ops->table_put(st, &t), FERRY_OK);
	assert_int_equal(st->ops->table_get(st, &got, false), FERRY_OK);
	assert_string_equal(got.hash, "ab");
	assert_string_equal(got.actor, "alice");
	assert_int_equal(got.imported, 100);
	assert_string_equal(got.rows, "[1]");
	assert_string_equal(got.summary, "{}");
	assert_null(got.source);
	assert_null(got.target);
	srv_table_clear(&got);
	assert_int_equal(st->ops->table_get(st, &got, true), FERRY_OK);
	assert_int_equal(got.target_len, 4);
	assert_memory_equal(got.target, "T1\0x", 4); /* snapshots kept byte for byte */
	assert_memory_equal(got.source, "S1", 2);
	srv_table_clear(&got);

	/* a rolled-back put keeps the table before; a committed one replaces it */
	t.imported = 200;
	snprintf(t.hash, sizeof(t.hash), "cd");
	assert_int_equal(st->ops->begin(st), FERRY_OK);
	assert_int_equal(st->ops->table_put(st, &t), FERRY_OK);
	st->ops->rollback(st);
	assert_int_equal(st->ops->table_get(st, &got, false), FERRY_OK);
	assert_string_equal(got.hash, "ab");
	srv_table_clear(&got);
	assert_int_equal(st->ops->table_put(st, &t), FERRY_OK);
	assert_int_equal(st->ops->table_get(st, &got, false), FERRY_OK);
	assert_string_equal(got.hash, "cd");
	assert_int_equal(got.imported, 200);
	srv_table_clear(&got);
}

/* Every distinct report is in the history once, whichever node took it and
 * however often it was retried; retention prunes history and events by age,
 * at most `limit` rows a call. */
static void test_srv_store__status_history_and_retention(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_status s = { .seq = 1, .phase = "idle", .stage = 1, .json = "{}" };
	uint64_t deleted = 0;
	bool added, dup;

	assert_int_equal(o->wave_add(f->st, "w", 1), FERRY_OK);
	assert_int_equal(o->device_add(f->st, &added, "w", "PC1", 1), FERRY_OK);
	for (uint64_t seq = 1; seq <= 5; seq++) {
		s.seq = seq;
		assert_int_equal(o->status_add(f->st, &dup, "PC1", &s, (int64_t)(100 * seq)), FERRY_OK);
		assert_false(dup);
		assert_int_equal(o->status_add(f->st, &dup, "PC1", &s, (int64_t)(100 * seq)), FERRY_OK);
		assert_true(dup); /* a retry: no second row */
	}
	assert_int_equal(o->status_add(f->st, &dup, "NOPE", &s, 1), FERRY_OK);
	assert_true(dup); /* an unknown device: nothing recorded */
	for (int i = 0; i < 4; i++) {
		char id[8];

		snprintf(id, sizeof(id), "e%d", i);
		assert_int_equal(o->event_add(f->st, &dup, "a1", id, 1, "k", "d", 100 + 100 * i),
				 FERRY_OK);
	}
	/* before 350: status rows 100, 200, 300 and events 100, 200, 300; limit 2 a call */
	assert_int_equal(o->prune(f->st, &deleted, 350, 350, 2), FERRY_OK);
	assert_int_equal(deleted, 4);
	assert_int_equal(o->prune(f->st, &deleted, 350, 350, 2), FERRY_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(o->prune(f->st, &deleted, 350, 350, 2), FERRY_OK);
	assert_int_equal(deleted, 0);
	/* what is left is what was newer: a retried old event is new again, a
	 * report at or below the device's sequence still changes nothing */
	assert_int_equal(o->event_add(f->st, &dup, "a1", "e3", 1, "k", "d", 400), FERRY_OK);
	assert_true(dup);
	s.seq = 2;
	assert_int_equal(o->status_add(f->st, &dup, "PC1", &s, 600), FERRY_OK);
	assert_true(dup);
	assert_int_equal(o->prune(f->st, &deleted, 0, 10000, 100), FERRY_OK);
	assert_int_equal(deleted, 3); /* 400, 500 and the re-sent seq 2 */
}

/* The queue: one job per device, claimed once, failed jobs come back only
 * after retry_s, a dead claimer's jobs are recovered by the next holder. */
static void test_srv_store__provisioning_queue(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_prov_job j;
	unsigned n = 0;

	assert_int_equal(o->prov_job_claim(f->st, &j, "n1"), FERRY_ENOTFOUND);
	assert_int_equal(o->prov_job_enqueue(f->st, &j, "PC1", "OU=A", 10, 300), FERRY_OK);
	assert_int_equal(j.state, SRV_PROV_QUEUED);
	assert_int_equal(o->prov_job_enqueue(f->st, &j, "PC2", "OU=A", 11, 300), FERRY_OK);
	assert_int_equal(o->prov_job_enqueue(f->st, &j, "PC1", "OU=B", 12, 300), FERRY_OK);
	assert_string_equal(j.ou, "OU=A"); /* queued already: unchanged */
	assert_int_equal(o->prov_job_claim(f->st, &j, "n1"), FERRY_OK);
	assert_string_equal(j.device, "PC1");
	assert_int_equal(j.state, SRV_PROV_RUNNING);
	assert_int_equal(o->prov_job_claim(f->st, &j, "n1"), FERRY_OK);
	assert_string_equal(j.device, "PC2");
	assert_int_equal(o->prov_job_claim(f->st, &j, "n1"), FERRY_ENOTFOUND);
	/* PC1 fails; PC2's claimer dies and n2 takes over */
	assert_int_equal(o->prov_job_finish(f->st, "PC1", "DC said no", 20), FERRY_OK);
	assert_int_equal(o->prov_job_recover(f->st, &n, "n1"), FERRY_OK);
	assert_int_equal(n, 0); /* its own claims stay */
	assert_int_equal(o->prov_job_recover(f->st, &n, "n2"), FERRY_OK);
	assert_int_equal(n, 1);
	assert_int_equal(o->prov_job_claim(f->st, &j, "n2"), FERRY_OK);
	assert_string_equal(j.device, "PC2");
	assert_int_equal(o->prov_job_finish(f->st, "PC2", NULL, 30), FERRY_OK);
	assert_int_equal(o->prov_job_enqueue(f->st, &j, "PC1", "OU=A", 100, 300), FERRY_OK);
	assert_int_equal(j.state, SRV_PROV_FAILED);
	assert_string_equal(j.error, "DC said no");
	assert_int_equal(o->prov_job_enqueue(f->st, &j, "PC1", "OU=A", 320, 300), FERRY_OK);
	assert_int_equal(j.state, SRV_PROV_QUEUED);
	assert_int_equal(o->prov_job_claim(f->st, &j, "n2"), FERRY_OK);
	assert_string_equal(j.device, "PC1");
	assert_int_equal(o->prov_job_claim(f->st, &j, "n2"), FERRY_ENOTFOUND);
}

static void test_srv_store__job_lock_and_versions(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	char hash[SRV_HASH_HEX];
	uint64_t seq = 9;
	bool held = false;
	struct srv_table t = { .hash = "ab", .actor = "a", .imported = 1, .source = (uint8_t *)"S",
			       .source_len = 1, .target = (uint8_t *)"T", .target_len = 1,
			       .rows = "[]", .summary = "{}" };

	assert_int_equal(o->job_lock(f->st, &held, "retention"), FERRY_OK);
	assert_true(held);
	assert_int_equal(o->job_lock(f->st, &held, "retention"), FERRY_OK);
	assert_true(held); /* again, by the holder */
	assert_int_equal(o->job_lock(f->st, &held, "provision"), FERRY_OK);
	assert_true(held);
	if (getenv("FERRY_TEST_PG")) {
		/* another node (its own sessions) gets neither while this one lives */
		struct srv_store *other = NULL;

		assert_int_equal(srv_store_pg_open(&other, getenv("FERRY_TEST_PG"), NULL,
						   SRV_STORE_USE), FERRY_OK);
		assert_int_equal(other->ops->job_lock(other, &held, "retention"), FERRY_OK);
		assert_false(held);
		assert_int_equal(other->ops->job_lock(other, &held, "provision"), FERRY_OK);
		assert_false(held);
		other->ops->close(other);
	}
	assert_int_equal(o->versions(f->st, &seq, hash), FERRY_OK);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, "");
	assert_int_equal(o->catalog_put(f->st, (const uint8_t *)"c", 1, 7), FERRY_OK);
	assert_int_equal(o->table_put(f->st, &t), FERRY_OK);
	assert_int_equal(o->versions(f->st, &seq, hash), FERRY_OK);
	assert_int_equal(seq, 7);
	assert_string_equal(hash, "ab");
}

/* "Last seen" in one batch: only for the device's current agent, never
 * moved back, names with characters an array literal must escape are safe. */
static void test_srv_store__devices_seen_batch(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_enrol_result res;
	struct srv_enrol_req r = req("PC1", 1, "a1", true);
	struct srv_seen v[4] = { { "PC1", "a1", 50 }, { "PC1", "a1", 40 }, { "PC1", "zz", 90 },
				 { "PC\\\"X", "a\",x", 70 } };
	cJSON *list = NULL;

	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(o->devices_seen(f->st, v, 4), FERRY_OK);
	assert_int_equal(o->devices_seen(f->st, v + 1, 1), FERRY_OK); /* older: ignored */
	assert_int_equal(o->devices_seen(f->st, v, 0), FERRY_OK);
	assert_int_equal(o->list(f->st, &list, SRV_LIST_DEVICES, NULL), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_int_equal(cJSON_GetObjectItem(list->child, "last_seen")->valueint, 50);
	cJSON_Delete(list);
}

/* A version 1 database: `run` refuses it naming the command; migrate
 * upgrades it in place (its rows kept) to the current version; migrate again
 * changes nothing; init refuses a database that holds a schema. */
static void test_srv_store__migrates_from_version_1(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_store *old = NULL;
	struct srv_status s = { .seq = 1, .phase = "idle", .stage = 1, .json = "{}" };
	char path[128];
	bool added, dup;
	uint64_t deleted = 9;

	f->st->ops->close(f->st); /* the fixture's current-version database */
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/v1.db", f->db.dir);
	assert_int_equal(srv_test_store_make_v1(path), 0);
	assert_int_equal(srv_test_store_reopen(&old, path, SRV_STORE_USE), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "schema version 1, this server needs 3: run "
					"`ferry-server migrate DIR` first"));
	assert_int_equal(srv_test_store_reopen(&old, path, SRV_STORE_INIT), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "holds a ferry-server database already"));
	assert_int_equal(srv_test_store_reopen(&old, path, SRV_STORE_MIGRATE), FERRY_OK);
	assert_int_equal(old->ops->wave_add(old, "w", 1), FERRY_OK);
	assert_int_equal(old->ops->device_add(old, &added, "w", "PC1", 1), FERRY_OK);
	old->ops->close(old);
	assert_int_equal(srv_test_store_reopen(&old, path, SRV_STORE_MIGRATE), FERRY_OK);
	old->ops->close(old);
	assert_int_equal(srv_test_store_reopen(&f->st, path, SRV_STORE_USE), FERRY_OK);
	/* version 2's tables are there */
	assert_int_equal(f->st->ops->status_add(f->st, &dup, "PC1", &s, 10), FERRY_OK);
	assert_false(dup);
	assert_int_equal(f->st->ops->prune(f->st, &deleted, 0, 11, 10), FERRY_OK);
	assert_int_equal(deleted, 1);
	/* and version 3's: the profiles an agent reported, replaced whole */
	{
		char *json = NULL;

		assert_int_equal(f->st->ops->profiles_get(f->st, &json, "PC1"), FERRY_ENOTFOUND);
		assert_int_equal(f->st->ops->profiles_put(f->st, "PC1", "[\"S-1-5-21-1-2-3-1001\"]", 12),
				 FERRY_OK);
		assert_int_equal(f->st->ops->profiles_put(f->st, "PC1", "[\"S-1-5-21-1-2-3-1002\"]", 13),
				 FERRY_OK);
		assert_int_equal(f->st->ops->profiles_get(f->st, &json, "PC1"), FERRY_OK);
		assert_string_equal(json, "[\"S-1-5-21-1-2-3-1002\"]");
		ferry_free(json);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_srv_store__enrol_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__pending_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__assignment_etag_and_waves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__status_idempotent_by_sequence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__escrow_replace_flag_and_rollback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__tokens_by_hash_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__table_put_get_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__status_history_and_retention, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__provisioning_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__job_lock_and_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__migrates_from_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_store__devices_seen_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
