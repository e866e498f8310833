/*
 * The prevent-login lease against Wine's real registry: the value's type and
 * FILETIME bytes are what the credential provider's filter reads
 * (core/ux/lease.h), the cap holds, and clearing removes it.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/bytes.h"
#include "ux/lease.h"
#include "win/sysops.h"

#define KEY L"SOFTWARE\\Ferry\\State"
#define VALUE L"PreventLoginUntil"

static LSTATUS read_value(DWORD *type, uint8_t *data, DWORD *size)
{
	return RegGetValueW(HKEY_LOCAL_MACHINE, KEY, VALUE, RRF_RT_ANY, type, data, size);
}

static void expect_lease(int64_t until)
{
	uint8_t data[16], want[8];
	DWORD type = 0, size = sizeof data;

	assert_int_equal(read_value(&type, data, &size), ERROR_SUCCESS);
	assert_int_equal(type, REG_QWORD);
	assert_int_equal(size, 8);
	put_u64le(want, lease_filetime_from_unix(until));
	assert_memory_equal(data, want, 8);
}

static void test_sysops_lease__write_is_a_qword_filetime(void **state)
{
	const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
	uint8_t data[8];
	DWORD type = 0, size = sizeof data;
	struct lease_value v;

	(void)state;
	assert_int_equal(win_lease_write(now + 600, now, LEASE_DEFAULT_CAP_SECONDS), 0);
	expect_lease(now + 600);
	/* 2026-01-01T00:10:00Z is 134116998000000000 ticks since 1601 */
	assert_int_equal(read_value(&type, data, &size), ERROR_SUCCESS);
	assert_true(get_u64le(data) == 134116998000000000ull);
	/* and the filter's own rule accepts it while it is in the future */
	v.present = 1;
	v.type = type;
	v.data = data;
	v.len = size;
	assert_int_equal(lease_decide(&v, lease_filetime_from_unix(now), LEASE_DEFAULT_CAP_SECONDS, NULL),
			 LEASE_HIDE_OTHERS);
	assert_int_equal(lease_decide(&v, lease_filetime_from_unix(now + 600), LEASE_DEFAULT_CAP_SECONDS, NULL),
			 LEASE_SHOW_ALL);
}

static void test_sysops_lease__renewal_replaces_the_value(void **state)
{
	const int64_t now = 1767225600;
	(void)state;
	assert_int_equal(win_lease_write(now + 600, now, 3600), 0);
	assert_int_equal(win_lease_write(now + 1200, now + 300, 3600), 0);
	expect_lease(now + 1200);
}

static void test_sysops_lease__capped_at_now_plus_cap(void **state)
{
	const int64_t now = 1767225600;
	(void)state;
	assert_int_equal(win_lease_write(now + 10 * 3600, now, 4 * 3600), 0);
	expect_lease(now + 4 * 3600);
}

static void test_sysops_lease__clear_deletes_and_is_idempotent(void **state)
{
	uint8_t data[8];
	DWORD type = 0, size = sizeof data;

	(void)state;
	assert_int_equal(win_lease_write(1767225600 + 60, 1767225600, 3600), 0);
	assert_int_equal(win_lease_clear(), 0);
	assert_int_equal(read_value(&type, data, &size), ERROR_FILE_NOT_FOUND);
	assert_int_equal(win_lease_clear(), 0);
}

int wmain(void);
int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysops_lease__write_is_a_qword_filetime),
		cmocka_unit_test(test_sysops_lease__renewal_replaces_the_value),
		cmocka_unit_test(test_sysops_lease__capped_at_now_plus_cap),
		cmocka_unit_test(test_sysops_lease__clear_deletes_and_is_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
