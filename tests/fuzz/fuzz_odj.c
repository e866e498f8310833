/*
 * libFuzzer target: the ODJ text form and binary decoder must never crash;
 * whatever decodes must encode, decode again to the same JSON view, and
 * encode again to the same bytes. The input is tried both as the text form
 * and as the binary form, so the text seeds in tests/data/odj reach the NDR
 * decoder either way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "odj/odj.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *view(const struct odj_provision *p)
{
	cJSON *j = NULL;
	char *s;

	if (odj_provision_to_json(&j, p) != FERRY_OK)
		abort();
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		abort();
	return s;
}

static void binary(const uint8_t *data, size_t size)
{
	struct odj_provision *p = NULL, *q = NULL;
	struct ferry_secret *e1 = NULL, *e2 = NULL;
	char *a, *b;

	if (odj_decode(&p, data, size) != FERRY_OK)
		return;
	(void)odj_validate(p, "ferry.test", "FERRYPC01");
	if (odj_encode(&e1, p) != FERRY_OK || odj_decode(&q, e1->data, e1->len) != FERRY_OK ||
	    odj_encode(&e2, q) != FERRY_OK)
		abort();
	/* Encoding is a fixed point after one round. */
	if (e1->len != e2->len || memcmp(e1->data, e2->data, e1->len))
		abort();
	a = view(p);
	b = view(q);
	/* Blob and part sizes are re-derived by the encoder; the rest must match
	 * whenever the encoding kept the original size. */
	if (e1->len == size && strcmp(a, b))
		abort();
	cJSON_free(a);
	cJSON_free(b);
	odj_provision_free(p);
	odj_provision_free(q);
	ferry_secret_free(e1);
	ferry_secret_free(e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_secret *bin = NULL;

	binary(data, size);
	if (odj_text_decode(&bin, data, size) == FERRY_OK)
		binary(bin->data, bin->len);
	ferry_secret_free(bin);
	return 0;
}
