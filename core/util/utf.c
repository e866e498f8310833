#include "util/utf.h"

#include "util/mem.h"

/*
 * Decode one code point at s[*i]; advance *i. Returns the code point, or -1
 * for an invalid sequence (the caller reports *i, the sequence's start).
 */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	size_t at = *i;
	unsigned char c = s[at];
	size_t need;
	long cp, min;

	if (c < 0x80) {
		*i = at + 1;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		need = 1, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len - at - 1 < need)
		return -1;
	for (size_t k = 1; k <= need; k++) {
		if ((s[at + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[at + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i = at + 1 + need;
	return cp;
}

bool ferry_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (utf8_next((const unsigned char *)s, len, &i) < 0)
			return false;
	}
	return true;
}

ferry_err ferry_utf8_to_utf16(uint16_t **out, size_t *out_len, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint16_t *w = NULL;
	size_t units = 0, i = 0, o = 0;

	*out = NULL;
	*out_len = 0;
	/* Pass 1 validates and counts, so the output is allocated once. */
	while (i < len) {
		size_t at = i;
		long cp = utf8_next(u, len, &i);

		if (cp < 0)
			return ferry_error_set(FERRY_ECORRUPT,
					       "invalid UTF-8 at byte offset %zu", at);
		units += cp >= 0x10000 ? 2 : 1;
	}
	w = ferry_calloc(units + 1, sizeof(*w));
	if (!w)
		return ferry_error_set(FERRY_ENOMEM, "UTF-16 buffer of %zu units", units);
	for (i = 0; i < len;) {
		long cp = utf8_next(u, len, &i);

		if (cp >= 0x10000) {
			cp -= 0x10000;
			w[o++] = (uint16_t)(0xd800 | (cp >> 10));
			w[o++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		} else {
			w[o++] = (uint16_t)cp;
		}
	}
	*out = w;
	*out_len = units;
	return FERRY_OK;
}

/* Decode one code point from UTF-16 at s[*i]; -1 for an unpaired surrogate. */
static long utf16_next(const uint16_t *s, size_t len, size_t *i)
{
	uint16_t c = s[*i];

	if (c < 0xd800 || c > 0xdfff) {
		*i += 1;
		return c;
	}
	if (c >= 0xdc00 || *i + 1 >= len || s[*i + 1] < 0xdc00 || s[*i + 1] > 0xdfff)
		return -1;
	*i += 2;
	return 0x10000 + (((long)c - 0xd800) << 10) + ((long)s[*i - 1] - 0xdc00);
}

ferry_err ferry_utf16_to_utf8(char **out, size_t *out_len, const uint16_t *s, size_t len)
{
	char *b = NULL;
	size_t bytes = 0, i = 0, o = 0;

	*out = NULL;
	*out_len = 0;
	while (i < len) {
		size_t at = i;
		long cp = utf16_next(s, len, &i);

		if (cp < 0)
			return ferry_error_set(FERRY_ECORRUPT,
					       "unpaired UTF-16 surrogate at unit %zu", at);
		bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	}
	b = ferry_malloc(bytes + 1);
	if (!b)
		return ferry_error_set(FERRY_ENOMEM, "UTF-8 buffer of %zu bytes", bytes);
	for (i = 0; i < len;) {
		long cp = utf16_next(s, len, &i);

		if (cp < 0x80) {
			b[o++] = (char)cp;
		} else if (cp < 0x800) {
			b[o++] = (char)(0xc0 | (cp >> 6));
			b[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			b[o++] = (char)(0xe0 | (cp >> 12));
			b[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			b[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			b[o++] = (char)(0xf0 | (cp >> 18));
			b[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			b[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			b[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	b[o] = '\0';
	*out = b;
	*out_len = bytes;
	return FERRY_OK;
}

size_t ferry_utf16_len(const uint16_t *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int ferry_ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}
