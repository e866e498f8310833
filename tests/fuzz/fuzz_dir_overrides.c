/* libFuzzer target: the overrides CSV of `ferry table build`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dir/table_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dir_overrides *o = NULL;

	if (dir_overrides_parse(&o, (const char *)data, size) != FERRY_OK)
		return 0;
	for (size_t i = 0; i < o->n; i++) {
		if (!o->v[i].source[0] || !o->v[i].target[0] || o->v[i].line == 0)
			abort();
	}
	dir_overrides_free(o);
	return 0;
}
