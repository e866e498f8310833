/* The sealed ODJ blob from BundleDir: see odj_dir.h for the files and rules. */
#include "net/odj_dir.h"

#include <stdio.h>
#include <string.h>

#include "odj/odj.h"
#include "runbook/runbook.h"
#include "util/hex.h"
#include "util/mem.h"
#include "util/utf.h"

ferry_err net_odj_sealed_check(const cJSON *list, const char *what)
{
	size_t i = 0;

	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > (int)NET_ODJ_SEALED_MAX)
		return ferry_error_set(FERRY_ECORRUPT, "%s: /odj_sealed must be an array of at most "
				       "%u entries", what, NET_ODJ_SEALED_MAX);
	for (const cJSON *e = list->child; e; e = e->next, i++) {
		const char *dev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "device"));
		const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "sha256"));
		uint8_t raw[32];
		size_t got = 0;

		if (!cJSON_IsObject(e) || cJSON_GetArraySize(e) != 2)
			return ferry_error_set(FERRY_ECORRUPT, "%s: /odj_sealed/%zu must be "
					       "{\"device\",\"sha256\"}", what, i);
		if (!dev || rb_check_computer_name(dev))
			return ferry_error_set(FERRY_ECORRUPT, "%s: /odj_sealed/%zu/device is not a "
					       "computer name", what, i);
		if (!h || strlen(h) != 64 || ferry_hex_decode(raw, sizeof(raw), &got, h, 64) ||
		    got != 32)
			return ferry_error_set(FERRY_ECORRUPT, "%s: /odj_sealed/%zu/sha256 is not 64 "
					       "hex digits", what, i);
		for (const cJSON *f = list->child; f != e; f = f->next)
			if (ferry_ascii_ieq(cJSON_GetStringValue(
						    cJSON_GetObjectItemCaseSensitive(f, "device")), dev))
				return ferry_error_set(FERRY_ECORRUPT, "%s: /odj_sealed/%zu/device "
						       "repeats %s", what, i, dev);
	}
	return FERRY_OK;
}

ferry_err net_odj_sealed_digest(uint8_t out[32], const cJSON *list, const char *device)
{
	const cJSON *e;
	size_t got = 0;

	cJSON_ArrayForEach(e, list) {
		const char *dev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "device"));
		const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "sha256"));

		if (dev && h && ferry_ascii_ieq(dev, device))
			return ferry_hex_decode(out, 32, &got, h, strlen(h)) || got != 32 ?
				ferry_error_set(FERRY_ECORRUPT, "/odj_sealed: %s's sha256", device) :
				FERRY_OK;
	}
	return ferry_error_set(FERRY_ENOTFOUND, "the signed bundle names no sealed ODJ blob for %s "
			       "(/odj_sealed)", device);
}

ferry_err net_agent_odj_dir(struct net_agent *a, const uint8_t want[32], const char *bundle_dir,
			    const char *domain, uint8_t **sealed, size_t *len)
{
	char path[NET_PATH_MAX + 64], *data = NULL;
	uint8_t got[32];
	size_t n = 0;
	ferry_err rc;

	*sealed = NULL;
	*len = 0;
	if (rb_check_computer_name(a->machine))
		return ferry_error_set(FERRY_EINVAL, "ODJ from BundleDir: \"%.64s\" is not a computer "
				       "name", a->machine);
	snprintf(path, sizeof(path), "%s/odj/%s.sealed", bundle_dir, a->machine);
	rc = rb_read_file(&data, &n, path, SEAL_OVERHEAD + 2u * ODJ_MAX_BLOB_BYTES);
	if (rc == FERRY_EIO || rc == FERRY_ENOTFOUND)
		rc = ferry_error_set(FERRY_ENOTFOUND, "%s: no sealed ODJ blob for this PC", path);
	if (!rc)
		rc = net_sha256(got, (const uint8_t *)data, n);
	if (!rc && memcmp(got, want, 32))
		rc = ferry_error_set(FERRY_EAUTH, "%s: not the blob the signed bundle names (its "
				     "SHA-256 differs): refused", path);
	if (!rc)
		rc = net_agent_odj_open(a, (const uint8_t *)data, n, domain, NULL);
	if (!rc) {
		*sealed = (uint8_t *)data;
		*len = n;
		data = NULL;
	}
	ferry_free(data);
	return rc;
}
