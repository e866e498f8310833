/*
 * core/ux/logon_policy's parsers of outside input: CachedLogonsCount as the
 * registry holds it, the username placeholder as the runbook expands it,
 * the account the experience shows the tile, and the SIDs of a token's
 * groups. Input byte 0 picks the parser; the rest is its text (NUL-cut).
 * Nothing may crash; what is accepted stays within its bounds and
 * round-trips through cache_account_matches.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ux/logon_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[2048];
	struct cache_account a;
	uint32_t n = 0;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (logon_cached_count_parse(&n, text) == FERRY_OK && n > LOGON_CACHED_COUNT_MAX)
			abort();
		break;
	case 1:
		if (cache_account_expected(&a, text, "target.example") == FERRY_OK &&
		    (!a.user[0] || !cache_account_matches(&a, a.user, a.domain)))
			abort();
		break;
	case 2:
		if (cache_account_parse(&a, text) == FERRY_OK &&
		    (!a.user[0] || !cache_account_matches(&a, a.user, a.domain)))
			abort();
		break;
	default:
		(void)logon_sid_is_protected_users(text);
		break;
	}
	return 0;
}
