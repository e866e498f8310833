/* The migration journal: append-only, CRC32C-protected records (layout in journal.c). */
#ifndef FERRY_ENGINE_JOURNAL_H
#define FERRY_ENGINE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/platform.h"
#include "util/err.h"

#define JOURNAL_HEADER_SIZE 16u
#define JOURNAL_RECORD_HEADER 24u
#define JOURNAL_PAYLOAD_MAX 512u

enum journal_type {
	JREC_BEGIN = 1,      /* payload: runbook id; value: plan fingerprint; step: step count */
	JREC_STARTED = 2,    /* step, attempt; value: boot id when it started */
	JREC_DONE = 3,       /* step; value: time */
	JREC_FAILED = 4,     /* step, attempt; value: time; payload: reason */
	JREC_CHECKPOINT = 5, /* step: first step not done; value: time the previous step was done */
	JREC_STOPPED = 6,    /* step: the step that failed; value: time; payload: reason */
	JREC_COMPLETE = 7,   /* value: time */
};

struct journal_record {
	uint32_t seq;
	uint8_t type;
	uint16_t step;
	uint16_t attempt;
	uint64_t value;
	uint16_t payload_len;
	char payload[JOURNAL_PAYLOAD_MAX + 1]; /* NUL-terminated copy */
};

struct journal;

/**
 * Open the named journal through the platform's storage, creating it if
 * absent. Records are read up to the first one that is incomplete or fails
 * its CRC or sequence check (a torn tail); if there was such a tail, the
 * valid prefix is written back by atomic replace before anything new is
 * appended, and *torn (may be NULL) is set. FERRY_ECORRUPT if the header is
 * not a Ferry journal. The caller frees with journal_free.
 */
ferry_err journal_open(struct journal **out, const struct ferry_platform *p, const char *name,
		       bool *torn);

/** Append one record and storage_sync it; the record is durable on FERRY_OK. */
ferry_err journal_append(struct journal *j, enum journal_type type, uint16_t step,
			 uint16_t attempt, uint64_t value, const char *payload);

/** Records read or appended so far (borrowed; valid until the next append/compact). */
size_t journal_count(const struct journal *j);
const struct journal_record *journal_get(const struct journal *j, size_t i);

/**
 * Replace the journal, atomically, by the header plus `recs` (their seq
 * fields are ignored: they continue the sequence). The in-memory list
 * becomes those records.
 */
ferry_err journal_compact(struct journal *j, const struct journal_record *recs, size_t n);

/** Encoded size of a record with payload_len bytes of payload. */
size_t journal_record_size(size_t payload_len);

/** NULL-safe. */
void journal_free(struct journal *j);

#endif
