/*
 * How many pipe connections a caller may hold (issue 15, finding 9): a pure
 * count the pipe server keeps under its lock, so one user cannot starve the
 * pool that LogonUI and other sessions need.
 *
 * Rules, checked when a connection's caller is first known:
 *   1. SYSTEM (LogonUI, the service's tools) is always admitted, up to the
 *      pool itself: `reserved` instances are kept for it, so no other
 *      caller may hold more than instances - reserved at once.
 *   2. Any other caller is admitted while its session holds fewer than
 *      `per_session` connections (a user's notifier needs two: a subscribe
 *      long poll and a call).
 * The server also bounds each connection's whole life (svc_pipe.c), so a
 * held slot always comes back.
 */
#ifndef FERRY_IPC_ADMIT_H
#define FERRY_IPC_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/authz.h"

#define IPC_ADMIT_POOL_MAX 64u

struct ipc_admit {
	unsigned instances, reserved, per_session;
	unsigned others; /* connections held by callers other than SYSTEM */
	unsigned n_sessions;
	struct {
		uint32_t session;
		unsigned held;
	} sessions[IPC_ADMIT_POOL_MAX];
};

/**
 * Start counting for a pool of `instances` (at most IPC_ADMIT_POOL_MAX),
 * `reserved` of them for SYSTEM (fewer than instances), `per_session` >= 1.
 * false when the numbers do not make sense.
 */
bool ipc_admit_init(struct ipc_admit *a, unsigned instances, unsigned reserved,
		    unsigned per_session);

/**
 * Admit one more connection for `caller`; when allowed it is counted until
 * ipc_admit_release. The reason is static English text for a `busy` reply.
 */
struct ipc_authz_decision ipc_admit_take(struct ipc_admit *a, const struct ipc_caller *caller);

/** Give back a connection ipc_admit_take allowed for the same caller. */
void ipc_admit_release(struct ipc_admit *a, const struct ipc_caller *caller);

#endif
