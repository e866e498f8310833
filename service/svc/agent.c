/*
 * The agent: the one owner of what the service knows and shows. It holds
 * the plan (batch and runbooks), the device state, the experience the
 * pipe serves, and runs the worker thread:
 *
 *   decide (schedule_decide) -> act (the user's turn, an announcement,
 *   a runbook's start, one engine turn) -> refresh the experience ->
 *   wait (agent_clock_wait: until the next time-driven change, an answer
 *   from the user, or stop).
 *
 * Below it, one way only (docs/architecture.md): the clock and simulated
 * user (agent_clock.c), narration and rehearsal records (agent_story.c),
 * the device state file (agent_state.c), the plan's loading
 * (agent_plan.c), the engine (agent_engine.c), and the platform the engine
 * drives: svc_net's layer over svc_texts' layer over the rehearsal (when
 * rehearsing) over the Windows binding (svc_platform.c), which reads only
 * the run context the worker fills here.
 *
 * Invariants:
 *   1. exp.generation changes exactly when any other field of the
 *      experience changes, and every change wakes all subscribers.
 *   2. The plan changes only at the loop's safe point: no runbook running
 *      (a bundle accepted mid-run waits in `pending`).
 *   3. Only the worker writes `run`; the ops read it on the worker thread.
 */
/* Core security headers (through agent_map.h) before <windows.h>: see
 * win/profops_int.h. */
#include "svc/agent_map.h"
#include "svc/svc.h"

#include <stdio.h>
#include <string.h>

#include "engine/rehearse.h"
#include "svc/agent_clock.h"
#include "svc/agent_engine.h"
#include "svc/agent_plan.h"
#include "svc/agent_state.h"
#include "svc/agent_story.h"
#include "svc/svc_net.h"
#include "svc/svc_platform.h"
#include "svc/svc_texts.h"
#include "util/mem.h"
#include "sec/account.h"
#include "ux/logon_policy.h"
#include "ux/texts.h"
#include "ux/experience.h"
#include "win/sysops.h"
#include "winutil.h"

#define STATE_FILE "device-state.json"
#define REHEARSAL_STATE_FILE "rehearsal-device-state.json"
#define RETRY_AFTER_STORAGE_FAILURE_S 60
#define MAX_WAIT_S 900          /* a runbook's engine is turned at least this often */
#define REBOOT_WAIT_S 600       /* a requested reboot that did not come is asked again */
#define SIM_START_LEAD_S 86400  /* a play on a test clock starts a day before the first window */

struct svc_agent {
	struct svc_options opt;
	void (*request_stop)(void);
	CRITICAL_SECTION lock;      /* guards everything below marked (L) */
	CONDITION_VARIABLE changed; /* experience generation moved, or stopping */
	HANDLE wake;                /* auto-reset: the worker decides again */
	HANDLE thread;
	volatile LONG stopping;
	bool finished;              /* (L) the play on a test clock is over */
	int exit_code;              /* (L) */

	struct agent_plan plan;     /* (L) */
	struct agent_plan pending;  /* (L) a bundle accepted mid-run, for the safe point */
	char device[256];
	struct agent_state state;   /* (L) */
	struct schedule_decision decision; /* (L) borrows from `plan` */
	struct ipc_experience exp;  /* (L) */
	struct agent_map map;       /* (L) ProfileList by the plan's signed mapping */

	struct svc_run run;         /* worker-filled; the ops read it */
	struct agent_clock *clock;
	struct agent_story story;
	struct svc_platform *plat;
	struct rehearse *rh;
	struct svc_texts *texts;
	struct svc_net *net;
	const struct ferry_platform *pf; /* what the engine drives (see the top) */
	struct agent_engine *engine;
};

#define say(a, ...) agent_story_say(&(a)->story, __VA_ARGS__)
#define phase(a, p, rb, step) agent_story_phase(&(a)->story, p, rb, step)

/* A runbook's transition: only a migration's run is the device's funnel (a
 * credentials-only runbook completing is not the device's "complete"). */
static void rb_phase(struct svc_agent *a, const struct runbook *rb, const char *p,
		     const char *step)
{
	if (rb && runbook_is_migration(rb))
		phase(a, p, rb->id, step);
}

/* --- device state and experience (L) ------------------------------------------ */

static void persist(struct svc_agent *a)
{
	const char *file = a->opt.rehearse ? REHEARSAL_STATE_FILE : STATE_FILE;

	if (agent_clock_saves_state(a->clock) &&
	    agent_state_save(&a->state, svc_platform_ops(a->plat), file) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "could not save the device state: %s",
			      ferry_error_detail());
}

/* The runbook that caches credentials, and the one that joins the target
 * domain (its domain is where every cached account must be). */
static const struct runbook *plan_runbook(const struct agent_plan *p, bool caching)
{
	for (size_t i = 0; i < p->n_rbs; i++)
		if (caching ? p->rbs[i]->device_state.cache_user_credentials
			    : p->rbs[i]->device_state.domain != NULL)
			return p->rbs[i];
	return NULL;
}

