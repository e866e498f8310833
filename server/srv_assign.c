/*
 * Protocol v2 on the server (docs/protocol.md, "Protocol v2"): the catalog
 * the admin signed offline, and the assignment the server signs for each
 * agent with its online key.
 *
 * The catalog is verified against the admin's key at upload and again when
 * the server opens it, must name this server's assignment key, and is
 * kept parsed in memory (s->catalog, under s->catalog_lock).
 *
 * An agent's assignment is made from: the catalog, the device's wave, the
 * wave's per-runbook windows, the target its runbooks join, and the poll
 * interval, and the imported translation table (srv_table.c: the rows go
 * into identity_map). Its "inputs" digest is SHA-256 of that payload
 * without sequence and issued, the identity map standing in by its table's
 * hash (so an unchanged table costs no canonicalisation of its rows); while it is unchanged the stored envelope is served
 * again (same bytes, same ETag); when it changes the sequence goes up by
 * one and the new payload is checked (assignment_sign checks it exactly as
 * an agent would) and signed.
 */
#include "net/idmap.h"
#include "srv_assign.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "net/bundle.h"
#include "net/canon.h"
#include "runbook/rfc3339.h"
#include "srv_table.h"
#include "util/hex.h"

static pthread_rwlock_t catalog_lock = PTHREAD_RWLOCK_INITIALIZER;

static ferry_err parse_catalog(struct catalog **out, struct srv *s, const uint8_t *env,
			       size_t len)
{
	ferry_err rc = catalog_verify(out, env, len, s->cfg.signing_pub, s->now());
	const struct catalog *c = *out;

	if (rc)
		return rc;
	if (memcmp(c->assignment_key, s->assign_pub, sizeof(s->assign_pub)))
		rc = ferry_error_set(FERRY_EMISMATCH, "catalog: /assignment_key is not this server's "
				     "assignment key (keys/assignment.key)");
	/* The agents seal the fallback password to the catalog's escrow key and
	 * helpdesk reveals it with this server's: another key would escrow a
	 * password nobody here can open, and none would fail every fallback
	 * step (docs/protocol.md, "The catalog"). */
	else if (c->has_escrow_key && memcmp(c->escrow_key, s->escrow_pub, sizeof(s->escrow_pub)))
		rc = ferry_error_set(FERRY_EMISMATCH, "catalog: /escrow_public_key is not this "
				     "server's escrow key (keys/escrow.pub)");
	for (size_t i = 0; !rc && !c->has_escrow_key && i < c->n_runbooks; i++)
		if (c->runbooks[i]->startup.fallback.enabled)
			rc = ferry_error_set(FERRY_EINVAL, "catalog: runbook '%s' creates a fallback "
					     "account but the catalog has no /escrow_public_key "
					     "(sign it with keys/escrow.pub, or its agents' "
					     "fallback step fails)", c->runbooks[i]->id);
	if (rc) {
		catalog_free(*out);
		*out = NULL;
	}
	return rc;
}

ferry_err srv_catalog_open(struct srv *s)
{
	uint8_t *env = NULL;
	size_t len = 0;
	struct catalog *c = NULL;
	ferry_err rc = s->store->ops->catalog_get(s->store, &env, &len);

	if (rc == FERRY_ENOTFOUND)
		return FERRY_OK; /* v1 only until an admin uploads one */
	if (!rc)
		rc = parse_catalog(&c, s, env, len);
	ferry_free(env);
	if (rc)
		return ferry_error_wrap(rc, "the stored catalog: ");
	pthread_rwlock_wrlock(&catalog_lock);
	catalog_free(s->catalog);
	s->catalog = c;
	pthread_rwlock_unlock(&catalog_lock);
	return FERRY_OK;
}

