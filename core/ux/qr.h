/*
 * The QR code beside the logo on the cache-credentials tile: a URL turned
 * into a square matrix of modules, which the tile and ferry-preview paint
 * with GDI. A thin wrapper over libqrencode: this file owns the input rule,
 * the quiet zone and the memory; libqrencode owns the symbol.
 *
 * Input rule: the URL is 1..QR_URL_MAX bytes of printable ASCII
 * (0x21..0x7E). A URL with non-ASCII characters must arrive percent-encoded
 * (RFC 3986); refusing raw UTF-8 avoids depending on how a phone's scanner
 * guesses the charset of QR byte mode (ISO-8859-1 by the standard, UTF-8 by
 * habit). Spaces and control characters are refused too: they cannot be
 * part of a URL and would hint at a runbook typo.
 *
 * Encoding: byte mode, error correction level M, the smallest version that
 * fits; no mask or version is forced, so the symbol is libqrencode's.
 */
#ifndef FERRY_UX_QR_H
#define FERRY_UX_QR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * 512 bytes fits version 18 at level M (89x89 modules). A tile image of at
 * most 500x250 pixels leaves about 250 pixels for the code: 2 pixels per
 * module, the least a phone camera reads reliably at a screen's distance.
 */
#define QR_URL_MAX 512u

/* The standard's quiet zone is 4 modules; more than 16 is a caller's bug. */
#define QR_QUIET_STANDARD 4u
#define QR_QUIET_MAX 16u

struct qr_matrix {
	size_t size;      /* modules per side, quiet zone included */
	int version;      /* QR version 1..40 */
	uint8_t *modules; /* size*size bytes, row-major; 1 = dark, 0 = light */
};

/**
 * Encode url (NUL-terminated) with a quiet zone of `quiet` light modules
 * on each side. On success the caller frees *out with qr_matrix_free. On
 * failure *out is NULL: FERRY_EINVAL for a NULL argument or a quiet zone
 * over QR_QUIET_MAX, FERRY_ECORRUPT for a character outside the rule
 * (detail gives its offset), FERRY_ERANGE for an empty or too long URL,
 * FERRY_ENOMEM.
 */
ferry_err qr_matrix_from_url(struct qr_matrix **out, const char *url, size_t quiet);

/** Free; NULL-safe. */
void qr_matrix_free(struct qr_matrix *m);

/** 1 when the module at column x, row y is dark; 0 when light or outside. */
int qr_matrix_dark(const struct qr_matrix *m, size_t x, size_t y);

#endif
