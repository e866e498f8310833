/*
 * `ferry bundle`: make and check signed bundles (docs/net.md).
 *
 *   ferry bundle keygen --out PRIVATE_KEY_FILE      prints the public key (base64)
 *   ferry bundle sign --key PRIV PAYLOAD.json [--out BUNDLE.json]
 *   ferry bundle verify --key PUB BUNDLE.json [--dir BUNDLE_DIR] [--agent ID]
 *
 * --key takes a key file or the base64 key itself. verify prints the
 * sequence and payload digest. Exit codes: 0 ok; 2 refused (signature,
 * package digest, agent); 3 malformed; 1 I/O; 64 usage.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_keys.h"
#include "net/bundle.h"
#include "net/sig.h"
#include "runbook/runbook.h"
#include "util/base64.h"
#include "util/hex.h"

#include <openssl/rand.h>

#define EXIT_REFUSED 2
#define EXIT_MALFORMED 3

static int fail(ferry_err rc)
{
	fprintf(stderr, "ferry bundle: %s\n", ferry_error_detail());
	if (rc == FERRY_EAUTH || rc == FERRY_EMISMATCH || rc == FERRY_ENOTFOUND)
		return EXIT_REFUSED;
	return rc == FERRY_EIO ? 1 : EXIT_MALFORMED;
}

static int keygen(int argc, char **argv)
{
	const char *out = cli_opt(argc, argv, "--out");
	uint8_t priv[32], pub[32];
	char *b64 = NULL;
	ferry_err rc = FERRY_OK;

	if (!out)
		return CLI_EXIT_USAGE;
	if (RAND_bytes(priv, sizeof(priv)) != 1)
		rc = ferry_error_set(FERRY_ESYSTEM, "RAND_bytes failed");
	if (!rc)
		rc = sig_public_from_private(pub, priv);
	if (!rc)
		rc = cli_key_write_private(out, priv);
	if (!rc)
		rc = ferry_base64_encode(&b64, pub, sizeof(pub));
	ferry_wipe(priv, sizeof(priv));
	if (rc)
		return fail(rc);
	printf("%s\n", b64);
	ferry_free(b64);
	return 0;
}

static int sign(int argc, char **argv)
{
	const char *key = cli_opt(argc, argv, "--key"), *out = cli_opt(argc, argv, "--out");
	const char *in = cli_positional(argc, argv);
	struct ferry_secret *priv = NULL;
	char *text = NULL, *env = NULL;
	size_t len = 0, elen = 0;
	cJSON *payload = NULL;
	ferry_err rc;

	if (!key || !in)
		return CLI_EXIT_USAGE;
	rc = cli_key_read(&priv, key);
	if (!rc)
		rc = rb_read_file(&text, &len, in, BUNDLE_MAX);
	if (!rc && !cJSON_IsObject(payload = cJSON_ParseWithLength(text, len)))
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: not a JSON object", in);
	if (!rc)
		rc = bundle_sign(&env, &elen, payload, priv->data);
	if (!rc)
		rc = cli_write_output(out, env, elen);
	ferry_free(env);
	cJSON_Delete(payload);
	ferry_free(text);
	ferry_secret_free(priv);
	return rc ? fail(rc) : 0;
}

static ferry_err check_dir(const struct bundle *b, const char *dir)
{
	const cJSON *pk = cJSON_GetObjectItemCaseSensitive(b->payload, "packages");
	ferry_err rc = FERRY_OK;

	for (const cJSON *e = pk->child; !rc && e; e = e->next) {
		const char *id = cJSON_GetObjectItemCaseSensitive(e, "id")->valuestring;
		char path[4200], *data = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/packages/%s", dir, id);
		rc = rb_read_file(&data, &len, path, BUNDLE_PACKAGE_MAX);
		if (rc)
			rc = ferry_error_set(FERRY_ENOTFOUND, "package %s: %s", id,
					     ferry_error_detail());
		else
			rc = bundle_check_package(b, id, (const uint8_t *)data, len);
		ferry_free(data);
	}
	return rc;
}

static int verify(int argc, char **argv)
{
	const char *key = cli_opt(argc, argv, "--key"), *dir = cli_opt(argc, argv, "--dir");
	const char *in = cli_positional(argc, argv);
	struct ferry_secret *pub = NULL;
	struct bundle *b = NULL;
	char *text = NULL, hex[65];
	size_t len = 0;
	ferry_err rc;

	if (!key || !in)
		return CLI_EXIT_USAGE;
	rc = cli_key_read(&pub, key);
	if (!rc)
		rc = rb_read_file(&text, &len, in, BUNDLE_MAX);
	if (!rc)
		rc = bundle_verify(&b, (const uint8_t *)text, len, pub->data,
				   cli_opt(argc, argv, "--agent"));
	if (!rc && dir)
		rc = check_dir(b, dir);
	if (!rc) {
		ferry_hex_encode(hex, b->digest, sizeof(b->digest));
		printf("ok: sequence %llu, payload sha256 %s\n", (unsigned long long)b->sequence,
		       hex);
	}
	bundle_free(b);
	ferry_free(text);
	ferry_secret_free(pub);
	return rc ? fail(rc) : 0;
}

int cmd_bundle(int argc, char **argv)
{
	int rc = CLI_EXIT_USAGE;

	if (argc >= 2 && !strcmp(argv[1], "keygen"))
		rc = keygen(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "sign"))
		rc = sign(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "verify"))
		rc = verify(argc - 1, argv + 1);
	if (rc == CLI_EXIT_USAGE)
		fprintf(stderr, "usage: ferry bundle keygen --out PRIV\n"
				"       ferry bundle sign --key PRIV PAYLOAD.json [--out FILE]\n"
				"       ferry bundle verify --key PUB BUNDLE.json [--dir DIR] "
				"[--agent ID]\n");
	return rc;
}
