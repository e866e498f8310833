/*
 * ODJ at rest and its import under Wine: DPAPI sealing (Wine's real
 * CryptProtectData), the atomic file, validation before any join call, and
 * the honest end of the road: Wine's netapi32 has no
 * NetRequestOfflineDomainJoin, so a valid blob reaches the join request and
 * fails with FERRY_ENOTIMPL naming the export. A real join cannot be
 * exercised here.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "odj/odj.h"
#include "util/mem.h"
#include "util/utf.h"
#include "win/sysops.h"

static wchar_t sealed_path[MAX_PATH];

static struct ferry_secret *read_data(const char *name)
{
	char path[1024];
	FILE *f;
	uint8_t buf[65536];
	size_t n;
	struct ferry_secret *s = NULL;

	snprintf(path, sizeof path, "%s/odj/%s", FERRY_TEST_DATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 0 && n < sizeof buf);
	assert_int_equal(ferry_secret_from(&s, buf, n), 0);
	return s;
}

static void read_sealed(uint8_t **data, size_t *len)
{
	FILE *f = _wfopen(sealed_path, L"rb");
	uint8_t *b = ferry_malloc(1 << 20);

	assert_non_null(f);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	*data = b;
}

static bool sealed_exists(void)
{
	return GetFileAttributesW(sealed_path) != INVALID_FILE_ATTRIBUTES;
}

static int setup(void **state)
{
	wchar_t dir[MAX_PATH];
	(void)state;
	GetTempPathW(MAX_PATH, dir);
	swprintf(sealed_path, MAX_PATH, L"%lsferry-odj-test-%lu.sealed", dir, (unsigned long)GetCurrentProcessId());
	DeleteFileW(sealed_path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	DeleteFileW(sealed_path);
	return 0;
}

/* The committed blob, re-addressed to this computer's NetBIOS name. */
static struct ferry_secret *blob_for_this_machine(void)
{
	struct ferry_secret *text = read_data("samba-ferrypc01.odj"), *bin = NULL, *out = NULL;
	struct odj_provision *p = NULL;
	wchar_t wname[MAX_COMPUTERNAME_LENGTH + 2];
	DWORD n = MAX_COMPUTERNAME_LENGTH + 2;
	char *name = NULL;
	size_t len = 0;

	assert_true(GetComputerNameExW(ComputerNameNetBIOS, wname, &n));
	assert_int_equal(ferry_utf16_to_utf8(&name, &len, (const uint16_t *)wname, n), 0);
	assert_int_equal(odj_text_decode(&bin, text->data, text->len), 0);
	assert_int_equal(odj_decode(&p, bin->data, bin->len), 0);
	for (size_t b = 0; b < p->nblobs; b++) {
		struct odj_blob *blob = &p->blobs[b];
		if (blob->win7) {
			ferry_free(blob->win7->machine_name);
			blob->win7->machine_name = ferry_strdup(name);
		}
		for (size_t i = 0; i < blob->nparts; i++)
			if (blob->parts[i].win7) {
				ferry_free(blob->parts[i].win7->machine_name);
				blob->parts[i].win7->machine_name = ferry_strdup(name);
			}
	}
	assert_int_equal(odj_validate(p, "ferry.test", name), 0);
	assert_int_equal(odj_encode(&out, p), 0);
	odj_provision_free(p);
	ferry_secret_free(bin);
	ferry_secret_free(text);
	ferry_free(name);
	return out;
}

static void test_sysops_odj__store_seals_with_dpapi(void **state)
{
	struct ferry_secret *text = read_data("samba-ferrypc01.odj"), *bin = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(odj_text_decode(&bin, text->data, text->len), 0);
	assert_int_equal(win_odj_store(sealed_path, bin), 0);
	read_sealed(&sealed, &len);
	assert_true(len > 8 + bin->len / 2);
	assert_memory_equal(sealed, "FRYODJ01", 8);
	/* the domain name (UTF-16LE inside the blob) is nowhere in the file */
	for (size_t i = 0; i + 20 <= len; i++)
		assert_false(memcmp(sealed + i, "f\0e\0r\0r\0y\0.\0t\0e\0s\0t\0", 20) == 0);
	for (size_t i = 0; i + 20 <= bin->len; i++) /* ...though the plaintext has it */
		if (memcmp(bin->data + i, "f\0e\0r\0r\0y\0.\0t\0e\0s\0t\0", 20) == 0)
			goto found;
	fail_msg("test blob lost its domain name");
found:
	/* the atomic replace leaves no temporary behind */
	{
		wchar_t tmp[MAX_PATH + 8];
		swprintf(tmp, MAX_PATH + 8, L"%ls.tmp", sealed_path);
		assert_int_equal(GetFileAttributesW(tmp), INVALID_FILE_ATTRIBUTES);
	}
	ferry_free(sealed);
	ferry_secret_free(bin);
	ferry_secret_free(text);
}

