/* The agent's outbox is appended through the platform's secure append
 * (core/net/append.h; issue 15, finding 5), never fopen("ab"): a hard
 * link, a symbolic link or a FIFO planted at outbox.jsonl is refused and
 * the file it points at is left as it was. Natively this is the POSIX
 * append; under Wine, winutil's wu_file_open_append. */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* link, symlink, mkfifo */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include <cmocka.h>

#include "net/agent.h"
#include "net/append.h"
#include "net/sig.h"
#include "runbook/runbook.h"
#include "util/err.h"
#include "util/mem.h"

#include "test_dirs.h"

static const uint8_t priv[32] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3,
				  2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5 };
static uint8_t pub[32];
static char dir[64], outbox[128], victim[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "test-net-outbox-%ld-%d", (long)time(NULL), rand());
	snprintf(outbox, sizeof(outbox), "%s/outbox.jsonl", dir);
	snprintf(victim, sizeof(victim), "%s/victim.txt", dir);
	if (sig_public_from_private(pub, priv) || make_dir(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove(outbox);
	remove(victim);
	return remove_dir(dir);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

/* The file's text into *text (ferry_free it). An out parameter: GCC 12's
 * -Wdangling-pointer mistakes a returned rb_read_file buffer for a local. */
static void slurp(char **text, const char *path)
{
	size_t len = 0;

	*text = NULL;
	assert_int_equal(rb_read_file(text, &len, path, 1u << 20), FERRY_OK);
}

static void open_agent(struct net_agent *a)
{
	assert_int_equal(net_agent_open(a, dir, NULL, pub), FERRY_OK);
}

static void test_net_outbox__events_append_one_line_each(void **state)
{
	struct net_agent a;
	char *text;
	size_t first_end, first_kind, second_kind, len;

	(void)state;
	open_agent(&a);
	assert_int_equal(net_agent_event(&a, "first_event", "one"), FERRY_OK);
	assert_int_equal(net_agent_event(&a, "second_event", "two"), FERRY_OK);
	slurp(&text, outbox);
	len = strlen(text);
	first_end = strcspn(text, "\n");
	assert_non_null(strstr(text, "\"kind\":\"first_event\""));
	assert_non_null(strstr(text, "\"kind\":\"second_event\""));
	first_kind = (size_t)(strstr(text, "\"kind\":\"first_event\"") - text);
	second_kind = (size_t)(strstr(text, "\"kind\":\"second_event\"") - text);
	assert_true(first_end < len);                         /* line one ends */
	assert_true(first_kind < first_end);                  /* holding the first event */
	assert_true(second_kind > first_end && second_kind < len);
	assert_int_equal(text[len - 1], '\n');                 /* line two ends too */
	assert_int_equal(strcspn(text + first_end + 1, "\n"), len - first_end - 2);
	ferry_free(text);
}

static void link_outbox_to_victim(void)
{
#ifdef _WIN32
	wchar_t from[128], to[128];

	swprintf(from, 128, L"%hs", outbox);
	swprintf(to, 128, L"%hs", victim);
	assert_true(CreateHardLinkW(from, to, NULL));
#else
	assert_int_equal(link(victim, outbox), 0);
#endif
}

/* A second name for a file elsewhere (here: beside it) is never appended to. */
static void test_net_outbox__hard_linked_outbox_is_refused(void **state)
{
	struct net_agent a;
	char *text;

	(void)state;
	put(victim, "keep\n");
	link_outbox_to_victim();
	open_agent(&a);
	assert_int_equal(net_agent_event(&a, "planted", "x"), FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "outbox.jsonl"));
	assert_non_null(strstr(ferry_error_detail(), "more than one hard link"));
	slurp(&text, victim);
	assert_string_equal(text, "keep\n");
	ferry_free(text);
}

/* net_file_write_new, behind every temporary state file (agent.json,
 * bundle.json, the v2 pair): a new file gets the bytes; a file already at
 * the name is refused and left as it was. */
static void test_net_outbox__write_new_never_writes_through_a_planted_file(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(net_file_write_new(outbox, "new\n", 4), FERRY_OK);
	slurp(&text, outbox);
	assert_string_equal(text, "new\n");
	ferry_free(text);
	put(victim, "keep\n");
	assert_int_equal(net_file_write_new(victim, "evil\n", 5), FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "already there"));
	slurp(&text, victim);
	assert_string_equal(text, "keep\n");
	ferry_free(text);
#ifndef _WIN32
	/* A dangling symbolic link is not followed to create its target. */
	remove(outbox);
	assert_int_equal(symlink("victim-made.txt", outbox), 0);
	assert_int_equal(net_file_write_new(outbox, "evil\n", 5), FERRY_EPERM);
	{
		char made[160];

		snprintf(made, sizeof(made), "%s/victim-made.txt", dir);
		assert_int_not_equal(access(made, F_OK), 0);
	}
#endif
}

#ifndef _WIN32
/* A symbolic link at the name is not followed (O_NOFOLLOW). */
static void test_net_outbox__symlinked_outbox_is_refused(void **state)
{
	struct net_agent a;
	char *text;

	(void)state;
	put(victim, "keep\n");
	assert_int_equal(symlink("victim.txt", outbox), 0);
	open_agent(&a);
	assert_int_equal(net_agent_event(&a, "planted", "x"), FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "a symbolic link"));
	slurp(&text, victim);
	assert_string_equal(text, "keep\n");
	ferry_free(text);
}

/* A FIFO neither hangs the agent (O_NONBLOCK) nor is written to. */
static void test_net_outbox__fifo_outbox_is_refused(void **state)
{
	struct net_agent a;

	(void)state;
	assert_int_equal(mkfifo(outbox, 0600), 0);
	open_agent(&a);
	/* No reader: opening for writing fails at once (ENXIO) or, were one
	 * there, fstat refuses it; either way nothing is appended. */
	assert_int_not_equal(net_agent_event(&a, "planted", "x"), FERRY_OK);
	assert_non_null(strstr(ferry_error_detail(), "outbox.jsonl"));
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_net_outbox__events_append_one_line_each, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_net_outbox__hard_linked_outbox_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_net_outbox__write_new_never_writes_through_a_planted_file, setup,
			teardown),
#ifndef _WIN32
		cmocka_unit_test_setup_teardown(test_net_outbox__symlinked_outbox_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_outbox__fifo_outbox_is_refused, setup,
						teardown),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
