/*
 * QR matrix from a URL (see qr.h). libqrencode's QRcode has `width`
 * modules per side and one byte per module whose bit 0 is "dark"; the
 * other bits describe the module's role and are dropped here.
 *
 * Invariants:
 *  1. m->size == symbol width + 2 * quiet; m->modules has size*size bytes.
 *  2. Every module of the quiet zone is 0; every byte is 0 or 1.
 *  3. libqrencode's allocations never escape this file (QRcode_free).
 */
#include "ux/qr.h"

#include <errno.h>
#include <string.h>

#include <qrencode.h>

#include "util/mem.h"

static ferry_err check_url(const char *url, size_t *len_out)
{
	size_t len = 0;

	while (len <= QR_URL_MAX && url[len] != '\0') {
		unsigned char c = (unsigned char)url[len];

		if (c < 0x21 || c > 0x7E)
			return ferry_error_set(FERRY_ECORRUPT,
					       "QR URL: byte 0x%02x at offset %zu is not printable "
					       "ASCII (percent-encode it)",
					       c, len);
		len++;
	}
	if (len == 0)
		return ferry_error_set(FERRY_ERANGE, "QR URL: empty");
	if (len > QR_URL_MAX)
		return ferry_error_set(FERRY_ERANGE, "QR URL: longer than %u bytes", QR_URL_MAX);
	*len_out = len;
	return FERRY_OK;
}

static ferry_err encode(QRcode **out, const char *url, size_t len)
{
	errno = 0;
	*out = QRcode_encodeData((int)len, (const unsigned char *)url, 0, QR_ECLEVEL_M);
	if (*out)
		return FERRY_OK;
	if (errno == ENOMEM)
		return ferry_error_set(FERRY_ENOMEM, "QR URL: libqrencode out of memory");
	if (errno == ERANGE)
		return ferry_error_set(FERRY_ERANGE, "QR URL: too long for a QR code");
	return ferry_error_set(FERRY_ESYSTEM, "QR URL: libqrencode failed (errno %d)", errno);
}

ferry_err qr_matrix_from_url(struct qr_matrix **out, const char *url, size_t quiet)
{
	struct qr_matrix *m = NULL;
	QRcode *code = NULL;
	size_t len = 0, width;
	ferry_err rc;

	if (!out)
		return ferry_error_set(FERRY_EINVAL, "QR: no output");
	*out = NULL;
	if (!url)
		return ferry_error_set(FERRY_EINVAL, "QR: no URL");
	if (quiet > QR_QUIET_MAX)
		return ferry_error_set(FERRY_EINVAL, "QR: quiet zone %zu over %u modules", quiet,
				       QR_QUIET_MAX);
	rc = check_url(url, &len);
	if (rc == FERRY_OK)
		rc = encode(&code, url, len);
	if (rc != FERRY_OK)
		goto out;

	width = (size_t)code->width;
	m = ferry_calloc(1, sizeof(*m));
	if (m) {
		m->size = width + 2 * quiet;
		m->version = code->version;
		m->modules = ferry_calloc(m->size, m->size);
	}
	if (!m || !m->modules) {
		rc = ferry_error_set(FERRY_ENOMEM, "QR: allocating a %zu-module matrix", width);
		goto out;
	}
	for (size_t y = 0; y < width; y++)
		for (size_t x = 0; x < width; x++)
			m->modules[(y + quiet) * m->size + x + quiet] = code->data[y * width + x] & 1;
	*out = m;
	m = NULL;
out:
	qr_matrix_free(m);
	if (code)
		QRcode_free(code);
	return rc;
}

void qr_matrix_free(struct qr_matrix *m)
{
	if (!m)
		return;
	ferry_free(m->modules);
	ferry_free(m);
}

int qr_matrix_dark(const struct qr_matrix *m, size_t x, size_t y)
{
	if (!m || x >= m->size || y >= m->size)
		return 0;
	return m->modules[y * m->size + x];
}
