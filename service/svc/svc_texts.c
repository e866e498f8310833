/*
 * Texts with their placeholders filled in before any op sees them. The
 * engine hands set_legal_notice the runbook's templates as written
 * ("This PC is moving to {target_domain}."); this layer sits on top of the
 * platform the engine drives (Windows, or the rehearsal over it), so the
 * real op and the rehearsal record both get the expanded words, through the
 * same core/ux/texts.h functions the tile, the notifier and ferry-preview
 * use. Every other op passes through (platform_layer.h).
 *
 * Variables, from the run context: the target user (DOMAIN\user whose
 * credentials were cached), the running runbook's target domain, this
 * device's name, and the runbook's support phone (ux_vars.support_phone
 * NULL = the runbook's).
 */
#include "svc/svc_texts.h"

#include <stdio.h>
#include <string.h>

#include "engine/platform_layer.h"
#include "util/mem.h"
#include "ux/texts.h"

struct svc_texts {
	struct platform_layer layer; /* first: the table's ctx is this struct */
	const struct svc_run *run;
};

void svc_texts_vars(const struct svc_run *run, struct ux_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->target_user = run->user;
	v->target_domain = run->rb ? run->rb->device_state.domain : NULL;
	v->device_name = run->device;
}

static ferry_err t_set_legal_notice(void *ctx, const char *caption, const char *text)
{
	struct svc_texts *x = ctx;
	const struct ferry_platform *in = platform_layer_inner(ctx);
	struct ux_texts t;
	struct ux_vars v;
	char cap_out[UX_TITLE_MAX + 1], text_out[UX_BODY_MAX + 1];
	ferry_err err;

	svc_texts_vars(x->run, &v);
	/* The built-in legal notice, expanded, stands in for a missing part. */
	if ((err = ux_texts_get(&t, NULL, UX_SCREEN_LEGAL_NOTICE, &v)) != FERRY_OK &&
	    err != FERRY_ERANGE)
		return err;
	if (caption && (err = ux_expand(cap_out, sizeof(cap_out), caption, &v)) != FERRY_OK &&
	    err != FERRY_ERANGE)
		return err;
	if (text && (err = ux_expand(text_out, sizeof(text_out), text, &v)) != FERRY_OK &&
	    err != FERRY_ERANGE)
		return err;
	return in->set_legal_notice(in->ctx, caption ? cap_out : t.title, text ? text_out : t.body);
}

ferry_err svc_texts_new(struct svc_texts **out, const struct ferry_platform *inner,
			const struct svc_run *run)
{
	struct svc_texts *t = ferry_calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return ferry_error_set(FERRY_ENOMEM, "texts: out of memory");
	platform_layer_init(&t->layer, inner);
	t->layer.table.set_legal_notice = t_set_legal_notice;
	t->run = run;
	*out = t;
	return FERRY_OK;
}

const struct ferry_platform *svc_texts_platform(struct svc_texts *t)
{
	return &t->layer.table;
}

void svc_texts_free(struct svc_texts *t)
{
	ferry_free(t);
}
