/* The logon screen's rules (logon_policy.h). Pure: no clock, no registry. */
#include "ux/logon_policy.h"

#include <stdio.h>
#include <string.h>

#include "sec/sid.h"

enum filter_verdict filter_decide(const struct filter_inputs *in, const char **reason)
{
	const char *why;
	enum filter_verdict v = FILTER_SHOW_ALL;

	/* Each "show all" below keeps someone's way in; order = what the log names first. */
	if (!in)
		why = "no inputs: hiding nothing";
	else if (!in->logon)
		why = "not the logon screen (unlock keeps the session owner's own providers)";
	else if (!in->lease_held)
		why = "no prevent-login lease";
	else if (!in->ferry_present)
		why = "Ferry's provider is not loaded: hiding others would leave no tile";
	else if (!in->ferry_allowed)
		why = "Ferry's provider is disabled by policy: hiding others would leave no tile";
	else if (!in->fallback_exists)
		why = "no fallback account: the helpdesk would have no way in";
	else {
		why = "lease held, Ferry's provider shown, fallback account present";
		v = FILTER_HIDE_OTHERS;
	}
	if (reason)
		*reason = why;
	return v;
}

/* The domain part `d` is the target domain: its DNS name, or that name's first label. */
static bool is_target_domain(const char *d, const char *target)
{
	char label[ACCOUNT_PART_MAX + 1];
	const char *dot;
	size_t n;

	if (account_same(d, target))
		return true;
	dot = strchr(target, '.');
	if (!dot)
		return false;
	n = (size_t)(dot - target);
	if (n == 0 || n > ACCOUNT_PART_MAX)
		return false;
	memcpy(label, target, n);
	label[n] = '\0';
	return account_same(d, label);
}

ferry_err cache_account_expected(struct cache_account *out, const char *expanded,
				 const char *target_domain)
{
	struct account_name a;

	memset(out, 0, sizeof(*out));
	if (!target_domain || !*target_domain || strlen(target_domain) > ACCOUNT_PART_MAX)
		return ferry_error_set(FERRY_EINVAL, "cache account: the runbook names no target domain");
	if (!expanded || !*expanded)
		return ferry_error_set(FERRY_EINVAL,
				       "cache account: the username placeholder expands to nothing");
	if (!strchr(expanded, '\\') && !strchr(expanded, '@')) {
		char whole[2 * ACCOUNT_PART_MAX + 2];

		/* The account grammar checks the name (UTF-8, length) as DOMAIN\user. */
		if (strlen(expanded) > ACCOUNT_PART_MAX || strchr(expanded, '/') ||
		    snprintf(whole, sizeof(whole), "%s\\%s", target_domain, expanded) >=
			    (int)sizeof(whole) ||
		    account_split(&a, whole) != FERRY_OK)
			return ferry_error_set(FERRY_EINVAL, "cache account: the user name is not valid");
		snprintf(out->user, sizeof(out->user), "%s", a.user);
		snprintf(out->domain, sizeof(out->domain), "%s", target_domain);
		return FERRY_OK;
	}
	if (account_split(&a, expanded) != FERRY_OK)
		return ferry_error_set(FERRY_EINVAL, "cache account: the expanded placeholder is "
						     "neither DOMAIN\\user nor user@suffix");
	if (strchr(expanded, '\\')) {
		if (!is_target_domain(a.domain, target_domain))
			return ferry_error_set(FERRY_EINVAL, "cache account: the expanded placeholder "
							     "names a domain other than the target");
		snprintf(out->user, sizeof(out->user), "%s", a.user);
		snprintf(out->domain, sizeof(out->domain), "%s", a.domain);
		return FERRY_OK;
	}
	snprintf(out->user, sizeof(out->user), "%s@%s", a.user, a.domain);
	out->upn = true;
	return FERRY_OK;
}

