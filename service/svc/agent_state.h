/*
 * What the device knows across reboots (agent_state.c): credentials cached
 * and whose, completed runbooks, snooze, the start notice, the running
 * runbook, the user's answers. A plain record owned by the agent (agent.c,
 * under its lock); this file reads and writes it through core's state file
 * format (device_state_parse / device_state_format).
 */
#ifndef FERRY_SVC_AGENT_STATE_H
#define FERRY_SVC_AGENT_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/platform.h"
#include "ipc/msg.h"
#include "runbook/runbook.h"
#include "runbook/schedule.h"

struct agent_state {
	bool creds;                            /* some target account was cached */
	char creds_user[IPC_NAME_MAX * 2 + 2]; /* DOMAIN\user last cached; "" when unknown */
	char **cached;                         /* every target account cached (DOMAIN\user) */
	size_t n_cached;
	char **completed;
	size_t n_completed;
	int64_t snoozed_until, start_announced_at; /* RB_TIME_NONE when unset */
	char running[RUNBOOK_ID_MAX + 1];           /* "" when nothing runs */
	bool start_requested, complete_ack, user_logged_on;
};

/** A fresh state (nothing known). */
void agent_state_init(struct agent_state *s);
/** Free what the state owns and make it fresh again. */
void agent_state_clear(struct agent_state *s);

/** The state as the scheduler reads it (borrowed strings; the caller adds the rest). */
void agent_state_view(const struct agent_state *s, struct device_state *out);

/** Record target account `name` (DOMAIN\user) as cached, once. */
ferry_err agent_state_add_cached(struct agent_state *s, const char *name);

/** Record runbook `id` as complete; FERRY_ENOMEM leaves the list as it was. */
ferry_err agent_state_add_completed(struct agent_state *s, const char *id);

/** Read `file` from `store` into *s; FERRY_ENOTFOUND leaves *s fresh. */
ferry_err agent_state_restore(struct agent_state *s, const struct ferry_platform *store,
			      const char *file);
/** Write *s to `file` in `store` (atomic replace). */
ferry_err agent_state_save(const struct agent_state *s, const struct ferry_platform *store,
			   const char *file);

#endif
