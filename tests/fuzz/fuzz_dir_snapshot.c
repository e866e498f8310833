/*
 * libFuzzer target: the directory snapshot parser. The input is tried as
 * is, and again as a body with a correct end line appended (count and
 * SHA-256 computed here), so the fuzzer reaches the line parser behind the
 * hash gate. Whatever parses must format back to exactly the bytes parsed
 * (invariant 7 of snapshot.c: one spelling per snapshot) and parse again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir/snapshot.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, size_t size)
{
	struct dir_snapshot *s = NULL, *again = NULL;
	char *out = NULL;
	size_t len = 0;

	if (dir_snapshot_parse(&s, text, size) != FERRY_OK)
		return;
	if (dir_snapshot_format(&out, &len, s) != FERRY_OK)
		abort();
	if (len != size || memcmp(out, text, size))
		abort();
	if (dir_snapshot_parse(&again, out, len) != FERRY_OK || again->count != s->count)
		abort();
	ferry_free(out);
	dir_snapshot_free(again);
	dir_snapshot_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hash[65], *sealed;
	size_t lines = 0, n;

	check((const char *)data, size);
	if (size == 0 || data[size - 1] != '\n' || size > (1u << 20))
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (lines < 2 || dir_sha256_hex(hash, data, size) != FERRY_OK)
		return 0;
	sealed = ferry_malloc(size + 96);
	if (!sealed)
		return 0;
	memcpy(sealed, data, size);
	n = size + (size_t)snprintf(sealed + size, 96, "end\t%zu\t%s\n", lines - 2, hash);
	check(sealed, n);
	ferry_free(sealed);
	return 0;
}
