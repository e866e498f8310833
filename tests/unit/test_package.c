/* core/net/package: signed command-package manifests (format in package.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/package.h"
#include "net/sig.h"
#include "util/buf.h"
#include "util/mem.h"

static const uint8_t run_cmd[] = "@echo off\r\necho hello from the package\r\n";

struct fixture {
	uint8_t priv[32], pub[32];
	uint8_t *manifest;
	size_t mlen;
	char *sig;
};

static void sha256(uint8_t out[32], const void *data, size_t len)
{
	struct package_hash *h = NULL;
	assert_int_equal(package_hash_new(&h), 0);
	assert_int_equal(package_hash_update(h, data, len), 0);
	assert_int_equal(package_hash_final(h, out), 0);
	package_hash_free(h);
}

static void sign_into(struct fixture *f)
{
	uint8_t sig[64];
	ferry_free(f->sig);
	assert_int_equal(package_manifest_sign(sig, f->priv, f->manifest, f->mlen), 0);
	assert_int_equal(package_sig_encode(&f->sig, sig), 0);
}

static int setup(void **state)
{
	struct fixture *f = ferry_calloc(1, sizeof *f);
	struct package_file file = { .path = (char *)"bin/run.cmd" };
	struct package p = { .id = (char *)"office-reset", .command = (char *)"cmd.exe /c bin\\run.cmd",
			     .timeout_seconds = 600, .files = &file, .nfiles = 1 };
	struct ferry_buf b;

	memset(f->priv, 0x5a, sizeof f->priv);
	assert_int_equal(sig_public_from_private(f->pub, f->priv), 0);
	sha256(file.sha256, run_cmd, sizeof run_cmd - 1);
	ferry_buf_init(&b, PACKAGE_MANIFEST_MAX);
	assert_int_equal(package_manifest_write(&b, &p), 0);
	f->manifest = ferry_buf_detach(&b, &f->mlen);
	sign_into(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ferry_free(f->manifest);
	ferry_free(f->sig);
	ferry_free(f);
	return 0;
}

static ferry_err verify(struct fixture *f, struct package **p, const char *id)
{
	return package_manifest_verify(p, f->manifest, f->mlen, (const uint8_t *)f->sig, strlen(f->sig),
				       f->pub, id);
}

static void test_package__good_package_verifies(void **state)
{
	struct fixture *f = *state;
	struct package *p = NULL;
	uint8_t d[32];

	assert_int_equal(verify(f, &p, "office-reset"), 0);
	assert_string_equal(p->command, "cmd.exe /c bin\\run.cmd");
	assert_int_equal(p->timeout_seconds, 600);
	assert_int_equal(p->nfiles, 1);
	assert_string_equal(p->files[0].path, "bin/run.cmd");
	sha256(d, run_cmd, sizeof run_cmd - 1);
	assert_int_equal(package_file_check(p, &p->files[0], d), 0);
	package_free(p);
}

static void test_package__bad_signature_is_eauth(void **state)
{
	struct fixture *f = *state;
	struct package *p = NULL;
	uint8_t other[32], otherpub[32];

	f->sig[5] = f->sig[5] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(f, &p, "office-reset"), FERRY_EAUTH);
	assert_null(p);
	sign_into(f);
	memset(other, 0x33, sizeof other); /* signed by somebody else's key */
	assert_int_equal(sig_public_from_private(otherpub, other), 0);
	assert_int_equal(package_manifest_verify(&p, f->manifest, f->mlen, (const uint8_t *)f->sig,
						 strlen(f->sig), otherpub, "office-reset"), FERRY_EAUTH);
	assert_null(p);
}

/* The admin's key signs bundles and catalogs too: a signature over the bare
 * manifest, or over it under another document's context, is not a package
 * signature. */
