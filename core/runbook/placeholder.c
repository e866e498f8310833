#include "runbook/placeholder.h"

#include <stdio.h>
#include <string.h>

const char *const placeholder_names[] = {
	"target_user",   /* target-domain user name, DOMAIN\user or UPN */
	"source_user",   /* the user's source-domain name */
	"target_domain", /* the domain the device joins */
	"device_name",   /* the computer name */
	"support_phone", /* user_experience.support_phone */
	"minutes",       /* minutes until an enforced migration starts */
	"runbook_name",  /* the runbook's name */
	NULL,
};

static int known(const char *name, size_t n)
{
	for (size_t i = 0; placeholder_names[i]; i++)
		if (strlen(placeholder_names[i]) == n && !memcmp(placeholder_names[i], name, n))
			return 1;
	return 0;
}

ferry_err placeholder_check(const char *text, char *why, size_t whylen)
{
	size_t i = 0;

	while (text[i]) {
		if (text[i] == '{' && text[i + 1] == '{') {
			i += 2;
		} else if (text[i] == '}' && text[i + 1] == '}') {
			i += 2;
		} else if (text[i] == '}') {
			snprintf(why, whylen, "unmatched '}' at byte %zu (write '}}' for a brace)", i);
			return FERRY_ECORRUPT;
		} else if (text[i] == '{') {
			const char *close = strchr(text + i + 1, '}');
			size_t n = close ? (size_t)(close - (text + i + 1)) : 0;

			if (!close) {
				snprintf(why, whylen, "unclosed '{' at byte %zu (write '{{' for a brace)", i);
				return FERRY_ECORRUPT;
			}
			if (!known(text + i + 1, n)) {
				snprintf(why, whylen, "unknown placeholder {%.*s} at byte %zu",
					 (int)(n > 40 ? 40 : n), text + i + 1, i);
				return FERRY_ECORRUPT;
			}
			i += n + 2;
		} else {
			i++;
		}
	}
	return FERRY_OK;
}
