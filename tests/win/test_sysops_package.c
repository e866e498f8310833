/*
 * Command packages under Wine: real processes (Wine's cmd.exe) in real job
 * objects. Echo output and exit code are captured, a timeout kills the
 * command, output is capped, and a package whose signature or file hash
 * does not verify, or whose folder is not the blob the signed list names,
 * runs nothing (its marker file is never created). Staging from a blob:
 * test_sysops_package_stage.c.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/package.h"
#include "net/package_archive.h"
#include "net/bundle.h"
#include "net/sig.h"
#include "util/buf.h"
#include "util/mem.h"
#include "win/sysops.h"

static wchar_t root[MAX_PATH];
static char root8[MAX_PATH];
static uint8_t priv[32], pub[32];

/* The signed list's entry of each package made here (its folder's blob). */
static struct package_ref refs[16];
static size_t nrefs;

static const struct package_ref *ref_of(const char *id)
{
	for (size_t i = 0; i < nrefs; i++)
		if (!strcmp(refs[i].id, id))
			return &refs[i];
	return &refs[15]; /* an all-zero entry: matches no folder */
}

static void remember(const struct package *p, const uint8_t *m, size_t mlen, const char *sig,
		     const char *body)
{
	const uint8_t *data[1] = { (const uint8_t *)body };
	size_t lens[1] = { body ? strlen(body) : 0 };
	struct package_ref *r = &refs[nrefs < 15 ? nrefs++ : 14];
	struct ferry_buf blob;

	ferry_buf_init(&blob, PACKAGE_ARCHIVE_MAX);
	assert_int_equal(package_archive_write(&blob, p, m, mlen, (const uint8_t *)sig, strlen(sig),
					       data, lens), 0);
	snprintf(r->id, sizeof(r->id), "%s", p->id);
	assert_int_equal(net_sha256(r->sha256, blob.data, blob.len), 0);
	r->size = blob.len;
	ferry_buf_free(&blob);
}

