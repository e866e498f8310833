#include "ux/experience.h"

#include <stdio.h>

#include "runbook/rfc3339.h"
#include <string.h>

unsigned ux_progress_percent(size_t step, size_t n)
{
	if (!n)
		return 0;
	if (step >= n)
		return 100;
	return (unsigned)(step * 100 / n);
}

enum ipc_screen ux_screen_for(enum schedule_experience e)
{
	switch (e) {
	case SCHED_EXP_CACHE_CREDENTIALS: return IPC_SCREEN_CREDENTIALS;
	case SCHED_EXP_MIGRATION_AVAILABLE:
	case SCHED_EXP_MIGRATION_STARTING: return IPC_SCREEN_NOTICE;
	case SCHED_EXP_MIGRATION_IN_PROGRESS: return IPC_SCREEN_PROGRESS;
	case SCHED_EXP_MIGRATION_COMPLETE: return IPC_SCREEN_COMPLETE;
	case SCHED_EXP_SERVICE_UNAVAILABLE: return IPC_SCREEN_FAILED;
	case SCHED_EXP_NONE: break;
	}
	return IPC_SCREEN_NONE;
}

static bool text_screen(enum schedule_experience e, enum ux_screen *out)
{
	switch (e) {
	case SCHED_EXP_CACHE_CREDENTIALS: *out = UX_SCREEN_CACHE_CREDENTIALS; return true;
	case SCHED_EXP_MIGRATION_AVAILABLE: *out = UX_SCREEN_MIGRATION_AVAILABLE; return true;
	case SCHED_EXP_MIGRATION_STARTING: *out = UX_SCREEN_MIGRATION_STARTING; return true;
	case SCHED_EXP_MIGRATION_IN_PROGRESS: *out = UX_SCREEN_MIGRATION_IN_PROGRESS; return true;
	case SCHED_EXP_MIGRATION_COMPLETE: *out = UX_SCREEN_MIGRATION_COMPLETE; return true;
	case SCHED_EXP_SERVICE_UNAVAILABLE: *out = UX_SCREEN_SERVICE_UNAVAILABLE; return true;
	case SCHED_EXP_NONE: break;
	}
	return false;
}

/* Copy s into dst[cap], cutting at a UTF-8 boundary when it does not fit. */
static void copy_cut(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= cap) {
		n = cap - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The image a screen shows: the runbook's logo on the credentials prompt,
 * its custom migration image while migrating; "" otherwise. */
static const char *image_for(const struct runbook *rb, enum ipc_screen screen)
{
	if (!rb)
		return "";
	if (screen == IPC_SCREEN_CREDENTIALS && rb->user_experience.cache_credentials.logo)
		return rb->user_experience.cache_credentials.logo;
	if (screen == IPC_SCREEN_PROGRESS && rb->startup.image_source == RB_IMAGE_CUSTOM &&
	    rb->startup.image_path)
		return rb->startup.image_path;
	return "";
}

uint32_t ux_snooze_max_minutes(const struct schedule_decision *d, int64_t now)
{
	int64_t left;

	if (d->experience != SCHED_EXP_MIGRATION_AVAILABLE || d->action != SCHED_ACT_OFFER)
		return 0;
	if (d->next_check == RB_TIME_NONE)
		return IPC_SNOOZE_MIN_MAX;
	if (d->next_check <= now)
		return 0;
	left = (d->next_check - now) / 60;
	return left > IPC_SNOOZE_MIN_MAX ? IPC_SNOOZE_MIN_MAX : (uint32_t)left;
}

/* The QR URL: the runbook's qr_code_url when it fits the pipe's rule
 * (printable ASCII, <= IPC_URL_MAX). A URL that does not fit is dropped,
 * never cut: a cut URL would send the user somewhere else. */
static void fill_qr(struct ipc_experience *out, const struct runbook *rb)
{
	const char *u = rb ? rb->user_experience.qr_code_url : NULL;
	size_t n;

	if (!u || out->screen == IPC_SCREEN_NONE)
		return;
	for (n = 0; u[n]; n++)
		if ((unsigned char)u[n] < 0x21 || (unsigned char)u[n] > 0x7e || n >= IPC_URL_MAX)
			return;
	memcpy(out->qr_url, u, n + 1);
}

/* starts_at: only for the "starts within 60 minutes" notice, whose
 * decision's next_check is the start. */
static void fill_times(struct ipc_experience *out, const struct ux_experience_input *in,
		       enum schedule_experience e)
{
	const struct schedule_decision *d = in->decision;
	char buf[RFC3339_BUF];

	if (e == SCHED_EXP_MIGRATION_STARTING && d->next_check != RB_TIME_NONE &&
	    rfc3339_format(buf, d->next_check) == FERRY_OK)
		memcpy(out->starts_at, buf, sizeof(buf));
	if (e == SCHED_EXP_MIGRATION_AVAILABLE)
		out->snooze_max_minutes = ux_snooze_max_minutes(d, in->now);
}

static ferry_err fill_texts(struct ipc_experience *out, const struct ux_experience_input *in,
			    enum schedule_experience e)
{
	struct ux_texts t; /* ~6 KiB: fine on a service thread's 1 MiB stack */
	struct ux_vars v = in->vars ? *in->vars : (struct ux_vars){ 0 };
	enum ux_screen s;
	ferry_err err;

	if (!text_screen(e, &s))
		return FERRY_OK;
	if (e == SCHED_EXP_MIGRATION_STARTING)
		v.minutes = in->decision->minutes;
	memset(&t, 0, sizeof(t));
	err = ux_texts_get(&t, in->rb, s, &v);
	if (err != FERRY_OK && err != FERRY_ERANGE)
		return err;
	copy_cut(out->title, sizeof(out->title), t.title);
	if (t.extra[0]) {
		/* The prompt's login text follows its message as a paragraph. */
		char both[UX_BODY_MAX * 2 + 3];

		snprintf(both, sizeof(both), "%s\n\n%s", t.body, t.extra);
		copy_cut(out->body, sizeof(out->body), both);
	} else {
		copy_cut(out->body, sizeof(out->body), t.body);
	}
	return FERRY_OK;
}

ferry_err ux_experience_build(struct ipc_experience *out, const struct ux_experience_input *in)
{
	enum schedule_experience e;
	ferry_err err;

	memset(out, 0, sizeof(*out));
	if (!in || !in->decision)
		return ferry_error_set(FERRY_EINVAL, "experience: no decision");
	e = in->decision->experience;
	if (in->engine_known && in->status == ENGINE_STOPPED)
		e = SCHED_EXP_SERVICE_UNAVAILABLE;
	out->screen = ux_screen_for(e);
	if ((err = fill_texts(out, in, e)) != FERRY_OK)
		return err;
	copy_cut(out->image, sizeof(out->image), image_for(in->rb, out->screen));
	copy_cut(out->target_user, sizeof(out->target_user),
		 in->vars && in->vars->target_user ? in->vars->target_user : "");
	out->fallback_available = in->fallback_available;
	fill_qr(out, in->rb);
	fill_times(out, in, e);
	if (in->engine_known) {
		out->percent = in->status == ENGINE_DONE ? 100 :
							   ux_progress_percent(in->step, in->n_steps);
		copy_cut(out->step, sizeof(out->step), in->step_name ? in->step_name : "");
	} else if (e == SCHED_EXP_MIGRATION_COMPLETE) {
		out->percent = 100;
	}
	return FERRY_OK;
}
