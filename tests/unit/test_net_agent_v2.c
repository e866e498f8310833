/*
 * core/net/agent_v2: the agent's protocol v2 client. A catalog signed by the
 * admin (the sample runbooks, target.example) and assignments signed by the
 * server's key; the server's catalog endpoint is a function that counts its
 * calls. Each rule of net/agent_v2.h is one test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "net/agent_v2.h"
#include "net/sig.h"
#include "runbook/runbook.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/mem.h"

#include "net_fixtures.h"

#define AGENT "c29b2c89a777be0f"
#define OU "OU=Workstations,OU=Migrated,DC=target,DC=example"

static const uint8_t admin_priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t server_priv[32] = { 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86,
					 85, 84, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 72,
					 71, 70, 69, 68 };
static const uint8_t escrow_pub[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
					7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
static const struct signed_kind assignment_wire = { "ferry_assignment", "ferry-assignment/1\n",
						    "assignment", ASSIGNMENT_MAX };
static uint8_t admin_pub[32], server_pub[32];
static char dir[64];

/* The server's GET /v2/agents/{id}/catalog: serves `env`, counts calls. */
struct served {
	const char *env;
	size_t len;
	unsigned calls;
};

static ferry_err serve_catalog(void *ctx, uint8_t **buf, size_t *len)
{
	struct served *s = ctx;

	s->calls++;
	if (!s->env)
		return ferry_error_set(FERRY_ENOTFOUND, "catalog: server answered HTTP 404");
	*buf = ferry_malloc(s->len);
	assert_non_null(*buf);
	memcpy(*buf, s->env, s->len);
	*len = s->len;
	return FERRY_OK;
}

/* A catalog at `seq` (signed by the admin), valid until 2099. */
static char *catalog_env(unsigned seq, size_t *len)
{
	char *key = NULL, *esc = NULL, json[1024], *out = NULL;
	cJSON *p, *rbs;

	assert_int_equal(ferry_base64_encode(&key, server_pub, 32), FERRY_OK);
	assert_int_equal(ferry_base64_encode(&esc, escrow_pub, 32), FERRY_OK);
	snprintf(json, sizeof(json),
		 "{\"sequence\":%u,\"issued\":\"2025-12-01T00:00:00Z\","
		 "\"not_after\":\"2099-06-01T00:00:00Z\",\"assignment_key\":\"%s\","
		 "\"escrow_public_key\":\"%s\","
		 "\"domains\":[{\"dns_domain\":\"target.example\",\"ous\":[\"%s\"]}],"
		 "\"packages\":[{\"id\":\"stop-sync-client\",\"sha256\":\"%064d\",\"size\":3},"
		 "{\"id\":\"start-sync-client\",\"sha256\":\"%064d\",\"size\":4}]}",
		 seq, key, esc, OU, 0, 0);
	ferry_free(key);
	ferry_free(esc);
	assert_non_null(p = cJSON_Parse(json));
	rbs = cJSON_AddArrayToObject(p, "runbooks");
	cJSON_AddItemToArray(rbs, sample("cache-credentials.json"));
	cJSON_AddItemToArray(rbs, sample("migration.json"));
	assert_int_equal(catalog_sign(&out, len, p, admin_priv, (int64_t)time(NULL)), FERRY_OK);
	cJSON_Delete(p);
	return out;
}

/* The digest of a catalog envelope, as an assignment names it. */
static void catalog_hex(char hex[65], const char *env, size_t len)
{
	struct catalog *c = NULL;

	assert_int_equal(catalog_verify(&c, (const uint8_t *)env, len, admin_pub, 0), FERRY_OK);
	ferry_hex_encode(hex, c->digest, 32);
	catalog_free(c);
}

