/*
 * When to talk to the server next: pure functions, no clock and no random
 * source of their own (the caller passes both), so every decision is tested
 * natively.
 *
 *   success (200 or 304)  -> the server's poll interval, jittered by +-10%
 *   transient failure     -> exponential backoff with full jitter,
 *                            max(that, Retry-After) when the server sent one
 *   offline               -> after NET_OFFLINE_AFTER_S without a success the
 *                            engine is told "server unreachable"
 */
#ifndef FERRY_NET_RETRY_H
#define FERRY_NET_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define NET_POLL_DEFAULT_S 900u     /* 15 minutes, until the server says otherwise */
#define NET_POLL_MIN_S 60u          /* a server cannot make agents poll faster */
#define NET_POLL_MAX_S 86400u
#define NET_BACKOFF_BASE_S 5u
#define NET_BACKOFF_CAP_S 3600u
#define NET_RETRY_AFTER_MAX_S 86400u
#define NET_OFFLINE_AFTER_S 1800u

/** The server's poll interval clamped to [NET_POLL_MIN_S, NET_POLL_MAX_S]; 0 -> default. */
uint32_t net_poll_interval(uint32_t server_s);

/**
 * Backoff before retry number `failures` (1 = first failure): a uniform
 * draw in [1, min(cap, base * 2^(failures-1))] from `rnd`.
 */
uint32_t net_backoff_s(unsigned failures, uint32_t base_s, uint32_t cap_s, uint32_t rnd);

/**
 * Parse a Retry-After value: delta-seconds, or an IMF-fixdate
 * ("Sun, 06 Nov 1994 08:49:37 GMT") taken relative to now_unix. The result
 * is clamped to NET_RETRY_AFTER_MAX_S; a date in the past gives 0.
 * FERRY_ECORRUPT for anything else.
 */
ferry_err net_retry_after_parse(uint32_t *out_s, const char *value, int64_t now_unix);

enum net_outcome {
	NET_OUTCOME_OK,        /* 2xx or 304: the server answered */
	NET_OUTCOME_TRANSIENT, /* unreachable, timeout, 5xx, 429, refused content */
};

/**
 * Seconds to wait before the next poll. `failures` counts consecutive
 * transient failures including this one (0 after a success);
 * retry_after_s is 0 when the server sent none.
 */
uint32_t net_next_wait_s(enum net_outcome o, unsigned failures, uint32_t poll_s,
			 uint32_t retry_after_s, uint32_t rnd);

/** True when the engine should see "server unreachable". */
bool net_is_offline(int64_t now_unix, int64_t last_ok_unix, unsigned failures);

#endif
