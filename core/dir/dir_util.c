/* Small helpers of core/dir/: text checks, CSV fields, SHA-256. */
#include <string.h>

#include <openssl/evp.h>

#include "dir/dir_internal.h"
#include "dir/snapshot.h"
#include "sec/sid.h"
#include "util/buf.h"

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool dir_ieq(const char *a, const char *b)
{
	for (; *a && lower(*a) == lower(*b); a++, b++)
		;
	return lower(*a) == lower(*b);
}

bool dir_guid_valid(const char *s)
{
	static const unsigned char dash_at[] = {8, 13, 18, 23};
	size_t d = 0;

	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (d < 4 && i == dash_at[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (ferry_hex_digit(s[i]) < 0) {
			return false;
		}
	}
	return true;
}

bool dir_sid_valid(const char *s)
{
	struct sid sid;

	return s[0] && sid_from_string(&sid, s, strlen(s)) == FERRY_OK;
}

ferry_err dir_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return ferry_error_set(FERRY_ESYSTEM, "SHA-256 failed (OpenSSL)");
	ferry_hex_encode(out, md, 32);
	out[64] = 0;
	return FERRY_OK;
}

ferry_err dir_csv_split(char *fields, size_t field_max, size_t max, size_t *count, const char *s,
                        size_t n, const char *what, unsigned line)
{
	size_t i = 0;

	*count = 0;
	for (;;) {
		char *f = fields + *count * field_max;
		size_t k = 0;
		bool quoted = false;

		if (*count == max)
			return ferry_error_set(FERRY_ECORRUPT, "%s line %u: more than %zu fields", what,
			                       line, max);
		(*count)++;
		if (i < n && s[i] == '"') {
			quoted = true;
			for (i++;; i++) {
				if (i >= n)
					return ferry_error_set(FERRY_ECORRUPT,
					                       "%s line %u: unterminated quote", what, line);
				if (s[i] == '"' && !(i + 1 < n && s[i + 1] == '"'))
					break;
				if (s[i] == '"')
					i++;
				if (k + 1 >= field_max)
					return ferry_error_set(FERRY_ECORRUPT,
					                       "%s line %u: field longer than %zu bytes",
					                       what, line, field_max - 1);
				f[k++] = s[i];
			}
			i++;
		} else {
			for (; i < n && s[i] != ','; i++) {
				if (k + 1 >= field_max)
					return ferry_error_set(FERRY_ECORRUPT,
					                       "%s line %u: field longer than %zu bytes",
					                       what, line, field_max - 1);
				f[k++] = s[i];
			}
		}
		/* Unquoted fields lose their outer blanks and a CR before the newline. */
		while (!quoted && k && (f[k - 1] == ' ' || f[k - 1] == '\t' || f[k - 1] == '\r'))
			k--;
		f[k] = 0;
		if (memchr(f, 0, k) || !ferry_utf8_valid(f, k))
			return ferry_error_set(FERRY_ECORRUPT, "%s line %u: field %zu is not UTF-8 text",
			                       what, line, *count);
		if (i < n && s[i] == '\r' && i + 1 == n)
			i++;
		if (i >= n)
			return FERRY_OK;
		if (s[i] != ',')
			return ferry_error_set(FERRY_ECORRUPT, "%s line %u: text after a quoted field",
			                       what, line);
		i++;
	}
}

ferry_err dir_csv_put(struct ferry_buf *b, const char *s, bool last)
{
	/* A value that a spreadsheet would run as a formula gets a leading quote:
	 * directory attributes are written by whoever controls the directory. */
	bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	               s[0] == '\t' || s[0] == '\r';
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	ferry_err rc = FERRY_OK;

	if (quote)
		rc = ferry_buf_append(b, "\"", 1);
	if (rc == FERRY_OK && formula)
		rc = ferry_buf_append(b, "'", 1);
	for (const char *p = s; rc == FERRY_OK && *p; p++)
		rc = *p == '"' ? ferry_buf_append(b, "\"\"", 2) : ferry_buf_append(b, p, 1);
	if (rc == FERRY_OK && quote)
		rc = ferry_buf_append(b, "\"", 1);
	if (rc == FERRY_OK)
		rc = ferry_buf_append(b, last ? "\n" : ",", 1);
	return rc;
}