ferry_err srv_catalog_put(struct srv *s, uint64_t *sequence, const uint8_t *env, size_t len)
{
	struct catalog *c = NULL;
	struct signed_mark last = { 0 };
	ferry_err rc = parse_catalog(&c, s, env, len);

	if (rc)
		return rc;
	pthread_rwlock_wrlock(&catalog_lock);
	if (s->catalog)
		catalog_mark_of(&last, s->catalog);
	rc = catalog_check_fresh(c, &last);
	if (!rc)
		rc = s->store->ops->catalog_put(s->store, env, len, c->sequence);
	if (!rc) {
		*sequence = c->sequence;
		catalog_free(s->catalog);
		s->catalog = c;
		c = NULL;
	}
	pthread_rwlock_unlock(&catalog_lock);
	catalog_free(c);
	return rc;
}

ferry_err srv_catalog_allows_domain(struct srv *s, const char *dns_domain)
{
	ferry_err rc = FERRY_OK;

	pthread_rwlock_rdlock(&catalog_lock);
	if (s->catalog)
		rc = catalog_check_target(s->catalog, dns_domain, NULL);
	pthread_rwlock_unlock(&catalog_lock);
	return rc ? ferry_error_wrap(rc, "the table's target domain: ") : FERRY_OK;
}

ferry_err srv_catalog_allows_ou(struct srv *s, const char *dns_domain, const char *ou)
{
	ferry_err rc = FERRY_OK;

	pthread_rwlock_rdlock(&catalog_lock);
	if (s->catalog)
		rc = catalog_check_target(s->catalog, dns_domain, ou && *ou ? ou : NULL);
	pthread_rwlock_unlock(&catalog_lock);
	return rc ? ferry_error_wrap(rc, "the signed catalog: ") : FERRY_OK;
}

ferry_err srv_catalog_has_runbook(struct srv *s, const char *id, bool *loaded)
{
	ferry_err rc = FERRY_OK;

	pthread_rwlock_rdlock(&catalog_lock);
	*loaded = s->catalog != NULL;
	if (s->catalog && !catalog_runbook(s->catalog, id))
		rc = ferry_error_set(FERRY_ENOTFOUND, "runbook '%s' is not in the signed catalog "
				     "(sequence %llu)", id, (unsigned long long)s->catalog->sequence);
	pthread_rwlock_unlock(&catalog_lock);
	return rc;
}

ferry_err srv_catalog_envelope(struct srv *s, uint8_t **env, size_t *len, char etag[SRV_HASH_HEX])
{
	ferry_err rc;

	pthread_rwlock_rdlock(&catalog_lock);
	if (!s->catalog) {
		pthread_rwlock_unlock(&catalog_lock);
		return ferry_error_set(FERRY_ENOTFOUND, "no catalog uploaded yet");
	}
	ferry_hex_encode(etag, s->catalog->digest, 16);
	pthread_rwlock_unlock(&catalog_lock);
	rc = s->store->ops->catalog_get(s->store, env, len);
	return rc;
}

/* The wave's runbook windows (SRV_LIST_WAVES row of `wave`), borrowed into *rbs. */
static ferry_err wave_windows(struct srv *s, cJSON **waves, const cJSON **rbs, const char *wave)
{
	ferry_err rc = s->store->ops->list(s->store, waves, SRV_LIST_WAVES, wave);

	*rbs = NULL;
	if (!rc)
		*rbs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(*waves, 0), "runbooks");
	if (!rc && cJSON_GetArraySize(*rbs) == 0)
		rc = ferry_error_set(FERRY_ENOTFOUND, "wave '%s' has no runbook windows", wave);
	return rc;
}

/* Under the read lock: the target the wave's runbooks join, from the catalog. */
static void catalog_target(struct srv *s, const cJSON *rbs, const char **domain, const char **ou)
{
	const cJSON *e;

	*domain = *ou = NULL;
	cJSON_ArrayForEach(e, rbs) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "runbook");
		const struct runbook *rb = cJSON_IsString(id) ?
			catalog_runbook(s->catalog, id->valuestring) : NULL;

		if (rb && rb->device_state.domain && *rb->device_state.domain) {
			*domain = rb->device_state.domain;
			*ou = rb->device_state.computer_ou;
			return;
		}
	}
}

