/* Narration and rehearsal records (agent_story.h). */
#include "svc/agent_story.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/rehearse.h"
#include "runbook/rfc3339.h"
#include "svc/svc.h"

#define RECORDS_FILE "rehearsal-records.txt"

void agent_story_line(void *story, const char *text)
{
	struct agent_story *s = story;
	char t[RFC3339_BUF];

	svc_log("%s", text);
	if (agent_clock_is_test(s->clock) &&
	    rfc3339_format(t, agent_clock_now(s->clock)) == FERRY_OK) {
		printf("# %s %s\n", t, text);
		fflush(stdout);
	}
}

void agent_story_say(struct agent_story *s, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	agent_story_line(s, text);
}

void agent_story_phase(struct agent_story *s, const char *phase, const char *runbook,
		       const char *step)
{
	char told[sizeof(s->told)];

	snprintf(told, sizeof(told), "%s/%s/%s", phase, runbook, step);
	if (!strcmp(told, s->told))
		return;
	memcpy(s->told, told, sizeof(told));
	/* The log only: the test clock's stdout is the rehearsal's golden story. */
	svc_log("phase %s%s%s%s%s", phase, runbook[0] ? ", runbook " : "", runbook,
		step[0] ? ", next step " : "", step);
	if (s->on_phase)
		s->on_phase(s->on_phase_ctx, phase, runbook, step);
}

void agent_story_record(void *story, const char *op, const char *args)
{
	struct agent_story *s = story;
	char line[REHEARSE_RECORD_MAX + 80];
	int n = snprintf(line, sizeof(line), "%s%s%s\n", op, *args ? " " : "", args);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	svc_log("rehearsal: %.*s", n - 1, line);
	if (agent_clock_is_test(s->clock)) {
		fputs(line, stdout);
		fflush(stdout);
	}
	/* Kept beside the rehearsal journal for admins (not synced: a record). */
	(void)s->store->storage_append(s->store->ctx, RECORDS_FILE, (const uint8_t *)line,
				       (size_t)n);
}
