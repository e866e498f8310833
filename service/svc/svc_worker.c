/*
 * The agent's worker thread: load the batch and its runbooks, then loop
 *
 *   decide (schedule_decide) -> act (record an announcement, start a
 *   runbook, run the engine) -> refresh the experience -> wait until the
 *   next time-driven change, an answer from the user, or stop.
 *
 * The engine only runs here, so the journal has one writer. A stop request
 * is seen between engine steps: engine_run returns after each step's DONE
 * is synced, so stopping never leaves a half-written record (the journal
 * drops a torn tail anyway).
 *
 * Simulated rehearsal (`run --rehearse --batch F` in a console): the clock
 * jumps to each wake time and a simulated user answers every screen
 * (credentials cached, start now, completion acknowledged); the loop ends
 * when the scheduler has nothing left for the device.
 */
#include "svc/svc_agent.h"
#include "svc/svc_net.h"

#include <stdio.h>
#include <string.h>

#include "runbook/rfc3339.h"
#include "util/mem.h"
#include "win/sysops.h"

#define RETRY_AFTER_STORAGE_FAILURE_S 60
#define MAX_WAIT_S 900          /* re-decide (and renew the lease) at least this often */
#define REBOOT_WAIT_S 600       /* a requested reboot that did not come is asked again */
#define SIM_START_LEAD_S 86400  /* a simulation starts a day before the first window */
#define SIM_MAX_ITERATIONS 10000

bool agent_test_clock(const struct svc_agent *a)
{
	return a->opt.simulate || a->opt.fast_clock;
}

void agent_narrate(struct svc_agent *a, const char *fmt, ...)
{
	char text[512], t[RFC3339_BUF];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	svc_log("%s", text);
	if (agent_test_clock(a) && rfc3339_format(t, a->sim_now) == FERRY_OK) {
		printf("# %s %s\n", t, text);
		fflush(stdout);
	}
}

#define narrate agent_narrate

/* --- rehearsal records ------------------------------------------------------ */

static void rehearsal_sink(void *ctx, const char *op, const char *args)
{
	struct svc_agent *a = ctx;
	char line[REHEARSE_RECORD_MAX + 80];
	int n = snprintf(line, sizeof(line), "%s%s%s\n", op, *args ? " " : "", args);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	svc_log("rehearsal: %.*s", n - 1, line);
	if (agent_test_clock(a)) {
		fputs(line, stdout);
		fflush(stdout);
	}
	/* Kept beside the rehearsal journal for admins (not synced: a record). */
	(void)a->plat.ops.storage_append(&a->plat, "rehearsal-records.txt", (const uint8_t *)line,
					 (size_t)n);
}

void svc_agent_record(struct svc_agent *a, const char *op, const char *args)
{
	rehearsal_sink(a, op, args);
}

/* --- loading ------------------------------------------------------------------ */

/* <BundleDir>\batch.json; BundleDir from svc_config_load (policy over MSI). */
static ferry_err batch_path_from_config(const struct svc_agent *a, char *out, size_t cap)
{
	if (!a->opt.bundle_dir[0])
		return ferry_error_set(FERRY_ENOTFOUND, "no --batch and no BundleDir (policy or MSI "
							"setting)");
	if ((size_t)snprintf(out, cap, "%s\\batch.json", a->opt.bundle_dir) >= cap)
		return ferry_error_set(FERRY_EINVAL, "BundleDir is too long");
	return FERRY_OK;
}

