/*
 * The engine's run loop: replay the journal, then for each step
 *
 *   check-then-act op: ask its check; if it already happened, journal DONE;
 *   journal STARTED (+ sync), call the op, journal DONE (+ sync).
 *
 * RESUME RULES (after a crash at any point)
 *   - A step with DONE is never touched again.
 *   - A step with STARTED but no DONE is re-run if its op is idempotent;
 *     otherwise its check decides (for a reboot: the boot id differs from
 *     the one journaled in STARTED).
 *   - Because a STARTED record is synced before the op is called and DONE
 *     only after it returns, "effect happened" implies "STARTED durable",
 *     so the check is consulted whenever it matters.
 *
 * FAILURE POLICY
 *   A failed op journals FAILED (with the reason) and is retried after
 *   backoff_seconds * 2^(failures-1), capped at max_backoff_seconds, up to
 *   retry.attempts attempts. Then the engine stops safely: it clears the
 *   prevent-login lease, shows service-unavailable, reports the event and
 *   reason, and journals STOPPED. The fallback account is kept while the
 *   PC's directory membership may have changed (an unjoin, Entra leave or
 *   ODJ import at or before the failed step), so helpdesk can always log
 *   on; when none of those ran, domain users log on as before, and the
 *   account Ferry made is deleted (best effort: a failure is reported).
 */
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

#include "engine/crc32c.h"
#include "engine/journal.h"
#include "util/mem.h"

#define BUSY_RETRY_SECONDS 60

struct engine {
	const struct ferry_platform *p;
	const struct runbook *rb;
	struct engine_step *steps;
	size_t n;
	struct journal *j;
	uint32_t fingerprint;

