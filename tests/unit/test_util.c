/* core/util: UTF-8 <-> UTF-16, base64, the bounded buffer, secrets, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/utf.h"

static void test_utf__round_trips_every_plane(void **state)
{
	/* A, e-acute, euro sign, and U+1F600 (a surrogate pair in UTF-16). */
	const char *s = "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	const uint16_t expect[] = { 0x41, 0xe9, 0x20ac, 0xd83d, 0xde00 };
	uint16_t *w = NULL;
	char *back = NULL;
	size_t wn = 0, bn = 0;

	(void)state;
	assert_int_equal(ferry_utf8_to_utf16(&w, &wn, s, strlen(s)), FERRY_OK);
	assert_int_equal(wn, 5);
	assert_memory_equal(w, expect, sizeof(expect));
	assert_int_equal(w[wn], 0);
	assert_int_equal(ferry_utf16_len(w), 5);
	assert_int_equal(ferry_utf16_to_utf8(&back, &bn, w, wn), FERRY_OK);
	assert_int_equal(bn, strlen(s));
	assert_string_equal(back, s);
	ferry_free(w);
	ferry_free(back);
}

static void test_utf__rejects_invalid_utf8_with_offset(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		const char *where;
	} cases[] = {
		{ "ab\xc0\xaf", 4, "offset 2" },       /* overlong '/' */
		{ "\xed\xa0\x80", 3, "offset 0" },     /* UTF-16 surrogate */
		{ "x\xf4\x90\x80\x80", 5, "offset 1" },/* past U+10FFFF */
		{ "abc\xe2\x82", 5, "offset 3" },      /* truncated */
		{ "\x80", 1, "offset 0" },             /* lone continuation */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t *w = (uint16_t *)1;
		size_t n = 99;

		assert_int_equal(ferry_utf8_to_utf16(&w, &n, cases[i].s, cases[i].len),
				 FERRY_ECORRUPT);
		assert_null(w);
		assert_int_equal(n, 0);
		assert_non_null(strstr(ferry_error_detail(), cases[i].where));
	}
}

static void test_utf__rejects_unpaired_surrogates(void **state)
{
	const uint16_t high_alone[] = { 0x41, 0xd800 };
	const uint16_t low_first[] = { 0xdc00, 0xd800 };
	char *s = NULL;
	size_t n;

	(void)state;
	assert_int_equal(ferry_utf16_to_utf8(&s, &n, high_alone, 2), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "unit 1"));
	assert_int_equal(ferry_utf16_to_utf8(&s, &n, low_first, 2), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "unit 0"));
	assert_null(s);
}

static void test_base64__matches_rfc4648_vectors(void **state)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
				       "Zm9vYmFy" };
	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *enc = NULL;
		uint8_t *dec = NULL;
		size_t n = 0;

		assert_int_equal(ferry_base64_encode(&enc, (const uint8_t *)plain[i],
						     strlen(plain[i])), FERRY_OK);
		assert_string_equal(enc, coded[i]);
		assert_int_equal(ferry_base64_encoded_len(strlen(plain[i])), strlen(coded[i]));
		assert_int_equal(ferry_base64_decode(&dec, &n, coded[i], strlen(coded[i])), FERRY_OK);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], n);
		ferry_free(enc);
		ferry_free(dec);
	}
}