static void test_package__signature_without_package_context_is_eauth(void **state)
{
	static const char *const contexts[] = { "", "ferry-bundle/1\n", "ferry-catalog/1\n" };
	struct fixture *f = *state;
	struct package *p = NULL;

	for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		size_t n = strlen(contexts[i]);
		uint8_t sig[64], *msg = ferry_malloc(n + f->mlen);

		memcpy(msg, contexts[i], n);
		memcpy(msg + n, f->manifest, f->mlen);
		assert_int_equal(sig_sign(sig, f->priv, msg, n + f->mlen), 0);
		ferry_free(msg);
		ferry_free(f->sig);
		assert_int_equal(package_sig_encode(&f->sig, sig), 0);
		assert_int_equal(verify(f, &p, "office-reset"), FERRY_EAUTH);
		assert_null(p);
	}
}

static void test_package__tampered_manifest_is_eauth(void **state)
{
	struct fixture *f = *state;
	struct package *p = NULL;
	char *t = strstr((char *)f->manifest, "600");

	assert_non_null(t);
	t[0] = '9'; /* timeout 900: still valid JSON, no longer what was signed */
	assert_int_equal(verify(f, &p, "office-reset"), FERRY_EAUTH);
	assert_null(p);
	assert_non_null(strstr(ferry_error_detail(), "office-reset"));
}

static void test_package__tampered_file_is_eauth(void **state)
{
	struct fixture *f = *state;
	struct package *p = NULL;
	uint8_t d[32];
	uint8_t evil[sizeof run_cmd];

	memcpy(evil, run_cmd, sizeof run_cmd);
	evil[20] ^= 1;
	assert_int_equal(verify(f, &p, "office-reset"), 0);
	sha256(d, evil, sizeof evil - 1);
	assert_int_equal(package_file_check(p, &p->files[0], d), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "bin/run.cmd"));
	package_free(p);
}

static void test_package__replayed_under_other_id_is_eauth(void **state)
{
	struct fixture *f = *state;
	struct package *p = NULL;
	assert_int_equal(verify(f, &p, "other-package"), FERRY_EAUTH);
	assert_null(p);
}

static void test_package__oversize_is_refused(void **state)
{
	struct fixture *f = *state;
	struct package *p = NULL;
	size_t n = PACKAGE_MANIFEST_MAX + 1;
	uint8_t *big = ferry_calloc(n, 1);
	struct package_hash *h = NULL;

	memset(big, ' ', n);
	assert_int_equal(package_manifest_parse(&p, big, n), FERRY_ERANGE);
	assert_int_equal(package_manifest_verify(&p, big, n, (const uint8_t *)f->sig, strlen(f->sig),
						 f->pub, "office-reset"), FERRY_ERANGE);
	assert_null(p);
	ferry_free(big);
	assert_int_equal(package_hash_new(&h), 0);
	assert_int_equal(package_hash_update(h, "x", 1), 0);
	/* the size cap is checked before hashing, so no real 512 MiB is needed */
	assert_int_equal(package_hash_update(h, "x", (size_t)PACKAGE_FILE_SIZE_MAX), FERRY_ERANGE);
	package_hash_free(h);
}

struct bad_case {
	const char *json;
	ferry_err want;
	const char *detail;
};

