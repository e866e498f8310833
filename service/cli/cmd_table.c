/*
 * `ferry table`: the translation table built from two directory snapshots
 * (core/dir/table_build.h, docs/directory.md).
 *
 *   ferry table build --source S --target T [--rules R.json] [--overrides O.csv]
 *                     --out table.csv --report report.csv
 *   ferry table verify table.csv
 *
 * build exits 0 when both files are written, whatever the report holds: the
 * report is for the admin to review, and what it lists is not in the table.
 * Nothing is written when an input is refused.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_keys.h"
#include "dir/snapshot.h"
#include "dir/table_build.h"
#include "runbook/runbook.h"
#include "util/mem.h"

struct build_args {
	const char *source, *target, *rules, *overrides, *out, *report;
};

static int usage_table(void)
{
	fprintf(stderr, "usage: ferry table build --source S --target T [--rules R.json]\n"
	                "                         [--overrides O.csv] --out table.csv --report report.csv\n"
	                "       ferry table verify table.csv\n");
	return CLI_EXIT_USAGE;
}

static int fail(const char *what)
{
	fprintf(stderr, "ferry table: %s%s\n", what, ferry_error_detail());
	return 1;
}

static int parse_args(struct build_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--source")      ? &a->source
		                    : !strcmp(argv[i], "--target")    ? &a->target
		                    : !strcmp(argv[i], "--rules")     ? &a->rules
		                    : !strcmp(argv[i], "--overrides") ? &a->overrides
		                    : !strcmp(argv[i], "--out")       ? &a->out
		                    : !strcmp(argv[i], "--report")    ? &a->report
		                                                      : NULL;
		if (!slot || i + 1 == argc)
			return -1;
		*slot = argv[++i];
	}
	return a->source && a->target && a->out && a->report ? 0 : -1;
}

static ferry_err load_rules(struct dir_rules **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	ferry_err rc;

	if (!path)
		return dir_rules_default(out);
	rc = rb_read_file(&text, &len, path, DIR_RULES_MAX_FILE);
	if (rc == FERRY_OK)
		rc = dir_rules_parse(out, text, len);
	ferry_free(text);
	return rc == FERRY_OK ? rc : ferry_error_wrap(rc, "%s: ", path);
}

static ferry_err load_overrides(struct dir_overrides **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	ferry_err rc;

	*out = NULL;
	if (!path)
		return FERRY_OK;
	rc = rb_read_file(&text, &len, path, DIR_OVERRIDES_MAX_FILE);
	if (rc == FERRY_OK)
		rc = dir_overrides_parse(out, text, len);
	ferry_free(text);
	return rc == FERRY_OK ? rc : ferry_error_wrap(rc, "%s: ", path);
}

static void print_summary(const struct dir_build *b, const struct dir_rules *rules,
                          const char *hash)
{
	size_t sev[3] = {0, 0, 0};

	printf("table: %zu pairs (", b->n_pairs);
	for (size_t r = 0; r < rules->n; r++)
		printf("%s %zu, ", rules->rule[r].name, b->by_rule[r]);
	printf("override %zu), sha256 %s\n", b->by_rule[rules->n], hash);
	for (size_t i = 0; i < b->n_findings; i++) {
		const char *s = dir_reason_severity(b->findings[i].reason);
		sev[s[0] == 'e' ? 0 : s[0] == 'w' ? 1 : 2]++;
	}
	printf("report: %zu findings (%zu errors: not in the table; %zu warnings; %zu info)\n",
	       b->n_findings, sev[0], sev[1], sev[2]);
	printf("sources: %zu users and groups; skipped %zu builtin or well-known, %zu computers\n",
	       b->sources, b->builtin_skipped, b->computers_skipped);
}

static int cmd_build(int argc, char **argv)
{
	struct build_args a;
	struct dir_snapshot *src = NULL, *dst = NULL;
	struct dir_rules *rules = NULL;
	struct dir_overrides *ov = NULL;
	struct dir_build *b = NULL;
	char *table = NULL, *report = NULL, hash[65];
	size_t table_len = 0, report_len = 0;
	ferry_err rc;
	int exit_code = 1;

	if (parse_args(&a, argc, argv))
		return usage_table();
	rc = dir_snapshot_load(&src, a.source);
	if (rc == FERRY_OK)
		rc = dir_snapshot_load(&dst, a.target);
	if (rc == FERRY_OK)
		rc = load_rules(&rules, a.rules);
	if (rc == FERRY_OK)
		rc = load_overrides(&ov, a.overrides);
	if (rc == FERRY_OK)
		rc = dir_table_build(&b, src, dst, rules, ov);
	if (rc == FERRY_OK)
		rc = dir_table_csv(&table, &table_len, hash, b, src, dst);
	if (rc == FERRY_OK)
		rc = dir_report_csv(&report, &report_len, b, src, dst);
	/* The report first: a table never lands without the report that goes with it. */
	if (rc == FERRY_OK)
		rc = cli_write_file_atomic(a.report, (const uint8_t *)report, report_len);
	if (rc == FERRY_OK)
		rc = cli_write_file_atomic(a.out, (const uint8_t *)table, table_len);
	if (rc == FERRY_OK) {
		print_summary(b, rules, hash);
		exit_code = 0;
	} else {
		fail("build: ");
	}
	ferry_free(table);
	ferry_free(report);
	dir_build_free(b);
	dir_overrides_free(ov);
	dir_rules_free(rules);
	dir_snapshot_free(src);
	dir_snapshot_free(dst);
	return exit_code;
}

static int cmd_verify(int argc, char **argv)
{
	char *text = NULL, hash[65];
	size_t len = 0;
	ferry_err rc;

	if (argc != 2)
		return usage_table();
	rc = rb_read_file(&text, &len, argv[1], (size_t)1 << 30);
	if (rc == FERRY_OK)
		rc = dir_table_verify(hash, text, len);
	ferry_free(text);
	if (rc != FERRY_OK)
		return fail("verify: ");
	printf("%s: sha256 %s matches its content\n", argv[1], hash);
	return 0;
}

int cmd_table(int argc, char **argv)
{
	if (argc < 2)
		return usage_table();
	if (!strcmp(argv[1], "build"))
		return cmd_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	return usage_table();
}
