/*
 * The v2 catalog parser. Any bytes go through catalog_verify as an envelope
 * (a forged signature cannot pass, so all must be refused without a crash);
 * then, when they parse as a JSON object, as a payload the target signs
 * with its own admin key, so every payload check (members, times,
 * domains and OUs, runbooks, packages) sees hostile input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/catalog.h"
#include "util/base64.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1767225600 /* 2026-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t admin_priv[32] = { 7 }, server_pub_b64[] =
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
	uint8_t admin_pub[32];
	struct catalog *c = NULL;
	const cJSON *k;
	cJSON *p;
	char *env = NULL;
	size_t len = 0;

	if (sig_public_from_private(admin_pub, admin_priv))
		abort();
	if (catalog_verify(&c, data, size, admin_pub, NOW) == FERRY_OK)
		abort(); /* only this target holds admin_priv, and it did not sign `data` */
	catalog_free(c);

	p = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(p))
		goto out;
	k = cJSON_GetObjectItemCaseSensitive(p, "assignment_key");
	if (cJSON_IsString(k) && !strcmp(k->valuestring, "SERVERKEY"))
		cJSON_ReplaceItemInObjectCaseSensitive(p, "assignment_key",
						       cJSON_CreateString((const char *)server_pub_b64));
	if (catalog_sign(&env, &len, p, admin_priv, NOW) == FERRY_OK) {
		/* What the signer accepted, the verifier accepts, with the same digest twice. */
		struct catalog *a = NULL, *b = NULL;
		if (catalog_verify(&a, (uint8_t *)env, len, admin_pub, NOW) != FERRY_OK ||
		    catalog_verify(&b, (uint8_t *)env, len, admin_pub, NOW) != FERRY_OK ||
		    memcmp(a->digest, b->digest, sizeof(a->digest)))
			abort();
		catalog_free(a);
		catalog_free(b);
	}
	ferry_free(env);
out:
	cJSON_Delete(p);
	return 0;
}
