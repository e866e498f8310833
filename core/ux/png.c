/*
 * PNG encoder (see png.h for what it writes). The file, byte by byte:
 *
 *   0   8  signature 89 50 4E 47 0D 0A 1A 0A
 *   8  25  IHDR: length 13 (BE), "IHDR", width (BE u32), height (BE u32),
 *          bit depth 8, colour type 2 or 6, compression 0, filter 0,
 *          interlace 0, CRC-32 of type+data (BE)
 *   33  .  IDAT: length (BE), "IDAT", zlib stream, CRC-32
 *   .  12  IEND: length 0, "IEND", CRC AE 42 60 82
 *
 * The zlib stream (RFC 1950): CMF 0x78 (deflate, 32 KiB window), FLG 0x01
 * ((CMF*256+FLG) % 31 == 0, no dictionary, fastest level), one final
 * deflate block with fixed Huffman codes (BFINAL=1, BTYPE=01), then the
 * Adler-32 of the uncompressed bytes, big-endian.
 *
 * The uncompressed bytes are, per row, one filter-type byte and then
 * width * bpp filtered bytes (bpp 3 for RGB, 4 for RGBA).
 *
 * Invariants:
 *   1. Every match has length 3..258 and distance 1..32768, and never
 *      reaches before the start of the data or past its end.
 *   2. Hash chains only hold positions already emitted; a chain walk stops
 *      at the first position more than 32768 bytes back, so the ring of
 *      `prev` links is never read after being overwritten.
 *   3. Sizes: width, height <= PNG_MAX_SIDE, so height * (1 + 4 * width)
 *      fits in 31 bits and no size computation overflows.
 */
#include "ux/png.h"

#include <string.h>

#include "util/mem.h"

#define WSIZE 32768u
#define WMASK (WSIZE - 1u)
#define HASH_BITS 15u
#define HASH_SIZE (1u << HASH_BITS)
#define MIN_MATCH 3u
#define MAX_MATCH 258u
#define MAX_CHAIN 48u

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
				      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
				      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
				       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
				       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
				       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

uint32_t png_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

uint32_t png_adler32(uint32_t adler, const uint8_t *p, size_t n)
{
	uint32_t a = adler & 0xFFFFu, b = adler >> 16;

	while (n) {
		/* 5552 is the most bytes before b can overflow 32 bits (zlib's NMAX). */
		size_t chunk = n < 5552 ? n : 5552;

		n -= chunk;
		while (chunk--) {
			a += *p++;
			b += a;
		}
		a %= 65521u;
		b %= 65521u;
	}
	return (b << 16) | a;
}

/* An LSB-first bit writer into a growing array, bounded by `max`. */
struct bitw {
	uint8_t *p;
	size_t len, cap, max;
	uint64_t acc;
	unsigned n;
	ferry_err err;
};

static void bw_byte(struct bitw *w, uint8_t b)
{
	if (w->err)
		return;
	if (w->len == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 4096;
		uint8_t *np;

		if (ncap > w->max)
			ncap = w->max;
		if (w->len >= ncap) {
			w->err = ferry_error_set(FERRY_ERANGE, "png: output over %zu bytes", w->max);
			return;
		}
		np = ferry_realloc_array(w->p, ncap, 1);
		if (!np) {
			w->err = ferry_error_set(FERRY_ENOMEM, "png: out of memory");
			return;
		}
		w->p = np;
		w->cap = ncap;
	}
	w->p[w->len++] = b;
}

static void bw_bits(struct bitw *w, uint32_t v, unsigned nbits)
{
	w->acc |= (uint64_t)v << w->n;
	w->n += nbits;
	while (w->n >= 8) {
		bw_byte(w, (uint8_t)w->acc);
		w->acc >>= 8;
		w->n -= 8;
	}
}

/* Huffman codes are defined MSB-first; the stream packs them LSB-first. */
static void bw_huff(struct bitw *w, uint32_t code, unsigned nbits)
{
	uint32_t r = 0;

	for (unsigned i = 0; i < nbits; i++)
		r |= ((code >> i) & 1u) << (nbits - 1 - i);
	bw_bits(w, r, nbits);
}

static void bw_flush(struct bitw *w)
{
	if (w->n)
		bw_bits(w, 0, 8 - w->n);
}

/* Fixed literal/length code (RFC 1951 3.2.6). */
static void put_litlen(struct bitw *w, unsigned sym)
{
	if (sym < 144)
		bw_huff(w, 0x30u + sym, 8);
	else if (sym < 256)
		bw_huff(w, 0x190u + (sym - 144), 9);
	else if (sym < 280)
		bw_huff(w, sym - 256, 7);
	else
		bw_huff(w, 0xC0u + (sym - 280), 8);
}

