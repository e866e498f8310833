/* Signed JSON documents: see signed.h for the envelope and its invariants. */
#include "net/signed.h"

#include <string.h>

#include "net/bundle.h"
#include "net/canon.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/mem.h"

/* context || canon(payload), the signed message. */
static ferry_err signed_message(struct ferry_buf *m, const struct signed_kind *kind,
				const cJSON *payload)
{
	ferry_err rc;

	ferry_buf_init(m, kind->max + strlen(kind->context));
	rc = ferry_buf_puts(m, kind->context);
	if (!rc)
		rc = canon_json(m, payload);
	if (rc)
		ferry_buf_free(m);
	return rc;
}

/* Envelope -> detached payload and decoded signature. */
static ferry_err open_envelope(cJSON **payload, uint8_t sig[SIG_ED25519_SIG_LEN],
			       const struct signed_kind *kind, const uint8_t *buf, size_t len)
{
	const char *what = kind->what;
	cJSON *env = NULL;
	const cJSON *v, *s;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	ferry_err rc = FERRY_OK;

	*payload = NULL;
	if (len > kind->max)
		return ferry_error_set(FERRY_ERANGE, "%s: %zu bytes is more than %zu", what, len,
				       kind->max);
	env = cJSON_ParseWithLength((const char *)buf, len);
	if (!cJSON_IsObject(env)) {
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not a JSON object", what);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(env, kind->member);
	if (!cJSON_IsNumber(v) || v->valuedouble != 1.0) {
		rc = ferry_error_set(FERRY_EUNSUPPORTED, "%s: /%s is not 1", what, kind->member);
		goto out;
	}
	s = cJSON_GetObjectItemCaseSensitive(env, "signature");
	if (!cJSON_IsString(s) || !*s->valuestring) {
		rc = ferry_error_set(FERRY_EAUTH, "%s: unsigned (no /signature)", what);
		goto out;
	}
	if (ferry_base64_decode(&raw, &rawlen, s->valuestring, strlen(s->valuestring)) ||
	    rawlen != SIG_ED25519_SIG_LEN) {
		rc = ferry_error_set(FERRY_EAUTH, "%s: /signature is not 64 bytes of base64", what);
		goto out;
	}
	memcpy(sig, raw, SIG_ED25519_SIG_LEN);
	*payload = cJSON_DetachItemFromObjectCaseSensitive(env, "payload");
	if (!cJSON_IsObject(*payload)) {
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: /payload must be an object", what);
		cJSON_Delete(*payload);
		*payload = NULL;
	}
out:
	ferry_free(raw);
	cJSON_Delete(env);
	return rc;
}

ferry_err signed_open(cJSON **payload, uint8_t digest[SIGNED_DIGEST_LEN],
		      const struct signed_kind *kind, const uint8_t *buf, size_t len,
		      const uint8_t pub[SIG_ED25519_PUBLIC_LEN])
{
	struct ferry_buf m = { 0 };
	uint8_t sig[SIG_ED25519_SIG_LEN];
	size_t ctx = strlen(kind->context);
	cJSON *p = NULL;
	ferry_err rc;

	*payload = NULL;
	if (!buf || !pub)
		return ferry_error_set(FERRY_EINVAL, "%s: missing argument", kind->what);
	rc = open_envelope(&p, sig, kind, buf, len);
	if (!rc)
		rc = signed_message(&m, kind, p);
	if (!rc)
		rc = sig_verify(pub, m.data, m.len, sig, kind->what);
	if (!rc)
		rc = net_sha256(digest, m.data + ctx, m.len - ctx);
	if (!rc) {
		*payload = p;
		p = NULL;
	}
	ferry_buf_free(&m);
	cJSON_Delete(p);
	return rc;
}

ferry_err signed_seal(char **out, size_t *out_len, const struct signed_kind *kind,
		      const cJSON *payload, const uint8_t priv[SIG_ED25519_PRIVATE_LEN])
{
	struct ferry_buf m = { 0 }, env;
	uint8_t sig[SIG_ED25519_SIG_LEN];
	char *b64 = NULL;
	ferry_err rc;

	*out = NULL;
	ferry_buf_init(&env, kind->max);
	rc = signed_message(&m, kind, payload);
	if (!rc)
		rc = sig_sign(sig, priv, m.data, m.len);
	if (!rc)
		rc = ferry_base64_encode(&b64, sig, sizeof(sig));
	if (!rc)
		rc = ferry_buf_printf(&env, "{\"%s\":1,\"payload\":%s,\"signature\":\"%s\"}\n",
				      kind->member, (const char *)m.data + strlen(kind->context), b64);
	if (!rc)
		*out = (char *)ferry_buf_detach(&env, out_len);
	ferry_free(b64);
	ferry_buf_free(&m);
	ferry_buf_free(&env);
	return rc;
}

ferry_err signed_check_fresh(const struct signed_kind *kind, uint64_t sequence,
			     const uint8_t digest[SIGNED_DIGEST_LEN],
			     const struct signed_mark *last)
{
	if (sequence < last->sequence)
		return ferry_error_set(FERRY_EMISMATCH, "%s: stale (sequence %llu is below the "
				       "last accepted %llu)", kind->what,
				       (unsigned long long)sequence,
				       (unsigned long long)last->sequence);
	if (sequence == last->sequence && memcmp(digest, last->digest, SIGNED_DIGEST_LEN))
		return ferry_error_set(FERRY_EMISMATCH, "%s: sequence %llu reused with a "
				       "different payload", kind->what, (unsigned long long)sequence);
	return FERRY_OK;
}

int signed_get_uint(const cJSON *o, const char *k, double max, uint64_t *v)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(n) || !(n->valuedouble >= 0 && n->valuedouble <= max) ||
	    (double)(uint64_t)n->valuedouble != n->valuedouble)
		return 0;
	*v = (uint64_t)n->valuedouble;
	return 1;
}

const char *signed_get_text(const cJSON *o, const char *k, size_t max)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, k);
	size_t n;

	if (!cJSON_IsString(s))
		return NULL;
	n = strlen(s->valuestring);
	if (n == 0 || n > max)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s->valuestring[i] < 0x20 || s->valuestring[i] == 0x7f)
			return NULL;
	}
	return s->valuestring;
}

ferry_err signed_only_known(const cJSON *o, const char *const *known, const char *what,
			    const char *where)
{
	for (const cJSON *m = o ? o->child : NULL; m; m = m->next) {
		size_t i = 0;

		while (known[i] && strcmp(known[i], m->string))
			i++;
		if (!known[i])
			return ferry_error_set(FERRY_ECORRUPT, "%s: %s/%.64s is not a known member",
					       what, where, m->string);
	}
	return FERRY_OK;
}
