/*
 * Test tool: render qr_matrix_from_url(URL) as a binary PGM (P5), SCALE
 * pixels per module, so an independent decoder (zbarimg) can read it back.
 * Usage: qr_pgm URL SCALE OUT.pgm
 */
#include <stdio.h>
#include <stdlib.h>

#include "ux/qr.h"

int main(int argc, char **argv)
{
	struct qr_matrix *m = NULL;
	unsigned long scale;
	FILE *f = NULL;
	int rc = 1;

	if (argc != 4 || (scale = strtoul(argv[2], NULL, 10)) == 0 || scale > 32) {
		fprintf(stderr, "usage: qr_pgm URL SCALE(1..32) OUT.pgm\n");
		return 64;
	}
	if (qr_matrix_from_url(&m, argv[1], QR_QUIET_STANDARD) != FERRY_OK) {
		fprintf(stderr, "qr_pgm: %s\n", ferry_error_detail());
		return 1;
	}
	f = fopen(argv[3], "wb");
	if (!f)
		goto out;
	fprintf(f, "P5\n%lu %lu\n255\n", (unsigned long)m->size * scale,
		(unsigned long)m->size * scale);
	for (size_t y = 0; y < m->size * scale; y++)
		for (size_t x = 0; x < m->size * scale; x++)
			fputc(qr_matrix_dark(m, x / scale, y / scale) ? 0 : 255, f);
	rc = fclose(f) == 0 ? 0 : 1;
out:
	if (rc)
		fprintf(stderr, "qr_pgm: cannot write %s\n", argv[3]);
	qr_matrix_free(m);
	return rc;
}
