/* core/net/canon: the byte string a bundle signs as. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/canon.h"
#include "util/buf.h"

static ferry_err canon_of(struct ferry_buf *b, const char *json)
{
	cJSON *v = cJSON_Parse(json);
	ferry_err rc;

	assert_non_null(v);
	ferry_buf_init(b, 4096);
	rc = canon_json(b, v);
	cJSON_Delete(v);
	return rc;
}

static void expect(const char *json, const char *want)
{
	struct ferry_buf b;

	assert_int_equal(canon_of(&b, json), FERRY_OK);
	assert_string_equal((const char *)b.data, want);
	ferry_buf_free(&b);
}

static void refuse(const char *json, ferry_err want)
{
	struct ferry_buf b;

	assert_int_equal(canon_of(&b, json), want);
	ferry_buf_free(&b);
}

static void test_net__canon_sorts_keys_and_drops_whitespace(void **state)
{
	(void)state;
	expect("{ \"b\" : 1, \"a\" : [ true , false, null ], \"A\": {\"z\":\"\",\"y\":-2} }",
	       "{\"A\":{\"y\":-2,\"z\":\"\"},\"a\":[true,false,null],\"b\":1}");
}

static void test_net__canon_same_bytes_for_reordered_input(void **state)
{
	struct ferry_buf x, y;
	(void)state;
	assert_int_equal(canon_of(&x, "{\"k\":1,\"j\":{\"q\":2,\"p\":[3]}}"), FERRY_OK);
	assert_int_equal(canon_of(&y, "{\"j\":{\"p\":[3],\"q\":2},\"k\":1}"), FERRY_OK);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	ferry_buf_free(&x);
	ferry_buf_free(&y);
}

static void test_net__canon_escapes_controls_only(void **state)
{
	(void)state;
	expect("[\"q\\\"b\\\\ \\n\\t\\u0001 \\u00e9 /\"]", "[\"q\\\"b\\\\ \\n\\t\\u0001 \xc3\xa9 /\"]");
}

static void test_net__canon_refuses_fractions_and_huge_numbers(void **state)
{
	(void)state;
	refuse("{\"a\":1.5}", FERRY_EUNSUPPORTED);
	refuse("[1e300]", FERRY_EUNSUPPORTED);
	refuse("[9007199254740992]", FERRY_EUNSUPPORTED);
	expect("[9007199254740991,-9007199254740991,0]",
	       "[9007199254740991,-9007199254740991,0]");
}

static void test_net__canon_refuses_duplicate_keys(void **state)
{
	(void)state;
	refuse("{\"a\":1,\"b\":2,\"a\":3}", FERRY_EUNSUPPORTED);
}

static void test_net__canon_refuses_deep_nesting(void **state)
{
	char deep[200];
	(void)state;
	memset(deep, '[', 40);
	memset(deep + 40, ']', 40);
	deep[80] = '\0';
	refuse(deep, FERRY_EUNSUPPORTED);
}

static void test_net__canon_stops_at_buffer_maximum(void **state)
{
	struct ferry_buf b;
	cJSON *v = cJSON_Parse("{\"long\":\"0123456789012345678901234567890123456789\"}");
	(void)state;
	ferry_buf_init(&b, 16);
	assert_int_equal(canon_json(&b, v), FERRY_ERANGE);
	ferry_buf_free(&b);
	cJSON_Delete(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net__canon_sorts_keys_and_drops_whitespace),
		cmocka_unit_test(test_net__canon_same_bytes_for_reordered_input),
		cmocka_unit_test(test_net__canon_escapes_controls_only),
		cmocka_unit_test(test_net__canon_refuses_fractions_and_huge_numbers),
		cmocka_unit_test(test_net__canon_refuses_duplicate_keys),
		cmocka_unit_test(test_net__canon_refuses_deep_nesting),
		cmocka_unit_test(test_net__canon_stops_at_buffer_maximum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
