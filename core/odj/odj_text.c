/*
 * ODJ text form: base64 of the binary form. `djoin /savefile` writes it as
 * UTF-16LE with a BOM (FF FE) and one trailing NUL character; admins also
 * hand around 8-bit copies. Accepted here: a UTF-16LE BOM, UTF-16LE without
 * one (detected by a zero second byte), a UTF-8 BOM or plain 8-bit text, then
 * base64 with optional whitespace, then trailing NULs, CR/LF or whitespace.
 * Every character must be ASCII; anything else is FERRY_ECORRUPT naming the
 * byte offset in the file.
 */
#include <string.h>

#include "odj/odj.h"
#include "odj/odj_internal.h"
#include "util/base64.h"
#include "util/bytes.h"

static bool trailing(uint16_t c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Narrow the text to ASCII in *ascii (a secret-sized scratch buffer). */
static ferry_err narrow(char *ascii, size_t *n, const uint8_t *t, size_t len, bool wide,
			size_t skip)
{
	size_t unit = wide ? 2 : 1, count, i, end;

	if (wide && (len - skip) % 2)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ text: UTF-16 text has an odd length (%zu bytes)",
				       len);
	count = (len - skip) / unit;
	end = count;
	while (end > 0 && trailing(wide ? get_u16le(t + skip + 2 * (end - 1)) : t[skip + end - 1]))
		end--;
	for (i = 0; i < end; i++) {
		uint16_t c = wide ? get_u16le(t + skip + 2 * i) : t[skip + i];

		if (c == 0 || c > 0x7f)
			return ferry_error_set(FERRY_ECORRUPT,
					       "ODJ text: character 0x%x at offset %zu is not base64",
					       c, skip + i * unit);
		ascii[i] = (char)c;
	}
	*n = end;
	return FERRY_OK;
}

ferry_err odj_text_decode(struct ferry_secret **out, const uint8_t *text, size_t len)
{
	bool wide = false;
	size_t skip = 0, n = 0, blen = 0;
	char *ascii = NULL;
	uint8_t *bin = NULL;
	ferry_err rc;

	*out = NULL;
	if (len >= 2 && text[0] == 0xff && text[1] == 0xfe) {
		wide = true;
		skip = 2;
	} else if (len >= 3 && text[0] == 0xef && text[1] == 0xbb && text[2] == 0xbf) {
		skip = 3;
	} else if (len >= 2 && text[0] != 0 && text[1] == 0) {
		wide = true;
	}
	ascii = ferry_malloc(len + 1);
	if (!ascii)
		return odj_oom();
	rc = narrow(ascii, &n, text, len, wide, skip);
	if (rc)
		goto out;
	if (n == 0) {
		rc = ferry_error_set(FERRY_ECORRUPT, "ODJ text: no base64 text in %zu bytes", len);
		goto out;
	}
	rc = ferry_base64_decode(&bin, &blen, ascii, n);
	if (rc) {
		rc = ferry_error_wrap(rc, "ODJ text (character offsets after the BOM): ");
		goto out;
	}
	rc = ferry_secret_from(out, bin, blen);
out:
	if (bin) {
		ferry_wipe(bin, blen);
		ferry_free(bin);
	}
	ferry_wipe(ascii, len + 1);
	ferry_free(ascii);
	return rc;
}

ferry_err odj_text_encode(struct ferry_secret **out, const uint8_t *bin, size_t len)
{
	char *b64 = NULL;
	size_t n, i;
	ferry_err rc;

	*out = NULL;
	rc = ferry_base64_encode(&b64, bin, len);
	if (rc)
		return rc;
	n = strlen(b64);
	/* BOM + one UTF-16 unit per character + the trailing NUL. */
	rc = ferry_secret_new(out, 2 + 2 * n + 2);
	if (!rc) {
		(*out)->data[0] = 0xff;
		(*out)->data[1] = 0xfe;
		for (i = 0; i < n; i++)
			put_u16le((*out)->data + 2 + 2 * i, (uint8_t)b64[i]);
	}
	ferry_wipe(b64, n);
	ferry_free(b64);
	return rc;
}
