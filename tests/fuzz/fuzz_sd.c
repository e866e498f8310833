/*
 * libFuzzer target: parse + translate of self-relative SDs. For every input
 * and every mode, the engine must agree with the reference checker
 * (sd_check), what it accepts must come out well-formed, and translating
 * its own output again must change nothing (every mode is idempotent
 * because the table has no chains).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec/sd.h"
#include "sec/table.h"
#include "sec/translate.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The SIDs of tests/data/sd/ seeds (see its README). */
static const char *const rows[][2] = {
    {"S-1-5-21-1004336348-1177238915-682003330-1105",
     "S-1-5-21-3623811015-3361044348-30300820-2105"},
    {"S-1-5-21-1004336348-1177238915-682003330-1201",
     "S-1-12-1-3623811015-3361044348-30300820-77-5"},
    {"S-1-12-1-11-22-33-44", "S-1-5-80-9"},
};

static struct sec_table *table(void)
{
	static struct sec_table *t;

	if (t)
		return t;
	if (sec_table_new(&t) != FERRY_OK)
		abort();
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (sec_table_add(t, rows[i][0], rows[i][1], NULL, NULL, i + 1) != FERRY_OK)
			abort();
	if (sec_table_finish(t) != FERRY_OK)
		abort();
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out1[SD_MAX_SIZE], out2[SD_MAX_SIZE];
	struct sd_doc *doc = NULL;
	ferry_err ref = sd_check(data, size);

	if ((sd_doc_decode(&doc, data, size) == FERRY_OK) != (ref == FERRY_OK))
		abort();
	sd_doc_free(doc);
	for (int m = 0; m < 3; m++) {
		struct sd_out a = {.buf = out1, .cap = sizeof(out1)};
		struct sd_out b = {.buf = out2, .cap = sizeof(out2)};
		bool changed;
		ferry_err rc = sd_translate(data, size, table(), (enum sd_mode)m, &a, &changed);

		if (ref != FERRY_OK ? rc != ref : (rc != FERRY_OK && rc != FERRY_ERANGE))
			abort();
		if (rc != FERRY_OK)
			continue;
		if (!changed && (a.data != data || a.len != size))
			abort();
		if (sd_check(a.data, a.len) != FERRY_OK)
			abort();
		if (sd_translate(a.data, a.len, table(), (enum sd_mode)m, &b, &changed) !=
		        FERRY_OK ||
		    changed)
			abort();
	}
	return 0;
}