static const struct bad_case bad_cases[] = {
	{ "{", FERRY_ECORRUPT, "invalid JSON" },
	{ "[]", FERRY_ECORRUPT, "not a JSON object" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[]} x",
	  FERRY_ECORRUPT, "after the JSON" },
	{ "{\"format\":2,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[]}",
	  FERRY_EUNSUPPORTED, "format 2" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[],\"run\":1}",
	  FERRY_ECORRUPT, "unknown key" },
	{ "{\"format\":1,\"id\":\"a\",\"id\":\"b\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[]}",
	  FERRY_ECORRUPT, "duplicate key" },
	{ "{\"format\":1,\"id\":\".a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[]}",
	  FERRY_ECORRUPT, "\"id\"" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"\",\"timeout_seconds\":1,\"files\":[]}",
	  FERRY_ECORRUPT, "\"command\"" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\\ny\",\"timeout_seconds\":1,\"files\":[]}",
	  FERRY_ECORRUPT, "control character" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":0,\"files\":[]}",
	  FERRY_ECORRUPT, "timeout_seconds" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1.5,\"files\":[]}",
	  FERRY_ECORRUPT, "timeout_seconds" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":{}}",
	  FERRY_ECORRUPT, "\"files\"" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[{\"path\":\"../x\","
	  "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
	  FERRY_ECORRUPT, "'..'" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[{\"path\":\"/x\","
	  "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
	  FERRY_ECORRUPT, "empty component" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[{\"path\":\"C:/x\","
	  "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
	  FERRY_ECORRUPT, "cannot hold" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[{\"path\":\"x.\","
	  "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
	  FERRY_ECORRUPT, "ending in" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[{\"path\":\"x\","
	  "\"sha256\":\"00\"}]}",
	  FERRY_ECORRUPT, "64 hex" },
	{ "{\"format\":1,\"id\":\"a\",\"command\":\"x\",\"timeout_seconds\":1,\"files\":[{\"path\":\"Run.cmd\","
	  "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"},{\"path\":\"run.CMD\","
	  "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
	  FERRY_ECORRUPT, "repeats" },
};

static void test_package__malformed_manifests_are_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		struct package *p = NULL;
		ferry_err rc = package_manifest_parse(&p, (const uint8_t *)bad_cases[i].json,
						      strlen(bad_cases[i].json));
		if (rc != bad_cases[i].want || p || !strstr(ferry_error_detail(), bad_cases[i].detail))
			fail_msg("case %lu: rc %d detail \"%s\"", (unsigned long)i, (int)rc, ferry_error_detail());
	}
}

static void test_package__nul_byte_is_refused(void **state)
{
	struct package *p = NULL;
	static const uint8_t j[] = "{\"format\":1}\0{}";
	(void)state;
	assert_int_equal(package_manifest_parse(&p, j, sizeof j - 1), FERRY_ECORRUPT);
}

static void test_package__allocation_failures_are_clean(void **state)
{
	struct fixture *f = *state;
	for (unsigned long n = 1; n < 200; n++) {
		struct package *p = NULL;
		ferry_err rc;
		ferry_alloc_fail_after(n);
		rc = verify(f, &p, "office-reset");
		ferry_alloc_fail_after(0);
		if (rc == 0) {
			package_free(p);
			return;
		}
		assert_null(p);
		assert_true(rc == FERRY_ENOMEM || rc == FERRY_ECORRUPT || rc == FERRY_EAUTH);
	}
	fail_msg("verification never succeeded within 200 allocations");
}

/* Issue 15, finding 14: an id is a folder name on Windows. */
static void test_package__windows_reserved_ids_are_refused(void **state)
{
	static const char *const bad[] = {
	    "CON", "con", "Prn", "aux", "NUL", "nul.txt", "con.tar.gz", "COM1", "com9", "COM0",
	    "lpt1", "LPT9.log", "LPT0", "x.", "office-reset.", "a..",
	};
	static const char *const good[] = {
	    "office-reset", "console", "con_x", "com10", "lpt", "COM", "nul-device", "a.b",
	    "auxiliary.cmd", "x-CON", "v1.2",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (package_id_windows_safe(bad[i]) || package_id_valid(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!package_id_windows_safe(good[i]) || !package_id_valid(good[i]))
			fail_msg("refused '%s'", good[i]);
	assert_false(package_id_windows_safe(""));
	assert_false(package_id_windows_safe(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_package__good_package_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package__bad_signature_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package__signature_without_package_context_is_eauth,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_package__tampered_manifest_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package__tampered_file_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package__replayed_under_other_id_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package__oversize_is_refused, setup, teardown),
		cmocka_unit_test(test_package__malformed_manifests_are_refused),
		cmocka_unit_test(test_package__nul_byte_is_refused),
		cmocka_unit_test_setup_teardown(test_package__allocation_failures_are_clean, setup, teardown),
		cmocka_unit_test(test_package__windows_reserved_ids_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
