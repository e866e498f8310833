/*
 * Test tool: encode deterministic pictures with core/ux/png and write, for
 * each, NAME.png and NAME.bgra (the input pixels, 4 bytes each, top row
 * first), so tests/ux/png_check.py can decode the PNG independently and
 * compare. Usage: png_gen OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "ux/png.h"

struct pic {
	const char *name;
	unsigned w, h;
	int pattern;  /* 0 gradient, 1 noise, 2 flat with a box, 3 alpha ramp */
	enum png_layout layout;
	int alpha;
};

static const struct pic pics[] = {
	{"one_pixel", 1, 1, 0, PNG_BGRA, 0},
	{"column", 1, 300, 0, PNG_BGRA, 0},
	{"row", 300, 1, 1, PNG_BGRA, 0},
	{"gradient", 257, 129, 0, PNG_BGRA, 0},
	{"noise", 640, 480, 1, PNG_BGRA, 0},
	{"flat_box", 1000, 600, 2, PNG_BGRA, 0},
	{"alpha_rgba", 200, 150, 3, PNG_RGBA, 1},
	{"noise_alpha", 123, 77, 1, PNG_BGRA, 1},
};

static void fill(uint8_t *px, const struct pic *p)
{
	uint32_t s = 12345u;

	for (unsigned y = 0; y < p->h; y++)
		for (unsigned x = 0; x < p->w; x++) {
			uint8_t *q = px + ((size_t)y * p->w + x) * 4;

			switch (p->pattern) {
			case 0:
				q[0] = (uint8_t)(x * 7 + y * 3);
				q[1] = (uint8_t)(x ^ y);
				q[2] = (uint8_t)(x * y);
				q[3] = 255;
				break;
			case 1:
				for (int c = 0; c < 4; c++) {
					s = s * 1103515245u + 12345u;
					q[c] = (uint8_t)(s >> 24);
				}
				break;
			case 2: {
				int in = x >= 100 && x < 700 && y >= 50 && y < 400;

				q[0] = in ? 0xFF : 0x99;
				q[1] = in ? 0xFF : 0x66;
				q[2] = in ? 0xFF : 0x33;
				q[3] = 255;
				break;
			}
			default:
				q[0] = (uint8_t)x;
				q[1] = (uint8_t)y;
				q[2] = 0x80;
				q[3] = (uint8_t)(x + y);
				break;
			}
		}
}

static int write_file(const char *dir, const char *name, const char *ext, const void *p, size_t n)
{
	char path[1024];
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: png_gen OUTDIR\n");
		return 64;
	}
	for (size_t i = 0; i < sizeof pics / sizeof pics[0]; i++) {
		const struct pic *p = &pics[i];
		size_t n = (size_t)p->w * p->h * 4;
		uint8_t *px = ferry_malloc(n);
		struct png_image img = {p->w, p->h, (size_t)p->w * 4, px, p->layout, p->alpha != 0};
		struct ferry_buf b;

		if (!px)
			return 1;
		fill(px, p);
		ferry_buf_init(&b, 64u << 20);
		if (png_encode(&b, &img) != FERRY_OK) {
			fprintf(stderr, "png_gen: %s: %s\n", p->name, ferry_error_detail());
			return 1;
		}
		if (write_file(argv[1], p->name, "png", b.data, b.len) ||
		    write_file(argv[1], p->name, "bgra", px, n)) {
			fprintf(stderr, "png_gen: cannot write %s\n", p->name);
			return 1;
		}
		printf("%s %ux%u %s: %lu bytes (raw %lu)\n", p->name, p->w, p->h,
		       p->alpha ? "RGBA" : "RGB", (unsigned long)b.len, (unsigned long)n);
		ferry_buf_free(&b);
		ferry_free(px);
	}
	return 0;
}
