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

struct agent_story {
	struct agent_clock *clock;           /* borrowed; its time stamps the lines */
	const struct ferry_platform *store;  /* borrowed; where records are kept */
};

/** One narration line (printf format). */
void agent_story_say(struct agent_story *s, const char *fmt, ...) FERRY_PRINTF(2, 3);
/** One narration line as given (agent_say_fn: ctx is the story). */
void agent_story_line(void *story, const char *text);
/** One rehearsal record (rehearse_sink_fn: ctx is the story). */
void agent_story_record(void *story, const char *op, const char *args);

#endif
