/*
 * core/net/catalog and core/net/assignment: protocol v2's two-tier
 * signatures. Every refusal an agent makes is one test; the documents are
 * the sample runbooks (resources/samples) in a catalog for target.example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/assignment.h"
#include "net/canon.h"
#include "net/catalog.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/mem.h"

#include "net_fixtures.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define OU "OU=Workstations,OU=Migrated,DC=target,DC=example"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const uint8_t admin_priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t server_priv[32] = { 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86,
					 85, 84, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 72,
					 71, 70, 69, 68 };
static uint8_t admin_pub[32], server_pub[32];

/* The good catalog's payload; tests change one thing in it. */
static cJSON *catalog_payload(void)
{
	char *key = NULL, json[1024];
	cJSON *p, *rbs;

	assert_int_equal(ferry_base64_encode(&key, server_pub, 32), FERRY_OK);
	snprintf(json, sizeof(json),
		 "{\"sequence\":5,\"issued\":\"2025-12-01T00:00:00Z\","
		 "\"not_after\":\"2026-06-01T00:00:00Z\",\"assignment_key\":\"%s\","
		 "\"domains\":[{\"dns_domain\":\"target.example\",\"ous\":[\"%s\"]}],"
		 "\"packages\":[{\"id\":\"stop-sync-client\",\"sha256\":\"%s\",\"size\":3},"
		 "{\"id\":\"start-sync-client\",\"sha256\":\"%s\",\"size\":4}]}",
		 key, OU, SHA_A, SHA_A);
	ferry_free(key);
	p = cJSON_Parse(json);
	assert_non_null(p);
	rbs = cJSON_AddArrayToObject(p, "runbooks");
	cJSON_AddItemToArray(rbs, sample("cache-credentials.json"));
	cJSON_AddItemToArray(rbs, sample("migration.json"));
	return p;
}

static struct catalog *good_catalog(void)
{
	cJSON *p = catalog_payload();
	struct catalog *c = NULL;
	char *env = NULL;
	size_t len = 0;

	assert_int_equal(catalog_sign(&env, &len, p, admin_priv, NOW), FERRY_OK);
	assert_int_equal(catalog_verify(&c, (uint8_t *)env, len, admin_pub, NOW), FERRY_OK);
	cJSON_Delete(p);
	ferry_free(env);
	return c;
}

static cJSON *assignment_payload(const struct catalog *c)
{
	char hex[65], json[2048];
	cJSON *p;

	ferry_hex_encode(hex, c->digest, 32);
	snprintf(json, sizeof(json),
		 "{\"sequence\":9,\"issued\":\"2025-12-20T00:00:00Z\","
		 "\"not_after\":\"2026-02-01T00:00:00Z\",\"catalog_sha256\":\"%s\","
		 "\"agent_id\":\"c29b2c89a777be0f\",\"device\":\"FIN-PC-001\","
		 "\"batch\":{\"schema\":\"ferry.batch/1\",\"id\":\"wave-3\",\"runbooks\":["
		 "{\"runbook\":\"cache-credentials\",\"available_from\":null,\"enforced_after\":null},"
		 "{\"runbook\":\"migration\",\"available_from\":\"2026-01-05T08:00:00Z\","
		 "\"enforced_after\":\"2026-01-09T18:00:00Z\"}],\"devices\":[\"FIN-PC-001\"]},"
		 "\"target\":{\"dns_domain\":\"target.example\",\"ou\":\"%s\"},"
		 "\"packages\":[{\"id\":\"stop-sync-client\",\"sha256\":\"%s\",\"size\":3}],"
		 "\"identity_map\":[{\"source_sid\":\"S-1-5-21-1-2-3-1105\","
		 "\"target_sid\":\"S-1-5-21-7-8-9-2201\",\"kind\":\"user\",\"target_sam\":\"alice\","
		 "\"target_upn\":\"alice@target.example\",\"netbios_domain\":\"TARGET\","
		 "\"dns_domain\":\"target.example\"},{\"source_sid\":\"S-1-5-21-1-2-3-513\","
		 "\"target_sid\":\"S-1-5-21-7-8-9-513\",\"kind\":\"group\","
		 "\"target_sam\":\"Domain Users\",\"target_upn\":\"\",\"netbios_domain\":\"TARGET\","
		 "\"dns_domain\":\"target.example\"}],\"poll_interval_s\":600}",
		 hex, OU, SHA_A);
	p = cJSON_Parse(json);
	assert_non_null(p);
	return p;
}

