/* SIDs: string and binary forms, validation. Layout in sid.h. */
#include "sec/sid.h"

#include <stdio.h>
#include <string.h>

#include "util/bytes.h"

ferry_err sid_bad_bytes(const uint8_t *buf, size_t len, size_t base)
{
	if (len < SID_MIN_BYTES)
		return ferry_error_set(FERRY_ECORRUPT, "SID: truncated header (offset %zu)", base);
	if (buf[0] != SID_REVISION)
		return ferry_error_set(FERRY_ECORRUPT, "SID: revision %u is not 1 (offset %zu)",
		                       buf[0], base);
	if (buf[1] > SID_MAX_SUBAUTH)
		return ferry_error_set(FERRY_ECORRUPT,
		                       "SID: %u sub-authorities, at most 15 (offset %zu)", buf[1],
		                       base + 1);
	return ferry_error_set(FERRY_ECORRUPT,
	                       "SID: %u sub-authorities overrun the buffer (offset %zu)", buf[1],
	                       base);
}

ferry_err sid_from_bytes(struct sid *out, size_t *used, const uint8_t *buf, size_t len, size_t base)
{
	size_t n = 0;
	ferry_err rc = sid_check_bytes(&n, buf, len, base);

	if (rc != FERRY_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	out->revision = buf[0];
	out->count = buf[1];
	for (int i = 2; i < 8; i++)
		out->authority = (out->authority << 8) | buf[i];
	for (unsigned i = 0; i < out->count; i++)
		out->sub[i] = get_u32le(buf + 8 + 4 * i);
	*used = n;
	return FERRY_OK;
}

size_t sid_size(const struct sid *s)
{
	return (size_t)SID_MIN_BYTES + 4u * s->count;
}

size_t sid_to_bytes(const struct sid *s, uint8_t *out)
{
	out[0] = s->revision;
	out[1] = s->count;
	for (int i = 0; i < 6; i++)
		out[2 + i] = (uint8_t)(s->authority >> (8 * (5 - i)));
	for (unsigned i = 0; i < s->count; i++)
		put_u32le(out + 8 + 4 * i, s->sub[i]);
	return sid_size(s);
}

void sid_format(const struct sid *s, char *out)
{
	size_t n = 0;

	if (s->authority >> 32)
		n = (size_t)snprintf(out, SID_STRING_MAX, "S-%u-0x%012llX", s->revision,
		                     (unsigned long long)s->authority);
	else
		n = (size_t)snprintf(out, SID_STRING_MAX, "S-%u-%llu", s->revision,
		                     (unsigned long long)s->authority);
	for (unsigned i = 0; i < s->count && n < SID_STRING_MAX; i++)
		n +=
		    (size_t)snprintf(out + n, SID_STRING_MAX - n, "-%lu", (unsigned long)s->sub[i]);
}

bool sid_equal(const struct sid *a, const struct sid *b)
{
	if (a->revision != b->revision || a->count != b->count || a->authority != b->authority)
		return false;
	return !memcmp(a->sub, b->sub, sizeof(a->sub[0]) * a->count);
}

bool sid_is_account(const struct sid *s)
{
	if (s->authority == 5 && s->count == 5 && s->sub[0] == 21)
		return true;
	return s->authority == 12 && s->count == 5 && s->sub[0] == 1;
}

/* Decimal digits at s[*i..len) into *v, at most max; at least one digit. */
static ferry_err parse_dec(uint64_t *v, const char *s, size_t len, size_t *i, uint64_t max)
{
	size_t start = *i;

	*v = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		uint64_t d = (uint64_t)(s[*i] - '0');

		if (*v > (max - d) / 10)
			return ferry_error_set(FERRY_ECORRUPT, "SID: number too large (offset %zu)",
			                       start);
		*v = *v * 10 + d;
		(*i)++;
	}
	if (*i == start)
		return ferry_error_set(FERRY_ECORRUPT, "SID: expected a number (offset %zu)",
		                       start);
	return FERRY_OK;
}

static ferry_err parse_authority(uint64_t *v, const char *s, size_t len, size_t *i)
{
	size_t start = *i, digits = 0;

	if (!(len - *i >= 2 && s[*i] == '0' && (s[*i + 1] == 'x' || s[*i + 1] == 'X')))
		return parse_dec(v, s, len, i, 0xFFFFFFFFFFFFull);
	*i += 2;
	*v = 0;
	for (; *i < len; (*i)++, digits++) {
		char c = s[*i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (*v >> 44)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "SID: authority beyond 48 bits (offset %zu)", start);
		*v = (*v << 4) | d;
	}
	if (!digits)
		return ferry_error_set(FERRY_ECORRUPT, "SID: empty hex authority (offset %zu)",
		                       start);
	return FERRY_OK;
}

ferry_err sid_from_string(struct sid *out, const char *s, size_t len)
{
	uint64_t v;
	size_t i = 2;
	ferry_err rc;

	memset(out, 0, sizeof(*out));
	if (len < 2 || (s[0] != 'S' && s[0] != 's') || s[1] != '-')
		return ferry_error_set(FERRY_ECORRUPT, "SID: must start with \"S-\" (offset 0)");
	if ((rc = parse_dec(&v, s, len, &i, 255)) != FERRY_OK)
		return rc;
	if (v != SID_REVISION)
		return ferry_error_set(FERRY_ECORRUPT, "SID: revision %llu is not 1 (offset 2)",
		                       (unsigned long long)v);
	out->revision = SID_REVISION;
	if (i >= len || s[i] != '-')
		return ferry_error_set(FERRY_ECORRUPT, "SID: expected '-' (offset %zu)", i);
	i++;
	if ((rc = parse_authority(&out->authority, s, len, &i)) != FERRY_OK)
		return rc;
	while (i < len) {
		if (s[i] != '-')
			return ferry_error_set(FERRY_ECORRUPT,
			                       "SID: unexpected character (offset %zu)", i);
		if (out->count == SID_MAX_SUBAUTH)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "SID: more than 15 sub-authorities (offset %zu)", i);
		i++;
		if ((rc = parse_dec(&v, s, len, &i, 0xFFFFFFFFull)) != FERRY_OK)
			return rc;
		out->sub[out->count++] = (uint32_t)v;
	}
	return FERRY_OK;
}
