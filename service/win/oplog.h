/*
 * The system ops' point of contact with the service's log. The ops call
 * svc_op_log for every intent and result; the service (its file and event
 * log writer) points svc_log_hook at its own function at start-up. Until it
 * does, lines go to stderr, which is what `ferrysvc run`, the CLI and the
 * Wine tests see.
 *
 * Never pass a secret: messages name users, paths, APIs and codes only.
 */
#ifndef FERRY_SVC_OPLOG_H
#define FERRY_SVC_OPLOG_H

#include "util/err.h"

enum svc_log_level {
	SVC_LOG_INFO = 0,
	SVC_LOG_WARN = 1,
	SVC_LOG_ERROR = 2,
};

/* op: the sysops name ("fallback_create"), or NULL for a line that names
 * its op itself (the profile ops' svc_plog); msg: one UTF-8 line, no newline. */
typedef void (*svc_log_fn)(enum svc_log_level level, const char *op, const char *msg);

/** NULL = stderr. Set once at start-up, before any op runs. */
extern svc_log_fn svc_log_hook;

/** Format one line and hand it to the hook. */
void svc_op_log(enum svc_log_level level, const char *op, const char *fmt, ...) FERRY_PRINTF(3, 4);

/** Log the result of an op ("ok" or the error and its detail) and return rc. */
ferry_err svc_op_result(const char *op, ferry_err rc);

#endif