static cJSON *time_or_null(int64_t t)
{
	char buf[RFC3339_BUF];

	if (!t || rfc3339_format(buf, t))
		return cJSON_CreateNull();
	return cJSON_CreateString(buf);
}

/* The payload without sequence and issued (those are added when it is signed). */
static ferry_err build(cJSON **out, struct srv *s, const struct srv_agent *a, const char *wave,
		       const cJSON *rbs)
{
	cJSON *p = cJSON_CreateObject(), *batch = NULL, *list = NULL, *devs = NULL, *t = NULL;
	const char *domain, *ou;
	const cJSON *e;
	char hex[2 * SIGNED_DIGEST_LEN + 1], nb[RFC3339_BUF];
	bool ok;

	*out = NULL;
	if (!p)
		return ferry_error_set(FERRY_ENOMEM, "assignment");
	ferry_hex_encode(hex, s->catalog->digest, SIGNED_DIGEST_LEN);
	ok = !rfc3339_format(nb, s->catalog->not_after) &&
	     cJSON_AddStringToObject(p, "not_after", nb) &&
	     cJSON_AddStringToObject(p, "catalog_sha256", hex) &&
	     cJSON_AddStringToObject(p, "agent_id", a->id) &&
	     cJSON_AddStringToObject(p, "device", a->device) &&
	     (batch = cJSON_AddObjectToObject(p, "batch")) &&
	     cJSON_AddStringToObject(batch, "schema", "ferry.batch/1") &&
	     cJSON_AddStringToObject(batch, "id", wave) &&
	     (list = cJSON_AddArrayToObject(batch, "runbooks")) &&
	     (devs = cJSON_AddArrayToObject(batch, "devices")) &&
	     cJSON_AddItemToArray(devs, cJSON_CreateString(a->device));
	cJSON_ArrayForEach(e, rbs) {
		cJSON *o = ok ? cJSON_CreateObject() : NULL;

		if (!o || !cJSON_AddItemToArray(list, o)) {
			cJSON_Delete(o);
			ok = false;
			break;
		}
		ok = cJSON_AddStringToObject(o, "runbook", cJSON_GetStringValue(
			     cJSON_GetObjectItemCaseSensitive(e, "runbook"))) &&
		     cJSON_AddItemToObject(o, "available_from", time_or_null((int64_t)
			     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "available_from")))) &&
		     cJSON_AddItemToObject(o, "enforced_after", time_or_null((int64_t)
			     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "enforced_after"))));
	}
	catalog_target(s, rbs, &domain, &ou);
	if (ok && domain) {
		ok = (t = cJSON_AddObjectToObject(p, "target")) &&
		     cJSON_AddStringToObject(t, "dns_domain", domain) &&
		     (!ou || cJSON_AddStringToObject(t, "ou", ou));
	}
	ok = ok && cJSON_AddArrayToObject(p, "identity_map") &&
	     cJSON_AddNumberToObject(p, "poll_interval_s", s->cfg.poll_interval_s);
	if (!ok) {
		cJSON_Delete(p);
		return ferry_error_set(FERRY_ENOMEM, "assignment");
	}
	*out = p;
	return FERRY_OK;
}

/* The device's identity map (docs/protocol.md, "The identity mapping"): the
 * user rows of the profiles its agent reported and every group row; every
 * user and group row until the agent has reported. */
static ferry_err slice_into(cJSON *p, const cJSON *rows, const char *text, const char *device)
{
	cJSON *report = NULL, *map = NULL;
	ferry_err rc = FERRY_OK;

	if (!text) {
		rc = (map = cJSON_Duplicate(rows, true)) ? FERRY_OK
			: ferry_error_set(FERRY_ENOMEM, "assignment identity map");
	} else {
		cJSON *list = cJSON_Parse(text);

		if (!list || !(report = cJSON_CreateObject()) ||
		    !cJSON_AddItemToObject(report, "profiles", list)) {
			if (!report)
				cJSON_Delete(list);
			rc = ferry_error_set(FERRY_ECORRUPT, "stored profiles of %s", device);
		} else {
			rc = idmap_slice(&map, rows, report);
		}
	}
	if (!rc && !cJSON_ReplaceItemInObjectCaseSensitive(p, "identity_map", map)) {
		cJSON_Delete(map);
		rc = ferry_error_set(FERRY_ENOMEM, "assignment identity map");
	}
	cJSON_Delete(report);
	return rc;
}

