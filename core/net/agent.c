/* Agent state, enrolment, polling and the event outbox: see agent.h. */
#include "net/agent.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "net/agent_int.h"
#include "net/append.h"
#include "net/odj_dir.h"
#include "net/retry.h"
#include "net/signed.h"
#include "runbook/runbook.h"
#include "util/base64.h"
#include "util/hex.h"

#define STATE_MAX (64u * 1024u)

static void copy_str(char *dst, size_t cap, const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	dst[0] = '\0';
	if (cJSON_IsString(v) && strlen(v->valuestring) < cap)
		memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
}

/*
 * Whole number k of o in [0, max] into *v; absent = 0. A value out of range
 * or with a fraction is refused rather than converted: converting a double
 * past the target type's range is undefined behaviour, and a state file or a
 * reply that says 1e30 is not to be trusted anyway.
 */
static ferry_err get_whole(const cJSON *o, const char *where, const char *k, double max,
			   uint64_t *v)
{
	*v = 0;
	if (!cJSON_GetObjectItemCaseSensitive(o, k))
		return FERRY_OK;
	if (!signed_get_uint(o, k, max, v))
		return ferry_error_set(FERRY_ECORRUPT, "%s: /%s is not a whole number from 0 to %.0f",
				       where, k, max);
	return FERRY_OK;
}

/* A mark (sequence, hex digest) of agent.json; absent = none. */
static ferry_err get_mark(const cJSON *j, const char *where, const char *seq_key,
			  const char *digest_key, uint64_t *seq, uint8_t digest[32])
{
	char hex[65];
	size_t got = 0;
	ferry_err rc = get_whole(j, where, seq_key, 9007199254740991.0, seq);

	copy_str(hex, sizeof(hex), j, digest_key);
	if (!rc && *seq && (ferry_hex_decode(digest, 32, &got, hex, strlen(hex)) || got != 32))
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: /%s is not 32 bytes of hex", where,
				     digest_key);
	return rc;
}

static bool put_mark(cJSON *j, const char *seq_key, const char *digest_key, uint64_t seq,
		     const uint8_t digest[32])
{
	char hex[65];

	ferry_hex_encode(hex, digest, 32);
	return cJSON_AddNumberToObject(j, seq_key, (double)seq) &&
	       cJSON_AddStringToObject(j, digest_key, hex);
}

ferry_err net_random_hex(char *out, size_t n)
{
	uint8_t raw[32];

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "RAND_bytes failed");
	ferry_hex_encode(out, raw, n);
	return FERRY_OK;
}

/* dir/name into out; FERRY_ERANGE when it does not fit. */
static ferry_err path_of(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap)
		return ferry_error_set(FERRY_ERANGE, "state path too long");
	return FERRY_OK;
}

ferry_err net_agent_write_tmp(char *tmp, size_t cap, const char *path, const void *data,
			      size_t len)
{
	char rnd[33];
	ferry_err rc = net_random_hex(rnd, 16);
	int n;

	if (rc)
		return rc;
	n = snprintf(tmp, cap, "%s.%s.tmp", path, rnd);
	if (n < 0 || (size_t)n >= cap)
		return ferry_error_set(FERRY_ERANGE, "state path too long");
	/* A random name, created exclusively without following a link: nothing
	 * planted beside the real file is ever written through (net/append.h). */
	return net_file_write_new(tmp, data, len);
}

ferry_err net_agent_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[NET_PATH_MAX + 32], tmp[NET_PATH_MAX + 80];
	ferry_err rc = path_of(path, sizeof(path), dir, name);

	if (rc || (rc = net_agent_write_tmp(tmp, sizeof(tmp), path, data, len)))
		return rc;
	/* POSIX rename replaces atomically; Windows' CRT refuses an existing
	 * target, so only then is the old file removed first. */
	if (rename(tmp, path) && (remove(path), rename(tmp, path))) {
		remove(tmp);
		return ferry_error_set(FERRY_EIO, "%s: rename failed", path);
	}
	return FERRY_OK;
}

void net_agent_bind(struct net_agent *a)
{
	long ct = a->cfg.connect_timeout_ms, to = a->cfg.timeout_ms;
	size_t mx = a->cfg.max_reply;

	net_config_defaults(&a->cfg);
	if (ct)
		a->cfg.connect_timeout_ms = ct;
	if (to)
		a->cfg.timeout_ms = to;
	if (mx)
		a->cfg.max_reply = mx;
	a->cfg.server = a->server;
	a->cfg.pin = a->pin[0] ? a->pin : NULL;
	a->cfg.ca_file = a->ca_file[0] ? a->ca_file : NULL;
}

