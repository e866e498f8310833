/*
 * `ferry runbook check FILE...`: validate runbooks and batches, each on its
 * own and then together (prerequisites, batch references, time order).
 * Prints one line per problem, "<JSON Pointer>: <message> (<file>)", on
 * stdout; exit 0 when everything is valid, 1 when not, 64 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runbook/runbook.h"
#include "util/mem.h"

struct loaded {
	struct runbook **rbs;
	const char **rb_files;
	size_t n_rbs;
	struct batch **batches;
	const char **batch_files;
	size_t n_batches;
};

/* The directory part of a path ("" for a bare name), for the batch's CSV. */
static void dir_of(char *dir, size_t cap, const char *path)
{
	const char *a = strrchr(path, '/'), *b = strrchr(path, '\\');
	const char *sep = a > b ? a : b;
	size_t n = sep ? (size_t)(sep - path) : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
}

static ferry_err load_one(struct loaded *l, struct rb_issues *iss, const char *path)
{
	char *text = NULL, dir[4096];
	size_t len = 0;
	ferry_err err;

	if (rb_read_file(&text, &len, path, RUNBOOK_MAX_BYTES) != FERRY_OK) {
		err = rb_issues_add(iss, path, "", "%s", ferry_error_detail());
		return err != FERRY_OK ? err : FERRY_ECORRUPT;
	}
	switch (rb_doc_kind(text, len)) {
	case RB_DOC_NOT_JSON: /* the runbook reader reports where the syntax breaks */
	case RB_DOC_RUNBOOK: {
		struct runbook *rb = NULL;

		err = runbook_parse(&rb, iss, path, text, len);
		if (rb) {
			l->rbs[l->n_rbs] = rb;
			l->rb_files[l->n_rbs++] = path;
		}
		break;
	}
	case RB_DOC_BATCH: {
		struct batch *b = NULL;

		dir_of(dir, sizeof(dir), path);
		err = batch_parse(&b, iss, path, text, len, dir, true);
		if (b) {
			l->batches[l->n_batches] = b;
			l->batch_files[l->n_batches++] = path;
		}
		break;
	}
	default:
		err = rb_issues_add(iss, path, "/schema",
				    "must be \"" RUNBOOK_SCHEMA "\" or \"" BATCH_SCHEMA "\"");
		if (err == FERRY_OK)
			err = FERRY_ECORRUPT;
		break;
	}
	ferry_free(text);
	return err;
}

static int check(int n, char **files)
{
	struct loaded l = { 0 };
	struct rb_issues iss = { 0 };
	int rc = 1;

	l.rbs = ferry_calloc((size_t)n, sizeof(*l.rbs));
	l.rb_files = ferry_calloc((size_t)n, sizeof(*l.rb_files));
	l.batches = ferry_calloc((size_t)n, sizeof(*l.batches));
	l.batch_files = ferry_calloc((size_t)n, sizeof(*l.batch_files));
	if (!l.rbs || !l.rb_files || !l.batches || !l.batch_files) {
		fprintf(stderr, "ferry runbook check: out of memory\n");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (load_one(&l, &iss, files[i]) == FERRY_ENOMEM)
			goto oom;
	/* Cross-references only between documents that are valid themselves. */
	if (rb_check_refs(&iss, NULL, NULL, (const struct runbook *const *)l.rbs, l.rb_files,
			  l.n_rbs) == FERRY_ENOMEM)
		goto oom;
	for (size_t i = 0; i < l.n_batches; i++) {
		struct rb_issues tmp = { 0 };

		/* Runbook-only problems were reported above; keep the batch's. */
		if (rb_check_refs(&tmp, l.batches[i], l.batch_files[i],
				  (const struct runbook *const *)l.rbs, l.rb_files, l.n_rbs) == FERRY_ENOMEM)
			goto oom;
		for (size_t j = 0; j < tmp.n; j++)
			if (!strcmp(tmp.v[j].file, l.batch_files[i]) &&
			    rb_issues_add(&iss, tmp.v[j].file, tmp.v[j].pointer, "%s",
					  tmp.v[j].message) != FERRY_OK) {
				rb_issues_clear(&tmp);
				goto oom;
			}
		rb_issues_clear(&tmp);
	}
	for (size_t i = 0; i < iss.n; i++)
		printf("%s: %s (%s)\n", iss.v[i].pointer, iss.v[i].message, iss.v[i].file);
	if (!iss.n)
		printf("ok: %zu runbook(s), %zu batch(es)\n", l.n_rbs, l.n_batches);
	rc = iss.n ? 1 : 0;
	goto out;
oom:
	fprintf(stderr, "ferry runbook check: out of memory\n");
	rc = 1;
out:
	for (size_t i = 0; i < l.n_rbs; i++)
		runbook_free(l.rbs[i]);
	for (size_t i = 0; i < l.n_batches; i++)
		batch_free(l.batches[i]);
	ferry_free(l.rbs);
	ferry_free(l.rb_files);
	ferry_free(l.batches);
	ferry_free(l.batch_files);
	rb_issues_clear(&iss);
	return rc;
}

int cmd_runbook(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "check")) {
		fprintf(stderr, "usage: ferry runbook check FILE...\n");
		return CLI_EXIT_USAGE;
	}
	return check(argc - 2, argv + 2);
}
