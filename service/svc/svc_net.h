/*
 * The service's migration-server client (svc_net.c; docs/net.md "In the
 * service"): core/net's agent driven from ferrysvc, and a platform_layer
 * over the agent's platform for the ops that talk to the server.
 */
#ifndef FERRY_SVC_NET_H
#define FERRY_SVC_NET_H

#include "svc/svc.h"

#include "engine/platform.h"
#include "engine/rehearse.h"
#include "util/mem.h"

struct svc_net;
struct net_accepted; /* net/agent_v2.h */

/**
 * When a server (or a signed bundle in BundleDir) is configured and no
 * --batch was given: enrol, poll once, and hand what is in force to the
 * caller in memory (*in_force, freed with net_accepted_free: a v2 catalog
 * and assignment, or a v1 bundle, net/agent_v2.h): what was just
 * accepted, else the last accepted, read back from core/net's copy and
 * verified again. *out and *in_force stay NULL when there is nothing to do.
 */
ferry_err svc_net_start(struct svc_net **out, const struct svc_options *o,
			struct net_accepted **in_force);

/* What was accepted while running (bundle or v2 pair); borrowed for the call. */
typedef void (*svc_net_bundle_fn)(void *ctx, const struct net_accepted *acc);

/** Start polling (after the agent is up); each new bundle goes to on_bundle. */
ferry_err svc_net_run(struct svc_net *n, svc_net_bundle_fn on_bundle, void *ctx,
		      uint32_t poll_override_s);

/**
 * The agent's platform with the server's steps layered over `inner`:
 * obtain_odj fetches the sealed blob and keeps it in the server's sealed
 * form, odj_ready and import_odj open and validate it, report_event queues
 * an event. A rehearsal's obtain_odj is the server's read-only dry run, and
 * it escrows nothing. `record` receives the rehearsal records the layer
 * makes (the blob it checked: "odj_checked"). Returns `inner` itself when
 * there is no server.
 */
const struct ferry_platform *svc_net_wrap(struct svc_net *n, const struct ferry_platform *inner,
					  rehearse_sink_fn record, void *record_ctx);

/** Escrow a fallback password to the server: the one place that does (no server: nothing). */
ferry_err svc_net_escrow(void *n, const struct ferry_secret *pw);

/** A command package's blob from the server (win_package_fetch_fn; package_fetch.h). */
ferry_err svc_net_package(void *n, const char *id, uint64_t max, uint8_t **out, size_t *len);

/** Whether the engine should see the server as reachable (no server: true). */
bool svc_net_reachable(struct svc_net *n);

/**
 * The agent story's phase hook (agent_phase_fn; ctx is the svc_net): one
 * status report queued in the outbox and the poll thread woken to send it.
 * Nothing without a server.
 */
void svc_net_status(void *ctx, const char *phase, const char *runbook, const char *step);

/**
 * The PC's local profile SIDs (account SIDs, text; copied): the poll thread
 * reports them (POST /v1/agents/{id}/profiles) after its next successful
 * poll when they differ from the last report. NULL-safe; nothing without a
 * server.
 */
void svc_net_profiles(struct svc_net *n, const char *const *sids, size_t count);
/** Stop polling, flush the outbox once, free. NULL-safe. */
void svc_net_stop(struct svc_net *n);

#endif
