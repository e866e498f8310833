/* Hexadecimal text <-> bytes. */
#include "util/hex.h"

int ferry_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ferry_err ferry_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len)
{
	*out_len = 0;
	if (len % 2)
		return ferry_error_set(FERRY_ECORRUPT, "hex: odd number of digits (offset %zu)",
		                       len);
	if (len / 2 > cap)
		return ferry_error_set(FERRY_ERANGE, "hex: %zu bytes, at most %zu", len / 2, cap);
	for (size_t i = 0; i < len; i += 2) {
		int hi = ferry_hex_digit(s[i]), lo = ferry_hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return ferry_error_set(FERRY_ECORRUPT, "hex: bad digit (offset %zu)",
			                       hi < 0 ? i : i + 1);
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*out_len = len / 2;
	return FERRY_OK;
}

void ferry_hex_encode(char *out, const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = 0;
}