static ferry_err load_runbooks(struct svc_agent *a, const char *dir, struct rb_issues *iss)
{
	char path[MAX_PATH * 3 + 80];
	ferry_err err = FERRY_OK;

	if (!(a->rbs = ferry_calloc(a->batch->n_entries + 1, sizeof(*a->rbs))))
		return ferry_error_set(FERRY_ENOMEM, "agent: out of memory");
	for (size_t i = 0; i < a->batch->n_entries && err == FERRY_OK; i++) {
		char *text = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s%s%s.json", dir, *dir ? "\\" : "",
			 a->batch->entries[i].runbook);
		err = rb_read_file(&text, &len, path, RUNBOOK_MAX_BYTES);
		if (err == FERRY_OK)
			err = runbook_parse(&a->rbs[a->n_rbs], iss, path, text, len);
		if (err == FERRY_OK)
			a->n_rbs++;
		ferry_free(text);
	}
	if (err == FERRY_OK)
		err = rb_check_refs(iss, a->batch, a->opt.batch, (const struct runbook *const *)a->rbs,
				    NULL, a->n_rbs);
	return err;
}

ferry_err agent_load(struct svc_agent *a)
{
	struct rb_issues iss = { 0 };
	char path[MAX_PATH * 3], dir[MAX_PATH * 3];
	char *text = NULL, *slash;
	size_t len = 0;
	ferry_err err;

	if (a->opt.batch[0])
		snprintf(path, sizeof(path), "%s", a->opt.batch);
	else if ((err = batch_path_from_config(a, path, sizeof(path))) != FERRY_OK)
		return err;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '\\');
	if (!slash || (strrchr(dir, '/') && strrchr(dir, '/') > slash))
		slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	err = rb_read_file(&text, &len, path, RUNBOOK_MAX_BYTES);
	if (err == FERRY_OK)
		err = batch_parse(&a->batch, &iss, path, text, len, dir, true);
	ferry_free(text);
	if (err == FERRY_OK)
		err = load_runbooks(a, dir, &iss);
	for (size_t i = 0; i < iss.n; i++)
		svc_log("%s %s: %s", iss.v[i].file, iss.v[i].pointer, iss.v[i].message);
	rb_issues_clear(&iss);
	if (err == FERRY_OK)
		svc_log("loaded batch %s with %zu runbook(s) from %s", a->batch->id, a->n_rbs, path);
	return err;
}

/* --- the platform: Windows, or the rehearsal over it ------------------------------ */

static int64_t sim_start(const struct svc_agent *a)
{
	int64_t t = RB_TIME_NONE;

	for (size_t i = 0; a->batch && i < a->batch->n_entries; i++) {
		int64_t f = a->batch->entries[i].available_from;

		if (f != RB_TIME_NONE && (t == RB_TIME_NONE || f < t))
			t = f;
	}
	return t == RB_TIME_NONE ? 1735689600 /* 2025-01-01 */ : t - SIM_START_LEAD_S;
}

ferry_err agent_setup_platform(struct svc_agent *a)
{
	struct rehearse_start st = { .ad_domain = "(current domain)", .entra_joined = true,
				     .boot_id = 1 };
	struct ferry_join_state js;
	ferry_err err;

	if (agent_test_clock(a))
		a->sim_now = sim_start(a);
	err = svc_platform_init(&a->plat, a->opt.state_dir, a,
				 agent_test_clock(a) ? &a->sim_now : NULL);
	if (err != FERRY_OK)
		return err;
	a->pf = svc_texts_wrap(&a->plat, &a->plat.ops);
	if (!a->opt.rehearse)
		return FERRY_OK;
	/* Serving, start from the real PC where it can tell (reads only). A
	 * play on a test clock always starts from a domain- and Entra-joined PC
	 * so that it shows the whole plan, the same on every machine. */
	if (!agent_test_clock(a) && svc_join_query(&js) == FERRY_OK) {
		st.ad_domain = js.ad_domain;
		st.entra_joined = js.entra_joined;
	}
	if (!agent_test_clock(a) && svc_boot_id(&st.boot_id) != FERRY_OK)
		st.boot_id = 1;
	if ((err = rehearse_new(&a->rh, &a->plat.ops, &st, rehearsal_sink, a)) != FERRY_OK)
		return err;
	a->pf = svc_texts_wrap(&a->plat, rehearse_platform(a->rh));
	narrate(a, "rehearsal: starting from a PC joined to %s%s; nothing on this PC changes",
		st.ad_domain[0] ? st.ad_domain : "no domain", st.entra_joined ? " and Entra" : "");
	if (agent_test_clock(a))
		for (size_t i = 0; i < a->n_rbs; i++) {
			char name[128];

			snprintf(name, sizeof(name), "rehearsal-journal-%s", a->rbs[i]->id);
			(void)svc_storage_delete(&a->plat, name);
		}
	if (agent_test_clock(a))
		(void)svc_storage_delete(&a->plat, "rehearsal-records.txt");
	return FERRY_OK;
}

