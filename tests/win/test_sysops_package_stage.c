/*
 * Staging command packages under Wine (service/win/package_stage.c): a
 * signed blob from a BundleDir-like folder or from the server's fetch hook,
 * checked against a signed /packages list, unpacked into
 * <packages>\.staging and renamed into <packages>\<id>, then run by the real
 * runner with Wine's cmd.exe.
 *
 * The server hook here is a function returning the blob, standing in for
 * svc_net_package (net_agent_package over the real HTTP client); the bytes
 * it hands over are the same ones the server serves from DIR/packages/<id>.
 * What Wine cannot show: the DACL of .staging and of the staged folder
 * (Wine keeps no file permissions): docs/windows-test-plan.md has the
 * icacls step.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "net/bundle.h"
#include "net/package_archive.h"
#include "net/sig.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/mem.h"
#include "win/sysops.h"

static char base8[MAX_PATH], bdir8[MAX_PATH], pkgs8[MAX_PATH];
static wchar_t pkgs[MAX_PATH];
static uint8_t priv[32], pub[32];

/* What the fake server serves, and how it was asked. */
static struct {
	const uint8_t *blob;
	size_t len;
	unsigned calls;
	uint64_t max;
} server;

static ferry_err fake_fetch(void *ctx, const char *id, uint64_t max, uint8_t **out, size_t *len)
{
	(void)ctx;
	(void)id;
	server.calls++;
	server.max = max;
	if (server.len > max)
		return ferry_error_set(FERRY_EAUTH, "fake server: more than the signed size");
	*out = ferry_malloc(server.len + 1);
	memcpy(*out, server.blob, server.len);
	*len = server.len;
	return FERRY_OK;
}

/* A signed blob of package `id`: one file run.cmd with `body`. */
static void make_blob(struct ferry_buf *blob, const char *id, const char *body)
{
	struct package_file f = { .path = (char *)"bin/run.cmd" };
	struct package p = { .id = (char *)id, .command = (char *)"cmd.exe /c bin\\run.cmd",
			     .timeout_seconds = 60, .files = &f, .nfiles = 1 };
	const uint8_t *data[1] = { (const uint8_t *)body };
	size_t lens[1] = { strlen(body) }, mlen = 0;
	struct ferry_buf m;
	uint8_t sig[64], *mb;
	char *sigtext = NULL;

	assert_int_equal(net_sha256(f.sha256, (const uint8_t *)body, strlen(body)), 0);
	ferry_buf_init(&m, PACKAGE_MANIFEST_MAX);
	assert_int_equal(package_manifest_write(&m, &p), 0);
	mb = ferry_buf_detach(&m, &mlen);
	assert_int_equal(package_manifest_sign(sig, priv, mb, mlen), 0);
	assert_int_equal(package_sig_encode(&sigtext, sig), 0);
	ferry_buf_init(blob, PACKAGE_ARCHIVE_MAX);
	assert_int_equal(package_archive_write(blob, &p, mb, mlen, (const uint8_t *)sigtext,
					       strlen(sigtext), data, lens), 0);
	ferry_free(mb);
	ferry_free(sigtext);
}

