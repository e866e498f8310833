/*
 * `ferry acl`: the ReACL engine from the command line.
 *
 *   ferry acl translate --table T --mode replace|add|remove
 *                       (--sddl S | --hex H | --batch FILE) [--json]
 *   ferry acl check-table T
 *   ferry acl bench [--count N]          (cmd_acl_bench.c)
 *
 * --batch reads one hex SD per line (FILE or "-" for stdin) and writes one
 * line per SD: "<changed 0|1> <hex>". The first bad line stops the run with
 * exit code 1 and a message naming the line.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/hex.h"
#include "sec/sd.h"
#include "sec/sddl.h"
#include "sec/table.h"
#include "sec/translate.h"
#include "util/mem.h"

#define LINE_MAX_CHARS (2 * (size_t)SD_MAX_SIZE + 4)

struct translate_args {
	const char *table, *mode, *sddl, *hex, *batch;
	int json;
};

/* Buffers for one SD at a time, allocated once per run. */
struct work {
	uint8_t *in;
	uint8_t *out;
	char *text; /* a hex line in, or a hex/SDDL result out */
};

static int usage_acl(void)
{
	fprintf(stderr, "usage: ferry acl translate --table T --mode replace|add|remove\n"
	                "                           (--sddl S | --hex H | --batch FILE) [--json]\n"
	                "       ferry acl check-table T\n"
	                "       ferry acl bench [--count N]\n");
	return CLI_EXIT_USAGE;
}

static int fail(const char *what)
{
	fprintf(stderr, "ferry acl: %s%s\n", what, ferry_error_detail());
	return 1;
}

static void print_result(const struct work *w, const struct sd_out *out, bool changed, int json,
                         int as_sddl, size_t line)
{
	char *sddl = NULL;

	if (as_sddl || json)
		(void)sddl_format(&sddl, out->data, out->len);
	if (!json) {
		if (as_sddl && sddl) {
			printf("%d %s\n", changed, sddl);
		} else {
			ferry_hex_encode(w->text, out->data, out->len);
			printf("%d %s\n", changed, w->text);
		}
		ferry_free(sddl);
		return;
	}
	ferry_hex_encode(w->text, out->data, out->len);
	printf("{");
	if (line)
		printf("\"line\":%zu,", line);
	/* SDDL text is ASCII without quotes or backslashes, so it needs no escaping. */
	printf("\"changed\":%s,\"hex\":\"%s\",\"sddl\":", changed ? "true" : "false", w->text);
	printf(sddl ? "\"%s\"}\n" : "null}\n", sddl ? sddl : "");
	ferry_free(sddl);
}

static int translate_one(const struct translate_args *a, const struct sec_table *t,
                         enum sd_mode mode, struct work *w)
{
	struct sd_out out = {.buf = w->out, .cap = SD_MAX_SIZE};
	uint8_t *sd = NULL;
	size_t len = 0;
	bool changed;
	ferry_err rc;

	if (a->sddl)
		rc = sddl_parse(&sd, &len, a->sddl, strlen(a->sddl));
	else
		rc = ferry_hex_decode(w->in, SD_MAX_SIZE, &len, a->hex, strlen(a->hex));
	if (rc != FERRY_OK)
		return fail(a->sddl ? "--sddl: " : "--hex: ");
	rc = sd_translate(sd ? sd : w->in, len, t, mode, &out, &changed);
	if (rc == FERRY_OK)
		print_result(w, &out, changed, a->json, a->sddl != NULL, 0);
	ferry_free(sd);
	return rc == FERRY_OK ? 0 : fail("");
}

