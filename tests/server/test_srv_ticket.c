/*
 * srv_ticket: the session-ticket keys every node derives from the shared
 * secret and the 12-hour period. A ticket sealed at time t opens with the
 * same secret at t (1), one period later or earlier (2: renew), not two
 * periods later, and never with another secret (0: a full handshake).
 * srv_ticket_crypt is driven as OpenSSL drives the callback: it fills the
 * cipher and MAC contexts, and the test seals and opens real bytes with
 * them, so a key mismatch shows as a wrong plaintext or MAC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "srv_ticket.h"

#define T0 ((int64_t)1796000000) /* a Unix time inside some period */
#define P SRV_TICKET_PERIOD_S

struct sealed {
	unsigned char name[16], iv[16], ct[64], mac[32];
	int ct_len;
};

static const uint8_t secret_a[32] = { 1, 2, 3 }, secret_b[32] = { 9, 9, 9 };
static const char plain[] = "the session state a ticket carries";

static struct sealed seal(struct srv_ticket_keys *k, int64_t now)
{
	struct sealed s = { 0 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = EVP_MAC_CTX_new(mac);
	int n = 0, m = 0;
	size_t ml = 0;

	assert_int_equal(srv_ticket_crypt(k, now, s.name, s.iv, c, h, 1), 1);
	assert_int_equal(EVP_EncryptUpdate(c, s.ct, &n, (const unsigned char *)plain,
					   (int)sizeof(plain)), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, s.ct + n, &m), 1);
	s.ct_len = n + m;
	assert_int_equal(EVP_MAC_init(h, NULL, 0, NULL), 1);
	assert_int_equal(EVP_MAC_update(h, s.ct, (size_t)s.ct_len), 1);
	assert_int_equal(EVP_MAC_final(h, s.mac, &ml, sizeof(s.mac)), 1);
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(mac);
	EVP_CIPHER_CTX_free(c);
	return s;
}

/* The callback's answer for s at now; on 1 or 2, also that MAC and plaintext check out. */
static int open_at(struct srv_ticket_keys *k, int64_t now, struct sealed s)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = EVP_MAC_CTX_new(mac);
	unsigned char out[80], md[32];
	int r = srv_ticket_crypt(k, now, s.name, s.iv, c, h, 0), n = 0, m = 0;
	size_t ml = 0;

	if (r == 1 || r == 2) {
		assert_int_equal(EVP_MAC_init(h, NULL, 0, NULL), 1);
		assert_int_equal(EVP_MAC_update(h, s.ct, (size_t)s.ct_len), 1);
		assert_int_equal(EVP_MAC_final(h, md, &ml, sizeof(md)), 1);
		assert_memory_equal(md, s.mac, sizeof(md));
		assert_int_equal(EVP_DecryptUpdate(c, out, &n, s.ct, s.ct_len), 1);
		assert_int_equal(EVP_DecryptFinal_ex(c, out + n, &m), 1);
		assert_int_equal(n + m, (int)sizeof(plain));
		assert_memory_equal(out, plain, sizeof(plain));
	}
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(mac);
	EVP_CIPHER_CTX_free(c);
	return r;
}

static void test_srv_ticket__opens_within_the_period(void **state)
{
	struct srv_ticket_keys *k = NULL;
	int64_t start = T0 - T0 % P;

	(void)state;
	assert_int_equal(srv_ticket_keys_new(&k, secret_a), FERRY_OK);
	assert_int_equal(open_at(k, start + 5, seal(k, start + 5)), 1);
	assert_int_equal(open_at(k, start + P - 1, seal(k, start)), 1);
	srv_ticket_keys_free(k);
}

/* Seal at T0 with a key set from one secret, open with another set from a second. */
static int across(const uint8_t sealer[32], const uint8_t opener[32])
{
	struct srv_ticket_keys *a = NULL, *b = NULL;
	int r;

	assert_int_equal(srv_ticket_keys_new(&a, sealer), FERRY_OK);
	assert_int_equal(srv_ticket_keys_new(&b, opener), FERRY_OK);
	r = open_at(b, T0, seal(a, T0));
	srv_ticket_keys_free(a);
	srv_ticket_keys_free(b);
	return r;
}

/* Two nodes (two key sets, one secret) read each other's tickets. */
static void test_srv_ticket__another_node_with_the_secret_opens_it(void **state)
{
	(void)state;
	assert_int_equal(across(secret_a, secret_a), 1);
}

static void test_srv_ticket__rotates_renews_then_refuses(void **state)
{
	struct srv_ticket_keys *k = NULL;
	struct sealed s;

	(void)state;
	assert_int_equal(srv_ticket_keys_new(&k, secret_a), FERRY_OK);
	s = seal(k, T0);
	assert_int_equal(open_at(k, T0 + P, s), 2);     /* the previous period: renew */
	assert_int_equal(open_at(k, T0 - P, s), 2);     /* a node whose clock is behind */
	assert_int_equal(open_at(k, T0 + 2 * P, s), 0); /* rotated out: full handshake */
	assert_int_equal(open_at(k, T0 - 2 * P, s), 0);
	assert_int_equal(open_at(k, T0, s), 1);         /* back to the period that sealed it */
	srv_ticket_keys_free(k);
}

static void test_srv_ticket__another_secret_refuses(void **state)
{
	(void)state;
	assert_int_equal(across(secret_a, secret_b), 0);
}

/* The secret file: made 0600 once, never replaced, read back as the same keys. */
static void test_srv_ticket__secret_file_made_once(void **state)
{
	char path[64];
	struct srv_ticket_keys *k1 = NULL, *k2 = NULL;
	int created = 0;
	FILE *f;
	char before[128] = "", after[128] = "";

	(void)state;
	snprintf(path, sizeof(path), "/tmp/ferry-ticket-%d.key", (int)getpid());
	unlink(path);
	assert_int_equal(srv_ticket_secret_ensure(path, &created), FERRY_OK);
	assert_int_equal(created, 1);
	f = fopen(path, "r");
	assert_non_null(fgets(before, sizeof(before), f));
	fclose(f);
	assert_int_equal(srv_ticket_secret_ensure(path, &created), FERRY_OK);
	assert_int_equal(created, 0);
	f = fopen(path, "r");
	assert_non_null(fgets(after, sizeof(after), f));
	fclose(f);
	assert_string_equal(before, after);
	assert_int_equal(srv_ticket_keys_load(&k1, path), FERRY_OK);
	assert_int_equal(srv_ticket_keys_load(&k2, path), FERRY_OK);
	assert_int_equal(open_at(k2, T0, seal(k1, T0)), 1);
	srv_ticket_keys_free(k1);
	srv_ticket_keys_free(k2);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_ticket__opens_within_the_period),
		cmocka_unit_test(test_srv_ticket__another_node_with_the_secret_opens_it),
		cmocka_unit_test(test_srv_ticket__rotates_renews_then_refuses),
		cmocka_unit_test(test_srv_ticket__another_secret_refuses),
		cmocka_unit_test(test_srv_ticket__secret_file_made_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
