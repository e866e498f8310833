/*
 * The one way to wrap struct ferry_platform (style.md: as rehearse.c does):
 * a decorator is its own struct whose first member is a struct
 * platform_layer; the layer's table starts as "forward every op to
 * `inner`", with table.ctx pointing back at the layer (so at the
 * decorator), and the decorator then replaces the ops it changes:
 *
 *   struct texts { struct platform_layer layer; const struct svc_run *run; };
 *   platform_layer_init(&t->layer, inner);
 *   t->layer.table.set_legal_notice = t_set_legal_notice; // ctx is the struct texts
 *
 * An op the decorator replaces reaches the layer below with
 * platform_layer_inner(ctx). Nothing copies the inner table or its ctx.
 */
#ifndef FERRY_ENGINE_PLATFORM_LAYER_H
#define FERRY_ENGINE_PLATFORM_LAYER_H

#include "engine/platform.h"

struct platform_layer {
	struct ferry_platform table; /* table.ctx == this layer */
	const struct ferry_platform *inner;
};

/** Fill l->table with forwarders to `inner` (borrowed; it outlives the layer). */
void platform_layer_init(struct platform_layer *l, const struct ferry_platform *inner);

/** The table below the layer whose table's ctx is `ctx`. */
static inline const struct ferry_platform *platform_layer_inner(void *ctx)
{
	return ((const struct platform_layer *)ctx)->inner;
}

#endif
