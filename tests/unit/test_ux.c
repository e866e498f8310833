/* core/ux: fallback-tile logon packing, the prevent-login lease, the QR matrix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/bytes.h"
#include "util/mem.h"
#include "ux/hints.h"
#include "ux/kerb_logon.h"
#include "ux/lease.h"
#include "ux/qr.h"

/* ---- KERB_INTERACTIVE_UNLOCK_LOGON ------------------------------------- */

/* Put ASCII/Latin-1 text as UTF-16LE at p; returns bytes written. */
static size_t put_text16(uint8_t *p, const uint16_t *units, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_u16le(p + 2 * i, units[i]);
	return 2 * n;
}

/* A UNICODE_STRING header written out field by field: Length, MaximumLength, pad, Buffer. */
static void put_ustr(uint8_t *p, uint16_t len, uint64_t offset)
{
	put_u16le(p + 0, len);
	put_u16le(p + 2, len);
	put_u32le(p + 4, 0);
	put_u64le(p + 8, offset);
}

static struct ferry_secret *secret_text(const char *s)
{
	struct ferry_secret *sec = NULL;

	assert_int_equal(ferry_secret_from(&sec, s, strlen(s)), FERRY_OK);
	return sec;
}

static void check_packed(enum kerb_submit_type type)
{
	/* ".", "helpdesk", "P@ss w\xc3\xb6rd" (U+00F6 is one UTF-16 unit). */
	static const uint16_t dom[] = {'.'};
	static const uint16_t usr[] = {'h', 'e', 'l', 'p', 'd', 'e', 's', 'k'};
	static const uint16_t pwd[] = {'P', '@', 's', 's', ' ', 'w', 0x00F6, 'r', 'd'};
	uint8_t want[64 + 2 + 16 + 18];
	struct ferry_secret *pw = secret_text("P@ss w\xc3\xb6rd");
	struct ferry_secret *out = NULL;
	size_t off = 64;

	memset(want, 0xAA, sizeof(want)); /* every byte below must be written */
	put_u32le(want + 0, (uint32_t)type); /* MessageType */
	put_u32le(want + 4, 0);              /* padding */
	put_ustr(want + 8, 2, 64);           /* LogonDomainName */
	put_ustr(want + 24, 16, 66);         /* UserName */
	put_ustr(want + 40, 18, 82);         /* Password */
	put_u32le(want + 56, 0);             /* LogonId.LowPart */
	put_u32le(want + 60, 0);             /* LogonId.HighPart */
	off += put_text16(want + off, dom, 1);
	off += put_text16(want + off, usr, 8);
	off += put_text16(want + off, pwd, 9);
	assert_int_equal(off, sizeof(want));

	assert_int_equal(kerb_logon_pack(&out, type, ".", "helpdesk", pw), FERRY_OK);
	assert_non_null(out);
	assert_int_equal(out->len, sizeof(want));
	assert_memory_equal(out->data, want, sizeof(want));
	/* The caller's password is left as it was. */
	assert_memory_equal(pw->data, "P@ss w\xc3\xb6rd", pw->len);
	ferry_secret_free(out);
	ferry_secret_free(pw);
}

static void test_ux__kerb_logon_packs_interactive_byte_for_byte(void **state)
{
	(void)state;
	check_packed(KERB_SUBMIT_INTERACTIVE);
}

static void test_ux__kerb_logon_packs_unlock_byte_for_byte(void **state)
{
	(void)state;
	check_packed(KERB_SUBMIT_WORKSTATION_UNLOCK);
}

static void test_ux__kerb_logon_empty_password_has_zero_length(void **state)
{
	struct ferry_secret *pw = NULL, *out = NULL;
	uint8_t want[64 + 8 + 4];

	(void)state;
	assert_int_equal(ferry_secret_new(&pw, 0), FERRY_OK);
	memset(want, 0, sizeof(want));
	put_u32le(want + 0, 2);
	put_ustr(want + 8, 8, 64);  /* "PC01" */
	put_ustr(want + 24, 4, 72); /* "hd" */
	put_ustr(want + 40, 0, 76); /* "" points just past the user text */
	put_u16le(want + 64, 'P');
	put_u16le(want + 66, 'C');
	put_u16le(want + 68, '0');
	put_u16le(want + 70, '1');
	put_u16le(want + 72, 'h');
	put_u16le(want + 74, 'd');
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, "PC01", "hd", pw), FERRY_OK);
	assert_int_equal(out->len, sizeof(want));
	assert_memory_equal(out->data, want, sizeof(want));
	ferry_secret_free(out);
	ferry_secret_free(pw);
}

