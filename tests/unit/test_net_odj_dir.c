/*
 * core/net/odj_dir: the sealed ODJ blob from BundleDir, bound by the signed
 * bundle's /odj_sealed. The blob is Samba's (tests/data/odj/
 * samba-ferrypc01.odj: FERRYPC01 joining ferry.test), sealed here to the
 * agent's key as the admin would with `ferry seal box --aad FERRYPC01`.
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
#include "net/odj_dir.h"
#include "net/seal.h"
#include "runbook/runbook.h"
#include "util/hex.h"
#include "util/mem.h"

#include "net_fixtures.h"

#define BLOB FERRY_TEST_DATA "/odj/samba-ferrypc01.odj"

static const uint8_t agent_priv[32] = { 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29,
					28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15,
					14, 13, 12, 11 };
static char dir[64];

static ferry_err ks_load(void *ctx, const char *name, struct ferry_secret **out)
{
	(void)ctx;
	ferry_err rc;

	assert_string_equal(name, "agent.key");
	if ((rc = ferry_secret_new(out, sizeof(agent_priv))) == FERRY_OK)
		memcpy((*out)->data, agent_priv, sizeof(agent_priv));
	return rc;
}

static ferry_err ks_save(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	(void)ctx;
	(void)name;
	(void)data;
	(void)len;
	fail_msg("the key exists: nothing is saved");
	return FERRY_EIO;
}

static const struct net_keystore ks = { ks_load, ks_save, NULL };

/* The agent of a site without a server: never enrolled, known by its name. */
static void open_agent(struct net_agent *a, const char *machine)
{
	assert_int_equal(net_agent_open(a, dir, &ks, NULL), FERRY_OK);
	snprintf(a->machine, sizeof(a->machine), "%s", machine);
}

/* Seal the Samba blob to `to` for `aad` into <dir>/odj/<file>.sealed; its SHA-256 into sha. */
static void drop_sealed(const char *file, const uint8_t to[32], const char *aad, uint8_t sha[32])
{
	char path[128], *text = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0, slen = 0;
	FILE *f;

	assert_int_equal(rb_read_file(&text, &len, BLOB, 1u << 22), FERRY_OK);
	assert_int_equal(seal_box(&sealed, &slen, to, aad, (uint8_t *)text, len), FERRY_OK);
	snprintf(path, sizeof(path), "%s/odj/%s.sealed", dir, file);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(sealed, 1, slen, f), slen);
	fclose(f);
	assert_int_equal(net_sha256(sha, sealed, slen), FERRY_OK);
	ferry_free(sealed);
	ferry_free(text);
}

static void agent_pub(uint8_t pub[32])
{
	struct net_agent a;

	open_agent(&a, "FERRYPC01");
	assert_int_equal(net_agent_public_key(&a, pub), FERRY_OK);
}

static int setup(void **state)
{
	char sub[96];

	(void)state;
	snprintf(dir, sizeof(dir), "test-net-odj-dir-%ld-%d", (long)time(NULL), rand());
	snprintf(sub, sizeof(sub), "%s/odj", dir);
	return make_dir(dir) || make_dir(sub) ? -1 : 0;
}

static int teardown(void **state)
{
	static const char *const names[] = { "FERRYPC01.sealed", "FERRYPC02.sealed" };
	char path[128];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/odj/%s", dir, names[i]);
		remove(path);
	}
	snprintf(path, sizeof(path), "%s/odj", dir);
	remove_dir(path);
	return remove_dir(dir);
}

static void test_net_odj_dir__bound_blob_opens_and_validates(void **state)
{
	struct net_agent a;
	uint8_t pub[32], sha[32], *sealed = NULL;
	size_t len = 0;

	(void)state;
	agent_pub(pub);
	drop_sealed("FERRYPC01", pub, "FERRYPC01", sha);
	open_agent(&a, "ferrypc01"); /* computer names without case */
	snprintf(a.machine, sizeof(a.machine), "FERRYPC01");
	assert_int_equal(net_agent_odj_dir(&a, sha, dir, "ferry.test", &sealed, &len), FERRY_OK);
	assert_non_null(sealed);
	assert_true(len > SEAL_OVERHEAD);
	ferry_free(sealed);
}

static void test_net_odj_dir__blob_the_bundle_does_not_name_is_refused(void **state)
{
	struct net_agent a;
	uint8_t pub[32], sha[32], other[32] = { 1 }, *sealed = NULL;
	size_t len = 0;

	(void)state;
	agent_pub(pub);
	/* a valid blob for this PC, but planted: the bundle names another digest */
	drop_sealed("FERRYPC01", pub, "FERRYPC01", sha);
	open_agent(&a, "FERRYPC01");
	assert_int_equal(net_agent_odj_dir(&a, other, dir, "ferry.test", &sealed, &len),
			 FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "not the blob the signed bundle names"));
	assert_null(sealed);
}

