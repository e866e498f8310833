/*
 * `ferry seal`: sealed blobs (core/net/seal.h) for admins and the test
 * server, which has no X25519 in Python's standard library.
 *
 *   ferry seal keygen --out PRIVATE_KEY_FILE       prints the public key (base64)
 *   ferry seal box --to PUB --aad AGENT_ID --in FILE --out FILE
 *   ferry seal open --key PRIV --aad AGENT_ID --in FILE --out FILE
 *
 * --to/--key take a key file or the base64 key. The opened plaintext is
 * written owner-only and never printed. Exit codes: 0 ok; 2 refused (tag);
 * 3 malformed; 1 I/O; 64 usage.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_keys.h"
#include "net/seal.h"
#include "util/base64.h"

static int fail(ferry_err rc)
{
	fprintf(stderr, "ferry seal: %s\n", ferry_error_detail());
	if (rc == FERRY_EAUTH)
		return 2;
	return rc == FERRY_EIO || rc == FERRY_ENOTFOUND ? 1 : 3;
}

static int keygen(int argc, char **argv)
{
	const char *out = cli_opt(argc, argv, "--out");
	struct ferry_secret *priv = NULL;
	uint8_t pub[32];
	char *b64 = NULL;
	ferry_err rc;

	if (!out)
		return CLI_EXIT_USAGE;
	rc = seal_keypair(pub, &priv);
	if (!rc)
		rc = cli_key_write_private(out, priv->data);
	if (!rc)
		rc = ferry_base64_encode(&b64, pub, sizeof(pub));
	ferry_secret_free(priv);
	if (rc)
		return fail(rc);
	printf("%s\n", b64);
	ferry_free(b64);
	return 0;
}

static int box_or_open(int argc, char **argv, int open)
{
	const char *key = cli_opt(argc, argv, open ? "--key" : "--to");
	const char *aad = cli_opt(argc, argv, "--aad"), *in = cli_opt(argc, argv, "--in");
	const char *out = cli_opt(argc, argv, "--out");
	struct ferry_secret *k = NULL, *data = NULL, *pt = NULL;
	uint8_t *sealed = NULL;
	size_t slen = 0;
	ferry_err rc;

	if (!key || !aad || !in || !out)
		return CLI_EXIT_USAGE;
	rc = cli_key_read(&k, key);
	if (!rc)
		rc = cli_read_secret_file(&data, in, SEAL_MAX_PLAINTEXT + SEAL_OVERHEAD);
	if (!rc && open)
		rc = seal_open(&pt, k->data, aad, data->data, data->len);
	else if (!rc)
		rc = seal_box(&sealed, &slen, k->data, aad, data->data, data->len);
	if (!rc && open)
		rc = cli_write_private_file(out, pt->data, pt->len);
	else if (!rc)
		rc = cli_write_private_file(out, sealed, slen);
	ferry_free(sealed);
	ferry_secret_free(pt);
	ferry_secret_free(data);
	ferry_secret_free(k);
	return rc ? fail(rc) : 0;
}

int cmd_seal(int argc, char **argv)
{
	int rc = CLI_EXIT_USAGE;

	if (argc >= 2 && !strcmp(argv[1], "keygen"))
		rc = keygen(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "box"))
		rc = box_or_open(argc - 1, argv + 1, 0);
	else if (argc >= 2 && !strcmp(argv[1], "open"))
		rc = box_or_open(argc - 1, argv + 1, 1);
	if (rc == CLI_EXIT_USAGE)
		fprintf(stderr, "usage: ferry seal keygen --out PRIV\n"
				"       ferry seal box --to PUB --aad ID --in FILE --out FILE\n"
				"       ferry seal open --key PRIV --aad ID --in FILE --out FILE\n");
	return rc;
}