/* An envelope signed with any key and context, bypassing assignment_sign's checks:
 * what a stolen server (or a confused one) could send. */
static char *raw_envelope(const char *member, const char *context, const cJSON *payload,
			  const uint8_t priv[32], size_t *len)
{
	struct ferry_buf m, env;
	uint8_t sig[64];
	char *b64 = NULL, *out;

	ferry_buf_init(&m, 1 << 22);
	ferry_buf_init(&env, 1 << 22);
	assert_int_equal(ferry_buf_puts(&m, context), FERRY_OK);
	assert_int_equal(canon_json(&m, payload), FERRY_OK);
	assert_int_equal(sig_sign(sig, priv, m.data, m.len), FERRY_OK);
	assert_int_equal(ferry_base64_encode(&b64, sig, 64), FERRY_OK);
	assert_int_equal(ferry_buf_printf(&env, "{\"%s\":1,\"payload\":%s,\"signature\":\"%s\"}",
					  member, (const char *)m.data + strlen(context), b64),
			 FERRY_OK);
	out = (char *)ferry_buf_detach(&env, len);
	ferry_free(b64);
	ferry_buf_free(&m);
	return out;
}

static ferry_err verify_raw(const struct catalog *c, const cJSON *p, const uint8_t priv[32],
			    const char *agent, int64_t now)
{
	struct assignment *a = NULL;
	size_t len = 0;
	char *env = raw_envelope("ferry_assignment", "ferry-assignment/1\n", p, priv, &len);
	ferry_err rc = assignment_verify(&a, (uint8_t *)env, len, c, agent, now);

	assignment_free(a);
	ferry_free(env);
	return rc;
}

/* The payload with one member replaced by JSON text. */
static cJSON *with(cJSON *p, const char *key, const char *json)
{
	cJSON *v = cJSON_Parse(json);

	assert_non_null(v);
	if (cJSON_GetObjectItemCaseSensitive(p, key))
		cJSON_ReplaceItemInObjectCaseSensitive(p, key, v);
	else
		cJSON_AddItemToObject(p, key, v);
	return p;
}

static ferry_err sign_catalog(cJSON *p)
{
	char *env = NULL;
	size_t len;
	ferry_err rc = catalog_sign(&env, &len, p, admin_priv, NOW);

	ferry_free(env);
	cJSON_Delete(p);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	return sig_public_from_private(admin_pub, admin_priv) ||
	       sig_public_from_private(server_pub, server_priv) ? -1 : 0;
}

/* --- catalog --- */

static void test_net_catalog__good_catalog_verifies(void **state)
{
	struct catalog *c = good_catalog();
	(void)state;
	assert_int_equal(c->sequence, 5);
	assert_memory_equal(c->assignment_key, server_pub, 32);
	assert_int_equal(c->n_runbooks, 2);
	assert_non_null(catalog_runbook(c, "migration"));
	assert_null(catalog_runbook(c, "unknown"));
	assert_int_equal(catalog_check_target(c, "TARGET.example", OU), FERRY_OK);
	assert_int_equal(catalog_check_target(c, "target.example", NULL), FERRY_OK);
	assert_int_equal(catalog_check_target(c, "other.example", NULL), FERRY_EMISMATCH);
	assert_int_equal(catalog_check_target(c, "target.example", "OU=X,DC=target,DC=example"),
			 FERRY_EMISMATCH);
	catalog_free(c);
}

static void test_net_catalog__wrong_key_refused(void **state)
{
	cJSON *p = catalog_payload();
	struct catalog *c = NULL;
	size_t len;
	char *env = NULL;
	(void)state;
	/* Signed by the server's key: only the admin's key may sign a catalog. */
	env = raw_envelope("ferry_catalog", "ferry-catalog/1\n", p, server_priv, &len);
	assert_int_equal(catalog_verify(&c, (uint8_t *)env, len, admin_pub, NOW), FERRY_EAUTH);
	assert_null(c);
	ferry_free(env);
	cJSON_Delete(p);
}

