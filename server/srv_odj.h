/*
 * Where the server's ODJ blobs come from: the seam between the handlers and
 * the provisioning engine (server/provision/). The handlers ask for the
 * blob of one device, for the domain and OU its assignment names; the
 * provider either has it (FERRY_OK, the ODJ file bytes, djoin's text form)
 * or has queued it (FERRY_EBUSY: the agent retries). The provider must give
 * the same bytes for a device on every call until the blob is released.
 *
 * Whatever it returns is validated (odj_validate: this machine, this
 * domain) and sealed to the enrolled agent's key before it is stored; the
 * request body of the agent never chooses the device, domain or OU.
 *
 * Without a provider (get == NULL) blobs arrive only through the admin
 * API (`ferry-admin odj import DEVICE FILE`, e.g. made by djoin /provision).
 */
#ifndef FERRY_SRV_ODJ_H
#define FERRY_SRV_ODJ_H

#include "util/err.h"
#include "util/mem.h"

struct srv_odj_provider {
	ferry_err (*get)(void *ctx, struct ferry_secret **blob, const char *device,
			 const char *domain, const char *ou);
	/* The blob when it is already made (FERRY_ENOTFOUND otherwise); never
	 * queues nor provisions anything: a rehearsal's dry run asks this. */
	ferry_err (*peek)(void *ctx, struct ferry_secret **blob, const char *device,
			  const char *domain);
	/* The agent reported its join: the provider may forget the blob. */
	void (*release)(void *ctx, const char *device);
	void *ctx;
	const char *name; /* recorded as the blob's source */
};

#endif
