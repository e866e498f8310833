/* core/net/idmap: the device's identity mapping, as a signed bundle carries it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/bundle.h"
#include "net/idmap.h"
#include "net/sig.h"
#include "runbook/schedule.h"
#include "util/mem.h"

static const uint8_t priv[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static uint8_t pub[32];

#define SRC(rid) "S-1-5-21-1111-2222-3333-" #rid
#define TGT(rid) "S-1-5-21-7777-8888-9999-" #rid
#define ROW(src, tgt, kind, sam, upn)                                                   \
	"{\"source_sid\":\"" src "\",\"target_sid\":\"" tgt "\",\"kind\":\"" kind "\","  \
	"\"target_sam\":\"" sam "\",\"target_upn\":\"" upn "\",\"netbios_domain\":\"NEWCORP\"," \
	"\"dns_domain\":\"newcorp.example\"}"

/* Two users and a group: the two-user PC of the e2e story. */
static const char rows[] = "[" ROW(SRC(1105), TGT(2201), "user", "jdoe", "jdoe@newcorp.example")
	"," ROW(SRC(1106), TGT(2202), "user", "asmith", "anna.smith@newcorp.example")
	"," ROW(SRC(513), TGT(513), "group", "Domain Users", "") "]";

static char *signed_with(const char *members, size_t *len)
{
	char json[4096];
	cJSON *p;
	char *out = NULL;

	snprintf(json, sizeof(json),
		 "{\"sequence\":1,\"issued\":\"2025-03-01T00:00:00Z\",\"not_after\":\"2099-01-01T00:00:00Z\",\"batch\":{\"id\":\"b\"},"
		 "\"runbooks\":[],\"packages\":[]%s}", members);
	p = cJSON_Parse(json);
	assert_non_null(p);
	assert_int_equal(bundle_sign(&out, len, p, priv), FERRY_OK);
	cJSON_Delete(p);
	return out;
}

static int setup(void **state)
{
	(void)state;
	return sig_public_from_private(pub, priv) ? -1 : 0;
}

static struct idmap *mapping(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	struct idmap *m = NULL;

	assert_non_null(j);
	assert_int_equal(idmap_new(&m, j, "bundle"), FERRY_OK);
	cJSON_Delete(j);
	return m;
}

static void test_net_idmap__bundle_carries_the_mapping(void **state)
{
	char members[2048];
	struct bundle *b = NULL;
	size_t len;
	char *env;

	(void)state;
	snprintf(members, sizeof(members), ",\"identity_map\":%s", rows);
	env = signed_with(members, &len);
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, NULL), FERRY_OK);
	assert_non_null(b->idmap);
	assert_int_equal(b->idmap->n, 3);
	assert_string_equal(idmap_by_source(b->idmap, SRC(1106))->target_sam, "asmith");
	assert_null(idmap_by_source(b->idmap, SRC(1107)));
	bundle_free(b);
	ferry_free(env);
	env = signed_with("", &len);
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, NULL), FERRY_OK);
	assert_null(b->idmap); /* no mapping: no profile is migrated */
	bundle_free(b);
	ferry_free(env);
}

/* The old table member was never read; a signer who still sends it is told. */
static void test_net_idmap__bundle_table_member_refused(void **state)
{
	struct bundle *b = NULL;
	size_t len;
	char *env = signed_with(",\"table\":{\"entries\":[]}", &len);

	(void)state;
	assert_int_equal(bundle_verify(&b, (uint8_t *)env, len, pub, NULL), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "identity_map"));
	assert_null(b);
	ferry_free(env);
}