	/* Replayed state (see journal.c for the step state diagram). */
	size_t next;            /* first step not done */
	bool started;           /* steps[next] has STARTED without DONE/FAILED */
	uint64_t started_boot;  /* boot id journaled in that STARTED */
	unsigned failures;      /* FAILED records for steps[next] */
	int64_t last_fail_at;
	int64_t last_done_at;
	bool stopped, complete;
	char reason[256];
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool same_domain(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return !*a && !*b;
}

/* The plan's identity: resuming a journal with a different plan is refused. */
static uint32_t fingerprint(const struct engine_step *s, size_t n)
{
	uint32_t c = 0;
	uint8_t b[8];

	for (size_t i = 0; i < n; i++) {
		b[0] = (uint8_t)s[i].phase;
		b[1] = (uint8_t)s[i].op;
		b[2] = (uint8_t)s[i].delay_seconds, b[3] = (uint8_t)(s[i].delay_seconds >> 8);
		b[4] = (uint8_t)(s[i].delay_seconds >> 16), b[5] = (uint8_t)(s[i].delay_seconds >> 24);
		b[6] = b[7] = 0;
		c = crc32c(c, b, sizeof(b));
		if (s[i].arg)
			c = crc32c(c, s[i].arg, strlen(s[i].arg) + 1);
		if (s[i].profile) {
			c = crc32c(c, s[i].profile->source_sid, strlen(s[i].profile->source_sid) + 1);
			c = crc32c(c, s[i].profile->target_sid, strlen(s[i].profile->target_sid) + 1);
		}
	}
	return c;
}

static ferry_err replay_one(struct engine *e, const struct journal_record *r, size_t idx)
{
	if (idx == 0 && r->type != JREC_BEGIN)
		return ferry_error_set(FERRY_ECORRUPT, "journal: first record is not BEGIN");
	if ((r->type == JREC_STARTED || r->type == JREC_DONE || r->type == JREC_FAILED) &&
	    r->step != e->next)
		return ferry_error_set(FERRY_ECORRUPT, "journal: record %u is for step %u, expected %zu",
				       r->seq, r->step, e->next);
	switch (r->type) {
	case JREC_BEGIN:
		if (strcmp(r->payload, e->rb->id) || r->value != e->fingerprint || r->step != e->n)
			return ferry_error_set(FERRY_EMISMATCH, "journal: belongs to runbook '%s' or "
					       "another version of its plan", r->payload);
		break;
	case JREC_CHECKPOINT:
		if (r->step > e->n)
			return ferry_error_set(FERRY_ECORRUPT, "journal: checkpoint past the last step");
		e->next = r->step;
		e->last_done_at = (int64_t)r->value;
		e->started = false;
		e->failures = 0;
		break;
	case JREC_STARTED:
		e->started = true;
		e->started_boot = r->value;
		break;
	case JREC_DONE:
		e->next++;
		e->last_done_at = (int64_t)r->value;
		e->started = false;
		e->failures = 0;
		break;
	case JREC_FAILED:
		e->started = false;
		e->failures = r->attempt;
		e->last_fail_at = (int64_t)r->value;
		snprintf(e->reason, sizeof(e->reason), "%.255s", r->payload);
		break;
	case JREC_STOPPED:
		e->stopped = true;
		snprintf(e->reason, sizeof(e->reason), "%.255s", r->payload);
		break;
	case JREC_COMPLETE:
		e->complete = true;
		break;
	}
	if (e->next > e->n)
		return ferry_error_set(FERRY_ECORRUPT, "journal: more steps done than planned");
	return FERRY_OK;
}

ferry_err engine_open(struct engine **out, const struct ferry_platform *p,
		      const struct runbook *rb, const char *journal_name,
		      const struct ferry_profile *profiles, size_t n_profiles)
{
	struct engine *e;
	ferry_err err;

	*out = NULL;
	if (!(e = ferry_calloc(1, sizeof(*e))))
		return ferry_error_set(FERRY_ENOMEM, "engine: out of memory");
	e->p = p;
	e->rb = rb;
	if ((err = engine_plan(&e->steps, &e->n, rb, profiles, n_profiles)) != FERRY_OK)
		goto fail;
	e->fingerprint = fingerprint(e->steps, e->n);
	if ((err = journal_open(&e->j, p, journal_name, NULL)) != FERRY_OK)
		goto fail;
	for (size_t i = 0; i < journal_count(e->j); i++)
		if ((err = replay_one(e, journal_get(e->j, i), i)) != FERRY_OK)
			goto fail;
	if (journal_count(e->j) == 0 &&
	    (err = journal_append(e->j, JREC_BEGIN, (uint16_t)e->n, 0, e->fingerprint, rb->id)))
		goto fail;
	*out = e;
	return FERRY_OK;
fail:
	engine_free(e);
	return err;
}

/* Ask a check-then-act op's check whether its effect already happened. */
static ferry_err check_done(struct engine *e, const struct engine_step *s, bool *done)
{
	const struct ferry_platform *p = e->p;
	struct ferry_join_state js;
	uint64_t boot = 0;
	ferry_err err = FERRY_OK;

	*done = false;
	memset(&js, 0, sizeof(js));
	switch (s->op) {
	case OP_CREATE_FALLBACK_ACCOUNT:
		return p->account_exists(p->ctx, s->arg, done);
	case OP_REBOOT:
		if (e->started && (err = p->boot_id(p->ctx, &boot)) == FERRY_OK)
			*done = boot != e->started_boot;
		return err;
	case OP_UNJOIN_DOMAIN:
	case OP_LEAVE_ENTRA:
	case OP_IMPORT_ODJ:
		if ((err = p->query_join(p->ctx, &js)) != FERRY_OK)
			return err;
		js.ad_domain[sizeof(js.ad_domain) - 1] = '\0';
		if (s->op == OP_LEAVE_ENTRA)
			*done = !js.entra_joined;
		else if (s->op == OP_IMPORT_ODJ)
			*done = same_domain(js.ad_domain, e->rb->device_state.domain);
		else
			*done = !js.ad_domain[0] ||
				same_domain(js.ad_domain, e->rb->device_state.domain ?
							  e->rb->device_state.domain : "");
		return FERRY_OK;
	default:
		return FERRY_OK;
	}
}

static int64_t lease_until(const struct engine *e)
{
	return e->p->now(e->p->ctx) + (int64_t)e->rb->startup.prevent_login_max_hours * 3600;
}

static ferry_err call_op(struct engine *e, const struct engine_step *s)
{
	const struct ferry_platform *p = e->p;
	const struct runbook *rb = e->rb;
	void *c = p->ctx;

	switch (s->op) {
	case OP_CACHE_CREDENTIALS: return p->cache_credentials(c);
	case OP_CREATE_FALLBACK_ACCOUNT: return p->create_fallback_account(c, s->arg);
	case OP_SET_LOCK_SCREEN:
		return p->set_lock_screen(c, rb->startup.image_source == RB_IMAGE_CUSTOM ?
					     rb->startup.image_path : NULL);
	case OP_SET_LEGAL_NOTICE:
		return p->set_legal_notice(c, rb->user_experience.legal_notice.caption,
					   rb->user_experience.legal_notice.text);
	case OP_SET_PREVENT_LOGIN: return p->set_prevent_login(c, lease_until(e));
	case OP_RUN_COMMAND_PACKAGE: return p->run_command_package(c, s->arg);
	case OP_NOTIFY_USER: return p->notify_user(c, SCHED_EXP_MIGRATION_IN_PROGRESS);
	case OP_UNJOIN_DOMAIN: return p->unjoin_domain(c);
	case OP_LEAVE_ENTRA: return p->leave_entra(c);
	case OP_REBOOT: return p->reboot(c);
	case OP_IMPORT_ODJ:
		return p->import_odj(c, rb->device_state.domain, rb->device_state.computer_ou);
	case OP_OBTAIN_ODJ:
		return p->obtain_odj(c, rb->device_state.domain, rb->device_state.computer_ou);
	case OP_REACL_PATHS:
		if (s->profile)
			return p->reacl_paths(c, rb->permission_updates.mode, NULL, 0, s->profile);
		return p->reacl_paths(c, rb->permission_updates.mode,
				      (const char *const *)rb->permission_updates.paths.v,
				      rb->permission_updates.paths.n, NULL);
	case OP_REACL_REGISTRY_HIVES:
		return p->reacl_registry_hives(c, rb->permission_updates.mode, s->profile);
	case OP_REMAP_PROFILE: return p->remap_profile(c, s->profile);
	case OP_RESET_APPS: return p->reset_apps(c, rb->app_reset, s->profile);
	case OP_RESTORE_LOCK_SCREEN: return p->restore_lock_screen(c);
	case OP_RESTORE_LEGAL_NOTICE: return p->restore_legal_notice(c);
	case OP_CLEAR_PREVENT_LOGIN: return p->clear_prevent_login(c);
	case OP_UNINSTALL_AGENT: return p->uninstall_agent(c);
	case OP_DELETE_FALLBACK_ACCOUNT: return p->delete_fallback_account(c, s->arg);
	case OP_COUNT: break;
	}
	return ferry_error_set(FERRY_EINVAL, "engine: unknown op %d", (int)s->op);
}

static int64_t backoff(const struct engine *e)
{
	int64_t b = e->rb->retry.backoff_seconds;

	for (unsigned i = 1; i < e->failures && b < e->rb->retry.max_backoff_seconds; i++)
		b *= 2;
	return b < e->rb->retry.max_backoff_seconds ? b : e->rb->retry.max_backoff_seconds;
}

/*
 * The fallback account made by an earlier step, when the stop leaves the
 * PC in its directories (no unjoin, Entra leave or ODJ import at or before
 * the failed step); NULL otherwise: then it stays for helpdesk.
 */
static const char *fallback_to_delete(const struct engine *e)
{
	const char *made = NULL;

	for (size_t i = 0; i <= e->next && i < e->n; i++) {
		switch (e->steps[i].op) {
		case OP_UNJOIN_DOMAIN:
		case OP_LEAVE_ENTRA:
		case OP_IMPORT_ODJ:
			return NULL;
		case OP_CREATE_FALLBACK_ACCOUNT:
			if (i < e->next)
				made = e->steps[i].arg;
			break;
		default:
			break;
		}
	}
	return made;
}

/* Leave a state in which someone can log on, and say why (failure policy). */
static ferry_err safe_stop(struct engine *e, struct engine_result *res)
{
	const struct ferry_platform *p = e->p;
	const char *fallback = fallback_to_delete(e);
	ferry_err err;

	if ((err = p->clear_prevent_login(p->ctx)) != FERRY_OK) {
		/* The lease lapses by itself at its cap; until then, keep trying. */
		res->status = ENGINE_WAITING;
		res->wake_at = p->now(p->ctx) + BUSY_RETRY_SECONDS;
		return FERRY_OK;
	}
	/* Best effort: the journal's STOPPED record is the durable account. */
	if (fallback && p->delete_fallback_account(p->ctx, fallback) != FERRY_OK)
		(void)p->report_event(p->ctx, "fallback_kept", ferry_error_detail());
	(void)p->notify_user(p->ctx, SCHED_EXP_SERVICE_UNAVAILABLE);
	(void)p->report_event(p->ctx, "migration_stopped", e->reason);
	if ((err = journal_append(e->j, JREC_STOPPED, (uint16_t)e->next, 0,
				  (uint64_t)p->now(p->ctx), e->reason)) != FERRY_OK)
		return err;
	e->stopped = true;
	res->status = ENGINE_STOPPED;
	snprintf(res->reason, sizeof(res->reason), "%s", e->reason);
	return FERRY_OK;
}

static ferry_err fail_step(struct engine *e, const struct engine_step *s, ferry_err op_err,
			   struct engine_result *res)
{
	int64_t now = e->p->now(e->p->ctx);
	ferry_err err;