static bool credentials_ready(const struct svc_agent *a)
{
	const struct runbook *rb = plan_runbook(&a->plan, true);

	return agent_map_credentials_ready(&a->map, a->plan.map != NULL,
					   rb ? rb->device_state.credentials_required
					      : RB_CREDS_EVERY_MAPPED_USER,
					   a->state.creds, (const char *const *)a->state.cached,
					   a->state.n_cached);
}

static void device_state(struct svc_agent *a, struct device_state *st)
{
	agent_state_view(&a->state, st);
	st->credentials_cached = credentials_ready(a);
	st->server_reachable = svc_net_reachable(a->net);
	st->device_name = a->device[0] ? a->device : NULL;
}

/*
 * (L) The account the cache prompt is for (issue 16, finding 3): the
 * runbook's username placeholder expanded, where {target_user} is, until
 * the identity mapping names the target account, the account part of who
 * last signed in here; in the runbook's target domain, or the batch's
 * when the cache runbook names none (a UPN may carry an alternate suffix). *shown is what the tile shows ("" when unknown).
 */
static bool expected_account(struct svc_agent *a, const struct runbook *rb,
			     struct cache_account *acct, char *shown, size_t cap)
{
	char src[IPC_NAME_MAX * 2 + 2] = "", part[ACCOUNT_PART_MAX + 1], expanded[IPC_NAME_MAX + 1];
	const char *tmpl = rb ? rb->user_experience.cache_credentials.username_placeholder : NULL;
	struct ux_vars v = { 0 };

	const char *domain = rb ? rb->device_state.domain : NULL;

	shown[0] = '\0';
	/* A cache-only runbook names no domain: the batch's migration does. */
	for (size_t i = 0; !domain && i < a->plan.n_rbs; i++)
		domain = a->plan.rbs[i]->device_state.domain;
	if (!rb || !domain || !*domain || !a->plat)
		return false;
	svc_platform_source_user(a->plat, src, sizeof(src));
	account_part(part, sizeof(part), src);
	v.target_user = part;
	v.source_user = src;
	v.target_domain = domain;
	v.device_name = a->device;
	if (ux_expand(expanded, sizeof(expanded), tmpl && *tmpl ? tmpl : "{target_user}", &v) !=
		    FERRY_OK ||
	    cache_account_expected(acct, expanded, domain) != FERRY_OK)
		return false;
	if (acct->upn)
		snprintf(shown, cap, "%s", acct->user);
	else
		snprintf(shown, cap, "%s\\%s", acct->domain, acct->user);
	return true;
}

/* (L) The experience now, its texts rendered for target_user. */
static ferry_err build_experience(struct svc_agent *a, const struct runbook *rb,
				  const char *target_user, struct ipc_experience *x)
{
	struct ux_vars v = { 0 };
	struct ux_experience_input in = { 0 };

	v.target_user = target_user;
	v.target_domain = rb ? rb->device_state.domain : NULL;
	v.device_name = a->device;
	in.decision = &a->decision;
	in.rb = rb;
	in.vars = &v;
	agent_engine_progress(a->engine, a->state.running, &in);
	in.now = agent_clock_now(a->clock);
	return ux_experience_build(x, &in);
}

static void refresh_experience(struct svc_agent *a)
{
	const struct runbook *rb = agent_plan_find(&a->plan, a->decision.runbook);
	static const struct ipc_experience empty;
	struct ipc_experience x;
	struct cache_account acct;
	char shown[IPC_NAME_MAX + 1];
	uint64_t g;

	expected_account(a, rb, &acct, shown, sizeof(shown));
	if (build_experience(a, rb, a->state.creds_user[0] ? a->state.creds_user : shown, &x) !=
	    FERRY_OK) {
		svc_log("experience: %s", ferry_error_detail());
		x = empty;
		x.screen = IPC_SCREEN_FAILED;
	}
	g = a->exp.generation;
	x.generation = g;
	if (g && !memcmp(&x, &a->exp, sizeof(x)))
		return;
	x.generation = g + 1;
	a->exp = x;
	WakeAllConditionVariable(&a->changed);
}

/* --- the user's answers, over the pipe ------------------------------------------ */

void svc_agent_experience(struct svc_agent *a, struct ipc_experience *out)
{
	EnterCriticalSection(&a->lock);
	*out = a->exp;
	LeaveCriticalSection(&a->lock);
}

bool svc_agent_wait(struct svc_agent *a, uint64_t since, uint32_t timeout_ms,
		    struct ipc_experience *out)
{
	ULONGLONG end = GetTickCount64() + timeout_ms;
	bool changed;