/* --- the engine ----------------------------------------------------------------- */

static void engine_drop(struct svc_agent *a)
{
	engine_free(a->engine);
	a->engine = NULL;
	a->engine_rb = NULL;
}

/* Open the engine for the running runbook. (L) not held. */
static ferry_err engine_ensure(struct svc_agent *a, const struct runbook *rb)
{
	char name[128];
	struct engine_step *steps = NULL;
	size_t n = 0;
	ferry_err err;

	if (a->engine && a->engine_rb == rb)
		return FERRY_OK;
	engine_drop(a);
	snprintf(name, sizeof(name), "%sjournal-%s", a->opt.rehearse ? "rehearsal-" : "", rb->id);
	if ((err = engine_plan(&steps, &n, rb)) != FERRY_OK)
		return err;
	if ((err = engine_open(&a->engine, a->pf, rb, name)) != FERRY_OK) {
		ferry_free(steps);
		return err;
	}
	a->engine_rb = rb;
	EnterCriticalSection(&a->lock);
	ferry_free(a->steps);
	a->steps = steps;
	a->n_steps = n;
	LeaveCriticalSection(&a->lock);
	return FERRY_OK;
}

/* Run the running runbook's engine once; returns seconds to wait (0 = go on). (L) held. */
static int64_t engine_turn(struct svc_agent *a, const struct runbook *rb, int64_t now)
{
	struct engine_result res;
	ferry_err err;

	LeaveCriticalSection(&a->lock); /* ops may call back into the agent */
	err = engine_ensure(a, rb);
	if (err == FERRY_OK)
		err = engine_run(a->engine, &res);
	EnterCriticalSection(&a->lock);
	if (err != FERRY_OK) {
		svc_log_event(SVC_EV_FAILURE, "runbook %s: engine: %s: %s", rb->id,
			      ferry_strerror(err), ferry_error_detail());
		engine_drop(a);
		return RETRY_AFTER_STORAGE_FAILURE_S;
	}
	a->last = res;
	a->engine_known = true;
	switch (res.status) {
	case ENGINE_DONE:
		narrate(a, "runbook %s complete", rb->id);
		svc_log_event(a->opt.rehearse ? SVC_EV_REHEARSAL : SVC_EV_RUNBOOK_COMPLETE,
			      "runbook %s complete", rb->id);
		agent_add_completed(a, rb->id);
		svc_platform_migration_hint(&a->plat, rb, false);
		a->running[0] = '\0';
		a->complete_ack = false;
		engine_drop(a);
		agent_persist(a);
		return 0;
	case ENGINE_REBOOTING:
		if (a->opt.rehearse) { /* the simulated boot happened already */
			narrate(a, "runbook %s: reboot", rb->id);
			engine_drop(a);
			return 0;
		}
		svc_log("runbook %s: waiting for the requested reboot", rb->id);
		return REBOOT_WAIT_S;
	case ENGINE_WAITING:
		return res.wake_at > now ? res.wake_at - now : 1;
	case ENGINE_STOPPED:
		svc_log_event(SVC_EV_RUNBOOK_STOPPED, "runbook %s: %s", rb->id, res.reason);
		return -1; /* nothing more to do for it */
	}
	return MAX_WAIT_S;
}

/* The user's turn: wait for an answer over the pipe, on the real clock
 * (a test clock never jumps past it). Said once per screen. (L) held. */