static void test_ux__kerb_logon_refuses_bad_input_without_output(void **state)
{
	struct ferry_secret *pw = secret_text("secret-pw");
	struct ferry_secret *bad = secret_text("ab\xff");
	struct ferry_secret *out = (struct ferry_secret *)&out; /* must be reset to NULL */

	(void)state;
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, ".", "", pw), FERRY_EINVAL);
	assert_null(out);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, "", "u", pw), FERRY_EINVAL);
	assert_int_equal(kerb_logon_pack(&out, (enum kerb_submit_type)3, ".", "u", pw), FERRY_EINVAL);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, ".", "u\xc0\x80", pw),
			 FERRY_ECORRUPT);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, ".", "u", bad),
			 FERRY_ECORRUPT);
	assert_null(out);
	/* The detail names the field, never the password. */
	assert_non_null(strstr(ferry_error_detail(), "password"));
	assert_null(strstr(ferry_error_detail(), "ab"));
	ferry_secret_free(bad);
	ferry_secret_free(pw);
}

static void test_ux__kerb_logon_caps_lengths_at_ushort(void **state)
{
	size_t n = KERB_STRING_MAX_UNITS;
	char *big = ferry_malloc(n + 2);
	struct ferry_secret *pw = NULL, *out = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	/* 32767 units = 65534 bytes: the largest Length a USHORT holds evenly. */
	assert_int_equal(ferry_secret_from(&pw, big, n), FERRY_OK);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, ".", "u", pw), FERRY_OK);
	assert_int_equal(get_u16le(out->data + 40), 65534);
	assert_int_equal(out->len, 64 + 2 + 2 + 65534);
	ferry_secret_free(out);
	ferry_secret_free(pw);
	out = NULL;
	/* One more unit does not fit, in any of the three fields. */
	big[n] = 'x';
	big[n + 1] = '\0';
	assert_int_equal(ferry_secret_from(&pw, big, n + 1), FERRY_OK);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, ".", "u", pw), FERRY_ERANGE);
	assert_null(out);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, big, "u", pw), FERRY_ERANGE);
	assert_int_equal(kerb_logon_pack(&out, KERB_SUBMIT_INTERACTIVE, ".", big, pw), FERRY_ERANGE);
	assert_null(out);
	ferry_secret_free(pw);
	ferry_free(big);
}

/*
 * Every allocation failure returns ENOMEM with no output and, under
 * LeakSanitizer, no leak: the password's UTF-16 copy and the half-built
 * secret are released on every path. (Whether freed bytes were wiped is not
 * observable from outside without a free hook in util/mem; the code wipes
 * the copy with ferry_wipe and releases the output with ferry_secret_free.)
 */
static void test_ux__kerb_logon_releases_everything_on_allocation_failure(void **state)
{
	struct ferry_secret *pw = secret_text("hunter2");
	ferry_err rc = FERRY_ENOMEM;
	unsigned long n;

	(void)state;
	for (n = 1; rc != FERRY_OK && n < 100; n++) {
		struct ferry_secret *out = NULL;

		ferry_alloc_fail_after(n);
		rc = kerb_logon_pack(&out, KERB_SUBMIT_WORKSTATION_UNLOCK, ".", "hd", pw);
		ferry_alloc_fail_after(0);
		if (rc != FERRY_OK) {
			assert_int_equal(rc, FERRY_ENOMEM);
			assert_null(out);
		}
		ferry_secret_free(out);
	}
	assert_int_equal(rc, FERRY_OK);
	/* domain, user, password copies, then the secret and its data. */
	assert_int_equal(n - 2, 5);
	ferry_secret_free(pw);
}

/* ---- prevent-login lease ----------------------------------------------- */

#define NOW 133500000000000000ull /* 2024-01-20, a FILETIME */
#define SEC LEASE_TICKS_PER_SECOND

struct lease_case {
	const char *name;
	int present;
	uint32_t type;
	size_t len;
	uint64_t until;
	uint64_t cap;
	enum lease_decision want;
	const char *reason_has;
};

static void run_lease_case(const struct lease_case *c)
{
	uint8_t raw[16];
	struct lease_value v = {c->present, c->type, raw, c->len};
	const char *reason = NULL;

	memset(raw, 0x5A, sizeof(raw));
	if (c->len >= 8)
		put_u64le(raw, c->until);
	if (lease_decide(&v, NOW, c->cap, &reason) != c->want)
		fail_msg("lease case '%s': wrong decision (%s)", c->name, reason);
	assert_non_null(reason);
	if (!strstr(reason, c->reason_has))
		fail_msg("lease case '%s': reason '%s' lacks '%s'", c->name, reason, c->reason_has);
}

