/* core/net/agent: the accepted bundle's one copy on disk, read back and
 * verified again, and its documents parsed for the service. */
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

#include "net/agent.h"
#include "net/sig.h"
#include "runbook/runbook.h"
#include "util/err.h"
#include "util/mem.h"

#include "net_fixtures.h"


static const uint8_t priv[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static uint8_t pub[32];
static char dir[64];

/* The sample batch and its two runbooks, signed at `seq` for `agent`, valid until not_after. */
static char *signed_for(unsigned seq, const char *agent, const char *not_after, size_t *len)
{
	cJSON *p = cJSON_CreateObject(), *batch = sample("batch-01.json"), *rbs;
	char *out = NULL;

	cJSON_DeleteItemFromObject(batch, "devices_csv");
	cJSON_AddNumberToObject(p, "sequence", seq);
	cJSON_AddStringToObject(p, "issued", "2025-03-01T00:00:00Z");
	cJSON_AddStringToObject(p, "not_after", not_after);
	cJSON_AddStringToObject(p, "agent", agent);
	cJSON_AddItemToObject(p, "batch", batch);
	rbs = cJSON_AddArrayToObject(p, "runbooks");
	cJSON_AddItemToArray(rbs, sample("cache-credentials.json"));
	cJSON_AddItemToArray(rbs, sample("migration.json"));
	cJSON_AddArrayToObject(p, "packages");
	assert_int_equal(bundle_sign(&out, len, p, priv), FERRY_OK);
	cJSON_Delete(p);
	return out;
}

static char *signed_samples(unsigned seq, size_t *len)
{
	return signed_for(seq, "*", "2099-01-01T00:00:00Z", len);
}

/* A key store in memory: the enrolment token lands here. */
static uint8_t kept_token[256];
static size_t kept_len;

static ferry_err mem_load(void *ctx, const char *name, struct ferry_secret **out)
{
	(void)ctx;
	(void)name;
	(void)out;
	return ferry_error_set(FERRY_ENOTFOUND, "none");
}

static ferry_err mem_save(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	(void)ctx;
	assert_string_equal(name, "agent.token");
	assert_true(len <= sizeof(kept_token));
	memcpy(kept_token, data, len);
	kept_len = len;
	return FERRY_OK;
}

static const struct net_keystore mem_ks = { mem_load, mem_save, NULL };

static bool exists(const char *name)
{
	return file_in(dir, name);
}

static int setup(void **state)
{
	(void)state;
	/* A fresh folder in the test's working directory (the build tree). */
	snprintf(dir, sizeof(dir), "test-net-agent-%ld-%d", (long)time(NULL), rand());
	if (sig_public_from_private(pub, priv) || make_dir(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/bundle.json", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/bundle.json.tmp", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/agent.json", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/agent.json.tmp", dir);
	remove(path);
	return remove_dir(dir);
}

static void test_net_agent__accepted_bundle_loads_back_verified(void **state)
{
	struct net_agent a;
	struct bundle *b = NULL;
	struct net_bundle_documents *d = NULL;
	size_t len = 0;
	char *env = signed_samples(5, &len);

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_ENOTFOUND);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)env, len, NULL), FERRY_OK);
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_OK);
	assert_int_equal(b->sequence, 5);
	assert_int_equal(net_bundle_documents_parse(&d, b), FERRY_OK);
	assert_string_equal(d->batch->id, "batch-01");
	assert_int_equal(d->n_runbooks, 2);
	assert_string_equal(d->runbooks[1]->id, "migration");
	net_bundle_documents_free(d);
	bundle_free(b);
	ferry_free(env);
}

static void test_net_agent__tampered_copy_on_disk_is_refused(void **state)
{
	struct net_agent a;
	struct bundle *b = NULL;
	char path[128], *text = NULL, *at;
	size_t len = 0;
	char *env = signed_samples(6, &len);
	FILE *f;

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)env, len, NULL), FERRY_OK);
	snprintf(path, sizeof(path), "%s/bundle.json", dir);
	assert_int_equal(rb_read_file(&text, &len, path, 1u << 20), FERRY_OK);
	assert_non_null(at = strstr(text, "Finance"));
	at[0] = 'f'; /* a one-byte change to the signed payload */
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_EAUTH);
	assert_null(b);
	ferry_free(text);
	ferry_free(env);
}

