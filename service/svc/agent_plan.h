/*
 * What the agent runs (agent_plan.c): a batch and its runbooks, loaded from
 * files (an admin's --batch; never BundleDir\batch.json unsigned) or taken from an accepted
 * bundle in memory, with the bundle's identity mapping (the only one: a
 * plan from files has none).
 */
#ifndef FERRY_SVC_AGENT_PLAN_H
#define FERRY_SVC_AGENT_PLAN_H

#include <stddef.h>

#include "net/bundle.h"
#include "net/idmap.h"
#include "runbook/runbook.h"

struct agent_plan {
	struct batch *batch;  /* NULL: nothing to do */
	struct runbook **rbs;
	size_t n_rbs;
	struct idmap *map;    /* the signed identity mapping; NULL: none */
	cJSON *packages;      /* the signed /packages list (a copy); NULL: none */
};

/** Load the batch file at `path` (UTF-8) and its runbooks beside it. */
ferry_err agent_plan_load(struct agent_plan *out, const char *path);
/** The batch and runbooks of an accepted bundle (parsed again from its payload). */
ferry_err agent_plan_from_bundle(struct agent_plan *out, const struct bundle *b);
/** The runbook `id` of the plan, or NULL. */
const struct runbook *agent_plan_find(const struct agent_plan *p, const char *id);
/** Free what the plan owns; it is empty again. */
void agent_plan_clear(struct agent_plan *p);

#endif
