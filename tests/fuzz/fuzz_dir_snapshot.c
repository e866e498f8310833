/*
 * libFuzzer target: the directory snapshot parser. Whatever parses must
 * format back to exactly the input (the format has one spelling per
 * snapshot) and parse again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dir/snapshot.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dir_snapshot *s = NULL, *again = NULL;
	char *text = NULL;
	size_t len = 0;

	if (dir_snapshot_parse(&s, (const char *)data, size) != FERRY_OK)
		return 0;
	if (dir_snapshot_format(&text, &len, s) != FERRY_OK)
		abort();
	if (len != size || memcmp(text, data, size))
		abort();
	if (dir_snapshot_parse(&again, text, len) != FERRY_OK || again->count != s->count)
		abort();
	ferry_free(text);
	dir_snapshot_free(again);
	dir_snapshot_free(s);
	return 0;
}