	EnterCriticalSection(&a->lock);
	while (a->exp.generation == since && !a->stopping) {
		ULONGLONG now = GetTickCount64();

		if (now >= end)
			break;
		SleepConditionVariableCS(&a->changed, &a->lock, (DWORD)(end - now));
	}
	changed = a->exp.generation != since;
	*out = a->exp;
	LeaveCriticalSection(&a->lock);
	return changed;
}

/* (L) held on entry, released here: saved, and the worker decides again. */
static void answered(struct svc_agent *a)
{
	persist(a);
	LeaveCriticalSection(&a->lock);
	SetEvent(a->wake);
}

void svc_agent_start_now(struct svc_agent *a)
{
	EnterCriticalSection(&a->lock);
	a->state.start_requested = true;
	say(a, "user: start now (pipe)");
	answered(a);
}

ferry_err svc_agent_snooze(struct svc_agent *a, uint32_t minutes, int64_t *until)
{
	int64_t now;
	uint32_t max;

	EnterCriticalSection(&a->lock);
	now = agent_clock_now(a->clock);
	/* The runbook's window, enforced here, not only in the dialog's
	 * choices: no snooze past enforced-after, none when none is offered. */
	max = ux_snooze_max_minutes(&a->decision, now);
	if (minutes > max) {
		LeaveCriticalSection(&a->lock);
		svc_log("user: snooze of %u minutes refused (at most %u now)", (unsigned)minutes,
			(unsigned)max);
		return max ? ferry_error_set(FERRY_ERANGE, "snooze: at most %u minutes now (the "
					     "runbook's enforced-after)", (unsigned)max)
			   : ferry_error_set(FERRY_EPERM, "snooze: the runbook offers no snooze now");
	}
	*until = now + (int64_t)minutes * 60;
	a->state.snoozed_until = *until;
	a->state.start_requested = false;
	svc_log("user: snooze %u minutes", (unsigned)minutes);
	answered(a);
	return FERRY_OK;
}

void svc_agent_ack_complete(struct svc_agent *a)
{
	EnterCriticalSection(&a->lock);
	a->state.complete_ack = true;
	say(a, "user: acknowledges \"migration complete\" (pipe)");
	answered(a);
}

/* (L) Cached, by the name the mapping gives the account. */
static void record_cached(struct svc_agent *a, const char *user, const char *domain)
{
	char name[2 * IPC_NAME_MAX + 2];

	agent_map_cached_name(&a->map, user, domain, a->state.creds_user, name, sizeof(name));
	if (strchr(name, '\\') && agent_state_add_cached(&a->state, name) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "%s", ferry_error_detail());
}

struct ipc_authz_decision svc_agent_authorize(struct svc_agent *a, const struct ipc_caller *caller,
					      const struct ipc_request *r)
{
	struct ipc_authz_mapping m;
	struct ipc_authz_account own;
	const struct runbook *rb;
	struct ipc_authz_decision d;

	if (r->op != IPC_OP_CACHE_CREDENTIALS && !ipc_op_device_wide(r->op))
		return ipc_authz_check(caller, r, NULL);
	EnterCriticalSection(&a->lock);
	rb = plan_runbook(&a->plan, false);
	agent_map_authz(&m, &own, &a->map, a->plan.map, caller->sid,
			rb ? rb->device_state.domain : NULL);
	d = ipc_authz_check(caller, r, a->plan.map ? &m : NULL); /* NULL: no signed mapping */
	LeaveCriticalSection(&a->lock);
	return d;
}

void svc_agent_prefill(struct svc_agent *a, const struct ipc_caller *caller,
		       struct ipc_experience *x)
{
	EnterCriticalSection(&a->lock);
	agent_map_prefill(x->target_user, sizeof(x->target_user), &a->map, a->plan.map,
			  caller->cls == IPC_CALLER_SYSTEM ? NULL : caller->sid,
			  caller->cls == IPC_CALLER_INTERACTIVE_USER || caller->cls == IPC_CALLER_SYSTEM);
	/* {target_user} in the texts names this caller's own account, not the
	 * device's last one (issue 17 §2). */
	if (x->target_user[0] && strcmp(x->target_user, a->exp.target_user)) {
		struct ipc_experience y;

		if (build_experience(a, agent_plan_find(&a->plan, a->decision.runbook),
				     x->target_user, &y) == FERRY_OK && y.screen == x->screen) {
			memcpy(x->title, y.title, sizeof(x->title));
			memcpy(x->body, y.body, sizeof(x->body));
		}
	}
	LeaveCriticalSection(&a->lock);
}

ferry_err svc_agent_cache_credentials(struct svc_agent *a, const char *user, const char *domain,
				      struct ferry_secret *password, enum logon_outcome *out)
{
	struct cache_account acct;
	char shown[IPC_NAME_MAX + 1];
	bool known, mapped;
	ferry_err err;

