/*
 * The agent's clock and simulated user, behind one interface (agent_clock.c),
 * so that the worker's loop reads the same on every clock:
 *
 *   real       the PC's clock; waits block on the wake event; nobody but
 *              the real user answers.
 *   fast       (tests, --fast-clock) serving on a test clock that jumps to
 *              each wake time and never past a wait for the user, who
 *              answers over the pipe (or, --simulate-cache-after S, the
 *              simulated user caches after S real seconds without one).
 *              --fast-clock-pace-ms N: each jump also takes N real ms, so
 *              a test can act while a runbook runs.
 *   simulated  (console rehearsal) the clock jumps to each wake time and
 *              the simulated user answers every screen at once.
 */
#ifndef FERRY_SVC_AGENT_CLOCK_H
#define FERRY_SVC_AGENT_CLOCK_H

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

#include "runbook/schedule.h"
#include "util/err.h"

enum agent_clock_kind { AGENT_CLOCK_REAL, AGENT_CLOCK_FAST, AGENT_CLOCK_SIMULATED };

/* What the simulated user did on its turn. */
enum agent_answer {
	AGENT_ANSWER_NONE,   /* nothing: wait for the real user */
	AGENT_ANSWER_CACHED, /* cached the target credentials */
	AGENT_ANSWER_START,  /* "start now" */
	AGENT_ANSWER_ACK,    /* acknowledged "migration complete" */
};

/* A story line the clock tells (narration; agent_story.c prints it). */
typedef void (*agent_say_fn)(void *ctx, const char *text);

struct agent_clock;

/**
 * A clock of `kind` starting at `start` (Unix seconds; ignored by the real
 * clock). simulate_cache_s: the fast clock's simulated user caches after
 * this many real seconds without a real answer (0 = never); pace_ms: real
 * time each of its jumps takes (0 = none). Free with agent_clock_free.
 */
ferry_err agent_clock_new(struct agent_clock **out, enum agent_clock_kind kind, int64_t start,
			  uint32_t simulate_cache_s, uint32_t pace_ms, agent_say_fn say,
			  void *say_ctx);
void agent_clock_free(struct agent_clock *c);

/** Unix seconds, UTC (svc_clock_fn: ctx is the clock). */
int64_t agent_clock_now(void *c);

/** A test clock (fast or simulated): a play that starts afresh and tells its story. */
bool agent_clock_is_test(const struct agent_clock *c);

/** Whether the device state is saved: not in a simulated play. */
bool agent_clock_saves_state(const struct agent_clock *c);

/** Whether a user counts as logged on at start (always on a test clock). */
bool agent_clock_user_logged_on(const struct agent_clock *c);

/** The user's turn on decision `d` (a prompt, an offer, the completion notice). */
enum agent_answer agent_clock_user(struct agent_clock *c, const struct schedule_decision *d);

/**
 * Wait `seconds` (-1: until an event) after decision `d`, with `lock`
 * held (released while blocking; `wake` ends a real wait early). Returns
 * false when the play is over: nothing left (exit code untouched), stuck
 * on something no clock can move or out of turns (*exit_code = 1, said).
 */
bool agent_clock_wait(struct agent_clock *c, int64_t seconds, const struct schedule_decision *d,
		      HANDLE wake, CRITICAL_SECTION *lock, int *exit_code);

#endif
