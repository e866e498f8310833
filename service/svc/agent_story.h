/*
 * What the agent tells (agent_story.c): narration lines (the log; on a test
 * clock also stdout, stamped with the clock's time) and rehearsal records
 * (the log, rehearsal-records.txt beside the rehearsal journal, and stdout
 * on a test clock). tests/data/rehearse/batch-01.txt is this output.
 */
#ifndef FERRY_SVC_AGENT_STORY_H
#define FERRY_SVC_AGENT_STORY_H

#include "svc/agent_clock.h"
#include "engine/platform.h"
#include "util/err.h"

/*
 * Where the agent's transitions go besides the narration: svc_net's status
 * reports (docs/protocol.md, POST /v1/agents/{id}/status). `phase` is the
 * protocol's name; `runbook` and `step` may be "". Never secrets.
 */
typedef void (*agent_phase_fn)(void *ctx, const char *phase, const char *runbook,
			       const char *step);

struct agent_story {
	struct agent_clock *clock;           /* borrowed; its time stamps the lines */
	const struct ferry_platform *store;  /* borrowed; where records are kept */
	agent_phase_fn on_phase;             /* NULL = narration only */
	void *on_phase_ctx;
	char told[160];                      /* the last transition told (phase/runbook/step) */
};

/** One narration line (printf format). */
void agent_story_say(struct agent_story *s, const char *fmt, ...) FERRY_PRINTF(2, 3);
/** One narration line as given (agent_say_fn: ctx is the story). */
void agent_story_line(void *story, const char *text);
/**
 * A transition (phase of docs/protocol.md's status report): logged (not on
 * the test clock's stdout, the rehearsal's golden story), and handed to on_phase, once per change (the same phase, runbook and step
 * again is not a transition).
 */
void agent_story_phase(struct agent_story *s, const char *phase, const char *runbook,
		       const char *step);
/** One rehearsal record (rehearse_sink_fn: ctx is the story). */
void agent_story_record(void *story, const char *op, const char *args);

#endif
