/* The v2 assignment: see assignment.h for the payload and its invariants. */
#include "net/assignment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/bundle.h"
#include "runbook/rfc3339.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/utf.h"

static const struct signed_kind assignment_kind = {
	.member = "ferry_assignment", .context = "ferry-assignment/1\n", .what = "assignment",
	.max = ASSIGNMENT_MAX,
};

static ferry_err get_time(const cJSON *p, const char *k, int64_t *t)
{
	const char *s = signed_get_text(p, k, 64);

	if (!s || rfc3339_parse(t, s))
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /%s must be an RFC 3339 time", k);
	return FERRY_OK;
}

ferry_err assignment_idmap_check(const cJSON *rows, const struct catalog *cat)
{
	struct idmap_entry *v = NULL;
	size_t n = 0;
	ferry_err rc = idmap_rows_read(&v, &n, rows, cat, "assignment");

	ferry_free(v);
	return rc;
}

/* /batch: a batch document for this one device over the catalog's runbooks. */
static ferry_err read_batch(struct assignment *a, const cJSON *bj, const struct catalog *cat)
{
	struct rb_issues iss = { 0 };
	const char **files = NULL;
	char *text = NULL;
	ferry_err rc;

	if (!cJSON_IsObject(bj))
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /batch must be a batch object");
	if (cJSON_GetObjectItemCaseSensitive(bj, "devices_csv"))
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /batch/devices_csv: an "
				       "assignment names its one device inline");
	text = cJSON_PrintUnformatted(bj);
	files = ferry_calloc(cat->n_runbooks ? cat->n_runbooks : 1, sizeof(*files));
	if (!text || !files) {
		rc = ferry_error_set(FERRY_ENOMEM, "assignment: batch");
		goto out;
	}
	for (size_t i = 0; i < cat->n_runbooks; i++)
		files[i] = "catalog";
	rc = batch_parse(&a->batch, &iss, "/batch", text, strlen(text), NULL, false);
	if (!rc)
		rc = rb_check_refs(&iss, a->batch, "/batch",
				   (const struct runbook *const *)cat->runbooks, files,
				   cat->n_runbooks);
	if (rc == FERRY_ECORRUPT && iss.n) {
		/* A runbook the catalog lacks is the hostile case; name it as such. */
		rc = ferry_error_set(strstr(iss.v[0].message, "unknown runbook") ? FERRY_EMISMATCH
										 : FERRY_ECORRUPT,
				     "assignment: %s%s: %s", iss.v[0].file, iss.v[0].pointer,
				     iss.v[0].message);
		goto out;
	}
	if (!rc && (a->batch->devices.n != 1 ||
		    !ferry_ascii_ieq(a->batch->devices.v[0], a->device)))
		rc = ferry_error_set(FERRY_EMISMATCH, "assignment: /batch/devices must be exactly "
				     "[\"%s\"]", a->device);
out:
	rb_issues_clear(&iss);
	cJSON_free(text);
	ferry_free(files);
	return rc;
}

/* /target and /packages: only what the catalog allows. */
static ferry_err read_target_packages(struct assignment *a, const struct catalog *cat)
{
	static const char *const tkeys[] = { "dns_domain", "ou", NULL };
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(a->payload, "target");
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(a->payload, "packages");
	ferry_err rc;
	size_t i = 0;

	if (t) {
		if (!cJSON_IsObject(t) || signed_only_known(t, tkeys, "assignment", "/target") ||
		    !(a->target_domain = signed_get_text(t, "dns_domain", 253)) ||
		    (cJSON_GetObjectItemCaseSensitive(t, "ou") &&
		     !(a->target_ou = signed_get_text(t, "ou", CATALOG_DN_MAX))))
			return ferry_error_set(FERRY_ECORRUPT, "assignment: /target must be "
					       "{\"dns_domain\", \"ou\"}");
		if (catalog_check_target(cat, a->target_domain, a->target_ou))
			return ferry_error_wrap(FERRY_EMISMATCH, "assignment: /target: ");
	}
	if (!pk)
		return FERRY_OK;
	if ((rc = bundle_packages_check(pk, "assignment")))
		return rc;
	for (const cJSON *e = pk->child; e; e = e->next, i++) {
		const char *id = cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring;
		const cJSON *c = catalog_package(cat, id);

		if (!c || !ferry_ascii_ieq(cJSON_GetObjectItemCaseSensitive(c, "sha256")->valuestring,
			       cJSON_GetObjectItemCaseSensitive(e, "sha256")->valuestring) ||
		    cJSON_GetObjectItemCaseSensitive(c, "size")->valuedouble !=
			    cJSON_GetObjectItemCaseSensitive(e, "size")->valuedouble)
			return ferry_error_set(FERRY_EMISMATCH, "assignment: /packages/%zu (%s) is "
					       "not in the catalog with that digest and size", i, id);
	}
	return FERRY_OK;
}

