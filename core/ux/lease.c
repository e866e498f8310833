/*
 * The prevent-login lease decision (see lease.h for the rule).
 *
 * The value, as the filter reads it from the registry:
 *
 *  offset  size  field
 *  ------  ----  ---------------------------------------------------------
 *       0     8  until: FILETIME, little-endian 100-ns ticks since
 *                1601-01-01 UTC (REG_QWORD, or REG_BINARY of 8 bytes)
 *
 * Invariants:
 *  1. Any value that is not exactly this shape decides SHOW_ALL.
 *  2. HIDE_OTHERS iff now < until <= now + cap (no overflow: the sum is
 *     computed with a saturating add).
 *  3. The function reads only v->data[0..7] after checking v->len == 8.
 */
#include "ux/lease.h"

#include "util/bytes.h"

static enum lease_decision show(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return LEASE_SHOW_ALL;
}

enum lease_decision lease_decide(const struct lease_value *v, uint64_t now_filetime,
				 uint64_t cap_seconds, const char **reason)
{
	uint64_t until, cap_ticks, limit;

	if (!v || !v->present)
		return show(reason, "no lease: PreventLoginUntil is absent");
	if (v->type != LEASE_REG_QWORD && v->type != LEASE_REG_BINARY)
		return show(reason, "lease ignored: PreventLoginUntil is not REG_QWORD or REG_BINARY");
	if (v->len != 8 || !v->data)
		return show(reason, "lease ignored: PreventLoginUntil is not 8 bytes");
	until = get_u64le(v->data);
	if (until <= now_filetime)
		return show(reason, "lease lapsed: PreventLoginUntil is not in the future");

	cap_ticks = cap_seconds > UINT64_MAX / LEASE_TICKS_PER_SECOND
			    ? UINT64_MAX
			    : cap_seconds * LEASE_TICKS_PER_SECOND;
	limit = now_filetime > UINT64_MAX - cap_ticks ? UINT64_MAX : now_filetime + cap_ticks;
	if (until > limit)
		return show(reason, "lease ignored: PreventLoginUntil is beyond the cap");
	if (reason)
		*reason = "lease held: PreventLoginUntil is in the future";
	return LEASE_HIDE_OTHERS;
}

uint64_t lease_filetime_from_unix(int64_t unix_seconds)
{
	/* 1601-01-01 is this many seconds before the Unix epoch. */
	const int64_t epoch_s = (int64_t)(LEASE_UNIX_EPOCH_TICKS / LEASE_TICKS_PER_SECOND);
	uint64_t s;

	if (unix_seconds < -epoch_s)
		return 0;
	if (unix_seconds > INT64_MAX - epoch_s)
		return UINT64_MAX;
	s = (uint64_t)(unix_seconds + epoch_s);
	if (s > UINT64_MAX / LEASE_TICKS_PER_SECOND)
		return UINT64_MAX;
	return s * LEASE_TICKS_PER_SECOND;
}

int64_t lease_filetime_to_unix(uint64_t filetime)
{
	/* filetime / 10^7 < 2^41, so the difference fits an int64_t. */
	return (int64_t)(filetime / LEASE_TICKS_PER_SECOND) -
	       (int64_t)(LEASE_UNIX_EPOCH_TICKS / LEASE_TICKS_PER_SECOND);
}
