/*
 * The agent's clocks and simulated user (agent_clock.h). Every difference
 * between a real run, a served play on the test clock and a console play
 * lives here; the worker's loop (agent.c) only asks.
 */
#include "svc/agent_clock.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/mem.h"

#define MAX_WAIT_S 900          /* re-decide (and renew the lease) at least this often */
#define SIM_MAX_ITERATIONS 10000

struct agent_clock {
	enum agent_clock_kind kind;
	int64_t now;                          /* test clocks */
	uint32_t simulate_cache_s;
	uint32_t pace_ms;                     /* fast: real time per jump */
	enum schedule_experience waiting_for; /* fast: the screen last said */
	ULONGLONG waiting_since;              /* fast: GetTickCount64 when it was */
	unsigned long turns;                  /* simulated: loop turns so far */
	agent_say_fn say;
	void *say_ctx;
};

static void say(struct agent_clock *c, const char *fmt, ...) FERRY_PRINTF(2, 3);

static void say(struct agent_clock *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (c->say)
		c->say(c->say_ctx, text);
}

ferry_err agent_clock_new(struct agent_clock **out, enum agent_clock_kind kind, int64_t start,
			  uint32_t simulate_cache_s, uint32_t pace_ms, agent_say_fn say_fn,
			  void *say_ctx)
{
	struct agent_clock *c = ferry_calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return ferry_error_set(FERRY_ENOMEM, "clock: out of memory");
	c->kind = kind;
	c->now = start;
	c->simulate_cache_s = simulate_cache_s;
	c->pace_ms = pace_ms;
	c->say = say_fn;
	c->say_ctx = say_ctx;
	*out = c;
	return FERRY_OK;
}

void agent_clock_free(struct agent_clock *c)
{
	ferry_free(c);
}

int64_t agent_clock_now(void *ctx)
{
	const struct agent_clock *c = ctx;
	FILETIME ft;
	ULARGE_INTEGER u;

	if (c->kind != AGENT_CLOCK_REAL)
		return c->now;
	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	return (int64_t)(u.QuadPart / 10000000ull) - 11644473600ll;
}

bool agent_clock_is_test(const struct agent_clock *c)
{
	return c->kind != AGENT_CLOCK_REAL;
}

bool agent_clock_saves_state(const struct agent_clock *c)
{
	return c->kind != AGENT_CLOCK_SIMULATED;
}

bool agent_clock_user_logged_on(const struct agent_clock *c)
{
	return c->kind != AGENT_CLOCK_REAL || WTSGetActiveConsoleSessionId() != 0xFFFFFFFFu;
}

/* Simulated: every screen is answered at once. */
static enum agent_answer simulated_user(struct agent_clock *c, const struct schedule_decision *d)
{
	switch (d->action) {
	case SCHED_ACT_PROMPT_CACHE:
		say(c, "user: caches the target credentials (simulated)");
		return AGENT_ANSWER_CACHED;
	case SCHED_ACT_OFFER:
		say(c, "user: start now (simulated)");
		return AGENT_ANSWER_START;
	case SCHED_ACT_SHOW_COMPLETE:
		say(c, "user: acknowledges \"migration complete\" (simulated)");
		return AGENT_ANSWER_ACK;
	default:
		return AGENT_ANSWER_NONE;
	}
}

/* Fast: the real user answers over the pipe, on the real clock (the test
 * clock never jumps past it). Said once per screen. A test that cannot
 * answer the prompt for real (user_story.py under Wine: its harness is no
 * SYSTEM caller) asks for the simulated answer, said as such. */
static enum agent_answer fast_user(struct agent_clock *c, const struct schedule_decision *d)
{
	if (c->waiting_for != d->experience) {
		say(c, "waiting for the user: %s", schedule_experience_name(d->experience));
		c->waiting_for = d->experience;
		c->waiting_since = GetTickCount64();
	}
	if (d->action == SCHED_ACT_PROMPT_CACHE && c->simulate_cache_s &&
	    GetTickCount64() - c->waiting_since >= c->simulate_cache_s * 1000ull) {
		say(c, "user: caches the target credentials (simulated after %u s without a real "
		       "answer)", (unsigned)c->simulate_cache_s);
		return AGENT_ANSWER_CACHED;
	}
	return AGENT_ANSWER_NONE;
}

enum agent_answer agent_clock_user(struct agent_clock *c, const struct schedule_decision *d)
{
	switch (c->kind) {
	case AGENT_CLOCK_SIMULATED:
		return simulated_user(c, d);
	case AGENT_CLOCK_FAST:
		return fast_user(c, d);
	case AGENT_CLOCK_REAL:
		break;
	}
	return AGENT_ANSWER_NONE;
}

/* Fast, nothing to wait for but an event: the user's turn (go on waiting)
 * or the end: nothing left (exit 0), or stuck on something no clock can
 * move (exit 1, saying what). */
static bool fast_waits_for_event(struct agent_clock *c, const struct schedule_decision *d,
				 int *exit_code)
{
	switch (d->action) {
	case SCHED_ACT_PROMPT_CACHE:
	case SCHED_ACT_OFFER:
	case SCHED_ACT_SHOW_COMPLETE:
		return true;
	case SCHED_ACT_NONE:
		break;
	default:
		say(c, "rehearsal: stuck at %s (%s); no clock can move it",
		    schedule_action_name(d->action), schedule_experience_name(d->experience));
		*exit_code = 1;
		break;
	}
	return false;
}

static void block_ms(DWORD ms, HANDLE wake, CRITICAL_SECTION *lock)
{
	LeaveCriticalSection(lock);
	if (ms)
		WaitForSingleObject(wake, ms);
	EnterCriticalSection(lock);
}

bool agent_clock_wait(struct agent_clock *c, int64_t seconds, const struct schedule_decision *d,
		      HANDLE wake, CRITICAL_SECTION *lock, int *exit_code)
{
	switch (c->kind) {
	case AGENT_CLOCK_SIMULATED:
		if (seconds < 0)
			return false;
		c->now += seconds;
		if (++c->turns > SIM_MAX_ITERATIONS) {
			say(c, "rehearsal: did not finish after %d turns", SIM_MAX_ITERATIONS);
			*exit_code = 1;
			return false;
		}
		return true;
	case AGENT_CLOCK_FAST:
		if (seconds >= 0) { /* a wait on time: jump */
			c->now += seconds;
			block_ms(c->pace_ms, wake, lock);
			return true;
		}
		if (!fast_waits_for_event(c, d, exit_code))
			return false;
		block_ms(1000, wake, lock); /* the user's turn: re-decide often */
		return true;
	case AGENT_CLOCK_REAL:
		break;
	}
	if (seconds < 0 || seconds > MAX_WAIT_S)
		seconds = MAX_WAIT_S;
	if (seconds)
		block_ms((DWORD)seconds * 1000u, wake, lock);
	return true;
}
