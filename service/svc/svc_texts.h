/*
 * Texts with their placeholders filled in before any op sees them
 * (svc_texts.c): a platform_layer over the table the engine drives.
 */
#ifndef FERRY_SVC_TEXTS_H
#define FERRY_SVC_TEXTS_H

#include "svc/svc_platform.h"

struct ux_vars;
struct svc_texts;

/**
 * The layer over `inner` (Windows, or the rehearsal over it); `run` gives
 * the placeholder values. Both borrowed. Free with svc_texts_free.
 */
ferry_err svc_texts_new(struct svc_texts **out, const struct ferry_platform *inner,
			const struct svc_run *run);
/** The table the engine drives. */
const struct ferry_platform *svc_texts_platform(struct svc_texts *t);
void svc_texts_free(struct svc_texts *t);

/** The placeholder values of the run: target user, run->rb's domain, device (borrowed). */
void svc_texts_vars(const struct svc_run *run, struct ux_vars *v);

#endif
