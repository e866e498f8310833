/*
 * libFuzzer target: SDDL parsing. Whatever parses must be a valid SD; when
 * it formats, the text must parse back to the same bytes and format to the
 * same text (sddl_format(sddl_parse(x)) is a fixed point).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec/sd.h"
#include "sec/sddl.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *sd = NULL, *sd2 = NULL;
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;

	if (sddl_parse(&sd, &len, (const char *)data, size) != FERRY_OK)
		return 0;
	if (sd_check(sd, len) != FERRY_OK)
		abort();
	if (sddl_format(&text, sd, len) == FERRY_OK) {
		if (sddl_parse(&sd2, &len2, text, strlen(text)) != FERRY_OK)
			abort();
		if (len2 != len || memcmp(sd2, sd, len))
			abort();
		if (sddl_format(&text2, sd2, len2) != FERRY_OK || strcmp(text, text2))
			abort();
	}
	ferry_free(text2);
	ferry_free(text);
	ferry_free(sd2);
	ferry_free(sd);
	return 0;
}
