/* The agent's private state, shared by svc_agent.c (API, experience) and svc_worker.c (loop). */
#ifndef FERRY_SVC_AGENT_H
#define FERRY_SVC_AGENT_H

#include "svc/svc.h"

struct svc_agent {
	struct svc_options opt;
	CRITICAL_SECTION lock;      /* guards everything below marked (L) */
	CONDITION_VARIABLE changed; /* experience generation moved, or stopping */
	HANDLE wake;                /* auto-reset: the worker decides again */
	HANDLE thread;
	volatile LONG stopping;
	bool finished;              /* (L) the simulated rehearsal is over */
	int exit_code;              /* (L) */

	struct batch *batch;        /* NULL: nothing to do (no batch configured) */
	struct runbook **rbs;
	size_t n_rbs;
	char device[256];

	/* device state (L) */
	bool creds;
	char creds_user[IPC_NAME_MAX * 2 + 2];
	char **completed;
	size_t n_completed;
	int64_t snoozed_until, start_announced_at;
	char running[RUNBOOK_ID_MAX + 1]; /* "" when nothing runs */
	bool start_requested, complete_ack, user_logged_on;

	/* the experience (L) */
	struct schedule_decision decision;
	struct ipc_experience exp;
	uint64_t generation;

	/* the engine: the worker's own; `last`, `steps` read under (L) */
	struct engine *engine;
	const struct runbook *engine_rb;
	struct engine_step *steps;
	size_t n_steps;
	bool engine_known;
	struct engine_result last;

	struct svc_platform plat;
	struct rehearse *rh;
	const struct ferry_platform *pf; /* plat.ops, or the rehearsal over it */
	int64_t sim_now;                 /* (L) the test clock (simulate, fast_clock) */
	enum schedule_experience waiting_for; /* (L) fast_clock: the screen last narrated */
	ULONGLONG waiting_since;         /* (L) fast_clock: GetTickCount64 when it was */
	struct svc_net *net;             /* migration server client (svc_net.c); NULL = none */
};

/* svc_agent.c */
void agent_device_state(struct svc_agent *a, struct device_state *st);
void agent_refresh_experience(struct svc_agent *a); /* (L) held */
const struct runbook *agent_find_rb(const struct svc_agent *a, const char *id);
void agent_persist(struct svc_agent *a);            /* (L) held */
ferry_err agent_restore(struct svc_agent *a);
void agent_add_completed(struct svc_agent *a, const char *id); /* (L) held */
void agent_free_state(struct svc_agent *a);

/* svc_worker.c */
/* A story line: logged; printed with the test clock's time on a test clock. */
void agent_narrate(struct svc_agent *a, const char *fmt, ...) FERRY_PRINTF(2, 3);
bool agent_test_clock(const struct svc_agent *a); /* simulate or fast_clock */
DWORD WINAPI agent_worker(void *arg);
ferry_err agent_load(struct svc_agent *a);
ferry_err agent_setup_platform(struct svc_agent *a);

#endif