/* The signed list a bundle would carry for this blob (size off by `dsize`). */
static cJSON *list_for(const char *id, const struct ferry_buf *blob, int dsize, bool bad_digest)
{
	cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject();
	uint8_t d[32];
	char hex[65];

	assert_int_equal(net_sha256(d, blob->data, blob->len), 0);
	d[0] ^= bad_digest ? 1 : 0;
	ferry_hex_encode(hex, d, 32);
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddStringToObject(e, "sha256", hex);
	cJSON_AddNumberToObject(e, "size", (double)blob->len + dsize);
	cJSON_AddItemToArray(arr, e);
	assert_int_equal(bundle_packages_check(arr, "bundle"), 0);
	return arr;
}

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static bool present(const char *rel)
{
	char path[MAX_PATH * 2];

	snprintf(path, sizeof(path), "%s\\%s", pkgs8, rel);
	return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

/* Stage `id` from `list` with BundleDir (and the server when `fetch`), then run it. */
static ferry_err stage_and_run(const char *id, const cJSON *list, bool fetch,
			       struct win_cmd_output *out)
{
	struct win_package_source src = { fetch ? fake_fetch : NULL, NULL, bdir8 };
	struct package_ref ref;
	ferry_err rc = win_package_prepare(&ref, pkgs, id, list, "bundle", &src, pub);

	memset(out, 0, sizeof(*out));
	return rc ? rc : win_package_run(pkgs, id, pub, &ref, out);
}

static int setup_group(void **state)
{
	char tmp[MAX_PATH], dir[MAX_PATH * 2];

	(void)state;
	memset(priv, 0x24, sizeof(priv));
	assert_int_equal(sig_public_from_private(pub, priv), 0);
	GetTempPathA(MAX_PATH, tmp);
	for (unsigned i = 0;; i++) {
		snprintf(base8, sizeof(base8), "%sferry-stage-%lu-%llu-%u", tmp,
			 (unsigned long)GetCurrentProcessId(), (unsigned long long)GetTickCount64(), i);
		if (CreateDirectoryA(base8, NULL))
			break;
		assert_true(i < 100);
	}
	snprintf(bdir8, sizeof(bdir8), "%s\\BundleDir", base8);
	snprintf(pkgs8, sizeof(pkgs8), "%s\\packages", base8);
	snprintf(dir, sizeof(dir), "%s\\packages", bdir8);
	assert_true(CreateDirectoryA(bdir8, NULL) && CreateDirectoryA(dir, NULL));
	assert_true(CreateDirectoryA(pkgs8, NULL));
	MultiByteToWideChar(CP_ACP, 0, pkgs8, -1, pkgs, MAX_PATH);
	return 0;
}

static void to_bundle_dir(const char *id, const struct ferry_buf *blob)
{
	char path[MAX_PATH * 2];

	snprintf(path, sizeof(path), "%s\\packages\\%s", bdir8, id);
	put(path, blob->data, blob->len);
}

static void test_sysops_package_stage__from_bundle_dir_then_runs(void **state)
{
	struct ferry_buf blob;
	struct win_cmd_output out;
	cJSON *list;

	(void)state;
	make_blob(&blob, "from-dir", "@echo off\r\necho staged from BundleDir\r\n");
	to_bundle_dir("from-dir", &blob);
	list = list_for("from-dir", &blob, 0, false);
	assert_int_equal(stage_and_run("from-dir", list, false, &out), 0);
	assert_string_equal(out.text, "staged from BundleDir\r\n");
	assert_true(present("from-dir\\manifest.json") && present("from-dir\\bin\\run.cmd"));
	win_cmd_output_clear(&out);
	/* Staged already: the folder is the signed blob, nothing is fetched again. */
	server.calls = 0;
	assert_int_equal(stage_and_run("from-dir", list, true, &out), 0);
	assert_int_equal(server.calls, 0);
	win_cmd_output_clear(&out);
	cJSON_Delete(list);
	ferry_buf_free(&blob);
}

static void test_sysops_package_stage__from_the_server_bounded_by_the_signed_size(void **state)
{
	struct ferry_buf blob;
	struct win_cmd_output out;
	cJSON *list;

	(void)state;
	make_blob(&blob, "from-server", "@echo off\r\necho staged from the server\r\n");
	server.blob = blob.data;
	server.len = blob.len;
	server.calls = 0;
	list = list_for("from-server", &blob, 0, false);
	assert_int_equal(stage_and_run("from-server", list, true, &out), 0);
	assert_int_equal(server.calls, 1);
	assert_int_equal(server.max, blob.len);
	assert_string_equal(out.text, "staged from the server\r\n");
	win_cmd_output_clear(&out);
	cJSON_Delete(list);
	ferry_buf_free(&blob);
}

/* A blob that is not the signed one: named error, nothing staged, nothing run. */
static void test_sysops_package_stage__digest_or_size_mismatch_runs_nothing(void **state)
{
	struct ferry_buf blob;
	struct win_cmd_output out;
	cJSON *bad_digest, *short_size;

	(void)state;
	make_blob(&blob, "hostile", "@echo off\r\necho ran> ..\\..\\hostile-ran.txt\r\n");
	to_bundle_dir("hostile", &blob);
	bad_digest = list_for("hostile", &blob, 0, true);
	short_size = list_for("hostile", &blob, -1, false);
	assert_int_equal(stage_and_run("hostile", bad_digest, false, &out), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "hostile"));
	assert_non_null(strstr(ferry_error_detail(), "SHA-256"));
	assert_int_equal(stage_and_run("hostile", short_size, false, &out), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "larger than the signed size"));
	assert_false(present("hostile"));
	assert_int_equal(stage_and_run("not-listed", bad_digest, false, &out), FERRY_ENOTFOUND);
	assert_non_null(strstr(ferry_error_detail(), "not-listed"));
	assert_null(out.text);
	cJSON_Delete(bad_digest);
	cJSON_Delete(short_size);
	ferry_buf_free(&blob);
}

/* A signed digest over a blob that is no archive (or another package's):
 * refused at staging, the old folder untouched. */