static int64_t user_turn(struct svc_agent *a, const struct schedule_decision *d)
{
	if (!a->opt.fast_clock)
		return -1;
	if (a->waiting_for != d->experience) {
		narrate(a, "waiting for the user: %s", schedule_experience_name(d->experience));
		a->waiting_for = d->experience;
		a->waiting_since = GetTickCount64();
	}
	/* A test that cannot answer this screen for real (user_story.py under
	 * Wine: its harness is no SYSTEM caller) asks for the simulated answer,
	 * said as such. */
	if (d->action == SCHED_ACT_PROMPT_CACHE && a->opt.simulate_cache_s &&
	    GetTickCount64() - a->waiting_since >= a->opt.simulate_cache_s * 1000ull) {
		narrate(a, "user: caches the target credentials (simulated after %u s without a "
			   "real answer)", (unsigned)a->opt.simulate_cache_s);
		a->creds = true;
		snprintf(a->creds_user, sizeof(a->creds_user), "%s", "(target user)");
		if (a->rh)
			rehearsal_sink(a, "cache_credentials_prompt", "answer=cached");
		return 0;
	}
	return -1;
}

/* Act on the decision. Returns seconds to wait (0 = decide again at once,
 * -1 = until an event). (L) held. */
static int64_t act(struct svc_agent *a, const struct schedule_decision *d, int64_t now)
{
	const struct runbook *rb = agent_find_rb(a, d->runbook);
	bool sim = a->opt.simulate;

	switch (d->action) {
	case SCHED_ACT_PROMPT_CACHE:
		if (!sim)
			return user_turn(a, d);
		narrate(a, "user: caches the target credentials (simulated)");
		a->creds = true;
		snprintf(a->creds_user, sizeof(a->creds_user), "%s", "(target user)");
		if (a->rh)
			rehearsal_sink(a, "cache_credentials_prompt", "answer=cached");
		return 0;
	case SCHED_ACT_OFFER:
		if (!sim)
			return user_turn(a, d);
		narrate(a, "user: start now (simulated)");
		a->start_requested = true;
		return 0;
	case SCHED_ACT_ANNOUNCE_START:
		narrate(a, "runbook %s: starts in %u minutes", d->runbook, d->minutes);
		a->start_announced_at = now;
		agent_persist(a);
		return d->next_check - now;
	case SCHED_ACT_START:
		narrate(a, "runbook %s: start", d->runbook);
		svc_log_event(a->opt.rehearse ? SVC_EV_REHEARSAL : SVC_EV_RUNBOOK_STARTED,
			      "runbook %s started", d->runbook);
		snprintf(a->running, sizeof(a->running), "%s", d->runbook);
		svc_platform_migration_hint(&a->plat, rb, true);
		a->start_requested = false;
		a->start_announced_at = a->snoozed_until = RB_TIME_NONE;
		a->engine_known = false;
		agent_persist(a);
		return 0;
	case SCHED_ACT_CONTINUE:
		if (!rb) {
			svc_log_event(SVC_EV_FAILURE, "running runbook %s is not in the batch", d->runbook);
			return -1;
		}
		return engine_turn(a, rb, now);
	case SCHED_ACT_SHOW_COMPLETE:
		if (!sim)
			return user_turn(a, d);
		narrate(a, "user: acknowledges \"migration complete\" (simulated)");
		a->complete_ack = true;
		return 0;
	case SCHED_ACT_WAIT:
	case SCHED_ACT_COUNTDOWN:
		return d->next_check == RB_TIME_NONE ? -1 : d->next_check - now;
	case SCHED_ACT_NONE:
		break;
	}
	return -1;
}

/* Wait `seconds` (-1 = until an event). Simulated: jump the clock; returns
 * false when the simulation is over. */