static ferry_err check_header(struct assignment *a, const struct catalog *cat,
			      const char *agent_id, int64_t now)
{
	static const char *const keys[] = { "sequence", "issued", "not_after", "catalog_sha256",
					     "agent_id", "device", "batch", "target", "packages",
					     "identity_map", "poll_interval_s", NULL };
	const cJSON *p = a->payload;
	const char *cat_hex = signed_get_text(p, "catalog_sha256", 64);
	uint8_t cat_digest[SIGNED_DIGEST_LEN];
	uint64_t poll = 0;
	size_t got = 0;
	ferry_err rc = signed_only_known(p, keys, "assignment", "");

	if (rc)
		return rc;
	if (!signed_get_uint(p, "sequence", 9007199254740991.0, &a->sequence) || a->sequence < 1)
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /sequence must be an integer >= 1");
	if ((rc = get_time(p, "issued", &a->issued)) || (rc = get_time(p, "not_after", &a->not_after)))
		return rc;
	if (a->not_after <= a->issued)
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /not_after is not after /issued");
	if (!cat_hex || strlen(cat_hex) != 64 ||
	    ferry_hex_decode(cat_digest, sizeof(cat_digest), &got, cat_hex, 64) || got != 32)
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /catalog_sha256 must be 64 hex "
				       "digits");
	if (memcmp(cat_digest, cat->digest, SIGNED_DIGEST_LEN))
		return ferry_error_set(FERRY_EMISMATCH, "assignment: made for another catalog "
				       "(catalog_sha256 differs from the accepted catalog's)");
	a->agent_id = signed_get_text(p, "agent_id", 128);
	if (!a->agent_id)
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /agent_id missing");
	if (agent_id && strcmp(a->agent_id, agent_id))
		return ferry_error_set(FERRY_EMISMATCH, "assignment: addressed to another agent");
	a->device = signed_get_text(p, "device", 15);
	if (!a->device || rb_check_computer_name(a->device))
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /device must be a computer name "
				       "(1-15 letters, digits, '-')");
	if (cJSON_GetObjectItemCaseSensitive(p, "poll_interval_s") &&
	    (!signed_get_uint(p, "poll_interval_s", 86400, &poll) || poll < 60))
		return ferry_error_set(FERRY_ECORRUPT, "assignment: /poll_interval_s must be "
				       "60..86400");
	a->poll_interval_s = (uint32_t)poll;
	if (now >= a->not_after)
		return ferry_error_set(FERRY_EMISMATCH, "assignment: expired (not_after %s)",
				       signed_get_text(p, "not_after", 64));
	if (a->not_after > cat->not_after)
		return ferry_error_set(FERRY_EMISMATCH, "assignment: /not_after is later than the "
				       "catalog's; the server cannot extend what the admin signed");
	if (now >= cat->not_after)
		return ferry_error_set(FERRY_EMISMATCH, "assignment: its catalog has expired");
	return FERRY_OK;
}

static ferry_err adopt(struct assignment **out, cJSON *payload, const uint8_t *digest,
		       const struct catalog *cat, const char *agent_id, int64_t now)
{
	struct assignment *a = ferry_calloc(1, sizeof(*a));
	ferry_err rc;

	*out = NULL;
	if (!a) {
		cJSON_Delete(payload);
		return ferry_error_set(FERRY_ENOMEM, "assignment");
	}
	a->payload = payload;
	if (digest)
		memcpy(a->digest, digest, SIGNED_DIGEST_LEN);
	rc = check_header(a, cat, agent_id, now);
	if (!rc)
		rc = read_batch(a, cJSON_GetObjectItemCaseSensitive(payload, "batch"), cat);
	if (!rc)
		rc = read_target_packages(a, cat);
	if (!rc)
		rc = idmap_rows_read(&a->idmap, &a->n_idmap,
				     cJSON_GetObjectItemCaseSensitive(payload, "identity_map"), cat,
				     "assignment");
	if (rc)
		assignment_free(a);
	else
		*out = a;
	return rc;
}

ferry_err assignment_verify(struct assignment **out, const uint8_t *buf, size_t len,
			    const struct catalog *cat, const char *agent_id, int64_t now)
{
	uint8_t digest[SIGNED_DIGEST_LEN];
	cJSON *payload = NULL;
	ferry_err rc;

	*out = NULL;
	if (!cat || !agent_id)
		return ferry_error_set(FERRY_EINVAL, "assignment_verify: missing argument");
	rc = signed_open(&payload, digest, &assignment_kind, buf, len, cat->assignment_key);
	return rc ? rc : adopt(out, payload, digest, cat, agent_id, now);
}

ferry_err assignment_sign(char **out, size_t *out_len, const cJSON *payload,
			  const struct catalog *cat,
			  const uint8_t server_priv[SIG_ED25519_PRIVATE_LEN], int64_t now)
{
	uint8_t pub[SIG_ED25519_PUBLIC_LEN];
	struct assignment *a = NULL;
	cJSON *copy = NULL;
	ferry_err rc;

	*out = NULL;
	if (!payload || !cat || !server_priv)
		return ferry_error_set(FERRY_EINVAL, "assignment_sign: missing argument");
	rc = sig_public_from_private(pub, server_priv);
	if (rc)
		return rc;
	if (memcmp(pub, cat->assignment_key, SIG_ED25519_PUBLIC_LEN))
		return ferry_error_set(FERRY_EAUTH, "assignment_sign: this key is not the "
				       "catalog's assignment_key; agents would refuse it");
	if (!(copy = cJSON_Duplicate(payload, 1)))
		return ferry_error_set(FERRY_ENOMEM, "assignment");
	rc = adopt(&a, copy, NULL, cat, NULL, now);
	if (!rc)
		rc = signed_seal(out, out_len, &assignment_kind, payload, server_priv);
	assignment_free(a);
	return rc;
}

ferry_err assignment_check_fresh(const struct assignment *a, const struct signed_mark *last)
{
	return signed_check_fresh(&assignment_kind, a->sequence, a->digest, last);
}

void assignment_mark_of(struct signed_mark *m, const struct assignment *a)
{
	m->sequence = a->sequence;
	memcpy(m->digest, a->digest, SIGNED_DIGEST_LEN);
}

void assignment_free(struct assignment *a)
{
	if (!a)
		return;
	batch_free(a->batch);
	ferry_free(a->idmap);
	cJSON_Delete(a->payload);
	ferry_free(a);
}