static void put_file(const char *id, const char *name, const void *data, size_t len)
{
	char path[MAX_PATH * 2];
	FILE *f;

	snprintf(path, sizeof path, "%s\\%s\\%s", root8, id, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Make and sign <root>\<id> with one file (name, body). */
static void make_package(const char *id, const char *command, uint32_t timeout, const char *name,
			 const char *body)
{
	char dir[MAX_PATH * 2];
	struct package_file file = { .path = (char *)name };
	struct package p = { .id = (char *)id, .command = (char *)command, .timeout_seconds = timeout,
			     .files = &file, .nfiles = name ? 1 : 0 };
	struct package_hash *h = NULL;
	struct ferry_buf b;
	uint8_t sig[64];
	char *sigtext = NULL;
	uint8_t *m;
	size_t mlen = 0;

	snprintf(dir, sizeof dir, "%s\\%s", root8, id);
	CreateDirectoryA(dir, NULL);
	if (name) {
		put_file(id, name, body, strlen(body));
		assert_int_equal(package_hash_new(&h), 0);
		assert_int_equal(package_hash_update(h, body, strlen(body)), 0);
		assert_int_equal(package_hash_final(h, file.sha256), 0);
		package_hash_free(h);
	}
	ferry_buf_init(&b, PACKAGE_MANIFEST_MAX);
	assert_int_equal(package_manifest_write(&b, &p), 0);
	m = ferry_buf_detach(&b, &mlen);
	assert_int_equal(package_manifest_sign(sig, priv, m, mlen), 0);
	assert_int_equal(package_sig_encode(&sigtext, sig), 0);
	put_file(id, PACKAGE_MANIFEST_NAME, m, mlen);
	put_file(id, PACKAGE_SIG_NAME, sigtext, strlen(sigtext));
	remember(&p, m, mlen, sigtext, body);
	ferry_free(m);
	ferry_free(sigtext);
}

static bool exists(const char *id, const char *name)
{
	char path[MAX_PATH * 2];
	snprintf(path, sizeof path, "%s\\%s\\%s", root8, id, name);
	return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

static int setup_group(void **state)
{
	char tmp[MAX_PATH];
	(void)state;
	memset(priv, 0x42, sizeof priv);
	assert_int_equal(sig_public_from_private(pub, priv), 0);
	GetTempPathA(MAX_PATH, tmp);
	/* A fresh folder every run: Wine reuses process ids, so an earlier run's
	 * completion records must never be visible here. */
	for (unsigned i = 0;; i++) {
		snprintf(root8, sizeof root8, "%sferry-packages-%lu-%llu-%u", tmp,
			 (unsigned long)GetCurrentProcessId(), (unsigned long long)GetTickCount64(), i);
		if (CreateDirectoryA(root8, NULL))
			break;
		assert_true(i < 100);
	}
	MultiByteToWideChar(CP_ACP, 0, root8, -1, root, MAX_PATH);
	return 0;
}

static void test_sysops_package__echo_output_and_exit_code(void **state)
{
	struct win_cmd_output out;

	(void)state;
	make_package("echo", "cmd.exe /c run.cmd", 60, "run.cmd",
		     "@echo off\r\necho hello from the package\r\nexit /b 3\r\n");
	assert_int_equal(win_package_run(root, "echo", pub, ref_of("echo"), &out), FERRY_ESYSTEM);
	assert_non_null(strstr(ferry_error_detail(), "exited with 3"));
	assert_int_equal(out.exit_code, 3);
	assert_false(out.timed_out);
	assert_false(out.truncated);
	assert_non_null(out.text);
	assert_string_equal(out.text, "hello from the package\r\n");
	win_cmd_output_clear(&out);
}

/* Success is the engine's DONE record; a folder that is not the signed blob
 * (another digest in the list) runs nothing. */
static void test_sysops_package__runs_only_the_signed_blob(void **state)
{
	struct win_cmd_output out;
	struct package_ref other;

	(void)state;
	make_package("fine", "cmd.exe /c echo fine", 60, NULL, NULL);
	other = *ref_of("fine");
	other.sha256[5] ^= 1;
	assert_int_equal(win_package_run(root, "fine", pub, &other, &out), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "SHA-256 differs"));
	assert_null(out.text);
	other = *ref_of("fine");
	other.size++;
	assert_int_equal(win_package_run(root, "fine", pub, &other, &out), FERRY_EMISMATCH);
	assert_int_equal(win_package_check(root, "fine", pub, ref_of("fine")), 0);
	assert_int_equal(win_package_run(root, "fine", pub, ref_of("fine"), &out), 0);
	assert_int_equal(out.exit_code, 0);
	assert_string_equal(out.text, "fine\r\n");
	win_cmd_output_clear(&out);
	assert_false(exists(".done", "fine")); /* no marker: completion is the journal's */
}

/* The package runs with NoDefaultCurrentDirectoryInExePath set, so cmd.exe
 * never runs a program planted in its working directory before PATH's. */
static void test_sysops_package__no_current_directory_search(void **state)
{
	struct win_cmd_output out;

	(void)state;
	make_package("nocwd", "cmd.exe /c echo [%NoDefaultCurrentDirectoryInExePath%]", 60, NULL,
		     NULL);
	assert_int_equal(win_package_run(root, "nocwd", pub, ref_of("nocwd"), &out), 0);
	assert_string_equal(out.text, "[1]\r\n");
	win_cmd_output_clear(&out);
}

static void test_sysops_package__timeout_kills_it(void **state)
{
	struct win_cmd_output out;
	DWORD t0;

	(void)state;
	make_package("spin", "cmd.exe /c loop.cmd", 2, "loop.cmd", "@echo off\r\necho spinning\r\n:a\r\ngoto a\r\n");
	t0 = GetTickCount();
	assert_int_equal(win_package_run(root, "spin", pub, ref_of("spin"), &out), FERRY_ETIMEOUT);
	print_message("timeout after %lu ms\n", (unsigned long)(GetTickCount() - t0));
	assert_true(GetTickCount() - t0 < 15000);
	assert_true(out.timed_out);
	assert_non_null(strstr(out.text, "spinning"));
	win_cmd_output_clear(&out);
}

static void test_sysops_package__output_is_capped(void **state)
{
	struct win_cmd_output out;

	(void)state;
	/* 3000 lines of 42 bytes: 126,000 bytes, about twice the cap */
	make_package("spew", "cmd.exe /c spew.cmd", 120, "spew.cmd",
		     "@echo off\r\nfor /L %%i in (1,1,3000) do echo 0123456789012345678901234567890123456789\r\n");
	assert_int_equal(win_package_run(root, "spew", pub, ref_of("spew"), &out), 0);
	assert_int_equal(out.exit_code, 0);
	assert_true(out.truncated);
	assert_int_equal(out.len, WIN_CMD_OUTPUT_MAX);
	assert_int_equal(strlen(out.text), WIN_CMD_OUTPUT_MAX);
	assert_memory_equal(out.text, "0123456789012345678901234567890123456789\r\n", 42);
	win_cmd_output_clear(&out);
}

static void test_sysops_package__bad_signature_runs_nothing(void **state)
{
	struct win_cmd_output out;
	char sig[200];
	FILE *f;
	char path[MAX_PATH * 2];
	size_t n;

	(void)state;
	make_package("marker", "cmd.exe /c run.cmd", 60, "run.cmd", "@echo off\r\necho ran> marker.txt\r\n");
	snprintf(path, sizeof path, "%s\\marker\\%s", root8, PACKAGE_SIG_NAME);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(sig, 1, sizeof sig, f);
	fclose(f);
	sig[3] = sig[3] == 'A' ? 'B' : 'A';
	put_file("marker", PACKAGE_SIG_NAME, sig, n);
	assert_int_equal(win_package_run(root, "marker", pub, ref_of("marker"), &out), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "does not verify"));
	assert_null(out.text);
	assert_false(exists("marker", "marker.txt"));
	win_cmd_output_clear(&out);
}

static void test_sysops_package__tampered_file_runs_nothing(void **state)
{
	struct win_cmd_output out;
	static const char evil[] = "@echo off\r\necho evil> marker.txt\r\n";

	(void)state;
	make_package("tamper", "cmd.exe /c run.cmd", 60, "run.cmd", "@echo off\r\necho fine\r\n");
	put_file("tamper", "run.cmd", evil, sizeof evil - 1);
	assert_int_equal(win_package_run(root, "tamper", pub, ref_of("tamper"), &out), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "run.cmd"));
	assert_false(exists("tamper", "marker.txt"));
	win_cmd_output_clear(&out);
}

static void test_sysops_package__missing_or_invalid_ids(void **state)
{
	struct win_cmd_output out;

	(void)state;
	assert_int_equal(win_package_run(root, "absent", pub, ref_of("absent"), &out), FERRY_EAUTH);
	assert_int_equal(win_package_run(root, "..\\x", pub, ref_of("x"), &out), FERRY_EINVAL);
	win_cmd_output_clear(&out);
}

int wmain(void);
int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysops_package__echo_output_and_exit_code),
		cmocka_unit_test(test_sysops_package__runs_only_the_signed_blob),
		cmocka_unit_test(test_sysops_package__no_current_directory_search),
		cmocka_unit_test(test_sysops_package__timeout_kills_it),
		cmocka_unit_test(test_sysops_package__output_is_capped),
		cmocka_unit_test(test_sysops_package__bad_signature_runs_nothing),
		cmocka_unit_test(test_sysops_package__tampered_file_runs_nothing),
		cmocka_unit_test(test_sysops_package__missing_or_invalid_ids),
	};
	return cmocka_run_group_tests(tests, setup_group, NULL);
}