	/* Only the account this PC moves to, in the runbook's target domain:
	 * never "whoever typed a valid account" (issue 16, finding 3). With a
	 * signed identity mapping the pipe's authorisation already held the
	 * caller to its own mapped account (or, for the tile, this PC's users'
	 * mapped accounts) in the target domain (issue 17 §2); without one, the
	 * runbook's placeholder expanded for who last signed in decides. */
	*out = LOGON_OUTCOME_OTHER;
	EnterCriticalSection(&a->lock);
	mapped = a->plan.map != NULL;
	known = expected_account(a, agent_plan_find(&a->plan, a->decision.runbook), &acct, shown,
				 sizeof(shown));
	LeaveCriticalSection(&a->lock);
	if (!mapped && (!known || !cache_account_matches(&acct, user, domain))) {
		svc_log("cache_credentials: %s%s%s is not the expected account %s: refused unchecked",
			domain, *domain ? "\\" : "", user, known ? shown : "(unknown)");
		ferry_secret_free(password);
		*out = LOGON_OUTCOME_WRONG_ACCOUNT;
		return FERRY_OK;
	}
	/* The ordinary platform: the Windows logon, or the rehearsal's record. */
	err = a->pf->check_logon(a->pf->ctx, user, domain, password, out);
	if (err != FERRY_OK || *out != LOGON_OUTCOME_OK)
		return err;
	EnterCriticalSection(&a->lock);
	a->state.creds = true;
	snprintf(a->state.creds_user, sizeof(a->state.creds_user), "%s%s%s", domain ? domain : "",
		 domain && *domain ? "\\" : "", user ? user : "");
	record_cached(a, user, domain);
	say(a, "user: caches the target credentials of %s (pipe)", a->state.creds_user);
	phase(a, "credentials_cached", "", "");
	answered(a);
	return FERRY_OK;
}

void svc_agent_session_logon(struct svc_agent *a)
{
	EnterCriticalSection(&a->lock);
	a->state.user_logged_on = true;
	LeaveCriticalSection(&a->lock);
	SetEvent(a->wake);
}

/* --- a bundle accepted while running ----------------------------------------------- */

/* From svc_net's poll thread: parsed now, applied at the worker's safe point. */
static void bundle_accepted(void *ctx, const struct net_accepted *acc)
{
	struct svc_agent *a = ctx;
	struct agent_plan p;

	if (agent_plan_from_accepted(&p, acc) != FERRY_OK) {
		char what[AGENT_PLAN_SOURCE_MAX];

		net_accepted_describe(acc, what, sizeof(what));
		svc_log_event(SVC_EV_FAILURE, "%s not applied: %s", what, ferry_error_detail());
		return;
	}
	EnterCriticalSection(&a->lock);
	agent_plan_clear(&a->pending);
	a->pending = p;
	say(a, "%s accepted (batch %s); applied when no runbook runs", p.source, p.batch->id);
	LeaveCriticalSection(&a->lock);
	SetEvent(a->wake);
}

/* The safe point (L): no runbook in a phase, so no engine holds the plan. */
static void apply_pending(struct svc_agent *a)
{
	if (!a->pending.batch || a->state.running[0])
		return;
	agent_engine_close(a->engine);
	a->run.rb = NULL;
	agent_plan_clear(&a->plan);
	a->plan = a->pending;
	memset(&a->pending, 0, sizeof(a->pending));
	a->run.map = a->plan.map;
	a->run.packages = a->plan.packages;
	a->run.packages_from = a->plan.packages_from;
	agent_map_clear(&a->map); /* scanned again against the new mapping */
	say(a, "%s in force: batch %s with %zu runbook(s)", a->plan.source, a->plan.batch->id,
	    a->plan.n_rbs);
}

/* --- the worker's acts (L) ------------------------------------------------------------ */

/* The user's turn: the clock's simulated user may answer; else wait for an event. */
static int64_t user_turn(struct svc_agent *a, const struct schedule_decision *d)
{
	switch (agent_clock_user(a->clock, d)) {
	case AGENT_ANSWER_CACHED:
		a->state.creds = true;
		snprintf(a->state.creds_user, sizeof(a->state.creds_user), "%s", "(target user)");
		/* The simulated users: each mapped user of this PC who has not
		 * cached yet caches its own account. */
		for (size_t i = 0; i < a->map.n_users; i++) {
			char name[2 * IPC_NAME_MAX + 2];
			size_t before = a->state.n_cached;

			snprintf(name, sizeof(name), "%s\\%s", a->map.users[i].netbios_domain,
				 a->map.users[i].sam);
			if (agent_state_add_cached(&a->state, name) == FERRY_OK &&
			    a->state.n_cached > before)
				say(a, "simulated user: caches the target credentials of %s", name);
		}
		if (a->rh)
			agent_story_record(&a->story, "cache_credentials_prompt", "answer=cached");
		phase(a, "credentials_cached", "", "");
		return 0;
	case AGENT_ANSWER_START:
		a->state.start_requested = true;
		return 0;
	case AGENT_ANSWER_ACK:
		a->state.complete_ack = true;
		return 0;
	case AGENT_ANSWER_NONE:
		break;
	}
	return -1;
}