static void test_net_idmap__bad_rows_refused_naming_the_row(void **state)
{
	static const char *const bad[] = {
		"{}",
		"[" ROW("S-1-5-18", TGT(1), "user", "x", "") "]",
		"[" ROW(SRC(1), TGT(1), "printer", "x", "") "]",
		"[" ROW(SRC(1), TGT(1), "user", "a\\\\b", "") "]",
		"[" ROW(SRC(1), TGT(1), "user", "x", "nobody") "]",
		"[" ROW(SRC(1), TGT(1), "user", "x", "") "," ROW(SRC(1), TGT(2), "user", "y", "") "]",
		/* a chain: a target that is also a source (translation is one step) */
		"[" ROW(SRC(1), TGT(1), "user", "x", "") "," ROW(TGT(1), TGT(2), "user", "y", "") "]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char members[2048];
		struct bundle *b = NULL;
		size_t len;
		char *env;

		snprintf(members, sizeof(members), ",\"identity_map\":%s", bad[i]);
		env = signed_with(members, &len);
		assert_int_not_equal(bundle_verify(&b, (uint8_t *)env, len, pub, NULL), FERRY_OK);
		assert_null(b);
		assert_non_null(strstr(ferry_error_detail(), "identity_map"));
		ferry_free(env);
	}
}

/* A shared PC: both mapped users' profiles are migrated, the third user's
 * profile (no row) and the well-known profiles are not. */
static void test_net_idmap__profiles_split_mapped_and_unmapped(void **state)
{
	static const char *const sids[] = { "S-1-5-18", "S-1-5-19", SRC(1105), "S-1-5-21-1111-2222-3333-1107",
					     SRC(1106), "not a sid", SRC(513) };
	struct idmap *m = mapping(rows);
	struct idmap_profiles p;

	(void)state;
	assert_int_equal(idmap_profiles(&p, m, sids, sizeof(sids) / sizeof(sids[0])), FERRY_OK);
	assert_int_equal(p.n_mapped, 2);
	assert_string_equal(p.mapped[0].source_sid, SRC(1105));
	assert_string_equal(p.mapped[0].target_sid, TGT(2201));
	assert_string_equal(p.mapped[1].target_sid, TGT(2202));
	/* The group's SID names no profile owner: it is not migrated as a profile. */
	assert_int_equal(p.n_unmapped, 2);
	assert_string_equal(p.unmapped[0].source_sid, "S-1-5-21-1111-2222-3333-1107");
	assert_string_equal(p.unmapped[1].source_sid, SRC(513));
	idmap_profiles_clear(&p);
	assert_int_equal(idmap_profiles(&p, NULL, sids, 3), FERRY_OK);
	assert_int_equal(p.n_mapped, 0);
	assert_int_equal(p.n_unmapped, 1);
	idmap_profiles_clear(&p);
	idmap_free(m);
}

static void test_net_idmap__names_match_sam_and_upn_without_case(void **state)
{
	struct idmap *m = mapping(rows);
	const struct idmap_entry *a = idmap_by_source(m, SRC(1106));
	char acc[64];

	(void)state;
	assert_true(idmap_entry_names(a, "ASMITH", "newcorp"));
	assert_true(idmap_entry_names(a, "asmith", "newcorp.example"));
	assert_true(idmap_entry_names(a, "anna.smith", "newcorp.example"));
	assert_true(idmap_entry_names(a, "anna.smith@newcorp.example", ""));
	assert_false(idmap_entry_names(a, "asmith", "OLDCORP"));
	assert_false(idmap_entry_names(a, "jdoe", "NEWCORP"));
	idmap_entry_account(a, acc, sizeof(acc));
	assert_string_equal(acc, "NEWCORP\\asmith");
	idmap_free(m);
}

/* "Credentials cached" per target account, by the runbook's rule. */
static void test_net_idmap__credentials_ready_per_account(void **state)
{
	static const char *const mapped[] = { "NEWCORP\\jdoe", "NEWCORP\\asmith" };
	static const char *const one[] = { "newcorp\\JDOE" };
	static const char *const both[] = { "NEWCORP\\asmith", "NEWCORP\\jdoe" };

	(void)state;
	assert_false(schedule_credentials_ready(RB_CREDS_EVERY_MAPPED_USER, mapped, 2, one, 1));
	assert_true(schedule_credentials_ready(RB_CREDS_EVERY_MAPPED_USER, mapped, 2, both, 2));
	assert_true(schedule_credentials_ready(RB_CREDS_ANY_MAPPED_USER, mapped, 2, one, 1));
	assert_false(schedule_credentials_ready(RB_CREDS_ANY_MAPPED_USER, mapped, 2, NULL, 0));
	/* No mapped user: any cached account counts (nothing else can be asked). */
	assert_true(schedule_credentials_ready(RB_CREDS_EVERY_MAPPED_USER, NULL, 0, one, 1));
	assert_false(schedule_credentials_ready(RB_CREDS_EVERY_MAPPED_USER, NULL, 0, NULL, 0));
}

