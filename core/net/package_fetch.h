/* Fetching a command package's blob from the migration server (package_fetch.c). */
#ifndef FERRY_NET_PACKAGE_FETCH_H
#define FERRY_NET_PACKAGE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "net/agent.h"
#include "util/err.h"

/**
 * GET /v1/agents/{id}/packages/{package_id}, at most `max` bytes (the
 * signed size): *out (ferry_free) holds the blob. FERRY_EAUTH for a longer
 * reply, FERRY_ENOTFOUND for 404, FERRY_EIO for another status or no
 * connection, FERRY_EPERM when not enrolled. The caller checks the digest.
 */
ferry_err net_agent_package(struct net_agent *a, const char *id, uint64_t max, uint8_t **out,
			    size_t *len);

#endif
