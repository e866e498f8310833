/*
 * The agent's secrets at rest on Windows (service/win/agent_key.c): DPAPI
 * machine scope. Under Wine's crypt32: a round trip returns the bytes, the
 * protected form does not contain them, and an altered blob is refused.
 * (Whether Wine's DPAPI binds to the machine the way Windows does is not
 * something this test can show.)
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "win/agent_key.h"

static const uint8_t key[32] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
				 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0,
				 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
				 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0 };

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++) {
		if (!memcmp(hay + i, needle, m))
			return 1;
	}
	return 0;
}

static void test_agent_key__dpapi_round_trip(void **state)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	struct ferry_secret *back = NULL;
	(void)state;
	assert_int_equal(win_agent_key_protect(&blob, &len, key, sizeof(key)), FERRY_OK);
	assert_true(len > sizeof(key));
	assert_false(contains(blob, len, key, sizeof(key)));
	assert_int_equal(win_agent_key_unprotect(&back, blob, len), FERRY_OK);
	assert_int_equal(back->len, sizeof(key));
	assert_memory_equal(back->data, key, sizeof(key));
	ferry_secret_free(back);
	ferry_free(blob);
}

static void test_agent_key__altered_blob_refused(void **state)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	struct ferry_secret *back = NULL;
	(void)state;
	assert_int_equal(win_agent_key_protect(&blob, &len, key, sizeof(key)), FERRY_OK);
	blob[len - 1] ^= 0x55;
	assert_int_equal(win_agent_key_unprotect(&back, blob, len), FERRY_EAUTH);
	assert_null(back);
	ferry_free(blob);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_key__dpapi_round_trip),
		cmocka_unit_test(test_agent_key__altered_blob_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
