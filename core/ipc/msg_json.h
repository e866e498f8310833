/*
 * Internal to core/ipc: strict field readers and writers over cJSON. Every
 * failure detail names the op and the key, and never the value, so a
 * password can never reach an error message.
 */
#ifndef FERRY_IPC_MSG_JSON_H
#define FERRY_IPC_MSG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/err.h"

/* Refuse any key of obj not in the NULL-terminated `allowed`. */
ferry_err ipcj_check_keys(const cJSON *obj, const char *what, const char *const *allowed);

/* Copy string `key` (at most max bytes) into dst[max + 1]; "" when absent and optional. */
ferry_err ipcj_string(const cJSON *obj, const char *what, const char *key, bool required,
		      char *dst, size_t max);

/* Integer `key` in [min, max]; *out untouched when absent and optional. */
ferry_err ipcj_uint(const cJSON *obj, const char *what, const char *key, bool required,
		    uint64_t min, uint64_t max, uint64_t *out);

ferry_err ipcj_bool(const cJSON *obj, const char *what, const char *key, bool required,
		    bool *out);

/* Envelope {"v":1,"id":id} as a new object; NULL on allocation failure. */
cJSON *ipcj_envelope(uint64_t id);

/* Add helpers that return false on allocation failure. */
bool ipcj_add_str(cJSON *obj, const char *key, const char *s);
bool ipcj_add_num(cJSON *obj, const char *key, double n);
bool ipcj_add_bool(cJSON *obj, const char *key, bool b);

#endif
