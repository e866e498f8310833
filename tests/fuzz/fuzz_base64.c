/* libFuzzer target: base64 decoding must never crash, and what it accepts re-encodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *bin = NULL;
	char *text = NULL;
	size_t n = 0;

	if (ferry_base64_decode(&bin, &n, (const char *)data, size) != FERRY_OK)
		return 0;
	if (ferry_base64_encode(&text, bin, n) != FERRY_OK)
		abort();
	/* Canonical input without whitespace must come back unchanged. */
	if (!memchr(data, ' ', size) && !memchr(data, '\n', size) && !memchr(data, '\r', size) &&
	    !memchr(data, '\t', size) && (strlen(text) != size || memcmp(text, data, size)))
		abort();
	ferry_free(text);
	ferry_free(bin);
	return 0;
}