static void test_net_catalog__altered_payload_refused(void **state)
{
	cJSON *p = catalog_payload();
	struct catalog *c = NULL;
	size_t len;
	char *env = NULL, *at;
	(void)state;
	assert_int_equal(catalog_sign(&env, &len, p, admin_priv, NOW), FERRY_OK);
	at = strstr(env, "\"sequence\":5");
	assert_non_null(at);
	at[11] = '6';
	assert_int_equal(catalog_verify(&c, (uint8_t *)env, len, admin_pub, NOW), FERRY_EAUTH);
	ferry_free(env);
	cJSON_Delete(p);
}

static void test_net_catalog__expired_refused(void **state)
{
	cJSON *p = catalog_payload();
	struct catalog *c = NULL;
	size_t len;
	char *env = NULL;
	(void)state;
	assert_int_equal(catalog_sign(&env, &len, p, admin_priv, NOW), FERRY_OK);
	/* 2026-06-01T00:00:00Z is not_after: from that second on it is refused. */
	assert_int_equal(catalog_verify(&c, (uint8_t *)env, len, admin_pub, 1780272000),
			 FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "expired"));
	ferry_free(env);
	cJSON_Delete(p);
}

static void test_net_catalog__runbook_ou_outside_catalog_refused(void **state)
{
	cJSON *p = catalog_payload();
	(void)state;
	with(p, "domains", "[{\"dns_domain\":\"target.example\","
			   "\"ous\":[\"OU=Servers,DC=target,DC=example\"]}]");
	assert_int_equal(sign_catalog(p), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "runbook migration"));
}

static void test_net_catalog__runbook_domain_outside_catalog_refused(void **state)
{
	cJSON *p = catalog_payload();
	(void)state;
	with(p, "domains", "[{\"dns_domain\":\"other.example\",\"ous\":[]}]");
	assert_int_equal(sign_catalog(p), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "domain target.example"));
}

static void test_net_catalog__ou_in_another_domain_refused(void **state)
{
	cJSON *p = catalog_payload();
	(void)state;
	with(p, "domains", "[{\"dns_domain\":\"target.example\",\"ous\":[\"" OU "\","
			   "\"OU=X,DC=evil,DC=example\"]}]");
	assert_int_equal(sign_catalog(p), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "/domains/0/ous/1"));
}

static void test_net_catalog__unlisted_package_refused(void **state)
{
	cJSON *p = catalog_payload();
	(void)state;
	with(p, "packages", "[{\"id\":\"stop-sync-client\",\"sha256\":\"" SHA_A "\",\"size\":3}]");
	assert_int_equal(sign_catalog(p), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "start-sync-client"));
}

static void test_net_catalog__invalid_runbook_refused(void **state)
{
	cJSON *p = catalog_payload();
	cJSON *rb = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "runbooks"), 1);
	(void)state;
	cJSON_ReplaceItemInObjectCaseSensitive(rb, "id", cJSON_CreateString("bad id!"));
	assert_int_equal(sign_catalog(p), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "/runbooks/1/id"));
}

static void test_net_catalog__assignment_key_must_not_be_admin_key(void **state)
{
	cJSON *p = catalog_payload();
	char *key = NULL;
	(void)state;
	assert_int_equal(ferry_base64_encode(&key, admin_pub, 32), FERRY_OK);
	cJSON_ReplaceItemInObjectCaseSensitive(p, "assignment_key", cJSON_CreateString(key));
	ferry_free(key);
	assert_int_equal(sign_catalog(p), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "admin's own key"));
}

static void test_net_catalog__unknown_member_refused(void **state)
{
	(void)state;
	assert_int_equal(sign_catalog(with(catalog_payload(), "runbook", "[]")), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "/runbook is not a known member"));
}

/* The optional escrow key: 32 bytes of base64 or nothing signs. */
static void test_net_catalog__escrow_key_must_be_32_bytes(void **state)
{
	(void)state;
	assert_int_equal(sign_catalog(with(catalog_payload(), "escrow_public_key", "\"AAAA\"")),
			 FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "escrow_public_key"));
	assert_int_equal(sign_catalog(with(catalog_payload(), "escrow_public_key", "7")),
			 FERRY_ECORRUPT);
	assert_int_equal(sign_catalog(with(catalog_payload(), "escrow_public_key",
					   "\"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\"")),
			 FERRY_OK);
}

