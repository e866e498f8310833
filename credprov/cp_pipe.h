/*
 * The pipe client ferrycp.dll uses to ask the service what to show and to
 * send what the user did. Every call is bounded: connecting takes at most
 * CP_CONNECT_MS, the whole call at most the caller's budget, and a call made
 * on LogonUI's thread has a budget of CP_CALL_BUDGET_MS. A call can also be
 * abandoned at once through a cancel event (the subscribe thread's stop).
 */
#ifndef FERRY_CP_PIPE_H
#define FERRY_CP_PIPE_H

#include <windows.h>

#include "ipc/msg.h"
#include "util/err.h"

#define CP_CONNECT_MS 200u
#define CP_CALL_BUDGET_MS 800u /* under 1 s, leaving the rest of a LogonUI call its margin (a loaded
				* Wine took 107 ms beyond a 900 ms budget) */

/** A fresh request id (1, 2, ...) for this process. */
uint64_t cp_pipe_next_id(void);

/**
 * Send req and wait for its reply within budget_ms. cancel may be NULL; when
 * it is signalled the call is abandoned (FERRY_ETIMEOUT, detail "cancelled").
 * On success *out holds the reply, ok or error (check (*out)->ok); the
 * caller frees it with ferry_free. Failures: FERRY_ENOTFOUND (no pipe: no
 * service), FERRY_EBUSY (every instance busy for CP_CONNECT_MS),
 * FERRY_ETIMEOUT, FERRY_EIO (pipe closed or broken), FERRY_ECORRUPT (bad
 * reply or id mismatch), FERRY_ENOMEM. The request frame, which may hold a
 * password, is wiped before this returns.
 */
ferry_err cp_pipe_call(struct ipc_reply **out, const struct ipc_request *req, DWORD budget_ms,
		       HANDLE cancel);

/** Debug log line (OutputDebugString); never pass a secret. */
void cp_log(const char *fmt, ...) FERRY_PRINTF(1, 2);

#endif
