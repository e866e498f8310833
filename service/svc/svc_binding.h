/*
 * Private to the Windows binding: svc_platform.c (the ops), svc_storage.c
 * (durable storage) and svc_profile.c (the profile ops' context). Nothing
 * else includes it.
 */
#ifndef FERRY_SVC_BINDING_H
#define FERRY_SVC_BINDING_H

#include "svc/svc_platform.h"

struct svc_platform {
	struct ferry_platform ops; /* ops.ctx == this */
	const struct svc_run *run;
	svc_clock_fn clock;
	void *clock_ctx;
	svc_escrow_fn escrow;
	void *escrow_ctx;
	win_package_fetch_fn package_fetch; /* the server; NULL: BundleDir only */
	void *package_fetch_ctx;
	wchar_t state_dir[MAX_PATH];
	CRITICAL_SECTION io;       /* storage calls from several threads */
	volatile LONG uninstall_scheduled;
};

/* Durable storage (svc_storage.c); ctx is a struct svc_platform. */
ferry_err svc_storage_read(void *ctx, const char *name, uint8_t **data, size_t *len);
ferry_err svc_storage_append(void *ctx, const char *name, const uint8_t *data, size_t len);
ferry_err svc_storage_replace(void *ctx, const char *name, const uint8_t *data, size_t len);
ferry_err svc_storage_sync(void *ctx, const char *name);
ferry_err svc_storage_delete(void *ctx, const char *name);

struct win_profile_ctx;
/**
 * The profile ops' context (svc_profile.c): the signed identity mapping's
 * table and, for a profile op, the profile `pf` (NULL: the configured paths
 * only). Fails naming what is missing (no mapping; a profile the mapping
 * does not map so), with `op` in the message.
 */
ferry_err svc_profile_context(struct svc_platform *p, const char *op,
			      const struct ferry_profile *pf, struct win_profile_ctx *out);

#endif
