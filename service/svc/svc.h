/*
 * ferrysvc.exe internals: options, the agent (batch, scheduler, engine
 * worker, experience), the pipe server, the platform binding and the log.
 *
 * Threads: the SCM (or console) thread, one engine worker, and a bounded
 * pool of pipe threads (SVC_PIPE_INSTANCES). The agent's state is guarded by
 * one critical section; the experience carries a generation counter and a
 * condition variable wakes subscribers when it changes.
 */
#ifndef FERRY_SVC_SVC_H
#define FERRY_SVC_SVC_H

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/platform.h"
#include "engine/rehearse.h"
#include "ipc/authz.h"
#include "ipc/msg.h"
#include "runbook/runbook.h"
#include "runbook/schedule.h"
#include "util/err.h"

#define SVC_DEFAULT_NAME L"Ferry"
#define SVC_DEFAULT_PIPE L"\\\\.\\pipe\\Ferry.Agent"
#define SVC_PIPE_INSTANCES 24       /* >= 16 concurrent clients, bounded */
#define SVC_READ_TIMEOUT_MS 30000   /* a connection idle this long is closed */
#define SVC_STOP_BUDGET_MS 5000     /* SERVICE_CONTROL_STOP finishes within this */
#define SVC_REG_KEY L"SOFTWARE\\Ferry"

struct svc_options {
	wchar_t name[128];      /* SCM service name (tests use their own) */
	wchar_t pipe[256];      /* full pipe path */
	wchar_t state_dir[MAX_PATH]; /* "" = %ProgramData%\Ferry\state */
	char batch[MAX_PATH * 3];    /* UTF-8 path of the batch file; "" = <bundle_dir>\batch.json */
	char table[MAX_PATH * 3];    /* UTF-8 path of the translation table; "" = <bundle_dir>\table.csv|json */
	char bundle_dir[MAX_PATH * 3]; /* UTF-8, from svc_config_load (policy over MSI); may be "" */
	char signing_key[80];   /* SigningPublicKey (64 hex digits), from svc_config_load; may be "" */
	char device[256];       /* "" = this computer's name */
	bool rehearse;
	bool simulate;          /* console rehearsal: simulated clock and user */
	bool fast_clock;        /* serving rehearsal on the test clock: real answers over the
				 * pipe; the clock jumps only when the agent waits on time */
	uint32_t simulate_cache_s; /* fast_clock: the simulated user caches the credentials
				    * after this many real seconds without a real answer; 0 = never */
	bool service;           /* started by the SCM */
	/* Migration server (svc_net.c); "" = from policy/MSI (service/win/config.h). */
	char server[1024], pin[128], ca[MAX_PATH * 3];
	uint32_t poll_s;        /* tests: poll this often; 0 = the server's interval */
};

/* --- log (svc_log.c) ---------------------------------------------------- */

enum svc_event {
	SVC_EV_STARTED, SVC_EV_STOPPED, SVC_EV_RUNBOOK_STARTED, SVC_EV_RUNBOOK_COMPLETE,
	SVC_EV_RUNBOOK_STOPPED, SVC_EV_STEP_FAILED, SVC_EV_FAILURE, SVC_EV_REHEARSAL,
};

/** Open the file log in `dir` ("" = %ProgramData%\Ferry\logs) and the event source. */
void svc_log_open(const wchar_t *dir, const wchar_t *event_source, bool echo_stderr);
void svc_log_close(void);
/** One UTF-8 line in the file log (and stderr in the console). Never pass a secret. */
void svc_log(const char *fmt, ...) FERRY_PRINTF(1, 2);
/** A milestone or failure: the file log and the Windows Event Log. */
void svc_log_event(enum svc_event ev, const char *fmt, ...) FERRY_PRINTF(2, 3);
/** Queue an event for the migration server (svc_net.c; no-op without one). Never a secret. */
void svc_net_event(const char *kind, const char *detail);
/** Escrow the fallback password to the migration server (svc_net.c; no-op without one). */
struct ferry_secret;
void svc_net_escrow(const struct ferry_secret *pw);
/** Register / remove the event source (HKLM\...\EventLog\Application\<name>). */
ferry_err svc_log_register_source(const wchar_t *name, const wchar_t *exe_path);
ferry_err svc_log_unregister_source(const wchar_t *name);

/**
 * Fill o->bundle_dir, o->signing_key and (unless already on) o->rehearse
 * from svc_config_load: HKLM\SOFTWARE\Policies\Ferry over HKLM\SOFTWARE\Ferry.
 */
ferry_err svc_options_load_config(struct svc_options *o);

/** Ask the service (or console run) to stop, from any thread but the SCM handler. */
void svc_request_stop(void);

/* --- platform (svc_platform.c) -------------------------------------------- */

struct svc_agent;
struct sec_table;

struct svc_platform {
	struct ferry_platform ops;
	struct svc_agent *agent;   /* cache_credentials asks it whether they are cached */
	wchar_t state_dir[MAX_PATH];
	const int64_t *sim_clock;  /* non-NULL: the rehearsal's simulated clock */
	CRITICAL_SECTION io;       /* storage calls from several threads */
	/* The profile ops' context (svc_profile.c): the translation table,
	 * loaded at the first profile op, and the migrated user's SIDs. */
	struct sec_table *table;
	char source_sid[192], target_sid[192];
	/* uninstall_agent scheduled the MSI removal: the worker stops the service. */
	volatile LONG uninstall_scheduled;
	/* svc_texts.c: the table the engine drives, over `texts_inner`. */
	struct ferry_platform texts;
	const struct ferry_platform *texts_inner;
};