/* The inputs digest: the payload with the table's hash in place of its rows,
 * and the device's reported profiles (they choose the slice). */
static ferry_err digest_hex(char out[SRV_HASH_HEX], cJSON *p, const char *table_hash,
			    const char *profiles)
{
	struct ferry_buf b;
	uint8_t d[32];
	ferry_err rc;

	if ((table_hash[0] && !cJSON_AddStringToObject(p, "table_sha256", table_hash)) ||
	    (profiles && !cJSON_AddStringToObject(p, "reported_profiles", profiles))) {
		cJSON_DeleteItemFromObjectCaseSensitive(p, "table_sha256");
		return ferry_error_set(FERRY_ENOMEM, "assignment");
	}
	ferry_buf_init(&b, ASSIGNMENT_MAX);
	rc = canon_json(&b, p);
	cJSON_DeleteItemFromObjectCaseSensitive(p, "table_sha256");
	cJSON_DeleteItemFromObjectCaseSensitive(p, "reported_profiles");
	if (!rc)
		rc = net_sha256(d, b.data, b.len);
	if (!rc)
		ferry_hex_encode(out, d, sizeof(d));
	ferry_buf_free(&b);
	return rc;
}

ferry_err srv_assignment_for(struct srv *s, uint8_t **env, size_t *len, char etag[SRV_HASH_HEX],
			     const struct srv_agent *a)
{
	struct srv_device dev;
	cJSON *waves = NULL, *p = NULL;
	const cJSON *rbs;
	char inputs[SRV_HASH_HEX], old[SRV_HASH_HEX] = "", issued[RFC3339_BUF];
	char table_hash[SRV_HASH_HEX];
	const cJSON *rows;
	char *profiles = NULL;
	uint64_t seq = 0;
	char *signed_env = NULL;
	size_t signed_len = 0;
	uint8_t d[32];
	ferry_err rc;

	*env = NULL;
	pthread_rwlock_rdlock(&catalog_lock);
	rows = srv_table_hold(s, table_hash); /* lock order: catalog, then table */
	if (!s->catalog) {
		rc = ferry_error_set(FERRY_ENOTFOUND, "no catalog uploaded yet");
		goto out;
	}
	rc = s->store->ops->device_get(s->store, &dev, a->device);
	if (!rc && !dev.wave[0])
		rc = ferry_error_set(FERRY_ENOTFOUND, "device %s is in no wave", a->device);
	if (!rc)
		rc = wave_windows(s, &waves, &rbs, dev.wave);
	if (!rc)
		rc = build(&p, s, a, dev.wave, rbs);
	if (!rc && (rc = s->store->ops->profiles_get(s->store, &profiles, a->device)) ==
			   FERRY_ENOTFOUND)
		rc = FERRY_OK; /* not reported yet: every user and group row */
	if (!rc)
		rc = digest_hex(inputs, p, table_hash, profiles);
	if (rc)
		goto out;
	rc = s->store->ops->assignment_get(s->store, old, &seq, env, len, a->id);
	if (!rc && !strcmp(old, inputs))
		goto etag; /* unchanged: the same bytes again */
	if (rc && rc != FERRY_ENOTFOUND)
		goto out;
	ferry_free(*env);
	*env = NULL;
	seq++;
	rc = rfc3339_format(issued, s->now());
	if (!rc && rows)
		rc = slice_into(p, rows, profiles, a->device);
	if (!rc && (!cJSON_AddNumberToObject(p, "sequence", (double)seq) ||
		    !cJSON_AddStringToObject(p, "issued", issued)))
		rc = ferry_error_set(FERRY_ENOMEM, "assignment");
	if (!rc)
		rc = assignment_sign(&signed_env, &signed_len, p, s->catalog, s->assign_priv->data,
				     s->now());
	if (!rc)
		rc = s->store->ops->assignment_put(s->store, a->id, inputs, seq,
						   (const uint8_t *)signed_env, signed_len);
	if (rc)
		goto out;
	*env = (uint8_t *)signed_env;
	*len = signed_len;
	signed_env = NULL;
etag:
	rc = net_sha256(d, *env, *len);
	if (!rc)
		ferry_hex_encode(etag, d, 16);
out:
	srv_table_release();
	pthread_rwlock_unlock(&catalog_lock);
	if (rc) {
		ferry_free(*env);
		*env = NULL;
	}
	ferry_free(signed_env);
	ferry_free(profiles);
	cJSON_Delete(p);
	cJSON_Delete(waves);
	return rc;
}

