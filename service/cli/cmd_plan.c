/*
 * `ferry plan --batch B --runbooks DIR --state S.json --now T [--json]`:
 * print the scheduler's decision for one device. Runbooks are read from
 * DIR/<id>.json for every runbook the batch names and their prerequisites.
 * --json prints {"experience","runbook","action","next_check"} (runbook and
 * next_check may be null); otherwise a line of key=value pairs.
 * Exit 0, 1 if an input is invalid, 64 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "runbook/rfc3339.h"
#include "runbook/schedule.h"
#include "util/mem.h"

#define MAX_RUNBOOKS 64

struct plan_in {
	struct batch *batch;
	struct runbook *rbs[MAX_RUNBOOKS];
	size_t n;
	struct device_state_doc *state;
};

static bool have(const struct plan_in *in, const char *id)
{
	for (size_t i = 0; i < in->n; i++)
		if (!strcmp(in->rbs[i]->id, id))
			return true;
	return false;
}

/* Load DIR/<id>.json and, recursively, its prerequisites. */
static ferry_err load_rb(struct plan_in *in, struct rb_issues *iss, const char *dir,
			 const char *id)
{
	char path[4096], *text = NULL;
	size_t len;
	struct runbook *rb = NULL;
	ferry_err err;

	if (have(in, id))
		return FERRY_OK;
	if (in->n == MAX_RUNBOOKS)
		return ferry_error_set(FERRY_ERANGE, "more than %d runbooks", MAX_RUNBOOKS);
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	if ((err = rb_read_file(&text, &len, path, RUNBOOK_MAX_BYTES)) != FERRY_OK)
		return err;
	err = runbook_parse(&rb, iss, path, text, len);
	ferry_free(text);
	if (err)
		return err;
	if (strcmp(rb->id, id)) {
		err = ferry_error_set(FERRY_EMISMATCH, "%s holds runbook '%s'", path, rb->id);
		runbook_free(rb);
		return err;
	}
	in->rbs[in->n++] = rb;
	for (size_t i = 0; i < rb->prerequisites.n; i++)
		if ((err = load_rb(in, iss, dir, rb->prerequisites.v[i])) != FERRY_OK)
			return err;
	return FERRY_OK;
}

static ferry_err load_all(struct plan_in *in, struct rb_issues *iss, const char *batch_path,
			  const char *dir, const char *state_path)
{
	char *text = NULL;
	size_t len;
	ferry_err err;

	if ((err = rb_read_file(&text, &len, batch_path, RUNBOOK_MAX_BYTES)) != FERRY_OK)
		return err;
	/* Membership comes from the state's device_name; the CSV is not needed. */
	err = batch_parse(&in->batch, iss, batch_path, text, len, NULL, false);
	ferry_free(text);
	for (size_t i = 0; !err && i < in->batch->n_entries; i++)
		err = load_rb(in, iss, dir, in->batch->entries[i].runbook);
	if (!err) {
		const char *files[MAX_RUNBOOKS];

		for (size_t i = 0; i < in->n; i++)
			files[i] = dir;
		/* Problems land in iss, which the caller prints. */
		if (rb_check_refs(iss, in->batch, batch_path, (const struct runbook *const *)in->rbs,
				  files, in->n) == FERRY_ENOMEM)
			err = FERRY_ENOMEM;
	}
	if (err)
		return err;
	if ((err = rb_read_file(&text, &len, state_path, RUNBOOK_MAX_BYTES)) != FERRY_OK)
		return err;
	err = device_state_parse(&in->state, iss, state_path, text, len);
	ferry_free(text);
	return err;
}

static int print_decision(const struct schedule_decision *d, bool json)
{
	char when[RFC3339_BUF] = "null";
	cJSON *o;
	char *s;

	if (d->next_check != RB_TIME_NONE)
		rfc3339_format(when, d->next_check);
	if (!json) {
		printf("experience=%s runbook=%s action=%s next_check=%s",
		       schedule_experience_name(d->experience), d->runbook ? d->runbook : "null",
		       schedule_action_name(d->action), when);
		if (d->experience == SCHED_EXP_MIGRATION_STARTING && d->action != SCHED_ACT_START)
			printf(" minutes=%u", d->minutes);
		printf("\n");
		return 0;
	}
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "experience", schedule_experience_name(d->experience)) ||
	    !(d->runbook ? cJSON_AddStringToObject(o, "runbook", d->runbook) :
			   cJSON_AddNullToObject(o, "runbook")) ||
	    !cJSON_AddStringToObject(o, "action", schedule_action_name(d->action)) ||
	    !(d->next_check != RB_TIME_NONE ? cJSON_AddStringToObject(o, "next_check", when) :
					      cJSON_AddNullToObject(o, "next_check")) ||
	    !(s = cJSON_PrintUnformatted(o))) {
		cJSON_Delete(o);
		fprintf(stderr, "ferry plan: out of memory\n");
		return 1;
	}
	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
}

int cmd_plan(int argc, char **argv)
{
	const char *batch = NULL, *dir = NULL, *state = NULL, *now_s = NULL;
	struct plan_in in = { 0 };
	struct rb_issues iss = { 0 };
	struct schedule_decision d;
	bool json = false;
	int64_t now;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--batch") ? &batch :
				    !strcmp(argv[i], "--runbooks") ? &dir :
				    !strcmp(argv[i], "--state") ? &state :
				    !strcmp(argv[i], "--now") ? &now_s : NULL;

		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (slot && i + 1 < argc)
			*slot = argv[++i];
		else
			batch = dir = NULL; /* forces the usage message */
	}
	if (!batch || !dir || !state || !now_s) {
		fprintf(stderr, "usage: ferry plan --batch B --runbooks DIR --state S.json "
				"--now T [--json]\n");
		return CLI_EXIT_USAGE;
	}
	if (rfc3339_parse(&now, now_s) != FERRY_OK) {
		fprintf(stderr, "ferry plan: --now: %s\n", ferry_error_detail());
		return CLI_EXIT_USAGE;
	}
	if (load_all(&in, &iss, batch, dir, state) != FERRY_OK || iss.n) {
		for (size_t i = 0; i < iss.n; i++)
			fprintf(stderr, "%s: %s (%s)\n", iss.v[i].pointer, iss.v[i].message, iss.v[i].file);
		if (!iss.n)
			fprintf(stderr, "ferry plan: %s\n", ferry_error_detail());
		goto out;
	}
	schedule_decide(&d, in.batch, (const struct runbook *const *)in.rbs, in.n, &in.state->st, now);
	rc = print_decision(&d, json);
out:
	batch_free(in.batch);
	for (size_t i = 0; i < in.n; i++)
		runbook_free(in.rbs[i]);
	device_state_free(in.state);
	rb_issues_clear(&iss);
	return rc;
}