/* An assignment payload at `seq` for `agent` against catalog `cat_hex`. */
static cJSON *assignment_payload(unsigned seq, const char *agent, const char *cat_hex,
				 const char *runbook2, const char *issued, const char *not_after)
{
	char json[2048];
	cJSON *p;

	snprintf(json, sizeof(json),
		 "{\"sequence\":%u,\"issued\":\"%s\",\"not_after\":\"%s\","
		 "\"catalog_sha256\":\"%s\",\"agent_id\":\"%s\",\"device\":\"FIN-PC-001\","
		 "\"batch\":{\"schema\":\"ferry.batch/1\",\"id\":\"wave-3\",\"runbooks\":["
		 "{\"runbook\":\"cache-credentials\",\"available_from\":null,\"enforced_after\":null},"
		 "{\"runbook\":\"%s\",\"available_from\":\"2026-01-05T08:00:00Z\","
		 "\"enforced_after\":\"2026-01-09T18:00:00Z\"}],\"devices\":[\"FIN-PC-001\"]},"
		 "\"target\":{\"dns_domain\":\"target.example\",\"ou\":\"%s\"},"
		 "\"identity_map\":[{\"source_sid\":\"S-1-5-21-1-2-3-1105\","
		 "\"target_sid\":\"S-1-5-21-7-8-9-2201\",\"kind\":\"user\",\"target_sam\":\"alice\","
		 "\"target_upn\":\"alice@target.example\",\"netbios_domain\":\"TARGET\","
		 "\"dns_domain\":\"target.example\"}],\"poll_interval_s\":600}",
		 seq, issued, not_after, cat_hex, agent, runbook2, OU);
	assert_non_null(p = cJSON_Parse(json));
	return p;
}

/* Signed with the server's key but none of assignment_sign's checks: what
 * a stolen or confused server could send. */
static char *assignment_env(unsigned seq, const char *agent, const char *cat_hex,
			    const char *runbook2, const char *not_after, size_t *len)
{
	cJSON *p = assignment_payload(seq, agent, cat_hex, runbook2, "2025-12-20T00:00:00Z",
				      not_after);
	char *out = NULL;

	assert_int_equal(signed_seal(&out, len, &assignment_wire, p, server_priv), FERRY_OK);
	cJSON_Delete(p);
	return out;
}

static char *good_assignment(unsigned seq, const char *cat_hex, size_t *len)
{
	return assignment_env(seq, AGENT, cat_hex, "migration", "2098-01-01T00:00:00Z", len);
}

static bool exists(const char *name)
{
	return file_in(dir, name);
}

static void open_enrolled(struct net_agent *a)
{
	assert_int_equal(net_agent_open(a, dir, NULL, admin_pub), FERRY_OK);
	snprintf(a->id, sizeof(a->id), "%s", AGENT);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "test-net-agent-v2-%ld-%d", (long)time(NULL), rand());
	if (sig_public_from_private(admin_pub, admin_priv) ||
	    sig_public_from_private(server_pub, server_priv) || make_dir(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	static const char *const names[] = { "agent.json", "bundle.json", "catalog.json",
					     "assignment.json", "outbox.jsonl" };
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		remove(path);
	}
	return remove_dir(dir);
}

static void test_net_agent_v2__accepted_pair_is_persisted_and_loads_back(void **state)
{
	struct net_agent a;
	struct net_accepted *acc = NULL;
	struct net_bundle_documents *d = NULL;
	size_t cl = 0, al = 0, bl = 0;
	char hex[65], *cat = catalog_env(5, &cl), *asg, *next;
	struct served s = { cat, 0, 0 };
	uint8_t key[32];

	(void)state;
	s.len = cl;
	catalog_hex(hex, cat, cl);
	asg = good_assignment(9, hex, &al);
	next = good_assignment(10, hex, &bl);
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)asg, al, serve_catalog, &s, &acc),
			 FERRY_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(a.cat_mark.sequence, 5);
	assert_int_equal(a.asg_mark.sequence, 9);
	assert_int_equal(a.poll_s, 600);
	assert_true(exists("catalog.json") && exists("assignment.json"));
	/* the documents the service runs: the batch and the catalog's runbooks it names */
	assert_int_equal(net_accepted_documents(&d, acc), FERRY_OK);
	assert_string_equal(d->batch->id, "wave-3");
	assert_int_equal(d->n_runbooks, 2);
	assert_int_equal(cJSON_GetArraySize(net_accepted_idmap_rows(acc)), 1);
	assert_true(net_accepted_escrow_key(acc, key));
	assert_memory_equal(key, escrow_pub, 32);
	net_bundle_documents_free(d);
	net_accepted_free(acc);
	/* reopened (marks from agent.json), read back and verified again */
	open_enrolled(&a);
	assert_int_equal(a.cat_mark.sequence, 5);
	assert_int_equal(net_agent_load_any(&a, &acc), FERRY_OK);
	assert_non_null(acc->assignment);
	assert_int_equal(acc->assignment->sequence, 9);
	net_accepted_free(acc);
	/* the next assignment against the held catalog: no catalog fetch */
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)next, bl, serve_catalog, &s, NULL),
			 FERRY_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(a.asg_mark.sequence, 10);
	assert_false(exists("assignment.json.prev"));
	ferry_free(cat);
	ferry_free(asg);
	ferry_free(next);
}