ferry_err net_agent_open(struct net_agent *a, const char *dir, const struct net_keystore *ks,
			 const uint8_t signing_pub[SIG_ED25519_PUBLIC_LEN])
{
	char path[NET_PATH_MAX + 32], *text = NULL;
	size_t len = 0;
	uint64_t num = 0;
	cJSON *j = NULL;
	ferry_err rc;

	memset(a, 0, sizeof(*a));
	if (strlen(dir) >= sizeof(a->dir))
		return ferry_error_set(FERRY_ERANGE, "state directory path too long");
	memcpy(a->dir, dir, strlen(dir) + 1);
	a->ks = ks;
	if (signing_pub)
		memcpy(a->signing_pub, signing_pub, SIG_ED25519_PUBLIC_LEN);
	rc = path_of(path, sizeof(path), dir, "agent.json");
	if (rc)
		return rc;
	if (rb_read_file(&text, &len, path, STATE_MAX)) {
		ferry_error_clear();
		net_agent_bind(a);
		return FERRY_OK; /* not enrolled yet */
	}
	j = cJSON_ParseWithLength(text, len);
	ferry_free(text);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return ferry_error_set(FERRY_ECORRUPT, "%s: not a JSON object", path);
	}
	copy_str(a->id, sizeof(a->id), j, "id");
	copy_str(a->machine, sizeof(a->machine), j, "machine");
	copy_str(a->domain, sizeof(a->domain), j, "domain");
	copy_str(a->server, sizeof(a->server), j, "server");
	copy_str(a->pin, sizeof(a->pin), j, "pin");
	copy_str(a->ca_file, sizeof(a->ca_file), j, "ca_file");
	copy_str(a->etag, sizeof(a->etag), j, "etag");
	copy_str(a->etag_v2, sizeof(a->etag_v2), j, "etag_v2");
	rc = get_mark(j, path, "sequence", "digest", &a->mark.sequence, a->mark.digest);
	if (!rc)
		rc = get_mark(j, path, "catalog_sequence", "catalog_digest", &a->cat_mark.sequence,
			      a->cat_mark.digest);
	if (!rc)
		rc = get_mark(j, path, "assignment_sequence", "assignment_digest",
			      &a->asg_mark.sequence, a->asg_mark.digest);
	if (!rc)
		rc = get_whole(j, path, "poll_interval_s", UINT32_MAX, &num);
	a->poll_s = (uint32_t)num;
	if (!rc)
		rc = get_whole(j, path, "failures", UINT32_MAX, &num);
	a->failures = (unsigned)num;
	if (!rc)
		rc = get_whole(j, path, "last_ok", 9007199254740991.0, &num);
	a->last_ok = (int64_t)num;
	if (!rc)
		rc = get_whole(j, path, "status_seq", 9007199254740991.0, &a->status_seq);
	cJSON_Delete(j);
	net_agent_bind(a);
	return rc;
}

ferry_err net_agent_save(struct net_agent *a)
{
	cJSON *j = cJSON_CreateObject();
	char *text = NULL;
	ferry_err rc = FERRY_OK;

	if (!j || !cJSON_AddStringToObject(j, "id", a->id) ||
	    !cJSON_AddStringToObject(j, "machine", a->machine) ||
	    !cJSON_AddStringToObject(j, "domain", a->domain) ||
	    !cJSON_AddStringToObject(j, "server", a->server) ||
	    !cJSON_AddStringToObject(j, "pin", a->pin) ||
	    !cJSON_AddStringToObject(j, "ca_file", a->ca_file) ||
	    !cJSON_AddStringToObject(j, "etag", a->etag) ||
	    !cJSON_AddStringToObject(j, "etag_v2", a->etag_v2) ||
	    !put_mark(j, "sequence", "digest", a->mark.sequence, a->mark.digest) ||
	    !put_mark(j, "catalog_sequence", "catalog_digest", a->cat_mark.sequence,
		      a->cat_mark.digest) ||
	    !put_mark(j, "assignment_sequence", "assignment_digest", a->asg_mark.sequence,
		      a->asg_mark.digest) ||
	    !cJSON_AddNumberToObject(j, "poll_interval_s", a->poll_s) ||
	    !cJSON_AddNumberToObject(j, "failures", a->failures) ||
	    !cJSON_AddNumberToObject(j, "last_ok", (double)a->last_ok) ||
	    !cJSON_AddNumberToObject(j, "status_seq", (double)a->status_seq) ||
	    !(text = cJSON_Print(j)))
		rc = ferry_error_set(FERRY_ENOMEM, "agent.json");
	if (!rc)
		rc = net_agent_write_file(a->dir, "agent.json", text, strlen(text));
	cJSON_free(text);
	cJSON_Delete(j);
	return rc;
}

/* The agent's X25519 key from the key store, made on first use. */
static ferry_err agent_key(struct net_agent *a, struct ferry_secret **priv, uint8_t pub[32])
{
	ferry_err rc = a->ks->load(a->ks->ctx, "agent.key", priv);

	if (rc == FERRY_ENOTFOUND) {
		rc = seal_keypair(pub, priv);
		if (!rc)
			rc = a->ks->save(a->ks->ctx, "agent.key", (*priv)->data, (*priv)->len);
		return rc;
	}
	if (!rc && (*priv)->len != SEAL_KEY_LEN)
		rc = ferry_error_set(FERRY_ECORRUPT, "agent.key: not %u bytes", SEAL_KEY_LEN);
	if (!rc)
		rc = seal_public_from_private(pub, (*priv)->data);
	return rc;
}