static int64_t runbook_done(struct svc_agent *a, const struct runbook *rb)
{
	say(a, "runbook %s complete", rb->id);
	rb_phase(a, rb, "complete", "");
	svc_log_event(a->opt.rehearse ? SVC_EV_REHEARSAL : SVC_EV_RUNBOOK_COMPLETE,
		      "runbook %s complete", rb->id);
	if (agent_state_add_completed(&a->state, rb->id) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "%s", ferry_error_detail());
	svc_platform_migration_hint(a->plat, rb, false);
	a->state.running[0] = '\0';
	a->state.complete_ack = false;
	agent_engine_close(a->engine);
	a->run.rb = NULL;
	persist(a);
	return 0;
}

/* One turn of the running runbook's engine; seconds to wait (0 = go on). */
static int64_t engine_turn(struct svc_agent *a, const struct runbook *rb, int64_t now)
{
	struct engine_result res;
	ferry_err err;

	/* Push the run context down: the ops read only this. */
	a->run.rb = rb;
	a->run.creds_cached = a->state.creds;
	snprintf(a->run.user, sizeof(a->run.user), "%s", a->state.creds_user);
	LeaveCriticalSection(&a->lock); /* pipe threads serve the experience meanwhile */
	/* The profile set is fixed for the run: the map is not scanned again
	 * while a runbook runs (scan_map), so the engine's borrow stays valid. */
	err = agent_engine_turn(a->engine, rb, a->map.profiles, a->map.n, &res);
	EnterCriticalSection(&a->lock);
	if (err != FERRY_OK) {
		svc_log_event(SVC_EV_FAILURE, "runbook %s: engine: %s: %s", rb->id,
			      ferry_strerror(err), ferry_error_detail());
		return RETRY_AFTER_STORAGE_FAILURE_S;
	}
	if (res.status != ENGINE_DONE && res.status != ENGINE_STOPPED) {
		const char *step, *stage = agent_engine_stage(a->engine, &step);

		rb_phase(a, rb, stage, step);
	}
	switch (res.status) {
	case ENGINE_DONE:
		return runbook_done(a, rb);
	case ENGINE_REBOOTING:
		if (a->opt.rehearse) { /* the simulated boot happened already */
			say(a, "runbook %s: reboot", rb->id);
			agent_engine_close(a->engine);
			return 0;
		}
		svc_log("runbook %s: waiting for the requested reboot", rb->id);
		return REBOOT_WAIT_S;
	case ENGINE_WAITING:
		return res.wake_at > now ? res.wake_at - now : 1;
	case ENGINE_STOPPED:
		svc_log_event(SVC_EV_RUNBOOK_STOPPED, "runbook %s: %s", rb->id, res.reason);
		rb_phase(a, rb, "stopped", "");
		return -1; /* nothing more to do for it */
	}
	return MAX_WAIT_S;
}

/* (L) A migration's profiles: each mapped one with its target, each unmapped
 * one left alone, in the story, the Event Log and the server's events. */
static void report_profiles(struct svc_agent *a)
{
	const struct idmap_profiles *sp = &a->map.split;

	if (!a->plan.map)
		say(a, "profiles: no signed identity mapping; no profile is migrated");
	for (size_t i = 0; i < sp->n_mapped; i++) {
		char acc[300];

		idmap_entry_account(sp->mapped[i].row, acc, sizeof(acc));
		say(a, "profile %s -> %s (%s): migrated", sp->mapped[i].source_sid,
		    sp->mapped[i].target_sid, acc);
	}
	for (size_t i = 0; i < sp->n_unmapped; i++) {
		char why[SID_STRING_MAX + 80];

		snprintf(why, sizeof(why), "profile %s has no row in the signed identity mapping; "
			 "left alone", sp->unmapped[i].source_sid);
		say(a, "%s", why);
		svc_log_event(SVC_EV_FAILURE, "%s", why);
		(void)a->pf->report_event(a->pf->ctx, "profile_unmapped", why);
	}
}

static void runbook_start(struct svc_agent *a, const struct schedule_decision *d,
			  const struct runbook *rb)
{
	say(a, "runbook %s: start", d->runbook);
	svc_log_event(a->opt.rehearse ? SVC_EV_REHEARSAL : SVC_EV_RUNBOOK_STARTED,
		      "runbook %s started", d->runbook);
	snprintf(a->state.running, sizeof(a->state.running), "%s", d->runbook);
	if (rb && rb->permission_updates.mode != RB_PERM_NONE)
		report_profiles(a);
	svc_platform_migration_hint(a->plat, rb, true);
	rb_phase(a, rb, "migrating", "");
	a->state.start_requested = false;
	a->state.start_announced_at = a->state.snoozed_until = RB_TIME_NONE;
	agent_engine_forget(a->engine);
	persist(a);
}

