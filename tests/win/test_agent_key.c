/*
 * The agent's secrets at rest on Windows (service/win/agent_key.c): DPAPI in
 * the scope of the calling account (SYSTEM in the service), never machine
 * scope. Under Wine's crypt32: a round trip returns the bytes, the
 * protected form does not contain them, and an altered blob is refused.
 * What this test cannot show: Wine's crypt32 ignores the scope (its blob is
 * the same with and without CRYPTPROTECT_LOCAL_MACHINE), so that another
 * account cannot open the blob is a manual step in
 * docs/windows-test-plan.md. The machine-scope detector is tested on blob
 * headers built from the documented DPAPI_BLOB layout.
 */
#include <windows.h>
#include <wincrypt.h>

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

/* dwVersion 1, the DPAPI provider GUID, dwMasterKeyVersion 1, a master key
 * GUID, dwFlags, then the description length: the documented header. */
static size_t dpapi_header(uint8_t *b, uint32_t flags)
{
	static const uint8_t provider[16] = { 0xd0, 0x8c, 0x9d, 0xdf, 0x01, 0x15, 0xd1, 0x11,
					      0x8c, 0x7a, 0x00, 0xc0, 0x4f, 0xc2, 0x97, 0xeb };

	memset(b, 0, 64);
	b[0] = 1;
	memcpy(b + 4, provider, 16);
	b[20] = 1;
	memset(b + 24, 0x5a, 16);
	b[40] = (uint8_t)flags;
	b[41] = (uint8_t)(flags >> 8);
	return 64;
}

static void test_agent_key__machine_scope_blob_is_detected(void **state)
{
	uint8_t b[64];
	size_t n;

	(void)state;
	n = dpapi_header(b, CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN);
	assert_true(win_agent_key_machine_scope(b, n));
	n = dpapi_header(b, CRYPTPROTECT_UI_FORBIDDEN);
	assert_false(win_agent_key_machine_scope(b, n));
	n = dpapi_header(b, CRYPTPROTECT_LOCAL_MACHINE);
	assert_false(win_agent_key_machine_scope(b, 43)); /* the flags cut off */
	b[4] ^= 1;                                       /* another provider */
	assert_false(win_agent_key_machine_scope(b, n));
	assert_false(win_agent_key_machine_scope(NULL, 0));
}

static void test_agent_key__sealed_blob_is_not_machine_scope(void **state)
{
	uint8_t *blob = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(win_agent_key_protect(&blob, &len, key, sizeof(key)), FERRY_OK);
	assert_false(win_agent_key_machine_scope(blob, len));
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
		cmocka_unit_test(test_agent_key__machine_scope_blob_is_detected),
		cmocka_unit_test(test_agent_key__sealed_blob_is_not_machine_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
