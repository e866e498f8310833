/*
 * The migration engine: turns a runbook into an ordered list of steps (one
 * platform op each), runs them through struct ferry_platform, and journals
 * every transition so that it resumes after any crash, power loss or
 * reboot. docs/engine.md describes phases, steps, resume rules and the
 * failure policy.
 */
#ifndef FERRY_ENGINE_ENGINE_H
#define FERRY_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/platform.h"
#include "runbook/runbook.h"
#include "util/err.h"

enum engine_phase {
	PHASE_STARTUP,
	PHASE_USER_EXPERIENCE,
	PHASE_DEVICE_STATE,
	PHASE_PERMISSION_UPDATES,
	PHASE_APP_RECONFIGURATION,
	PHASE_COMPLETION,
	PHASE_CLEANUP, /* after the user-visible migration: deferred fallback deletion */
};

enum engine_op {
	OP_CACHE_CREDENTIALS,
	OP_CREATE_FALLBACK_ACCOUNT,
	OP_SET_LOCK_SCREEN,
	OP_SET_LEGAL_NOTICE,
	OP_SET_PREVENT_LOGIN,
	OP_RUN_COMMAND_PACKAGE,
	OP_NOTIFY_USER,
	OP_UNJOIN_DOMAIN,
	OP_LEAVE_ENTRA,
	OP_REBOOT,
	OP_IMPORT_ODJ,
	OP_REACL_PATHS,
	OP_REACL_REGISTRY_HIVES,
	OP_REMAP_PROFILE,
	OP_RESET_APPS,
	OP_RESTORE_LOCK_SCREEN,
	OP_RESTORE_LEGAL_NOTICE,
	OP_CLEAR_PREVENT_LOGIN,
	OP_UNINSTALL_AGENT,
	OP_DELETE_FALLBACK_ACCOUNT,
	OP_OBTAIN_ODJ,
	OP_COUNT
};

enum engine_op_class { OP_IDEMPOTENT, OP_CHECK_THEN_ACT };

struct engine_step {
	enum engine_phase phase;
	enum engine_op op;
	const char *arg;        /* package id, borrowed from the runbook; or NULL */
	unsigned delay_seconds; /* not before this long after the previous step was done */
};

/** Each op's class (the table in platform.h). */
enum engine_op_class engine_op_class(enum engine_op op);
const char *engine_op_name(enum engine_op op);
const char *engine_phase_name(enum engine_phase phase);

/**
 * The runbook's steps, in order. *out is an array the caller frees with
 * ferry_free; it borrows strings from `rb`, which must outlive it.
 */
ferry_err engine_plan(struct engine_step **out, size_t *n, const struct runbook *rb);

enum engine_status {
	ENGINE_DONE,      /* every step done (COMPLETE journaled) */
	ENGINE_REBOOTING, /* a reboot was requested; call engine_run again after it */
	ENGINE_WAITING,   /* call again at wake_at (backoff, a delay, or the user) */
	ENGINE_STOPPED,   /* the failure policy stopped the migration; see reason */
};

struct engine_result {
	enum engine_status status;
	int64_t wake_at;          /* ENGINE_WAITING */
	enum engine_phase phase;  /* of the next step (or the last one when done) */
	size_t step;              /* index of the next step */
	char reason[256];         /* ENGINE_STOPPED: why */
};

struct engine;

/**
 * Open (or create) the journal `journal_name` and replay it for runbook `rb`.
 * FERRY_EMISMATCH if the journal belongs to a different runbook or plan.
 * `p` and `rb` must outlive the engine.
 */
ferry_err engine_open(struct engine **out, const struct ferry_platform *p,
		      const struct runbook *rb, const char *journal_name);

/**
 * Run steps until done, a reboot, a wait, or a stop. An error return means
 * the platform's storage failed (the journal can no longer be trusted): the
 * caller drops the engine and reopens it later, exactly as after a crash.
 */
ferry_err engine_run(struct engine *e, struct engine_result *res);

/** Renew the prevent-login lease while it is meant to be on (idempotent). */
ferry_err engine_renew_lease(struct engine *e);

/** NULL-safe. */
void engine_free(struct engine *e);

/* Compaction threshold: after this many records the journal is folded into a checkpoint. */
#define ENGINE_COMPACT_AFTER 32u

#endif
