/* core/sec: SIDs, the SD codec, the translation table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sec/corpus.h"
#include "sec/sd.h"
#include "sec/sid.h"
#include "sec/table.h"
#include "sec_fixtures.h"
#include "util/bytes.h"
#include "util/mem.h"

static void test_sid__round_trips_string_and_binary(void **state)
{
	static const char *const cases[] = {
	    "S-1-5-21-1004336348-1177238915-682003330-1105",
	    "S-1-5",
	    "S-1-0x123456789ABC-1-4294967295",
	    "S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sid s, back;
		uint8_t bin[SID_MAX_BYTES];
		char text[SID_STRING_MAX];
		size_t n, used;

		assert_int_equal(sid_from_string(&s, cases[i], strlen(cases[i])), FERRY_OK);
		n = sid_to_bytes(&s, bin);
		assert_int_equal(n, 8 + 4 * s.count);
		assert_int_equal(sid_from_bytes(&back, &used, bin, n, 0), FERRY_OK);
		assert_int_equal(used, n);
		assert_true(sid_equal(&s, &back));
		sid_format(&back, text);
		assert_string_equal(text, cases[i]);
	}
}

static void test_sid__binary_layout_matches_ms_dtyp(void **state)
{
	/* S-1-5-32-544 (BUILTIN\Administrators) as Windows stores it. */
	static const uint8_t expect[] = {1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0};
	struct sid s = fix_sid("S-1-5-32-544");
	uint8_t bin[SID_MAX_BYTES];

	(void)state;
	assert_int_equal(sid_to_bytes(&s, bin), sizeof(expect));
	assert_memory_equal(bin, expect, sizeof(expect));
}

static void test_sid__rejects_malformed_strings_with_offset(void **state)
{
	static const struct {
		const char *s;
		const char *where;
	} cases[] = {
	    {"S-1-5-", "offset 6"},
	    {"S-2-5-1", "offset 2"},
	    {"S-1-5-x", "offset 6"},
	    {"S-1-5-4294967296", "offset 6"},
	    {"S-1-", "offset 4"},
	    {"X-1-5", "offset 0"},
	    {"S-1-0x1000000000000", "offset 4"},
	    {"S-1-281474976710656", "offset 4"},
	    {"S-1-5-1 ", "offset 7"},
	    {"S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "more than 15"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sid s;

		assert_int_equal(sid_from_string(&s, cases[i].s, strlen(cases[i].s)),
		                 FERRY_ECORRUPT);
		if (!strstr(ferry_error_detail(), cases[i].where))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", cases[i].s, ferry_error_detail(),
			         cases[i].where);
	}
}

static void test_sid__rejects_bad_binary(void **state)
{
	uint8_t b[SID_MAX_BYTES + 4] = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
	struct sid s;
	size_t used;

	(void)state;
	assert_int_equal(sid_from_bytes(&s, &used, b, 12, 0), FERRY_OK);
	assert_int_equal(sid_from_bytes(&s, &used, b, 11, 40), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "offset 40"));
	b[0] = 2;
	assert_int_equal(sid_from_bytes(&s, &used, b, 12, 0), FERRY_ECORRUPT);
	b[0] = 1;
	b[1] = 16;
	assert_int_equal(sid_from_bytes(&s, &used, b, sizeof(b), 0), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "at most 15"));
}

static void test_sid__accounts_are_domain_and_entra_sids_only(void **state)
{
	(void)state;
	assert_true(sid_is_account(&(struct sid){.revision = 1}) == false);
	assert_true(sid_is_account((const struct sid[]){fix_sid(FIX_SRC_USER)}));
	assert_true(sid_is_account((const struct sid[]){fix_sid("S-1-5-21-1-2-3-513")}));
	assert_true(sid_is_account((const struct sid[]){fix_sid("S-1-12-1-1-2-3-4")}));
	assert_false(sid_is_account((const struct sid[]){fix_sid("S-1-5-18")}));
	assert_false(sid_is_account((const struct sid[]){fix_sid("S-1-5-32-544")}));
	assert_false(sid_is_account((const struct sid[]){fix_sid("S-1-1-0")}));
	assert_false(sid_is_account((const struct sid[]){fix_sid("S-1-5-21-1-2-3")}));
	assert_false(sid_is_account((const struct sid[]){fix_sid("S-1-15-2-1")}));
}

