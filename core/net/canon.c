#include "net/canon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* 2^53 - 1: the largest integer every JSON implementation keeps exactly. */
#define CANON_INT_MAX 9007199254740991.0

static ferry_err put_value(struct ferry_buf *out, const cJSON *v, int depth, const char *where);

static ferry_err put_string(struct ferry_buf *out, const char *s)
{
	ferry_err rc = ferry_buf_puts(out, "\"");

	for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
		switch (*p) {
		case '"': rc = ferry_buf_puts(out, "\\\""); break;
		case '\\': rc = ferry_buf_puts(out, "\\\\"); break;
		case '\b': rc = ferry_buf_puts(out, "\\b"); break;
		case '\f': rc = ferry_buf_puts(out, "\\f"); break;
		case '\n': rc = ferry_buf_puts(out, "\\n"); break;
		case '\r': rc = ferry_buf_puts(out, "\\r"); break;
		case '\t': rc = ferry_buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20)
				rc = ferry_buf_printf(out, "\\u%04x", (unsigned)*p);
			else
				rc = ferry_buf_append(out, p, 1);
		}
	}
	return rc ? rc : ferry_buf_puts(out, "\"");
}

static ferry_err put_number(struct ferry_buf *out, const cJSON *v, const char *where)
{
	double d = v->valuedouble;
	long long n;

	if (!(d >= -CANON_INT_MAX && d <= CANON_INT_MAX))
		return ferry_error_set(FERRY_EUNSUPPORTED, "canonical JSON: %s: number out of range",
				       where);
	n = (long long)d;
	if ((double)n != d)
		return ferry_error_set(FERRY_EUNSUPPORTED,
				       "canonical JSON: %s: only integers are allowed", where);
	return ferry_buf_printf(out, "%lld", n);
}

static int key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static ferry_err put_object(struct ferry_buf *out, const cJSON *v, int depth, const char *where)
{
	const cJSON **members = NULL;
	size_t n = 0, i = 0;
	ferry_err rc = FERRY_OK;
	char child[128];

	for (const cJSON *c = v->child; c; c = c->next)
		n++;
	if (n) {
		members = ferry_calloc(n, sizeof(*members));
		if (!members)
			return ferry_error_set(FERRY_ENOMEM, "canonical JSON: %zu members", n);
	}
	for (const cJSON *c = v->child; c; c = c->next)
		members[i++] = c;
	if (n > 1)
		qsort(members, n, sizeof(*members), key_cmp);
	rc = ferry_buf_puts(out, "{");
	for (i = 0; !rc && i < n; i++) {
		if (!members[i]->string) {
			rc = ferry_error_set(FERRY_ECORRUPT, "canonical JSON: %s: member without key",
					     where);
			break;
		}
		if (i && !strcmp(members[i - 1]->string, members[i]->string)) {
			rc = ferry_error_set(FERRY_EUNSUPPORTED,
					     "canonical JSON: %s: duplicate key \"%.40s\"", where,
					     members[i]->string);
			break;
		}
		snprintf(child, sizeof(child), "%.60s/%.60s", where, members[i]->string);
		if (i)
			rc = ferry_buf_puts(out, ",");
		if (!rc)
			rc = put_string(out, members[i]->string);
		if (!rc)
			rc = ferry_buf_puts(out, ":");
		if (!rc)
			rc = put_value(out, members[i], depth + 1, child);
	}
	ferry_free(members);
	return rc ? rc : ferry_buf_puts(out, "}");
}

static ferry_err put_array(struct ferry_buf *out, const cJSON *v, int depth, const char *where)
{
	ferry_err rc = ferry_buf_puts(out, "[");
	char child[128];
	size_t i = 0;

	for (const cJSON *c = v->child; !rc && c; c = c->next, i++) {
		snprintf(child, sizeof(child), "%.100s/%zu", where, i);
		if (i)
			rc = ferry_buf_puts(out, ",");
		if (!rc)
			rc = put_value(out, c, depth + 1, child);
	}
	return rc ? rc : ferry_buf_puts(out, "]");
}

static ferry_err put_value(struct ferry_buf *out, const cJSON *v, int depth, const char *where)
{
	if (depth > CANON_MAX_DEPTH)
		return ferry_error_set(FERRY_EUNSUPPORTED, "canonical JSON: %s: nested deeper than %d",
				       where, CANON_MAX_DEPTH);
	switch (v->type & 0xff) {
	case cJSON_False: return ferry_buf_puts(out, "false");
	case cJSON_True: return ferry_buf_puts(out, "true");
	case cJSON_NULL: return ferry_buf_puts(out, "null");
	case cJSON_Number: return put_number(out, v, where);
	case cJSON_String:
		if (!v->valuestring)
			return ferry_error_set(FERRY_ECORRUPT, "canonical JSON: %s: bad string", where);
		return put_string(out, v->valuestring);
	case cJSON_Array: return put_array(out, v, depth, where);
	case cJSON_Object: return put_object(out, v, depth, where);
	default:
		return ferry_error_set(FERRY_EUNSUPPORTED, "canonical JSON: %s: unsupported value",
				       where);
	}
}

ferry_err canon_json(struct ferry_buf *out, const cJSON *v)
{
	if (!out || !v)
		return ferry_error_set(FERRY_EINVAL, "canon_json: missing argument");
	return put_value(out, v, 0, "");
}
