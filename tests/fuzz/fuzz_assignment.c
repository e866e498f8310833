/*
 * The v2 assignment parser, against a fixed catalog (tests/data/catalog's
 * payload). Any bytes go through assignment_verify as an envelope (all must
 * be refused: the server key signed none of them); then, when they parse
 * as a JSON object, as a payload bound to the catalog and signed with the
 * server key, so every payload check sees hostile input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/assignment.h"
#include "runbook/runbook.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1767225600 /* 2026-01-01 */

static const uint8_t admin_priv[32] = { 7 }, server_priv[32] = { 9 };

static struct catalog *the_catalog(void)
{
	static struct catalog *c;
	uint8_t admin_pub[32], server_pub[32];
	char *text = NULL, *key = NULL, *env = NULL;
	size_t len = 0;
	cJSON *p;

	if (c)
		return c;
	if (sig_public_from_private(admin_pub, admin_priv) ||
	    sig_public_from_private(server_pub, server_priv) ||
	    rb_read_file(&text, &len, FERRY_FUZZ_DATA "/catalog/payload.json", 1 << 20) ||
	    !(p = cJSON_Parse(text)) || ferry_base64_encode(&key, server_pub, 32))
		abort();
	cJSON_ReplaceItemInObjectCaseSensitive(p, "assignment_key", cJSON_CreateString(key));
	if (catalog_sign(&env, &len, p, admin_priv, NOW) ||
	    catalog_verify(&c, (uint8_t *)env, len, admin_pub, NOW))
		abort();
	cJSON_Delete(p);
	ferry_free(text);
	ferry_free(key);
	ferry_free(env);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct catalog *c = the_catalog();
	struct assignment *a = NULL;
	char hex[65], *env = NULL;
	size_t len = 0;
	cJSON *p;

	if (assignment_verify(&a, data, size, c, "agent", NOW) == FERRY_OK)
		abort();
	assignment_free(a);

	p = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(p))
		goto out;
	ferry_hex_encode(hex, c->digest, 32);
	if (cJSON_GetObjectItemCaseSensitive(p, "catalog_sha256"))
		cJSON_ReplaceItemInObjectCaseSensitive(p, "catalog_sha256", cJSON_CreateString(hex));
	if (assignment_sign(&env, &len, p, c, server_priv, NOW) == FERRY_OK) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "agent_id");
		if (assignment_verify(&a, (uint8_t *)env, len, c, id->valuestring, NOW) != FERRY_OK)
			abort(); /* signed means an agent accepts it */
		assignment_free(a);
	}
	ferry_free(env);
out:
	cJSON_Delete(p);
	return 0;
}
