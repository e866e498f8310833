/*
 * The device's identity mapping (net/idmap.h) as the agent reads it from a
 * verified document: any bytes that parse as JSON go through idmap_new
 * (rows, types, duplicates, chains), then the profile split, the lookups
 * and the account-name match the pipe's authorisation uses; and as an
 * agent's profile report (the server's input) with its slice. A signed
 * envelope would stop random bytes before the rows, so the rows are fed
 * directly: a signer's mistake must still be refused cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/idmap.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sids[] = { "S-1-5-18", "S-1-5-21-1111-2222-3333-1105",
					     "S-1-5-21-1111-2222-3333-1106", "S-1-5-21-7-8-9-2201",
					     "S-1-5-21-1-2-3-1105" };
	struct idmap_profiles p;
	struct idmap *m = NULL;
	size_t n = 0;
	char *text = ferry_malloc(size + 1);
	cJSON *j;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	j = cJSON_ParseWithLength(text, size);
	ferry_free(text);
	if (!j)
		return 0;
	/* The same bytes as a profile report, and (when both hold) its slice of
	 * themselves as table rows. */
	if (idmap_report_check(j, &n) == FERRY_OK) {
		cJSON *slice = NULL;

		if (idmap_slice(&slice, cJSON_GetObjectItemCaseSensitive(j, "profiles"), j) == FERRY_OK)
			cJSON_Delete(slice);
	}
	if (idmap_new(&m, j, "fuzz") == FERRY_OK) {
		if (idmap_profiles(&p, m, sids, sizeof(sids) / sizeof(sids[0])) == FERRY_OK) {
			for (size_t i = 0; i < p.n_mapped; i++) {
				char acc[600];

				idmap_entry_account(p.mapped[i].row, acc, sizeof(acc));
				(void)idmap_entry_names(p.mapped[i].row, p.mapped[i].row->target_sam,
							p.mapped[i].row->netbios_domain);
				(void)idmap_entry_names(p.mapped[i].row, "x@y", "");
			}
			idmap_profiles_clear(&p);
		}
		for (size_t i = 0; i < m->n; i++)
			if (idmap_by_source(m, sids[i % 5]) == NULL && m->v[i].kind > IDMAP_COMPUTER)
				abort(); /* a row's kind is one of the three */
		idmap_free(m);
	}
	cJSON_Delete(j);
	return 0;
}
