/*
 * The running runbook's engine (agent_engine.h). The engine only runs on the
 * worker thread, so the journal has one writer; engine_run returns after
 * each step's DONE is synced, so a stop between turns never leaves a
 * half-written record (the journal drops a torn tail anyway).
 */
#include "svc/agent_engine.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

struct agent_engine {
	const struct ferry_platform *pf;
	char prefix[16];
	struct engine *engine;
	const struct runbook *rb;    /* the runbook `engine` runs */
	struct engine_step *steps;   /* its plan, kept for the experience */
	size_t n_steps;
	bool known;                  /* `last` is this run's */
	struct engine_result last;
};

ferry_err agent_engine_new(struct agent_engine **out, const struct ferry_platform *pf,
			   const char *journal_prefix)
{
	struct agent_engine *e = ferry_calloc(1, sizeof(*e));

	*out = NULL;
	if (!e)
		return ferry_error_set(FERRY_ENOMEM, "engine: out of memory");
	e->pf = pf;
	snprintf(e->prefix, sizeof(e->prefix), "%s", journal_prefix);
	*out = e;
	return FERRY_OK;
}

void agent_engine_close(struct agent_engine *e)
{
	engine_free(e->engine);
	e->engine = NULL;
	e->rb = NULL;
}

void agent_engine_free(struct agent_engine *e)
{
	if (!e)
		return;
	agent_engine_close(e);
	ferry_free(e->steps);
	ferry_free(e);
}

void agent_engine_forget(struct agent_engine *e)
{
	e->known = false;
}

static ferry_err ensure(struct agent_engine *e, const struct runbook *rb)
{
	char name[128];
	struct engine_step *steps = NULL;
	size_t n = 0;
	ferry_err err;

	if (e->engine && e->rb == rb)
		return FERRY_OK;
	agent_engine_close(e);
	snprintf(name, sizeof(name), "%sjournal-%s", e->prefix, rb->id);
	if ((err = engine_plan(&steps, &n, rb)) != FERRY_OK)
		return err;
	if ((err = engine_open(&e->engine, e->pf, rb, name)) != FERRY_OK) {
		ferry_free(steps);
		return err;
	}
	e->rb = rb;
	ferry_free(e->steps);
	e->steps = steps;
	e->n_steps = n;
	return FERRY_OK;
}

ferry_err agent_engine_turn(struct agent_engine *e, const struct runbook *rb,
			    struct engine_result *res)
{
	ferry_err err = ensure(e, rb);

	if (err == FERRY_OK)
		err = engine_run(e->engine, res);
	if (err != FERRY_OK) {
		agent_engine_close(e);
		return err;
	}
	e->last = *res;
	e->known = true;
	return FERRY_OK;
}

/* The fallback account exists between its create step and its delete step. */
static bool fallback_available(const struct agent_engine *e)
{
	bool made = false;

	for (size_t i = 0; i < e->n_steps && i < e->last.step; i++) {
		if (e->steps[i].op == OP_CREATE_FALLBACK_ACCOUNT)
			made = true;
		else if (e->steps[i].op == OP_DELETE_FALLBACK_ACCOUNT)
			made = false;
	}
	return made;
}

void agent_engine_progress(const struct agent_engine *e, const char *running,
			   struct ux_experience_input *in)
{
	bool engine = e->known && running[0] && e->steps;

	in->engine_known = engine;
	if (engine) {
		in->status = e->last.status;
		in->phase = e->last.phase;
		in->step = e->last.step;
		in->n_steps = e->n_steps;
		in->step_name = e->last.step < e->n_steps ? engine_op_name(e->steps[e->last.step].op)
							  : NULL;
	}
	in->fallback_available = running[0] && e->known && fallback_available(e);
}

const char *agent_engine_stage(const struct agent_engine *e, const char **next_step)
{
	const char *stage = "migrating";
	int rank = 0;

	*next_step = "";
	if (!e->known || !e->steps)
		return stage;
	for (size_t i = 0; i < e->n_steps && i < e->last.step; i++) {
		enum engine_op op = e->steps[i].op;

		if (rank < 3 && (op == OP_REACL_PATHS || op == OP_REACL_REGISTRY_HIVES ||
				 op == OP_REMAP_PROFILE))
			stage = "reacl_done", rank = 3;
		else if (rank < 2 && op == OP_IMPORT_ODJ)
			stage = "joined", rank = 2;
		else if (rank < 1 && op == OP_UNJOIN_DOMAIN)
			stage = "unjoined", rank = 1;
	}
	if (e->last.step < e->n_steps)
		*next_step = engine_op_name(e->steps[e->last.step].op);
	return stage;
}
