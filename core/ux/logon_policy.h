/*
 * The logon screen's rules that must hold on real Windows (issue 16), as
 * pure decisions: ferrycp.dll's filter and cache tile and the service's
 * logon check take them from here, and tests/unit/test_logon_policy.c
 * checks them natively. Each rule names the Microsoft page it rests on in
 * docs/credprov.md ("Rules LogonUI imposes").
 *
 *   filter_decide        hide other providers only when it cannot lock anyone out
 *   cache_account_*      which account the cache tile offers and the service accepts
 *   logon_cache_verdict  "cached" only when Windows will really keep a verifier
 *   logon_ratelimit_*    how often the cache tile may ask the domain
 */
#ifndef FERRY_UX_LOGON_POLICY_H
#define FERRY_UX_LOGON_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "sec/account.h"
#include "util/err.h"
#include "ux/logon_outcome.h"

/* --- the filter ------------------------------------------------------------ */

struct filter_inputs {
	bool logon;           /* CPUS_LOGON; anything else (unlock, CredUI, ...) never hides */
	bool lease_held;      /* lease_decide said HIDE_OTHERS */
	bool ferry_present;   /* Ferry's provider is among rgclsidProviders */
	bool ferry_allowed;   /* ... and LogonUI passed rgbAllow TRUE for it (not disabled by policy) */
	bool fallback_exists; /* the FallbackAccount hint names a local account that exists */
};

enum filter_verdict {
	FILTER_SHOW_ALL,    /* leave rgbAllow as LogonUI passed it */
	FILTER_HIDE_OTHERS, /* every provider but Ferry's and the allow-list is hidden */
};

/**
 * Whether the filter hides the other providers: only when all of the inputs
 * hold, so the helpdesk always keeps a way in (Ferry's fallback tile) and
 * the session owner can always unlock. `reason` (may be NULL) receives a
 * static sentence for the log.
 */
enum filter_verdict filter_decide(const struct filter_inputs *in, const char **reason);

/* --- the cache tile's account ---------------------------------------------- */

struct cache_account {
	char user[ACCOUNT_PART_MAX * 2 + 2]; /* "jdoe", or the whole UPN "jdoe@alt.example" */
	char domain[ACCOUNT_PART_MAX + 1];   /* "TARGET" / "target.example"; "" for a UPN */
	bool upn;
};

/**
 * The account the cache tile offers, from the runbook's username
 * placeholder as the service expanded it (`expanded`, UTF-8) and the
 * runbook's target domain (`target_domain`, DNS or NetBIOS form):
 *   "DOMAIN\user"  the domain must be the target domain (its DNS name or
 *                  the DNS name's first label, without case);
 *   "user@suffix"  a UPN, taken whole (the suffix may be an alternate
 *                  one, which only the DC can resolve): domain "";
 *   "user"         the user in the target domain.
 * FERRY_EINVAL naming the rule when it is empty, malformed or names another
 * domain (never echoing the text).
 */
ferry_err cache_account_expected(struct cache_account *out, const char *expanded,
				 const char *target_domain);

/**
 * The account as the service shows it in the experience's target_user
 * (what cache_account_expected made, "DOMAIN\user" or a UPN), for the
 * tile: FERRY_EINVAL when it is empty or neither form (the tile then
 * offers no check and says who to call).
 */
ferry_err cache_account_parse(struct cache_account *out, const char *shown);

/**
 * Whether a cache_credentials request for `user`/`domain` names exactly the
 * expected account (names compared without case, account_same). A UPN
 * matches only the same UPN with an empty domain.
 */
bool cache_account_matches(const struct cache_account *expected, const char *user,
			   const char *domain);

/* --- "cached" only when it is --------------------------------------------- */

/* Windows' default for CachedLogonsCount when the value is absent. */
#define LOGON_CACHED_COUNT_DEFAULT 10u
/* The highest value Windows honours; larger reads as this. */
#define LOGON_CACHED_COUNT_MAX 50u

/**
 * CachedLogonsCount as Winlogon stores it (REG_SZ decimal, `s` UTF-8, NULL =
 * absent): absent gives the default; digits only, else FERRY_ECORRUPT and
 * *out = 0 (treated as "no cache": the safe answer for a screen that says
 * "saved"). Values above the maximum read as the maximum.
 */
ferry_err logon_cached_count_parse(uint32_t *out, const char *s);

/** Whether `sid` (string form) is a domain's Protected Users group (S-1-5-21-a-b-c-525). */
bool logon_sid_is_protected_users(const char *sid);

/**
 * The outcome to report for a logon check: `o` unchanged unless it is OK,
 * then NOT_CACHED_POLICY when `cached_count` is 0 and NOT_CACHED_PROTECTED
 * when the account is in Protected Users.
 */
enum logon_outcome logon_cache_verdict(enum logon_outcome o, uint32_t cached_count,
				       bool protected_user);

/* --- rate limit ------------------------------------------------------------- */

/* Three wrong passwords in a row are free; then 30 s, doubling, at most 5 min.
 * A locked account waits the maximum. Domains lock accounts after a few bad
 * passwords: the tile must not help a user reach that threshold. */
#define LOGON_RL_FREE 3u
#define LOGON_RL_BASE_MS 30000u
#define LOGON_RL_MAX_MS 300000u

struct logon_ratelimit {
	uint32_t failures;      /* wrong passwords in a row */
	uint64_t not_before_ms; /* next attempt allowed at (monotonic ms) */
};

/** Whether an attempt may go now; else *wait_ms says how long is left. */
bool logon_ratelimit_allow(const struct logon_ratelimit *rl, uint64_t now_ms, uint64_t *wait_ms);

/** Record the outcome of an attempt made at now_ms. */
void logon_ratelimit_record(struct logon_ratelimit *rl, uint64_t now_ms, enum logon_outcome o);

#endif
