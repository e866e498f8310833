/* Loading what the agent runs (agent_plan.h). */
#include "svc/agent_plan.h"

#include <stdio.h>
#include <string.h>

#include "net/agent.h"
#include "net/idmap.h"
#include "svc/svc.h"
#include "util/mem.h"

void agent_plan_clear(struct agent_plan *p)
{
	for (size_t i = 0; i < p->n_rbs; i++)
		runbook_free(p->rbs[i]);
	ferry_free(p->rbs);
	batch_free(p->batch);
	idmap_free(p->map);
	cJSON_Delete(p->packages);
	memset(p, 0, sizeof(*p));
}

const struct runbook *agent_plan_find(const struct agent_plan *p, const char *id)
{
	for (size_t i = 0; id && i < p->n_rbs; i++)
		if (!strcmp(p->rbs[i]->id, id))
			return p->rbs[i];
	return NULL;
}

static ferry_err load_runbooks(struct agent_plan *p, const char *batch_path, const char *dir,
			       struct rb_issues *iss)
{
	char path[MAX_PATH * 3 + 80];
	ferry_err err = FERRY_OK;

	if (!(p->rbs = ferry_calloc(p->batch->n_entries + 1, sizeof(*p->rbs))))
		return ferry_error_set(FERRY_ENOMEM, "agent: out of memory");
	for (size_t i = 0; i < p->batch->n_entries && err == FERRY_OK; i++) {
		char *text = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s%s%s.json", dir, *dir ? "\\" : "",
			 p->batch->entries[i].runbook);
		err = rb_read_file(&text, &len, path, RUNBOOK_MAX_BYTES);
		if (err == FERRY_OK)
			err = runbook_parse(&p->rbs[p->n_rbs], iss, path, text, len);
		if (err == FERRY_OK)
			p->n_rbs++;
		ferry_free(text);
	}
	if (err == FERRY_OK)
		err = rb_check_refs(iss, p->batch, batch_path, (const struct runbook *const *)p->rbs,
				    NULL, p->n_rbs);
	return err;
}

ferry_err agent_plan_load(struct agent_plan *out, const char *path)
{
	struct rb_issues iss = { 0 };
	char dir[MAX_PATH * 3], *text = NULL, *slash;
	size_t len = 0;
	ferry_err err;

	memset(out, 0, sizeof(*out));
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '\\');
	if (!slash || (strrchr(dir, '/') && strrchr(dir, '/') > slash))
		slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	err = rb_read_file(&text, &len, path, RUNBOOK_MAX_BYTES);
	if (err == FERRY_OK)
		err = batch_parse(&out->batch, &iss, path, text, len, dir, true);
	ferry_free(text);
	if (err == FERRY_OK)
		err = load_runbooks(out, path, dir, &iss);
	for (size_t i = 0; i < iss.n; i++)
		svc_log("%s %s: %s", iss.v[i].file, iss.v[i].pointer, iss.v[i].message);
	rb_issues_clear(&iss);
	if (err == FERRY_OK)
		svc_log("loaded batch %s with %zu runbook(s) from %s", out->batch->id, out->n_rbs,
			path);
	else
		agent_plan_clear(out);
	return err;
}

ferry_err agent_plan_from_accepted(struct agent_plan *out, const struct net_accepted *acc)
{
	struct net_bundle_documents *d = NULL;
	const cJSON *rows = net_accepted_idmap_rows(acc);
	ferry_err err;

	memset(out, 0, sizeof(*out));
	if ((err = net_accepted_documents(&d, acc)) != FERRY_OK)
		return err;
	/* The mapping was checked when it was verified; the plan keeps its own
	 * copy, since what was accepted is freed once handed over. */
	if (rows && (err = idmap_new(&out->map, rows, acc->bundle ? "bundle" : "assignment")) !=
		    FERRY_OK) {
		net_bundle_documents_free(d);
		return err;
	}
	/* The package digests the runner binds to (package_stage.c). */
	out->packages = cJSON_Duplicate(net_accepted_packages(acc, &out->packages_from), 1);
	out->batch = d->batch;
	out->rbs = d->runbooks;
	out->n_rbs = d->n_runbooks;
	d->batch = NULL;
	d->runbooks = NULL;
	d->n_runbooks = 0;
	net_bundle_documents_free(d);
	net_accepted_describe(acc, out->source, sizeof(out->source));
	svc_log("loaded batch %s with %zu runbook(s) and an identity mapping of %zu row(s) from "
		"%s", out->batch->id, out->n_rbs, out->map ? out->map->n : 0, out->source);
	return FERRY_OK;
}
