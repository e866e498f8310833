/*
 * The prevent-login lease, as the credential provider filter reads it.
 *
 * The service writes HKLM\SOFTWARE\Ferry\State\PreventLoginUntil, a FILETIME
 * (little-endian count of 100-ns ticks since 1601-01-01 UTC) as REG_QWORD or
 * an 8-byte REG_BINARY, and renews it while a migration runs. The filter
 * hides other providers only while the lease is well-formed and strictly in
 * the future; anything else fails open (shows everything), because a
 * filter that wrongly hides every tile locks people out of their PC.
 *
 * The decision is a pure function of the raw value and the current time, so
 * the Windows filter only reads the value and the clock and asks here.
 */
#ifndef FERRY_UX_LEASE_H
#define FERRY_UX_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "ux/hints.h"

/* Registry type codes and the default cap: the hints' contract (hints.h). */
#define LEASE_REG_BINARY HINT_REG_BINARY
#define LEASE_REG_QWORD HINT_REG_QWORD
#define LEASE_DEFAULT_CAP_SECONDS (HINT_CAP_DEFAULT_HOURS * 3600u)

/* FILETIME ticks per second, and the Unix epoch as a FILETIME. */
#define LEASE_TICKS_PER_SECOND 10000000ull
#define LEASE_UNIX_EPOCH_TICKS 116444736000000000ull

enum lease_decision {
	LEASE_SHOW_ALL = 0,    /* fail open: every provider's tiles stay */
	LEASE_HIDE_OTHERS = 1, /* lease held: hide all but ours and the allow-list */
};

/* The registry value as read; present == 0 when the value does not exist. */
struct lease_value {
	int present;
	uint32_t type;
	const uint8_t *data;
	size_t len;
};

/**
 * Decide from the raw value, the current FILETIME and the cap in seconds
 * (LEASE_DEFAULT_CAP_SECONDS unless the runbook says otherwise).
 *
 * LEASE_HIDE_OTHERS only when the value is present, of type REG_QWORD or
 * REG_BINARY, exactly 8 bytes, and now < until <= now + cap. A lease equal
 * to now has lapsed. A lease beyond the cap is treated as garbage (a
 * service that renews every few minutes never writes one; a stuck or
 * forged far-future value must not lock the machine). If reason is not
 * NULL it receives a static English sentence for the log (never NULL).
 */
enum lease_decision lease_decide(const struct lease_value *v, uint64_t now_filetime,
				 uint64_t cap_seconds, const char **reason);

/**
 * Unix seconds -> FILETIME. Times before 1601 clamp to 0 and times past
 * the FILETIME range clamp to UINT64_MAX.
 */
uint64_t lease_filetime_from_unix(int64_t unix_seconds);

/** FILETIME -> Unix seconds, rounded toward minus infinity. */
int64_t lease_filetime_to_unix(uint64_t filetime);

#endif
