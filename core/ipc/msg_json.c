/* Strict cJSON field readers and writers for core/ipc (see msg_json.h). */
#include <string.h>

#include "ipc/frame.h"
#include "ipc/msg_json.h"

ferry_err ipcj_check_keys(const cJSON *obj, const char *what, const char *const *allowed)
{
	size_t n = 0;

	for (const cJSON *c = obj->child; c; c = c->next) {
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], c->string))
			i++;
		/* cache_credentials keys are not echoed: a client that slips
		 * and sends the password as a key must not see it logged. */
		if (!allowed[i] && !strcmp(what, "cache_credentials"))
			return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: unknown key (member %lu)",
					       what, (unsigned long)n);
		if (!allowed[i])
			return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: unknown key \"%.32s\"",
					       what, c->string);
		n++;
	}
	return FERRY_OK;
}

ferry_err ipcj_string(const cJSON *obj, const char *what, const char *key, bool required,
		      char *dst, size_t max)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t len;

	dst[0] = 0;
	if (!n) {
		if (required)
			return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is missing",
					       what, key);
		return FERRY_OK;
	}
	if (!cJSON_IsString(n))
		return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is not a string", what, key);
	len = strlen(n->valuestring);
	if (len > max)
		return ferry_error_set(FERRY_ERANGE, "ipc: %s: \"%s\" is %lu bytes, at most %lu",
				       what, key, (unsigned long)len, (unsigned long)max);
	if (required && len == 0)
		return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is empty", what, key);
	memcpy(dst, n->valuestring, len + 1);
	return FERRY_OK;
}

ferry_err ipcj_uint(const cJSON *obj, const char *what, const char *key, bool required,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!n) {
		if (required)
			return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is missing",
					       what, key);
		return FERRY_OK;
	}
	if (!cJSON_IsNumber(n))
		return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is not a number", what, key);
	d = n->valuedouble;
	if (!(d >= (double)min && d <= (double)max) || (double)(uint64_t)d != d)
		return ferry_error_set(FERRY_ERANGE,
				       "ipc: %s: \"%s\" is not an integer in %llu..%llu", what, key,
				       (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)d;
	return FERRY_OK;
}

ferry_err ipcj_bool(const cJSON *obj, const char *what, const char *key, bool required,
		    bool *out)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!n) {
		if (required)
			return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is missing",
					       what, key);
		return FERRY_OK;
	}
	if (!cJSON_IsBool(n))
		return ferry_error_set(FERRY_ECORRUPT, "ipc: %s: \"%s\" is not a boolean", what,
				       key);
	*out = cJSON_IsTrue(n);
	return FERRY_OK;
}

bool ipcj_add_str(cJSON *obj, const char *key, const char *s)
{
	return cJSON_AddStringToObject(obj, key, s) != NULL;
}

bool ipcj_add_num(cJSON *obj, const char *key, double n)
{
	return cJSON_AddNumberToObject(obj, key, n) != NULL;
}

bool ipcj_add_bool(cJSON *obj, const char *key, bool b)
{
	return cJSON_AddBoolToObject(obj, key, b) != NULL;
}

cJSON *ipcj_envelope(uint64_t id)
{
	cJSON *o = cJSON_CreateObject();

	if (o && ipcj_add_num(o, "v", IPC_VERSION) && ipcj_add_num(o, "id", (double)id))
		return o;
	cJSON_Delete(o);
	return NULL;
}
