/* core/ipc/admit: connection caps for the pipe (issue 15, finding 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ipc/admit.h"

static const struct ipc_caller sys = { .cls = IPC_CALLER_SYSTEM, .session = 0 };

static struct ipc_caller user(uint32_t session)
{
	struct ipc_caller c = { .cls = IPC_CALLER_INTERACTIVE_USER, .session = session };
	return c;
}

/* The service's numbers: 24 instances, 4 kept for SYSTEM, 4 per session. */
static void init(struct ipc_admit *a)
{
	assert_true(ipc_admit_init(a, 24, 4, 4));
}

static void test_ipc_admit__one_session_is_capped(void **state)
{
	struct ipc_admit a;
	struct ipc_caller u = user(2), other = user(3);

	(void)state;
	init(&a);
	for (int i = 0; i < 4; i++)
		assert_true(ipc_admit_take(&a, &u).allow);
	assert_false(ipc_admit_take(&a, &u).allow);
	/* another session is not held up by it */
	assert_true(ipc_admit_take(&a, &other).allow);
	/* a slot given back can be taken again */
	ipc_admit_release(&a, &u);
	assert_true(ipc_admit_take(&a, &u).allow);
	assert_false(ipc_admit_take(&a, &u).allow);
}

static void test_ipc_admit__instances_are_kept_for_system(void **state)
{
	struct ipc_admit a;

	(void)state;
	init(&a);
	/* five sessions of four: 20 = 24 - 4 */
	for (uint32_t s = 1; s <= 5; s++)
		for (int i = 0; i < 4; i++) {
			struct ipc_caller u = user(s);
			assert_true(ipc_admit_take(&a, &u).allow);
		}
	{
		struct ipc_caller sixth = user(6);
		struct ipc_authz_decision d = ipc_admit_take(&a, &sixth);

		assert_false(d.allow);
		assert_non_null(d.reason);
	}
	for (int i = 0; i < 4; i++)
		assert_true(ipc_admit_take(&a, &sys).allow);
	ipc_admit_release(&a, &sys); /* SYSTEM is not counted: nothing changes */
	{
		struct ipc_caller sixth = user(6);
		assert_false(ipc_admit_take(&a, &sixth).allow);
	}
}

static void test_ipc_admit__other_callers_count_like_users(void **state)
{
	struct ipc_admit a;
	struct ipc_caller o = { .cls = IPC_CALLER_OTHER, .session = 9 };

	(void)state;
	assert_true(ipc_admit_init(&a, 4, 1, 2));
	assert_true(ipc_admit_take(&a, &o).allow);
	assert_true(ipc_admit_take(&a, &o).allow);
	assert_false(ipc_admit_take(&a, &o).allow);
}

static void test_ipc_admit__release_forgets_an_empty_session(void **state)
{
	struct ipc_admit a;

	(void)state;
	assert_true(ipc_admit_init(&a, 3, 1, 2));
	for (uint32_t s = 0; s < 50; s++) {
		struct ipc_caller u = user(s);

		assert_true(ipc_admit_take(&a, &u).allow);
		assert_true(ipc_admit_take(&a, &u).allow);
		ipc_admit_release(&a, &u);
		ipc_admit_release(&a, &u);
	}
	assert_int_equal(a.others, 0);
	assert_int_equal(a.n_sessions, 0);
}

static void test_ipc_admit__nonsense_numbers_are_refused(void **state)
{
	struct ipc_admit a;

	(void)state;
	assert_false(ipc_admit_init(&a, 0, 0, 1));
	assert_false(ipc_admit_init(&a, 4, 4, 1));
	assert_false(ipc_admit_init(&a, 4, 1, 0));
	assert_false(ipc_admit_init(&a, IPC_ADMIT_POOL_MAX + 1, 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipc_admit__one_session_is_capped),
		cmocka_unit_test(test_ipc_admit__instances_are_kept_for_system),
		cmocka_unit_test(test_ipc_admit__other_callers_count_like_users),
		cmocka_unit_test(test_ipc_admit__release_forgets_an_empty_session),
		cmocka_unit_test(test_ipc_admit__nonsense_numbers_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