static bool wait_for(struct svc_agent *a, int64_t seconds)
{
	DWORD ms;

	if (a->opt.simulate) {
		if (seconds < 0)
			return false;
		a->sim_now += seconds;
		return true;
	}
	if (a->opt.fast_clock && seconds >= 0) { /* a wait on time: jump */
		a->sim_now += seconds;
		return true;
	}
	if (seconds < 0 || seconds > MAX_WAIT_S)
		seconds = a->opt.fast_clock ? 1 : MAX_WAIT_S; /* a test clock re-decides often */
	ms = (DWORD)seconds * 1000u;
	LeaveCriticalSection(&a->lock);
	if (ms)
		WaitForSingleObject(a->wake, ms);
	EnterCriticalSection(&a->lock);
	return true;
}

/* On the test clock, a wait for nothing but an event is the user's turn
 * (go on waiting) or the end: nothing left (exit 0), or stuck on something
 * no clock can move (exit 1, saying what). (L) held. */
static bool fast_clock_waits(struct svc_agent *a)
{
	switch (a->decision.action) {
	case SCHED_ACT_PROMPT_CACHE:
	case SCHED_ACT_OFFER:
	case SCHED_ACT_SHOW_COMPLETE:
		return true;
	case SCHED_ACT_NONE:
		break;
	default:
		narrate(a, "rehearsal: stuck at %s (%s); no clock can move it",
			schedule_action_name(a->decision.action),
			schedule_experience_name(a->decision.experience));
		a->exit_code = 1;
		break;
	}
	return false;
}

DWORD WINAPI agent_worker(void *arg)
{
	struct svc_agent *a = arg;
	struct device_state st;
	unsigned long turns = 0;

	EnterCriticalSection(&a->lock);
	while (!a->stopping) {
		int64_t now = a->pf->now(a->pf->ctx), wait = -1;

		if (a->batch) {
			agent_device_state(a, &st);
			schedule_decide(&a->decision, a->batch, (const struct runbook *const *)a->rbs,
					a->n_rbs, &st, now);
			wait = act(a, &a->decision, now);
		}
		if (a->plat.uninstall_scheduled) {
			/* The MSI removal waits for SERVICE_STOPPED: stop now, from
			 * the service's own path (svc_request_stop). */
			svc_log_event(SVC_EV_STOPPED, "uninstall scheduled: the service stops now");
			svc_request_stop();
			break;
		}
		agent_refresh_experience(a);
		if (a->opt.fast_clock && wait < 0 && !fast_clock_waits(a))
			break;
		if (wait && !wait_for(a, wait))
			break;
		if (a->opt.simulate && ++turns > SIM_MAX_ITERATIONS) {
			narrate(a, "rehearsal: did not finish after %d turns", SIM_MAX_ITERATIONS);
			a->exit_code = 1;
			break;
		}
	}
	if (agent_test_clock(a) && !a->stopping) {
		narrate(a, "rehearsal: nothing left for this device");
		a->finished = true;
	}
	LeaveCriticalSection(&a->lock);
	return 0;
}

/* --- lifetime ------------------------------------------------------------------------ */

