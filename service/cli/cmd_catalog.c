/*
 * `ferry catalog` and `ferry assignment`: protocol v2's two signed
 * documents (docs/protocol.md, "Protocol v2").
 *
 *   ferry catalog sign --key ADMIN_PRIV PAYLOAD.json [--out F] [--now T]
 *   ferry catalog verify --key ADMIN_PUB CATALOG.json [--now T]
 *   ferry assignment sign --key SERVER_PRIV --catalog C --admin-key PUB PAYLOAD.json
 *                         [--out F] [--now T]
 *   ferry assignment verify --catalog C --admin-key PUB --agent ID ASSIGNMENT.json [--now T]
 *
 * Keys are key files or base64 (as `ferry bundle keygen` makes them). --now
 * is an RFC 3339 time (default: the clock), so checks are reproducible.
 * Exit codes as `ferry bundle`: 0 ok; 2 refused; 3 malformed; 1 I/O; 64 usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_keys.h"
#include "net/assignment.h"
#include "net/catalog.h"
#include "runbook/rfc3339.h"
#include "util/hex.h"

#define EXIT_REFUSED 2
#define EXIT_MALFORMED 3

static int fail(const char *cmd, ferry_err rc)
{
	fprintf(stderr, "ferry %s: %s\n", cmd, ferry_error_detail());
	if (rc == FERRY_EAUTH || rc == FERRY_EMISMATCH || rc == FERRY_ENOTFOUND)
		return EXIT_REFUSED;
	return rc == FERRY_EIO ? 1 : EXIT_MALFORMED;
}

static ferry_err now_of(int64_t *now, int argc, char **argv)
{
	const char *t = cli_opt(argc, argv, "--now");

	if (!t) {
		*now = (int64_t)time(NULL);
		return FERRY_OK;
	}
	return rfc3339_parse(now, t) ? ferry_error_wrap(FERRY_EINVAL, "--now: ") : FERRY_OK;
}

static ferry_err read_json(cJSON **out, const char *path, size_t max)
{
	char *text = NULL;
	size_t len = 0;
	ferry_err rc = rb_read_file(&text, &len, path, max);

	*out = NULL;
	if (!rc && !cJSON_IsObject(*out = cJSON_ParseWithLength(text, len)))
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not a JSON object", path);
	ferry_free(text);
	return rc;
}

/* Read and verify a catalog file with the admin's public key. */
static ferry_err load_catalog(struct catalog **out, const char *path, const char *admin_key,
			      int64_t now)
{
	struct ferry_secret *pub = NULL;
	char *text = NULL;
	size_t len = 0;
	ferry_err rc = cli_key_read(&pub, admin_key);

	if (!rc)
		rc = rb_read_file(&text, &len, path, CATALOG_MAX);
	if (!rc)
		rc = catalog_verify(out, (const uint8_t *)text, len, pub->data, now);
	ferry_free(text);
	ferry_secret_free(pub);
	return rc;
}

static int catalog_sign_cmd(int argc, char **argv)
{
	const char *key = cli_opt(argc, argv, "--key"), *in = cli_positional(argc, argv);
	struct ferry_secret *priv = NULL;
	cJSON *payload = NULL;
	char *env = NULL;
	size_t elen = 0;
	int64_t now = 0;
	ferry_err rc;

	if (!key || !in)
		return CLI_EXIT_USAGE;
	rc = now_of(&now, argc, argv);
	if (!rc)
		rc = cli_key_read(&priv, key);
	if (!rc)
		rc = read_json(&payload, in, CATALOG_MAX);
	if (!rc)
		rc = catalog_sign(&env, &elen, payload, priv->data, now);
	if (!rc)
		rc = cli_write_output(cli_opt(argc, argv, "--out"), env, elen);
	ferry_free(env);
	cJSON_Delete(payload);
	ferry_secret_free(priv);
	return rc ? fail("catalog", rc) : 0;
}

static int catalog_verify_cmd(int argc, char **argv)
{
	const char *key = cli_opt(argc, argv, "--key"), *in = cli_positional(argc, argv);
	struct catalog *c = NULL;
	char hex[65], akey[65];
	int64_t now = 0;
	ferry_err rc;

	if (!key || !in)
		return CLI_EXIT_USAGE;
	rc = now_of(&now, argc, argv);
	if (!rc)
		rc = load_catalog(&c, in, key, now);
	if (!rc) {
		ferry_hex_encode(hex, c->digest, sizeof(c->digest));
		ferry_hex_encode(akey, c->assignment_key, sizeof(c->assignment_key));
		printf("ok: catalog sequence %llu, payload sha256 %s, %zu runbooks, "
		       "assignment key %s\n", (unsigned long long)c->sequence, hex, c->n_runbooks,
		       akey);
	}
	catalog_free(c);
	return rc ? fail("catalog", rc) : 0;
}

