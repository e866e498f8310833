/* Signed bundles: see bundle.h for the envelope and its invariants. */
#include "net/bundle.h"
#include "net/idmap.h"
#include "net/odj_dir.h"
#include "net/package.h"

#include <string.h>

#include <openssl/evp.h>

#include "net/signed.h"
#include "runbook/rfc3339.h"
#include "util/hex.h"
#include "util/mem.h"

static const char bundle_context[] = "ferry-bundle/1\n";

ferry_err net_sha256(uint8_t out[32], const uint8_t *data, size_t len)
{
	unsigned int n = 0;

	if (EVP_Digest(data ? data : (const uint8_t *)"", len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return ferry_error_set(FERRY_ESYSTEM, "SHA-256 failed");
	return FERRY_OK;
}

static const struct signed_kind bundle_kind = {
	.member = "ferry_bundle", .context = bundle_context, .what = "bundle", .max = BUNDLE_MAX,
};

ferry_err bundle_packages_check(const cJSON *pk, const char *what)
{
	size_t i = 0;

	if (!cJSON_IsArray(pk))
		return ferry_error_set(FERRY_ECORRUPT, "%s: /packages must be an array", what);
	for (const cJSON *e = pk->child; e; e = e->next, i++) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "sha256");
		uint64_t size;

		if (!cJSON_IsString(id) || !package_id_valid(id->valuestring))
			return ferry_error_set(FERRY_ECORRUPT, "%s: /packages/%zu/id is not a "
					       "valid package id", what, i);
		if (!cJSON_IsString(h) || strlen(h->valuestring) != 64)
			return ferry_error_set(FERRY_ECORRUPT,
					       "%s: /packages/%zu/sha256 is not 64 hex digits", what, i);
		if (!signed_get_uint(e, "size", BUNDLE_PACKAGE_MAX, &size))
			return ferry_error_set(FERRY_ECORRUPT, "%s: /packages/%zu/size missing "
					       "or above %u", what, i, BUNDLE_PACKAGE_MAX);
		for (const cJSON *f = pk->child; f != e; f = f->next) {
			if (!strcmp(cJSON_GetObjectItemCaseSensitive(f, "id")->valuestring,
				    id->valuestring))
				return ferry_error_set(FERRY_ECORRUPT,
						       "%s: /packages/%zu/id repeats an id", what, i);
		}
	}
	return FERRY_OK;
}

/* ASCII letters without case: agent ids are lowercase hex, computer names
 * are case-insensitive (GetComputerNameW gives upper case, admins type
 * either). */
static int same_agent(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

static ferry_err get_time(const cJSON *p, const char *k, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, k);

	if (!cJSON_IsString(v) || rfc3339_parse(out, v->valuestring) != FERRY_OK)
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /%s must be an RFC 3339 time", k);
	return FERRY_OK;
}

/* Structural checks on a payload whose signature already verified. */
static ferry_err check_payload(struct bundle *b, const char *agent_id)
{
	const cJSON *p = b->payload, *a = cJSON_GetObjectItemCaseSensitive(p, "agent");
	uint64_t poll = 0;
	ferry_err rc;

	if (!signed_get_uint(p, "sequence", 9007199254740991.0, &b->sequence) || b->sequence < 1)
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /sequence must be an integer >= 1");
	if ((rc = get_time(p, "issued", &b->issued)) || (rc = get_time(p, "not_after", &b->not_after)))
		return rc;
	if (b->not_after <= b->issued)
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /not_after is not after /issued");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(p, "batch")))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /batch must be an object");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "runbooks")))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /runbooks must be an array");
	if (cJSON_GetObjectItemCaseSensitive(p, "poll_interval_s") &&
	    !signed_get_uint(p, "poll_interval_s", 7 * 86400, &poll))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /poll_interval_s out of range");
	b->poll_interval_s = (uint32_t)poll;
	if (a && (!cJSON_IsString(a) ||
		  (agent_id && strcmp(a->valuestring, "*") && !same_agent(a->valuestring, agent_id))))
		return ferry_error_set(FERRY_EMISMATCH, "bundle: addressed to another agent (/agent "
				       "\"%.64s\", this agent \"%.64s\")",
				       cJSON_IsString(a) ? a->valuestring : "?",
				       agent_id && *agent_id ? agent_id : "(no id, no name)");
	if (cJSON_GetObjectItemCaseSensitive(p, "table"))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /table is not read by this agent: "
				       "the device's identity mapping travels as /identity_map");
	if (cJSON_GetObjectItemCaseSensitive(p, "identity_map") &&
	    (rc = idmap_new(&b->idmap, cJSON_GetObjectItemCaseSensitive(p, "identity_map"),
			    "bundle")))
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(p, "odj_sealed") &&
	    (rc = net_odj_sealed_check(cJSON_GetObjectItemCaseSensitive(p, "odj_sealed"), "bundle")))
		return rc;
	return bundle_packages_check(cJSON_GetObjectItemCaseSensitive(p, "packages"), "bundle");
}