static void test_net_agent__older_bundle_on_disk_is_not_the_accepted_one(void **state)
{
	struct net_agent a;
	struct bundle *b = NULL;
	size_t len1 = 0, len2 = 0;
	char *one = signed_samples(7, &len1), *two = signed_samples(8, &len2), path[128];
	FILE *f;

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)two, len2, NULL), FERRY_OK);
	/* someone puts the older, validly signed bundle back in place */
	snprintf(path, sizeof(path), "%s/bundle.json", dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(one, 1, len1, f), len1);
	fclose(f);
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_EAUTH);
	assert_null(b);
	ferry_free(one);
	ferry_free(two);
}

/* Enrolling again (a new id, a server reset) never lowers the mark: the
 * bundle accepted before and anything older stay refused. */
static void test_net_agent__reenrolment_keeps_the_mark(void **state)
{
	static const char reply[] = "{\"agent_id\":\"a2\",\"token\":\"t0k3n\","
				    "\"poll_interval_s\":300}";
	struct net_agent a, again;
	size_t l5 = 0, l4 = 0;
	char *five = signed_samples(5, &l5), *four = signed_samples(4, &l4);

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, &mem_ks, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)five, l5, NULL), FERRY_OK);
	assert_int_equal(net_agent_enrolled(&a, (const uint8_t *)reply, strlen(reply)), FERRY_OK);
	assert_string_equal(a.id, "a2");
	assert_memory_equal(kept_token, "t0k3n", kept_len);
	assert_int_equal(a.mark.sequence, 5);
	/* and on disk: a restart after re-enrolment keeps it too */
	assert_int_equal(net_agent_open(&again, dir, &mem_ks, pub), FERRY_OK);
	assert_int_equal(again.mark.sequence, 5);
	assert_int_equal(net_agent_accept(&again, (const uint8_t *)four, l4, NULL), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "stale"));
	assert_int_equal(again.mark.sequence, 5);
	ferry_free(five);
	ferry_free(four);
}

/* Past not_after a bundle the agent never saw is refused, nothing kept. */
static void test_net_agent__expired_bundle_is_refused(void **state)
{
	struct net_agent a;
	size_t len = 0;
	char *old = signed_for(3, "*", "2025-04-01T00:00:00Z", &len);

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)old, len, NULL), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "expired"));
	assert_int_equal(a.mark.sequence, 0);
	assert_false(exists("bundle.json"));
	ferry_free(old);
}

/* An agent never enrolled (BundleDir) is its computer name: a bundle for
 * another agent or another computer is refused; an unnamed agent takes
 * only bundles for every agent. */
static void test_net_agent__bundle_for_another_agent_is_refused_without_an_id(void **state)
{
	struct net_agent a;
	size_t l1 = 0, l2 = 0, l3 = 0;
	char *other = signed_for(3, "0123abcd", "2099-01-01T00:00:00Z", &l1);
	char *pc2 = signed_for(3, "FIN-PC-002", "2099-01-01T00:00:00Z", &l2);
	char *mine = signed_for(3, "fin-pc-001", "2099-01-01T00:00:00Z", &l3);

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)mine, l3, NULL), FERRY_EMISMATCH);
	snprintf(a.machine, sizeof(a.machine), "FIN-PC-001");
	assert_string_equal(net_agent_identity(&a), "FIN-PC-001");
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)other, l1, NULL), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "another agent"));
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)pc2, l2, NULL), FERRY_EMISMATCH);
	assert_int_equal(a.mark.sequence, 0);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)mine, l3, NULL), FERRY_OK);
	assert_int_equal(a.mark.sequence, 3);
	ferry_free(other);
	ferry_free(pc2);
	ferry_free(mine);
}