static void test_ux__lease_hides_only_while_in_future_and_within_cap(void **state)
{
	const uint64_t cap = LEASE_DEFAULT_CAP_SECONDS;
	const struct lease_case cases[] = {
	    {"future, qword", 1, LEASE_REG_QWORD, 8, NOW + 600 * SEC, cap, LEASE_HIDE_OTHERS, "held"},
	    {"future, binary", 1, LEASE_REG_BINARY, 8, NOW + 1, cap, LEASE_HIDE_OTHERS, "held"},
	    {"exactly at cap", 1, LEASE_REG_QWORD, 8, NOW + cap * SEC, cap, LEASE_HIDE_OTHERS, "held"},
	    {"past", 1, LEASE_REG_QWORD, 8, NOW - 600 * SEC, cap, LEASE_SHOW_ALL, "lapsed"},
	    {"exactly now is lapsed", 1, LEASE_REG_QWORD, 8, NOW, cap, LEASE_SHOW_ALL, "lapsed"},
	    {"zero", 1, LEASE_REG_QWORD, 8, 0, cap, LEASE_SHOW_ALL, "lapsed"},
	    {"absent", 0, LEASE_REG_QWORD, 8, NOW + 600 * SEC, cap, LEASE_SHOW_ALL, "absent"},
	    {"REG_SZ", 1, 1, 8, NOW + 600 * SEC, cap, LEASE_SHOW_ALL, "REG_QWORD"},
	    {"REG_DWORD", 1, 4, 8, NOW + 600 * SEC, cap, LEASE_SHOW_ALL, "REG_QWORD"},
	    {"REG_MULTI_SZ", 1, 7, 8, NOW + 600 * SEC, cap, LEASE_SHOW_ALL, "REG_QWORD"},
	    {"beyond cap by a tick", 1, LEASE_REG_QWORD, 8, NOW + cap * SEC + 1, cap, LEASE_SHOW_ALL, "cap"},
	    {"garbage far future", 1, LEASE_REG_BINARY, 8, UINT64_MAX, cap, LEASE_SHOW_ALL, "cap"},
	    {"runbook cap of 1 h", 1, LEASE_REG_QWORD, 8, NOW + 2 * 3600 * SEC, 3600, LEASE_SHOW_ALL, "cap"},
	    {"huge cap saturates", 1, LEASE_REG_QWORD, 8, UINT64_MAX, UINT64_MAX, LEASE_HIDE_OTHERS, "held"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_lease_case(&cases[i]);
}

static void test_ux__lease_every_wrong_size_fails_open(void **state)
{
	(void)state;
	for (size_t len = 0; len <= 16; len++) {
		for (int t = 0; t < 2; t++) {
			struct lease_case c = {"size", 1, t ? LEASE_REG_BINARY : LEASE_REG_QWORD, len,
					       NOW + 600 * SEC, LEASE_DEFAULT_CAP_SECONDS,
					       len == 8 ? LEASE_HIDE_OTHERS : LEASE_SHOW_ALL,
					       len == 8 ? "held" : "8 bytes"};
			run_lease_case(&c);
		}
	}
}

static void test_ux__lease_null_value_and_null_reason_fail_open(void **state)
{
	uint8_t raw[8];
	struct lease_value v = {1, LEASE_REG_QWORD, NULL, 8};

	(void)state;
	assert_int_equal(lease_decide(NULL, NOW, 3600, NULL), LEASE_SHOW_ALL);
	assert_int_equal(lease_decide(&v, NOW, 3600, NULL), LEASE_SHOW_ALL);
	put_u64le(raw, NOW + SEC);
	v.data = raw;
	assert_int_equal(lease_decide(&v, NOW, 3600, NULL), LEASE_HIDE_OTHERS);
}

static void test_ux__lease_converts_filetime_and_unix_seconds(void **state)
{
	(void)state;
	assert_true(lease_filetime_from_unix(0) == LEASE_UNIX_EPOCH_TICKS);
	assert_true(lease_filetime_to_unix(LEASE_UNIX_EPOCH_TICKS) == 0);
	/* 2024-01-01T00:00:00Z */
	assert_true(lease_filetime_from_unix(1704067200) == 133485408000000000ull);
	assert_true(lease_filetime_to_unix(133485408000000000ull + SEC - 1) == 1704067200);
	assert_true(lease_filetime_from_unix(-11644473600ll) == 0);
	assert_true(lease_filetime_from_unix(-11644473601ll) == 0);
	assert_true(lease_filetime_to_unix(0) == -11644473600ll);
	assert_true(lease_filetime_from_unix(INT64_MAX) == UINT64_MAX);
	/* Round trip across the range a lease can take. */
	for (int64_t s = -1000000000; s <= 4000000000; s += 123456789)
		assert_true(lease_filetime_to_unix(lease_filetime_from_unix(s)) == s);
}

/* ---- QR matrix ---------------------------------------------------------- */

/* The 7x7 finder pattern at (ox, oy) and its light separator inside the symbol. */
static int finder_at(const struct qr_matrix *m, size_t ox, size_t oy, int sep_dx, int sep_dy)
{
	for (size_t j = 0; j < 7; j++) {
		for (size_t i = 0; i < 7; i++) {
			int ring = i == 0 || i == 6 || j == 0 || j == 6;
			int core = i >= 2 && i <= 4 && j >= 2 && j <= 4;

			if (qr_matrix_dark(m, ox + i, oy + j) != (ring || core))
				return 0;
		}
	}
	/* The separator: the row and column beside the pattern, towards the symbol. */
	for (size_t k = 0; k < 8; k++) {
		size_t sx = sep_dx > 0 ? ox + 7 : ox - 1;
		size_t sy = sep_dy > 0 ? oy + 7 : oy - 1;

		if (qr_matrix_dark(m, sx, sep_dy > 0 ? oy + k : oy + k - 1) ||
		    qr_matrix_dark(m, sep_dx > 0 ? ox + k : ox + k - 1, sy))
			return 0;
	}
	return 1;
}

static void test_ux__qr_known_url_is_version_2_with_three_finders(void **state)
{
	struct qr_matrix *m = NULL;
	size_t q = QR_QUIET_STANDARD, w;

	(void)state;
	/* 19 bytes: byte mode at level M holds 14 in version 1, 26 in version 2. */
	assert_int_equal(qr_matrix_from_url(&m, "https://example.com", q), FERRY_OK);
	assert_int_equal(m->version, 2);
	w = 17 + 4 * 2;
	assert_int_equal(m->size, w + 2 * q);
	assert_true(finder_at(m, q, q, 1, 1));
	assert_true(finder_at(m, q + w - 7, q, -1, 1));
	assert_true(finder_at(m, q, q + w - 7, 1, -1));
	/* The fourth corner has no finder pattern (it holds data). */
	assert_false(finder_at(m, q + w - 7, q + w - 7, -1, -1));
	/* The quiet zone is light all round; every byte is 0 or 1. */
	for (size_t y = 0; y < m->size; y++) {
		for (size_t x = 0; x < m->size; x++) {
			int inside = x >= q && x < q + w && y >= q && y < q + w;

			assert_true(m->modules[y * m->size + x] <= 1);
			if (!inside)
				assert_int_equal(qr_matrix_dark(m, x, y), 0);
		}
	}
	qr_matrix_free(m);
}

static void test_ux__qr_without_quiet_zone_starts_with_a_finder(void **state)
{
	struct qr_matrix *m = NULL;

	(void)state;
	assert_int_equal(qr_matrix_from_url(&m, "https://example.com", 0), FERRY_OK);
	assert_int_equal(m->size, 25);
	assert_true(finder_at(m, 0, 0, 1, 1));
	assert_true(finder_at(m, 18, 0, -1, 1));
	assert_true(finder_at(m, 0, 18, 1, -1));
	assert_int_equal(qr_matrix_dark(m, 25, 0), 0); /* outside reads light */
	qr_matrix_free(m);
}

static void test_ux__qr_longest_url_fits_version_18(void **state)
{
	char url[QR_URL_MAX + 2];
	struct qr_matrix *m = NULL;

	(void)state;
	memcpy(url, "https://h.example/", 18);
	memset(url + 18, 'a', QR_URL_MAX - 18);
	url[QR_URL_MAX] = '\0';
	assert_int_equal(qr_matrix_from_url(&m, url, 4), FERRY_OK);
	assert_int_equal(m->version, 18);
	assert_int_equal(m->size, 17 + 4 * 18 + 8);
	qr_matrix_free(m);
	m = NULL;
	url[QR_URL_MAX] = 'a';
	url[QR_URL_MAX + 1] = '\0';
	assert_int_equal(qr_matrix_from_url(&m, url, 4), FERRY_ERANGE);
	assert_null(m);
}

static void test_ux__qr_refuses_what_is_not_printable_ascii(void **state)
{
	static const char *const bad[] = {
	    "https://example.com/a b", "https://example.com/\t", "https://ex\x7f",
	    "https://b\xc3\xbc" "cher.example/", "https://example.com/\n",
	};
	struct qr_matrix *m = (struct qr_matrix *)&m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(qr_matrix_from_url(&m, bad[i], 4), FERRY_ECORRUPT);
		assert_null(m);
	}
	assert_non_null(strstr(ferry_error_detail(), "0x0a at offset 20"));
	assert_int_equal(qr_matrix_from_url(&m, "", 4), FERRY_ERANGE);
	assert_int_equal(qr_matrix_from_url(&m, NULL, 4), FERRY_EINVAL);
	assert_int_equal(qr_matrix_from_url(&m, "https://e", QR_QUIET_MAX + 1), FERRY_EINVAL);
	assert_int_equal(qr_matrix_from_url(&m, "https://e", QR_QUIET_MAX), FERRY_OK);
	assert_int_equal(m->size, 21 + 2 * QR_QUIET_MAX);
	qr_matrix_free(m);
}

static void test_ux__qr_releases_everything_on_allocation_failure(void **state)
{
	ferry_err rc = FERRY_ENOMEM;
	unsigned long n;

	(void)state;
	for (n = 1; rc != FERRY_OK && n < 20; n++) {
		struct qr_matrix *m = NULL;

		ferry_alloc_fail_after(n);
		rc = qr_matrix_from_url(&m, "https://example.com/cache", 4);
		ferry_alloc_fail_after(0);
		if (rc != FERRY_OK) {
			assert_int_equal(rc, FERRY_ENOMEM);
			assert_null(m);
		}
		qr_matrix_free(m);
	}
	assert_int_equal(rc, FERRY_OK);
	assert_int_equal(n - 2, 2); /* the struct, then the modules */
}

/* The lease cap: one default for the runbook, the service and the filter. */
static void test_ux__hint_cap_has_one_default(void **state)
{
	(void)state;
	assert_int_equal(hint_cap_hours(0), HINT_CAP_DEFAULT_HOURS);
	assert_int_equal(hint_cap_hours(6), 6);
	assert_int_equal(hint_cap_hours(99), HINT_CAP_MAX_HOURS);
	assert_int_equal(hint_cap_seconds_read(false, 6), LEASE_DEFAULT_CAP_SECONDS);
	assert_int_equal(hint_cap_seconds_read(true, 0), LEASE_DEFAULT_CAP_SECONDS);
	assert_int_equal(hint_cap_seconds_read(true, 25), LEASE_DEFAULT_CAP_SECONDS);
	assert_int_equal(hint_cap_seconds_read(true, 6), 6 * 3600);
	/* What the service writes for any runbook value, the filter reads back. */
	for (unsigned h = 0; h <= 30; h++)
		assert_int_equal(hint_cap_seconds_read(true, hint_cap_hours(h)),
				 (uint64_t)hint_cap_hours(h) * 3600u);
}

static void test_ux__hint_fallback_name_is_local(void **state)
{
	(void)state;
	assert_true(hint_fallback_name_ok("ferry-helpdesk"));
	assert_false(hint_fallback_name_ok(""));
	assert_false(hint_fallback_name_ok(NULL));
	assert_false(hint_fallback_name_ok("DOM\\x"));
	assert_false(hint_fallback_name_ok("x@dom"));
	assert_false(hint_fallback_name_ok("a/b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ux__kerb_logon_packs_interactive_byte_for_byte),
	    cmocka_unit_test(test_ux__kerb_logon_packs_unlock_byte_for_byte),
	    cmocka_unit_test(test_ux__kerb_logon_empty_password_has_zero_length),
	    cmocka_unit_test(test_ux__kerb_logon_refuses_bad_input_without_output),
	    cmocka_unit_test(test_ux__kerb_logon_caps_lengths_at_ushort),
	    cmocka_unit_test(test_ux__kerb_logon_releases_everything_on_allocation_failure),
	    cmocka_unit_test(test_ux__lease_hides_only_while_in_future_and_within_cap),
	    cmocka_unit_test(test_ux__lease_every_wrong_size_fails_open),
	    cmocka_unit_test(test_ux__lease_null_value_and_null_reason_fail_open),
	    cmocka_unit_test(test_ux__lease_converts_filetime_and_unix_seconds),
	    cmocka_unit_test(test_ux__qr_known_url_is_version_2_with_three_finders),
	    cmocka_unit_test(test_ux__qr_without_quiet_zone_starts_with_a_finder),
	    cmocka_unit_test(test_ux__qr_longest_url_fits_version_18),
	    cmocka_unit_test(test_ux__qr_refuses_what_is_not_printable_ascii),
	    cmocka_unit_test(test_ux__qr_releases_everything_on_allocation_failure),
	    cmocka_unit_test(test_ux__hint_cap_has_one_default),
	    cmocka_unit_test(test_ux__hint_fallback_name_is_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
