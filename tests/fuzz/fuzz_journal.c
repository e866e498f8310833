/*
 * The journal reader (journal_open) and the engine's replay of it
 * (engine_open), which decide which steps of a migration are done: a
 * forged or torn journal must be read as its longest valid prefix and
 * never crash the service.
 *
 * Input byte 0 picks the mode: 1 = the rest is the file as it is (the
 * header and every CRC must be right by chance); 0 = the harness writes a
 * valid header and fixes every record's length and CRC32C, so the fuzzer
 * reaches the sequence and type logic; 2 = as 0, after the BEGIN record the
 * engine itself writes for the sample runbook, so the replay goes past the
 * plan fingerprint into the step states.
 *
 * Properties: after a torn tail, journal_open wrote back (storage_replace)
 * exactly the valid prefix, which reads again untorn with the same
 * records; the replay (engine_open for the sample migration runbook)
 * never crashes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/crc32c.h"
#include "engine/engine.h"
#include "engine/journal.h"
#include "runbook/runbook.h"
#include "util/bytes.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "journal-migration"

struct store {
	uint8_t *buf;
	size_t len;
	unsigned replaced;
};

static ferry_err st_read(void *ctx, const char *name, uint8_t **data, size_t *len)
{
	struct store *s = ctx;

	(void)name;
	if (!s->buf)
		return ferry_error_set(FERRY_ENOTFOUND, "absent");
	*data = ferry_malloc(s->len ? s->len : 1);
	if (!*data)
		return ferry_error_set(FERRY_ENOMEM, "read");
	memcpy(*data, s->buf, s->len);
	*len = s->len;
	return FERRY_OK;
}

static ferry_err st_replace(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct store *s = ctx;
	uint8_t *copy = malloc(len ? len : 1);

	(void)name;
	if (!copy)
		abort();
	memcpy(copy, data, len);
	free(s->buf);
	s->buf = copy;
	s->len = len;
	s->replaced++;
	return FERRY_OK;
}

static ferry_err st_append(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	struct store *s = ctx;
	uint8_t *grown = realloc(s->buf, s->len + len + 1);

	(void)name;
	if (!grown)
		abort();
	memcpy(grown + s->len, data, len);
	s->buf = grown;
	s->len += len;
	return FERRY_OK;
}

static ferry_err st_sync(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return FERRY_OK;
}

static int64_t clock_now(void *ctx)
{
	(void)ctx;
	return 1741000000;
}

static ferry_err boot(void *ctx, uint64_t *out)
{
	(void)ctx;
	*out = 7;
	return FERRY_OK;
}

static struct ferry_platform platform_on(struct store *s)
{
	struct ferry_platform p = { 0 };

	p.ctx = s;
	p.storage_read = st_read;
	p.storage_replace = st_replace;
	p.storage_append = st_append;
	p.storage_sync = st_sync;
	p.now = clock_now;
	p.boot_id = boot;
	return p;
}

static struct runbook *sample;
static const struct ferry_profile profile = { "S-1-5-21-1-2-3-1105", "S-1-5-21-7-8-9-2201" };

static void load_sample(void)
{
	struct rb_issues iss = { 0 };
	char *text = NULL;
	size_t len = 0;

	if (sample)
		return;
	if (rb_read_file(&text, &len, FERRY_SOURCE_DIR "/resources/samples/migration.json", 1u << 20) ||
	    runbook_parse(&sample, &iss, "migration.json", text, len)) {
		fprintf(stderr, "fuzz_journal: cannot load the sample runbook: %s\n", ferry_error_detail());
		abort();
	}
	ferry_free(text);
	rb_issues_clear(&iss);
}

static struct store begun; /* header + the engine's BEGIN for the sample */

static struct ferry_platform platform_on(struct store *s);

static void make_begun(void)
{
	struct ferry_platform p = platform_on(&begun);
	struct engine *e = NULL;

	if (begun.buf)
		return;
	if (engine_open(&e, &p, sample, NAME, &profile, 1) != FERRY_OK || !begun.buf)
		abort();
	engine_free(e);
}

/* Modes 0 and 2: a valid start, then the input with each record's length
 * clamped and its CRC set. */
static uint8_t *fix_up(const uint8_t *data, size_t size, size_t *out_len, bool after_begin)
{
	size_t start = after_begin ? begun.len : JOURNAL_HEADER_SIZE;
	uint8_t *b = malloc(start + size + 1);
	size_t off = start, len = start + size;

	if (!b)
		abort();
	if (after_begin) {
		memcpy(b, begun.buf, begun.len);
	} else {
		memcpy(b, "FERRYJNL", 8);
		put_u32le(b + 8, 1);
		put_u32le(b + 12, crc32c(0, b, 12));
	}
	memcpy(b + start, data, size);
	while (len - off >= JOURNAL_RECORD_HEADER) {
		size_t plen = get_u16le(b + off + 14), left = len - off - JOURNAL_RECORD_HEADER;

		if (plen > JOURNAL_PAYLOAD_MAX)
			plen = JOURNAL_PAYLOAD_MAX;
		if (plen > left)
			plen = left;
		put_u16le(b + off + 14, (uint16_t)plen);
		put_u32le(b + off, crc32c(0, b + off + 4, JOURNAL_RECORD_HEADER - 4 + plen));
		off += JOURNAL_RECORD_HEADER + plen;
	}
	*out_len = len;
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store s = { 0 };
	struct ferry_platform p;
	struct journal *j = NULL, *again = NULL;
	struct engine *e = NULL;
	bool torn = false, torn2 = true;

	if (size < 1)
		return 0;
	load_sample();
	make_begun();
	if (data[0] % 3 == 1) {
		s.buf = malloc(size);
		if (!s.buf)
			abort();
		memcpy(s.buf, data + 1, size - 1);
		s.len = size - 1;
	} else {
		s.buf = fix_up(data + 1, size - 1, &s.len, data[0] % 3 == 2);
	}
	p = platform_on(&s);

	if (journal_open(&j, &p, NAME, &torn) == FERRY_OK) {
		size_t n = journal_count(j);

		for (size_t i = 0; i < n; i++)
			if (journal_get(j, i)->payload_len > JOURNAL_PAYLOAD_MAX ||
			    strlen(journal_get(j, i)->payload) > journal_get(j, i)->payload_len)
				abort();
		/* Invariant 3: a torn tail was cut off by an atomic replace. */
		if (torn != (s.replaced == 1))
			abort();
		if (journal_open(&again, &p, NAME, &torn2) != FERRY_OK || torn2 ||
		    journal_count(again) != n)
			abort();
		for (size_t i = 0; i < n; i++) {
			const struct journal_record *a = journal_get(j, i), *b = journal_get(again, i);

			if (a->seq != b->seq || a->type != b->type || a->step != b->step ||
			    a->attempt != b->attempt || a->value != b->value ||
			    a->payload_len != b->payload_len || memcmp(a->payload, b->payload, a->payload_len))
				abort();
		}
		journal_free(again);
		journal_free(j);
		(void)engine_open(&e, &p, sample, NAME, &profile, 1);
		engine_free(e);
	}
	free(s.buf);
	return 0;
}
