/* Per-op authorisation (issue 6, design §3): a pure decision table. */
#include <stddef.h>

#include "ipc/authz.h"

static struct ipc_authz_decision decide(bool allow, const char *reason)
{
	struct ipc_authz_decision d = { allow, reason };
	return d;
}

/* ASCII-only folding: Windows compares account names case-insensitively.
 * Non-ASCII letters must match exactly, which errs on the side of refusing. */
static bool name_equal(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

struct ipc_authz_decision ipc_authz_check(const struct ipc_caller *caller,
					  const struct ipc_request *r,
					  const struct ipc_authz_mapping *mapping)
{
	uint32_t target = r->session == IPC_NO_SESSION ? caller->session : r->session;

	switch (caller->cls) {
	case IPC_CALLER_SYSTEM:
		return decide(true, "SYSTEM may run every op");
	case IPC_CALLER_INTERACTIVE_USER:
		break;
	default:
		return decide(false, "caller is neither SYSTEM nor an interactive user");
	}
	if (r->op == IPC_OP_HELLO)
		return decide(true, "hello is open to every interactive user");
	if (target != caller->session)
		return decide(false, "an interactive user may act only for its own session");
	if (r->op != IPC_OP_CACHE_CREDENTIALS)
		return decide(true, "own session");
	if (!mapping || !mapping->target_user || !mapping->target_domain)
		return decide(false, "the user logged on here has no mapped target account");
	if (!name_equal(r->u.creds.user, mapping->target_user) ||
	    !name_equal(r->u.creds.domain, mapping->target_domain))
		return decide(false,
			      "credentials may be cached only for this user's mapped target account");
	return decide(true, "mapped target account of the user logged on here");
}
