/*
 * core/sec/walk: the ReACL walker's logic against an in-memory tree
 * (tests/support/fake_fs.c). Windows' own walker (service/win/reacl_files.c)
 * is this logic behind a Win32 seam; Wine does not keep file security
 * descriptors faithfully, so what the SDs become is asserted here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_fs.h"
#include "sec/sddl.h"
#include "sec/walk.h"
#include "sec_fixtures.h"
#include "util/mem.h"

#define SRC "O:" FIX_SRC_USER "G:SYD:(A;OICI;FA;;;" FIX_SRC_USER ")(A;OICI;FA;;;SY)"
#define DST "O:" FIX_DST_USER "G:SYD:(A;OICI;FA;;;" FIX_DST_USER ")(A;OICI;FA;;;SY)"
#define PLAIN "O:BAG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

#define D WALK_ATTR_DIR
#define R WALK_ATTR_REPARSE

struct seen_failures {
	char path[8][200];
	ferry_err code[8];
	char detail[8][200];
	unsigned n;
};

static void on_failure(void *arg, const char *path, ferry_err code, const char *detail)
{
	struct seen_failures *s = arg;

	if (s->n < 8) {
		snprintf(s->path[s->n], sizeof(s->path[0]), "%s", path);
		snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", detail);
		s->code[s->n] = code;
	}
	s->n++;
}

static struct walk_opts opts(struct fake_fs *f, struct sec_table *t, struct seen_failures *sf)
{
	return (struct walk_opts){
		.fs = &f->fs, .table = t, .mode = SD_MODE_REPLACE,
		.ckpt_read = fake_fs_ckpt_read, .ckpt_write = fake_fs_ckpt_write, .ckpt_arg = f,
		.salt = FIX_SRC_USER ">" FIX_DST_USER, .failure = on_failure, .cb_arg = sf,
	};
}

/* The small profile: 11 objects, 8 name the source, one junction. */
static void build_small(struct fake_fs *f)
{
	fake_fs_init(f);
	fake_fs_add(f, "u", D, SRC);
	fake_fs_add(f, "u/a.txt", 0, SRC);
	fake_fs_add(f, "u/b.txt", 0, PLAIN);
	fake_fs_add(f, "u/Docs", D, SRC);
	fake_fs_add(f, "u/Docs/x", 0, SRC);
	fake_fs_add(f, "u/Docs/y", 0, SRC);
	fake_fs_add(f, "u/Docs/Sub", D, PLAIN);
	fake_fs_add(f, "u/Docs/Sub/z", 0, SRC);
	fake_fs_add(f, "u/Link", D | R, SRC); /* a junction to somewhere else */
	fake_fs_add(f, "u/Link/inside", 0, SRC);
	fake_fs_add(f, "u/Music", D, PLAIN);
	fake_fs_add(f, "u/Music/m", 0, SRC);
}

/* 3 levels of 3 directories with 3 files each: 40 directories, 120 files. */
static void build_big(struct fake_fs *f)
{
	char p[64];

	fake_fs_init(f);
	fake_fs_add(f, "r", D, SRC);
	for (int a = 0; a < 3; a++) {
		snprintf(p, sizeof(p), "r/d%d", a);
		fake_fs_add(f, p, D, a == 1 ? PLAIN : SRC);
		for (int b = 0; b < 3; b++) {
			snprintf(p, sizeof(p), "r/d%d/e%d", a, b);
			fake_fs_add(f, p, D, SRC);
			for (int c = 0; c < 3; c++) {
				snprintf(p, sizeof(p), "r/d%d/e%d/g%d", a, b, c);
				fake_fs_add(f, p, D, (a + b + c) % 2 ? SRC : PLAIN);
				for (int k = 0; k < 3; k++) {
					snprintf(p, sizeof(p), "r/d%d/e%d/g%d/f%d", a, b, c, k);
					fake_fs_add(f, p, 0, k == 2 ? PLAIN : SRC);
				}
			}
			for (int k = 0; k < 3; k++) {
				snprintf(p, sizeof(p), "r/d%d/e%d/f%d", a, b, k);
				fake_fs_add(f, p, 0, SRC);
			}
		}
		for (int k = 0; k < 3; k++) {
			snprintf(p, sizeof(p), "r/d%d/f%d", a, k);
			fake_fs_add(f, p, 0, SRC);
		}
	}
	for (int k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "r/f%d", k);
		fake_fs_add(f, p, 0, SRC);
	}
}

