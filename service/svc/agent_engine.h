/*
 * The engine of the running runbook, as the worker drives it
 * (agent_engine.c): opened at its journal on first use, run one turn at a
 * time, and read back as progress for the experience. Only the worker
 * thread touches it.
 */
#ifndef FERRY_SVC_AGENT_ENGINE_H
#define FERRY_SVC_AGENT_ENGINE_H

#include <stdbool.h>

#include "engine/engine.h"
#include "ux/experience.h"

struct agent_engine;

/**
 * Engines over `pf` (borrowed), journaled as "<prefix>journal-<runbook>"
 * ("rehearsal-" keeps a rehearsal's journal apart). Free with
 * agent_engine_free.
 */
ferry_err agent_engine_new(struct agent_engine **out, const struct ferry_platform *pf,
			   const char *journal_prefix);
void agent_engine_free(struct agent_engine *e);

/** One turn of runbook `rb`'s engine (opened, or reopened for another runbook). */
ferry_err agent_engine_turn(struct agent_engine *e, const struct runbook *rb,
			    struct engine_result *res);
/** Close the engine (its journal stays); the next turn reopens and replays it. */
void agent_engine_close(struct agent_engine *e);
/** A new run starts: nothing is known of its engine until its first turn. */
void agent_engine_forget(struct agent_engine *e);

/** The engine's part of the experience while runbook `running` ("" = none) runs. */
void agent_engine_progress(const struct agent_engine *e, const char *running,
			   struct ux_experience_input *in);

/**
 * Where the run stands in docs/protocol.md's status phases, from the steps
 * done so far: "reacl_done" once a ReACL or profile remap step is done,
 * else "joined" once the ODJ import is, else "unjoined" once the unjoin is,
 * else "migrating". *next_step: the next step's op name ("" when none).
 */
const char *agent_engine_stage(const struct agent_engine *e, const char **next_step);

#endif
