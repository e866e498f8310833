/*
 * A small PNG encoder for the pictures Ferry composes (tile image, lock
 * screen, ferry-preview's screens). Portable, so it is tested natively and
 * decoded by independent decoders (tests/ux/png_check.py: Python's zlib).
 *
 * Output: 8-bit truecolour (colour type 2, RGB) when every pixel is opaque
 * or alpha is ignored, else truecolour with alpha (colour type 6, RGBA,
 * straight alpha), non-interlaced. One IDAT chunk holding a zlib stream of
 * fixed-Huffman deflate blocks (RFC 1951 3.2.6) with LZ77 matches, rows
 * filtered per row with the filter (None/Sub/Up/Paeth) that minimises the
 * sum of absolute byte values (the PNG spec's recommended heuristic).
 */
#ifndef FERRY_UX_PNG_H
#define FERRY_UX_PNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* Largest side accepted: 16384 px keeps every size computation far from
 * SIZE_MAX on 32-bit hosts and covers an 8K lock-screen image twice. */
#define PNG_MAX_SIDE 16384u

/* Pixel layout of the input rows: 4 bytes per pixel in this byte order.
 * BGRA is a 32-bpp Windows DIB section's layout. Premultiplied input
 * (GDI's AlphaBlend convention) is un-premultiplied on the way out. */
enum png_layout { PNG_BGRA, PNG_RGBA, PNG_BGRA_PREMULTIPLIED };

struct png_image {
	uint32_t width, height;
	size_t stride;        /* bytes from one row to the next, >= 4 * width */
	const uint8_t *pixels; /* top row first */
	enum png_layout layout;
	bool keep_alpha;      /* false: write RGB and drop the alpha byte */
};

/**
 * Append the PNG file for img to out (which bounds the size). FERRY_EINVAL
 * for a NULL or inconsistent image (zero or over PNG_MAX_SIDE sides, stride
 * too short), FERRY_ERANGE when out's maximum is reached, FERRY_ENOMEM.
 */
ferry_err png_encode(struct ferry_buf *out, const struct png_image *img);

/** CRC-32 (ISO 3309, as PNG chunks use), continuing from crc (0 to start). */
uint32_t png_crc32(uint32_t crc, const uint8_t *p, size_t n);

/** Adler-32 (RFC 1950), continuing from adler (1 to start). */
uint32_t png_adler32(uint32_t adler, const uint8_t *p, size_t n);

#endif