ferry_err net_agent_public_key(struct net_agent *a, uint8_t pub[SEAL_KEY_LEN])
{
	struct ferry_secret *priv = NULL;
	ferry_err rc = agent_key(a, &priv, pub);

	ferry_secret_free(priv);
	return rc;
}

static ferry_err enroll_body(char **out, const struct net_agent *a, const char *os,
			     const uint8_t pub[32], const struct ferry_secret *enroll_key)
{
	cJSON *j = cJSON_CreateObject();
	char *b64 = NULL;
	ferry_err rc = ferry_base64_encode(&b64, pub, 32);

	*out = NULL;
	if (!rc && (!j || !cJSON_AddStringToObject(j, "machine", a->machine) ||
		    !cJSON_AddStringToObject(j, "domain", a->domain) ||
		    !cJSON_AddStringToObject(j, "os", os ? os : "") ||
		    !cJSON_AddStringToObject(j, "public_key", b64)))
		rc = ferry_error_set(FERRY_ENOMEM, "enroll request");
	if (!rc && enroll_key) {
		cJSON *k = cJSON_CreateString("");
		char *text = cJSON_malloc(enroll_key->len + 1);

		/* the key's text: a copy inside the tree, wiped below with the body */
		if (!k || !text || !cJSON_AddItemToObject(j, "enroll_key", k)) {
			cJSON_Delete(k);
			rc = ferry_error_set(FERRY_ENOMEM, "enroll request");
		} else {
			memcpy(text, enroll_key->data, enroll_key->len);
			text[enroll_key->len] = '\0';
			cJSON_free(k->valuestring);
			k->valuestring = text; /* cJSON's allocator: freed by cJSON_Delete */
		}
		if (rc)
			cJSON_free(text);
	}
	if (!rc && !(*out = cJSON_PrintUnformatted(j)))
		rc = ferry_error_set(FERRY_ENOMEM, "enroll request");
	if (enroll_key) {
		cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "enroll_key");

		if (cJSON_IsString(k))
			ferry_wipe(k->valuestring, strlen(k->valuestring));
	}
	ferry_free(b64);
	cJSON_Delete(j);
	return rc;
}

ferry_err net_agent_enrolled(struct net_agent *a, const uint8_t *body, size_t len)
{
	cJSON *j = cJSON_ParseWithLength((const char *)body, len);
	cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "token");
	ferry_err rc = FERRY_OK;

	copy_str(a->id, sizeof(a->id), j, "agent_id");
	if (!a->id[0] || !cJSON_IsString(tok) || !*tok->valuestring) {
		rc = ferry_error_set(FERRY_ECORRUPT, "enroll: reply lacks agent_id or token");
		a->id[0] = '\0';
	} else {
		uint64_t poll = 0;

		rc = get_whole(j, "enroll reply", "poll_interval_s", UINT32_MAX, &poll);
		a->poll_s = (uint32_t)poll;
		if (!rc)
			rc = a->ks->save(a->ks->ctx, "agent.token", (const uint8_t *)tok->valuestring,
					 strlen(tok->valuestring));
	}
	if (cJSON_IsString(tok))
		ferry_wipe(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(j);
	if (!rc) {
		/* The anti-replay marks stay: a re-enrolled agent still refuses
		 * every bundle, catalog or assignment older than the last one it
		 * accepted, and stays on v2 once it accepted a catalog. */
		a->etag[0] = '\0';
		a->etag_v2[0] = '\0';
		a->last_ok = (int64_t)time(NULL);
		rc = net_agent_save(a);
	}
	return rc;
}

ferry_err net_agent_enroll(struct net_agent *a, const char *os)
{
	return net_agent_enroll_key(a, os, NULL);
}

ferry_err net_agent_enroll_key(struct net_agent *a, const char *os,
			       const struct ferry_secret *enroll_key)
{
	struct ferry_secret *priv = NULL;
	struct net_reply r = { 0 };
	uint8_t pub[32];
	char *body = NULL;
	ferry_err rc;

	rc = agent_key(a, &priv, pub);
	if (!rc)
		rc = enroll_body(&body, a, os, pub, enroll_key);
	if (!rc)
		rc = net_http(&r, &a->cfg, "POST", "/v1/agents/enroll", NULL, body, strlen(body),
			      NULL);
	if (!rc && r.status == 202)
		rc = ferry_error_set(FERRY_EBUSY, "enroll: held for an administrator's approval "
				     "(HTTP 202); enrol again after the approval");
	else if (!rc && r.status != 200 && r.status != 201)
		rc = ferry_error_set(FERRY_EPERM, "enroll: server answered HTTP %ld", r.status);
	if (!rc)
		rc = net_agent_enrolled(a, r.body.data, r.body.len);
	if (body)
		ferry_wipe(body, strlen(body));
	cJSON_free(body);
	net_reply_free(&r);
	ferry_secret_free(priv);
	return rc;
}