static void test_sd__every_ace_kind_round_trips(void **state)
{
	struct sd_doc *doc = NULL;
	struct ferry_buf b;
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);

	(void)state;
	assert_int_equal(sd_check(sd, len), FERRY_OK);
	assert_int_equal(sd_doc_decode(&doc, sd, len), FERRY_OK);
	assert_int_equal(doc->dacl->count, 8);
	assert_int_equal(doc->sacl->count, 4);
	assert_int_equal(doc->dacl->aces[3].extra_len, 8);
	assert_memory_equal(doc->dacl->aces[3].extra, "artx", 4);
	assert_int_equal(doc->dacl->aces[2].obj_type[0], 0x10);
	assert_int_equal(doc->dacl->aces[2].inh_type[15], 0xEF);
	assert_int_equal(doc->dacl->aces[7].type, 0x42);
	assert_int_equal(doc->dacl->aces[7].extra_len, 12);
	assert_int_equal(doc->sacl->aces[2].extra_len, 12);
	ferry_buf_init(&b, SD_MAX_SIZE);
	assert_int_equal(sd_doc_encode(&b, doc), FERRY_OK);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, sd, len);
	ferry_buf_free(&b);
	sd_doc_free(doc);
	ferry_free(sd);
}

static void test_sd__header_layout_is_windows_order(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	uint32_t sacl = get_u32le(sd + 12), dacl = get_u32le(sd + 16);

	(void)state;
	assert_int_equal(sd[0], 1);
	assert_int_equal(get_u16le(sd + 2), SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_SACL_PRESENT |
	                                        SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED);
	assert_int_equal(sacl, 20);
	assert_int_equal(dacl, 20 + get_u16le(sd + sacl + 2));
	assert_int_equal(get_u32le(sd + 4), dacl + get_u16le(sd + dacl + 2));
	assert_int_equal(sd[dacl], ACL_REVISION_DS);
	assert_int_equal(get_u16le(sd + dacl + 4), 8);
	ferry_free(sd);
}

/* Corrupt one field of a valid SD and expect FERRY_ECORRUPT naming `where`. */
static void expect_corrupt(const uint8_t *good, size_t len, size_t at, uint8_t value,
                           const char *where)
{
	uint8_t *bad = ferry_malloc(len);

	assert_non_null(bad);
	memcpy(bad, good, len);
	bad[at] = value;
	assert_int_equal(sd_check(bad, len), FERRY_ECORRUPT);
	if (!strstr(ferry_error_detail(), where))
		fail_msg("byte %zu=0x%02x: detail \"%s\" lacks \"%s\"", at, value,
		         ferry_error_detail(), where);
	ferry_free(bad);
}

static void test_sd__rejects_faults_naming_the_offset(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	size_t sacl = get_u32le(sd + 12), ace = sacl + 8;
	char where[32];

	(void)state;
	expect_corrupt(sd, len, 0, 2, "offset 0");    /* SD revision */
	expect_corrupt(sd, len, 3, 0x00, "offset 2"); /* no SE_SELF_RELATIVE */
	expect_corrupt(sd, len, 7, 0x40, "offset 4"); /* owner offset out of range */
	expect_corrupt(sd, len, 12, 4, "offset 12");  /* SACL offset inside header */
	snprintf(where, sizeof(where), "offset %zu", sacl);
	expect_corrupt(sd, len, sacl, 9, where); /* ACL revision */
	snprintf(where, sizeof(where), "offset %zu", sacl + 2);
	expect_corrupt(sd, len, sacl + 3, 0xFF, where); /* ACL size past the end */
	snprintf(where, sizeof(where), "offset %zu", ace + 2);
	expect_corrupt(sd, len, ace + 2, 0x1E, where); /* ACE size not a multiple of 4 */
	snprintf(where, sizeof(where), "offset %zu", ace + 8);
	expect_corrupt(sd, len, ace + 8, 3, where); /* trustee SID revision */
	ferry_free(sd);
}