static ferry_err v2_target(struct srv *s, const char *device, char *domain, size_t dcap,
			   char *ou, size_t ocap)
{
	struct srv_device dev;
	cJSON *waves = NULL;
	const cJSON *rbs;
	const char *d = NULL, *o = NULL;
	ferry_err rc;

	domain[0] = ou[0] = '\0';
	pthread_rwlock_rdlock(&catalog_lock);
	if (!s->catalog) {
		rc = FERRY_ENOTFOUND;
		goto out;
	}
	rc = s->store->ops->device_get(s->store, &dev, device);
	if (!rc && !dev.wave[0])
		rc = ferry_error_set(FERRY_ENOTFOUND, "device %s is in no wave", device);
	if (!rc)
		rc = wave_windows(s, &waves, &rbs, dev.wave);
	if (!rc)
		catalog_target(s, rbs, &d, &o);
	if (!rc && !d)
		rc = ferry_error_set(FERRY_EMISMATCH, "no runbook of wave %s joins a domain", dev.wave);
	if (!rc) {
		snprintf(domain, dcap, "%s", d ? d : "");
		snprintf(ou, ocap, "%s", o ? o : "");
	}
out:
	pthread_rwlock_unlock(&catalog_lock);
	cJSON_Delete(waves);
	return rc;
}

/* v1: the domain_join of a runbook in the wave's bundle. */
static ferry_err v1_target(struct srv *s, const char *device, char *domain, size_t dcap,
			   char *ou, size_t ocap)
{
	char etag[SRV_HASH_HEX];
	uint8_t *data = NULL;
	size_t len = 0;
	cJSON *env = NULL;
	const cJSON *rb;
	ferry_err rc = s->store->ops->assignment(s->store, etag, &data, &len, device, NULL);

	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "device %s is in no wave with an assignment", device);
	if (rc)
		return rc;
	env = cJSON_ParseWithLength((const char *)data, len);
	rb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(env, "payload"),
					      "runbooks");
	cJSON_ArrayForEach(rb, rb) {
		const cJSON *dj = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(rb, "device_state"), "domain_join");
		const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dj, "domain"));
		const char *o = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dj, "computer_ou"));

		if (d && strlen(d) < dcap) {
			snprintf(domain, dcap, "%s", d);
			if (o && strlen(o) < ocap)
				snprintf(ou, ocap, "%s", o);
			break;
		}
	}
	cJSON_Delete(env);
	ferry_free(data);
	if (!domain[0])
		return ferry_error_set(FERRY_EMISMATCH, "the bundle of %s's wave has no domain_join "
				       "runbook", device);
	return FERRY_OK;
}

ferry_err srv_device_target(struct srv *s, const char *device, char *domain, size_t dcap,
			    char *ou, size_t ocap)
{
	ferry_err rc = v2_target(s, device, domain, dcap, ou, ocap);

	if (rc != FERRY_ENOTFOUND)
		return rc;
	domain[0] = ou[0] = '\0';
	return v1_target(s, device, domain, dcap, ou, ocap);
}

void srv_catalog_close(struct srv *s)
{
	pthread_rwlock_wrlock(&catalog_lock);
	catalog_free(s->catalog);
	s->catalog = NULL;
	pthread_rwlock_unlock(&catalog_lock);
}
