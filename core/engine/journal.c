/*
 * The migration journal.
 *
 * FILE LAYOUT (all integers little-endian)
 *
 *   Header, 16 bytes, written once by atomic replace:
 *
 *     0       8      12      16
 *     +-------+-------+-------+
 *     | magic | vers  | crc   |   magic = "FERRYJNL", vers = 1,
 *     +-------+-------+-------+   crc = CRC32C of bytes 0..11
 *
 *   then records, back to back, each 24 + L bytes:
 *
 *     offset size field
 *       0     4   crc      CRC32C of bytes 4 .. 24+L of this record
 *       4     4   seq      sequence number
 *       8     1   type     enum journal_type (1..7)
 *       9     1   flags    0
 *      10     2   step     step index in the engine's plan
 *      12     2   attempt  1-based attempt number (0 when not applicable)
 *      14     2   L        payload length, 0..512
 *      16     8   value    boot id, time or fingerprint (by type)
 *      24     L   payload  UTF-8 text, no NUL (runbook id or a reason)
 *
 * INVARIANTS
 *   1. A record is valid iff all 24 + L bytes are present, L <= 512, the
 *      CRC matches, flags is 0, the type is known, and seq is exactly the
 *      previous record's seq + 1 (the first record may have any seq >= 1).
 *   2. The journal is the longest valid prefix. The first invalid record is
 *      a torn tail (a write cut short by a crash); it and everything after
 *      it are dropped. A crash during an append can only produce such a
 *      tail, because records are only ever appended.
 *   3. Nothing is appended after a torn tail: journal_open first writes the
 *      valid prefix back with storage_replace (atomic), so garbage never
 *      sits in the middle of the file.
 *   4. journal_append returns only after storage_sync: a caller may trust
 *      a record (and act on it) once it returns FERRY_OK.
 *   5. Compaction is storage_replace of the header plus a summary; it
 *      never rewrites in place. Sequence numbers keep increasing across
 *      compactions, so a stale copy is distinguishable.
 *   6. Records never hold secrets (reasons are error texts, ids are ids).
 *
 * STATES OF ONE STEP (engine.c replays these; docs/engine.md)
 *
 *     pending --STARTED--> started --DONE--> done
 *                            |  ^
 *                     FAILED |  | STARTED (retry, after backoff)
 *                            v  |
 *                           failed --(attempts exhausted)--> STOPPED
 *
 *   journal_append performs every transition; journal_open replays them;
 *   journal_compact folds done steps into a CHECKPOINT.
 */
#include "engine/journal.h"

#include <string.h>

#include "engine/crc32c.h"
#include "util/bytes.h"
#include "util/mem.h"

#define MAGIC "FERRYJNL"
#define VERSION 1u
#define MAX_RECORDS 100000u

struct journal {
	const struct ferry_platform *p;
	char name[64];
	uint32_t next_seq;
	struct journal_record *recs;
	size_t n, cap;
};

size_t journal_record_size(size_t payload_len)
{
	return JOURNAL_RECORD_HEADER + payload_len;
}

static void encode_header(uint8_t h[JOURNAL_HEADER_SIZE])
{
	memcpy(h, MAGIC, 8);
	put_u32le(h + 8, VERSION);
	put_u32le(h + 12, crc32c(0, h, 12));
}

/* Encode into out[JOURNAL_RECORD_HEADER + JOURNAL_PAYLOAD_MAX]; returns the size. */
static size_t encode_record(uint8_t *out, const struct journal_record *r)
{
	out[8] = r->type;
	out[9] = 0;
	put_u32le(out + 4, r->seq);
	put_u16le(out + 10, r->step);
	put_u16le(out + 12, r->attempt);
	put_u16le(out + 14, r->payload_len);
	put_u64le(out + 16, r->value);
	memcpy(out + 24, r->payload, r->payload_len);
	put_u32le(out, crc32c(0, out + 4, JOURNAL_RECORD_HEADER - 4 + r->payload_len));
	return JOURNAL_RECORD_HEADER + r->payload_len;
}

static ferry_err push(struct journal *j, const struct journal_record *r)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 32;
		struct journal_record *v;

		if (cap > MAX_RECORDS)
			return ferry_error_set(FERRY_ERANGE, "journal: more than %u records", MAX_RECORDS);
		if (!(v = ferry_realloc_array(j->recs, cap, sizeof(*v))))
			return ferry_error_set(FERRY_ENOMEM, "journal: out of memory");
		j->recs = v;
		j->cap = cap;
	}
	j->recs[j->n++] = *r;
	return FERRY_OK;
}

/* Decode the record at buf[off..len) into *r; false if it is not valid
 * (invariant 1) given the expected sequence number (0 = any). */
static bool decode_record(struct journal_record *r, const uint8_t *buf, size_t len, size_t off,
			  uint32_t want_seq)
{
	size_t left = len - off;
	uint16_t plen;

	if (left < JOURNAL_RECORD_HEADER)
		return false;
	plen = get_u16le(buf + off + 14);
	if (plen > JOURNAL_PAYLOAD_MAX || left - JOURNAL_RECORD_HEADER < plen)
		return false;
	if (get_u32le(buf + off) != crc32c(0, buf + off + 4, JOURNAL_RECORD_HEADER - 4 + plen))
		return false;
	r->seq = get_u32le(buf + off + 4);
	r->type = buf[off + 8];
	if (buf[off + 9] != 0 || r->type < JREC_BEGIN || r->type > JREC_COMPLETE || r->seq == 0 ||
	    (want_seq && r->seq != want_seq))
		return false;
	r->step = get_u16le(buf + off + 10);
	r->attempt = get_u16le(buf + off + 12);
	r->payload_len = plen;
	r->value = get_u64le(buf + off + 16);
	memcpy(r->payload, buf + off + 24, plen);
	r->payload[plen] = '\0';
	return true;
}

