/*
 * libFuzzer target: the command-package manifest parser must never crash on
 * any bytes, and every manifest it accepts must survive a rewrite by
 * package_manifest_write and parse again to the same fields (so `ferry
 * package sign` never signs something the agent reads differently).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/package.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct package *a, const struct package *b)
{
	if (strcmp(a->id, b->id) || strcmp(a->command, b->command) ||
	    a->timeout_seconds != b->timeout_seconds || a->nfiles != b->nfiles)
		abort();
	for (size_t i = 0; i < a->nfiles; i++)
		if (strcmp(a->files[i].path, b->files[i].path) ||
		    memcmp(a->files[i].sha256, b->files[i].sha256, 32))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct package *p = NULL, *q = NULL;
	struct ferry_buf b;

	if (package_manifest_parse(&p, data, size) != FERRY_OK)
		return 0;
	ferry_buf_init(&b, PACKAGE_MANIFEST_MAX + 2);
	/* A rewrite may exceed the size cap (escapes grow); that is a refusal, not a bug. */
	if (package_manifest_write(&b, p) == FERRY_OK) {
		if (package_manifest_parse(&q, b.data, b.len) != FERRY_OK)
			abort();
		same_or_abort(p, q);
	}
	package_free(q);
	package_free(p);
	ferry_buf_free(&b);
	return 0;
}
