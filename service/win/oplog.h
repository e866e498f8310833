/*
 * The system ops' point of contact with the service's log. The ops call
 * win_op_log for every intent and result; the service (its file and event
 * log writer) points win_log_hook at its own function at start-up. Until it
 * does, lines go to stderr, which is what `ferrysvc run`, the CLI and the
 * Wine tests see.
 *
 * Never pass a secret: messages name users, paths, APIs and codes only.
 */
#ifndef FERRY_SVC_OPLOG_H
#define FERRY_SVC_OPLOG_H

#include "util/err.h"

enum win_log_level {
	WIN_LOG_INFO = 0,
	WIN_LOG_WARN = 1,
	WIN_LOG_ERROR = 2,
};

/* op: the sysops name ("fallback_create"), or NULL for a line that names
 * its op itself (the profile ops' win_plog); msg: one UTF-8 line, no newline. */
typedef void (*win_log_fn)(enum win_log_level level, const char *op, const char *msg);

/** NULL = stderr. Set once at start-up, before any op runs. */
extern win_log_fn win_log_hook;

/** Format one line and hand it to the hook. */
void win_op_log(enum win_log_level level, const char *op, const char *fmt, ...) FERRY_PRINTF(3, 4);

/** Log the result of an op ("ok" or the error and its detail) and return rc. */
ferry_err win_op_result(const char *op, ferry_err rc);

#endif
