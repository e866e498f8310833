/*
 * Scheduling rules (design.md §1, steps 1-2 and 6):
 *
 *  R1 A running runbook owns the screen: in-progress, or service-unavailable
 *     when the server is unreachable and a user is logged on. A silent
 *     runbook shows nothing.
 *  R2 A completed migration is shown as complete once, at the first logon
 *     (until complete_acknowledged).
 *  R3 Batch entries are considered in order; completed ones are skipped.
 *     An entry before its available_from waits (null = available at once).
 *  R4 An entry whose prerequisites are not all complete never starts; the
 *     prerequisites, being earlier or later entries, are acted on instead.
 *  R5 A runbook that caches credentials or changes the domain never starts
 *     while credentials are not cached: the user is prompted instead, even
 *     past enforcement.
 *  R6 A silent runbook starts as soon as R3-R5 allow.
 *  R7 A show-progress runbook is offered between available_from and
 *     enforced_after; "start now" starts it; a snooze hides the offer until
 *     snoozed_until, but never past enforced_after.
 *  R8 From enforced_after the user is told it starts within 60 minutes
 *     (announce, then countdown), and it starts 60 minutes after the
 *     announcement. The deadline never moves, and an announced countdown
 *     stands even if the clock goes back before enforced_after.
 *
 * next_check is the earliest future instant at which time alone changes the
 * decision; events (logon, a click, credentials cached) need no timer.
 */
#include "runbook/schedule.h"

#include <string.h>

static const struct runbook *find_rb(const struct runbook *const *rbs, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (rbs[i] && !strcmp(rbs[i]->id, id))
			return rbs[i];
	return NULL;
}

static bool is_completed(const struct device_state *st, const char *id)
{
	for (size_t i = 0; i < st->n_completed; i++)
		if (!strcmp(st->completed[i], id))
			return true;
	return false;
}

static void soonest(int64_t *next, int64_t t, int64_t now)
{
	if (t != RB_TIME_NONE && t > now && (*next == RB_TIME_NONE || t < *next))
		*next = t;
}

static void set(struct schedule_decision *d, enum schedule_experience e, const char *rb,
		enum schedule_action a, int64_t next)
{
	d->experience = e;
	d->runbook = rb;
	d->action = a;
	d->next_check = next;
}

/* R8, for an entry at or past enforcement. */
static void enforced(struct schedule_decision *d, const struct runbook *rb,
		     const struct device_state *st, int64_t now)
{
	int64_t deadline;
	enum schedule_experience e = rb->startup.mode == RB_MODE_SILENT ?
				     SCHED_EXP_NONE : SCHED_EXP_MIGRATION_STARTING;

	if (st->start_announced_at == RB_TIME_NONE) {
		set(d, e, rb->id, SCHED_ACT_ANNOUNCE_START, now + SCHEDULE_START_WARNING_SECONDS);
		d->minutes = SCHEDULE_START_WARNING_SECONDS / 60;
		return;
	}
	deadline = st->start_announced_at + SCHEDULE_START_WARNING_SECONDS;
	if (now >= deadline) {
		set(d, e, rb->id, SCHED_ACT_START, RB_TIME_NONE);
		return;
	}
	set(d, e, rb->id, SCHED_ACT_COUNTDOWN, deadline);
	/* Rounded up, and never above the warning the user was given. */
	d->minutes = (unsigned)((deadline - now + 59) / 60);
	if (d->minutes > SCHEDULE_START_WARNING_SECONDS / 60)
		d->minutes = SCHEDULE_START_WARNING_SECONDS / 60;
}

/* R5-R8 for an entry that is available and whose prerequisites are done. */
static void actionable(struct schedule_decision *d, const struct batch_entry *e,
		       const struct runbook *rb, const struct device_state *st, int64_t now)
{
	bool needs_creds = rb->device_state.cache_user_credentials ||
			   rb->device_state.join_type != RB_JOIN_NONE;
	int64_t snooze_end;

	if (needs_creds && !st->credentials_cached) {
		set(d, SCHED_EXP_CACHE_CREDENTIALS, rb->id, SCHED_ACT_PROMPT_CACHE, RB_TIME_NONE);
		return;
	}
	if (rb->startup.mode == RB_MODE_SILENT) {
		set(d, SCHED_EXP_NONE, rb->id, SCHED_ACT_START, RB_TIME_NONE);
		return;
	}
	/* Once announced, the countdown stands even if the clock goes back. */
	if (st->start_announced_at != RB_TIME_NONE ||
	    (e->enforced_after != RB_TIME_NONE && now >= e->enforced_after)) {
		enforced(d, rb, st, now);
		return;
	}
	if (st->start_requested) {
		set(d, SCHED_EXP_MIGRATION_STARTING, rb->id, SCHED_ACT_START, RB_TIME_NONE);
		return;
	}
	snooze_end = st->snoozed_until;
	if (snooze_end != RB_TIME_NONE && e->enforced_after != RB_TIME_NONE &&
	    snooze_end > e->enforced_after)
		snooze_end = e->enforced_after;
	if (snooze_end != RB_TIME_NONE && now < snooze_end) {
		set(d, SCHED_EXP_NONE, rb->id, SCHED_ACT_WAIT, snooze_end);
		return;
	}
	set(d, SCHED_EXP_MIGRATION_AVAILABLE, rb->id, SCHED_ACT_OFFER, RB_TIME_NONE);
	soonest(&d->next_check, e->enforced_after, now);
}

