/* The v2 catalog: see catalog.h for the payload and its invariants. */
#include "net/catalog.h"

#include <stdio.h>
#include <string.h>

#include "net/bundle.h"
#include "runbook/rfc3339.h"
#include "util/base64.h"
#include "util/mem.h"
#include "util/utf.h"

static const struct signed_kind catalog_kind = {
	.member = "ferry_catalog", .context = "ferry-catalog/1\n", .what = "catalog",
	.max = CATALOG_MAX,
};

static ferry_err get_time(const cJSON *p, const char *k, int64_t *t)
{
	const char *s = signed_get_text(p, k, 64);

	if (!s || rfc3339_parse(t, s))
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /%s must be an RFC 3339 time", k);
	return FERRY_OK;
}

/* /domains: each {"dns_domain","ous"}, domains unique, OUs inside their domain. */
static ferry_err check_domains(const cJSON *ds)
{
	static const char *const keys[] = { "dns_domain", "ous", NULL };
	size_t i = 0;

	if (!cJSON_IsArray(ds) || !ds->child || cJSON_GetArraySize(ds) > (int)CATALOG_MAX_DOMAINS)
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /domains must be an array of "
				       "1..%u domains", CATALOG_MAX_DOMAINS);
	for (const cJSON *d = ds->child; d; d = d->next, i++) {
		const char *name = signed_get_text(d, "dns_domain", 253);
		const cJSON *ous = cJSON_GetObjectItemCaseSensitive(d, "ous");
		char where[32];
		size_t j = 0;

		snprintf(where, sizeof(where), "/domains/%zu", i);
		if (!cJSON_IsObject(d) || signed_only_known(d, keys, "catalog", where))
			return ferry_error_set(FERRY_ECORRUPT, "catalog: %s must be an object "
					       "{\"dns_domain\",\"ous\"}", where);
		if (!name || rb_check_domain(name))
			return ferry_error_set(FERRY_ECORRUPT, "catalog: %s/dns_domain: %s", where,
					       name ? rb_check_domain(name) : "required text");
		for (const cJSON *e = ds->child; e != d; e = e->next)
			if (ferry_ascii_ieq(
				    cJSON_GetObjectItemCaseSensitive(e, "dns_domain")->valuestring, name))
				return ferry_error_set(FERRY_ECORRUPT, "catalog: %s/dns_domain "
						       "repeats a domain", where);
		if (!cJSON_IsArray(ous) || cJSON_GetArraySize(ous) > (int)CATALOG_MAX_OUS)
			return ferry_error_set(FERRY_ECORRUPT, "catalog: %s/ous must be an array of "
					       "at most %u DNs", where, CATALOG_MAX_OUS);
		for (const cJSON *o = ous->child; o; o = o->next, j++) {
			const char *dn = cJSON_IsString(o) ? o->valuestring : NULL;

			if (!dn || !*dn || strlen(dn) > CATALOG_DN_MAX || rb_check_ou(dn, name))
				return ferry_error_set(FERRY_ECORRUPT, "catalog: %s/ous/%zu: %s", where,
						       j, dn && *dn && strlen(dn) <= CATALOG_DN_MAX
						       ? rb_check_ou(dn, name) : "must be a DN");
		}
	}
	return FERRY_OK;
}

/* Parse every runbook with the runbook module and cross-check them. */
static ferry_err parse_runbooks(struct catalog *c, const cJSON *rbs)
{
	struct rb_issues iss = { 0 };
	const char **files = NULL;
	char *names = NULL;
	size_t n = 0;
	ferry_err rc = FERRY_OK;

	if (!cJSON_IsArray(rbs) || !rbs->child ||
	    cJSON_GetArraySize(rbs) > (int)CATALOG_MAX_RUNBOOKS)
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /runbooks must be an array of "
				       "1..%u runbooks", CATALOG_MAX_RUNBOOKS);
	n = (size_t)cJSON_GetArraySize(rbs);
	c->runbooks = ferry_calloc(n, sizeof(*c->runbooks));
	files = ferry_calloc(n, sizeof(*files));
	names = ferry_calloc(n, 24);
	if (!c->runbooks || !files || !names) {
		rc = ferry_error_set(FERRY_ENOMEM, "catalog: runbooks");
		goto out;
	}
	for (const cJSON *r = rbs->child; r; r = r->next) {
		char *text = cJSON_PrintUnformatted(r);
		size_t i = c->n_runbooks;

		snprintf(names + 24 * i, 24, "/runbooks/%zu", i);
		files[i] = names + 24 * i;
		if (!text) {
			rc = ferry_error_set(FERRY_ENOMEM, "catalog: runbooks");
			goto out;
		}
		rc = runbook_parse(&c->runbooks[i], &iss, files[i], text, strlen(text));
		cJSON_free(text);
		if (rc)
			goto out;
		c->n_runbooks++;
	}
	rc = rb_check_refs(&iss, NULL, NULL, (const struct runbook *const *)c->runbooks, files, n);