/* Act on the decision: seconds to wait (0 = decide again at once, -1 = until an event). */
static int64_t act(struct svc_agent *a, const struct schedule_decision *d, int64_t now)
{
	const struct runbook *rb = agent_plan_find(&a->plan, d->runbook);

	switch (d->action) {
	case SCHED_ACT_PROMPT_CACHE:
	case SCHED_ACT_OFFER:
	case SCHED_ACT_SHOW_COMPLETE:
		return user_turn(a, d);
	case SCHED_ACT_ANNOUNCE_START:
		say(a, "runbook %s: starts in %u minutes", d->runbook, d->minutes);
		a->state.start_announced_at = now;
		persist(a);
		return d->next_check - now;
	case SCHED_ACT_START:
		runbook_start(a, d, rb);
		return 0;
	case SCHED_ACT_CONTINUE:
		if (!rb) {
			svc_log_event(SVC_EV_FAILURE, "running runbook %s is not in the batch", d->runbook);
			return -1;
		}
		return engine_turn(a, rb, now);
	case SCHED_ACT_WAIT:
	case SCHED_ACT_COUNTDOWN:
		return d->next_check == RB_TIME_NONE ? -1 : d->next_check - now;
	case SCHED_ACT_NONE:
		break;
	}
	return -1;
}

/* (L) ProfileList by the mapping: again at every decision while nothing
 * runs (a user may log on for the first time before the migration), once
 * while a runbook runs (after a restart), then frozen for the run. */
static void scan_map(struct svc_agent *a)
{
	const char *sids[AGENT_MAP_MAX_USERS];
	size_t n = 0;

	if (a->map.known && a->state.running[0])
		return;
	if (agent_map_scan(&a->map, a->plan.map) != FERRY_OK) {
		svc_log_event(SVC_EV_FAILURE, "ProfileList: %s", ferry_error_detail());
		return;
	}
	/* The server cuts this device's slice from them (sent when they change). */
	for (size_t i = 0; i < a->map.split.n_mapped && n < AGENT_MAP_MAX_USERS; i++)
		sids[n++] = a->map.split.mapped[i].source_sid;
	for (size_t i = 0; i < a->map.split.n_unmapped && n < AGENT_MAP_MAX_USERS; i++)
		sids[n++] = a->map.split.unmapped[i].source_sid;
	svc_net_profiles(a->net, sids, n);
}

static DWORD WINAPI worker(void *arg)
{
	struct svc_agent *a = arg;
	struct device_state st;

	EnterCriticalSection(&a->lock);
	while (!a->stopping) {
		int64_t now = agent_clock_now(a->clock), wait = -1;

		apply_pending(a);
		scan_map(a);
		if (a->plan.batch) {
			device_state(a, &st);
			schedule_decide(&a->decision, a->plan.batch,
					(const struct runbook *const *)a->plan.rbs, a->plan.n_rbs, &st,
					now);
			wait = act(a, &a->decision, now);
		}
		if (svc_platform_uninstall_scheduled(a->plat)) {
			/* The MSI removal waits for SERVICE_STOPPED: stop now, from
			 * the service's own path. */
			svc_log_event(SVC_EV_STOPPED, "uninstall scheduled: the service stops now");
			a->request_stop();
			break;
		}
		refresh_experience(a);
		if (!agent_clock_wait(a->clock, wait, &a->decision, a->wake, &a->lock, &a->exit_code))
			break;
	}
	if (agent_clock_is_test(a->clock) && !a->stopping) {
		say(a, "rehearsal: nothing left for this device");
		a->finished = true;
	}
	LeaveCriticalSection(&a->lock);
	return 0;
}

/* --- start ------------------------------------------------------------------------------ */

/*
 * Unsigned files where a signed bundle belongs are refused, named in the
 * Event Log, never read: SYSTEM runs only what the admin's key signed
 * (docs/security.md, finding 6). Deleting BundleDir\bundle.json from a
 * signed site must not turn its batch.json into the plan.
 */
static void refuse_unsigned(const struct svc_agent *a)
{
	char path[MAX_PATH * 3 + 16];
	wchar_t *w;
	DWORD attr = INVALID_FILE_ATTRIBUTES;

	if (!a->opt.bundle_dir[0])
		return;
	snprintf(path, sizeof(path), "%s\\batch.json", a->opt.bundle_dir);
	if ((w = wu_wide(path)))
		attr = GetFileAttributesW(w);
	ferry_free(w);
	if (attr == INVALID_FILE_ATTRIBUTES)
		return;
	svc_log_event(SVC_EV_FAILURE, "refused %s and the runbooks it names: unsigned (no signed "
		      "bundle.json accepted from BundleDir or the server); Ferry runs only a signed "
		      "bundle, so nothing from them runs", path);
	if (a->opt.simulate) { /* a simulated rehearsal's story says it too */
		printf("refused %s: unsigned; nothing from it runs\n", path);
		fflush(stdout);
	}
}

