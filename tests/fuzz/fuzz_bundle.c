/*
 * The bundle parser: any bytes through bundle_verify (envelope, base64
 * signature, canonicalisation, payload checks) against a fixed key. A
 * forged signature cannot pass, so every input must be refused without a
 * crash; the canonical form of any parsed JSON is checked to be stable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/bundle.h"
#include "net/canon.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pub[32] = { 0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a,
					 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc,
					 0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c,
					 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c };
	struct bundle *b = NULL;
	cJSON *v;

	if (bundle_verify(&b, data, size, pub, "agent") == FERRY_OK)
		abort(); /* nobody holds the private key of this test vector's pair here */
	bundle_free(b);

	v = cJSON_ParseWithLength((const char *)data, size);
	if (v) {
		struct ferry_buf x, y;
		ferry_buf_init(&x, 1u << 20);
		ferry_buf_init(&y, 1u << 20);
		if (canon_json(&x, v) == FERRY_OK) {
			cJSON *again = cJSON_ParseWithLength((const char *)x.data, x.len);
			/* canon(parse(canon(v))) == canon(v) */
			if (!again || canon_json(&y, again) != FERRY_OK || x.len != y.len ||
			    memcmp(x.data, y.data, x.len))
				abort();
			cJSON_Delete(again);
		}
		ferry_buf_free(&x);
		ferry_buf_free(&y);
		cJSON_Delete(v);
	}
	return 0;
}