/* A blob bound by its digest, sealed to this agent for `aad`, dropped as
 * <file>.sealed; refused for an agent named `machine` joining `domain`. */
static void expect_blob_refused(const char *file, const char *aad, const char *machine,
				const char *domain)
{
	struct net_agent a;
	uint8_t pub[32], sha[32], *sealed = NULL;
	size_t len = 0;

	agent_pub(pub);
	drop_sealed(file, pub, aad, sha);
	open_agent(&a, machine);
	assert_int_not_equal(net_agent_odj_dir(&a, sha, dir, domain, &sealed, &len), FERRY_OK);
	assert_null(sealed);
}

static void test_net_odj_dir__blob_for_another_machine_is_refused(void **state)
{
	(void)state;
	/* FERRYPC01's blob, sealed for and named as FERRYPC02, and signed for it */
	expect_blob_refused("FERRYPC02", "FERRYPC02", "FERRYPC02", "ferry.test");
}

static void test_net_odj_dir__blob_for_another_domain_is_refused(void **state)
{
	(void)state;
	expect_blob_refused("FERRYPC01", "FERRYPC01", "FERRYPC01", "target.example");
}

static void test_net_odj_dir__blob_sealed_to_another_key_or_name_is_refused(void **state)
{
	struct net_agent a;
	uint8_t pub[32], other_pub[32], sha[32], *sealed = NULL;
	struct ferry_secret *other = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(seal_keypair(other_pub, &other), FERRY_OK);
	drop_sealed("FERRYPC01", other_pub, "FERRYPC01", sha);
	open_agent(&a, "FERRYPC01");
	assert_int_equal(net_agent_odj_dir(&a, sha, dir, "ferry.test", &sealed, &len), FERRY_EAUTH);
	agent_pub(pub);
	drop_sealed("FERRYPC01", pub, "FERRYPC02", sha); /* bound to another device's name */
	assert_int_equal(net_agent_odj_dir(&a, sha, dir, "ferry.test", &sealed, &len), FERRY_EAUTH);
	assert_null(sealed);
	ferry_secret_free(other);
}

static void test_net_odj_dir__missing_blob_is_not_found(void **state)
{
	struct net_agent a;
	uint8_t sha[32] = { 0 }, *sealed = NULL;
	size_t len = 0;

	(void)state;
	open_agent(&a, "FERRYPC01");
	assert_int_equal(net_agent_odj_dir(&a, sha, dir, "ferry.test", &sealed, &len),
			 FERRY_ENOTFOUND);
	snprintf(a.machine, sizeof(a.machine), "../x");
	assert_int_equal(net_agent_odj_dir(&a, sha, dir, "ferry.test", &sealed, &len),
			 FERRY_EINVAL);
}

static void test_net_odj_dir__bundle_list_checked(void **state)
{
#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
	static const char *const bad[] = {
		"{}",
		"[{\"device\":\"../PC\",\"sha256\":\"" Z64 "\"}]",
		"[{\"device\":\"PC1\",\"sha256\":\"abc\"}]",
		"[{\"device\":\"PC1\",\"sha256\":\"" Z64 "\",\"extra\":1}]",
		"[{\"device\":\"PC1\",\"sha256\":\"" Z64 "\"},{\"device\":\"pc1\",\"sha256\":\""
		Z64 "\"}]",
	};
	char json[512];
	uint8_t out[32];
	cJSON *l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(l = cJSON_Parse(bad[i]));
		if (net_odj_sealed_check(l, "bundle") != FERRY_ECORRUPT)
			fail_msg("accepted: %s", bad[i]);
		cJSON_Delete(l);
	}
	snprintf(json, sizeof(json), "[{\"device\":\"FIN-PC-001\",\"sha256\":\"%064d\"}]", 7);
	assert_non_null(l = cJSON_Parse(json));
	assert_int_equal(net_odj_sealed_check(l, "bundle"), FERRY_OK);
	assert_int_equal(net_odj_sealed_digest(out, l, "fin-pc-001"), FERRY_OK);
	assert_int_equal(out[31], 0x07);
	assert_int_equal(net_odj_sealed_digest(out, l, "FIN-PC-002"), FERRY_ENOTFOUND);
	cJSON_Delete(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_net_odj_dir__bound_blob_opens_and_validates,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_net_odj_dir__blob_the_bundle_does_not_name_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_odj_dir__blob_for_another_machine_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_odj_dir__blob_for_another_domain_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_net_odj_dir__blob_sealed_to_another_key_or_name_is_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_net_odj_dir__missing_blob_is_not_found, setup,
						teardown),
		cmocka_unit_test(test_net_odj_dir__bundle_list_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
