/*
 * Rehearsal: a struct ferry_platform decorator for admins' dry runs (and for
 * Wine, which cannot join domains). It wraps an inner platform and
 *
 *   - passes the clock and durable storage through to the inner platform, so
 *     the engine journals a rehearsal exactly as it journals a migration;
 *   - records every EFFECT op (its name and its arguments as text) to a sink
 *     and changes nothing: the inner platform's effect ops are never called;
 *   - answers the CHECKS (query_join, account_exists,
 *     boot_id) from a simulated PC kept consistent with the recorded effects
 *     (after unjoin_domain the PC is in no AD domain; after obtain_odj a blob
 *     for its domain is "on disk" for odj_ready; after import_odj the PC is
 *     joined to the target and the blob gone; a reboot changes the boot id;
 *     ...), so the engine
 *     walks the whole plan as it would on a real PC.
 *
 * No op carries a secret (platform.h), so records never hold one either.
 * A record is one line: "<op>" or "<op> key=value key=value", strings in
 * double quotes with \\, \" and control characters escaped.
 */
#ifndef FERRY_ENGINE_REHEARSE_H
#define FERRY_ENGINE_REHEARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/platform.h"
#include "util/err.h"

/* The longest record text (op name plus arguments); longer ones are cut. */
#define REHEARSE_RECORD_MAX 4096u

/* Receives each record: op is the platform op's name, args its arguments
 * as text ("" when it has none). Called on the engine's thread. */
typedef void (*rehearse_sink_fn)(void *sink_ctx, const char *op, const char *args);

/* The simulated PC a rehearsal starts from. */
struct rehearse_start {
	const char *ad_domain;  /* DNS name of the current AD domain; NULL or "" = none */
	bool entra_joined;
	uint64_t boot_id;
	/* Local accounts that already exist (e.g. a fallback account left behind). */
	const char *const *accounts;
	size_t n_accounts;
};

struct rehearse;

/**
 * A rehearsal over `inner` (borrowed; only its clock and storage are used),
 * starting from `start` (copied). `sink` may be NULL (records are then only
 * counted). Free with rehearse_free.
 */
ferry_err rehearse_new(struct rehearse **out, const struct ferry_platform *inner,
		       const struct rehearse_start *start, rehearse_sink_fn sink, void *sink_ctx);

/** The decorated table to hand to engine_open (borrowed; valid until free). */
const struct ferry_platform *rehearse_platform(const struct rehearse *r);

/** Effect records made so far. */
size_t rehearse_count(const struct rehearse *r);

/** NULL-safe. */
void rehearse_free(struct rehearse *r);

#endif