static void test_sd__every_truncation_is_rejected(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		/* A fresh allocation of exactly n bytes so ASan sees any overread. */
		uint8_t *cut = ferry_malloc(n ? n : 1);

		memcpy(cut, sd, n);
		assert_int_equal(sd_check(cut, n), FERRY_ECORRUPT);
		ferry_free(cut);
	}
	ferry_free(sd);
}

static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s", name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_table__loads_csv_with_header_quotes_and_names(void **state)
{
	const char *csv =
	    "\xEF\xBB\xBFsource_sid,target_sid,source_name,target_name\r\n"
	    "# jdoe moves\n"
	    "\n" FIX_SRC_USER ", " FIX_DST_USER
	    ",\"SRC\\jdoe, Jr\",\"DST\"\"jd\"\"\"\r\n" FIX_SRC_GROUP "," FIX_DST_GROUP "\n";
	struct sec_table *t = NULL;
	struct sid s = fix_sid(FIX_SRC_GROUP), d = fix_sid(FIX_DST_GROUP);
	uint8_t b[SID_MAX_BYTES], db[SID_MAX_BYTES];
	size_t n = sid_to_bytes(&s, b), dn = sid_to_bytes(&d, db);
	const struct sec_table_entry *e;

	(void)state;
	assert_int_equal(sec_table_load_csv(&t, csv, strlen(csv)), FERRY_OK);
	assert_int_equal(t->count, 2);
	assert_string_equal(t->names[0], "SRC\\jdoe, Jr");
	assert_string_equal(t->names[1], "DST\"jd\"");
	assert_null(t->names[2]);
	assert_int_equal(t->lines[0], 4);
	e = sec_table_lookup(t, b, n);
	assert_non_null(e);
	assert_int_equal(e->dst_len, dn);
	assert_memory_equal(e->dst, db, dn);
	sec_table_free(t);
}

static void test_table__rejects_each_fault_naming_the_line(void **state)
{
	static const struct {
		const char *csv;
		const char *msg;
	} cases[] = {
	    {FIX_SRC_USER "," FIX_DST_USER "\nS-1-5-21-1-2,S-1-5-21-1-2-3-4\n", "line 2"},
	    {FIX_SRC_USER "," FIX_DST_USER "\n" FIX_SRC_GROUP ",S-1-5-21-x\n", "line 2: target"},
	    {FIX_SRC_USER "," FIX_DST_USER "\n\n" FIX_SRC_USER "," FIX_DST_GROUP "\n",
	     "line 3: source " FIX_SRC_USER " already listed on line 1"},
	    {FIX_SRC_USER "," FIX_DST_USER "\n" FIX_DST_USER "," FIX_DST_GROUP "\n",
	     "line 1: target " FIX_DST_USER " is also the source on line 2"},
	    {FIX_SRC_USER "," FIX_OTHER_USER "\n" FIX_OTHER_USER "," FIX_SRC_USER "\n",
	     "line 1: target"},
	    {"S-1-5-32-544," FIX_DST_USER "\n", "line 1: source S-1-5-32-544 is a well-known"},
	    {"S-1-5-18," FIX_DST_USER "\n", "line 1: source S-1-5-18 is a well-known"},
	    {"h1,h2\n" FIX_SRC_USER "," FIX_DST_USER ",only-one-name\n", "line 2: 3 fields"},
	    {FIX_SRC_USER "," FIX_SRC_USER "\n", "line 1: " FIX_SRC_USER " maps to itself"},
	    {FIX_SRC_USER ",\"" FIX_DST_USER "\n", "line 1: unterminated quote"},
	    {"a,b\nc,d\n", "line 2"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sec_table *t = (struct sec_table *)1;

		assert_int_not_equal(sec_table_load_csv(&t, cases[i].csv, strlen(cases[i].csv)),
		                     FERRY_OK);
		assert_null(t);
		if (!strstr(ferry_error_detail(), cases[i].msg))
			fail_msg("case %zu: detail \"%s\" lacks \"%s\"", i, ferry_error_detail(),
			         cases[i].msg);
	}
}

static void test_table__loads_json_and_names_the_entry(void **state)
{
	const char *good =
	    "{\"entries\":[{\"source_sid\":\"" FIX_SRC_USER "\",\"target_sid\":\"" FIX_DST_USER
	    "\",\"source_name\":\"SRC\\\\jdoe\"}]}";
	const char *bad = "[{\"source_sid\":\"" FIX_SRC_USER "\",\"target_sid\":\"" FIX_DST_USER
	                  "\"},{\"source_sid\":\"S-1-1-0\",\"target_sid\":\"" FIX_DST_GROUP "\"}]";
	const char *typo = "[{\"source\":\"" FIX_SRC_USER "\"}]";
	struct sec_table *t = NULL;

	(void)state;
	assert_int_equal(sec_table_load_json(&t, good, strlen(good)), FERRY_OK);
	assert_int_equal(t->count, 1);
	assert_string_equal(t->names[0], "SRC\\jdoe");
	sec_table_free(t);
	assert_int_not_equal(sec_table_load_json(&t, bad, strlen(bad)), FERRY_OK);
	assert_non_null(strstr(ferry_error_detail(), "line 1: source S-1-1-0"));
	assert_int_equal(sec_table_load_json(&t, typo, strlen(typo)), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "entry 0: unknown key \"source\""));
}

