/*
 * core/net/client: the one pin format. SERVER_PIN_SHA256 is documented
 * (admin guide, ADMX) as 64 hex digits of the SPKI SHA-256, while
 * CURLOPT_PINNEDPUBLICKEY wants "sha256//<base64>": net_pin_to_curl takes
 * both (and the forms today's callers build) and gives libcurl's.
 * The digest here is SHA-256("abc") (FIPS 180-2 test vector), in hex and
 * in base64 (computed with Python's hashlib and base64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/client.h"

#define HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define B64 "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
#define CURL_FORM "sha256//" B64

static void expect_pin(const char *in)
{
	char out[NET_PIN_CURL_MAX];

	if (net_pin_to_curl(out, in) != FERRY_OK)
		fail_msg("'%s' refused: %s", in, ferry_error_detail());
	assert_string_equal(out, CURL_FORM);
}

static void test_net_client__pin_hex_as_documented(void **state)
{
	(void)state;
	expect_pin(HEX);
}

static void test_net_client__pin_hex_upper_case_and_colons(void **state)
{
	(void)state;
	expect_pin("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
	/* `openssl dgst -sha256 -c` prints the digest this way */
	expect_pin("BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:"
		   "F2:00:15:AD");
}

/* svc_net.c and the CLI put "sha256//" before whatever they were given. */
static void test_net_client__pin_prefixed_hex(void **state)
{
	(void)state;
	expect_pin("sha256//" HEX);
}

static void test_net_client__pin_base64_with_and_without_prefix(void **state)
{
	(void)state;
	expect_pin(CURL_FORM);
	expect_pin(B64);
	expect_pin("  " HEX "\t");
}

static void test_net_client__pin_malformed_is_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "sha256//",
	    HEX "00",                                                /* 33 bytes */
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a", /* 63 digits */
	    "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", /* not hex */
	    "BA-78-16-BF-8F-01-CF-EA-41-41-40-DE-5D-AE-22-23-B0-03-61-A3-96-17-7A-9C-B4-10-FF-61-"
	    "F2-00-15-AD",                                           /* wrong separator */
	    "sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0",   /* padding missing */
	    "sha256//" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 45 bytes */
	    "sha1//" B64,
	    "sha256//" B64 ";sha256//" B64,                            /* one pin, not a list */
	};
	char out[NET_PIN_CURL_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (net_pin_to_curl(out, bad[i]) != FERRY_EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(ferry_error_detail(), "SERVER_PIN_SHA256"));
		assert_string_equal(out, "");
	}
	assert_int_equal(net_pin_to_curl(out, NULL), FERRY_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_client__pin_hex_as_documented),
		cmocka_unit_test(test_net_client__pin_hex_upper_case_and_colons),
		cmocka_unit_test(test_net_client__pin_prefixed_hex),
		cmocka_unit_test(test_net_client__pin_base64_with_and_without_prefix),
		cmocka_unit_test(test_net_client__pin_malformed_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
