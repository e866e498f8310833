#include "runbook/rfc3339.h"

#include <stdio.h>
#include <string.h>

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Read exactly n decimal digits at s; -1 if any is not a digit. */
static long digits(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

ferry_err rfc3339_parse(int64_t *out, const char *s)
{
	long y, mo, d, h, mi, se, oh = 0, om = 0;
	int sign = 0;
	const char *p;

	if (!s)
		return ferry_error_set(FERRY_EINVAL, "time: NULL");
	/* Fixed-width prefix: check each separator before reading past it. */
	for (int i = 0; i < 19; i++)
		if (!s[i])
			return ferry_error_set(FERRY_ECORRUPT, "time: too short for RFC 3339");
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return ferry_error_set(FERRY_ECORRUPT, "time: not YYYY-MM-DDTHH:MM:SS");
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
		return ferry_error_set(FERRY_ECORRUPT, "time: a field is not decimal digits");
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > (long)days_in_month(y, (unsigned)mo))
		return ferry_error_set(FERRY_ECORRUPT, "time: no such date");
	if (h > 23 || mi > 59 || se > 59)
		return ferry_error_set(FERRY_ECORRUPT, "time: no such time of day");
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return ferry_error_set(FERRY_ECORRUPT, "time: empty fraction");
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!p[1] || !p[2] || p[3] != ':')
			return ferry_error_set(FERRY_ECORRUPT, "time: offset not +HH:MM");
		oh = digits(p + 1, 2);
		om = (p[4] && p[5]) ? digits(p + 4, 2) : -1;
		if (oh < 0 || om < 0 || oh > 23 || om > 59)
			return ferry_error_set(FERRY_ECORRUPT, "time: offset not +HH:MM");
		p += 6;
	} else {
		return ferry_error_set(FERRY_ECORRUPT, "time: missing Z or offset");
	}
	if (*p)
		return ferry_error_set(FERRY_ECORRUPT, "time: trailing characters");
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
	       sign * (oh * 3600 + om * 60);
	return FERRY_OK;
}

ferry_err rfc3339_format(char buf[RFC3339_BUF], int64_t t)
{
	int64_t days, y;
	int64_t secs;
	unsigned m, d;

	/* 0000-01-01 .. 9999-12-31 keeps the output at 20 characters. */
	if (t < -62167219200LL || t > 253402300799LL)
		return ferry_error_set(FERRY_ERANGE, "time: %lld out of range", (long long)t);
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	{
		/* The range check above bounds every field; the compiler cannot see
		 * that, so format wide and copy the 20 characters. */
		char wide[96];
		int n = snprintf(wide, sizeof(wide), "%04lld-%02u-%02uT%02u:%02u:%02uZ",
				 (long long)y, m, d, (unsigned)(secs / 3600),
				 (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));

		if (n < 0 || (size_t)n >= RFC3339_BUF)
			return ferry_error_set(FERRY_ERANGE, "time: %lld does not format", (long long)t);
		memcpy(buf, wide, (size_t)n + 1);
	}
	return FERRY_OK;
}
