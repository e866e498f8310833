/*
 * ferrysvc.exe's top: options, the log, the agent's public API, the pipe
 * server and the SCM. What sits below the agent (its worker, clocks,
 * device state, platform binding, migration-server client) has its own
 * headers, included only by the files above it (docs/architecture.md).
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

#include "ipc/authz.h"
#include "ipc/msg.h"
#include "util/err.h"
#include "ux/logon_outcome.h"

#define SVC_DEFAULT_NAME L"Ferry"
#define SVC_DEFAULT_PIPE L"\\\\.\\pipe\\Ferry.Agent"
#define SVC_PIPE_INSTANCES 24       /* >= 16 concurrent clients, bounded */
#define SVC_READ_TIMEOUT_MS 30000   /* a connection idle this long is closed */
#define SVC_PIPE_RESERVED_SYSTEM 4  /* instances only SYSTEM (LogonUI) may hold */
#define SVC_PIPE_PER_SESSION 4      /* connections one session's callers may hold */
#define SVC_CONN_LIFETIME_MS 360000 /* any connection's whole life: > a 300 s subscribe */
#define SVC_STOP_BUDGET_MS 5000     /* SERVICE_CONTROL_STOP finishes within this */
#define SVC_REG_KEY L"SOFTWARE\\Ferry"

struct svc_options {
	wchar_t name[128];      /* SCM service name (tests use their own) */
	wchar_t pipe[256];      /* full pipe path */
	wchar_t state_dir[MAX_PATH]; /* "" = %ProgramData%\Ferry\state */
	char batch[MAX_PATH * 3];    /* UTF-8 path of an admin's batch file; "" = only a signed bundle */
	char bundle_dir[MAX_PATH * 3]; /* UTF-8, from win_config_load (policy over MSI); may be "" */
	char signing_key[80];   /* SigningPublicKey (64 hex digits), from win_config_load; may be "" */
	char device[256];       /* "" = this computer's name */
	bool rehearse;
	bool simulate;          /* console rehearsal: simulated clock and user */
	bool fast_clock;        /* serving rehearsal on the test clock: real answers over the
				 * pipe; the clock jumps only when the agent waits on time */
	uint32_t simulate_cache_s; /* fast_clock: the simulated user caches the credentials
				    * after this many real seconds without a real answer; 0 = never */
	uint32_t pace_ms;       /* fast_clock: real ms each jump of the clock takes; 0 = none */
	bool service;           /* started by the SCM */
	/* Migration server (svc_net.c); "" = from policy/MSI (service/win/config.h). */
	char server[1024], pin[128], ca[MAX_PATH * 3];
	uint32_t poll_s;        /* tests: poll this often; 0 = the server's interval */
};

/** `ferrysvc secure-install` (svc_install.c): the state tree and INSTALLDIR
 *  secured, one log line each with the SDDL; the process's exit code. */
int svc_secure_install(const struct svc_options *o);

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
/** A milestone or failure: the file log, the Windows Event Log and the event hook. */
void svc_log_event(enum svc_event ev, const char *fmt, ...) FERRY_PRINTF(2, 3);
/**
 * Where milestones go besides the file and the Event Log: the migration
 * server's event queue (svc_net.c sets it while it runs; NULL = none).
 * `kind` is the event's name in docs/protocol.md; `text` is never a secret.
 */
typedef void (*svc_event_hook_fn)(void *ctx, const char *kind, const char *text);
void svc_log_set_event_hook(svc_event_hook_fn fn, void *ctx);
/** Register / remove the event source (HKLM\...\EventLog\Application\<name>). */
ferry_err svc_log_register_source(const wchar_t *name, const wchar_t *exe_path);
ferry_err svc_log_unregister_source(const wchar_t *name);

/**
 * Fill o->bundle_dir, o->signing_key and (unless already on) o->rehearse
 * from win_config_load: HKLM\SOFTWARE\Policies\Ferry over HKLM\SOFTWARE\Ferry.
 */
ferry_err svc_options_load_config(struct svc_options *o);

/* --- agent (agent.c) ------------------------------------------------------- */

struct svc_agent;
struct ferry_secret;

/**
 * Load batch + runbooks and start the engine worker. `request_stop` is how
 * the worker stops the service once an uninstall is scheduled (the SCM's
 * own path, never its control handler).
 */
ferry_err svc_agent_start(struct svc_agent **out, const struct svc_options *o,
			  void (*request_stop)(void));
/** Stop the worker (journal left consistent), within SVC_STOP_BUDGET_MS. NULL-safe. */
void svc_agent_stop(struct svc_agent *a);
/** Wake subscribers and the worker so they return promptly (before stop). */
void svc_agent_shutdown_begin(struct svc_agent *a);
/** Whether the agent's worker finished on its own (a play on a test clock is over). */
bool svc_agent_finished(struct svc_agent *a, int *exit_code);

void svc_agent_experience(struct svc_agent *a, struct ipc_experience *out);
/** Long poll: returns when generation != since or after timeout_ms. */
bool svc_agent_wait(struct svc_agent *a, uint64_t since, uint32_t timeout_ms,
		    struct ipc_experience *out);
void svc_agent_start_now(struct svc_agent *a);
/** Snooze; *until receives the time the notice returns. */
ferry_err svc_agent_snooze(struct svc_agent *a, uint32_t minutes, int64_t *until);
void svc_agent_ack_complete(struct svc_agent *a);
/**
 * cache_credentials: the logon check of user@domain through the agent's
 * platform (check_logon: Windows, or the rehearsal's record); on
 * LOGON_OUTCOME_OK the credentials count as cached from now on. Takes
 * ownership of `password` and wipes it. An error only when the check could
 * not run.
 */
/**
 * Whether `caller` may run `r` (core/ipc/authz), with the signed identity
 * mapping the agent holds: the caller's own mapped target account, this
 * PC's profile owners' accounts, the runbook's target domain.
 */
struct ipc_authz_decision svc_agent_authorize(struct svc_agent *a, const struct ipc_caller *caller,
					      const struct ipc_request *r);
/**
 * Pre-fill the experience's target account for this caller: an interactive
 * user's own mapped target account; for SYSTEM (the logon screen's tile)
 * the last user's, else the only mapped user's. Unchanged when unmapped.
 */
void svc_agent_prefill(struct svc_agent *a, const struct ipc_caller *caller,
		       struct ipc_experience *x);
ferry_err svc_agent_cache_credentials(struct svc_agent *a, const char *user, const char *domain,
				      struct ferry_secret *password, enum logon_outcome *out);
/** A user logged on (SERVICE_CONTROL_SESSIONCHANGE): decide again. */
void svc_agent_session_logon(struct svc_agent *a);

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
/** Console run: serve until Ctrl+C (or, on a test clock, until the play ends). */
int svc_run_console(const struct svc_options *o);

#endif