static void assert_sd(struct fake_fs *f, const char *path, const char *sddl)
{
	struct fake_fs_node *n = fake_fs_find(f, path);
	uint8_t *want = NULL;
	size_t len = 0;

	assert_non_null(n);
	assert_int_equal(sddl_parse(&want, &len, sddl, strlen(sddl)), FERRY_OK);
	assert_int_equal(n->sd_len, len);
	assert_memory_equal(n->sd, want, len);
	ferry_free(want);
}

static void test_sec_walk__counts_and_translates(void **state)
{
	struct sec_table *t = fix_table();
	struct seen_failures sf = { 0 };
	struct fake_fs f;
	struct walk_opts o;
	struct walk_counts c;
	const char *roots[] = { "u" };

	(void)state;
	build_small(&f);
	o = opts(&f, t, &sf);
	assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
	assert_int_equal(c.seen, 11);
	assert_int_equal(c.changed, 8);
	assert_int_equal(c.failed, 0);
	assert_int_equal(c.skipped_reparse, 1);
	assert_int_equal(f.writes, 8); /* only changed SDs are written */
	assert_sd(&f, "u", DST);
	assert_sd(&f, "u/Docs/Sub/z", DST);
	assert_sd(&f, "u/b.txt", PLAIN);
	assert_int_equal(fake_fs_find(&f, "u/b.txt")->writes, 0);
	assert_int_equal(sf.n, 0);
	fake_fs_free(&f);
	sec_table_free(t);
}

static void test_sec_walk__never_follows_reparse_points(void **state)
{
	struct sec_table *t = fix_table();
	struct seen_failures sf = { 0 };
	struct fake_fs f;
	struct walk_opts o;
	struct walk_counts c;
	const char *roots[] = { "u", "u/Link" };

	(void)state;
	build_small(&f);
	o = opts(&f, t, &sf);
	/* Also as a root: a configured path that is a junction is not followed. */
	assert_int_equal(walk_run(&c, &o, roots, 2), FERRY_OK);
	assert_int_equal(fake_fs_find(&f, "u/Link")->lists, 0);
	assert_int_equal(fake_fs_find(&f, "u/Link/inside")->opens, 0);
	assert_sd(&f, "u/Link/inside", SRC);
	/* The link's own SD is translated (the seam opens the link itself). */
	assert_sd(&f, "u/Link", DST);
	assert_int_equal(c.skipped_reparse, 2);
	assert_int_equal(c.seen, 12);
	fake_fs_free(&f);
	sec_table_free(t);
}

static void test_sec_walk__failures_are_counted_with_path_and_the_walk_goes_on(void **state)
{
	struct sec_table *t = fix_table();
	struct seen_failures sf = { 0 };
	struct fake_fs f;
	struct walk_opts o;
	struct walk_counts c;
	const char *roots[] = { "u", "missing" };

	(void)state;
	build_small(&f);
	fake_fs_find(&f, "u/a.txt")->fail_open = true;
	fake_fs_find(&f, "u/Docs/x")->fail_write = true;
	fake_fs_find(&f, "u/Docs/Sub")->fail_list = true;
	o = opts(&f, t, &sf);
	assert_int_equal(walk_run(&c, &o, roots, 2), FERRY_OK);
	assert_int_equal(c.failed, 4);
	assert_int_equal(sf.n, 4);
	/* Depth-first, in name order: a.txt, Docs/x, Docs/Sub, then the missing root. */
	assert_string_equal(sf.path[0], "u/a.txt");
	assert_int_equal(sf.code[0], FERRY_EPERM);
	assert_non_null(strstr(sf.detail[0], "Win32 error 5"));
	assert_string_equal(sf.path[1], "u/Docs/x");
	assert_string_equal(sf.path[2], "u/Docs/Sub");
	assert_string_equal(sf.path[3], "missing");
	assert_int_equal(sf.code[3], FERRY_ENOTFOUND);
	/* Everything else went on: later siblings are translated. */
	assert_sd(&f, "u/Docs/y", DST);
	assert_sd(&f, "u/Music/m", DST);
	assert_sd(&f, "u/Docs/Sub/z", SRC); /* below the unlistable directory */
	assert_int_equal(c.seen, 10); /* all but z; the missing root is not an object */
	assert_int_equal(c.changed, 5);     /* u, Docs, y, Link, m */
	fake_fs_free(&f);
	sec_table_free(t);
}

