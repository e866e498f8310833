/* Signed bundles: see bundle.h for the envelope and its invariants. */
#include "net/bundle.h"
#include "net/package.h"

#include <string.h>

#include <openssl/evp.h>

#include "net/canon.h"
#include "util/base64.h"
#include "util/buf.h"
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

/* context || canon(payload), the signed message. */
static ferry_err signed_message(struct ferry_buf *m, const cJSON *payload)
{
	ferry_err rc;

	ferry_buf_init(m, BUNDLE_MAX + sizeof(bundle_context));
	rc = ferry_buf_puts(m, bundle_context);
	if (!rc)
		rc = canon_json(m, payload);
	if (rc)
		ferry_buf_free(m);
	return rc;
}

static int get_uint(const cJSON *o, const char *k, double max, uint64_t *v)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(n) || !(n->valuedouble >= 0 && n->valuedouble <= max) ||
	    (double)(uint64_t)n->valuedouble != n->valuedouble)
		return 0;
	*v = (uint64_t)n->valuedouble;
	return 1;
}

static ferry_err check_packages(const cJSON *pk)
{
	size_t i = 0;

	if (!cJSON_IsArray(pk))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /packages must be an array");
	for (const cJSON *e = pk->child; e; e = e->next, i++) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "sha256");
		uint64_t size;

		if (!cJSON_IsString(id) || !package_id_valid(id->valuestring))
			return ferry_error_set(FERRY_ECORRUPT, "bundle: /packages/%zu/id is not a "
					       "valid package id", i);
		if (!cJSON_IsString(h) || strlen(h->valuestring) != 64)
			return ferry_error_set(FERRY_ECORRUPT,
					       "bundle: /packages/%zu/sha256 is not 64 hex digits", i);
		if (!get_uint(e, "size", BUNDLE_PACKAGE_MAX, &size))
			return ferry_error_set(FERRY_ECORRUPT, "bundle: /packages/%zu/size missing "
					       "or above %u", i, BUNDLE_PACKAGE_MAX);
		for (const cJSON *f = pk->child; f != e; f = f->next) {
			if (!strcmp(cJSON_GetObjectItemCaseSensitive(f, "id")->valuestring,
				    id->valuestring))
				return ferry_error_set(FERRY_ECORRUPT,
						       "bundle: /packages/%zu/id repeats an id", i);
		}
	}
	return FERRY_OK;
}

/* Structural checks on a payload whose signature already verified. */
static ferry_err check_payload(struct bundle *b, const char *agent_id)
{
	const cJSON *p = b->payload, *a = cJSON_GetObjectItemCaseSensitive(p, "agent");
	uint64_t poll = 0;

	if (!get_uint(p, "sequence", 9007199254740991.0, &b->sequence) || b->sequence < 1)
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /sequence must be an integer >= 1");
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "issued")))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /issued missing");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(p, "batch")))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /batch must be an object");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "runbooks")))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /runbooks must be an array");
	if (cJSON_GetObjectItemCaseSensitive(p, "poll_interval_s") &&
	    !get_uint(p, "poll_interval_s", 7 * 86400, &poll))
		return ferry_error_set(FERRY_ECORRUPT, "bundle: /poll_interval_s out of range");
	b->poll_interval_s = (uint32_t)poll;
	if (a && (!cJSON_IsString(a) ||
		  (agent_id && strcmp(a->valuestring, "*") && strcmp(a->valuestring, agent_id))))
		return ferry_error_set(FERRY_EMISMATCH, "bundle: addressed to another agent");
	return check_packages(cJSON_GetObjectItemCaseSensitive(p, "packages"));
}

/* Envelope -> detached payload and decoded signature. */
static ferry_err open_envelope(cJSON **payload, uint8_t sig[SIG_ED25519_SIG_LEN],
			       const uint8_t *buf, size_t len)
{
	cJSON *env = NULL;
	const cJSON *v, *s;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	ferry_err rc = FERRY_OK;

	*payload = NULL;
	if (len > BUNDLE_MAX)
		return ferry_error_set(FERRY_ERANGE, "bundle: %zu bytes is more than %u", len,
				       BUNDLE_MAX);
	env = cJSON_ParseWithLength((const char *)buf, len);
	if (!cJSON_IsObject(env)) {
		rc = ferry_error_set(FERRY_ECORRUPT, "bundle: not a JSON object");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(env, "ferry_bundle");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1.0) {
		rc = ferry_error_set(FERRY_EUNSUPPORTED, "bundle: /ferry_bundle is not 1");
		goto out;
	}
	s = cJSON_GetObjectItemCaseSensitive(env, "signature");
	if (!cJSON_IsString(s) || !*s->valuestring) {
		rc = ferry_error_set(FERRY_EAUTH, "bundle: unsigned (no /signature)");
		goto out;
	}
	if (ferry_base64_decode(&raw, &rawlen, s->valuestring, strlen(s->valuestring)) ||
	    rawlen != SIG_ED25519_SIG_LEN) {
		rc = ferry_error_set(FERRY_EAUTH, "bundle: /signature is not 64 bytes of base64");
		goto out;
	}
	memcpy(sig, raw, SIG_ED25519_SIG_LEN);
	*payload = cJSON_DetachItemFromObjectCaseSensitive(env, "payload");
	if (!cJSON_IsObject(*payload)) {
		rc = ferry_error_set(FERRY_ECORRUPT, "bundle: /payload must be an object");
		cJSON_Delete(*payload);
		*payload = NULL;
	}
out:
	ferry_free(raw);
	cJSON_Delete(env);
	return rc;
}