static void test_sysops_odj__other_machine_is_refused_before_joining(void **state)
{
	struct ferry_secret *text = read_data("samba-ferrypc01.odj"); /* for FERRYPC01, not us */

	(void)state;
	/* text form (UTF-16 with BOM) is accepted as well as binary */
	assert_int_equal(win_odj_store(sealed_path, text), 0);
	assert_int_equal(win_odj_import(sealed_path, "ferry.test"), FERRY_EMISMATCH);
	print_message("refused: %s\n", ferry_error_detail());
	assert_non_null(strstr(ferry_error_detail(), "refused before joining"));
	assert_non_null(strstr(ferry_error_detail(), "FERRYPC01"));
	assert_null(strstr(ferry_error_detail(), "NetRequestOfflineDomainJoin"));
	assert_true(sealed_exists()); /* kept: only a successful join deletes it */
	ferry_secret_free(text);
}

static void test_sysops_odj__other_domain_is_refused_before_joining(void **state)
{
	struct ferry_secret *bin = blob_for_this_machine();

	(void)state;
	assert_int_equal(win_odj_store(sealed_path, bin), 0);
	assert_int_equal(win_odj_import(sealed_path, "contoso.com"), FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "refused before joining"));
	ferry_secret_free(bin);
}

static void test_sysops_odj__valid_blob_reaches_the_join_wine_lacks(void **state)
{
	struct ferry_secret *bin = blob_for_this_machine();

	(void)state;
	assert_int_equal(win_odj_store(sealed_path, bin), 0);
	assert_int_equal(win_odj_import(sealed_path, "ferry.test"), FERRY_ENOTIMPL);
	print_message("Wine cannot join: %s\n", ferry_error_detail());
	assert_non_null(strstr(ferry_error_detail(), "no NetRequestOfflineDomainJoin export"));
	assert_true(sealed_exists()); /* not joined, so not deleted */
	ferry_secret_free(bin);
}

static void test_sysops_odj__tampered_seal_is_eauth(void **state)
{
	struct ferry_secret *bin = blob_for_this_machine();
	uint8_t *sealed = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(win_odj_store(sealed_path, bin), 0);
	read_sealed(&sealed, &len);
	sealed[len - 10] ^= 0x55;
	f = _wfopen(sealed_path, L"wb");
	assert_non_null(f);
	assert_int_equal(fwrite(sealed, 1, len, f), len);
	fclose(f);
	assert_int_equal(win_odj_import(sealed_path, "ferry.test"), FERRY_EAUTH);
	assert_non_null(strstr(ferry_error_detail(), "CryptUnprotectData"));
	ferry_free(sealed);
	ferry_secret_free(bin);
}

static void test_sysops_odj__unsealed_file_is_refused(void **state)
{
	FILE *f = _wfopen(sealed_path, L"wb");

	(void)state;
	assert_non_null(f);
	fputs("not a sealed blob at all", f);
	fclose(f);
	assert_int_equal(win_odj_import(sealed_path, "ferry.test"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "FRYODJ01"));
	DeleteFileW(sealed_path);
	assert_int_equal(win_odj_import(sealed_path, "ferry.test"), FERRY_ENOTFOUND);
}

int wmain(void);
int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sysops_odj__store_seals_with_dpapi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysops_odj__other_machine_is_refused_before_joining, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysops_odj__other_domain_is_refused_before_joining, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysops_odj__valid_blob_reaches_the_join_wine_lacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysops_odj__tampered_seal_is_eauth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysops_odj__unsealed_file_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