out:
	if (rc == FERRY_ECORRUPT && iss.n)
		rc = ferry_error_set(FERRY_ECORRUPT, "catalog: %s%s: %s", iss.v[0].file,
				     iss.v[0].pointer, iss.v[0].message);
	rb_issues_clear(&iss);
	ferry_free(files);
	ferry_free(names);
	return rc;
}

static ferry_err check_packages_listed(const struct catalog *c, const struct rb_strlist *l,
				       const char *rb)
{
	for (size_t i = 0; i < l->n; i++)
		if (!catalog_package(c, l->v[i]))
			return ferry_error_set(FERRY_ECORRUPT, "catalog: runbook %s runs package %s, "
					       "which /packages does not list", rb, l->v[i]);
	return FERRY_OK;
}

/* Invariants 2 and 3: what runbooks use is what the catalog allows. */
static ferry_err check_runbook_uses(const struct catalog *c)
{
	ferry_err rc = FERRY_OK;

	for (size_t i = 0; !rc && i < c->n_runbooks; i++) {
		const struct runbook *rb = c->runbooks[i];

		rc = check_packages_listed(c, &rb->startup.command_packages, rb->id);
		if (!rc)
			rc = check_packages_listed(c, &rb->completion.command_packages, rb->id);
		if (!rc && rb->device_state.join_type == RB_JOIN_ACTIVE_DIRECTORY &&
		    catalog_check_target(c, rb->device_state.domain, rb->device_state.computer_ou))
			rc = ferry_error_wrap(FERRY_ECORRUPT, "catalog: runbook %s: ", rb->id);
	}
	return rc;
}

/* The optional /escrow_public_key: 32 bytes of base64. */
static ferry_err get_escrow_key(struct catalog *c)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(c->payload, "escrow_public_key");
	uint8_t *raw = NULL;
	size_t len = 0;
	ferry_err rc = FERRY_OK;

	if (!k)
		return FERRY_OK;
	if (!cJSON_IsString(k) ||
	    ferry_base64_decode(&raw, &len, k->valuestring, strlen(k->valuestring)) ||
	    len != SEAL_KEY_LEN)
		rc = ferry_error_set(FERRY_ECORRUPT, "catalog: /escrow_public_key must be an X25519 "
				     "public key (base64 of 32 bytes)");
	else
		memcpy(c->escrow_key, raw, SEAL_KEY_LEN), c->has_escrow_key = true;
	ferry_free(raw);
	return rc;
}

static ferry_err check_payload(struct catalog *c, const uint8_t admin_pub[SIG_ED25519_PUBLIC_LEN],
			       int64_t now)
{
	static const char *const keys[] = { "sequence", "issued", "not_after", "assignment_key",
					     "domains", "runbooks", "packages", "escrow_public_key",
					     NULL };
	const cJSON *p = c->payload;
	const char *key;
	ferry_err rc = signed_only_known(p, keys, "catalog", "");

	if (rc)
		return rc;
	if (!signed_get_uint(p, "sequence", 9007199254740991.0, &c->sequence) || c->sequence < 1)
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /sequence must be an integer >= 1");
	if ((rc = get_time(p, "issued", &c->issued)) || (rc = get_time(p, "not_after", &c->not_after)))
		return rc;
	if (c->not_after <= c->issued)
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /not_after is not after /issued");
	key = signed_get_text(p, "assignment_key", 128);
	if (!key || sig_public_key_parse(c->assignment_key, key, "catalog: /assignment_key"))
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /assignment_key must be an Ed25519 "
				       "public key (base64 of 32 bytes)");
	if (!memcmp(c->assignment_key, admin_pub, SIG_ED25519_PUBLIC_LEN))
		return ferry_error_set(FERRY_ECORRUPT, "catalog: /assignment_key is the admin's own "
				       "key; the server must sign with a key of its own");
	if ((rc = get_escrow_key(c)))
		return rc;
	if ((rc = check_domains(cJSON_GetObjectItemCaseSensitive(p, "domains"))) ||
	    (rc = bundle_packages_check(cJSON_GetObjectItemCaseSensitive(p, "packages"), "catalog")) ||
	    (rc = parse_runbooks(c, cJSON_GetObjectItemCaseSensitive(p, "runbooks"))) ||
	    (rc = check_runbook_uses(c)))
		return rc;
	if (now >= c->not_after)
		return ferry_error_set(FERRY_EMISMATCH, "catalog: expired (not_after %s)",
				       signed_get_text(p, "not_after", 64));
	return FERRY_OK;
}

