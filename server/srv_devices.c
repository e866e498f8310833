/*
 * Device lists from the admin API: {"names":[...]} or {"csv":"..."}
 * (PowerSyncPro's export pattern: a header naming the device column).
 * Every name is checked before any is returned, so a bad line refuses the
 * whole list and nothing is added.
 */
#include "srv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DEVICES_PER_CALL 100000

/* One CSV field: trimmed, quotes removed (no embedded commas in names). */
static void csv_field(char *out, size_t cap, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '"')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '"' || s[n - 1] == '\r'))
		n--;
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), s);
}

/*
 * Device names from {"names":[...]} or {"csv":"..."}. A CSV has a header
 * naming its device column (name, device, computer or computername, any
 * case; PowerSyncPro exports use ComputerName); other columns are ignored.
 */
ferry_err srv_devices_parse(cJSON *names_out, const cJSON *j, char *why, size_t cap)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(j, "names"), *it;
	const cJSON *csvj = cJSON_GetObjectItemCaseSensitive(j, "csv");
	const char *csv = cJSON_IsString(csvj) ? csvj->valuestring : NULL;
	char dev[SRV_DEVICE_MAX], field[128];
	int idx = 0, col = -1;
	unsigned line = 0;

	if (cJSON_IsArray(names)) {
		cJSON_ArrayForEach(it, names) {
			if (!cJSON_IsString(it) || !srv_device_name_ok(dev, it->valuestring)) {
				snprintf(why, cap, "/names/%d is not a computer name (1-15 of A-Z 0-9 -)",
					 idx);
				return FERRY_ECORRUPT;
			}
			cJSON_AddItemToArray(names_out, cJSON_CreateString(dev));
			idx++;
		}
	} else if (csv) {
		for (const char *p = csv; *p;) {
			const char *eol = strchr(p, '\n'), *f = p;
			size_t len = eol ? (size_t)(eol - p) : strlen(p);
			int i = 0;

			line++;
			while (f < p + len) {
				const char *comma = memchr(f, ',', (size_t)(p + len - f));
				size_t fl = comma ? (size_t)(comma - f) : (size_t)(p + len - f);

				csv_field(field, sizeof(field), f, fl);
				if (line == 1) {
					for (char *q = field; *q; q++)
						*q = (char)tolower((unsigned char)*q);
					if (!strcmp(field, "name") || !strcmp(field, "device") ||
					    !strcmp(field, "computer") || !strcmp(field, "computername"))
						col = i;
				} else if (i == col && *field) {
					if (!srv_device_name_ok(dev, field)) {
						snprintf(why, cap, "csv line %u: '%.40s' is not a computer "
							 "name (1-15 of A-Z 0-9 -)", line, field);
						return FERRY_ECORRUPT;
					}
					cJSON_AddItemToArray(names_out, cJSON_CreateString(dev));
				}
				i++;
				f += fl + (comma ? 1 : 0);
				if (!comma)
					break;
			}
			if (line == 1 && col < 0) {
				snprintf(why, cap, "csv line 1: no column named name, device, computer "
					 "or ComputerName");
				return FERRY_ECORRUPT;
			}
			p += len + (eol ? 1 : 0);
		}
	} else {
		snprintf(why, cap, "the body needs /names (an array) or /csv (text)");
		return FERRY_ECORRUPT;
	}
	if (cJSON_GetArraySize(names_out) > DEVICES_PER_CALL) {
		snprintf(why, cap, "more than %d devices in one call", DEVICES_PER_CALL);
		return FERRY_ERANGE;
	}
	return FERRY_OK;
}