/* Catalog 5 served and one assignment at sequence 9 with these members:
 * refused with `want`, the detail naming `why`, and nothing kept. */
static void expect_refused(const char *agent, const char *runbook2, const char *not_after,
			   ferry_err want, const char *why)
{
	struct net_agent a;
	size_t cl = 0, al = 0;
	char hex[65], *cat = catalog_env(5, &cl), *asg;
	struct served s = { cat, 0, 0 };

	s.len = cl;
	catalog_hex(hex, cat, cl);
	asg = assignment_env(9, agent, hex, runbook2, not_after, &al);
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)asg, al, serve_catalog, &s, NULL),
			 want);
	assert_non_null(strstr(ferry_error_detail(), why));
	/* nothing of the refused pair is kept, the catalog included */
	assert_int_equal(a.cat_mark.sequence, 0);
	assert_int_equal(a.asg_mark.sequence, 0);
	assert_false(exists("catalog.json") || exists("assignment.json"));
	ferry_free(cat);
	ferry_free(asg);
}

static void test_net_agent_v2__assignment_for_another_agent_is_refused(void **state)
{
	(void)state;
	expect_refused("0123456789abcdef", "migration", "2098-01-01T00:00:00Z", FERRY_EMISMATCH,
		       "another agent");
}

/* Catalogs 5 and 6, and assignments 9 and 10 made against the ones named. */
struct two_catalogs {
	char *c5, *c6, *a9, *a10;
	size_t c5l, c6l, a9l, a10l;
};

static void two_catalogs(struct two_catalogs *t, unsigned a9_cat, unsigned a10_cat)
{
	char h5[65], h6[65];

	t->c5 = catalog_env(5, &t->c5l);
	t->c6 = catalog_env(6, &t->c6l);
	catalog_hex(h5, t->c5, t->c5l);
	catalog_hex(h6, t->c6, t->c6l);
	t->a9 = good_assignment(9, a9_cat == 5 ? h5 : h6, &t->a9l);
	t->a10 = good_assignment(10, a10_cat == 5 ? h5 : h6, &t->a10l);
}

static void two_catalogs_free(struct two_catalogs *t)
{
	ferry_free(t->c5);
	ferry_free(t->c6);
	ferry_free(t->a9);
	ferry_free(t->a10);
}

static void test_net_agent_v2__new_catalog_named_is_fetched_and_checked(void **state)
{
	struct net_agent a;
	struct two_catalogs t;
	struct served s;

	(void)state;
	two_catalogs(&t, 5, 6);
	s = (struct served){ t.c5, t.c5l, 0 };
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)t.a9, t.a9l, serve_catalog, &s, NULL),
			 FERRY_OK);
	/* the assignment names catalog 6; the server still serves 5: refused */
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)t.a10, t.a10l, serve_catalog, &s,
					     NULL), FERRY_EMISMATCH);
	assert_int_equal(s.calls, 2);
	assert_non_null(strstr(ferry_error_detail(), "not the one its assignment names"));
	assert_int_equal(a.asg_mark.sequence, 9);
	/* the server serves 6 now: fetched, accepted with the assignment */
	s = (struct served){ t.c6, t.c6l, s.calls };
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)t.a10, t.a10l, serve_catalog, &s,
					     NULL), FERRY_OK);
	assert_int_equal(s.calls, 3);
	assert_int_equal(a.cat_mark.sequence, 6);
	assert_int_equal(a.asg_mark.sequence, 10);
	two_catalogs_free(&t);
}

static void test_net_agent_v2__lowered_catalog_is_refused(void **state)
{
	struct net_agent a;
	struct two_catalogs t;
	struct served s;

	(void)state;
	two_catalogs(&t, 6, 5);
	s = (struct served){ t.c6, t.c6l, 0 };
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)t.a9, t.a9l, serve_catalog, &s, NULL),
			 FERRY_OK);
	/* a newer assignment made against the older catalog 5: the catalog goes back */
	s = (struct served){ t.c5, t.c5l, 0 };
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)t.a10, t.a10l, serve_catalog, &s,
					     NULL), FERRY_EMISMATCH);
	assert_int_equal(strncmp(ferry_error_detail(), "catalog", 7), 0);
	assert_int_equal(a.cat_mark.sequence, 6);
	two_catalogs_free(&t);
}