static void test_net_idmap__state_keeps_cached_accounts(void **state)
{
	static const char *const cached[] = { "NEWCORP\\jdoe", "NEWCORP\\asmith" };
	struct device_state st = { .snoozed_until = RB_TIME_NONE, .start_announced_at = RB_TIME_NONE };
	struct device_state_doc *d = NULL;
	struct rb_issues iss = { 0 };
	char *text = NULL;

	(void)state;
	st.credentials_cached = true;
	st.cached_accounts = cached;
	st.n_cached_accounts = 2;
	assert_int_equal(device_state_format(&text, &st), FERRY_OK);
	assert_int_equal(device_state_parse(&d, &iss, "state", text, strlen(text)), FERRY_OK);
	assert_int_equal(d->st.n_cached_accounts, 2);
	assert_string_equal(d->st.cached_accounts[1], "NEWCORP\\asmith");
	device_state_free(d);
	cJSON_free(text);
	assert_int_equal(device_state_parse(&d, &iss, "state",
					    "{\"cached_accounts\":[\"jdoe\"]}", 28), FERRY_ECORRUPT);
	rb_issues_clear(&iss);
}

static void test_net_idmap__report_checked(void **state)
{
	static const char *const bad[] = {
		"[]", "{}", "{\"profiles\":{}}", "{\"profiles\":[1]}",
		"{\"profiles\":[\"S-1-5-18\"]}", "{\"profiles\":[\"" SRC(1) "\",\"" SRC(1) "\"]}",
		"{\"profiles\":[],\"extra\":1}",
	};
	cJSON *j = cJSON_Parse("{\"profiles\":[\"" SRC(1105) "\",\"" SRC(1107) "\"]}");
	size_t n = 0;

	(void)state;
	assert_int_equal(idmap_report_check(j, &n), FERRY_OK);
	assert_int_equal(n, 2);
	cJSON_Delete(j);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = cJSON_Parse(bad[i]);
		assert_int_equal(idmap_report_check(j, &n), FERRY_ECORRUPT);
		assert_non_null(strstr(ferry_error_detail(), "profiles"));
		cJSON_Delete(j);
	}
}

/* The server's slice: the reported users' rows and every group row. */
static void test_net_idmap__slice_keeps_reported_users_and_groups(void **state)
{
	cJSON *all = cJSON_Parse(rows);
	cJSON *report = cJSON_Parse("{\"profiles\":[\"" SRC(1106) "\",\"" SRC(1107) "\"]}");
	cJSON *slice = NULL;

	(void)state;
	assert_int_equal(idmap_slice(&slice, all, report), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(slice), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(slice, 0), "target_sam")->valuestring,
			    "asmith");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(slice, 1), "kind")->valuestring,
			    "group");
	cJSON_Delete(slice);
	cJSON_Delete(report);
	cJSON_Delete(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_idmap__bundle_carries_the_mapping),
		cmocka_unit_test(test_net_idmap__bundle_table_member_refused),
		cmocka_unit_test(test_net_idmap__bad_rows_refused_naming_the_row),
		cmocka_unit_test(test_net_idmap__profiles_split_mapped_and_unmapped),
		cmocka_unit_test(test_net_idmap__names_match_sam_and_upn_without_case),
		cmocka_unit_test(test_net_idmap__credentials_ready_per_account),
		cmocka_unit_test(test_net_idmap__state_keeps_cached_accounts),
		cmocka_unit_test(test_net_idmap__report_checked),
		cmocka_unit_test(test_net_idmap__slice_keeps_reported_users_and_groups),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
