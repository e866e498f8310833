/*
 * The admin side of command packages (`ferry package keygen|sign`): the
 * canonical manifest bytes, the signature file's text and key generation.
 * The agent itself never signs. The format is drawn in package.c.
 */
#include "net/package.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "net/sig.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/mem.h"

static cJSON *manifest_json(const struct package *p)
{
	cJSON *root = cJSON_CreateObject(), *files = NULL;
	char hex[65];

	if (!root || !cJSON_AddNumberToObject(root, "format", PACKAGE_FORMAT) ||
	    !cJSON_AddStringToObject(root, "id", p->id) ||
	    !cJSON_AddStringToObject(root, "command", p->command) ||
	    !cJSON_AddNumberToObject(root, "timeout_seconds", p->timeout_seconds))
		goto fail;
	files = cJSON_AddArrayToObject(root, "files");
	if (!files)
		goto fail;
	for (size_t i = 0; i < p->nfiles; i++) {
		cJSON *f = cJSON_CreateObject();
		if (!f)
			goto fail;
		cJSON_AddItemToArray(files, f);
		ferry_hex_encode(hex, p->files[i].sha256, 32);
		if (!cJSON_AddStringToObject(f, "path", p->files[i].path) ||
		    !cJSON_AddStringToObject(f, "sha256", hex))
			goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

ferry_err package_manifest_write(struct ferry_buf *out, const struct package *p)
{
	struct package *check = NULL;
	cJSON *root;
	char *text;
	ferry_err rc;

	if (!out || !p || !p->id || !p->command || (p->nfiles && !p->files))
		return ferry_error_set(FERRY_EINVAL, "package_manifest_write: missing argument");
	root = manifest_json(p);
	if (!root)
		return ferry_error_set(FERRY_ENOMEM, "package manifest: building JSON");
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return ferry_error_set(FERRY_ENOMEM, "package manifest: printing JSON");
	/* What we sign must be what the agent accepts: run it through the parser. */
	rc = package_manifest_parse(&check, (const uint8_t *)text, strlen(text));
	if (rc)
		rc = ferry_error_wrap(FERRY_EINVAL, "refusing to write a manifest the agent would refuse: ");
	if (rc == 0)
		rc = ferry_buf_puts(out, text);
	if (rc == 0)
		rc = ferry_buf_puts(out, "\n");
	package_free(check);
	cJSON_free(text);
	return rc;
}

ferry_err package_sig_encode(char **out, const uint8_t sig[64])
{
	char *b64 = NULL;
	size_t n;
	ferry_err rc = ferry_base64_encode(&b64, sig, SIG_ED25519_SIG_LEN);

	*out = NULL;
	if (rc)
		return rc;
	n = strlen(b64);
	*out = ferry_malloc(n + 2);
	if (!*out) {
		ferry_free(b64);
		return ferry_error_set(FERRY_ENOMEM, "manifest.sig text");
	}
	memcpy(*out, b64, n);
	(*out)[n] = '\n';
	(*out)[n + 1] = '\0';
	ferry_free(b64);
	return 0;
}

ferry_err package_manifest_sign(uint8_t sig[64], const uint8_t priv[32], const uint8_t *manifest,
				size_t mlen)
{
	struct ferry_buf m;
	ferry_err rc;

	ferry_buf_init(&m, PACKAGE_MANIFEST_MAX + sizeof(PACKAGE_SIG_CONTEXT));
	rc = package_signed_message(&m, manifest, mlen);
	if (!rc)
		rc = sig_sign(sig, priv, m.data, m.len);
	ferry_buf_free(&m);
	return rc;
}

ferry_err package_keygen(uint8_t priv[32], uint8_t pub[32])
{
	if (RAND_priv_bytes(priv, SIG_ED25519_PRIVATE_LEN) != 1)
		return ferry_error_set(FERRY_ESYSTEM, "RAND_priv_bytes failed: no key generated");
	return sig_public_from_private(pub, priv);
}
