/*
 * The translation table: which source SID becomes which target SID.
 *
 * Loaded from CSV (source_sid,target_sid[,source_name,target_name], header
 * line optional, '#' comments and blank lines skipped, fields may be
 * double-quoted) or JSON (an array of objects, or {"entries": [...]}, with
 * keys source_sid, target_sid, source_name, target_name).
 *
 * Refused, naming the CSV line or JSON entry: a malformed SID, a source
 * listed twice, a SID that is both a source and a target (a chain or a
 * cycle: translation must be one step so that running it twice is
 * harmless), and a source that is not a domain or Entra account SID (see
 * sid_is_account: well-known SIDs mean the same thing in both domains).
 *
 * Lookup is one hash of the SID bytes and, almost always, one probe of a
 * flat open-addressing array (load <= 1/2). The table is read-only once
 * loaded, so threads may share it.
 */
#ifndef FERRY_SEC_TABLE_H
#define FERRY_SEC_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sec/sid.h"
#include "util/err.h"

#define SEC_TABLE_MAX_ENTRIES (1u << 20)
#define SEC_TABLE_MAX_FILE (64u << 20)
#define SEC_TABLE_FILTER_LOG2 16
#define SEC_TABLE_FILTER_BITS (1u << SEC_TABLE_FILTER_LOG2)

struct sec_table_entry {
	uint8_t src[SID_MAX_BYTES];
	uint8_t dst[SID_MAX_BYTES];
	uint8_t src_len, dst_len;
};

/* Read-only to callers; the fields are public only so lookup can inline. */
struct sec_table {
	struct sec_table_entry *entries;
	char **names;    /* 2 per entry (source, target), each may be NULL */
	unsigned *lines; /* where each entry came from (CSV line or JSON index) */
	size_t count, cap;
	uint64_t *slots;     /* 0 = empty, else (hash >> 32) << 32 | (index + 1) */
	size_t mask;         /* slots has mask + 1 entries, a power of two */
	uint32_t src_counts; /* bit n: some source has n sub-authorities */
	/* A one-probe Bloom filter on each source's last 4 bytes (its RID):
	 * most SIDs that are not sources are turned away here, before hashing. */
	uint64_t filter[SEC_TABLE_FILTER_BITS / 64];
};

/* Filter bit of a SID of len >= 8 bytes. */
static inline uint32_t sec_filter_bit(const uint8_t *sid, size_t len)
{
	uint32_t last;

	memcpy(&last, sid + len - 4, 4);
	return (last * 0x9E3779B1u) >> (32 - SEC_TABLE_FILTER_LOG2);
}

/** An empty table; free with sec_table_free. */
ferry_err sec_table_new(struct sec_table **out);

/**
 * Add one mapping. line names the entry in errors. A duplicate source or a
 * non-account source is refused here; chains are found by sec_table_finish.
 * Names may be NULL.
 */
ferry_err sec_table_add(struct sec_table *t, const char *src, const char *dst, const char *src_name,
                        const char *dst_name, unsigned line);

/** Refuse chains and cycles (a target that is also a source). Call once after the last add. */
ferry_err sec_table_finish(struct sec_table *t);

/** Parse CSV text (len bytes) into a finished table. */
ferry_err sec_table_load_csv(struct sec_table **out, const char *text, size_t len);

/** Parse JSON text (len bytes) into a finished table. */
ferry_err sec_table_load_json(struct sec_table **out, const char *text, size_t len);

/** Read a file (JSON if it starts with '[' or '{', else CSV) into a finished table. */
ferry_err sec_table_load_file(struct sec_table **out, const char *path);

/** Free; NULL-safe. */
void sec_table_free(struct sec_table *t);

static inline uint64_t sec_sid_hash(const uint8_t *p, size_t len)
{
	/* SIDs are 8 + 4n bytes: whole 8-byte words, then maybe one 4-byte tail.
	 * Host byte order is fine: hashes never leave the process. */
	uint64_t h = 0x9E3779B97F4A7C15ull ^ len, w;
	uint32_t t;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < len) {
		memcpy(&t, p + i, 4);
		h = (h ^ t) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

/**
 * The entry whose source is the len-byte binary SID at sid, or NULL. sid
 * must already be a checked SID (sid[1] is its sub-authority count).
 */
static inline const struct sec_table_entry *sec_table_lookup(const struct sec_table *t,
                                                             const uint8_t *sid, size_t len)
{
	uint64_t h;
	size_t i;
	uint32_t bit;

	if (!(t->src_counts >> sid[1] & 1))
		return NULL;
	bit = sec_filter_bit(sid, len);
	if (!(t->filter[bit / 64] >> (bit % 64) & 1))
		return NULL;
	h = sec_sid_hash(sid, len);
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		uint64_t s = t->slots[i];
		const struct sec_table_entry *e;

		if (!s)
			return NULL;
		if ((s >> 32) != (h >> 32))
			continue;
		e = &t->entries[(uint32_t)s - 1];
		if (e->src_len == len && !memcmp(e->src, sid, len))
			return e;
	}
}

#endif
