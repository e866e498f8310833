/*
 * One pipe request -> one reply: authorisation (core/ipc/authz), then the
 * op. Every path that holds a password wipes it: cache_credentials hands
 * it to the platform's check_logon (which takes ownership and wipes it),
 * and any request freed by the caller is wiped by ipc_request_free.
 */
#include "svc/svc.h"

#include <stdio.h>
#include <string.h>

#include "ferry_version.h"
#include "runbook/rfc3339.h"
#include "util/mem.h"

static void hello(struct ipc_request *r, struct ipc_reply *reply)
{
	uint32_t best = 0;

	for (size_t i = 0; i < r->u.hello.n_versions; i++)
		if (r->u.hello.versions[i] == IPC_VERSION)
			best = IPC_VERSION; /* the only version this service speaks */
	if (!best) {
		ipc_reply_error(reply, r->id, "unsupported_version",
				"the service speaks protocol version 1 only");
		return;
	}
	reply->ok = true;
	reply->u.hello.version = best;
	snprintf(reply->u.hello.service, sizeof(reply->u.hello.service), "ferrysvc %s",
		 FERRY_VERSION);
}

/* The logon check goes through the agent's platform like every other op: a
 * rehearsal records it there, so nothing here knows which one runs. */
static void cache_credentials(struct svc_agent *a, struct ipc_request *r, struct ipc_reply *reply)
{
	struct ferry_secret *pw = r->u.creds.password;
	enum logon_outcome outcome = LOGON_OUTCOME_OTHER;
	ferry_err err;

	r->u.creds.password = NULL; /* ownership moves to the logon check */
	err = svc_agent_cache_credentials(a, r->u.creds.user, r->u.creds.domain, pw, &outcome);
	if (err != FERRY_OK)
		ipc_reply_error(reply, r->id, ipc_error_code(err), ferry_error_detail());
	else
		ipc_reply_logon(reply, r->id, outcome);
}

void svc_dispatch(struct svc_agent *a, const struct ipc_caller *caller, struct ipc_request *r,
		  struct ipc_reply *reply)
{
	/* The agent decides with the signed identity mapping it holds. */
	struct ipc_authz_decision d = svc_agent_authorize(a, caller, r);
	int64_t until = 0;
	char t[RFC3339_BUF];
	ferry_err err;

	memset(reply, 0, sizeof(*reply));
	reply->id = r->id;
	reply->op = r->op;
	if (!d.allow) {
		/* The file log (rotated by size), not the Event Log: its events are
		 * queued for the server too, and a user could flood that queue. */
		svc_log("denied %s from a class-%d caller in session %lu (%s): %s",
			ipc_op_name(r->op), (int)caller->cls, (unsigned long)caller->session,
			*caller->sid ? caller->sid : "unknown SID", d.reason);
		ipc_reply_error(reply, r->id, "denied", d.reason);
		return;
	}
	switch (r->op) {
	case IPC_OP_HELLO:
		hello(r, reply);
		return;
	case IPC_OP_GET_EXPERIENCE:
		svc_agent_experience(a, &reply->u.experience);
		svc_agent_prefill(a, caller, &reply->u.experience);
		break;
	case IPC_OP_SUBSCRIBE:
		reply->u.subscribe.changed = svc_agent_wait(a, r->u.subscribe.since,
							    r->u.subscribe.timeout_ms,
							    &reply->u.subscribe.experience);
		svc_agent_prefill(a, caller, &reply->u.subscribe.experience);
		break;
	case IPC_OP_CACHE_CREDENTIALS:
		cache_credentials(a, r, reply);
		return;
	case IPC_OP_START_NOW:
		svc_agent_start_now(a);
		break;
	case IPC_OP_SNOOZE:
		if ((err = svc_agent_snooze(a, r->u.snooze.minutes, &until)) != FERRY_OK) {
			ipc_reply_error(reply, r->id, ipc_error_code(err), ferry_error_detail());
			return;
		}
		if (rfc3339_format(t, until) != FERRY_OK) {
			ipc_reply_error(reply, r->id, "internal", "snooze time out of range");
			return;
		}
		snprintf(reply->u.snooze.until, sizeof(reply->u.snooze.until), "%s", t);
		break;
	case IPC_OP_ACK_COMPLETE:
		svc_agent_ack_complete(a);
		break;
	case IPC_OP_COUNT:
		ipc_reply_error(reply, r->id, "unknown_op", "no such op");
		return;
	}
	reply->ok = true;
}
