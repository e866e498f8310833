/* core/sec: the SID-translation engine (sd_translate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sec/corpus.h"
#include "sec/sd.h"
#include "sec/translate.h"
#include "sec_fixtures.h"
#include "util/mem.h"

static uint8_t outbuf[SD_MAX_SIZE];

/* Translate and decode the result; returns NULL when unchanged. */
static struct sd_doc *run(const uint8_t *sd, size_t len, enum sd_mode mode, bool *changed)
{
	struct sec_table *t = fix_table();
	struct sd_out out = {.buf = outbuf, .cap = sizeof(outbuf)};
	struct sd_doc *doc = NULL;

	assert_int_equal(sd_translate(sd, len, t, mode, &out, changed), FERRY_OK);
	sec_table_free(t);
	if (!*changed) {
		assert_ptr_equal(out.data, sd);
		assert_int_equal(out.len, len);
		return NULL;
	}
	assert_ptr_equal(out.data, outbuf);
	assert_int_equal(sd_check(out.data, out.len), FERRY_OK);
	assert_int_equal(sd_doc_decode(&doc, out.data, out.len), FERRY_OK);
	return doc;
}

static bool is(const struct sid *s, const char *text)
{
	struct sid want = fix_sid(text);

	return sid_equal(s, &want);
}

static void test_translate__replace_rewrites_trustees_owner_and_group(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	struct sd_doc *in = NULL, *out;
	bool changed;

	(void)state;
	assert_int_equal(sd_doc_decode(&in, sd, len), FERRY_OK);
	out = run(sd, len, SD_MODE_REPLACE, &changed);
	assert_true(changed);
	assert_true(is(&out->owner, FIX_DST_USER));
	assert_true(is(&out->group, FIX_DST_GROUP));
	assert_int_equal(out->control, in->control);
	assert_int_equal(out->dacl->count, in->dacl->count);
	for (size_t i = 0; i < in->dacl->count; i++) {
		const struct sd_ace *a = &in->dacl->aces[i], *b = &out->dacl->aces[i];

		/* Everything but the trustee survives, object data and app data included. */
		assert_int_equal(a->type, b->type);
		assert_int_equal(a->flags, b->flags);
		assert_int_equal(a->mask, b->mask);
		assert_int_equal(a->obj_flags, b->obj_flags);
		assert_memory_equal(a->obj_type, b->obj_type, 16);
		assert_memory_equal(a->inh_type, b->inh_type, 16);
		assert_int_equal(a->extra_len, b->extra_len);
		if (a->extra_len)
			assert_memory_equal(a->extra, b->extra, a->extra_len);
	}
	/* The inherited ACE (index 4) is translated like the explicit ones. */
	assert_true(is(&out->dacl->aces[1].trustee, FIX_DST_USER));
	assert_true(is(&out->dacl->aces[2].trustee, FIX_DST_GROUP));
	assert_true(is(&out->dacl->aces[3].trustee, FIX_DST_USER));
	assert_true(is(&out->dacl->aces[4].trustee, FIX_DST_USER));
	assert_true(is(&out->sacl->aces[0].trustee, FIX_DST_USER));
	assert_int_equal(out->dacl->revision, ACL_REVISION_DS);
	sd_doc_free(in);
	sd_doc_free(out);
	ferry_free(sd);
}

static struct sd_doc *small_doc(void)
{
	struct sd_doc *doc = NULL;
	struct sd_ace a;

	assert_int_equal(sd_doc_new(&doc), FERRY_OK);
	doc->control |= SE_DACL_PRESENT | SE_DACL_AUTO_INHERITED;
	doc->has_owner = doc->has_group = true;
	doc->owner = fix_sid(FIX_SRC_USER);
	doc->group = fix_sid("S-1-5-18");
	assert_int_equal(sd_acl_new(&doc->dacl, ACL_REVISION), FERRY_OK);
	a = fix_ace(ACE_ACCESS_ALLOWED, 0x13, 0x1F01FF, "S-1-5-18");
	assert_int_equal(sd_acl_append(doc->dacl, &a), FERRY_OK);
	a = fix_ace(ACE_ACCESS_ALLOWED, 0x13, 0x1301BF, FIX_SRC_USER);
	assert_int_equal(sd_acl_append(doc->dacl, &a), FERRY_OK);
	a = fix_ace(ACE_ACCESS_DENIED, 0x00, 0x40, FIX_SRC_GROUP);
	assert_int_equal(sd_acl_append(doc->dacl, &a), FERRY_OK);
	return doc;
}