static void put_match(struct bitw *w, unsigned len, unsigned dist)
{
	unsigned i = 28;

	while (len_base[i] > len)
		i--;
	put_litlen(w, 257 + i);
	bw_bits(w, len - len_base[i], len_extra[i]);
	i = 29;
	while (dist_base[i] > dist)
		i--;
	bw_huff(w, i, 5);
	bw_bits(w, dist - dist_base[i], dist_extra[i]);
}

static uint32_t hash3(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Longest earlier match for data[i..n), walking the hash chain. */
static unsigned find_match(const uint8_t *d, size_t i, size_t n, const int32_t *head,
			   const int32_t *prev, unsigned *dist)
{
	size_t maxlen = n - i < MAX_MATCH ? n - i : MAX_MATCH;
	int32_t cand = head[hash3(d + i)];
	unsigned best = 0, chain = MAX_CHAIN;

	while (cand >= 0 && i - (size_t)cand <= WSIZE && chain--) {
		const uint8_t *a = d + cand, *b = d + i;
		size_t l = 0;

		if (a[best] == b[best]) {
			while (l < maxlen && a[l] == b[l])
				l++;
			if (l > best) {
				best = (unsigned)l;
				*dist = (unsigned)(i - (size_t)cand);
				if (l == maxlen)
					break;
			}
		}
		cand = prev[(size_t)cand & WMASK];
	}
	return best >= MIN_MATCH ? best : 0;
}

/* Deflate d[0..n) as one fixed-Huffman block into w. */
static ferry_err deflate_fixed(struct bitw *w, const uint8_t *d, size_t n)
{
	int32_t *head = ferry_malloc(HASH_SIZE * sizeof *head);
	int32_t *prev = ferry_malloc(WSIZE * sizeof *prev);
	size_t i = 0;

	if (!head || !prev) {
		ferry_free(head);
		ferry_free(prev);
		return ferry_error_set(FERRY_ENOMEM, "png: out of memory");
	}
	memset(head, 0xFF, HASH_SIZE * sizeof *head); /* -1: empty */
	bw_bits(w, 1, 1); /* BFINAL */
	bw_bits(w, 1, 2); /* BTYPE 01: fixed Huffman */
	while (i < n && !w->err) {
		unsigned len = 0, dist = 0, step;

		if (n - i >= MIN_MATCH)
			len = find_match(d, i, n, head, prev, &dist);
		if (len)
			put_match(w, len, dist);
		else
			put_litlen(w, d[i]);
		step = len ? len : 1;
		while (step--) {
			if (n - i >= MIN_MATCH) {
				uint32_t h = hash3(d + i);

				prev[i & WMASK] = head[h];
				head[h] = (int32_t)i;
			}
			i++;
		}
	}
	put_litlen(w, 256); /* end of block */
	bw_flush(w);
	ferry_free(head);
	ferry_free(prev);
	return w->err;
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = (int)a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p;
	int pc = p > c ? p - c : c - p;

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* One row of img as RGB(A) bytes into line[0..w*bpp). */
static void row_pixels(uint8_t *line, const struct png_image *img, uint32_t y, unsigned bpp)
{
	const uint8_t *s = img->pixels + (size_t)y * img->stride;

	for (uint32_t x = 0; x < img->width; x++, s += 4, line += bpp) {
		unsigned r = s[2], g = s[1], b = s[0], a = s[3];

		if (img->layout == PNG_RGBA) {
			r = s[0];
			b = s[2];
		} else if (img->layout == PNG_BGRA_PREMULTIPLIED && bpp == 4 && a < 255) {
			r = a ? (r * 255 + a / 2) / a : 0;
			g = a ? (g * 255 + a / 2) / a : 0;
			b = a ? (b * 255 + a / 2) / a : 0;
			r = r > 255 ? 255 : r;
			g = g > 255 ? 255 : g;
			b = b > 255 ? 255 : b;
		}
		line[0] = (uint8_t)r;
		line[1] = (uint8_t)g;
		line[2] = (uint8_t)b;
		if (bpp == 4)
			line[3] = (uint8_t)a;
	}
}

/* Filter cur (prev = the row above, zeros for the first) into out[0..1+rl),
 * choosing the filter with the least sum of absolute (signed) bytes. */
static void filter_row(uint8_t *out, uint8_t *cand, const uint8_t *cur, const uint8_t *prev,
		       size_t rl, unsigned bpp)
{
	unsigned long best = ~0ul;

	for (uint8_t f = 0; f < 5; f++) {
		unsigned long sum = 0;

		if (f == 3)
			continue; /* Average rarely wins on flat UI pictures; skip it */
		cand[0] = f;
		for (size_t i = 0; i < rl; i++) {
			uint8_t a = i >= bpp ? cur[i - bpp] : 0, b = prev[i];
			uint8_t c = i >= bpp ? prev[i - bpp] : 0, v = cur[i];

			if (f == 1)
				v = (uint8_t)(v - a);
			else if (f == 2)
				v = (uint8_t)(v - b);
			else if (f == 4)
				v = (uint8_t)(v - paeth(a, b, c));
			cand[1 + i] = v;
			sum += v < 128 ? v : 256u - v;
		}
		if (sum < best) {
			best = sum;
			memcpy(out, cand, 1 + rl);
		}
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static ferry_err put_chunk(struct ferry_buf *out, const char *type, const uint8_t *data, size_t n)
{
	uint8_t hdr[8], crcb[4];
	uint32_t crc;
	ferry_err rc;

	if (n > 0x7FFFFFFFu)
		return ferry_error_set(FERRY_ERANGE, "png: chunk of %zu bytes", n);
	put_be32(hdr, (uint32_t)n);
	memcpy(hdr + 4, type, 4);
	crc = png_crc32(png_crc32(0, hdr + 4, 4), data, n);
	put_be32(crcb, crc);
	rc = ferry_buf_append(out, hdr, 8);
	if (!rc && n)
		rc = ferry_buf_append(out, data, n);
	if (!rc)
		rc = ferry_buf_append(out, crcb, 4);
	return rc;
}

/* The filtered scanlines, as png.c's header draws them. */
static ferry_err filter_image(uint8_t **out, size_t *outlen, const struct png_image *img,
			      unsigned bpp)
{
	size_t rl = (size_t)img->width * bpp, total = (size_t)img->height * (1 + rl);
	uint8_t *raw = ferry_malloc(total), *cur = ferry_calloc(2, rl), *cand = ferry_malloc(1 + rl);
	uint8_t *prev = cur ? cur + rl : NULL;

	*out = NULL;
	if (!raw || !cur || !cand) {
		ferry_free(raw);
		ferry_free(cur);
		ferry_free(cand);
		return ferry_error_set(FERRY_ENOMEM, "png: out of memory for %zu bytes", total);
	}
	for (uint32_t y = 0; y < img->height; y++) {
		uint8_t *t;

		row_pixels(cur, img, y, bpp);
		filter_row(raw + (size_t)y * (1 + rl), cand, cur, prev, rl, bpp);
		t = cur; /* the row just done is the next row's "above" */
		cur = prev;
		prev = t;
	}
	ferry_free(cur < prev ? cur : prev);
	ferry_free(cand);
	*out = raw;
	*outlen = total;
	return FERRY_OK;
}

ferry_err png_encode(struct ferry_buf *out, const struct png_image *img)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
	struct bitw w = {0};
	uint8_t ihdr[13], *raw = NULL, trailer[4];
	size_t rawlen = 0;
	unsigned bpp;
	ferry_err rc;

	if (!out || !img || !img->pixels || !img->width || !img->height ||
	    img->width > PNG_MAX_SIDE || img->height > PNG_MAX_SIDE ||
	    img->stride < (size_t)img->width * 4)
		return ferry_error_set(FERRY_EINVAL, "png: bad image (%ux%u)",
				       img ? (unsigned)img->width : 0u,
				       img ? (unsigned)img->height : 0u);
	bpp = img->keep_alpha ? 4 : 3;
	rc = filter_image(&raw, &rawlen, img, bpp);
	if (rc)
		return rc;
	w.max = out->max;
	bw_byte(&w, 0x78);
	bw_byte(&w, 0x01);
	rc = deflate_fixed(&w, raw, rawlen);
	put_be32(trailer, png_adler32(1, raw, rawlen));
	for (int i = 0; i < 4; i++)
		bw_byte(&w, trailer[i]);
	if (!rc)
		rc = w.err;
	put_be32(ihdr, img->width);
	put_be32(ihdr + 4, img->height);
	ihdr[8] = 8;
	ihdr[9] = img->keep_alpha ? 6 : 2;
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	if (!rc)
		rc = ferry_buf_append(out, sig, sizeof sig);
	if (!rc)
		rc = put_chunk(out, "IHDR", ihdr, sizeof ihdr);
	if (!rc)
		rc = put_chunk(out, "IDAT", w.p, w.len);
	if (!rc)
		rc = put_chunk(out, "IEND", NULL, 0);
	ferry_free(w.p);
	ferry_free(raw);
	return rc;
}
