/*
 * The agent's side of GET /v1/agents/{id}/packages/{package_id}: the
 * package's one-blob form (package_archive.c), exactly the bytes the server
 * keeps in DIR/packages/<package_id> and the signed list's SHA-256 covers.
 *
 * The reply is bounded by the signed size before it is read (the client's
 * max_reply, one byte more refused), so a hostile or broken server cannot
 * make the agent buffer more than the admin's signed list allows; the
 * digest is the caller's check (bundle_packages_match), never this file's.
 */
#include "net/package_fetch.h"

#include <stdio.h>
#include <string.h>

#include "net/package.h"
#include "util/mem.h"

ferry_err net_agent_package(struct net_agent *a, const char *id, uint64_t max, uint8_t **out,
			    size_t *len)
{
	struct ferry_secret *tok = NULL;
	struct net_reply r = { 0 };
	struct net_config cfg;
	char url[NET_AGENT_ID_MAX + PACKAGE_ID_MAX + 32];
	ferry_err rc;

	*out = NULL;
	*len = 0;
	if (!package_id_valid(id))
		return ferry_error_set(FERRY_EINVAL, "package fetch: invalid package id");
	if (!a->id[0])
		return ferry_error_set(FERRY_EPERM, "package %s: the agent is not enrolled", id);
	if ((rc = a->ks->load(a->ks->ctx, "agent.token", &tok)) != FERRY_OK)
		return rc;
	cfg = a->cfg;
	cfg.max_reply = (size_t)max; /* net_http: FERRY_ERANGE past it */
	snprintf(url, sizeof(url), "/v1/agents/%s/packages/%s", a->id, id);
	rc = net_http(&r, &cfg, "GET", url, tok, NULL, 0, NULL);
	if (rc == FERRY_ERANGE)
		rc = ferry_error_set(FERRY_EAUTH, "package %s: the server sent more than the signed "
				     "size (%llu bytes)", id, (unsigned long long)max);
	else if (rc == FERRY_OK && r.status != 200)
		rc = ferry_error_set(r.status == 404 ? FERRY_ENOTFOUND : FERRY_EIO,
				     "package %s: server answered HTTP %ld", id, r.status);
	if (rc == FERRY_OK) {
		if (!(*out = ferry_malloc(r.body.len + 1))) {
			rc = ferry_error_set(FERRY_ENOMEM, "package %s: %zu bytes", id, r.body.len);
		} else {
			memcpy(*out, r.body.data, r.body.len);
			*len = r.body.len;
		}
	}
	net_reply_free(&r);
	ferry_secret_free(tok);
	return rc;
}