	snprintf(e->reason, sizeof(e->reason), "step %zu %s: %s: %s", e->next, engine_op_name(s->op),
		 ferry_strerror(op_err), ferry_error_detail());
	if ((err = journal_append(e->j, JREC_FAILED, (uint16_t)e->next, (uint16_t)(e->failures + 1),
				  (uint64_t)now, e->reason)) != FERRY_OK)
		return err;
	e->failures++;
	e->started = false;
	e->last_fail_at = now;
	if (e->failures >= e->rb->retry.attempts)
		return safe_stop(e, res);
	res->status = ENGINE_WAITING;
	res->wake_at = now + backoff(e);
	return FERRY_OK;
}

static ferry_err mark_done(struct engine *e)
{
	int64_t now = e->p->now(e->p->ctx);
	struct journal_record keep[2];
	ferry_err err;

	if ((err = journal_append(e->j, JREC_DONE, (uint16_t)e->next, 0, (uint64_t)now, NULL)))
		return err;
	e->next++;
	e->started = false;
	e->failures = 0;
	e->last_done_at = now;
	if (journal_count(e->j) <= ENGINE_COMPACT_AFTER)
		return FERRY_OK;
	/* Everything before `next` is done: BEGIN + CHECKPOINT say all of it. */
	keep[0] = *journal_get(e->j, 0);
	memset(&keep[1], 0, sizeof(keep[1]));
	keep[1].type = JREC_CHECKPOINT;
	keep[1].step = (uint16_t)e->next;
	keep[1].value = (uint64_t)now;
	return journal_compact(e->j, keep, 2);
}

/*
 * unjoin_domain's guard (design.md §1.4: no PC is ever stranded in a
 * workgroup): a validated blob for the runbook's domain must be on disk.
 * One that went missing or bad since obtain_odj (a corrupt file, one for
 * another machine) is obtained again (the op is idempotent and the server
 * gives the same bytes); if there is still none, the unjoin fails as a step,
 * so the failure policy retries it and at last stops with the PC still in
 * its source domain.
 */
static ferry_err odj_in_hand(struct engine *e)
{
	const struct ferry_platform *p = e->p;
	const char *domain = e->rb->device_state.domain;
	bool ready = false;
	ferry_err err;

	if (e->rb->device_state.join_type != RB_JOIN_ACTIVE_DIRECTORY || !domain)
		return ferry_error_set(FERRY_EPERM, "unjoin_domain refused: the runbook joins no "
				       "domain, and a PC is never left in a workgroup");
	if ((err = p->odj_ready(p->ctx, domain, &ready)) != FERRY_OK)
		return err;
	if (!ready && (err = p->obtain_odj(p->ctx, domain, e->rb->device_state.computer_ou)))
		return ferry_error_wrap(err, "unjoin_domain refused: no validated ODJ blob for %s "
					"on disk, and obtaining it again failed: ", domain);
	if (!ready && (err = p->odj_ready(p->ctx, domain, &ready)) != FERRY_OK)
		return err;
	if (!ready)
		return ferry_error_set(FERRY_ENOTFOUND, "unjoin_domain refused: no validated ODJ "
				       "blob for %s on disk", domain);
	return FERRY_OK;
}

/* One step. Returns an error only for storage failures; sets res->status
 * and *stop when the run must return. */
static ferry_err run_step(struct engine *e, struct engine_result *res, bool *stop)
{
	const struct engine_step *s = &e->steps[e->next];
	const struct ferry_platform *p = e->p;
	uint64_t boot = 0;
	bool done = false;
	ferry_err err;

	if (engine_op_class(s->op) == OP_CHECK_THEN_ACT) {
		if ((err = check_done(e, s, &done)) != FERRY_OK)
			return *stop = true, fail_step(e, s, err, res);
		if (done)
			return mark_done(e);
	}
	if (s->op == OP_UNJOIN_DOMAIN && (err = odj_in_hand(e)) != FERRY_OK)
		return *stop = true, fail_step(e, s, err, res);
	if ((err = p->boot_id(p->ctx, &boot)) != FERRY_OK)
		return *stop = true, fail_step(e, s, err, res);
	if ((err = journal_append(e->j, JREC_STARTED, (uint16_t)e->next, (uint16_t)(e->failures + 1),
				  boot, NULL)) != FERRY_OK)
		return err;
	e->started = true;
	e->started_boot = boot;
	err = call_op(e, s);
	if (err == FERRY_OK && s->op == OP_REBOOT) {
		*stop = true;
		res->status = ENGINE_REBOOTING;
		return FERRY_OK;
	}
	if (err == FERRY_OK)
		return mark_done(e);
	*stop = true;
	if (err == FERRY_EBUSY) { /* waiting for the user: not a failure */
		res->status = ENGINE_WAITING;
		res->wake_at = p->now(p->ctx) + BUSY_RETRY_SECONDS;
		return FERRY_OK;
	}
	return fail_step(e, s, err, res);
}

ferry_err engine_run(struct engine *e, struct engine_result *res)
{
	const struct ferry_platform *p = e->p;
	ferry_err err = FERRY_OK;
	bool stop = false;

	memset(res, 0, sizeof(*res));
	if (e->complete) {
		res->status = ENGINE_DONE;
	} else if (e->stopped) {
		res->status = ENGINE_STOPPED;
		snprintf(res->reason, sizeof(res->reason), "%s", e->reason);
	} else if (e->failures >= e->rb->retry.attempts) {
		err = safe_stop(e, res); /* crashed between FAILED and STOPPED */
	} else if ((err = engine_renew_lease(e)) == FERRY_OK) {
		while (!stop && e->next < e->n) {
			const struct engine_step *s = &e->steps[e->next];
			int64_t now = p->now(p->ctx);

			stop = true;
			res->status = ENGINE_WAITING;
			if (s->delay_seconds && now < e->last_done_at + (int64_t)s->delay_seconds)
				res->wake_at = e->last_done_at + s->delay_seconds;
			else if (e->failures && now < e->last_fail_at + backoff(e))
				res->wake_at = e->last_fail_at + backoff(e);
			else if ((stop = false, err = run_step(e, res, &stop)) != FERRY_OK)
				break;
		}
		if (!err && !stop) {
			err = journal_append(e->j, JREC_COMPLETE, (uint16_t)e->n, 0,
					     (uint64_t)p->now(p->ctx), NULL);
			e->complete = err == FERRY_OK;
			res->status = ENGINE_DONE;
		}
	}
	res->step = e->next;
	res->phase = e->steps && e->n ? e->steps[e->next < e->n ? e->next : e->n - 1].phase :
					 PHASE_COMPLETION;
	return err;
}

ferry_err engine_renew_lease(struct engine *e)
{
	bool set_done = false;

	if (e->stopped || e->complete)
		return FERRY_OK;
	for (size_t i = 0; i < e->n; i++) {
		if (e->steps[i].op == OP_SET_PREVENT_LOGIN)
			set_done = i < e->next;
		else if (e->steps[i].op == OP_CLEAR_PREVENT_LOGIN && set_done && i >= e->next)
			return e->p->set_prevent_login(e->p->ctx, lease_until(e));
	}
	return FERRY_OK;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	journal_free(e->j);
	ferry_free(e->steps);
	ferry_free(e);
}