static void device_name(struct svc_agent *a)
{
	wchar_t w[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD n = MAX_COMPUTERNAME_LENGTH + 1;

	if (a->opt.device[0])
		snprintf(a->device, sizeof(a->device), "%s", a->opt.device);
	else if (GetComputerNameW(w, &n))
		WideCharToMultiByte(CP_UTF8, 0, w, -1, a->device, (int)sizeof(a->device), NULL, NULL);
	if (agent_test_clock(a) && a->batch && a->batch->devices.n &&
	    !batch_has_device(a->batch, a->device)) {
		narrate(a, "rehearsal: device %s is not in batch %s; rehearsing as if it were",
			a->device, a->batch->id);
		a->device[0] = '\0';
	}
}

ferry_err svc_agent_start(struct svc_agent **out, const struct svc_options *o)
{
	struct svc_agent *a;
	ferry_err err;

	*out = NULL;
	if (!(a = ferry_calloc(1, sizeof(*a))))
		return ferry_error_set(FERRY_ENOMEM, "agent: out of memory");
	a->opt = *o;
	InitializeCriticalSection(&a->lock);
	InitializeConditionVariable(&a->changed);
	a->snoozed_until = a->start_announced_at = RB_TIME_NONE;
	a->user_logged_on = o->simulate || o->fast_clock ||
			    WTSGetActiveConsoleSessionId() != 0xFFFFFFFFu;
	if (!(a->wake = CreateEventW(NULL, FALSE, FALSE, NULL))) {
		err = ferry_error_set(FERRY_ESYSTEM, "CreateEventW failed");
		goto fail;
	}
	if ((err = svc_net_start(&a->net, &a->opt)) != FERRY_OK && !a->opt.simulate)
		svc_log("migration server client not started; serving what is configured locally");
	else if (err != FERRY_OK)
		goto fail;
	if ((err = agent_load(a)) != FERRY_OK) {
		if (o->batch[0] || err != FERRY_ENOTFOUND)
			goto fail;
		svc_log("no batch configured (%s): serving an empty experience", ferry_error_detail());
	}
	if ((err = agent_setup_platform(a)) != FERRY_OK)
		goto fail;
	a->pf = svc_net_wrap(a->net, a, a->pf);
	if ((err = svc_net_run(a->net, a, a->opt.poll_s)) != FERRY_OK)
		goto fail;
	device_name(a);
	if ((err = agent_restore(a)) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "device state unreadable, starting afresh: %s",
			      ferry_error_detail());
	EnterCriticalSection(&a->lock);
	agent_refresh_experience(a);
	LeaveCriticalSection(&a->lock);
	if (!(a->thread = CreateThread(NULL, 0, agent_worker, a, 0, NULL))) {
		err = ferry_error_set(FERRY_ESYSTEM, "CreateThread(worker) failed");
		goto fail;
	}
	*out = a;
	return FERRY_OK;
fail:
	svc_agent_stop(a);
	return err;
}

void svc_agent_shutdown_begin(struct svc_agent *a)
{
	if (!a)
		return;
	InterlockedExchange(&a->stopping, 1);
	if (a->wake)
		SetEvent(a->wake);
	EnterCriticalSection(&a->lock);
	WakeAllConditionVariable(&a->changed);
	LeaveCriticalSection(&a->lock);
}

void svc_agent_stop(struct svc_agent *a)
{
	if (!a)
		return;
	svc_agent_shutdown_begin(a);
	if (a->thread) {
		/* The worker leaves between steps; a step's op (a logon check, a
		 * command package) is bounded by its own timeout. */
		if (WaitForSingleObject(a->thread, SVC_STOP_BUDGET_MS - 1000) != WAIT_OBJECT_0)
			svc_log_event(SVC_EV_FAILURE, "the engine worker did not stop in time; its "
						      "journal resumes at the next start");
		else
			CloseHandle(a->thread);
	}
	if (a->wake)
		CloseHandle(a->wake);
	svc_net_stop(a->net);
	a->net = NULL;
	if (!a->thread || WaitForSingleObject(a->thread, 0) == WAIT_OBJECT_0) {
		agent_free_state(a);
		svc_platform_free(&a->plat);
		DeleteCriticalSection(&a->lock);
		ferry_free(a);
	} /* else: leaked on purpose, the process is exiting and the worker still uses it */
}

bool svc_agent_finished(struct svc_agent *a, int *exit_code)
{
	bool f;

	EnterCriticalSection(&a->lock);
	f = a->finished || (agent_test_clock(a) && a->exit_code);
	*exit_code = a->exit_code;
	LeaveCriticalSection(&a->lock);
	return f;
}

void svc_agent_session_logon(struct svc_agent *a)
{
	EnterCriticalSection(&a->lock);
	a->user_logged_on = true;
	LeaveCriticalSection(&a->lock);
	SetEvent(a->wake);
}