static void test_net_catalog__lowered_sequence_refused(void **state)
{
	struct catalog *c = good_catalog();
	struct signed_mark m;
	(void)state;
	catalog_mark_of(&m, c);
	assert_int_equal(catalog_check_fresh(c, &m), FERRY_OK);
	m.sequence = 6;
	assert_int_equal(catalog_check_fresh(c, &m), FERRY_EMISMATCH);
	m.sequence = 5;
	m.digest[0] ^= 1;
	assert_int_equal(catalog_check_fresh(c, &m), FERRY_EMISMATCH);
	catalog_free(c);
}

/* --- assignment --- */

static void test_net_catalog__good_assignment_verifies(void **state)
{
	struct catalog *c = good_catalog();
	struct assignment *a = NULL;
	cJSON *p = assignment_payload(c);
	char *env = NULL;
	size_t len;
	(void)state;
	assert_int_equal(assignment_sign(&env, &len, p, c, server_priv, NOW), FERRY_OK);
	assert_int_equal(assignment_verify(&a, (uint8_t *)env, len, c, "c29b2c89a777be0f", NOW),
			 FERRY_OK);
	assert_int_equal(a->sequence, 9);
	assert_string_equal(a->device, "FIN-PC-001");
	assert_string_equal(a->batch->id, "wave-3");
	assert_int_equal(a->batch->n_entries, 2);
	assert_string_equal(a->target_ou, OU);
	assert_int_equal(a->poll_interval_s, 600);
	assert_int_equal(a->n_idmap, 2);
	assert_int_equal(a->idmap[0].kind, IDMAP_USER);
	assert_int_equal(a->idmap[0].target_sid.sub[4], 2201);
	assert_string_equal(a->idmap[1].target_upn, "");
	assert_string_equal(idmap_kind_name(a->idmap[1].kind), "group");
	assignment_free(a);
	ferry_free(env);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__empty_identity_map_accepted(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = with(assignment_payload(c), "identity_map", "[]");
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_OK);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__assignment_signed_by_other_key_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = assignment_payload(c);
	char *env = NULL;
	size_t len;
	(void)state;
	/* Even the admin's key: only the key the catalog names signs assignments. */
	assert_int_equal(verify_raw(c, p, admin_priv, "c29b2c89a777be0f", NOW), FERRY_EAUTH);
	assert_int_equal(assignment_sign(&env, &len, p, c, admin_priv, NOW), FERRY_EAUTH);
	assert_null(env);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__catalog_signature_never_verifies_as_assignment(void **state)
{
	struct catalog *c = good_catalog();
	struct assignment *a = NULL;
	cJSON *p = assignment_payload(c);
	size_t len;
	/* The right key, the right bytes, but signed in the catalog's domain. */
	char *env = raw_envelope("ferry_assignment", "ferry-catalog/1\n", p, server_priv, &len);
	(void)state;
	assert_int_equal(assignment_verify(&a, (uint8_t *)env, len, c, "c29b2c89a777be0f", NOW),
			 FERRY_EAUTH);
	ferry_free(env);
	/* And the other way: a bundle (v1) context does not make a catalog. */
	env = raw_envelope("ferry_catalog", "ferry-bundle/1\n", p, admin_priv, &len);
	catalog_free(c);
	c = NULL;
	assert_int_equal(catalog_verify(&c, (uint8_t *)env, len, admin_pub, NOW), FERRY_EAUTH);
	ferry_free(env);
	cJSON_Delete(p);
}

static void test_net_catalog__runbook_not_in_catalog_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = assignment_payload(c);
	char *env = NULL;
	size_t len;
	(void)state;
	with(cJSON_GetObjectItem(p, "batch"), "runbooks",
	     "[{\"runbook\":\"wipe-disk\",\"available_from\":null,\"enforced_after\":null}]");
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "wipe-disk"));
	assert_int_equal(assignment_sign(&env, &len, p, c, server_priv, NOW), FERRY_EMISMATCH);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__prerequisite_left_out_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = assignment_payload(c);
	(void)state;
	with(cJSON_GetObjectItem(p, "batch"), "runbooks",
	     "[{\"runbook\":\"migration\",\"available_from\":null,\"enforced_after\":null}]");
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "cache-credentials"));
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__target_outside_catalog_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = with(assignment_payload(c), "target",
			"{\"dns_domain\":\"target.example\",\"ou\":\"OU=Admins,DC=target,DC=example\"}");
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "OU=Admins"));
	with(p, "target", "{\"dns_domain\":\"evil.example\"}");
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__package_digest_not_in_catalog_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = with(assignment_payload(c), "packages",
			"[{\"id\":\"stop-sync-client\",\"sha256\":\"" SHA_A "\",\"size\":4}]");
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	with(p, "packages", "[{\"id\":\"evil\",\"sha256\":\"" SHA_A "\",\"size\":3}]");
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__package_bytes_checked_against_catalog(void **state)
{
	struct catalog *c = good_catalog();
	(void)state;
	assert_int_equal(catalog_check_package(c, "stop-sync-client", (const uint8_t *)"abc", 3),
			 FERRY_EAUTH);
	assert_int_equal(catalog_check_package(c, "nope", (const uint8_t *)"abc", 3),
			 FERRY_ENOTFOUND);
	catalog_free(c);
}

