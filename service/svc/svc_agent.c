/*
 * The agent: what the device knows (credentials cached, completed
 * runbooks, snooze, the running runbook), the experience the pipe serves,
 * and the user's answers. The worker (svc_worker.c) decides and runs the
 * engine; pipe threads read the experience and record answers here.
 *
 * Invariant: exp.generation changes exactly when any other field of the
 * experience changes, and every change wakes all subscribers.
 */
#include "svc/svc_agent.h"
#include "svc/svc_net.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "runbook/rfc3339.h"
#include "util/mem.h"
#include "ux/experience.h"

#define STATE_FILE "device-state.json"
#define REHEARSAL_STATE_FILE "rehearsal-device-state.json"

const struct runbook *agent_find_rb(const struct svc_agent *a, const char *id)
{
	for (size_t i = 0; id && i < a->n_rbs; i++)
		if (!strcmp(a->rbs[i]->id, id))
			return a->rbs[i];
	return NULL;
}

void agent_device_state(struct svc_agent *a, struct device_state *st)
{
	memset(st, 0, sizeof(*st));
	st->credentials_cached = a->creds;
	st->credentials_user = a->creds_user[0] ? a->creds_user : NULL;
	st->completed = (const char *const *)a->completed;
	st->n_completed = a->n_completed;
	st->snoozed_until = a->snoozed_until;
	st->running_runbook = a->running[0] ? a->running : NULL;
	st->server_reachable = svc_net_reachable(a->net);
	st->user_logged_on = a->user_logged_on;
	st->complete_acknowledged = a->complete_ack;
	st->start_announced_at = a->start_announced_at;
	st->start_requested = a->start_requested;
	st->device_name = a->device[0] ? a->device : NULL;
}

/* The fallback account exists between its create step and its delete step. */
static bool fallback_available(const struct svc_agent *a)
{
	bool made = false;

	if (!a->running[0] || !a->engine_known)
		return false;
	for (size_t i = 0; i < a->n_steps && i < a->last.step; i++) {
		if (a->steps[i].op == OP_CREATE_FALLBACK_ACCOUNT)
			made = true;
		else if (a->steps[i].op == OP_DELETE_FALLBACK_ACCOUNT)
			made = false;
	}
	return made;
}

