/*
 * `ferry acl bench [--count N] [--seconds S]`: throughput of sd_translate on
 * a generated corpus of profile-like SDs (sec/corpus.h), per mode, next to
 * a memcpy of the same bytes into the same output buffer, one SD at a time.
 * Single-threaded; timed with clock(), i.e. CPU time of one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sec/corpus.h"
#include "sec/translate.h"
#include "util/mem.h"

struct run {
	double seconds;
	size_t sds, bytes, changed;
};

static volatile uint8_t sink;

/* One pass over the corpus; mode < 0 is the memcpy baseline. */
static ferry_err pass(const struct sd_corpus *c, int mode, uint8_t *out, struct run *r)
{
	for (size_t i = 0; i < c->count; i++) {
		const uint8_t *sd = c->bytes + c->off[i];
		size_t len = c->off[i + 1] - c->off[i];

		if (mode < 0) {
			memcpy(out, sd, len);
			sink = out[len - 1];
		} else {
			struct sd_out o = {.buf = out, .cap = SD_MAX_SIZE};
			bool changed;
			ferry_err rc =
			    sd_translate(sd, len, c->table, (enum sd_mode)mode, &o, &changed);

			if (rc != FERRY_OK)
				return rc;
			sink = o.data[o.len - 1];
			r->changed += changed;
		}
	}
	r->sds += c->count;
	r->bytes += c->total;
	return FERRY_OK;
}

/* Repeat passes until `budget` seconds of CPU time have gone by. */
static ferry_err measure(const struct sd_corpus *c, int mode, uint8_t *out, double budget,
                         struct run *r)
{
	struct run warm = {0};
	clock_t start;
	ferry_err rc = pass(c, mode, out, &warm);

	memset(r, 0, sizeof(*r));
	start = clock();
	while (rc == FERRY_OK) {
		rc = pass(c, mode, out, r);
		r->seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
		if (r->seconds >= budget)
			break;
	}
	return rc;
}

static void report(const char *name, const struct run *r, double base_ns)
{
	double ns = r->seconds * 1e9 / (double)r->sds;

	printf("%-8s %12.0f SDs/s %9.1f ns/SD %9.1f MB/s", name, (double)r->sds / r->seconds, ns,
	       (double)r->bytes / r->seconds / 1e6);
	if (base_ns > 0)
		printf("  %5.2fx memcpy  changed %zu/%zu", ns / base_ns, r->changed, r->sds);
	printf("\n");
}

int cmd_acl_bench(int argc, char **argv)
{
	unsigned long count = 200000;
	double seconds = 1.0;
	struct sd_corpus *c = NULL;
	uint8_t *out = NULL;
	struct run base, r;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		char *end = NULL;

		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoul(argv[++i], &end, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], &end);
		if (!end || *end || count == 0 || count > 50000000ul || !(seconds > 0)) {
			fprintf(stderr, "usage: ferry acl bench [--count N] [--seconds S]\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (sd_corpus_make(&c, count, 1) != FERRY_OK || !(out = ferry_malloc(SD_MAX_SIZE))) {
		fprintf(stderr, "ferry acl bench: %s\n", ferry_error_detail());
		goto out;
	}
	printf(
	    "corpus: %zu SDs, %zu bytes (%.1f bytes/SD), %zu name a source SID; table %zu rows\n",
	    c->count, c->total, (double)c->total / (double)c->count, c->with_source,
	    c->table->count);
	if (measure(c, -1, out, seconds, &base) != FERRY_OK)
		goto fail;
	report("memcpy", &base, 0);
	for (int m = 0; m < 3; m++) {
		if (measure(c, m, out, seconds, &r) != FERRY_OK)
			goto fail;
		report(sd_mode_name((enum sd_mode)m), &r, base.seconds * 1e9 / (double)base.sds);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "ferry acl bench: %s\n", ferry_error_detail());
out:
	ferry_free(out);
	sd_corpus_free(c);
	return rc;
}
