/* core/net/bundle: signed envelopes, freshness, package digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/bundle.h"
#include "net/package.h"
#include "net/sig.h"
#include "util/mem.h"

static const uint8_t priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static uint8_t pub[32];


/* times: the issued and not_after members as JSON text ("" = neither). */
static char *signed_bundle_at(unsigned seq, const char *agent, const char *times,
			      const char *extra, size_t *len)
{
	char json[1024];
	cJSON *p;
	char *out = NULL;

	snprintf(json, sizeof(json),
		 "{\"sequence\":%u,%s\"agent\":\"%s\","
		 "\"batch\":{\"id\":\"b\"},\"runbooks\":[],\"packages\":[]%s}",
		 seq, times, agent, extra);
	p = cJSON_Parse(json);
	assert_non_null(p);
	assert_int_equal(bundle_sign(&out, len, p, priv), FERRY_OK);
	cJSON_Delete(p);
	return out;
}

static char *signed_bundle(unsigned seq, const char *agent, const char *extra, size_t *len)
{
	return signed_bundle_at(seq, agent,
				"\"issued\":\"2025-03-01T00:00:00Z\",\"not_after\":\"2099-01-01T00:00:00Z\",",
				extra, len);
}

static int setup(void **state)
{
	(void)state;
	return sig_public_from_private(pub, priv) ? -1 : 0;
}

static void test_net__bundle_good_signature_verifies(void **state)
{
	struct bundle *b = NULL;
	size_t len;
	char *env = signed_bundle(7, "*", ",\"poll_interval_s\":600", &len);
	(void)state;
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "agent-1"), FERRY_OK);
	assert_int_equal(b->sequence, 7);
	assert_int_equal(b->poll_interval_s, 600);
	bundle_free(b);
	ferry_free(env);
}

static void test_net__bundle_whitespace_and_order_do_not_matter(void **state)
{
	struct bundle *b = NULL;
	size_t len;
	char *env = signed_bundle(3, "*", "", &len);
	cJSON *j = cJSON_Parse(env);
	char *pretty = cJSON_Print(j); /* reformatted, members in the same order */
	(void)state;
	assert_int_equal(bundle_verify(&b, (uint8_t *)pretty, strlen(pretty), pub, NULL), FERRY_OK);
	bundle_free(b);
	cJSON_free(pretty);
	cJSON_Delete(j);
	ferry_free(env);
}

static void test_net__bundle_altered_payload_refused(void **state)
{
	struct bundle *b = NULL;
	size_t len;
	char *env = signed_bundle(3, "*", "", &len);
	char *at = strstr(env, "\"sequence\":3");
	(void)state;
	at[11] = '4';
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, NULL), FERRY_EAUTH);
	assert_null(b);
	ferry_free(env);
}

static void test_net__bundle_wrong_key_refused(void **state)
{
	struct bundle *b = NULL;
	uint8_t other[32];
	size_t len;
	char *env = signed_bundle(3, "*", "", &len);
	(void)state;
	memcpy(other, pub, 32);
	other[0] ^= 0x40;
	assert_int_not_equal(bundle_verify(&b, (uint8_t *)env, len, other, NULL), FERRY_OK);
	assert_null(b);
	ferry_free(env);
}

static void test_net__bundle_unsigned_refused(void **state)
{
	static const char env[] = "{\"ferry_bundle\":1,\"payload\":{\"sequence\":1,\"issued\":\"x\","
				  "\"batch\":{},\"runbooks\":[],\"packages\":[]}}";
	static const char empty[] = "{\"ferry_bundle\":1,\"payload\":{},\"signature\":\"\"}";
	struct bundle *b = NULL;
	(void)state;
	assert_int_equal(bundle_verify(&b, (const uint8_t *)env, strlen(env), pub, NULL), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "unsigned"));
	assert_int_equal(bundle_verify(&b, (const uint8_t *)empty, strlen(empty), pub, NULL),
			 FERRY_EAUTH);
	assert_null(b);
}

static void test_net__bundle_garbage_refused(void **state)
{
	static const char *cases[] = { "", "not json", "[1,2]", "{\"ferry_bundle\":2}",
				       "{\"ferry_bundle\":1,\"signature\":\"AAAA\"}" };
	struct bundle *b = NULL;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(bundle_verify(&b, (const uint8_t *)cases[i], strlen(cases[i]),
						   pub, NULL), FERRY_OK);
		assert_null(b);
	}
}