/* Only the admin's own --batch on the command line is read unsigned. */
static ferry_err load_plan_files(struct svc_agent *a)
{
	if (a->opt.batch[0])
		return agent_plan_load(&a->plan, a->opt.batch);
	refuse_unsigned(a);
	return ferry_error_set(FERRY_ENOTFOUND, "no signed bundle accepted and no --batch");
}

/* The migration server (or BundleDir's signed bundle), then what it handed over. */
static ferry_err load_plan(struct svc_agent *a)
{
	struct net_accepted *b = NULL;
	ferry_err err;

	if ((err = svc_net_start(&a->net, &a->opt, &b)) != FERRY_OK && !a->opt.simulate)
		svc_log("migration server client not started; serving what is configured locally");
	else if (err != FERRY_OK)
		return err;
	err = b ? agent_plan_from_accepted(&a->plan, b) : load_plan_files(a);
	net_accepted_free(b);
	if (err != FERRY_OK && !a->opt.batch[0] && err == FERRY_ENOTFOUND) {
		svc_log("no batch configured (%s): serving an empty experience", ferry_error_detail());
		err = FERRY_OK;
	}
	return err;
}

static int64_t play_start(const struct svc_agent *a)
{
	int64_t t = RB_TIME_NONE;

	for (size_t i = 0; a->plan.batch && i < a->plan.batch->n_entries; i++) {
		int64_t f = a->plan.batch->entries[i].available_from;

		if (f != RB_TIME_NONE && (t == RB_TIME_NONE || f < t))
			t = f;
	}
	return t == RB_TIME_NONE ? 1735689600 /* 2025-01-01 */ : t - SIM_START_LEAD_S;
}

static ferry_err setup_clock(struct svc_agent *a)
{
	enum agent_clock_kind kind = a->opt.simulate     ? AGENT_CLOCK_SIMULATED :
				     a->opt.fast_clock ? AGENT_CLOCK_FAST :
							 AGENT_CLOCK_REAL;
	ferry_err err = agent_clock_new(&a->clock, kind, play_start(a), a->opt.simulate_cache_s,
					a->opt.pace_ms, agent_story_line, &a->story);

	a->story.clock = a->clock;
	if (err == FERRY_OK)
		a->state.user_logged_on = agent_clock_user_logged_on(a->clock);
	return err;
}

/* Rehearsing: the rehearsal over the Windows table, from the real PC where
 * it can tell (reads only). A play on a test clock always starts from a
 * domain- and Entra-joined PC so that it shows the whole plan, the same on
 * every machine, and forgets the last play's journals. */
static ferry_err setup_rehearsal(struct svc_agent *a, const struct ferry_platform *windows)
{
	struct rehearse_start st = { .ad_domain = "(current domain)", .entra_joined = true,
				     .boot_id = 1 };
	struct ferry_join_state js;
	bool test = agent_clock_is_test(a->clock);
	ferry_err err;

	if (!test && win_join_query(&js) == FERRY_OK) {
		st.ad_domain = js.ad_domain;
		st.entra_joined = js.entra_joined;
	}
	if (!test && win_boot_id(&st.boot_id) != FERRY_OK)
		st.boot_id = 1;
	if ((err = rehearse_new(&a->rh, windows, &st, agent_story_record, &a->story)) != FERRY_OK)
		return err;
	say(a, "rehearsal: starting from a PC joined to %s%s; nothing on this PC changes",
	    st.ad_domain[0] ? st.ad_domain : "no domain", st.entra_joined ? " and Entra" : "");
	for (size_t i = 0; test && i < a->plan.n_rbs; i++) {
		char name[128];

		snprintf(name, sizeof(name), "rehearsal-journal-%s", a->plan.rbs[i]->id);
		(void)svc_platform_storage_delete(a->plat, name);
	}
	if (test)
		(void)svc_platform_storage_delete(a->plat, "rehearsal-records.txt");
	return FERRY_OK;
}

/* The table the engine drives: net over texts over (rehearsal over) Windows. */
static ferry_err setup_platform(struct svc_agent *a)
{
	const struct ferry_platform *windows, *below;
	ferry_err err;

	a->run.rehearse = a->opt.rehearse;
	snprintf(a->run.signing_key, sizeof(a->run.signing_key), "%s", a->opt.signing_key);
	a->run.map = a->plan.map;
	a->run.packages = a->plan.packages;
	a->run.packages_from = a->plan.packages_from;
	snprintf(a->run.bundle_dir, sizeof(a->run.bundle_dir), "%s", a->opt.bundle_dir);
	if ((err = setup_clock(a)) != FERRY_OK ||
	    (err = svc_platform_new(&a->plat, a->opt.state_dir, &a->run, agent_clock_now,
				    a->clock)) != FERRY_OK)
		return err;
	windows = svc_platform_ops(a->plat);
	a->story.store = windows;
	if (a->opt.rehearse && (err = setup_rehearsal(a, windows)) != FERRY_OK)
		return err;
	below = a->rh ? rehearse_platform(a->rh) : windows;
	if ((err = svc_texts_new(&a->texts, below, &a->run)) != FERRY_OK)
		return err;
	a->pf = svc_net_wrap(a->net, svc_texts_platform(a->texts), agent_story_record, &a->story);
	if (a->net) {
		svc_platform_set_escrow(a->plat, svc_net_escrow, a->net);
		svc_platform_set_package_fetch(a->plat, svc_net_package, a->net);
		a->story.on_phase = svc_net_status; /* transitions become status reports */
		a->story.on_phase_ctx = a->net;
	}
	return agent_engine_new(&a->engine, a->pf, a->opt.rehearse ? "rehearsal-" : "");
}