ferry_err bundle_verify(struct bundle **out, const uint8_t *buf, size_t len,
			const uint8_t pub[SIG_ED25519_PUBLIC_LEN], const char *agent_id)
{
	struct bundle *b = NULL;
	uint8_t digest[BUNDLE_DIGEST_LEN];
	cJSON *payload = NULL;
	ferry_err rc;

	*out = NULL;
	rc = signed_open(&payload, digest, &bundle_kind, buf, len, pub);
	if (rc)
		goto out;
	b = ferry_calloc(1, sizeof(*b));
	if (!b) {
		rc = ferry_error_set(FERRY_ENOMEM, "bundle");
		goto out;
	}
	b->payload = payload;
	payload = NULL;
	memcpy(b->digest, digest, BUNDLE_DIGEST_LEN);
	rc = check_payload(b, agent_id);
	if (!rc) {
		*out = b;
		b = NULL;
	}
out:
	cJSON_Delete(payload);
	bundle_free(b);
	return rc;
}

ferry_err bundle_check_time(const struct bundle *b, int64_t now)
{
	char when[RFC3339_BUF] = "?";

	if (now < b->not_after)
		return FERRY_OK;
	(void)rfc3339_format(when, b->not_after);
	return ferry_error_set(FERRY_EMISMATCH, "bundle: expired (sequence %llu, not_after %s)",
			       (unsigned long long)b->sequence, when);
}

ferry_err bundle_check_fresh(const struct bundle *b, const struct bundle_mark *last)
{
	struct signed_mark m = { .sequence = last->sequence };

	memcpy(m.digest, last->digest, BUNDLE_DIGEST_LEN);
	return signed_check_fresh(&bundle_kind, b->sequence, b->digest, &m);
}

void bundle_mark_of(struct bundle_mark *m, const struct bundle *b)
{
	m->sequence = b->sequence;
	memcpy(m->digest, b->digest, BUNDLE_DIGEST_LEN);
}

const cJSON *bundle_package(const struct bundle *b, const char *id)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(b->payload, "packages");

	for (const cJSON *e = pk ? pk->child : NULL; e; e = e->next) {
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring, id))
			return e;
	}
	return NULL;
}

ferry_err bundle_packages_match(const cJSON *pk, const char *id, const uint8_t *data,
				size_t len, const char *what)
{
	const cJSON *e = NULL;
	uint8_t h[32];
	char hex[65];
	ferry_err rc;

	for (e = cJSON_IsArray(pk) ? pk->child : NULL; e; e = e->next) {
		const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "id");
		if (cJSON_IsString(eid) && !strcmp(eid->valuestring, id))
			break;
	}
	if (!e)
		return ferry_error_set(FERRY_ENOTFOUND, "%s: no package \"%.64s\"", what, id);
	if ((double)len != cJSON_GetObjectItemCaseSensitive(e, "size")->valuedouble)
		return ferry_error_set(FERRY_EAUTH, "package %.64s: size %zu differs from the "
				       "%s's", id, len, what);
	rc = net_sha256(h, data, len);
	if (rc)
		return rc;
	ferry_hex_encode(hex, h, 32);
	for (size_t i = 0; i < 64; i++) {
		char c = cJSON_GetObjectItemCaseSensitive(e, "sha256")->valuestring[i];
		if ((c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c) != hex[i])
			return ferry_error_set(FERRY_EAUTH, "package %.64s: SHA-256 differs from the "
					       "%s's", id, what);
	}
	return FERRY_OK;
}

ferry_err bundle_check_package(const struct bundle *b, const char *id, const uint8_t *data,
			       size_t len)
{
	return bundle_packages_match(cJSON_GetObjectItemCaseSensitive(b->payload, "packages"), id,
				     data, len, "bundle");
}

ferry_err bundle_sign(char **out, size_t *out_len, const cJSON *payload,
		      const uint8_t priv[SIG_ED25519_PRIVATE_LEN])
{
	return signed_seal(out, out_len, &bundle_kind, payload, priv);
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	idmap_free(b->idmap);
	cJSON_Delete(b->payload);
	ferry_free(b);
}