static void test_net__bundle_for_another_agent_refused(void **state)
{
	struct bundle *b = NULL;
	size_t len;
	char *env = signed_bundle(3, "agent-2", "", &len);
	(void)state;
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "agent-1"), FERRY_EMISMATCH);
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "agent-2"), FERRY_OK);
	bundle_free(b);
	ferry_free(env);
}

/* The old unsigned-table path is gone (issue 15, finding 6): a signed bundle
 * still carrying a /table member is refused, so no table rides along
 * unread while an admin believes it is in force. */
static void test_net__bundle_with_old_table_member_refused(void **state)
{
	struct bundle *b = NULL;
	size_t len;
	char *env = signed_bundle(3, "*", ",\"table\":[]", &len);

	(void)state;
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "agent-1"), FERRY_ECORRUPT);
	assert_null(b);
	assert_non_null(strstr(ferry_error_detail(), "/identity_map"));
	ferry_free(env);
}

/* An agent never enrolled (BundleDir) is its computer name, without case;
 * one with neither id nor name takes only bundles for every agent. */
static void test_net__bundle_for_another_computer_refused(void **state)
{
	struct bundle *b = NULL;
	size_t len, len_all;
	char *env = signed_bundle(3, "fin-pc-001", "", &len);
	char *all = signed_bundle(3, "*", "", &len_all);
	(void)state;
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "FIN-PC-002"), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "FIN-PC-002"));
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, ""), FERRY_EMISMATCH);
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "FIN-PC-001"), FERRY_OK);
	bundle_free(b);
	assert_int_equal(bundle_verify(&b, (uint8_t *)all, len_all, pub, ""), FERRY_OK);
	bundle_free(b);
	ferry_free(env);
	ferry_free(all);
}

/* not_after is required, after issued, and refused from its second on. */
static void test_net__bundle_not_after_required_and_enforced(void **state)
{
	static const char *const bad[] = {
		"\"issued\":\"2025-03-01T00:00:00Z\",",
		"\"issued\":\"2025-03-01T00:00:00Z\",\"not_after\":\"soon\",",
		"\"issued\":\"2025-03-01T00:00:00Z\",\"not_after\":\"2025-03-01T00:00:00Z\",",
		"\"not_after\":\"2099-01-01T00:00:00Z\",",
	};
	struct bundle *b = NULL;
	size_t len;
	char *env;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env = signed_bundle_at(2, "*", bad[i], "", &len);
		assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "a"), FERRY_ECORRUPT);
		assert_null(b);
		ferry_free(env);
	}
	env = signed_bundle_at(2, "*", "\"issued\":\"2025-03-01T00:00:00Z\","
				       "\"not_after\":\"2025-04-01T00:00:00Z\",", "", &len);
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, "a"), FERRY_OK);
	assert_int_equal(bundle_check_time(b, 1743465599), FERRY_OK);       /* 2025-03-31T23:59:59Z */
	assert_int_equal(bundle_check_time(b, 1743465600), FERRY_EMISMATCH); /* 2025-04-01T00:00:00Z */
	assert_non_null(strstr(ferry_error_detail(), "expired"));
	bundle_free(b);
	ferry_free(env);
}

static void test_net__bundle_stale_sequence_refused(void **state)
{
	struct bundle *b5 = NULL, *b4 = NULL, *b5other = NULL;
	struct bundle_mark mark = { 0 };
	size_t l5, l4, l5o;
	char *e5 = signed_bundle(5, "*", "", &l5), *e4 = signed_bundle(4, "*", "", &l4);
	char *e5o = signed_bundle(5, "*", ",\"poll_interval_s\":60", &l5o);
	(void)state;
	assert_int_equal(bundle_verify(&b5, (uint8_t *)e5, l5, pub, NULL), FERRY_OK);
	assert_int_equal(bundle_verify(&b4, (uint8_t *)e4, l4, pub, NULL), FERRY_OK);
	assert_int_equal(bundle_verify(&b5other, (uint8_t *)e5o, l5o, pub, NULL), FERRY_OK);
	assert_int_equal(bundle_check_fresh(b5, &mark), FERRY_OK);
	bundle_mark_of(&mark, b5);
	assert_int_equal(bundle_check_fresh(b5, &mark), FERRY_OK); /* the same bundle again */
	assert_int_equal(bundle_check_fresh(b4, &mark), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "stale"));
	assert_int_equal(bundle_check_fresh(b5other, &mark), FERRY_EMISMATCH);
	bundle_free(b5);
	bundle_free(b4);
	bundle_free(b5other);
	ferry_free(e5);
	ferry_free(e4);
	ferry_free(e5o);
}

