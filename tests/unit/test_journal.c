/* core/engine journal: CRC32C, append/replay, torn tails, compaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/crc32c.h"
#include "engine/journal.h"
#include "fake_platform.h"
#include "util/bytes.h"
#include "util/mem.h"

static void test_journal__crc32c_matches_castagnoli(void **state)
{
	const char *check = "123456789";
	uint8_t zeros[32] = { 0 }, ones[32];

	(void)state;
	memset(ones, 0xFF, sizeof(ones));
	/* RFC 3720 (iSCSI) appendix B.4 vectors and the catalogue check value. */
	assert_int_equal(crc32c(0, check, 9), 0xE3069283u);
	assert_int_equal(crc32c(0, zeros, 32), 0x8A9136AAu);
	assert_int_equal(crc32c(0, ones, 32), 0x62A8AB43u);
	/* Continuing a CRC equals computing it at once. */
	assert_int_equal(crc32c(crc32c(0, check, 4), check + 4, 5), 0xE3069283u);
	/* Every table entry is its index run through eight reflected rounds. */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		assert_int_equal(crc32c_table[i], c);
	}
}

static void write_three(struct fake_platform *f)
{
	struct journal *j = NULL;

	assert_int_equal(journal_open(&j, &f->ops, "j", NULL), FERRY_OK);
	assert_int_equal(journal_append(j, JREC_BEGIN, 3, 0, 0xABCDEF, "rb-1"), FERRY_OK);
	assert_int_equal(journal_append(j, JREC_STARTED, 0, 1, 7, NULL), FERRY_OK);
	assert_int_equal(journal_append(j, JREC_FAILED, 0, 1, 1000, "unjoin: access denied"),
			 FERRY_OK);
	journal_free(j);
}

static void test_journal__replays_what_was_appended(void **state)
{
	struct fake_platform f;
	struct journal *j = NULL;
	bool torn = true;

	(void)state;
	fake_platform_init(&f, 0);
	write_three(&f);
	assert_int_equal(f.file_len, 16 + 24 + 4 + 24 + 24 + 21);
	assert_int_equal(journal_open(&j, &f.ops, "j", &torn), FERRY_OK);
	assert_false(torn);
	assert_int_equal(journal_count(j), 3);
	assert_int_equal(journal_get(j, 0)->seq, 1);
	assert_string_equal(journal_get(j, 0)->payload, "rb-1");
	assert_int_equal(journal_get(j, 0)->value, 0xABCDEF);
	assert_int_equal(journal_get(j, 1)->type, JREC_STARTED);
	assert_int_equal(journal_get(j, 1)->value, 7);
	assert_int_equal(journal_get(j, 2)->seq, 3);
	assert_string_equal(journal_get(j, 2)->payload, "unjoin: access denied");
	journal_free(j);
	fake_platform_free(&f);
}

static void test_journal__replays_after_torn_write(void **state)
{
	size_t full, prefix = 16 + 24 + 4 + 24, last = 24 + 21;

	(void)state;
	/* Cut the last record at every byte offset: the journal is the first two
	 * records, and the file is rewritten to exactly those before any append. */
	for (size_t cut = 0; cut < last; cut++) {
		struct fake_platform f;
		struct journal *j = NULL;
		bool torn = false;

		fake_platform_init(&f, 0);
		write_three(&f);
		full = f.file_len;
		f.file_len = f.file_synced = prefix + cut;
		assert_int_equal(journal_open(&j, &f.ops, "j", &torn), FERRY_OK);
		assert_int_equal(journal_count(j), 2);
		assert_int_equal(torn, cut != 0);
		assert_int_equal(f.file_len, prefix);
		assert_int_equal(journal_append(j, JREC_DONE, 0, 0, 5, NULL), FERRY_OK);
		assert_int_equal(journal_get(j, 2)->seq, 3);
		assert_int_equal(f.file_len, full - 21);
		journal_free(j);
		fake_platform_free(&f);
	}
}

static void test_journal__stops_at_corrupt_or_out_of_sequence_record(void **state)
{
	struct fake_platform f;
	struct journal *j = NULL;
	bool torn = false;

	(void)state;
	fake_platform_init(&f, 0);
	write_three(&f);
	f.file[16 + 24 + 4 + 24 + 20] ^= 0x01; /* a bit of the third record's value */
	assert_int_equal(journal_open(&j, &f.ops, "j", &torn), FERRY_OK);
	assert_true(torn);
	assert_int_equal(journal_count(j), 2);
	journal_free(j);
	fake_platform_free(&f);

	/* A valid CRC with the wrong sequence number is not part of the journal. */
	fake_platform_init(&f, 0);
	write_three(&f);
	{
		uint8_t *r = f.file + 16 + 24 + 4;

		r[4] = 9; /* seq 2 -> 9, then re-seal the CRC */
		put_u32le(r, crc32c(0, r + 4, 20));
	}
	assert_int_equal(journal_open(&j, &f.ops, "j", &torn), FERRY_OK);
	assert_int_equal(journal_count(j), 1);
	journal_free(j);
	fake_platform_free(&f);
}

static void test_journal__refuses_foreign_header(void **state)
{
	struct fake_platform f;
	struct journal *j = NULL;

	(void)state;
	fake_platform_init(&f, 0);
	write_three(&f);
	f.file[3] = 'X';
	assert_int_equal(journal_open(&j, &f.ops, "j", NULL), FERRY_ECORRUPT);
	assert_null(j);
	fake_platform_free(&f);
}

static void test_journal__compaction_replaces_atomically(void **state)
{
	struct fake_platform f;
	struct journal *j = NULL;
	struct journal_record keep[2];
	unsigned long writes;

	(void)state;
	fake_platform_init(&f, 0);
	write_three(&f);
	assert_int_equal(journal_open(&j, &f.ops, "j", NULL), FERRY_OK);
	keep[0] = *journal_get(j, 0);
	memset(&keep[1], 0, sizeof(keep[1]));
	keep[1].type = JREC_CHECKPOINT;
	keep[1].step = 1;
	/* A crash at the replace leaves the old journal whole. */
	f.crash_at_write = f.writes + 1;
	assert_int_not_equal(journal_compact(j, keep, 2), FERRY_OK);
	assert_int_equal(journal_count(j), 3);
	fake_platform_power_cycle(&f);
	writes = f.writes;
	assert_int_equal(journal_compact(j, keep, 2), FERRY_OK);
	assert_int_equal(f.writes, writes + 1);
	assert_int_equal(journal_count(j), 2);
	/* Sequence numbers continue after compaction. */
	assert_int_equal(journal_get(j, 0)->seq, 4);
	assert_int_equal(journal_get(j, 1)->seq, 5);
	journal_free(j);
	assert_int_equal(journal_open(&j, &f.ops, "j", NULL), FERRY_OK);
	assert_int_equal(journal_count(j), 2);
	assert_int_equal(journal_get(j, 1)->type, JREC_CHECKPOINT);
	journal_free(j);
	fake_platform_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal__crc32c_matches_castagnoli),
		cmocka_unit_test(test_journal__replays_what_was_appended),
		cmocka_unit_test(test_journal__replays_after_torn_write),
		cmocka_unit_test(test_journal__stops_at_corrupt_or_out_of_sequence_record),
		cmocka_unit_test(test_journal__refuses_foreign_header),
		cmocka_unit_test(test_journal__compaction_replaces_atomically),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