static void test_base64__skips_whitespace_between_quanta(void **state)
{
	const char *s = " Zm9v\r\nYmFy \n";
	uint8_t *dec = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(ferry_base64_decode(&dec, &n, s, strlen(s)), FERRY_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(dec, "foobar", 6);
	ferry_free(dec);
}

static void test_base64__rejects_malformed_with_offset(void **state)
{
	static const struct {
		const char *s;
		const char *where;
	} cases[] = {
		{ "Zm9v!mFy", "offset 4" },  /* outside the alphabet */
		{ "Zm9vY", "mid-quantum" },  /* truncated */
		{ "Z===", "offset 1" },      /* padding too early */
		{ "Zh==", "non-zero padding bits" },
		{ "Zg==Zg==", "offset 4" },  /* data after padding */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *dec = (uint8_t *)1;
		size_t n = 7;

		assert_int_equal(ferry_base64_decode(&dec, &n, cases[i].s, strlen(cases[i].s)),
				 FERRY_ECORRUPT);
		assert_null(dec);
		assert_int_equal(n, 0);
		assert_non_null(strstr(ferry_error_detail(), cases[i].where));
	}
}

static void test_buf__refuses_to_grow_past_its_limit(void **state)
{
	struct ferry_buf b;

	(void)state;
	ferry_buf_init(&b, 8);
	assert_int_equal(ferry_buf_puts(&b, "12345"), FERRY_OK);
	assert_int_equal(ferry_buf_printf(&b, "%d", 678), FERRY_OK);
	assert_string_equal((char *)b.data, "12345678");
	assert_int_equal(ferry_buf_append(&b, "9", 1), FERRY_ERANGE);
	assert_int_equal(b.len, 8);
	assert_string_equal((char *)b.data, "12345678");
	ferry_buf_free(&b);
	assert_null(b.data);
}

static void test_mem__failure_hook_fails_the_nth_allocation(void **state)
{
	void *a, *b;
	struct ferry_secret *s = NULL;

	(void)state;
	ferry_alloc_fail_after(2);
	a = ferry_malloc(4);
	b = ferry_malloc(4);
	assert_non_null(a);
	assert_null(b);
	/* Secrets report the failure and leave nothing behind. */
	assert_int_equal(ferry_secret_new(&s, 16), FERRY_ENOMEM);
	assert_null(s);
	ferry_alloc_fail_after(0);
	ferry_free(a);
}

static void test_mem__calloc_rejects_overflowing_sizes(void **state)
{
	(void)state;
	assert_null(ferry_calloc(SIZE_MAX / 2, 4));
	assert_null(ferry_realloc_array(NULL, SIZE_MAX / 8, 16));
}

static void test_secret__holds_a_terminated_copy(void **state)
{
	struct ferry_secret *s = NULL;

	(void)state;
	assert_int_equal(ferry_secret_from(&s, "hunter2", 7), FERRY_OK);
	assert_int_equal(s->len, 7);
	assert_memory_equal(s->data, "hunter2", 7);
	assert_int_equal(s->data[7], 0);
	ferry_secret_free(s);
	ferry_secret_free(NULL);
}

static void test_bytes__little_and_big_endian(void **state)
{
	uint8_t b[8];

	(void)state;
	put_u32le(b, 0x11223344);
	assert_int_equal(b[0], 0x44);
	assert_int_equal(get_u32le(b), 0x11223344);
	put_u32be(b, 0x11223344);
	assert_int_equal(b[0], 0x11);
	assert_int_equal(get_u32be(b), 0x11223344);
	put_u64le(b, 0x0102030405060708ull);
	assert_true(get_u64le(b) == 0x0102030405060708ull);
	put_u16le(b, 0xabcd);
	assert_int_equal(get_u16le(b), 0xabcd);
}

static void test_err__set_and_wrap_keep_the_code(void **state)
{
	(void)state;
	assert_int_equal(ferry_error_set(FERRY_ECORRUPT, "at offset %d", 12), FERRY_ECORRUPT);
	assert_int_equal(ferry_error_wrap(FERRY_ECORRUPT, "%s: ", "blob.txt"), FERRY_ECORRUPT);
	assert_string_equal(ferry_error_detail(), "blob.txt: at offset 12");
	assert_string_equal(ferry_strerror(FERRY_ECORRUPT), "malformed input");
	assert_string_equal(ferry_strerror((ferry_err)-9999), "unknown error");
	ferry_error_clear();
	assert_string_equal(ferry_error_detail(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf__round_trips_every_plane),
		cmocka_unit_test(test_utf__rejects_invalid_utf8_with_offset),
		cmocka_unit_test(test_utf__rejects_unpaired_surrogates),
		cmocka_unit_test(test_base64__matches_rfc4648_vectors),
		cmocka_unit_test(test_base64__skips_whitespace_between_quanta),
		cmocka_unit_test(test_base64__rejects_malformed_with_offset),
		cmocka_unit_test(test_buf__refuses_to_grow_past_its_limit),
		cmocka_unit_test(test_mem__failure_hook_fails_the_nth_allocation),
		cmocka_unit_test(test_mem__calloc_rejects_overflowing_sizes),
		cmocka_unit_test(test_secret__holds_a_terminated_copy),
		cmocka_unit_test(test_bytes__little_and_big_endian),
		cmocka_unit_test(test_err__set_and_wrap_keep_the_code),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
