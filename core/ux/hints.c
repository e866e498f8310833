/* The registry hints' decisions (hints.h): shared by the writer and the reader. */
#include "ux/hints.h"

#include <string.h>

unsigned hint_cap_hours(unsigned runbook_hours)
{
	if (!runbook_hours)
		return HINT_CAP_DEFAULT_HOURS;
	return runbook_hours > HINT_CAP_MAX_HOURS ? HINT_CAP_MAX_HOURS : runbook_hours;
}

uint64_t hint_cap_seconds_read(bool present, uint32_t hours)
{
	/* The runbook allows 1..max; anything else is not the service's doing. */
	if (present && hours >= 1 && hours <= HINT_CAP_MAX_HOURS)
		return (uint64_t)hours * 3600u;
	return (uint64_t)HINT_CAP_DEFAULT_HOURS * 3600u;
}

bool hint_fallback_name_ok(const char *name)
{
	/* The tile shows .\<name>: a separator would change which account it means. */
	return name && *name && !strpbrk(name, "\\/@");
}