ferry_err cache_account_parse(struct cache_account *out, const char *shown)
{
	struct account_name a;

	memset(out, 0, sizeof(*out));
	if (!shown || account_split(&a, shown) != FERRY_OK)
		return ferry_error_set(FERRY_EINVAL, "cache account: the service names no account");
	if (strchr(shown, '\\')) {
		snprintf(out->user, sizeof(out->user), "%s", a.user);
		snprintf(out->domain, sizeof(out->domain), "%s", a.domain);
	} else {
		snprintf(out->user, sizeof(out->user), "%s@%s", a.user, a.domain);
		out->upn = true;
	}
	return FERRY_OK;
}

bool cache_account_matches(const struct cache_account *expected, const char *user,
			   const char *domain)
{
	if (!expected || !user || !domain || !expected->user[0])
		return false;
	if (expected->upn)
		return !*domain && account_same(user, expected->user);
	return account_same(user, expected->user) && account_same(domain, expected->domain);
}

ferry_err logon_cached_count_parse(uint32_t *out, const char *s)
{
	uint32_t v = 0;

	*out = 0;
	if (!s) {
		*out = LOGON_CACHED_COUNT_DEFAULT;
		return FERRY_OK;
	}
	if (!*s)
		return ferry_error_set(FERRY_ECORRUPT, "CachedLogonsCount: empty");
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return ferry_error_set(FERRY_ECORRUPT, "CachedLogonsCount: not a decimal number "
							       "(character %u)", (unsigned)(p - s));
		if (v <= LOGON_CACHED_COUNT_MAX)
			v = v * 10u + (uint32_t)(*p - '0');
	}
	*out = v > LOGON_CACHED_COUNT_MAX ? LOGON_CACHED_COUNT_MAX : v;
	return FERRY_OK;
}

bool logon_sid_is_protected_users(const char *sid)
{
	struct sid s;

	/* Protected Users is the domain-relative RID 525 (S-1-5-21-<domain>-525). */
	return sid && sid_from_string(&s, sid, strlen(sid)) == FERRY_OK && s.authority == 5 &&
	       s.count == 5 && s.sub[0] == 21 && s.sub[4] == 525;
}

enum logon_outcome logon_cache_verdict(enum logon_outcome o, uint32_t cached_count,
				       bool protected_user)
{
	if (o != LOGON_OUTCOME_OK)
		return o;
	if (cached_count == 0)
		return LOGON_OUTCOME_NOT_CACHED_POLICY;
	if (protected_user)
		return LOGON_OUTCOME_NOT_CACHED_PROTECTED;
	return LOGON_OUTCOME_OK;
}

bool logon_ratelimit_allow(const struct logon_ratelimit *rl, uint64_t now_ms, uint64_t *wait_ms)
{
	*wait_ms = 0;
	if (now_ms >= rl->not_before_ms)
		return true;
	*wait_ms = rl->not_before_ms - now_ms;
	return false;
}

void logon_ratelimit_record(struct logon_ratelimit *rl, uint64_t now_ms, enum logon_outcome o)
{
	uint64_t wait = 0;

	switch (o) {
	case LOGON_OUTCOME_WRONG_PASSWORD:
	case LOGON_OUTCOME_WRONG_ACCOUNT:
		if (rl->failures < 64)
			rl->failures++;
		if (rl->failures > LOGON_RL_FREE) {
			uint32_t shift = rl->failures - LOGON_RL_FREE - 1;

			wait = shift >= 4 ? LOGON_RL_MAX_MS : (uint64_t)LOGON_RL_BASE_MS << shift;
			if (wait > LOGON_RL_MAX_MS)
				wait = LOGON_RL_MAX_MS;
		}
		break;
	case LOGON_OUTCOME_LOCKED:
		wait = LOGON_RL_MAX_MS;
		break;
	case LOGON_OUTCOME_OK:
	case LOGON_OUTCOME_NOT_CACHED_POLICY:
	case LOGON_OUTCOME_NOT_CACHED_PROTECTED:
		/* The password was right: the count starts again. */
		rl->failures = 0;
		break;
	default:
		/* Nothing said about the password (no DC, trust, ...): no penalty. */
		break;
	}
	rl->not_before_ms = now_ms + wait;
}
