/*
 * The admin's overrides: a CSV of source,target[,comment]. Each side is an
 * objectSid or a sAMAccountName (case-insensitive); a target of "-" means
 * "never map this source". A header line whose first field is "source" is
 * skipped, as are blank lines and '#' comments. The names are resolved
 * against the snapshots by dir_table_build, which refuses the whole build
 * when one does not resolve: an override is the admin's word, and a typo in
 * it must not pass silently.
 */
#include <string.h>

#include "dir/dir_internal.h"
#include "dir/table_build.h"
#include "util/mem.h"

#define FIELD_MAX 512
#define FIELDS 3

static bool blank_or_comment(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == n || s[i] == '#';
}

void dir_overrides_free(struct dir_overrides *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		ferry_free(o->v[i].source);
		ferry_free(o->v[i].target);
	}
	ferry_free(o->v);
	ferry_free(o);
}

static ferry_err add(struct dir_overrides *o, const char *src, const char *dst, unsigned line)
{
	struct dir_override *v;

	if (o->n >= DIR_OVERRIDES_MAX)
		return ferry_error_set(FERRY_ERANGE, "overrides: more than %u lines", DIR_OVERRIDES_MAX);
	if (!src[0] || !dst[0])
		return ferry_error_set(FERRY_ECORRUPT,
		                       "overrides line %u: source and target are required (target "
		                       "\"-\" excludes)",
		                       line);
	if ((o->n & (o->n - 1)) == 0) {
		v = ferry_realloc_array(o->v, o->n ? o->n * 2 : 1, sizeof(*v));
		if (!v)
			return ferry_error_set(FERRY_ENOMEM, "overrides: out of memory");
		o->v = v;
	}
	v = &o->v[o->n];
	v->line = line;
	v->source = ferry_strdup(src);
	v->target = ferry_strdup(dst);
	o->n++;
	if (!v->source || !v->target)
		return ferry_error_set(FERRY_ENOMEM, "overrides: out of memory");
	return FERRY_OK;
}

ferry_err dir_overrides_parse(struct dir_overrides **out, const char *csv, size_t len)
{
	struct dir_overrides *o = ferry_calloc(1, sizeof(*o));
	char *f = ferry_malloc(FIELDS * FIELD_MAX);
	size_t pos = 0;
	unsigned line = 0;
	ferry_err rc = o && f ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "overrides: out of memory");

	*out = NULL;
	if (rc == FERRY_OK && len > DIR_OVERRIDES_MAX_FILE)
		rc = ferry_error_set(FERRY_ERANGE, "overrides: %zu bytes (limit %u)", len,
		                     DIR_OVERRIDES_MAX_FILE);
	if (len >= 3 && !memcmp(csv, "\xEF\xBB\xBF", 3))
		pos = 3;
	while (rc == FERRY_OK && pos < len) {
		const char *s = csv + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, count;

		pos += n + 1;
		line++;
		if (blank_or_comment(s, n))
			continue;
		rc = dir_csv_split(f, FIELD_MAX, FIELDS, &count, s, n, "overrides", line);
		if (rc != FERRY_OK)
			break;
		if (count < 2) {
			rc = ferry_error_set(FERRY_ECORRUPT, "overrides line %u: expected source,target",
			                     line);
			break;
		}
		if (!o->n && dir_ieq(f, "source"))
			continue;
		rc = add(o, f, f + FIELD_MAX, line);
	}
	ferry_free(f);
	if (rc != FERRY_OK) {
		dir_overrides_free(o);
		return rc;
	}
	*out = o;
	return FERRY_OK;
}
