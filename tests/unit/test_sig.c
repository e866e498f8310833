#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/sig.h"
#include "util/hex.h"

/* RFC 8032 section 7.1, TEST 2 (one-byte message 0x72). */
static const char *rfc_priv = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
static const char *rfc_pub = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
static const char *rfc_sig = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
			     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t got = 0;
	assert_int_equal(ferry_hex_decode(out, n, &got, hex, strlen(hex)), 0);
	assert_int_equal(got, n);
}

static void test_sig__rfc8032_vector_verifies(void **state)
{
	uint8_t pub[32], sig[64], msg[1] = {0x72};
	(void)state;
	unhex(pub, sizeof pub, rfc_pub);
	unhex(sig, sizeof sig, rfc_sig);
	assert_int_equal(sig_verify(pub, msg, 1, sig, "test"), 0);
}

static void test_sig__sign_matches_rfc8032_vector(void **state)
{
	uint8_t priv[32], pub[32], want_pub[32], sig[64], want[64], msg[1] = {0x72};
	(void)state;
	unhex(priv, sizeof priv, rfc_priv);
	unhex(want_pub, sizeof want_pub, rfc_pub);
	unhex(want, sizeof want, rfc_sig);
	assert_int_equal(sig_public_from_private(pub, priv), 0);
	assert_memory_equal(pub, want_pub, 32);
	assert_int_equal(sig_sign(sig, priv, msg, 1), 0);
	assert_memory_equal(sig, want, 64);
}

static void test_sig__flipped_bit_is_refused(void **state)
{
	uint8_t pub[32], sig[64], msg[1] = {0x72};
	(void)state;
	unhex(pub, sizeof pub, rfc_pub);
	unhex(sig, sizeof sig, rfc_sig);
	sig[10] ^= 0x01;
	assert_int_equal(sig_verify(pub, msg, 1, sig, "bundle"), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "bundle"));
	sig[10] ^= 0x01;
	msg[0] = 0x73;
	assert_int_equal(sig_verify(pub, msg, 1, sig, "bundle"), FERRY_EAUTH);
}

static void test_sig__public_key_parses_hex_and_base64(void **state)
{
	uint8_t want[32], got[32];
	/* base64 of the RFC 8032 TEST 2 public key */
	const char *b64 = "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=";
	(void)state;
	unhex(want, sizeof want, rfc_pub);
	assert_int_equal(sig_public_key_parse(got, rfc_pub, "key"), 0);
	assert_memory_equal(got, want, 32);
	memset(got, 0, sizeof got);
	assert_int_equal(sig_public_key_parse(got, b64, "key"), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(sig_public_key_parse(got, "AAAA", "SigningPublicKey"), FERRY_EINVAL);
	assert_non_null(strstr(ferry_error_detail(), "SigningPublicKey"));
	assert_int_equal(sig_public_key_parse(got, "", "k"), FERRY_EINVAL);
	assert_int_equal(sig_public_key_parse(got, "not a key!", "k"), FERRY_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig__rfc8032_vector_verifies),
		cmocka_unit_test(test_sig__sign_matches_rfc8032_vector),
		cmocka_unit_test(test_sig__flipped_bit_is_refused),
		cmocka_unit_test(test_sig__public_key_parses_hex_and_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