static void test_translate__add_inserts_twins_and_keeps_owner(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(small_doc(), &len);
	struct sd_doc *out;
	bool changed;

	(void)state;
	out = run(sd, len, SD_MODE_ADD, &changed);
	assert_true(changed);
	assert_true(is(&out->owner, FIX_SRC_USER));
	assert_int_equal(out->dacl->count, 5);
	assert_true(is(&out->dacl->aces[1].trustee, FIX_SRC_USER));
	assert_true(is(&out->dacl->aces[2].trustee, FIX_DST_USER));
	assert_int_equal(out->dacl->aces[2].mask, 0x1301BF);
	assert_int_equal(out->dacl->aces[2].flags, 0x13);
	assert_true(is(&out->dacl->aces[3].trustee, FIX_SRC_GROUP));
	assert_true(is(&out->dacl->aces[4].trustee, FIX_DST_GROUP));
	assert_int_equal(out->dacl->aces[4].type, ACE_ACCESS_DENIED);
	sd_doc_free(out);
	ferry_free(sd);
}

static void test_translate__add_twice_is_unchanged_the_second_time(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(small_doc(), &len), *again;
	struct sd_doc *out;
	bool changed;

	(void)state;
	out = run(sd, len, SD_MODE_ADD, &changed);
	again = fix_encode(out, &len);
	assert_null(run(again, len, SD_MODE_ADD, &changed));
	assert_false(changed);
	ferry_free(again);
	ferry_free(sd);
}

static void test_translate__remove_drops_sources_and_moves_owner(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(small_doc(), &len);
	struct sd_doc *out;
	bool changed;

	(void)state;
	out = run(sd, len, SD_MODE_REMOVE, &changed);
	assert_true(changed);
	assert_true(is(&out->owner, FIX_DST_USER));
	assert_true(is(&out->group, "S-1-5-18"));
	assert_int_equal(out->dacl->count, 1);
	assert_true(is(&out->dacl->aces[0].trustee, "S-1-5-18"));
	sd_doc_free(out);
	ferry_free(sd);
}

static void test_translate__duplicates_are_dropped_after_replace(void **state)
{
	struct sd_doc *doc = small_doc(), *out;
	struct sd_ace a = fix_ace(ACE_ACCESS_ALLOWED, 0x13, 0x1301BF, FIX_DST_USER);
	uint8_t *sd;
	size_t len;
	bool changed;

	(void)state;
	/* The target already holds the same right: after replace the two collide. */
	assert_int_equal(sd_acl_append(doc->dacl, &a), FERRY_OK);
	sd = fix_encode(doc, &len);
	out = run(sd, len, SD_MODE_REPLACE, &changed);
	assert_int_equal(out->dacl->count, 3);
	assert_true(is(&out->dacl->aces[1].trustee, FIX_DST_USER));
	assert_true(is(&out->dacl->aces[2].trustee, FIX_DST_GROUP));
	sd_doc_free(out);
	ferry_free(sd);
}

static void test_translate__longer_target_sids_resize_everything(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	struct sec_table *t = fix_table();
	struct sd_out out = {.buf = outbuf, .cap = sizeof(outbuf)};
	bool changed;

	(void)state;
	/* The group's target SID is 4 bytes longer than its source. */
	assert_int_equal(sd_translate(sd, len, t, SD_MODE_REPLACE, &out, &changed), FERRY_OK);
	assert_true(changed);
	/* Group SID and the object ACE's SID: +4 each. */
	assert_int_equal(out.len, len + 8);
	assert_int_equal(sd_check(out.data, out.len), FERRY_OK);
	assert_int_equal(sd_translate(sd, len, t, SD_MODE_ADD, &out, &changed), FERRY_OK);
	assert_true(out.len > len);
	assert_int_equal(sd_check(out.data, out.len), FERRY_OK);
	/* An output buffer one byte short is refused, never overrun. */
	out.cap = out.len - 1;
	out.buf = ferry_malloc(out.cap);
	assert_int_equal(sd_translate(sd, len, t, SD_MODE_ADD, &out, &changed), FERRY_ERANGE);
	ferry_free(out.buf);
	sec_table_free(t);
	ferry_free(sd);
}

