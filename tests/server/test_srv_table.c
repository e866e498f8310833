/* server/srv_table: the translation-table import (checks, build, store, delta) on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dir/snapshot.h"
#include "srv_table.h"
#include "srv_test_store.h"
#include "util/mem.h"

struct fx {
	struct srv_test_db db;
	struct srv s;
	char *src, *dst; /* snapshot texts */
};

static int64_t fixed_now(void)
{
	return 1800000000;
}

static char *load_small(void)
{
	FILE *f = fopen(FERRY_TEST_DATA "/dir_snapshot/small.snap", "rb");
	char *buf = calloc(1, 4096);
	size_t n = f && buf ? fread(buf, 1, 4095, f) : 0;

	if (f)
		fclose(f);
	assert_true(n > 0);
	return buf;
}

/* small.snap moved to target.test: the same names, the target domain's SIDs. */
static char *target_of(const char *src_text, uint64_t jdoe_usn)
{
	struct dir_snapshot *t = NULL;
	char *out = NULL, sid[64];
	size_t len = 0;

	assert_int_equal(dir_snapshot_parse(&t, src_text, strlen(src_text)), FERRY_OK);
	assert_int_equal(dir_snapshot_set(t, "domain", "target.test"), FERRY_OK);
	assert_int_equal(dir_snapshot_set(t, "netbios", "TARGET"), FERRY_OK);
	assert_int_equal(dir_snapshot_set(t, "domain_sid", "S-1-5-21-7-8-9"), FERRY_OK);
	assert_int_equal(dir_snapshot_set(t, "base", "DC=target,DC=test"), FERRY_OK);
	for (size_t i = 0; i < t->count; i++) {
		const char *rid = strrchr(t->obj[i].sid, '-');

		snprintf(sid, sizeof(sid), "S-1-5-21-7-8-9%s", rid);
		assert_int_equal(dir_object_set(&t->obj[i].sid, sid, strlen(sid)), FERRY_OK);
		if (!strcmp(t->obj[i].sam, "jdoe"))
			t->obj[i].usn_changed = jdoe_usn;
	}
	assert_int_equal(dir_snapshot_format(&out, &len, t), FERRY_OK);
	dir_snapshot_free(t);
	return out;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (srv_test_db_open(&f->db, &f->s.store, "table"))
		return -1;
	f->s.now = fixed_now;
	f->src = load_small();
	f->dst = target_of(f->src, 5000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	srv_table_close(&f->s);
	f->s.store->ops->close(f->s.store);
	srv_test_db_remove(&f->db);
	free(f->src);
	ferry_free(f->dst);
	free(f);
	return 0;
}

static ferry_err import(struct fx *f, cJSON **summary, const char *src, const char *dst,
			char hash[SRV_HASH_HEX])
{
	cJSON *body = cJSON_CreateObject();
	ferry_err rc;

	cJSON_AddStringToObject(body, "source", src);
	cJSON_AddStringToObject(body, "target", dst);
	rc = srv_table_import(&f->s, summary, hash, "alice", body);
	cJSON_Delete(body);
	if (!rc)
		rc = srv_table_load(&f->s);
	return rc;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void test_srv_table__import_stores_and_publishes(void **state)
{
	struct fx *f = *state;
	cJSON *sum = NULL;
	char hash[SRV_HASH_HEX], held[SRV_HASH_HEX];
	struct srv_table t;
	const cJSON *rows, *r0;

	assert_int_equal(import(f, &sum, f->src, f->dst, hash), FERRY_OK);
	assert_int_equal(strlen(hash), 64);
	assert_int_equal(num(sum, "rows", NULL), 2);            /* jdoe and g1 */
	assert_int_equal(num(sum, "computers_skipped", NULL), 1);
	assert_int_equal(num(sum, "by_reason", "unmatched"), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(sum, "delta")));
	cJSON_Delete(sum);

	assert_int_equal(f->s.store->ops->table_get(f->s.store, &t, true), FERRY_OK);
	assert_string_equal(t.hash, hash);
	assert_string_equal(t.actor, "alice");
	assert_int_equal(t.imported, 1800000000);
	assert_int_equal(t.source_len, strlen(f->src));
	assert_memory_equal(t.source, f->src, t.source_len);
	srv_table_clear(&t);

	rows = srv_table_hold(&f->s, held);
	assert_string_equal(held, hash);
	assert_int_equal(cJSON_GetArraySize(rows), 2);
	r0 = cJSON_GetArrayItem(rows, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "netbios_domain")), "TARGET");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "dns_domain")), "target.test");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "source_sid")) + 14,
			    cJSON_GetStringValue(cJSON_GetObjectItem(r0, "target_sid")) + 14);
	srv_table_release();
}