static int translate_batch(const struct translate_args *a, const struct sec_table *t,
                           enum sd_mode mode, struct work *w)
{
	FILE *f = strcmp(a->batch, "-") ? fopen(a->batch, "rb") : stdin;
	size_t line = 0;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "ferry acl: --batch %s: cannot open\n", a->batch);
		return 1;
	}
	while (rc == 0 && fgets(w->text, (int)LINE_MAX_CHARS, f)) {
		size_t n = strlen(w->text), len;
		struct sd_out out = {.buf = w->out, .cap = SD_MAX_SIZE};
		bool changed;

		line++;
		if (n && w->text[n - 1] != '\n' && !feof(f)) {
			fprintf(stderr, "ferry acl: line %zu: longer than %zu characters\n", line,
			        LINE_MAX_CHARS - 4);
			rc = 1;
			break;
		}
		while (n && (w->text[n - 1] == '\n' || w->text[n - 1] == '\r'))
			n--;
		if (ferry_hex_decode(w->in, SD_MAX_SIZE, &len, w->text, n) != FERRY_OK ||
		    sd_translate(w->in, len, t, mode, &out, &changed) != FERRY_OK) {
			fprintf(stderr, "ferry acl: line %zu: %s\n", line, ferry_error_detail());
			rc = 1;
			break;
		}
		print_result(w, &out, changed, a->json, 0, a->json ? line : 0);
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "ferry acl: --batch %s: read error\n", a->batch);
		rc = 1;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

static int parse_translate_args(struct translate_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (!strcmp(argv[i], "--json")) {
			a->json = 1;
			continue;
		}
		if (!strcmp(argv[i], "--table"))
			slot = &a->table;
		else if (!strcmp(argv[i], "--mode"))
			slot = &a->mode;
		else if (!strcmp(argv[i], "--sddl"))
			slot = &a->sddl;
		else if (!strcmp(argv[i], "--hex"))
			slot = &a->hex;
		else if (!strcmp(argv[i], "--batch"))
			slot = &a->batch;
		if (!slot || i + 1 >= argc || *slot) {
			fprintf(stderr, "ferry acl translate: bad or repeated option '%s'\n",
			        argv[i]);
			return -1;
		}
		*slot = argv[++i];
	}
	if (!a->table || !a->mode || (!!a->sddl + !!a->hex + !!a->batch) != 1) {
		fprintf(stderr, "ferry acl translate: need --table, --mode and exactly one of "
		                "--sddl, --hex, --batch\n");
		return -1;
	}
	return 0;
}

static int cmd_translate(int argc, char **argv)
{
	struct translate_args a;
	struct sec_table *t = NULL;
	struct work w = {NULL, NULL, NULL};
	enum sd_mode mode;
	int rc;

	if (parse_translate_args(&a, argc, argv))
		return usage_acl();
	if (sd_mode_parse(&mode, a.mode) != FERRY_OK) {
		fprintf(stderr, "ferry acl translate: %s\n", ferry_error_detail());
		return usage_acl();
	}
	if (sec_table_load_file(&t, a.table) != FERRY_OK)
		return fail("");
	w.in = ferry_malloc(SD_MAX_SIZE);
	w.out = ferry_malloc(SD_MAX_SIZE);
	w.text = ferry_malloc(LINE_MAX_CHARS);
	if (!w.in || !w.out || !w.text) {
		fprintf(stderr, "ferry acl: out of memory\n");
		rc = 1;
	} else {
		rc = a.batch ? translate_batch(&a, t, mode, &w) : translate_one(&a, t, mode, &w);
	}
	ferry_free(w.in);
	ferry_free(w.out);
	ferry_free(w.text);
	sec_table_free(t);
	return rc;
}

static int cmd_check_table(int argc, char **argv)
{
	struct sec_table *t = NULL;

	if (argc != 2)
		return usage_acl();
	if (sec_table_load_file(&t, argv[1]) != FERRY_OK)
		return fail("");
	printf("%s: %zu entries, no malformed SIDs, duplicates, chains or well-known sources\n",
	       argv[1], t->count);
	sec_table_free(t);
	return 0;
}

int cmd_acl(int argc, char **argv)
{
	if (argc < 2)
		return usage_acl();
	if (!strcmp(argv[1], "translate"))
		return cmd_translate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check-table"))
		return cmd_check_table(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_acl_bench(argc - 1, argv + 1);
	return usage_acl();
}