static void test_translate__unchanged_sds_come_back_byte_identical(void **state)
{
	struct sd_corpus *c = NULL;
	size_t unchanged = 0;

	(void)state;
	assert_int_equal(sd_corpus_make(&c, 3000, 42), FERRY_OK);
	for (size_t i = 0; i < c->count; i++) {
		const uint8_t *sd = c->bytes + c->off[i];
		size_t len = c->off[i + 1] - c->off[i];

		for (int m = 0; m < 3; m++) {
			struct sd_out out = {.buf = outbuf, .cap = sizeof(outbuf)};
			bool changed = true;

			assert_int_equal(
			    sd_translate(sd, len, c->table, (enum sd_mode)m, &out, &changed),
			    FERRY_OK);
			if (changed) {
				assert_int_equal(sd_check(out.data, out.len), FERRY_OK);
				continue;
			}
			unchanged++;
			assert_ptr_equal(out.data, sd);
			assert_int_equal(out.len, len);
		}
	}
	/* ~80% of SDs name no source, so each mode leaves them alone. */
	assert_true(unchanged >= 3 * (c->count - c->with_source));
	sd_corpus_free(c);
}

static void test_translate__replace_is_idempotent(void **state)
{
	struct sd_corpus *c = NULL;
	static uint8_t second[SD_MAX_SIZE];

	(void)state;
	assert_int_equal(sd_corpus_make(&c, 2000, 7), FERRY_OK);
	for (size_t i = 0; i < c->count; i++) {
		const uint8_t *sd = c->bytes + c->off[i];
		size_t len = c->off[i + 1] - c->off[i];
		struct sd_out a = {.buf = outbuf, .cap = sizeof(outbuf)};
		struct sd_out b = {.buf = second, .cap = sizeof(second)};
		bool changed;

		assert_int_equal(sd_translate(sd, len, c->table, SD_MODE_REPLACE, &a, &changed),
		                 FERRY_OK);
		assert_int_equal(
		    sd_translate(a.data, a.len, c->table, SD_MODE_REPLACE, &b, &changed), FERRY_OK);
		assert_false(changed);
	}
	sd_corpus_free(c);
}

/* Corruption sweep: the engine and the reference checker must agree on every
 * input, and whatever the engine accepts must come out well-formed. */
static void agree(const uint8_t *sd, size_t len, const struct sec_table *t)
{
	ferry_err ref = sd_check(sd, len);

	for (int m = 0; m < 3; m++) {
		struct sd_out out = {.buf = outbuf, .cap = sizeof(outbuf)};
		bool changed;
		ferry_err rc = sd_translate(sd, len, t, (enum sd_mode)m, &out, &changed);

		assert_int_equal(rc, ref);
		if (rc == FERRY_OK)
			assert_int_equal(sd_check(out.data, out.len), FERRY_OK);
	}
}

static void test_translate__every_truncation_is_rejected(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	struct sec_table *t = fix_table();

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = ferry_malloc(n ? n : 1);

		memcpy(cut, sd, n);
		assert_int_equal(sd_check(cut, n), FERRY_ECORRUPT);
		agree(cut, n, t);
		ferry_free(cut);
	}
	sec_table_free(t);
	ferry_free(sd);
}

static void test_translate__random_corruptions_are_rejected_cleanly(void **state)
{
	size_t len;
	uint8_t *sd = fix_encode(fix_every_kind(), &len);
	struct sec_table *t = fix_table();
	uint64_t rng = 0x5EC0DE;
	size_t rejected = 0;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint8_t *bad = ferry_malloc(len);
		int flips;

		memcpy(bad, sd, len);
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		flips = 1 + (int)(rng >> 62);
		for (int f = 0; f < flips; f++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			/* Most flips land in headers and sizes, where they matter. */
			bad[(rng >> 33) % (rng >> 63 ? len : 64)] ^=
			    (uint8_t)(1u << (rng >> 20 & 7));
		}
		rejected += sd_check(bad, len) != FERRY_OK;
		agree(bad, len, t);
		ferry_free(bad);
	}
	/* A sweep that rejects nothing would not be testing the checks. */
	assert_true(rejected > 2000);
	sec_table_free(t);
	ferry_free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_translate__replace_rewrites_trustees_owner_and_group),
	    cmocka_unit_test(test_translate__add_inserts_twins_and_keeps_owner),
	    cmocka_unit_test(test_translate__add_twice_is_unchanged_the_second_time),
	    cmocka_unit_test(test_translate__remove_drops_sources_and_moves_owner),
	    cmocka_unit_test(test_translate__duplicates_are_dropped_after_replace),
	    cmocka_unit_test(test_translate__longer_target_sids_resize_everything),
	    cmocka_unit_test(test_translate__unchanged_sds_come_back_byte_identical),
	    cmocka_unit_test(test_translate__replace_is_idempotent),
	    cmocka_unit_test(test_translate__every_truncation_is_rejected),
	    cmocka_unit_test(test_translate__random_corruptions_are_rejected_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
