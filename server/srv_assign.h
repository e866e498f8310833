/* Protocol v2 on the server: the catalog it holds and the assignments it signs (srv_assign.c). */
#ifndef FERRY_SRV_ASSIGN_H
#define FERRY_SRV_ASSIGN_H

#include <stdbool.h>

#include "net/assignment.h"
#include "net/catalog.h"
#include "srv.h"

/** FERRY_EMISMATCH when a catalog is loaded and does not allow dns_domain (identity_map rows). */
ferry_err srv_catalog_allows_domain(struct srv *s, const char *dns_domain);

/**
 * FERRY_EMISMATCH when a catalog is loaded and does not allow joining
 * dns_domain or, when ou is not "", that OU of it (what /odj provisions).
 */
ferry_err srv_catalog_allows_ou(struct srv *s, const char *dns_domain, const char *ou);

/** Load the stored catalog (if any) and verify it again; at server start. */
ferry_err srv_catalog_open(struct srv *s);
void srv_catalog_close(struct srv *s);

/** Verify an uploaded catalog (admin key, this server's assignment key, fresh) and keep it. */
ferry_err srv_catalog_put(struct srv *s, uint64_t *sequence, const uint8_t *env, size_t len);

/** FERRY_ENOTFOUND when a catalog is loaded and lacks runbook id; *loaded says whether one is. */
ferry_err srv_catalog_has_runbook(struct srv *s, const char *id, bool *loaded);

/** The stored catalog envelope and its ETag; FERRY_ENOTFOUND without one. */
ferry_err srv_catalog_envelope(struct srv *s, uint8_t **env, size_t *len, char etag[SRV_HASH_HEX]);

/**
 * The agent's signed assignment (made or re-made as its inputs change) and
 * its ETag. FERRY_ENOTFOUND: no catalog, no wave, or no runbook windows.
 */
ferry_err srv_assignment_for(struct srv *s, uint8_t **env, size_t *len, char etag[SRV_HASH_HEX],
			     const struct srv_agent *a);

/**
 * The target domain and OU of a device's assignment: under v2 its wave's
 * runbooks in the catalog; without a catalog, or when its wave has no
 * runbook windows, the domain_join of its wave's v1 bundle. ou is "" when
 * none is named. FERRY_ENOTFOUND: the device is in no wave with either.
 */
ferry_err srv_device_target(struct srv *s, const char *device, char *domain, size_t dcap,
			    char *ou, size_t ocap);

#endif