static void device_name(struct svc_agent *a)
{
	wchar_t w[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD n = MAX_COMPUTERNAME_LENGTH + 1;

	if (a->opt.device[0])
		snprintf(a->device, sizeof(a->device), "%s", a->opt.device);
	else if (GetComputerNameW(w, &n))
		wu_utf8_into(a->device, sizeof(a->device), w);
	if (agent_clock_is_test(a->clock) && a->plan.batch && a->plan.batch->devices.n &&
	    !batch_has_device(a->plan.batch, a->device)) {
		say(a, "rehearsal: device %s is not in batch %s; rehearsing as if it were", a->device,
		    a->plan.batch->id);
		a->device[0] = '\0';
	}
	snprintf(a->run.device, sizeof(a->run.device), "%s", a->device);
}

/* A play on a test clock starts afresh; otherwise the device state survives restarts. */
static void restore(struct svc_agent *a)
{
	ferry_err err;

	if (agent_clock_is_test(a->clock))
		return;
	err = agent_state_restore(&a->state, svc_platform_ops(a->plat),
				  a->opt.rehearse ? REHEARSAL_STATE_FILE : STATE_FILE);
	if (err != FERRY_OK && err != FERRY_ENOTFOUND)
		svc_log_event(SVC_EV_FAILURE, "device state unreadable, starting afresh: %s",
			      ferry_error_detail());
}

ferry_err svc_agent_start(struct svc_agent **out, const struct svc_options *o,
			  void (*request_stop)(void))
{
	struct svc_agent *a;
	ferry_err err;

	*out = NULL;
	if (!(a = ferry_calloc(1, sizeof(*a))))
		return ferry_error_set(FERRY_ENOMEM, "agent: out of memory");
	a->opt = *o;
	a->request_stop = request_stop;
	InitializeCriticalSection(&a->lock);
	InitializeConditionVariable(&a->changed);
	agent_state_init(&a->state);
	if (!(a->wake = CreateEventW(NULL, FALSE, FALSE, NULL))) {
		err = ferry_error_set(FERRY_ESYSTEM, "CreateEventW failed");
		goto fail;
	}
	if ((err = load_plan(a)) != FERRY_OK || (err = setup_platform(a)) != FERRY_OK)
		goto fail;
	scan_map(a); /* the first poll reports the profiles (svc_net_profiles) */
	if ((err = svc_net_run(a->net, bundle_accepted, a, a->opt.poll_s)) != FERRY_OK)
		goto fail;
	device_name(a);
	restore(a);
	EnterCriticalSection(&a->lock);
	refresh_experience(a);
	LeaveCriticalSection(&a->lock);
	if (!(a->thread = CreateThread(NULL, 0, worker, a, 0, NULL))) {
		err = ferry_error_set(FERRY_ESYSTEM, "CreateThread(worker) failed");
		goto fail;
	}
	*out = a;
	return FERRY_OK;
fail:
	svc_agent_stop(a);
	return err;
}

/* --- stop ---------------------------------------------------------------------------------- */

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

static void free_agent(struct svc_agent *a)
{
	agent_engine_free(a->engine);
	agent_map_clear(&a->map);
	agent_plan_clear(&a->plan);
	agent_plan_clear(&a->pending);
	agent_state_clear(&a->state);
	svc_texts_free(a->texts);
	rehearse_free(a->rh);
	svc_platform_free(a->plat);
	agent_clock_free(a->clock);
	DeleteCriticalSection(&a->lock);
	ferry_free(a);
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
	if (!a->thread || WaitForSingleObject(a->thread, 0) == WAIT_OBJECT_0)
		free_agent(a);
	/* else: leaked on purpose, the process is exiting and the worker still uses it */
}

bool svc_agent_finished(struct svc_agent *a, int *exit_code)
{
	bool f;

	EnterCriticalSection(&a->lock);
	f = a->finished || (agent_clock_is_test(a->clock) && a->exit_code);
	*exit_code = a->exit_code;
	LeaveCriticalSection(&a->lock);
	return f;
}
