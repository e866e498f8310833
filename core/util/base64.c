#include "util/base64.h"

#include "util/mem.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t ferry_base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

ferry_err ferry_base64_encode(char **out, const uint8_t *data, size_t len)
{
	char *s;
	size_t o = 0, i = 0;

	*out = NULL;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
		return ferry_error_set(FERRY_ENOMEM, "base64 input of %zu bytes too large", len);
	s = ferry_malloc(ferry_base64_encoded_len(len) + 1);
	if (!s)
		return ferry_error_set(FERRY_ENOMEM, "base64 output for %zu bytes", len);
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

		s[o++] = alphabet[v >> 18];
		s[o++] = alphabet[(v >> 12) & 63];
		s[o++] = alphabet[(v >> 6) & 63];
		s[o++] = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)data[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		s[o++] = alphabet[v >> 18];
		s[o++] = alphabet[(v >> 12) & 63];
		s[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	return FERRY_OK;
}

ferry_err ferry_base64_decode(uint8_t **out, size_t *out_len, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint8_t *buf = NULL;
	size_t o = 0, pad = 0, quad = 0;
	uint32_t acc = 0;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*out_len = 0;
	buf = ferry_malloc(len / 4 * 3 + 3);
	if (!buf)
		return ferry_error_set(FERRY_ENOMEM, "base64 decode buffer for %zu chars", len);
	for (size_t i = 0; i < len; i++) {
		int v;

		if (is_space(u[i]))
			continue;
		if (u[i] == '=') {
			/* Padding only in the last two places of a quantum. */
			if (quad < 2) {
				rc = ferry_error_set(FERRY_ECORRUPT, "base64: misplaced '=' at offset %zu", i);
				goto out;
			}
			pad++;
			acc <<= 6;
			quad++;
		} else {
			v = value_of(u[i]);
			if (v < 0 || pad) {
				rc = ferry_error_set(FERRY_ECORRUPT,
						     "base64: unexpected character 0x%02x at offset %zu", u[i], i);
				goto out;
			}
			acc = acc << 6 | (uint32_t)v;
			quad++;
		}
		if (quad == 4) {
			/* The bits that padding hides must be zero (canonical form). */
			if ((pad == 1 && (acc & 0xff)) || (pad == 2 && (acc & 0xffff))) {
				rc = ferry_error_set(FERRY_ECORRUPT,
						     "base64: non-zero padding bits before offset %zu", i);
				goto out;
			}
			buf[o++] = (uint8_t)(acc >> 16);
			if (pad < 2)
				buf[o++] = (uint8_t)(acc >> 8);
			if (pad < 1)
				buf[o++] = (uint8_t)acc;
			quad = 0;
			acc = 0;
			if (pad) {
				/* Nothing but whitespace may follow padding. */
				for (size_t j = i + 1; j < len; j++) {
					if (!is_space(u[j])) {
						rc = ferry_error_set(FERRY_ECORRUPT,
								     "base64: data after padding at offset %zu", j);
						goto out;
					}
				}
				break;
			}
		}
	}
	if (quad != 0) {
		rc = ferry_error_set(FERRY_ECORRUPT, "base64: input ends mid-quantum (%zu chars over)",
				     quad);
		goto out;
	}
	*out = buf;
	*out_len = o;
	buf = NULL;
out:
	if (buf) {
		ferry_wipe(buf, o);
		ferry_free(buf);
	}
	return rc;
}
