/*
 * core/net/package_archive: the one-blob form of a command package (layout
 * in package_archive.c) and its binding to a signed /packages list
 * (bundle_packages_match, package_ref_find).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/bundle.h"
#include "net/package_archive.h"
#include "net/sig.h"
#include "util/bytes.h"
#include "util/hex.h"
#include "util/mem.h"

static const uint8_t run_cmd[] = "@echo off\r\necho staged\r\n";
static const uint8_t readme[] = "notes";

struct fixture {
	uint8_t priv[32], pub[32];
	struct package_file files[2];
	struct package p;
	uint8_t *manifest;
	size_t mlen;
	char *sig;
	struct ferry_buf blob;
};

static void sha256(uint8_t out[32], const void *data, size_t len)
{
	assert_int_equal(net_sha256(out, data, len), 0);
}

/* Sign the manifest of f->p and pack it with `names` (NULL: the manifest's). */
static void build(struct fixture *f)
{
	const uint8_t *data[2] = { run_cmd, readme };
	size_t lens[2] = { sizeof(run_cmd) - 1, sizeof(readme) - 1 };
	struct ferry_buf b;
	uint8_t sig[64];

	ferry_free(f->manifest);
	ferry_free(f->sig);
	ferry_buf_free(&f->blob);
	ferry_buf_init(&b, PACKAGE_MANIFEST_MAX);
	assert_int_equal(package_manifest_write(&b, &f->p), 0);
	f->manifest = ferry_buf_detach(&b, &f->mlen);
	assert_int_equal(package_manifest_sign(sig, f->priv, f->manifest, f->mlen), 0);
	assert_int_equal(package_sig_encode(&f->sig, sig), 0);
	ferry_buf_init(&f->blob, PACKAGE_ARCHIVE_MAX);
	assert_int_equal(package_archive_write(&f->blob, &f->p, f->manifest, f->mlen,
					       (const uint8_t *)f->sig, strlen(f->sig), data, lens), 0);
}

static int setup(void **state)
{
	struct fixture *f = ferry_calloc(1, sizeof(*f));

	memset(f->priv, 0x3c, sizeof(f->priv));
	assert_int_equal(sig_public_from_private(f->pub, f->priv), 0);
	f->files[0].path = (char *)"bin/run.cmd";
	f->files[1].path = (char *)"README.txt";
	sha256(f->files[0].sha256, run_cmd, sizeof(run_cmd) - 1);
	sha256(f->files[1].sha256, readme, sizeof(readme) - 1);
	f->p = (struct package){ .id = (char *)"stage-me", .command = (char *)"cmd.exe /c bin\\run.cmd",
				 .timeout_seconds = 60, .files = f->files, .nfiles = 2 };
	ferry_buf_init(&f->blob, PACKAGE_ARCHIVE_MAX);
	build(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ferry_free(f->manifest);
	ferry_free(f->sig);
	ferry_buf_free(&f->blob);
	ferry_free(f);
	return 0;
}

static ferry_err parse_verify(const uint8_t *buf, size_t len, const uint8_t pub[32], const char *id)
{
	struct package_archive *a = NULL;
	struct package *p = NULL;
	ferry_err rc = package_archive_parse(&a, buf, len);

	if (rc == FERRY_OK)
		rc = package_archive_verify(&p, a, pub, id);
	package_free(p);
	package_archive_free(a);
	return rc;
}

/* A blob by hand: header for `count`, then (name, data) pairs. */
static size_t hand(uint8_t *out, uint32_t count, const char *const *names,
		   const char *const *data, size_t n)
{
	size_t off = PACKAGE_ARCHIVE_HEADER;

	package_archive_header(out, count);
	for (size_t i = 0; i < n; i++) {
		off += package_archive_entry_head(out + off, names[i], strlen(data[i]));
		memcpy(out + off, data[i], strlen(data[i]));
		off += strlen(data[i]);
	}
	return off;
}

static void test_package_archive__written_archive_parses_and_verifies(void **state)
{
	struct fixture *f = *state;
	struct package_archive *a = NULL;
	struct package *p = NULL;

	assert_int_equal(package_archive_parse(&a, f->blob.data, f->blob.len), 0);
	assert_int_equal(a->n, 4);
	assert_string_equal(a->e[0].name, "manifest.json");
	assert_string_equal(a->e[1].name, "manifest.sig");
	assert_string_equal(a->e[2].name, "bin/run.cmd");
	assert_int_equal(a->e[2].len, sizeof(run_cmd) - 1);
	assert_memory_equal(a->e[2].data, run_cmd, sizeof(run_cmd) - 1);
	assert_int_equal(package_archive_verify(&p, a, f->pub, "stage-me"), 0);
	assert_string_equal(p->command, "cmd.exe /c bin\\run.cmd");
	/* The layout as drawn: magic, version 1, four entries, the first name length. */
	assert_memory_equal(f->blob.data, "FERRYPKG", 8);
	assert_int_equal(get_u32le(f->blob.data + 8), 1);
	assert_int_equal(get_u32le(f->blob.data + 12), 4);
	assert_int_equal(get_u16le(f->blob.data + 16), strlen("manifest.json"));
	package_free(p);
	package_archive_free(a);
}

static void test_package_archive__truncated_anywhere_is_refused(void **state)
{
	struct fixture *f = *state;

	for (size_t n = 0; n < f->blob.len; n++)
		assert_int_not_equal(parse_verify(f->blob.data, n, f->pub, "stage-me"), 0);
}

static void test_package_archive__trailing_byte_is_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t *b = ferry_malloc(f->blob.len + 1);

	memcpy(b, f->blob.data, f->blob.len);
	b[f->blob.len] = 0;
	assert_int_equal(parse_verify(b, f->blob.len + 1, f->pub, "stage-me"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "after the last entry"));
	ferry_free(b);
}

