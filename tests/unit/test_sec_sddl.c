/* core/sec: SDDL parse and format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sec/corpus.h"
#include "sec/sd.h"
#include "sec/sddl.h"
#include "sec_fixtures.h"
#include "util/mem.h"

/* format(parse(x)) must give x back. */
static void expect_stable(const char *text)
{
	uint8_t *sd = NULL;
	char *back = NULL;
	size_t len;

	if (sddl_parse(&sd, &len, text, strlen(text)) != FERRY_OK)
		fail_msg("parse %s: %s", text, ferry_error_detail());
	assert_int_equal(sd_check(sd, len), FERRY_OK);
	assert_int_equal(sddl_format(&back, sd, len), FERRY_OK);
	if (strcmp(back, text))
		fail_msg("\n  in:  %s\n  out: %s", text, back);
	ferry_free(back);
	ferry_free(sd);
}

static void test_sddl__canonical_text_is_stable(void **state)
{
	static const char *const cases[] = {
	    "O:SYG:SYD:PAI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)",
	    "O:BAG:S-1-5-21-1004336348-1177238915-682003330-513D:AI(A;OICI;0x1301bf;;;"
	    "S-1-5-21-1004336348-1177238915-682003330-1105)(D;;DT;;;WD)",
	    "O:S-1-5-21-1-2-3-1105D:ARAI(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;;KW;;;AU)(A;;FR;;;IU)"
	    "(A;;FW;;;NS)(A;;FX;;;LS)",
	    "D:(OA;CI;RPWP;bf967aba-0de6-11d0-a285-00aa003049e2;;PS)"
	    "(OA;;CR;;4828cc14-1437-45bc-9b07-ad6f015e5f28;AU)"
	    "(OD;NP;CCDCLCSWRPWPDTLOCRSDRCWDWO;00299570-246d-11d0-a768-00aa006e0529;"
	    "bf967aba-0de6-11d0-a285-00aa003049e2;WD)",
	    "G:BUD:NO_ACCESS_CONTROL",
	    "D:PS:PAI(AU;SAFA;GAGXGWGR;;;WD)(ML;;NWNR;;;HI)(SP;;;;;S-1-17-1)",
	    "O:AND:(A;0x20;0x100001;;;AC)(XA;;FA;;;ME)(AL;;CCDCLC;;;S-1-5-32-999)",
	    "S:(ML;OICI;NW;;;LW)",
	    "",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_stable(cases[i]);
}

static void test_sddl__aliases_and_rights_mean_what_windows_says(void **state)
{
	const char *text = "O:SYG:BAD:(A;OICIIONPID;FA;;;WD)(A;;WORCSDWD;;;CG)(D;;0x10;;;BU)"
	                   "(A;;KX;;;S-1-5-21-1-2-3-4)";
	struct sd_doc *d = NULL;

	(void)state;
	assert_int_equal(sddl_parse_doc(&d, text, strlen(text)), FERRY_OK);
	assert_true(d->has_owner && d->has_group);
	assert_true(sid_equal(&d->owner, (const struct sid[]){fix_sid("S-1-5-18")}));
	assert_true(sid_equal(&d->group, (const struct sid[]){fix_sid("S-1-5-32-544")}));
	assert_int_equal(d->control, SE_SELF_RELATIVE | SE_DACL_PRESENT);
	assert_int_equal(d->dacl->count, 4);
	assert_int_equal(d->dacl->aces[0].flags, 0x1F);
	assert_int_equal(d->dacl->aces[0].mask, 0x1F01FF);
	assert_true(sid_equal(&d->dacl->aces[0].trustee, (const struct sid[]){fix_sid("S-1-1-0")}));
	assert_int_equal(d->dacl->aces[1].mask, 0xF0000);
	assert_true(sid_equal(&d->dacl->aces[1].trustee, (const struct sid[]){fix_sid("S-1-3-1")}));
	assert_int_equal(d->dacl->aces[2].type, ACE_ACCESS_DENIED);
	assert_int_equal(d->dacl->aces[2].mask, 0x10);
	assert_int_equal(d->dacl->aces[3].mask, 0x20019);
	sd_doc_free(d);
}

static void test_sddl__object_guids_use_windows_byte_order(void **state)
{
	const char *text = "D:(OA;;CR;00112233-4455-6677-8899-aabbccddeeff;;SY)";
	static const uint8_t want[16] = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
	                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct sd_doc *d = NULL;

	(void)state;
	assert_int_equal(sddl_parse_doc(&d, text, strlen(text)), FERRY_OK);
	assert_int_equal(d->dacl->revision, ACL_REVISION_DS);
	assert_int_equal(d->dacl->aces[0].obj_flags, ACE_OBJECT_TYPE_PRESENT);
	assert_memory_equal(d->dacl->aces[0].obj_type, want, 16);
	sd_doc_free(d);
}

static void test_sddl__formatting_canonicalises_synonyms(void **state)
{
	uint8_t *sd = NULL;
	char *out = NULL;
	size_t len;
	const char *text = "O:S-1-5-18D:(A;CIOI;0X1F01FF;;;S-1-5-32-544)(A;;KX;;;s-1-1-0)";

	(void)state;
	assert_int_equal(sddl_parse(&sd, &len, text, strlen(text)), FERRY_OK);
	assert_int_equal(sddl_format(&out, sd, len), FERRY_OK);
	assert_string_equal(out, "O:SYD:(A;OICI;FA;;;BA)(A;;KR;;;WD)");
	ferry_free(out);
	ferry_free(sd);
}

static void test_sddl__rejects_bad_text_naming_the_offset(void **state)
{
	static const struct {
		const char *text;
		ferry_err err;
		const char *detail;
	} cases[] = {
	    {"O:XXD:", FERRY_ECORRUPT, "offset 2"},
	    {"O:DAG:SY", FERRY_EUNSUPPORTED, "domain-relative"},
	    {"D:(A;;FA;;;SY", FERRY_ECORRUPT, "offset 2"},
	    {"D:(A;;FA;;SY)", FERRY_ECORRUPT, "6 fields"},
	    {"D:(Q;;FA;;;SY)", FERRY_ECORRUPT, "offset 3"},
	    {"D:(A;ZZ;FA;;;SY)", FERRY_ECORRUPT, "offset 5"},
	    {"D:(A;;FAQQ;;;SY)", FERRY_ECORRUPT, "offset 8"},
	    {"D:(A;;FA;0011;;SY)", FERRY_ECORRUPT, "object GUID on a non-object"},
	    {"D:(OA;;FA;0011;;SY)", FERRY_ECORRUPT, "malformed GUID (offset 10)"},
	    {"D:(XA;;FA;;;SY;(Member_of {SID(BA)}))", FERRY_EUNSUPPORTED, "conditions"},
	    {"D:(A;;0x1ffffffff;;;SY)", FERRY_ECORRUPT, "beyond 32 bits"},
	    {"D:(A;;FA;;;S-1-5-x)", FERRY_ECORRUPT, "SID at offset 11"},
	    {"D:D:", FERRY_ECORRUPT, "given twice"},
	    {"D:Q", FERRY_ECORRUPT, "unknown ACL flag (offset 2)"},
	    {"D:NO_ACCESS_CONTROL(A;;FA;;;SY)", FERRY_ECORRUPT, "after NO_ACCESS_CONTROL"},
	    {"X", FERRY_ECORRUPT, "offset 0"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *sd = (uint8_t *)1;
		size_t len = 1;

		assert_int_equal(sddl_parse(&sd, &len, cases[i].text, strlen(cases[i].text)),
		                 cases[i].err);
		assert_null(sd);
		if (!strstr(ferry_error_detail(), cases[i].detail))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", cases[i].text,
			         ferry_error_detail(), cases[i].detail);
	}
}

static void test_sddl__refuses_what_it_cannot_express(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	char *out = (char *)1;

	(void)state;
	/* The callback ACE carries application data SDDL would need to decode. */
	assert_int_equal(sddl_format(&out, sd, len), FERRY_EUNSUPPORTED);
	assert_null(out);
	assert_non_null(strstr(ferry_error_detail(), "ACE 3"));
	ferry_free(sd);
}

static void test_sddl__corpus_sds_survive_format_and_parse_byte_for_byte(void **state)
{
	struct sd_corpus *c = NULL;

	(void)state;
	assert_int_equal(sd_corpus_make(&c, 500, 3), FERRY_OK);
	for (size_t i = 0; i < c->count; i++) {
		const uint8_t *sd = c->bytes + c->off[i];
		size_t len = c->off[i + 1] - c->off[i], n;
		char *text = NULL;
		uint8_t *back = NULL;

		assert_int_equal(sddl_format(&text, sd, len), FERRY_OK);
		assert_int_equal(sddl_parse(&back, &n, text, strlen(text)), FERRY_OK);
		assert_int_equal(n, len);
		assert_memory_equal(back, sd, len);
		ferry_free(back);
		ferry_free(text);
	}
	sd_corpus_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sddl__canonical_text_is_stable),
	    cmocka_unit_test(test_sddl__aliases_and_rights_mean_what_windows_says),
	    cmocka_unit_test(test_sddl__object_guids_use_windows_byte_order),
	    cmocka_unit_test(test_sddl__formatting_canonicalises_synonyms),
	    cmocka_unit_test(test_sddl__rejects_bad_text_naming_the_offset),
	    cmocka_unit_test(test_sddl__refuses_what_it_cannot_express),
	    cmocka_unit_test(test_sddl__corpus_sds_survive_format_and_parse_byte_for_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