static int assignment_sign_cmd(int argc, char **argv)
{
	const char *key = cli_opt(argc, argv, "--key"), *cat = cli_opt(argc, argv, "--catalog");
	const char *admin = cli_opt(argc, argv, "--admin-key"), *in = cli_positional(argc, argv);
	struct ferry_secret *priv = NULL;
	struct catalog *c = NULL;
	cJSON *payload = NULL;
	char *env = NULL;
	size_t elen = 0;
	int64_t now = 0;
	ferry_err rc;

	if (!key || !cat || !admin || !in)
		return CLI_EXIT_USAGE;
	rc = now_of(&now, argc, argv);
	if (!rc)
		rc = load_catalog(&c, cat, admin, now);
	if (!rc)
		rc = cli_key_read(&priv, key);
	if (!rc)
		rc = read_json(&payload, in, ASSIGNMENT_MAX);
	if (!rc)
		rc = assignment_sign(&env, &elen, payload, c, priv->data, now);
	if (!rc)
		rc = cli_write_output(cli_opt(argc, argv, "--out"), env, elen);
	ferry_free(env);
	cJSON_Delete(payload);
	ferry_secret_free(priv);
	catalog_free(c);
	return rc ? fail("assignment", rc) : 0;
}

static int assignment_verify_cmd(int argc, char **argv)
{
	const char *cat = cli_opt(argc, argv, "--catalog"), *admin = cli_opt(argc, argv, "--admin-key");
	const char *agent = cli_opt(argc, argv, "--agent"), *in = cli_positional(argc, argv);
	struct catalog *c = NULL;
	struct assignment *a = NULL;
	char *text = NULL, hex[65];
	size_t len = 0;
	int64_t now = 0;
	ferry_err rc;

	if (!cat || !admin || !agent || !in)
		return CLI_EXIT_USAGE;
	rc = now_of(&now, argc, argv);
	if (!rc)
		rc = load_catalog(&c, cat, admin, now);
	if (!rc)
		rc = rb_read_file(&text, &len, in, ASSIGNMENT_MAX);
	if (!rc)
		rc = assignment_verify(&a, (const uint8_t *)text, len, c, agent, now);
	if (!rc) {
		ferry_hex_encode(hex, a->digest, sizeof(a->digest));
		printf("ok: assignment sequence %llu for %s (%s), wave %s, %zu runbooks, "
		       "%zu identity-map rows, payload sha256 %s\n",
		       (unsigned long long)a->sequence, a->agent_id, a->device, a->batch->id,
		       a->batch->n_entries, a->n_idmap, hex);
	}
	assignment_free(a);
	catalog_free(c);
	ferry_free(text);
	return rc ? fail("assignment", rc) : 0;
}

int cmd_catalog(int argc, char **argv)
{
	int rc = CLI_EXIT_USAGE;

	if (argc >= 2 && !strcmp(argv[1], "sign"))
		rc = catalog_sign_cmd(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "verify"))
		rc = catalog_verify_cmd(argc - 1, argv + 1);
	if (rc == CLI_EXIT_USAGE)
		fprintf(stderr, "usage: ferry catalog sign --key ADMIN_PRIV PAYLOAD.json [--out F] "
				"[--now T]\n"
				"       ferry catalog verify --key ADMIN_PUB CATALOG.json [--now T]\n");
	return rc;
}

int cmd_assignment(int argc, char **argv)
{
	int rc = CLI_EXIT_USAGE;

	if (argc >= 2 && !strcmp(argv[1], "sign"))
		rc = assignment_sign_cmd(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "verify"))
		rc = assignment_verify_cmd(argc - 1, argv + 1);
	if (rc == CLI_EXIT_USAGE)
		fprintf(stderr, "usage: ferry assignment sign --key SERVER_PRIV --catalog C "
				"--admin-key PUB PAYLOAD.json [--out F] [--now T]\n"
				"       ferry assignment verify --catalog C --admin-key PUB --agent ID "
				"ASSIGNMENT.json [--now T]\n");
	return rc;
}