static void test_srv_table__edited_or_truncated_refused_nothing_stored(void **state)
{
	struct fx *f = *state;
	cJSON *sum = NULL;
	char hash[SRV_HASH_HEX], *edited = strdup(f->src), *cut = strdup(f->src);
	struct srv_table t;

	edited[strstr(edited, "jdoe@") - edited] = 'x';
	assert_int_equal(import(f, &sum, edited, f->dst, hash), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "source snapshot refused"));
	assert_non_null(strstr(ferry_error_detail(), "SHA-256"));
	*strstr(cut, "end\t") = '\0';
	assert_int_equal(import(f, &sum, f->src, cut, hash) != FERRY_OK, 1);
	assert_non_null(strstr(ferry_error_detail(), "target snapshot refused"));
	/* one domain on both sides: the build refuses */
	assert_int_equal(import(f, &sum, f->src, f->src, hash) != FERRY_OK, 1);
	assert_non_null(strstr(ferry_error_detail(), "table build refused"));
	assert_null(sum);
	assert_int_equal(f->s.store->ops->table_get(f->s.store, &t, false), FERRY_ENOTFOUND);
	free(edited);
	free(cut);
}

static void test_srv_table__rows_an_agent_refuses_are_not_stored(void **state)
{
	struct fx *f = *state;
	struct dir_snapshot *t = NULL;
	cJSON *sum = NULL;
	char hash[SRV_HASH_HEX], *dst = NULL;
	size_t len = 0;
	struct srv_table got;
	static const char longname[] = "a-user-name-of-25-chars!"; /* a user's SAM holds 20 */

	/* jdoe pairs by UPN (domain ignored) with a target whose SAM is too long */
	assert_int_equal(dir_snapshot_parse(&t, f->dst, strlen(f->dst)), FERRY_OK);
	for (size_t i = 0; i < t->count; i++)
		if (!strcmp(t->obj[i].sam, "jdoe"))
			assert_int_equal(dir_object_set(&t->obj[i].sam, longname, strlen(longname)),
					 FERRY_OK);
	assert_int_equal(dir_snapshot_format(&dst, &len, t), FERRY_OK);
	dir_snapshot_free(t);
	assert_int_not_equal(import(f, &sum, f->src, dst, hash), FERRY_OK);
	assert_non_null(strstr(ferry_error_detail(), "would not pass an agent's checks"));
	assert_non_null(strstr(ferry_error_detail(), "target_sam"));
	assert_int_equal(f->s.store->ops->table_get(f->s.store, &got, false), FERRY_ENOTFOUND);
	ferry_free(dst);
}

static void test_srv_table__delta_since_previous_import(void **state)
{
	struct fx *f = *state;
	cJSON *sum = NULL, *st = NULL;
	char h1[SRV_HASH_HEX], h2[SRV_HASH_HEX], *dst2 = target_of(f->src, 6000);
	const cJSON *d;

	assert_int_equal(import(f, &sum, f->src, f->dst, h1), FERRY_OK);
	cJSON_Delete(sum);
	assert_int_equal(import(f, &sum, f->src, dst2, h2), FERRY_OK);
	cJSON_Delete(sum);
	assert_string_equal(h1, h2); /* the same pairs: the same table */
	assert_int_equal(srv_table_status(&st, &f->s), FERRY_OK);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(st, "imported_by")), "alice");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(st, "imported")),
			    "2027-01-15T08:00:00Z");
	d = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "summary"), "delta");
	assert_int_equal(num(d, "source", "changed"), 0);
	assert_int_equal(num(d, "target", "changed"), 1); /* jdoe's uSNChanged moved */
	assert_int_equal(num(d, "target", "added"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(d, "target"), "changed_names"), 0)), "jdoe");
	cJSON_Delete(st);
	ferry_free(dst2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_srv_table__import_stores_and_publishes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_srv_table__edited_or_truncated_refused_nothing_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_table__rows_an_agent_refuses_are_not_stored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_table__delta_since_previous_import, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
