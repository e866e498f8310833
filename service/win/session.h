/*
 * The notifier in users' sessions: the service starts ferry-notify.exe in a
 * session when a user logs on there (WTSQueryUserToken +
 * CreateProcessAsUserW), at most one instance per session.
 */
#ifndef FERRY_SVC_SESSION_H
#define FERRY_SVC_SESSION_H

#include "util/err.h"

/** Start the notifier in `session_id` unless one already runs there. */
ferry_err win_session_start_notifier(unsigned long session_id);

#endif