ferry_err bundle_verify(struct bundle **out, const uint8_t *buf, size_t len,
			const uint8_t pub[SIG_ED25519_PUBLIC_LEN], const char *agent_id)
{
	struct bundle *b = NULL;
	struct ferry_buf m = { 0 };
	uint8_t sig[SIG_ED25519_SIG_LEN];
	cJSON *payload = NULL;
	ferry_err rc;

	*out = NULL;
	if (!buf || !pub)
		return ferry_error_set(FERRY_EINVAL, "bundle_verify: missing argument");
	rc = open_envelope(&payload, sig, buf, len);
	if (!rc)
		rc = signed_message(&m, payload);
	if (!rc)
		rc = sig_verify(pub, m.data, m.len, sig, "bundle");
	if (rc)
		goto out;
	b = ferry_calloc(1, sizeof(*b));
	if (!b) {
		rc = ferry_error_set(FERRY_ENOMEM, "bundle");
		goto out;
	}
	b->payload = payload;
	payload = NULL;
	rc = net_sha256(b->digest, m.data + strlen(bundle_context), m.len - strlen(bundle_context));
	if (!rc)
		rc = check_payload(b, agent_id);
	if (!rc) {
		*out = b;
		b = NULL;
	}
out:
	ferry_buf_free(&m);
	cJSON_Delete(payload);
	bundle_free(b);
	return rc;
}

ferry_err bundle_check_fresh(const struct bundle *b, const struct bundle_mark *last)
{
	if (b->sequence < last->sequence)
		return ferry_error_set(FERRY_EMISMATCH, "bundle: stale (sequence %llu is below the "
				       "last accepted %llu)", (unsigned long long)b->sequence,
				       (unsigned long long)last->sequence);
	if (b->sequence == last->sequence && memcmp(b->digest, last->digest, BUNDLE_DIGEST_LEN))
		return ferry_error_set(FERRY_EMISMATCH, "bundle: sequence %llu reused with a "
				       "different payload", (unsigned long long)b->sequence);
	return FERRY_OK;
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

ferry_err bundle_check_package(const struct bundle *b, const char *id, const uint8_t *data,
			       size_t len)
{
	const cJSON *e = bundle_package(b, id);
	uint8_t h[32];
	char hex[65];
	ferry_err rc;

	if (!e)
		return ferry_error_set(FERRY_ENOTFOUND, "bundle: no package \"%.64s\"", id);
	if ((double)len != cJSON_GetObjectItemCaseSensitive(e, "size")->valuedouble)
		return ferry_error_set(FERRY_EAUTH, "package %.64s: size %zu differs from the "
				       "bundle's", id, len);
	rc = net_sha256(h, data, len);
	if (rc)
		return rc;
	ferry_hex_encode(hex, h, 32);
	for (size_t i = 0; i < 64; i++) {
		char c = cJSON_GetObjectItemCaseSensitive(e, "sha256")->valuestring[i];
		if ((c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c) != hex[i])
			return ferry_error_set(FERRY_EAUTH, "package %.64s: SHA-256 differs from the "
					       "bundle's", id);
	}
	return FERRY_OK;
}

ferry_err bundle_sign(char **out, size_t *out_len, const cJSON *payload,
		      const uint8_t priv[SIG_ED25519_PRIVATE_LEN])
{
	struct ferry_buf m = { 0 }, env;
	uint8_t sig[SIG_ED25519_SIG_LEN];
	char *b64 = NULL;
	ferry_err rc;

	*out = NULL;
	ferry_buf_init(&env, BUNDLE_MAX);
	rc = signed_message(&m, payload);
	if (!rc)
		rc = sig_sign(sig, priv, m.data, m.len);
	if (!rc)
		rc = ferry_base64_encode(&b64, sig, sizeof(sig));
	if (!rc)
		rc = ferry_buf_printf(&env, "{\"ferry_bundle\":1,\"payload\":%s,\"signature\":\"%s\"}\n",
				      (const char *)m.data + strlen(bundle_context), b64);
	if (!rc)
		*out = (char *)ferry_buf_detach(&env, out_len);
	ferry_free(b64);
	ferry_buf_free(&m);
	ferry_buf_free(&env);
	return rc;
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	cJSON_Delete(b->payload);
	ferry_free(b);
}
