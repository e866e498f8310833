/*
 * What the agent runs, whichever protocol brought it (net/agent_v2.h,
 * struct net_accepted): the readers the service uses instead of reaching
 * into a bundle's or an assignment's payload.
 */
#include "net/agent_v2.h"
#include "net/odj_dir.h"

#include <stdio.h>
#include <string.h>

#include "util/base64.h"
#include "util/mem.h"

ferry_err net_accepted_of_bundle(struct net_accepted **out, struct bundle *b)
{
	struct net_accepted *acc = ferry_calloc(1, sizeof(*acc));

	*out = NULL;
	if (!acc) {
		bundle_free(b);
		return ferry_error_set(FERRY_ENOMEM, "accepted bundle: out of memory");
	}
	acc->bundle = b;
	*out = acc;
	return FERRY_OK;
}

void net_accepted_free(struct net_accepted *acc)
{
	if (!acc)
		return;
	bundle_free(acc->bundle);
	assignment_free(acc->assignment);
	catalog_free(acc->catalog);
	ferry_free(acc);
}

/* The catalog's runbook document whose /id is `id` (borrowed), or NULL. */
static const cJSON *catalog_runbook_doc(const struct catalog *c, const char *id)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(c->payload, "runbooks")) {
		const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));

		if (rid && !strcmp(rid, id))
			return r;
	}
	return NULL;
}

/*
 * A v2 pair as a bundle-shaped payload: the assignment's batch and, in the
 * batch's order, the catalog's runbooks it names. assignment_verify already
 * checked that each is in the catalog and that prerequisites are in the
 * batch; net_documents_parse checks the set again as the service runs it.
 */
static ferry_err pair_payload(cJSON **out, const struct net_accepted *acc)
{
	const cJSON *batch = cJSON_GetObjectItemCaseSensitive(acc->assignment->payload, "batch");
	cJSON *p = cJSON_CreateObject(), *rbs = NULL, *list, *e;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!p || !cJSON_AddItemToObject(p, "batch", cJSON_Duplicate(batch, 1)) ||
	    !(rbs = cJSON_AddArrayToObject(p, "runbooks")))
		rc = ferry_error_set(FERRY_ENOMEM, "assignment documents: out of memory");
	list = rc ? NULL : cJSON_GetObjectItemCaseSensitive(batch, "runbooks");
	cJSON_ArrayForEach(e, list) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "runbook"));
		const cJSON *doc = id ? catalog_runbook_doc(acc->catalog, id) : NULL;

		if (!doc) {
			rc = ferry_error_set(FERRY_EMISMATCH, "assignment: runbook %s is not in the "
					     "catalog", id ? id : "(no id)");
			break;
		}
		if (!cJSON_AddItemToArray(rbs, cJSON_Duplicate(doc, 1))) {
			rc = ferry_error_set(FERRY_ENOMEM, "assignment documents: out of memory");
			break;
		}
	}
	if (rc)
		cJSON_Delete(p);
	else
		*out = p;
	return rc;
}

ferry_err net_accepted_documents(struct net_bundle_documents **out,
				 const struct net_accepted *acc)
{
	cJSON *p = NULL;
	ferry_err rc;

	*out = NULL;
	if (acc->bundle)
		return net_bundle_documents_parse(out, acc->bundle);
	if (!acc->catalog || !acc->assignment)
		return ferry_error_set(FERRY_EINVAL, "accepted: neither a bundle nor a v2 pair");
	if ((rc = pair_payload(&p, acc)) == FERRY_OK)
		rc = net_documents_parse(out, p);
	cJSON_Delete(p);
	return rc;
}

const cJSON *net_accepted_idmap_rows(const struct net_accepted *acc)
{
	if (acc->bundle)
		return acc->bundle->idmap ? acc->bundle->idmap->rows : NULL;
	return acc->assignment ? cJSON_GetObjectItemCaseSensitive(acc->assignment->payload,
								  "identity_map") : NULL;
}

const cJSON *net_accepted_packages(const struct net_accepted *acc, const char **from)
{
	*from = acc->bundle ? "bundle" : "catalog";
	if (acc->bundle)
		return cJSON_GetObjectItemCaseSensitive(acc->bundle->payload, "packages");
	return acc->catalog ? cJSON_GetObjectItemCaseSensitive(acc->catalog->payload, "packages")
			    : NULL;
}

bool net_accepted_escrow_key(const struct net_accepted *acc, uint8_t out[SEAL_KEY_LEN])
{
	const cJSON *k;
	uint8_t *raw = NULL;
	size_t len = 0;
	bool ok = false;

	if (acc->catalog) {
		if (acc->catalog->has_escrow_key)
			memcpy(out, acc->catalog->escrow_key, SEAL_KEY_LEN);
		return acc->catalog->has_escrow_key;
	}
	k = acc->bundle ? cJSON_GetObjectItemCaseSensitive(acc->bundle->payload,
							   "escrow_public_key") : NULL;
	if (cJSON_IsString(k) &&
	    ferry_base64_decode(&raw, &len, k->valuestring, strlen(k->valuestring)) == FERRY_OK &&
	    len == SEAL_KEY_LEN) {
		memcpy(out, raw, SEAL_KEY_LEN);
		ok = true;
	}
	ferry_free(raw);
	return ok;
}

ferry_err net_accepted_odj_digest(uint8_t out[32], const struct net_accepted *acc,
				  const char *device)
{
	if (!acc->bundle)
		return ferry_error_set(FERRY_ENOTFOUND, "v2: the ODJ blob comes from the server");
	return net_odj_sealed_digest(out, cJSON_GetObjectItemCaseSensitive(acc->bundle->payload,
									   "odj_sealed"), device);
}

uint32_t net_accepted_poll_interval(const struct net_accepted *acc)
{
	if (acc->bundle)
		return acc->bundle->poll_interval_s;
	return acc->assignment ? acc->assignment->poll_interval_s : 0;
}

void net_accepted_describe(const struct net_accepted *acc, char *out, size_t cap)
{
	if (acc->bundle)
		snprintf(out, cap, "bundle sequence %llu",
			 (unsigned long long)acc->bundle->sequence);
	else if (acc->assignment && acc->catalog)
		snprintf(out, cap, "assignment sequence %llu (catalog sequence %llu)",
			 (unsigned long long)acc->assignment->sequence,
			 (unsigned long long)acc->catalog->sequence);
	else
		snprintf(out, cap, "nothing");
}
