/*
 * Who may call which op, as a pure function of facts the pipe server reads
 * from the caller's token and the runbook. No I/O, so it is tested as a table.
 */
#ifndef FERRY_IPC_AUTHZ_H
#define FERRY_IPC_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/msg.h"

enum ipc_caller_class {
	IPC_CALLER_SYSTEM,           /* LocalSystem: LogonUI's credential provider, our tools */
	IPC_CALLER_INTERACTIVE_USER, /* the notifier in a user's session */
	IPC_CALLER_OTHER,            /* anything else the DACL let through */
};

struct ipc_caller {
	enum ipc_caller_class cls;
	uint32_t session; /* the token's session id */
};

/*
 * For cache_credentials from a user session: the target account the runbook
 * maps the user logged on in that session to. NULL fields: no mapping.
 */
struct ipc_authz_mapping {
	const char *target_user;
	const char *target_domain;
};

struct ipc_authz_decision {
	bool allow;
	const char *reason; /* static English text, safe for an error reply */
};

/**
 * Decide whether `caller` may run request `r`. The target session is
 * r->session, or the caller's own when absent. `mapping` is read only for
 * cache_credentials from an interactive user and may be NULL otherwise.
 * Rules (docs/ipc.md): SYSTEM may run every op for any session; an
 * interactive user may run every op for its own session only, and may cache
 * credentials only for its mapped target user; any other caller is refused.
 * Names compare ASCII-case-insensitively, as Windows account names do.
 */
struct ipc_authz_decision ipc_authz_check(const struct ipc_caller *caller,
					  const struct ipc_request *r,
					  const struct ipc_authz_mapping *mapping);

#endif