static void test_net_catalog__expired_assignment_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = assignment_payload(c);
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", 1769904000),
			 FERRY_EMISMATCH); /* 2026-02-01T00:00:00Z */
	assert_non_null(strstr(ferry_error_detail(), "expired"));
	/* The server cannot outlive the admin's catalog. */
	with(p, "not_after", "\"2026-07-01T00:00:00Z\"");
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "catalog's"));
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__wrong_agent_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = assignment_payload(c);
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "0000000000000001", NOW), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "another agent"));
	/* The batch must name only this device. */
	with(cJSON_GetObjectItem(p, "batch"), "devices", "[\"FIN-PC-002\"]");
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__other_catalog_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = with(assignment_payload(c), "catalog_sha256", "\"" SHA_A "\"");
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "another catalog"));
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__lowered_assignment_sequence_refused(void **state)
{
	struct catalog *c = good_catalog();
	struct assignment *a = NULL;
	struct signed_mark m = { .sequence = 10 };
	cJSON *p = assignment_payload(c);
	char *env = NULL;
	size_t len;
	(void)state;
	assert_int_equal(assignment_sign(&env, &len, p, c, server_priv, NOW), FERRY_OK);
	assert_int_equal(assignment_verify(&a, (uint8_t *)env, len, c, "c29b2c89a777be0f", NOW),
			 FERRY_OK);
	assert_int_equal(assignment_check_fresh(a, &m), FERRY_EMISMATCH);
	assignment_mark_of(&m, a);
	assert_int_equal(assignment_check_fresh(a, &m), FERRY_OK);
	m.digest[31] ^= 0x80;
	assert_int_equal(assignment_check_fresh(a, &m), FERRY_EMISMATCH);
	assignment_free(a);
	ferry_free(env);
	cJSON_Delete(p);
	catalog_free(c);
}

