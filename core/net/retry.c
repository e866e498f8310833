/* Poll, backoff and Retry-After decisions: see retry.h. */
#include "net/retry.h"

#include <string.h>

uint32_t net_poll_interval(uint32_t server_s)
{
	if (!server_s)
		return NET_POLL_DEFAULT_S;
	if (server_s < NET_POLL_MIN_S)
		return NET_POLL_MIN_S;
	return server_s > NET_POLL_MAX_S ? NET_POLL_MAX_S : server_s;
}

uint32_t net_backoff_s(unsigned failures, uint32_t base_s, uint32_t cap_s, uint32_t rnd)
{
	uint64_t ceiling = base_s ? base_s : 1;

	if (!failures)
		return 0;
	/* Doubling stops once past the cap, so the shift never overflows. */
	for (unsigned i = 1; i < failures && ceiling < cap_s; i++)
		ceiling *= 2;
	if (ceiling > cap_s)
		ceiling = cap_s ? cap_s : 1;
	return 1 + (uint32_t)(rnd % ceiling);
}

static int digits(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" -> Unix time. */
static int parse_fixdate(const char *s, int64_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int d, y, hh, mm, ss, mon = -1;

	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT"))
		return 0;
	for (int i = 0; i < 12; i++) {
		if (!memcmp(s + 8, months + 3 * i, 3))
			mon = i + 1;
	}
	if (mon < 0 || !digits(s + 5, 2, &d) || !digits(s + 12, 4, &y) ||
	    !digits(s + 17, 2, &hh) || !digits(s + 20, 2, &mm) || !digits(s + 23, 2, &ss) ||
	    d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return 0;
	*t = days_from_civil(y, mon, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 1;
}

ferry_err net_retry_after_parse(uint32_t *out_s, const char *value, int64_t now_unix)
{
	size_t n = value ? strlen(value) : 0;
	int64_t t;

	*out_s = 0;
	if (n >= 1 && n <= 12 && value[0] >= '0' && value[0] <= '9') {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			if (value[i] < '0' || value[i] > '9')
				return ferry_error_set(FERRY_ECORRUPT, "Retry-After: not a number");
			v = v * 10 + (uint64_t)(value[i] - '0');
		}
		*out_s = v > NET_RETRY_AFTER_MAX_S ? NET_RETRY_AFTER_MAX_S : (uint32_t)v;
		return FERRY_OK;
	}
	if (!value || !parse_fixdate(value, &t))
		return ferry_error_set(FERRY_ECORRUPT, "Retry-After: neither seconds nor a date");
	if (t > now_unix)
		*out_s = t - now_unix > NET_RETRY_AFTER_MAX_S ? NET_RETRY_AFTER_MAX_S
							      : (uint32_t)(t - now_unix);
	return FERRY_OK;
}

uint32_t net_next_wait_s(enum net_outcome o, unsigned failures, uint32_t poll_s,
			 uint32_t retry_after_s, uint32_t rnd)
{
	uint32_t p = net_poll_interval(poll_s), w;

	if (o == NET_OUTCOME_OK) {
		/* +-10% so a fleet enrolled together does not poll in step. */
		uint32_t spread = p / 5;
		return p - p / 10 + (spread ? rnd % (spread + 1) : 0);
	}
	w = net_backoff_s(failures ? failures : 1, NET_BACKOFF_BASE_S, NET_BACKOFF_CAP_S, rnd);
	return retry_after_s > w ? retry_after_s : w;
}

bool net_is_offline(int64_t now_unix, int64_t last_ok_unix, unsigned failures)
{
	return failures > 0 && now_unix - last_ok_unix >= NET_OFFLINE_AFTER_S;
}