static void test_package_archive__oversized_blob_and_parts_are_refused(void **state)
{
	struct fixture *f = *state;
	struct package_archive *a = NULL;
	static uint8_t buf[512];
	char big[PACKAGE_SIG_TEXT_MAX + 2];
	const char *names[] = { "manifest.json", "manifest.sig" };
	const char *data[] = { "{}", big };

	assert_int_equal(package_archive_parse(&a, f->blob.data, PACKAGE_ARCHIVE_MAX + 1u),
			 FERRY_ERANGE);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(package_archive_parse(&a, buf, hand(buf, 2, names, data, 2)), FERRY_ERANGE);
	assert_non_null(strstr(ferry_error_detail(), "manifest.sig"));
	/* A data length past the end of the blob. */
	memcpy(buf, f->blob.data, 64);
	put_u64le(buf + 16 + 2 + 13, UINT64_MAX);
	assert_int_equal(package_archive_parse(&a, buf, 64), FERRY_ECORRUPT);
	assert_null(a);
}

static void test_package_archive__path_traversal_is_refused(void **state)
{
	static const char *const bad[] = { "../evil.cmd", "/abs.cmd", "bin\\run.cmd", "C:x",
					   "a//b", "a/./b", "con.", "dir /x", "x:stream",
					   "bin/nul.txt", "COM1/x", "aux" };
	struct package_archive *a = NULL;
	uint8_t buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *names[] = { "manifest.json", "manifest.sig", bad[i] };
		const char *data[] = { "{}", "sig", "x" };

		assert_int_equal(package_archive_parse(&a, buf, hand(buf, 3, names, data, 3)),
				 FERRY_ECORRUPT);
		assert_non_null(strstr(ferry_error_detail(), "entry 2"));
	}
}

static void test_package_archive__duplicate_and_clashing_names_are_refused(void **state)
{
	static const char *const pairs[][2] = { { "a.cmd", "A.CMD" }, { "bin", "bin/run.cmd" },
						{ "Bin/x", "bin" }, { "x", "MANIFEST.JSON" } };
	struct package_archive *a = NULL;
	uint8_t buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *names[] = { "manifest.json", "manifest.sig", pairs[i][0], pairs[i][1] };
		const char *data[] = { "{}", "sig", "1", "2" };

		assert_int_equal(package_archive_parse(&a, buf, hand(buf, 4, names, data, 4)),
				 FERRY_ECORRUPT);
	}
	{ /* The parts out of order. */
		const char *names[] = { "manifest.sig", "manifest.json" };
		const char *data[] = { "sig", "{}" };

		assert_int_equal(package_archive_parse(&a, buf, hand(buf, 2, names, data, 2)),
				 FERRY_ECORRUPT);
	}
}

static void test_package_archive__header_is_checked(void **state)
{
	struct fixture *f = *state;
	struct package_archive *a = NULL;
	uint8_t b[64];

	memcpy(b, f->blob.data, sizeof(b));
	put_u32le(b + 8, 2);
	assert_int_equal(package_archive_parse(&a, b, sizeof(b)), FERRY_EUNSUPPORTED);
	put_u32le(b + 8, 1);
	put_u32le(b + 12, PACKAGE_ARCHIVE_ENTRIES_MAX + 1);
	assert_int_equal(package_archive_parse(&a, b, sizeof(b)), FERRY_ECORRUPT);
	b[0] = 'X';
	assert_int_equal(package_archive_parse(&a, b, sizeof(b)), FERRY_ECORRUPT);
}

