/*
 * What the service last said (the "view"), fetched on LogonUI's thread
 * within the call budget, and kept fresh by a background thread that holds
 * a `subscribe` long poll and calls ICredentialProviderEvents::
 * CredentialsChanged when the view changes.
 */
#ifndef FERRY_CP_WATCH_H
#define FERRY_CP_WATCH_H

#include <stdbool.h>

#include "cpapi.h"
#include "ipc/msg.h"

struct cp_view {
	bool answered; /* false: the pipe failed (no service, timeout, bad reply) */
	struct ipc_experience exp; /* valid when answered */
};

/* The subscribe poll's length, and the wait before retrying a failed pipe. */
#define CP_WATCH_POLL_MS 30000u
#define CP_WATCH_RETRY_MS 2000u
/* How long UnAdvise waits for the thread (it is cancelled, so it is quick). */
#define CP_WATCH_STOP_MS 500u

/** get_experience within CP_CALL_BUDGET_MS; any failure gives answered == false. */
void cp_view_fetch(struct cp_view *out);

struct cp_watch;

/**
 * Applied on the subscribe thread to a new view: true when the change was
 * made in place (fields updated through ICredentialProviderCredentialEvents),
 * false when the set of tiles changes and LogonUI must enumerate again.
 * Called under the watch's lock; never after cp_watch_stop returns.
 */
typedef bool (*cp_watch_apply_fn)(void *ctx, const struct cp_view *v);

/**
 * Start the subscribe thread from view `initial`. After each change it
 * calls apply(apply_ctx, view) (may be NULL) and, when that did not apply
 * the change in place, events->CredentialsChanged(ctx) (AddRef'd events).
 */
HRESULT cp_watch_start(struct cp_watch **out, ICredentialProviderEvents *events, UINT_PTR ctx,
		       const struct cp_view *initial, cp_watch_apply_fn apply, void *apply_ctx);

/** Stop the thread (bounded wait) and drop the caller's reference. NULL-safe. */
void cp_watch_stop(struct cp_watch *w);

/** If the view changed since the last take, copy it to out and return true. */
bool cp_watch_take(struct cp_watch *w, struct cp_view *out);

#endif