static void test_net_catalog__identity_map_rows_validated(void **state)
{
	static const char *const bad[] = {
		/* not a domain account SID */
		"[{\"source_sid\":\"S-1-5-32-544\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"user\",\"target_sam\":\"a\",\"target_upn\":\"\",\"netbios_domain\":\"T\","
		"\"dns_domain\":\"target.example\"}]",
		/* unknown kind */
		"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"printer\",\"target_sam\":\"a\",\"target_upn\":\"\",\"netbios_domain\":\"T\","
		"\"dns_domain\":\"target.example\"}]",
		/* a user name longer than 20 */
		"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"user\",\"target_sam\":\"abcdefghijklmnopqrstu\",\"target_upn\":\"\","
		"\"netbios_domain\":\"T\",\"dns_domain\":\"target.example\"}]",
		/* a UPN without '@' */
		"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"user\",\"target_sam\":\"a\",\"target_upn\":\"a.target\","
		"\"netbios_domain\":\"T\",\"dns_domain\":\"target.example\"}]",
		/* a missing member */
		"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"user\",\"target_sam\":\"a\",\"target_upn\":\"\","
		"\"dns_domain\":\"target.example\"}]",
		/* an extra member */
		"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"user\",\"target_sam\":\"a\",\"target_upn\":\"\",\"netbios_domain\":\"T\","
		"\"dns_domain\":\"target.example\",\"password\":\"x\"}]",
		/* the same source twice */
		"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2201\","
		"\"kind\":\"user\",\"target_sam\":\"a\",\"target_upn\":\"\",\"netbios_domain\":\"T\","
		"\"dns_domain\":\"target.example\"},{\"source_sid\":\"s-1-5-21-1-2-3-1\","
		"\"target_sid\":\"S-1-5-21-7-8-9-2202\",\"kind\":\"user\",\"target_sam\":\"b\","
		"\"target_upn\":\"\",\"netbios_domain\":\"T\",\"dns_domain\":\"target.example\"}]",
		"{}",
	};
	struct catalog *c = good_catalog();
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *p = with(assignment_payload(c), "identity_map", bad[i]);
		assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW),
				 FERRY_ECORRUPT);
		assert_non_null(strstr(ferry_error_detail(), "identity_map"));
		cJSON_Delete(p);
	}
	catalog_free(c);
}

static void test_net_catalog__identity_map_domain_outside_catalog_refused(void **state)
{
	struct catalog *c = good_catalog();
	cJSON *p = with(assignment_payload(c), "identity_map",
			"[{\"source_sid\":\"S-1-5-21-1-2-3-1\",\"target_sid\":\"S-1-5-21-7-8-9-2\","
			"\"kind\":\"user\",\"target_sam\":\"a\",\"target_upn\":\"\","
			"\"netbios_domain\":\"EVIL\",\"dns_domain\":\"evil.example\"}]");
	(void)state;
	assert_int_equal(verify_raw(c, p, server_priv, "c29b2c89a777be0f", NOW), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "evil.example"));
	cJSON_Delete(p);
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_catalog__good_catalog_verifies),
		cmocka_unit_test(test_net_catalog__wrong_key_refused),
		cmocka_unit_test(test_net_catalog__altered_payload_refused),
		cmocka_unit_test(test_net_catalog__expired_refused),
		cmocka_unit_test(test_net_catalog__runbook_ou_outside_catalog_refused),
		cmocka_unit_test(test_net_catalog__runbook_domain_outside_catalog_refused),
		cmocka_unit_test(test_net_catalog__ou_in_another_domain_refused),
		cmocka_unit_test(test_net_catalog__unlisted_package_refused),
		cmocka_unit_test(test_net_catalog__invalid_runbook_refused),
		cmocka_unit_test(test_net_catalog__assignment_key_must_not_be_admin_key),
		cmocka_unit_test(test_net_catalog__unknown_member_refused),
		cmocka_unit_test(test_net_catalog__escrow_key_must_be_32_bytes),
		cmocka_unit_test(test_net_catalog__lowered_sequence_refused),
		cmocka_unit_test(test_net_catalog__good_assignment_verifies),
		cmocka_unit_test(test_net_catalog__empty_identity_map_accepted),
		cmocka_unit_test(test_net_catalog__assignment_signed_by_other_key_refused),
		cmocka_unit_test(test_net_catalog__catalog_signature_never_verifies_as_assignment),
		cmocka_unit_test(test_net_catalog__runbook_not_in_catalog_refused),
		cmocka_unit_test(test_net_catalog__prerequisite_left_out_refused),
		cmocka_unit_test(test_net_catalog__target_outside_catalog_refused),
		cmocka_unit_test(test_net_catalog__package_digest_not_in_catalog_refused),
		cmocka_unit_test(test_net_catalog__package_bytes_checked_against_catalog),
		cmocka_unit_test(test_net_catalog__expired_assignment_refused),
		cmocka_unit_test(test_net_catalog__wrong_agent_refused),
		cmocka_unit_test(test_net_catalog__other_catalog_refused),
		cmocka_unit_test(test_net_catalog__lowered_assignment_sequence_refused),
		cmocka_unit_test(test_net_catalog__identity_map_rows_validated),
		cmocka_unit_test(test_net_catalog__identity_map_domain_outside_catalog_refused),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
