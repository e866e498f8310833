/*
 * libFuzzer target: table rules JSON (and the regex dialect inside it).
 * Parsed rules are applied to a few values, so the normalisers and the
 * regex matcher run on whatever patterns the fuzzer finds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dir/table_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const values[] = {"Jane.Doe42@Example.COM", "SOURCE\\jdoe", "  x  ",
	                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "@", ""};
	struct dir_rules *r = NULL;
	char out[DIR_MAX_VALUE + 1];

	if (dir_rules_parse(&r, (const char *)data, size) != FERRY_OK)
		return 0;
	if (r->n == 0 || r->n > DIR_MAX_RULES)
		abort();
	for (size_t i = 0; i < r->n; i++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			if (dir_norm_apply(out, sizeof(out), r->rule[i].src_norm, r->rule[i].n_src_norm,
			                   values[v]) &&
			    (!out[0] || strlen(out) > DIR_MAX_VALUE))
				abort();
		}
	}
	dir_rules_free(r);
	return 0;
}