/** Bind the Windows ops, storage under state_dir (created) and the clock. */
ferry_err svc_platform_init(struct svc_platform *p, const wchar_t *state_dir,
			    struct svc_agent *agent, const int64_t *sim_clock);
void svc_platform_free(struct svc_platform *p);

/**
 * The MigrationRunning hint for ferrycp.dll (win/hints.h) when runbook `rb`
 * (one with a startup phase) starts or ends; nothing in rehearsal.
 */
void svc_platform_migration_hint(struct svc_platform *p, const struct runbook *rb, bool running);

/**
 * The table the engine drives: `inner` (Windows, or the rehearsal over it)
 * with set_legal_notice's placeholders expanded first (svc_texts.c).
 */
const struct ferry_platform *svc_texts_wrap(struct svc_platform *p,
					    const struct ferry_platform *inner);
struct ux_vars;
/** The placeholder values for runbook `rb`; `user` holds the target user. */
void svc_texts_vars(struct svc_agent *a, const struct runbook *rb, struct ux_vars *v,
		    char *user, size_t user_cap);

struct svc_profile_ctx;
/**
 * The profile ops' context (svc_profile.c): the translation table and the
 * migrated user's SIDs. Fails naming what is missing (no table, no cached
 * user, user not in the table), with `op` in the message.
 */
ferry_err svc_profile_context(struct svc_platform *p, const char *op, struct svc_profile_ctx *out);

/* Durable storage (svc_storage.c); ctx is a struct svc_platform. */
ferry_err svc_storage_read(void *ctx, const char *name, uint8_t **data, size_t *len);
ferry_err svc_storage_append(void *ctx, const char *name, const uint8_t *data, size_t len);
ferry_err svc_storage_replace(void *ctx, const char *name, const uint8_t *data, size_t len);
ferry_err svc_storage_sync(void *ctx, const char *name);
/** Delete a storage file (absent = success). */
ferry_err svc_storage_delete(void *ctx, const char *name);
/** %ProgramData%\Ferry\<sub>, created. */
ferry_err svc_program_data(wchar_t *out, size_t cap, const wchar_t *sub);

/* --- agent (svc_agent.c) -------------------------------------------------- */

/** Load batch + runbooks and start the engine worker. */
ferry_err svc_agent_start(struct svc_agent **out, const struct svc_options *o);
/** Stop the worker (journal left consistent), within SVC_STOP_BUDGET_MS. NULL-safe. */
void svc_agent_stop(struct svc_agent *a);
/** Wake subscribers and the worker so they return promptly (before stop). */
void svc_agent_shutdown_begin(struct svc_agent *a);
/** Whether the agent's worker finished on its own (simulated rehearsal done). */
bool svc_agent_finished(struct svc_agent *a, int *exit_code);

void svc_agent_experience(struct svc_agent *a, struct ipc_experience *out);
/** Long poll: returns when generation != since or after timeout_ms. */
bool svc_agent_wait(struct svc_agent *a, uint64_t since, uint32_t timeout_ms,
		    struct ipc_experience *out);
void svc_agent_start_now(struct svc_agent *a);
/** Snooze; *until receives the time the notice returns. */
ferry_err svc_agent_snooze(struct svc_agent *a, uint32_t minutes, int64_t *until);
void svc_agent_ack_complete(struct svc_agent *a);
/** The credentials of `user`@`domain` were checked and are cached now. */
void svc_agent_credentials_cached(struct svc_agent *a, const char *user, const char *domain);
bool svc_agent_has_credentials(struct svc_agent *a);
bool svc_agent_rehearsing(const struct svc_agent *a);
/** A user logged on (SERVICE_CONTROL_SESSIONCHANGE): decide again. */
void svc_agent_session_logon(struct svc_agent *a);
/** A rehearsal record made outside the engine (e.g. a cache_credentials call). */
void svc_agent_record(struct svc_agent *a, const char *op, const char *args);

/* --- pipe server (svc_pipe.c, svc_dispatch.c) ------------------------------ */

struct svc_pipe;

/** Create the instances with the DACL and start serving. */
ferry_err svc_pipe_start(struct svc_pipe **out, const wchar_t *name, struct svc_agent *agent);
/** Stop serving: cancel waits, close instances, join threads. NULL-safe. */
void svc_pipe_stop(struct svc_pipe *p);

/** Caller class and session from a client token (impersonated). */
ferry_err svc_caller_from_token(HANDLE token, struct ipc_caller *out);

/**
 * One request from `caller`, answered into `reply` (never fails: every
 * problem becomes an error reply). Takes the request's password and wipes it.
 */
void svc_dispatch(struct svc_agent *a, const struct ipc_caller *caller, struct ipc_request *r,
		  struct ipc_reply *reply);

/* --- SCM (svc_scm.c) ---------------------------------------------------------- */

int svc_scm_install(const struct svc_options *o);
int svc_scm_uninstall(const struct svc_options *o);
int svc_scm_start(const struct svc_options *o);
int svc_scm_stop(const struct svc_options *o);
/** Hand the process to the SCM (run --service). */
int svc_scm_dispatch(const struct svc_options *o);
/** Console run: serve until Ctrl+C (or, simulating, until the rehearsal ends). */
int svc_run_console(const struct svc_options *o);

#endif
