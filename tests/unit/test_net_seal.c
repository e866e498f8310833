/* core/net/seal: X25519 + HKDF-SHA256 + AES-256-GCM sealed blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/seal.h"
#include "util/mem.h"

static const uint8_t msg[] = "ODJ blob text, with a machine password inside";

struct keys {
	uint8_t pub[SEAL_KEY_LEN];
	struct ferry_secret *priv;
};

static void keys_new(struct keys *k)
{
	assert_int_equal(seal_keypair(k->pub, &k->priv), FERRY_OK);
}

static void sealed_for(struct keys *k, const char *agent, uint8_t **out, size_t *len)
{
	assert_int_equal(seal_box(out, len, k->pub, agent, msg, sizeof(msg)), FERRY_OK);
	assert_int_equal(*len, sizeof(msg) + SEAL_OVERHEAD);
}

static void test_net__seal_round_trip(void **state)
{
	struct keys k;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	sealed_for(&k, "agent-1", &blob, &len);
	assert_memory_equal(blob, "FSB1\x01\x01\x00\x00", 8);
	assert_int_equal(seal_open(&pt, k.priv->data, "agent-1", blob, len), FERRY_OK);
	assert_int_equal(pt->len, sizeof(msg));
	assert_memory_equal(pt->data, msg, sizeof(msg));
	ferry_secret_free(pt);
	ferry_free(blob);
	ferry_secret_free(k.priv);
}

static void test_net__seal_refuses_wrong_key(void **state)
{
	struct keys k, other;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	keys_new(&other);
	sealed_for(&k, "agent-1", &blob, &len);
	assert_int_equal(seal_open(&pt, other.priv->data, "agent-1", blob, len), FERRY_EAUTH);
	assert_null(pt);
	ferry_free(blob);
	ferry_secret_free(k.priv);
	ferry_secret_free(other.priv);
}

static void test_net__seal_refuses_wrong_agent_id(void **state)
{
	struct keys k;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	sealed_for(&k, "agent-1", &blob, &len);
	assert_int_equal(seal_open(&pt, k.priv->data, "agent-2", blob, len), FERRY_EAUTH);
	assert_null(strstr(ferry_error_detail(), "password"));
	ferry_free(blob);
	ferry_secret_free(k.priv);
}

static void test_net__seal_refuses_every_truncation(void **state)
{
	struct keys k;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	sealed_for(&k, "a", &blob, &len);
	for (size_t n = 0; n < len; n++) {
		ferry_err rc = seal_open(&pt, k.priv->data, "a", blob, n);
		assert_true(rc == FERRY_ECORRUPT || rc == FERRY_EAUTH);
		assert_null(pt);
	}
	ferry_free(blob);
	ferry_secret_free(k.priv);
}

static void test_net__seal_refuses_any_flipped_byte(void **state)
{
	struct keys k;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	sealed_for(&k, "a", &blob, &len);
	for (size_t i = 0; i < len; i++) {
		blob[i] ^= 0x01;
		assert_int_not_equal(seal_open(&pt, k.priv->data, "a", blob, len), FERRY_OK);
		assert_null(pt);
		blob[i] ^= 0x01;
	}
	ferry_free(blob);
	ferry_secret_free(k.priv);
}

static void test_net__seal_refuses_other_version(void **state)
{
	struct keys k;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	sealed_for(&k, "a", &blob, &len);
	blob[4] = 2;
	assert_int_equal(seal_open(&pt, k.priv->data, "a", blob, len), FERRY_EUNSUPPORTED);
	ferry_free(blob);
	ferry_secret_free(k.priv);
}

static void test_net__seal_refuses_low_order_peer_key(void **state)
{
	uint8_t zero[SEAL_KEY_LEN] = { 0 }, *blob = NULL;
	size_t len = 0;
	(void)state;
	/* The all-zero point gives an all-zero shared secret: refused. */
	assert_int_equal(seal_box(&blob, &len, zero, "a", msg, sizeof(msg)), FERRY_EAUTH);
	assert_null(blob);
}

static void test_net__seal_empty_plaintext_round_trips(void **state)
{
	struct keys k;
	struct ferry_secret *pt = NULL;
	uint8_t *blob;
	size_t len;
	(void)state;
	keys_new(&k);
	assert_int_equal(seal_box(&blob, &len, k.pub, "a", NULL, 0), FERRY_OK);
	assert_int_equal(len, SEAL_OVERHEAD);
	assert_int_equal(seal_open(&pt, k.priv->data, "a", blob, len), FERRY_OK);
	assert_int_equal(pt->len, 0);
	ferry_secret_free(pt);
	ferry_free(blob);
	ferry_secret_free(k.priv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net__seal_round_trip),
		cmocka_unit_test(test_net__seal_refuses_wrong_key),
		cmocka_unit_test(test_net__seal_refuses_wrong_agent_id),
		cmocka_unit_test(test_net__seal_refuses_every_truncation),
		cmocka_unit_test(test_net__seal_refuses_any_flipped_byte),
		cmocka_unit_test(test_net__seal_refuses_other_version),
		cmocka_unit_test(test_net__seal_refuses_low_order_peer_key),
		cmocka_unit_test(test_net__seal_empty_plaintext_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