/* A clean run of the big tree, for comparison. */
static void clean_big(struct fake_fs *f, struct sec_table *t, struct walk_counts *c)
{
	struct seen_failures sf = { 0 };
	struct walk_opts o;
	const char *roots[] = { "r" };

	build_big(f);
	o = opts(f, t, &sf);
	assert_int_equal(walk_run(c, &o, roots, 1), FERRY_OK);
	assert_int_equal(c->seen, 160);
	assert_int_equal(c->failed, 0);
}

/* The SEEN field of a stored checkpoint record (walk.c draws the layout). */
static uint64_t strtoull_seen(const uint8_t *rec, size_t len)
{
	char buf[128];
	unsigned long long fp, root, seen;

	assert_true(len > 0);
	snprintf(buf, sizeof(buf), "%.*s", (int)(len < 120 ? len : 120), (const char *)rec);
	assert_int_equal(sscanf(buf, "ferry-walk 1 %16llx %llu %llu", &fp, &root, &seen), 3);
	return seen;
}

static void test_sec_walk__resumes_after_a_crash_at_every_object(void **state)
{
	struct sec_table *t = fix_table();
	struct fake_fs clean, f;
	struct walk_counts cc, c;
	const char *roots[] = { "r" };

	(void)state;
	clean_big(&clean, t, &cc);
	for (unsigned long k = 1; k <= cc.seen; k++) {
		struct seen_failures sf = { 0 };
		struct walk_opts o;
		unsigned long writes_before;
		uint64_t done_before = 0;

		build_big(&f);
		o = opts(&f, t, &sf);
		f.crash_at_open = k;
		assert_int_not_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
		writes_before = f.writes;
		if (f.ckpt)
			done_before = strtoull_seen(f.ckpt, f.ckpt_len);
		fake_fs_restart(&f);
		assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
		/* Same tree as a clean run, each SD written exactly once overall,
		 * and only the objects after the last checkpoint seen again. */
		for (size_t i = 0; i < f.n; i++) {
			assert_int_equal(f.nodes[i].sd_len, clean.nodes[i].sd_len);
			assert_memory_equal(f.nodes[i].sd, clean.nodes[i].sd, f.nodes[i].sd_len);
		}
		assert_int_equal(writes_before + f.writes, cc.changed);
		assert_int_equal(f.opens, cc.seen - done_before);
		assert_int_equal(c.seen, cc.seen);
		assert_int_equal(c.failed, 0);
		assert_true(c.changed <= cc.changed);
		fake_fs_free(&f);
	}
	fake_fs_free(&clean);
	sec_table_free(t);
}

static void test_sec_walk__a_finished_walk_is_not_walked_again(void **state)
{
	struct sec_table *t = fix_table();
	struct seen_failures sf = { 0 };
	struct fake_fs f;
	struct walk_opts o;
	struct walk_counts c1, c2;
	const char *roots[] = { "u" };

	(void)state;
	build_small(&f);
	o = opts(&f, t, &sf);
	assert_int_equal(walk_run(&c1, &o, roots, 1), FERRY_OK);
	fake_fs_restart(&f);
	assert_int_equal(walk_run(&c2, &o, roots, 1), FERRY_OK);
	assert_int_equal(f.opens + f.lists, 0);
	assert_memory_equal(&c1, &c2, sizeof(c1));
	/* Another walk (other mode, other roots) ignores that checkpoint. */
	o.mode = SD_MODE_REMOVE;
	assert_int_equal(walk_run(&c2, &o, roots, 1), FERRY_OK);
	assert_int_equal(f.opens, 11);
	assert_int_equal(c2.seen, 11);
	fake_fs_free(&f);
	sec_table_free(t);
}

