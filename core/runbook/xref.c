/*
 * Cross-references between documents, checked after each one is valid on its
 * own: runbook ids are unique, prerequisites exist and form no cycle, and a
 * batch only schedules runbooks that exist, together with their
 * prerequisites, in an order in which they can actually complete.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runbook/rfc3339.h"
#include "runbook/runbook.h"
#include "util/mem.h"

struct xref {
	struct rb_issues *iss;
	const struct runbook *const *rbs;
	const char *const *files;
	size_t n;
	size_t problems;
	ferry_err err;
};

static void problem(struct xref *x, const char *file, const char *ptr, const char *msg)
{
	x->problems++;
	if (rb_issues_add(x->iss, file, ptr, "%s", msg) != FERRY_OK)
		x->err = FERRY_ENOMEM;
}

static size_t find(const struct xref *x, const char *id)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->rbs[i]->id, id))
			return i;
	return (size_t)-1;
}

/* Whether `to` is reachable from `from` along prerequisites; seen[] marks
 * visited runbooks so each is expanded once. */
static bool reaches(const struct xref *x, size_t from, size_t to, unsigned char *seen)
{
	if (from == to)
		return true;
	if (seen[from])
		return false;
	seen[from] = 1;
	for (size_t i = 0; i < x->rbs[from]->prerequisites.n; i++) {
		size_t w = find(x, x->rbs[from]->prerequisites.v[i]);

		if (w != (size_t)-1 && reaches(x, w, to, seen))
			return true;
	}
	return false;
}

/* Every prerequisite edge that lies on a cycle is reported, in each file on
 * the cycle, so the admin sees the whole loop whichever file they open. */
static void check_cycles(struct xref *x, unsigned char *seen)
{
	char ptr[48], msg[256];

	for (size_t v = 0; v < x->n; v++) {
		for (size_t i = 0; i < x->rbs[v]->prerequisites.n; i++) {
			size_t w = find(x, x->rbs[v]->prerequisites.v[i]);

			if (w == (size_t)-1 || w == v)
				continue;
			memset(seen, 0, x->n);
			if (!reaches(x, w, v, seen))
				continue;
			snprintf(ptr, sizeof(ptr), "/prerequisites/%zu", i);
			snprintf(msg, sizeof(msg), "prerequisite cycle: '%s' needs '%s', which needs '%s'",
				 x->rbs[v]->id, x->rbs[w]->id, x->rbs[v]->id);
			problem(x, x->files[v], ptr, msg);
		}
	}
}

static void check_runbooks(struct xref *x)
{
	unsigned char *color;
	char ptr[48], msg[256];

	for (size_t i = 0; i < x->n; i++) {
		if (find(x, x->rbs[i]->id) != i) {
			snprintf(msg, sizeof(msg), "runbook id '%s' is used by another file",
				 x->rbs[i]->id);
			problem(x, x->files[i], "/id", msg);
		}
		for (size_t j = 0; j < x->rbs[i]->prerequisites.n; j++) {
			if (find(x, x->rbs[i]->prerequisites.v[j]) != (size_t)-1)
				continue;
			snprintf(ptr, sizeof(ptr), "/prerequisites/%zu", j);
			snprintf(msg, sizeof(msg), "unknown runbook '%s'", x->rbs[i]->prerequisites.v[j]);
			problem(x, x->files[i], ptr, msg);
		}
	}
	if (!x->n)
		return;
	if (!(color = ferry_calloc(x->n, 1))) {
		x->err = FERRY_ENOMEM;
		return;
	}
	check_cycles(x, color);
	ferry_free(color);
}

static size_t entry_of(const struct batch *b, const char *id)
{
	for (size_t i = 0; i < b->n_entries; i++)
		if (!strcmp(b->entries[i].runbook, id))
			return i;
	return (size_t)-1;
}

static void check_batch(struct xref *x, const struct batch *b, const char *file)
{
	char ptr[64], msg[256];

	for (size_t i = 0; i < b->n_entries; i++) {
		const struct batch_entry *e = &b->entries[i];
		size_t r = find(x, e->runbook);

		snprintf(ptr, sizeof(ptr), "/runbooks/%zu/runbook", i);
		if (r == (size_t)-1) {
			snprintf(msg, sizeof(msg), "unknown runbook '%s' (not among the files given)",
				 e->runbook);
			problem(x, file, ptr, msg);
			continue;
		}
		for (size_t j = 0; j < x->rbs[r]->prerequisites.n; j++) {
			const char *pre = x->rbs[r]->prerequisites.v[j];
			size_t k = entry_of(b, pre);

			if (k == (size_t)-1) {
				snprintf(msg, sizeof(msg), "needs prerequisite '%s', which is not in the batch",
					 pre);
				problem(x, file, ptr, msg);
				continue;
			}
			/* RB_TIME_NONE is INT64_MIN: "available from the start". */
			if (b->entries[k].available_from > e->available_from) {
				char when[RFC3339_BUF] = "the start";

				if (b->entries[k].available_from != RB_TIME_NONE)
					rfc3339_format(when, b->entries[k].available_from);
				snprintf(ptr, sizeof(ptr), "/runbooks/%zu/available_from", i);
				snprintf(msg, sizeof(msg), "is before its prerequisite '%s' becomes "
					 "available (%s)", pre, when);
				problem(x, file, ptr, msg);
			}
		}
	}
}

ferry_err rb_check_refs(struct rb_issues *iss, const struct batch *b, const char *batch_file,
			const struct runbook *const *rbs, const char *const *rb_files, size_t n)
{
	struct xref x = { iss, rbs, rb_files, n, 0, FERRY_OK };

	check_runbooks(&x);
	if (b)
		check_batch(&x, b, batch_file ? batch_file : "");
	if (x.err)
		return ferry_error_set(FERRY_ENOMEM, "runbook check: out of memory");
	if (x.problems)
		return ferry_error_set(FERRY_ECORRUPT, "%zu cross-reference problem(s)", x.problems);
	return FERRY_OK;
}