/* A new bundle that cannot be written leaves the accepted one in force. */
static void test_net_agent__failed_write_keeps_the_accepted_bundle(void **state)
{
	struct net_agent a;
	struct bundle *b = NULL;
	size_t l5 = 0, l6 = 0;
	char *five = signed_samples(5, &l5), *six = signed_samples(6, &l6), tmp[128];

	(void)state;
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)five, l5, NULL), FERRY_OK);
	/* agent.json cannot be replaced (temporary names are random, so the
	 * test puts a non-empty folder where agent.json goes): the new bundle
	 * is undone and the old one kept */
	snprintf(tmp, sizeof(tmp), "%s/agent.json", dir);
	assert_int_equal(remove(tmp), 0);
	assert_int_equal(make_dir(tmp), 0);
	snprintf(tmp, sizeof(tmp), "%s/agent.json/x", dir);
	assert_int_equal(make_dir(tmp), 0);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)six, l6, NULL), FERRY_EIO);
	assert_non_null(strstr(ferry_error_detail(), "stays in force"));
	(void)remove_dir(tmp);
	snprintf(tmp, sizeof(tmp), "%s/agent.json", dir);
	(void)remove_dir(tmp);
	assert_int_equal(a.mark.sequence, 5);
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_OK);
	assert_int_equal(b->sequence, 5);
	bundle_free(b);
	assert_false(exists("bundle.json.prev"));
	ferry_free(five);
	ferry_free(six);
}

static void write_agent_json(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/agent.json", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

/* Found by fuzz_agent_state: numbers past their type's range were converted
 * (undefined behaviour); each is now refused, naming the field. */
static void test_net_agent__state_numbers_out_of_range_are_refused(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"id\":\"a\",\"sequence\":1e30}", "/sequence" },
		{ "{\"id\":\"a\",\"poll_interval_s\":1e10}", "/poll_interval_s" },
		{ "{\"id\":\"a\",\"failures\":1e10}", "/failures" },
		{ "{\"id\":\"a\",\"last_ok\":1e300}", "/last_ok" },
		{ "{\"id\":\"a\",\"failures\":2.5}", "/failures" },
		{ "{\"id\":\"a\",\"last_ok\":-1}", "/last_ok" },
	};
	struct net_agent a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_agent_json(cases[i][0]);
		assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_ECORRUPT);
		assert_non_null(strstr(ferry_error_detail(), cases[i][1]));
	}
}

static void test_net_agent__state_numbers_in_range_load(void **state)
{
	struct net_agent a;

	(void)state;
	write_agent_json("{\"id\":\"a\",\"poll_interval_s\":900,\"failures\":3,"
			 "\"last_ok\":1733400000}");
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(a.poll_s, 900);
	assert_int_equal(a.failures, 3);
	assert_int_equal(a.last_ok, 1733400000);
}

/* A file planted at the old fixed temporary names is never written
 * through nor consumed: the agent writes under a new random name. */
static void test_net_agent__planted_tmp_is_never_used(void **state)
{
	struct net_agent a;
	struct bundle *b = NULL;
	size_t len = 0;
	char path[128], *env = signed_samples(5, &len), *text = NULL;
	FILE *f;

	(void)state;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s.tmp", dir, i ? "agent.json" : "bundle.json");
		assert_non_null(f = fopen(path, "wb"));
		fputs("planted", f);
		fclose(f);
	}
	assert_int_equal(net_agent_open(&a, dir, NULL, pub), FERRY_OK);
	assert_int_equal(net_agent_accept(&a, (const uint8_t *)env, len, NULL), FERRY_OK);
	assert_int_equal(net_agent_load_bundle(&a, &b), FERRY_OK);
	assert_int_equal(b->sequence, 5);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s.tmp", dir, i ? "agent.json" : "bundle.json");
		assert_int_equal(rb_read_file(&text, &len, path, 64), FERRY_OK);
		assert_string_equal(text, "planted");
		ferry_free(text);
	}
	bundle_free(b);
	ferry_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_net_agent__accepted_bundle_loads_back_verified,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__tampered_copy_on_disk_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_net_agent__older_bundle_on_disk_is_not_the_accepted_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__reenrolment_keeps_the_mark, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__expired_bundle_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_net_agent__bundle_for_another_agent_is_refused_without_an_id, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__failed_write_keeps_the_accepted_bundle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__state_numbers_out_of_range_are_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__state_numbers_in_range_load, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_net_agent__planted_tmp_is_never_used, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
