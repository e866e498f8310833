/*
 * The SID translation table, which decides whose profile a SID becomes:
 * any bytes through sec_table_load_csv and sec_table_load_json. A table
 * that loads must answer a lookup of each of its own sources with that
 * entry (the hash, Bloom filter and probing agree with what was added).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sec/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct sec_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct sec_table_entry *e = &t->entries[i];

		if (sec_table_lookup(t, e->src, e->src_len) != e)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_table *t = NULL;

	if (sec_table_load_csv(&t, (const char *)data, size) == FERRY_OK)
		check(t);
	sec_table_free(t);
	t = NULL;
	if (sec_table_load_json(&t, (const char *)data, size) == FERRY_OK)
		check(t);
	sec_table_free(t);
	return 0;
}
