/* core/ux/png: checksums against published values, the file's fixed parts,
 * refusals, bounded output and allocation failures. The pixels themselves
 * are checked by an independent decoder (tests/ux/png_check.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/bytes.h"
#include "util/mem.h"
#include "ux/png.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_png__crc32_matches_check_value(void **state)
{
	(void)state;
	/* The CRC-32 "check" value of the ASCII digits 1..9. */
	assert_int_equal(png_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
	/* Continuation equals one pass. */
	assert_int_equal(png_crc32(png_crc32(0, (const uint8_t *)"1234", 4),
				   (const uint8_t *)"56789", 5), 0xCBF43926u);
}

static void test_png__adler32_matches_published_value(void **state)
{
	static uint8_t big[100000];

	(void)state;
	/* RFC 1950's example as Wikipedia quotes it. */
	assert_int_equal(png_adler32(1, (const uint8_t *)"Wikipedia", 9), 0x11E60398u);
	/* Past the 5552-byte reduction interval: all 0xFF bytes, computed
	 * independently (a = 1 + 255n mod 65521, b = sum of a's). */
	memset(big, 0xFF, sizeof big);
	{
		uint64_t a = 1, b = 0;

		for (size_t i = 0; i < sizeof big; i++) {
			a = (a + 255) % 65521;
			b = (b + a) % 65521;
		}
		assert_int_equal(png_adler32(1, big, sizeof big), (uint32_t)(b << 16 | a));
	}
}

static void test_png__header_and_chunks_are_well_formed(void **state)
{
	uint8_t px[3 * 2 * 4];
	struct png_image img = {3, 2, 12, px, PNG_BGRA, false};
	struct ferry_buf b;

	(void)state;
	memset(px, 0x40, sizeof px);
	ferry_buf_init(&b, 1u << 20);
	assert_int_equal(png_encode(&b, &img), FERRY_OK);
	assert_memory_equal(b.data, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(be32(b.data + 8), 13);
	assert_memory_equal(b.data + 12, "IHDR", 4);
	assert_int_equal(be32(b.data + 16), 3);
	assert_int_equal(be32(b.data + 20), 2);
	assert_int_equal(b.data[24], 8); /* bit depth */
	assert_int_equal(b.data[25], 2); /* RGB */
	assert_int_equal(be32(b.data + 29), png_crc32(0, b.data + 12, 17));
	assert_memory_equal(b.data + 37, "IDAT", 4);
	assert_int_equal(b.data[41], 0x78); /* zlib CMF */
	assert_int_equal((b.data[41] * 256 + b.data[42]) % 31, 0);
	/* IEND closes the file with its constant CRC. */
	assert_memory_equal(b.data + b.len - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
	ferry_buf_free(&b);
}

static void test_png__alpha_selects_colour_type_6(void **state)
{
	uint8_t px[4] = {1, 2, 3, 4};
	struct png_image img = {1, 1, 4, px, PNG_RGBA, true};
	struct ferry_buf b;

	(void)state;
	ferry_buf_init(&b, 4096);
	assert_int_equal(png_encode(&b, &img), FERRY_OK);
	assert_int_equal(b.data[25], 6);
	ferry_buf_free(&b);
}

static void test_png__flat_image_compresses(void **state)
{
	enum { W = 512, H = 512 };
	uint8_t *px = ferry_malloc((size_t)W * H * 4);
	struct png_image img = {W, H, W * 4, px, PNG_BGRA, false};
	struct ferry_buf b;

	(void)state;
	assert_non_null(px);
	memset(px, 0xC0, (size_t)W * H * 4);
	ferry_buf_init(&b, 1u << 22);
	assert_int_equal(png_encode(&b, &img), FERRY_OK);
	/* 786,944 filtered bytes; matches of 258 bytes cost about 14 bits
	 * each, so about 5.3 KB; stored blocks would take 787 KB. */
	assert_true(b.len < 8192);
	ferry_buf_free(&b);
	ferry_free(px);
}

static void test_png__refuses_bad_images(void **state)
{
	uint8_t px[16] = {0};
	struct png_image img = {2, 2, 8, px, PNG_BGRA, false};
	struct ferry_buf b;

	(void)state;
	ferry_buf_init(&b, 4096);
	img.stride = 7; /* shorter than 4 * width */
	assert_int_equal(png_encode(&b, &img), FERRY_EINVAL);
	img.stride = 8;
	img.width = 0;
	assert_int_equal(png_encode(&b, &img), FERRY_EINVAL);
	img.width = PNG_MAX_SIDE + 1;
	img.stride = (size_t)img.width * 4;
	assert_int_equal(png_encode(&b, &img), FERRY_EINVAL);
	img.pixels = NULL;
	assert_int_equal(png_encode(&b, &img), FERRY_EINVAL);
	assert_int_equal(png_encode(&b, NULL), FERRY_EINVAL);
	assert_int_equal(b.len, 0);
	ferry_buf_free(&b);
}

static void test_png__output_maximum_is_enforced(void **state)
{
	enum { W = 64, H = 64 };
	uint8_t px[W * H * 4];
	struct png_image img = {W, H, W * 4, px, PNG_BGRA, true};
	struct ferry_buf b;
	uint32_t s = 1;

	(void)state;
	for (size_t i = 0; i < sizeof px; i++) { /* incompressible noise */
		s = s * 1103515245u + 12345u;
		px[i] = (uint8_t)(s >> 24);
	}
	ferry_buf_init(&b, 1000);
	assert_int_equal(png_encode(&b, &img), FERRY_ERANGE);
	ferry_buf_free(&b);
}

static void test_png__allocation_failures_are_reported(void **state)
{
	uint8_t px[8 * 8 * 4];
	struct png_image img = {8, 8, 32, px, PNG_BGRA, false};
	unsigned long n;

	(void)state;
	memset(px, 0x11, sizeof px);
	for (n = 1;; n++) { /* 1-based: the nth allocation fails */
		struct ferry_buf b;
		ferry_err rc;

		ferry_buf_init(&b, 1u << 16);
		ferry_alloc_fail_after(n);
		rc = png_encode(&b, &img);
		ferry_alloc_fail_after(0);
		ferry_buf_free(&b);
		if (rc == FERRY_OK)
			break;
		assert_int_equal(rc, FERRY_ENOMEM);
		assert_true(n < 64);
	}
	assert_true(n > 1); /* at least one allocation was failed and reported */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png__crc32_matches_check_value),
		cmocka_unit_test(test_png__adler32_matches_published_value),
		cmocka_unit_test(test_png__header_and_chunks_are_well_formed),
		cmocka_unit_test(test_png__alpha_selects_colour_type_6),
		cmocka_unit_test(test_png__flat_image_compresses),
		cmocka_unit_test(test_png__refuses_bad_images),
		cmocka_unit_test(test_png__output_maximum_is_enforced),
		cmocka_unit_test(test_png__allocation_failures_are_reported),
	};
	return cmocka_run_group_tests_name("png", tests, NULL, NULL);
}