static void test_sec_walk__a_damaged_checkpoint_means_starting_over(void **state)
{
	static const char *const bad[] = {
		"", "ferry-walk 1 ", "ferry-walk 2 0000000000000000 0 1 1 0 0 -\n",
		"ferry-walk 1 zz 0 1 1 0 0 -\n", "garbage",
	};
	struct sec_table *t = fix_table();
	struct fake_fs f;
	struct walk_counts c;
	const char *roots[] = { "u" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seen_failures sf = { 0 };
		struct walk_opts o;

		build_small(&f);
		o = opts(&f, t, &sf);
		assert_int_equal(fake_fs_ckpt_write(&f, (const uint8_t *)bad[i], strlen(bad[i])), FERRY_OK);
		assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
		assert_int_equal(c.seen, 11);
		assert_int_equal(c.changed, 8);
		fake_fs_free(&f);
	}
	/* A checkpoint of this walk whose path hex is broken is also ignored. */
	build_small(&f);
	{
		struct seen_failures sf = { 0 };
		struct walk_opts o = opts(&f, t, &sf);
		char rec[200];
		size_t n;

		assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
		n = f.ckpt_len;
		assert_true(n < sizeof(rec));
		memcpy(rec, f.ckpt, n);
		/* The "done" record ("... -\n") with an odd-length hex path. */
		rec[n - 2] = 'Q';
		assert_int_equal(fake_fs_ckpt_write(&f, (const uint8_t *)rec, n), FERRY_OK);
		fake_fs_restart(&f);
		assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
		assert_int_equal(c.seen, 11);
		assert_int_equal(c.changed, 0); /* already translated */
	}
	fake_fs_free(&f);
	sec_table_free(t);
}

static void test_sec_walk__checkpoints_can_be_spaced_out(void **state)
{
	struct sec_table *t = fix_table();
	struct seen_failures sf = { 0 };
	struct fake_fs f;
	struct walk_opts o;
	struct walk_counts c;
	const char *roots[] = { "r" };

	(void)state;
	build_big(&f);
	o = opts(&f, t, &sf);
	assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
	assert_int_equal(f.ckpt_writes, 40 + 1); /* each directory, then "done" */
	fake_fs_free(&f);
	build_big(&f);
	o = opts(&f, t, &sf);
	o.ckpt_min_objects = 50;
	assert_int_equal(walk_run(&c, &o, roots, 1), FERRY_OK);
	assert_true(f.ckpt_writes >= 3 && f.ckpt_writes <= 5);
	assert_int_equal(c.seen, 160);
	fake_fs_free(&f);
	sec_table_free(t);
}

static void test_sec_walk__order_puts_a_directory_before_its_siblings_with_longer_names(void **state)
{
	(void)state;
	assert_true(walk_path_cmp("a", "a/b", '/') < 0);
	assert_true(walk_path_cmp("a/b", "a-b", '/') < 0);
	assert_true(walk_path_cmp("a/z", "a0", '/') < 0);
	assert_true(walk_path_cmp("C:\\", "C:\\x", '\\') < 0);
	assert_int_equal(walk_path_cmp("x/y", "x/y", '/'), 0);
	assert_true(walk_path_cmp("b", "a/zzz", '/') > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sec_walk__counts_and_translates),
		cmocka_unit_test(test_sec_walk__never_follows_reparse_points),
		cmocka_unit_test(test_sec_walk__failures_are_counted_with_path_and_the_walk_goes_on),
		cmocka_unit_test(test_sec_walk__resumes_after_a_crash_at_every_object),
		cmocka_unit_test(test_sec_walk__a_finished_walk_is_not_walked_again),
		cmocka_unit_test(test_sec_walk__a_damaged_checkpoint_means_starting_over),
		cmocka_unit_test(test_sec_walk__checkpoints_can_be_spaced_out),
		cmocka_unit_test(test_sec_walk__order_puts_a_directory_before_its_siblings_with_longer_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