static void test_table__file_load_detects_the_format(void **state)
{
	struct sec_table *t = NULL;
	const char *p;

	(void)state;
	p = write_file("test_sec_table.json", "\n  [{\"source_sid\":\"" FIX_SRC_USER
	                                      "\",\"target_sid\":\"" FIX_DST_USER "\"}]");
	assert_int_equal(sec_table_load_file(&t, p), FERRY_OK);
	assert_int_equal(t->count, 1);
	sec_table_free(t);
	p = write_file("test_sec_table.csv", FIX_SRC_USER "," FIX_DST_USER "\n");
	assert_int_equal(sec_table_load_file(&t, p), FERRY_OK);
	assert_int_equal(t->count, 1);
	sec_table_free(t);
	remove("test_sec_table.json");
	remove("test_sec_table.csv");
	assert_int_equal(sec_table_load_file(&t, "no/such/table.csv"), FERRY_EIO);
}

static void test_table__lookup_hits_every_source_and_nothing_else(void **state)
{
	struct sd_corpus *c = NULL;
	char text[SID_STRING_MAX];

	(void)state;
	assert_int_equal(sd_corpus_make(&c, 1, 1), FERRY_OK);
	assert_int_equal(c->table->count, SD_CORPUS_TABLE_ROWS);
	for (size_t i = 0; i < c->table->count; i++) {
		const struct sec_table_entry *e = &c->table->entries[i];

		assert_ptr_equal(sec_table_lookup(c->table, e->src, e->src_len), e);
		assert_null(sec_table_lookup(c->table, e->dst, e->dst_len));
	}
	for (uint32_t rid = 0; rid < 5000; rid++) {
		struct sid s = fix_sid("S-1-5-21-1004336348-1177238915-682003330-0");
		uint8_t b[SID_MAX_BYTES];
		size_t n;

		s.sub[4] = rid;
		n = sid_to_bytes(&s, b);
		sid_format(&s, text);
		assert_int_equal(sec_table_lookup(c->table, b, n) != NULL,
		                 rid >= 1100 && rid < 1100 + SD_CORPUS_TABLE_ROWS);
	}
	sd_corpus_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sid__round_trips_string_and_binary),
	    cmocka_unit_test(test_sid__binary_layout_matches_ms_dtyp),
	    cmocka_unit_test(test_sid__rejects_malformed_strings_with_offset),
	    cmocka_unit_test(test_sid__rejects_bad_binary),
	    cmocka_unit_test(test_sid__accounts_are_domain_and_entra_sids_only),
	    cmocka_unit_test(test_sd__every_ace_kind_round_trips),
	    cmocka_unit_test(test_sd__header_layout_is_windows_order),
	    cmocka_unit_test(test_sd__rejects_faults_naming_the_offset),
	    cmocka_unit_test(test_sd__every_truncation_is_rejected),
	    cmocka_unit_test(test_table__loads_csv_with_header_quotes_and_names),
	    cmocka_unit_test(test_table__rejects_each_fault_naming_the_line),
	    cmocka_unit_test(test_table__loads_json_and_names_the_entry),
	    cmocka_unit_test(test_table__file_load_detects_the_format),
	    cmocka_unit_test(test_table__lookup_hits_every_source_and_nothing_else),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