void agent_refresh_experience(struct svc_agent *a)
{
	const struct runbook *rb = agent_find_rb(a, a->decision.runbook);
	struct ux_vars v = { 0 };
	struct ux_experience_input in = { 0 };
	static const struct ipc_experience empty;
	struct ipc_experience x;
	bool engine = a->engine_known && a->running[0] && a->steps;
	uint64_t g;

	v.target_user = a->creds_user;
	v.target_domain = rb ? rb->device_state.domain : NULL;
	v.device_name = a->device;
	in.decision = &a->decision;
	in.rb = rb;
	in.vars = &v;
	in.engine_known = engine;
	if (engine) {
		in.status = a->last.status;
		in.phase = a->last.phase;
		in.step = a->last.step;
		in.n_steps = a->n_steps;
		in.step_name = a->last.step < a->n_steps ? engine_op_name(a->steps[a->last.step].op) :
							   NULL;
	}
	in.fallback_available = fallback_available(a);
	in.now = a->pf->now(a->pf->ctx);
	if (ux_experience_build(&x, &in) != FERRY_OK) {
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

static void answered(struct svc_agent *a)
{
	agent_persist(a);
	LeaveCriticalSection(&a->lock);
	SetEvent(a->wake);
}

void svc_agent_start_now(struct svc_agent *a)
{
	EnterCriticalSection(&a->lock);
	a->start_requested = true;
	agent_narrate(a, "user: start now (pipe)");
	answered(a);
}

ferry_err svc_agent_snooze(struct svc_agent *a, uint32_t minutes, int64_t *until)
{
	EnterCriticalSection(&a->lock);
	*until = a->pf->now(a->pf->ctx) + (int64_t)minutes * 60;
	a->snoozed_until = *until;
	a->start_requested = false;
	svc_log("user: snooze %u minutes", (unsigned)minutes);
	answered(a);
	return FERRY_OK;
}

void svc_agent_ack_complete(struct svc_agent *a)
{
	EnterCriticalSection(&a->lock);
	a->complete_ack = true;
	agent_narrate(a, "user: acknowledges \"migration complete\" (pipe)");
	answered(a);
}

void svc_agent_credentials_cached(struct svc_agent *a, const char *user, const char *domain)
{
	EnterCriticalSection(&a->lock);
	a->creds = true;
	snprintf(a->creds_user, sizeof(a->creds_user), "%s%s%s", domain ? domain : "",
		 domain && *domain ? "\\" : "", user ? user : "");
	agent_narrate(a, "user: caches the target credentials of %s (pipe)", a->creds_user);
	answered(a);
}

bool svc_agent_has_credentials(struct svc_agent *a)
{
	bool c;

	EnterCriticalSection(&a->lock);
	c = a->creds;
	LeaveCriticalSection(&a->lock);
	return c;
}

bool svc_agent_rehearsing(const struct svc_agent *a)
{
	return a->opt.rehearse;
}

void agent_add_completed(struct svc_agent *a, const char *id)
{
	char **v = ferry_realloc_array(a->completed, a->n_completed + 1, sizeof(*v));
	char *copy = ferry_strdup(id);

	if (v)
		a->completed = v;
	if (!v || !copy) {
		ferry_free(copy);
		svc_log_event(SVC_EV_FAILURE, "out of memory recording runbook %s as complete", id);
		return;
	}
	a->completed[a->n_completed++] = copy;
}

/* --- persistence: the device state survives reboots (schedule.h's keys) --- */

static void add_time(cJSON *o, const char *key, int64_t t)
{
	char buf[RFC3339_BUF];

	if (t == RB_TIME_NONE || rfc3339_format(buf, t) != FERRY_OK)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, buf);
}

void agent_persist(struct svc_agent *a)
{
	cJSON *o = cJSON_CreateObject(), *list, *run;
	char *text = NULL;

	if (a->opt.simulate || !o)
		goto out;
	cJSON_AddBoolToObject(o, "credentials_cached", a->creds);
	if (a->creds_user[0])
		cJSON_AddStringToObject(o, "credentials_user", a->creds_user);
	list = cJSON_AddArrayToObject(o, "completed");
	for (size_t i = 0; list && i < a->n_completed; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(a->completed[i]));
	add_time(o, "snoozed_until", a->snoozed_until);
	if (a->running[0] && (run = cJSON_AddObjectToObject(o, "running")))
		cJSON_AddStringToObject(run, "runbook", a->running);
	cJSON_AddBoolToObject(o, "complete_acknowledged", a->complete_ack);
	add_time(o, "start_announced_at", a->start_announced_at);
	cJSON_AddBoolToObject(o, "start_requested", a->start_requested);
	if (!(text = cJSON_PrintUnformatted(o)) ||
	    a->plat.ops.storage_replace(&a->plat, a->opt.rehearse ? REHEARSAL_STATE_FILE : STATE_FILE,
					(const uint8_t *)text, strlen(text)) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "could not save the device state: %s",
			      ferry_error_detail());
out:
	cJSON_free(text);
	cJSON_Delete(o);
}

ferry_err agent_restore(struct svc_agent *a)
{
	struct rb_issues iss = { 0 };
	struct device_state_doc *d = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	const char *file = a->opt.rehearse ? REHEARSAL_STATE_FILE : STATE_FILE;
	ferry_err err;

	a->snoozed_until = a->start_announced_at = RB_TIME_NONE;
	if (agent_test_clock(a))
		return FERRY_OK; /* a play on the test clock starts afresh */
	err = a->plat.ops.storage_read(&a->plat, file, &data, &len);
	if (err == FERRY_ENOTFOUND)
		return FERRY_OK;
	if (err == FERRY_OK)
		err = device_state_parse(&d, &iss, file, (const char *)data, len);
	ferry_free(data);
	rb_issues_clear(&iss);
	if (err != FERRY_OK)
		return err;
	a->creds = d->st.credentials_cached;
	snprintf(a->creds_user, sizeof(a->creds_user), "%s",
		 d->st.credentials_user ? d->st.credentials_user : "");
	for (size_t i = 0; i < d->st.n_completed; i++)
		agent_add_completed(a, d->st.completed[i]);
	a->snoozed_until = d->st.snoozed_until;
	snprintf(a->running, sizeof(a->running), "%s",
		 d->st.running_runbook ? d->st.running_runbook : "");
	a->complete_ack = d->st.complete_acknowledged;
	a->start_announced_at = d->st.start_announced_at;
	a->start_requested = d->st.start_requested;
	device_state_free(d);
	return FERRY_OK;
}

void agent_free_state(struct svc_agent *a)
{
	for (size_t i = 0; i < a->n_completed; i++)
		ferry_free(a->completed[i]);
	ferry_free(a->completed);
	for (size_t i = 0; i < a->n_rbs; i++)
		runbook_free(a->rbs[i]);
	ferry_free(a->rbs);
	batch_free(a->batch);
	engine_free(a->engine);
	ferry_free(a->steps);
	rehearse_free(a->rh);
}