/* Write header + the in-memory records with storage_replace (invariants 3, 5). */
static ferry_err rewrite(struct journal *j)
{
	size_t size = JOURNAL_HEADER_SIZE, off;
	uint8_t *buf;
	ferry_err err;

	for (size_t i = 0; i < j->n; i++)
		size += journal_record_size(j->recs[i].payload_len);
	if (!(buf = ferry_malloc(size)))
		return ferry_error_set(FERRY_ENOMEM, "journal: out of memory");
	encode_header(buf);
	off = JOURNAL_HEADER_SIZE;
	for (size_t i = 0; i < j->n; i++)
		off += encode_record(buf + off, &j->recs[i]);
	err = j->p->storage_replace(j->p->ctx, j->name, buf, size);
	ferry_free(buf);
	if (err)
		return ferry_error_wrap(err, "journal %s: replace: ", j->name);
	return FERRY_OK;
}

static ferry_err parse(struct journal *j, const uint8_t *buf, size_t len, bool *torn)
{
	size_t off = JOURNAL_HEADER_SIZE;
	uint8_t h[JOURNAL_HEADER_SIZE];
	struct journal_record r;
	ferry_err err;

	encode_header(h);
	if (len < JOURNAL_HEADER_SIZE || memcmp(buf, h, JOURNAL_HEADER_SIZE))
		return ferry_error_set(FERRY_ECORRUPT, "journal %s: bad header (offset 0)", j->name);
	while (off < len && decode_record(&r, buf, len, off, j->n ? j->next_seq : 0)) {
		if ((err = push(j, &r)) != FERRY_OK)
			return err;
		j->next_seq = r.seq + 1;
		off += journal_record_size(r.payload_len);
	}
	*torn = off != len;
	return FERRY_OK;
}

ferry_err journal_open(struct journal **out, const struct ferry_platform *p, const char *name,
		       bool *torn)
{
	struct journal *j;
	uint8_t *buf = NULL;
	size_t len = 0;
	bool was_torn = false;
	ferry_err err;

	*out = NULL;
	if (torn)
		*torn = false;
	if (strlen(name) >= sizeof(j->name))
		return ferry_error_set(FERRY_EINVAL, "journal: name too long");
	if (!(j = ferry_calloc(1, sizeof(*j))))
		return ferry_error_set(FERRY_ENOMEM, "journal: out of memory");
	j->p = p;
	memcpy(j->name, name, strlen(name) + 1);
	j->next_seq = 1;
	err = p->storage_read(p->ctx, name, &buf, &len);
	if (err == FERRY_ENOTFOUND) {
		err = rewrite(j); /* a new journal: the header alone */
	} else if (err == FERRY_OK) {
		err = parse(j, buf, len, &was_torn);
		if (err == FERRY_OK && was_torn)
			err = rewrite(j);
	} else {
		err = ferry_error_wrap(err, "journal %s: read: ", name);
	}
	ferry_free(buf);
	if (err) {
		journal_free(j);
		return err;
	}
	if (torn)
		*torn = was_torn;
	*out = j;
	return FERRY_OK;
}

ferry_err journal_append(struct journal *j, enum journal_type type, uint16_t step,
			 uint16_t attempt, uint64_t value, const char *payload)
{
	uint8_t buf[JOURNAL_RECORD_HEADER + JOURNAL_PAYLOAD_MAX];
	struct journal_record r;
	size_t plen = payload ? strlen(payload) : 0, size;
	ferry_err err;

	/* Reasons are cut to fit; a record is never refused for its text. */
	if (plen > JOURNAL_PAYLOAD_MAX)
		plen = JOURNAL_PAYLOAD_MAX;
	memset(&r, 0, sizeof(r));
	r.seq = j->next_seq;
	r.type = (uint8_t)type;
	r.step = step;
	r.attempt = attempt;
	r.value = value;
	r.payload_len = (uint16_t)plen;
	if (plen)
		memcpy(r.payload, payload, plen);
	size = encode_record(buf, &r);
	if ((err = j->p->storage_append(j->p->ctx, j->name, buf, size)) != FERRY_OK)
		return ferry_error_wrap(err, "journal %s: append: ", j->name);
	if ((err = j->p->storage_sync(j->p->ctx, j->name)) != FERRY_OK)
		return ferry_error_wrap(err, "journal %s: sync: ", j->name);
	if ((err = push(j, &r)) != FERRY_OK)
		return err;
	j->next_seq++;
	return FERRY_OK;
}

size_t journal_count(const struct journal *j)
{
	return j->n;
}

const struct journal_record *journal_get(const struct journal *j, size_t i)
{
	return i < j->n ? &j->recs[i] : NULL;
}

ferry_err journal_compact(struct journal *j, const struct journal_record *recs, size_t n)
{
	struct journal_record *old = j->recs;
	size_t old_n = j->n, old_cap = j->cap;
	uint32_t seq = j->next_seq;
	ferry_err err = FERRY_OK;

	j->recs = NULL;
	j->n = j->cap = 0;
	for (size_t i = 0; i < n && !err; i++) {
		struct journal_record r = recs[i];

		r.seq = seq++;
		err = push(j, &r);
	}
	if (!err)
		err = rewrite(j);
	if (err) {
		/* The file is unchanged (replace is atomic): keep the old view. */
		ferry_free(j->recs);
		j->recs = old;
		j->n = old_n;
		j->cap = old_cap;
		return err;
	}
	ferry_free(old);
	j->next_seq = seq;
	return FERRY_OK;
}

void journal_free(struct journal *j)
{
	if (!j)
		return;
	ferry_free(j->recs);
	ferry_free(j);
}