/* R2: the last completed migration of the batch, if not yet acknowledged. */
static const char *unacknowledged_migration(const struct batch *b,
					    const struct runbook *const *rbs, size_t n,
					    const struct device_state *st)
{
	const char *found = NULL;

	if (st->complete_acknowledged)
		return NULL;
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct runbook *rb = find_rb(rbs, n, b->entries[i].runbook);

		if (rb && runbook_is_migration(rb) && is_completed(st, rb->id))
			found = rb->id;
	}
	return found;
}

void schedule_decide(struct schedule_decision *d, const struct batch *b,
		     const struct runbook *const *rbs, size_t n_rbs,
		     const struct device_state *st, int64_t now)
{
	int64_t next = RB_TIME_NONE;
	const char *done;

	memset(d, 0, sizeof(*d));
	set(d, SCHED_EXP_NONE, NULL, SCHED_ACT_NONE, RB_TIME_NONE);
	if (st->device_name && b->devices.n && !batch_has_device(b, st->device_name))
		return;
	if (st->running_runbook) { /* R1 */
		const struct runbook *rb = find_rb(rbs, n_rbs, st->running_runbook);
		enum schedule_experience e = SCHED_EXP_MIGRATION_IN_PROGRESS;

		if (rb && rb->startup.mode == RB_MODE_SILENT)
			e = SCHED_EXP_NONE;
		else if (!st->server_reachable && st->user_logged_on)
			e = SCHED_EXP_SERVICE_UNAVAILABLE;
		set(d, e, st->running_runbook, SCHED_ACT_CONTINUE, RB_TIME_NONE);
		return;
	}
	done = unacknowledged_migration(b, rbs, n_rbs, st);
	if (done && st->user_logged_on) { /* R2 */
		set(d, SCHED_EXP_MIGRATION_COMPLETE, done, SCHED_ACT_SHOW_COMPLETE, RB_TIME_NONE);
		return;
	}
	for (size_t i = 0; i < b->n_entries; i++) { /* R3 */
		const struct batch_entry *e = &b->entries[i];
		const struct runbook *rb = find_rb(rbs, n_rbs, e->runbook);
		bool ready = true;

		if (!rb || is_completed(st, rb->id))
			continue;
		if (e->available_from != RB_TIME_NONE && now < e->available_from) {
			soonest(&next, e->available_from, now);
			continue;
		}
		for (size_t j = 0; j < rb->prerequisites.n; j++) /* R4 */
			ready &= is_completed(st, rb->prerequisites.v[j]);
		if (!ready)
			continue;
		actionable(d, e, rb, st, now);
		return;
	}
	if (next != RB_TIME_NONE)
		set(d, SCHED_EXP_NONE, NULL, SCHED_ACT_WAIT, next);
}

const char *schedule_experience_name(enum schedule_experience e)
{
	switch (e) {
	case SCHED_EXP_NONE: return "none";
	case SCHED_EXP_CACHE_CREDENTIALS: return "cache_credentials";
	case SCHED_EXP_MIGRATION_AVAILABLE: return "migration_available";
	case SCHED_EXP_MIGRATION_STARTING: return "migration_starting";
	case SCHED_EXP_MIGRATION_IN_PROGRESS: return "migration_in_progress";
	case SCHED_EXP_MIGRATION_COMPLETE: return "migration_complete";
	case SCHED_EXP_SERVICE_UNAVAILABLE: return "service_unavailable";
	}
	return "none";
}

const char *schedule_action_name(enum schedule_action a)
{
	switch (a) {
	case SCHED_ACT_NONE: return "none";
	case SCHED_ACT_WAIT: return "wait";
	case SCHED_ACT_PROMPT_CACHE: return "prompt_cache_credentials";
	case SCHED_ACT_OFFER: return "offer";
	case SCHED_ACT_ANNOUNCE_START: return "announce_start";
	case SCHED_ACT_COUNTDOWN: return "countdown";
	case SCHED_ACT_START: return "start";
	case SCHED_ACT_CONTINUE: return "continue";
	case SCHED_ACT_SHOW_COMPLETE: return "show_complete";
	}
	return "none";
}
