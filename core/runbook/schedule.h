/*
 * The scheduler: a pure function from (batch, runbooks, device state, now) to
 * what the device shows and does next. No clock, no I/O: the service passes
 * `now` and records what the user did (snooze, start, acknowledge) in the
 * device state. docs/runbooks.md ("Scheduling") states the rules in prose;
 * tests/unit/test_schedule.c holds them as a table.
 */
#ifndef FERRY_RUNBOOK_SCHEDULE_H
#define FERRY_RUNBOOK_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runbook/runbook.h"

/* How long after enforcement the user is warned before the migration starts. */
#define SCHEDULE_START_WARNING_SECONDS 3600

enum schedule_experience {
	SCHED_EXP_NONE,
	SCHED_EXP_CACHE_CREDENTIALS,
	SCHED_EXP_MIGRATION_AVAILABLE,
	SCHED_EXP_MIGRATION_STARTING,
	SCHED_EXP_MIGRATION_IN_PROGRESS,
	SCHED_EXP_MIGRATION_COMPLETE,
	SCHED_EXP_SERVICE_UNAVAILABLE,
};

enum schedule_action {
	SCHED_ACT_NONE,           /* nothing left for this device */
	SCHED_ACT_WAIT,           /* nothing to do until next_check (or an event) */
	SCHED_ACT_PROMPT_CACHE,   /* ask the user for target credentials */
	SCHED_ACT_OFFER,          /* offer "start now" or "snooze" */
	SCHED_ACT_ANNOUNCE_START, /* tell the user it starts in 60 min; record start_announced_at */
	SCHED_ACT_COUNTDOWN,      /* already announced; starts at next_check */
	SCHED_ACT_START,          /* start the runbook now */
	SCHED_ACT_CONTINUE,       /* a runbook is running; the engine continues it */
	SCHED_ACT_SHOW_COMPLETE,  /* show "migration complete"; record complete_acknowledged */
};

/* What the service knows about the device. Strings are borrowed. */
struct device_state {
	bool credentials_cached;         /* the prerequisite holds (schedule_credentials_ready) */
	const char *credentials_user;    /* whose credentials were cached last, or NULL */
	const char *const *cached_accounts; /* every target account cached here (DOMAIN\user) */
	size_t n_cached_accounts;
	const char *const *completed;    /* completed runbook ids */
	size_t n_completed;
	int64_t snoozed_until;           /* RB_TIME_NONE when not snoozed */
	const char *running_runbook;     /* NULL when nothing runs */
	const char *running_phase;
	bool server_reachable;
	bool user_logged_on;
	bool complete_acknowledged;
	int64_t start_announced_at;      /* RB_TIME_NONE until the 60-minute warning was shown */
	bool start_requested;            /* the user chose "start now" */
	const char *device_name;         /* NULL = do not check batch membership */
};

struct schedule_decision {
	enum schedule_experience experience;
	const char *runbook;  /* id the decision concerns (borrowed), or NULL */
	enum schedule_action action;
	int64_t next_check;   /* when time alone may change the decision; RB_TIME_NONE = never */
	unsigned minutes;     /* for SCHED_EXP_MIGRATION_STARTING: minutes until the start */
};

/** Decide. `rbs` holds the batch's runbooks (any order; missing ones are skipped). */
void schedule_decide(struct schedule_decision *out, const struct batch *b,
		     const struct runbook *const *rbs, size_t n_rbs,
		     const struct device_state *st, int64_t now);

const char *schedule_experience_name(enum schedule_experience e);
const char *schedule_action_name(enum schedule_action a);

/**
 * "Credentials cached" per target account (docs/runbooks.md): true when
 * `cached` holds every account of `mapped` (RB_CREDS_EVERY_MAPPED_USER) or
 * one of them (RB_CREDS_ANY_MAPPED_USER). `mapped` is the mapped target
 * accounts of this PC's users (DOMAIN\user); with none mapped, any cached
 * account counts. Names compare without case.
 */
bool schedule_credentials_ready(enum rb_creds_rule rule, const char *const *mapped,
				size_t n_mapped, const char *const *cached, size_t n_cached);

/* A device_state read from the state file; owns its strings. */
struct device_state_doc {
	struct device_state st;
	char *strings[5];
	struct rb_strlist completed;
	struct rb_strlist cached;
};

/**
 * Parse a state file (keys: credentials_cached, credentials_user,
 * cached_accounts, completed,
 * snoozed_until, running {runbook, phase}, server_reachable, user_logged_on,
 * complete_acknowledged, start_announced_at, start_requested, device_name).
 * Problems go to `iss` with JSON Pointers; FERRY_ECORRUPT if any.
 */
ferry_err device_state_parse(struct device_state_doc **out, struct rb_issues *iss,
			     const char *file, const char *json, size_t len);

/** NULL-safe. */
void device_state_free(struct device_state_doc *d);

/**
 * The state file for `st`, as device_state_parse reads it back: the keys
 * the service keeps across reboots (credentials_cached, credentials_user,
 * cached_accounts,
 * completed, snoozed_until, running.runbook, complete_acknowledged,
 * start_announced_at, start_requested). *out is freed with cJSON_free.
 */
ferry_err device_state_format(char **out, const struct device_state *st);

#endif