static void test_net_agent_v2__runbook_not_in_catalog_is_refused(void **state)
{
	(void)state;
	expect_refused(AGENT, "wipe-the-disk", "2098-01-01T00:00:00Z", FERRY_EMISMATCH,
		       "wipe-the-disk");
}

static void test_net_agent_v2__expired_assignment_is_refused(void **state)
{
	(void)state;
	expect_refused(AGENT, "migration", "2026-01-01T00:00:00Z", FERRY_EMISMATCH, "expired");
}

static void test_net_agent_v2__lowered_assignment_is_refused(void **state)
{
	struct net_agent a;
	size_t cl = 0, a9l = 0, a8l = 0, r9l = 0;
	char hex[65], *cat = catalog_env(5, &cl), *a9, *a8, *r9;
	struct served s = { cat, 0, 0 };

	(void)state;
	s.len = cl;
	catalog_hex(hex, cat, cl);
	a9 = good_assignment(9, hex, &a9l);
	a8 = good_assignment(8, hex, &a8l);
	/* the same sequence with another payload: a forked or replaying signer */
	r9 = assignment_env(9, AGENT, hex, "migration", "2097-01-01T00:00:00Z", &r9l);
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)a9, a9l, serve_catalog, &s, NULL),
			 FERRY_OK);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)a8, a8l, serve_catalog, &s, NULL),
			 FERRY_EMISMATCH);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)r9, r9l, serve_catalog, &s, NULL),
			 FERRY_EMISMATCH);
	assert_int_equal(a.asg_mark.sequence, 9);
	ferry_free(cat);
	ferry_free(a9);
	ferry_free(a8);
	ferry_free(r9);
}

/* A v1 bundle at `seq` for every agent (the admin's key). */
static char *bundle_env(unsigned seq, size_t *len)
{
	cJSON *p = cJSON_CreateObject(), *batch = sample("batch-01.json"), *rbs;
	char *out = NULL;

	cJSON_DeleteItemFromObject(batch, "devices_csv");
	cJSON_AddNumberToObject(p, "sequence", seq);
	cJSON_AddStringToObject(p, "issued", "2025-03-01T00:00:00Z");
	cJSON_AddStringToObject(p, "not_after", "2099-01-01T00:00:00Z");
	cJSON_AddStringToObject(p, "agent", "*");
	cJSON_AddItemToObject(p, "batch", batch);
	rbs = cJSON_AddArrayToObject(p, "runbooks");
	cJSON_AddItemToArray(rbs, sample("cache-credentials.json"));
	cJSON_AddItemToArray(rbs, sample("migration.json"));
	cJSON_AddArrayToObject(p, "packages");
	assert_int_equal(bundle_sign(&out, len, p, admin_priv), FERRY_OK);
	cJSON_Delete(p);
	return out;
}

static void test_net_agent_v2__no_v1_bundle_after_a_catalog(void **state)
{
	struct net_agent a;
	struct net_accepted *acc = NULL;
	struct bundle *b = NULL;
	size_t cl = 0, al = 0, b3l = 0, b4l = 0;
	char hex[65], *cat = catalog_env(5, &cl), *asg, *b3 = bundle_env(3, &b3l),
		      *b4 = bundle_env(4, &b4l);
	struct served s = { cat, 0, 0 };

	(void)state;
	s.len = cl;
	catalog_hex(hex, cat, cl);
	asg = good_assignment(9, hex, &al);
	open_enrolled(&a);
	/* a v1-era agent: the bundle is in force */
	assert_int_equal(net_agent_accept(&a, (uint8_t *)b3, b3l, NULL), FERRY_OK);
	assert_int_equal(net_agent_load_any(&a, &acc), FERRY_OK);
	assert_non_null(acc->bundle);
	net_accepted_free(acc);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)asg, al, serve_catalog, &s, NULL),
			 FERRY_OK);
	/* from now on: no newer bundle, and not the one accepted before */
	assert_int_equal(net_agent_accept(&a, (uint8_t *)b4, b4l, NULL), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "never falls back to v1"));
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_EMISMATCH);
	assert_null(b);
	assert_int_equal(net_agent_load_any(&a, &acc), FERRY_OK);
	assert_null(acc->bundle);
	assert_int_equal(acc->assignment->sequence, 9);
	net_accepted_free(acc);
	/* a catalog refused later does not reopen v1 either: the mark stays */
	s.env = NULL;
	ferry_free(asg);
	asg = good_assignment(10, "0000000000000000000000000000000000000000000000000000000000000000",
			      &al);
	assert_int_not_equal(net_agent_accept_v2(&a, (uint8_t *)asg, al, serve_catalog, &s, NULL),
			     FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (uint8_t *)b4, b4l, NULL), FERRY_EMISMATCH);
	ferry_free(cat);
	ferry_free(asg);
	ferry_free(b3);
	ferry_free(b4);
}

