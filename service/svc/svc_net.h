/* The service's migration-server client (svc_net.c; docs/net.md "In the service"). */
#ifndef FERRY_SVC_NET_H
#define FERRY_SVC_NET_H

#include "svc/svc.h"
#include "util/mem.h"

struct svc_net;

/**
 * When a server (or a signed bundle in BundleDir) is configured and no
 * --batch was given: enrol, poll once and point o->batch at the accepted
 * bundle's batch. *out stays NULL when there is nothing to do.
 */
ferry_err svc_net_start(struct svc_net **out, struct svc_options *o);
/** Start polling (after the agent is up). poll_override_s: tests only. */
ferry_err svc_net_run(struct svc_net *n, struct svc_agent *agent, uint32_t poll_override_s);
/** The agent's platform with the network steps layered over import/fallback/events. */
const struct ferry_platform *svc_net_wrap(struct svc_net *n, struct svc_agent *agent,
					  const struct ferry_platform *inner);
/** Whether the engine should see the server as reachable (no server: true). */
bool svc_net_reachable(struct svc_net *n);
/** Stop polling, flush the outbox once, free. NULL-safe. */
void svc_net_stop(struct svc_net *n);

#endif
