/* Connection caps for the pipe (admit.h): a pure count, tested as a table. */
#include "ipc/admit.h"

#include <stddef.h>
#include <stdio.h>

static struct ipc_authz_decision decide(bool allow, const char *reason)
{
	struct ipc_authz_decision d = { .allow = allow };

	snprintf(d.reason, sizeof(d.reason), "%s", reason ? reason : "");
	return d;
}

bool ipc_admit_init(struct ipc_admit *a, unsigned instances, unsigned reserved,
		    unsigned per_session)
{
	*a = (struct ipc_admit){ 0 };
	if (!instances || instances > IPC_ADMIT_POOL_MAX || reserved >= instances || !per_session)
		return false;
	a->instances = instances;
	a->reserved = reserved;
	a->per_session = per_session;
	return true;
}

static size_t slot_of(const struct ipc_admit *a, uint32_t session)
{
	for (size_t i = 0; i < a->n_sessions; i++)
		if (a->sessions[i].session == session)
			return i;
	return SIZE_MAX;
}

struct ipc_authz_decision ipc_admit_take(struct ipc_admit *a, const struct ipc_caller *caller)
{
	size_t i;

	if (caller->cls == IPC_CALLER_SYSTEM)
		return decide(true, "SYSTEM is always admitted");
	if (a->others >= a->instances - a->reserved)
		return decide(false, "every pipe instance not kept for SYSTEM is in use");
	i = slot_of(a, caller->session);
	if (i != SIZE_MAX && a->sessions[i].held >= a->per_session)
		return decide(false, "this session already holds as many pipe connections as "
				     "one session may");
	if (i == SIZE_MAX) {
		/* others < instances <= IPC_ADMIT_POOL_MAX, and every slot holds
		 * at least one connection: there is room. */
		i = a->n_sessions++;
		a->sessions[i].session = caller->session;
		a->sessions[i].held = 0;
	}
	a->sessions[i].held++;
	a->others++;
	return decide(true, "within the caps");
}

void ipc_admit_release(struct ipc_admit *a, const struct ipc_caller *caller)
{
	size_t i;

	if (caller->cls == IPC_CALLER_SYSTEM || (i = slot_of(a, caller->session)) == SIZE_MAX)
		return;
	a->others--;
	if (--a->sessions[i].held == 0)
		a->sessions[i] = a->sessions[--a->n_sessions];
}