static ferry_err adopt(struct catalog **out, cJSON *payload, const uint8_t *digest,
		       const uint8_t admin_pub[SIG_ED25519_PUBLIC_LEN], int64_t now)
{
	struct catalog *c = ferry_calloc(1, sizeof(*c));
	ferry_err rc;

	*out = NULL;
	if (!c) {
		cJSON_Delete(payload);
		return ferry_error_set(FERRY_ENOMEM, "catalog");
	}
	c->payload = payload;
	if (digest)
		memcpy(c->digest, digest, SIGNED_DIGEST_LEN);
	rc = check_payload(c, admin_pub, now);
	if (rc)
		catalog_free(c);
	else
		*out = c;
	return rc;
}

ferry_err catalog_verify(struct catalog **out, const uint8_t *buf, size_t len,
			 const uint8_t admin_pub[SIG_ED25519_PUBLIC_LEN], int64_t now)
{
	uint8_t digest[SIGNED_DIGEST_LEN];
	cJSON *payload = NULL;
	ferry_err rc;

	*out = NULL;
	rc = signed_open(&payload, digest, &catalog_kind, buf, len, admin_pub);
	return rc ? rc : adopt(out, payload, digest, admin_pub, now);
}

ferry_err catalog_sign(char **out, size_t *out_len, const cJSON *payload,
		       const uint8_t admin_priv[SIG_ED25519_PRIVATE_LEN], int64_t now)
{
	uint8_t pub[SIG_ED25519_PUBLIC_LEN];
	struct catalog *c = NULL;
	cJSON *copy = NULL;
	ferry_err rc;

	*out = NULL;
	if (!payload || !admin_priv)
		return ferry_error_set(FERRY_EINVAL, "catalog_sign: missing argument");
	rc = sig_public_from_private(pub, admin_priv);
	if (rc)
		return rc;
	copy = cJSON_Duplicate(payload, 1);
	if (!copy)
		return ferry_error_set(FERRY_ENOMEM, "catalog");
	rc = adopt(&c, copy, NULL, pub, now);
	if (!rc)
		rc = signed_seal(out, out_len, &catalog_kind, payload, admin_priv);
	catalog_free(c);
	return rc;
}

ferry_err catalog_check_fresh(const struct catalog *c, const struct signed_mark *last)
{
	return signed_check_fresh(&catalog_kind, c->sequence, c->digest, last);
}

void catalog_mark_of(struct signed_mark *m, const struct catalog *c)
{
	m->sequence = c->sequence;
	memcpy(m->digest, c->digest, SIGNED_DIGEST_LEN);
}

const struct runbook *catalog_runbook(const struct catalog *c, const char *id)
{
	for (size_t i = 0; id && i < c->n_runbooks; i++)
		if (!strcmp(c->runbooks[i]->id, id))
			return c->runbooks[i];
	return NULL;
}

ferry_err catalog_check_target(const struct catalog *c, const char *dns_domain, const char *ou)
{
	const cJSON *ds = cJSON_GetObjectItemCaseSensitive(c->payload, "domains");

	for (const cJSON *d = ds ? ds->child : NULL; dns_domain && d; d = d->next) {
		const cJSON *ous = cJSON_GetObjectItemCaseSensitive(d, "ous");
		const char *name = cJSON_GetObjectItemCaseSensitive(d, "dns_domain")->valuestring;

		if (!ferry_ascii_ieq(name, dns_domain))
			continue;
		if (!ou)
			return FERRY_OK;
		for (const cJSON *o = ous->child; o; o = o->next)
			if (ferry_ascii_ieq(o->valuestring, ou))
				return FERRY_OK;
		return ferry_error_set(FERRY_EMISMATCH, "OU %.256s is not one the catalog allows "
				       "in %.253s", ou, dns_domain);
	}
	return ferry_error_set(FERRY_EMISMATCH, "domain %.253s is not one the catalog allows",
			       dns_domain ? dns_domain : "(none)");
}

const cJSON *catalog_package(const struct catalog *c, const char *id)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(c->payload, "packages");

	for (const cJSON *e = pk ? pk->child : NULL; id && e; e = e->next)
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring, id))
			return e;
	return NULL;
}

ferry_err catalog_check_package(const struct catalog *c, const char *id, const uint8_t *data,
				size_t len)
{
	return bundle_packages_match(cJSON_GetObjectItemCaseSensitive(c->payload, "packages"), id,
				     data, len, "catalog");
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_runbooks; i++)
		runbook_free(c->runbooks[i]);
	ferry_free(c->runbooks);
	cJSON_Delete(c->payload);
	ferry_free(c);
}