static void test_net__bundle_package_digest_checked(void **state)
{
	struct bundle *b = NULL;
	uint8_t h[32];
	char hex[65], extra[256];
	size_t len;
	char *env;
	(void)state;
	assert_int_equal(net_sha256(h, (const uint8_t *)"pkg", 3), FERRY_OK);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(extra, sizeof(extra), ",\"packages\":[{\"id\":\"p1.zip\",\"sha256\":\"%s\","
		 "\"size\":3}]", hex);
	/* "packages" given twice would be a duplicate key: rebuild without the default. */
	env = NULL;
	{
		char json[1024];
		cJSON *p;
		snprintf(json, sizeof(json), "{\"sequence\":1,\"issued\":\"2025-03-01T00:00:00Z\","
			 "\"not_after\":\"2099-01-01T00:00:00Z\",\"batch\":{},"
			 "\"runbooks\":[]%s}", extra);
		p = cJSON_Parse(json);
		assert_int_equal(bundle_sign(&env, &len, p, priv), FERRY_OK);
		cJSON_Delete(p);
	}
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, NULL), FERRY_OK);
	assert_int_equal(bundle_check_package(b, "p1.zip", (const uint8_t *)"pkg", 3), FERRY_OK);
	assert_int_equal(bundle_check_package(b, "p1.zip", (const uint8_t *)"pkG", 3), FERRY_EAUTH);
	assert_int_equal(bundle_check_package(b, "p1.zip", (const uint8_t *)"pkgs", 4), FERRY_EAUTH);
	assert_int_equal(bundle_check_package(b, "p2", (const uint8_t *)"pkg", 3), FERRY_ENOTFOUND);
	bundle_free(b);
	ferry_free(env);
}

static void test_net__bundle_package_ids_are_safe_names(void **state)
{
	(void)state;
	assert_true(package_id_valid("office-reset_1.2.zip"));
	assert_false(package_id_valid(""));
	assert_false(package_id_valid(".."));
	assert_false(package_id_valid("../x"));
	assert_false(package_id_valid("a/b"));
	assert_false(package_id_valid("a\\b"));
	assert_false(package_id_valid("c:x"));
	assert_false(package_id_valid("CON"));
	assert_false(package_id_valid("lpt1.txt"));
	assert_false(package_id_valid("reset."));
}

/* The bundle's /packages check uses the same rule (issue 15, finding 14):
 * an id Windows would read as a device or alias by its trailing dot is
 * refused in the signed list itself, naming the entry. */
static void test_net__bundle_package_list_refuses_device_names(void **state)
{
	static const char *const bad[] = { "CON", "nul.pkg", "com1", "reset." };
	const char *digest = "0000000000000000000000000000000000000000000000000000000000000000";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "id", "fine");
		cJSON_AddStringToObject(e, "sha256", digest);
		cJSON_AddNumberToObject(e, "size", 1);
		cJSON_AddItemToArray(arr, e);
		assert_int_equal(bundle_packages_check(arr, "bundle"), FERRY_OK);
		cJSON_ReplaceItemInObjectCaseSensitive(e, "id", cJSON_CreateString(bad[i]));
		assert_int_equal(bundle_packages_check(arr, "bundle"), FERRY_ECORRUPT);
		assert_non_null(strstr(ferry_error_detail(), "/packages/0/id"));
		cJSON_Delete(arr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net__bundle_good_signature_verifies),
		cmocka_unit_test(test_net__bundle_whitespace_and_order_do_not_matter),
		cmocka_unit_test(test_net__bundle_altered_payload_refused),
		cmocka_unit_test(test_net__bundle_wrong_key_refused),
		cmocka_unit_test(test_net__bundle_unsigned_refused),
		cmocka_unit_test(test_net__bundle_garbage_refused),
		cmocka_unit_test(test_net__bundle_for_another_agent_refused),
		cmocka_unit_test(test_net__bundle_for_another_computer_refused),
		cmocka_unit_test(test_net__bundle_with_old_table_member_refused),
		cmocka_unit_test(test_net__bundle_not_after_required_and_enforced),
		cmocka_unit_test(test_net__bundle_stale_sequence_refused),
		cmocka_unit_test(test_net__bundle_package_digest_checked),
		cmocka_unit_test(test_net__bundle_package_ids_are_safe_names),
		cmocka_unit_test(test_net__bundle_package_list_refuses_device_names),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
