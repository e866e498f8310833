/*
 * ferry-server's parsers of outside input: the configuration file, agent
 * status reports (with their rehearsal flag), admin device lists (names or
 * CSV), request paths, and POST /odj's body (ou, dry_run).
 * The first byte picks the parser; the rest is its input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srv.h"
#include "srv_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 256 * 1024)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0: {
		struct srv_config c;

		srv_config_defaults(&c, "/srv");
		(void)srv_config_parse(&c, text, size - 1, "fuzz.conf");
		break;
	}
	case 1: {
		cJSON *j = cJSON_ParseWithLength(text, size - 1);
		uint64_t seq;
		const char *phase;

		bool rehearsal;

		if (cJSON_IsObject(j) && srv_status_check(j, &seq, &phase) == FERRY_OK)
			(void)srv_status_rehearsal(j, &rehearsal);
		cJSON_Delete(j);
		break;
	}
	case 4: {
		cJSON *j = cJSON_ParseWithLength(text, size - 1);
		const char *ou;
		bool dry;

		if (cJSON_IsObject(j) && srv_odj_request_check(j, &ou, &dry) == FERRY_OK && ou)
			(void)strlen(ou);
		cJSON_Delete(j);
		break;
	}
	case 2: {
		cJSON *j = cJSON_ParseWithLength(text, size - 1), *names = cJSON_CreateArray();
		char why[160];

		if (cJSON_IsObject(j) && names)
			(void)srv_devices_parse(names, j, why, sizeof(why));
		cJSON_Delete(names);
		cJSON_Delete(j);
		break;
	}
	default: {
		struct srv_req r;

		memset(&r, 0, sizeof(r));
		(void)srv_req_split(&r, text);
		break;
	}
	}
	free(text);
	return 0;
}
