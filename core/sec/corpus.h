/*
 * A deterministic corpus of profile-like security descriptors and the
 * 1,000-row translation table that goes with it, for `ferry acl bench` and
 * for tests. Each SD has an owner, a group, a DACL of 3-10 ACEs drawn
 * without repetition from what Windows puts on profile folders (SYSTEM,
 * Administrators, the user, CREATOR OWNER, Users, ...), explicit or
 * inherited, and now and then a SACL with a low mandatory label. About 20%
 * of them name a source SID of the table (as the user, and often owner).
 */
#ifndef FERRY_SEC_CORPUS_H
#define FERRY_SEC_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "sec/table.h"
#include "util/err.h"

#define SD_CORPUS_TABLE_ROWS 1000

struct sd_corpus {
	uint8_t *bytes; /* every SD, back to back */
	size_t *off;    /* count + 1 offsets into bytes */
	size_t count;
	size_t total;       /* == off[count] */
	size_t with_source; /* SDs that name a source SID */
	struct sec_table *table;
};

/** Build count SDs from seed (same seed, same bytes). Free with sd_corpus_free. */
ferry_err sd_corpus_make(struct sd_corpus **out, size_t count, uint64_t seed);

/** Free; NULL-safe. */
void sd_corpus_free(struct sd_corpus *c);

#endif