static void test_sysops_package_stage__bad_archive_leaves_nothing_half_staged(void **state)
{
	struct ferry_buf blob;
	struct win_cmd_output out;
	cJSON *list;
	size_t keep;

	(void)state;
	make_blob(&blob, "other-id", "@echo off\r\necho wrong package\r\n");
	to_bundle_dir("cut", &blob);
	list = list_for("cut", &blob, 0, false);
	assert_int_equal(stage_and_run("cut", list, false, &out), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "package cut"));
	assert_false(present("cut"));
	cJSON_Delete(list);
	keep = blob.len;
	blob.len -= 7; /* truncated, but signed as such */
	to_bundle_dir("cut", &blob);
	list = list_for("cut", &blob, 0, false);
	assert_int_equal(stage_and_run("cut", list, false, &out), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "package cut: the blob is not a valid archive"));
	assert_false(present("cut"));
	blob.len = keep;
	cJSON_Delete(list);
	ferry_buf_free(&blob);
}

/* A new digest in the list makes the staged folder stale: staged again,
 * the new command runs; a file changed in the staged folder too. */
static void test_sysops_package_stage__new_digest_or_tampered_folder_restages(void **state)
{
	struct ferry_buf v1, v2;
	struct win_cmd_output out;
	char path[MAX_PATH * 2];
	cJSON *l1, *l2;

	(void)state;
	make_blob(&v1, "versioned", "@echo off\r\necho version 1\r\n");
	make_blob(&v2, "versioned", "@echo off\r\necho version 2\r\n");
	l1 = list_for("versioned", &v1, 0, false);
	l2 = list_for("versioned", &v2, 0, false);
	to_bundle_dir("versioned", &v1);
	assert_int_equal(stage_and_run("versioned", l1, false, &out), 0);
	assert_string_equal(out.text, "version 1\r\n");
	win_cmd_output_clear(&out);
	to_bundle_dir("versioned", &v2);
	assert_int_equal(stage_and_run("versioned", l2, false, &out), 0);
	assert_string_equal(out.text, "version 2\r\n");
	win_cmd_output_clear(&out);
	/* Someone rewrites the staged script: the folder is no longer the blob. */
	snprintf(path, sizeof(path), "%s\\versioned\\bin\\run.cmd", pkgs8);
	put(path, "@echo off\r\necho planted\r\n", 25);
	assert_int_equal(stage_and_run("versioned", l2, false, &out), 0);
	assert_string_equal(out.text, "version 2\r\n");
	win_cmd_output_clear(&out);
	cJSON_Delete(l1);
	cJSON_Delete(l2);
	ferry_buf_free(&v1);
	ferry_buf_free(&v2);
}

/* Leftovers planted in .staging are deleted at the next staging, never run;
 * a .done marker is read by nobody. */
static void test_sysops_package_stage__planted_staging_and_marker_are_ignored(void **state)
{
	struct ferry_buf blob;
	struct win_cmd_output out;
	char path[MAX_PATH * 2];
	cJSON *list;

	(void)state;
	snprintf(path, sizeof(path), "%s\\.staging", pkgs8);
	CreateDirectoryA(path, NULL);
	snprintf(path, sizeof(path), "%s\\.staging\\planted", pkgs8);
	assert_true(CreateDirectoryA(path, NULL));
	snprintf(path, sizeof(path), "%s\\.staging\\planted\\evil.cmd", pkgs8);
	put(path, "echo evil\r\n", 11);
	snprintf(path, sizeof(path), "%s\\.done", pkgs8);
	CreateDirectoryA(path, NULL);
	snprintf(path, sizeof(path), "%s\\.done\\fresh", pkgs8);
	put(path, "{\"id\":\"fresh\",\"exit_code\":0}\n", 30);
	make_blob(&blob, "fresh", "@echo off\r\necho ran although a marker said done\r\n");
	to_bundle_dir("fresh", &blob);
	list = list_for("fresh", &blob, 0, false);
	assert_int_equal(stage_and_run("fresh", list, false, &out), 0);
	assert_string_equal(out.text, "ran although a marker said done\r\n");
	assert_false(present(".staging\\planted"));
	win_cmd_output_clear(&out);
	cJSON_Delete(list);
	ferry_buf_free(&blob);
}

int wmain(void);
int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysops_package_stage__from_bundle_dir_then_runs),
		cmocka_unit_test(test_sysops_package_stage__from_the_server_bounded_by_the_signed_size),
		cmocka_unit_test(test_sysops_package_stage__digest_or_size_mismatch_runs_nothing),
		cmocka_unit_test(test_sysops_package_stage__bad_archive_leaves_nothing_half_staged),
		cmocka_unit_test(test_sysops_package_stage__new_digest_or_tampered_folder_restages),
		cmocka_unit_test(test_sysops_package_stage__planted_staging_and_marker_are_ignored),
	};
	return cmocka_run_group_tests(tests, setup_group, NULL);
}