/* Replace `from` by `to` (same length) in <dir>/name. */
static void tamper(const char *name, const char *from, const char *to)
{
	char path[128], *text = NULL, *at;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(rb_read_file(&text, &len, path, 1u << 22), FERRY_OK);
	assert_non_null(at = strstr(text, from));
	memcpy(at, to, strlen(to));
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	ferry_free(text);
}

static void test_net_agent_v2__tampered_state_is_refused_at_load(void **state)
{
	struct net_agent a;
	struct net_accepted *acc = NULL;
	size_t cl = 0, al = 0, c6l = 0;
	char hex[65], *cat = catalog_env(5, &cl), *c6 = catalog_env(6, &c6l), *asg, path[128];
	struct served s = { cat, 0, 0 };
	FILE *f;

	(void)state;
	s.len = cl;
	catalog_hex(hex, cat, cl);
	asg = good_assignment(9, hex, &al);
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)asg, al, serve_catalog, &s, NULL),
			 FERRY_OK);
	tamper("assignment.json", "wave-3", "wave-4");
	assert_int_equal(net_agent_load_v2(&a, &acc), FERRY_EAUTH);
	assert_null(acc);
	/* a validly signed but other catalog in place of the accepted one */
	snprintf(path, sizeof(path), "%s/catalog.json", dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(c6, 1, c6l, f), c6l);
	fclose(f);
	assert_int_equal(net_agent_load_v2(&a, &acc), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "catalog.json"));
	/* a tampered held catalog is fetched again when an assignment names it */
	tamper("catalog.json", "target.example", "target.exbmple");
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)asg, al, serve_catalog, &s, NULL),
			 FERRY_OK);
	assert_int_equal(s.calls, 2);
	assert_int_equal(net_agent_load_v2(&a, &acc), FERRY_OK);
	net_accepted_free(acc);
	ferry_free(cat);
	ferry_free(c6);
	ferry_free(asg);
}

static void test_net_agent_v2__failed_write_keeps_the_accepted_pair(void **state)
{
	struct net_agent a;
	struct net_accepted *acc = NULL;
	size_t cl = 0, a9l = 0, a10l = 0;
	char hex[65], *cat = catalog_env(5, &cl), *a9, *a10, tmp[128];
	struct served s = { cat, 0, 0 };

	(void)state;
	s.len = cl;
	catalog_hex(hex, cat, cl);
	a9 = good_assignment(9, hex, &a9l);
	a10 = good_assignment(10, hex, &a10l);
	open_enrolled(&a);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)a9, a9l, serve_catalog, &s, NULL),
			 FERRY_OK);
	/* agent.json cannot be replaced (a non-empty folder where it goes) */
	snprintf(tmp, sizeof(tmp), "%s/agent.json", dir);
	assert_int_equal(remove(tmp), 0);
	assert_int_equal(make_dir(tmp), 0);
	snprintf(tmp, sizeof(tmp), "%s/agent.json/x", dir);
	assert_int_equal(make_dir(tmp), 0);
	assert_int_equal(net_agent_accept_v2(&a, (uint8_t *)a10, a10l, serve_catalog, &s, NULL),
			 FERRY_EIO);
	assert_non_null(strstr(ferry_error_detail(), "stays in force"));
	(void)remove_dir(tmp);
	snprintf(tmp, sizeof(tmp), "%s/agent.json", dir);
	(void)remove_dir(tmp);
	assert_int_equal(a.asg_mark.sequence, 9);
	assert_int_equal(net_agent_load_v2(&a, &acc), FERRY_OK);
	assert_int_equal(acc->assignment->sequence, 9);
	net_accepted_free(acc);
	assert_false(exists("assignment.json.prev"));
	ferry_free(cat);
	ferry_free(a9);
	ferry_free(a10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_net_agent_v2__accepted_pair_is_persisted_and_loads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_net_agent_v2__assignment_for_another_agent_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_net_agent_v2__new_catalog_named_is_fetched_and_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__lowered_catalog_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__runbook_not_in_catalog_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__expired_assignment_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__lowered_assignment_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__no_v1_bundle_after_a_catalog,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__tampered_state_is_refused_at_load,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent_v2__failed_write_keeps_the_accepted_pair,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