static void test_package_archive__tampered_file_or_other_key_is_eauth(void **state)
{
	struct fixture *f = *state;
	uint8_t other[32], priv[32];
	uint8_t *b = ferry_malloc(f->blob.len);

	memcpy(b, f->blob.data, f->blob.len);
	b[f->blob.len - 1] ^= 1; /* the last byte of README.txt */
	assert_int_equal(parse_verify(b, f->blob.len, f->pub, "stage-me"), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "README.txt"));
	memset(priv, 0x11, sizeof(priv));
	assert_int_equal(sig_public_from_private(other, priv), 0);
	assert_int_equal(parse_verify(f->blob.data, f->blob.len, other, "stage-me"), FERRY_EAUTH);
	/* Replayed under another id. */
	assert_int_equal(parse_verify(f->blob.data, f->blob.len, f->pub, "other-id"), FERRY_EAUTH);
	ferry_free(b);
}

static void test_package_archive__files_other_than_the_manifests_are_eauth(void **state)
{
	struct fixture *f = *state;
	struct package_archive *a = NULL;
	struct package *p = NULL;

	/* Sign a manifest of one file, then ship the archive of two. */
	f->p.nfiles = 1;
	build(f);
	assert_int_equal(package_archive_parse(&a, f->blob.data, f->blob.len), 0);
	package_archive_free(a);
	{
		const char *names[] = { "manifest.json", "manifest.sig", "bin/run.cmd", "extra.cmd" };
		char *m = ferry_calloc(1, f->mlen + 1);
		const char *data[] = { m, f->sig, (const char *)run_cmd, "planted" };
		uint8_t buf[4096];
		size_t n;

		memcpy(m, f->manifest, f->mlen);
		n = hand(buf, 4, names, data, 4);

		assert_int_equal(parse_verify(buf, n, f->pub, "stage-me"), FERRY_EAUTH);
		assert_non_null(strstr(ferry_error_detail(), "holds 2 files"));
		/* The manifest's file under another name. */
		names[2] = "bin/RUN.cmd";
		n = hand(buf, 3, names, data, 3);
		assert_int_equal(package_archive_parse(&a, buf, n), 0);
		assert_int_equal(package_archive_verify(&p, a, f->pub, "stage-me"), FERRY_EAUTH);
		package_archive_free(a);
		ferry_free(m);
	}
}

/* The signed list: {"id","sha256","size"} entries as a bundle carries them. */
static cJSON *signed_list(const char *id, const uint8_t d[32], double size)
{
	cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject();
	char hex[65];

	ferry_hex_encode(hex, d, 32);
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddStringToObject(e, "sha256", hex);
	cJSON_AddNumberToObject(e, "size", size);
	cJSON_AddItemToArray(arr, e);
	assert_int_equal(bundle_packages_check(arr, "bundle"), 0);
	return arr;
}

static void test_package_archive__digest_binding_to_the_signed_list(void **state)
{
	struct fixture *f = *state;
	struct package_ref ref;
	uint8_t d[32], wrong[32];
	cJSON *ok, *bad_digest, *bad_size;

	sha256(d, f->blob.data, f->blob.len);
	memcpy(wrong, d, 32);
	wrong[0] ^= 0x80;
	ok = signed_list("stage-me", d, (double)f->blob.len);
	bad_digest = signed_list("stage-me", wrong, (double)f->blob.len);
	bad_size = signed_list("stage-me", d, (double)f->blob.len - 1);
	assert_int_equal(bundle_packages_match(ok, "stage-me", f->blob.data, f->blob.len, "bundle"), 0);
	assert_int_equal(package_ref_find(&ref, ok, "stage-me", "bundle"), 0);
	assert_memory_equal(ref.sha256, d, 32);
	assert_int_equal(ref.size, f->blob.len);
	assert_int_equal(bundle_packages_match(bad_digest, "stage-me", f->blob.data, f->blob.len,
					       "bundle"), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "SHA-256"));
	assert_int_equal(bundle_packages_match(bad_size, "stage-me", f->blob.data, f->blob.len,
					       "assignment"), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "assignment"));
	assert_int_equal(bundle_packages_match(ok, "not-listed", f->blob.data, f->blob.len,
					       "bundle"), FERRY_ENOTFOUND);
	assert_int_equal(package_ref_find(&ref, ok, "not-listed", "catalog"), FERRY_ENOTFOUND);
	assert_non_null(strstr(ferry_error_detail(), "not-listed"));
	cJSON_Delete(ok);
	cJSON_Delete(bad_digest);
	cJSON_Delete(bad_size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_package_archive__written_archive_parses_and_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__truncated_anywhere_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__trailing_byte_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__oversized_blob_and_parts_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__path_traversal_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__duplicate_and_clashing_names_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__header_is_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__tampered_file_or_other_key_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__files_other_than_the_manifests_are_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_archive__digest_binding_to_the_signed_list, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
