#include "runbook/rb_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runbook/placeholder.h"
#include "util/mem.h"

void rbp_init(struct rbp *p, struct rb_issues *iss, const char *file)
{
	memset(p, 0, sizeof(*p));
	p->iss = iss;
	p->file = file ? file : "";
}

/* RFC 6901: '~' is written "~0" and '/' is written "~1". A pointer that would
 * not fit is cut, which only shortens the location in a message. */
size_t rbp_push(struct rbp *p, const char *key)
{
	size_t saved = p->len;

	if (p->len + 1 < RBP_PTR_MAX)
		p->ptr[p->len++] = '/';
	for (const char *k = key; *k && p->len + 2 < RBP_PTR_MAX; k++) {
		if (*k == '~' || *k == '/') {
			p->ptr[p->len++] = '~';
			p->ptr[p->len++] = *k == '~' ? '0' : '1';
		} else {
			p->ptr[p->len++] = *k;
		}
	}
	p->ptr[p->len] = '\0';
	return saved;
}

size_t rbp_push_index(struct rbp *p, size_t i)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", i);
	return rbp_push(p, num);
}

void rbp_pop(struct rbp *p, size_t saved)
{
	p->len = saved;
	p->ptr[saved] = '\0';
}

static void add_v(struct rbp *p, const char *fmt, va_list ap) FERRY_PRINTF(2, 0);

static void add_v(struct rbp *p, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	p->n_issues++;
	if (rb_issues_add(p->iss, p->file, p->ptr, "%s", msg) != FERRY_OK)
		p->err = FERRY_ENOMEM;
}

void rbp_error(struct rbp *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_v(p, fmt, ap);
	va_end(ap);
}

void rbp_error_at(struct rbp *p, const char *key, const char *fmt, ...)
{
	size_t saved = rbp_push(p, key);
	va_list ap;

	va_start(ap, fmt);
	add_v(p, fmt, ap);
	va_end(ap);
	rbp_pop(p, saved);
}

void rbp_error_ptr(struct rbp *p, const char *rel, const char *fmt, ...)
{
	size_t saved = p->len, n = strlen(rel);
	va_list ap;

	if (p->len + n < RBP_PTR_MAX) {
		memcpy(p->ptr + p->len, rel, n + 1);
		p->len += n;
	}
	va_start(ap, fmt);
	add_v(p, fmt, ap);
	va_end(ap);
	rbp_pop(p, saved);
}

void rbp_check_keys(struct rbp *p, const cJSON *obj, const char *const *allowed)
{
	const cJSON *it, *prev;

	for (it = obj ? obj->child : NULL; it; it = it->next) {
		bool known = false;

		for (size_t i = 0; allowed[i]; i++)
			known |= !strcmp(allowed[i], it->string);
		if (!known) {
			rbp_error_at(p, it->string, "unknown key");
			continue;
		}
		/* cJSON keeps duplicates; which one wins must not be a guess. */
		for (prev = obj->child; prev != it; prev = prev->next)
			if (!strcmp(prev->string, it->string)) {
				rbp_error_at(p, it->string, "duplicate key");
				break;
			}
	}
}

const cJSON *rbp_object(struct rbp *p, const cJSON *obj, const char *key, bool required)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	if (!v) {
		if (required && obj)
			rbp_error_at(p, key, "required object is missing");
		return NULL;
	}
	if (!cJSON_IsObject(v)) {
		rbp_error_at(p, key, "must be an object");
		return NULL;
	}
	return v;
}

void rbp_bool(struct rbp *p, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	if (!v)
		return;
	if (!cJSON_IsBool(v)) {
		rbp_error_at(p, key, "must be true or false");
		return;
	}
	*out = cJSON_IsTrue(v);
}

void rbp_uint(struct rbp *p, const cJSON *obj, const char *key, unsigned min, unsigned max,
	      unsigned *out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	double d;

	if (!v)
		return;
	d = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
	/* The range first: converting a double outside unsigned's range (or
	 * NaN) is undefined behaviour, so the whole-number test comes after. */
	if (!cJSON_IsNumber(v) || !(d >= min && d <= max) || d != (double)(unsigned)d) {
		rbp_error_at(p, key, "must be a whole number from %u to %u", min, max);
		return;
	}
	*out = (unsigned)d;
}

void rbp_string(struct rbp *p, const cJSON *obj, const char *key, bool required,
		size_t maxlen, char **out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	size_t n;

	if (!v) {
		if (required && obj)
			rbp_error_at(p, key, "required string is missing");
		return;
	}
	if (!cJSON_IsString(v)) {
		rbp_error_at(p, key, "must be a string");
		return;
	}
	n = strlen(v->valuestring);
	if (n == 0 || n > maxlen) {
		rbp_error_at(p, key, "must be 1 to %zu bytes long", maxlen);
		return;
	}
	ferry_free(*out);
	*out = ferry_strdup(v->valuestring);
	if (!*out)
		p->err = FERRY_ENOMEM;
}

void rbp_enum(struct rbp *p, const cJSON *obj, const char *key, bool required,
	      const char *const *names, int *out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	char expect[256] = "";

	if (!v) {
		if (required && obj)
			rbp_error_at(p, key, "required value is missing");
		return;
	}
	for (int i = 0; names[i]; i++) {
		if (cJSON_IsString(v) && !strcmp(v->valuestring, names[i])) {
			*out = i;
			return;
		}
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "%s\"%s\"",
			 i ? ", " : "", names[i]);
	}
	rbp_error_at(p, key, "must be one of %s", expect);
}

void rbp_strlist(struct rbp *p, const cJSON *obj, const char *key, size_t maxlen,
		 const char *(*check)(const char *s), struct rb_strlist *out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	const cJSON *it;
	size_t saved, i = 0, n;

	if (!v)
		return;
	if (!cJSON_IsArray(v)) {
		rbp_error_at(p, key, "must be an array of strings");
		return;
	}
	n = (size_t)cJSON_GetArraySize(v);
	out->v = n ? ferry_calloc(n, sizeof(*out->v)) : NULL;
	if (n && !out->v) {
		p->err = FERRY_ENOMEM;
		return;
	}
	saved = rbp_push(p, key);
	for (it = v->child; it; it = it->next, i++) {
		size_t s2 = rbp_push_index(p, i);
		const char *why = NULL;

		if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) > maxlen)
			why = "must be a non-empty string";
		else if (check)
			why = check(it->valuestring);
		for (size_t j = 0; !why && j < out->n; j++)
			if (!strcmp(out->v[j], it->valuestring))
				why = "duplicate entry";
		if (why) {
			rbp_error(p, "%s", why);
		} else if (!(out->v[out->n] = ferry_strdup(it->valuestring))) {
			p->err = FERRY_ENOMEM;
		} else {
			out->n++;
		}
		rbp_pop(p, s2);
	}
	rbp_pop(p, saved);
}

const char *rb_check_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RUNBOOK_ID_MAX)
		return "id must be 1 to 64 characters";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return "id must be letters, digits, '.', '_' or '-', starting with a letter or digit";
	}
	return NULL;
}

/* True for "" and for text of spaces, tabs and line breaks only. */
static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

void rbp_text(struct rbp *p, const cJSON *obj, const char *key, bool required, char **out)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	char why[160];
	size_t saved;

	/* A text left empty is a text left out: the built-in one stands. Admins
	 * copy runbooks from guides that say "can be left as default", and an
	 * empty string must not refuse the whole set. */
	if (cJSON_IsString(v) && blank(v->valuestring))
		return;
	rbp_string(p, obj, key, required, RUNBOOK_MAX_TEXT, out);
	if (!*out)
		return;
	if (placeholder_check(*out, why, sizeof(why)) != FERRY_OK) {
		saved = rbp_push(p, key);
		rbp_error(p, "%s", why);
		rbp_pop(p, saved);
	}
}

cJSON *rbp_parse_json(struct rbp *p, const char *json, size_t len)
{
	const char *end = NULL;
	cJSON *root;

	if (len > RUNBOOK_MAX_BYTES) {
		rbp_error(p, "document is larger than %u bytes", RUNBOOK_MAX_BYTES);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		rbp_error(p, "not valid JSON (near byte %zu)",
			  end && end >= json ? (size_t)(end - json) : (size_t)0);
		return NULL;
	}
	/* Only whitespace may follow the value. */
	for (const char *q = end; q && q < json + len; q++) {
		if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n' && *q != '\0') {
			rbp_error(p, "text after the JSON value (byte %zu)", (size_t)(q - json));
			cJSON_Delete(root);
			return NULL;
		}
	}
	if (!cJSON_IsObject(root)) {
		rbp_error(p, "document must be a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

void rbp_schema(struct rbp *p, const cJSON *root, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "schema");

	if (!v)
		rbp_error_at(p, "schema", "required, must be \"%s\"", want);
	else if (!cJSON_IsString(v) || strcmp(v->valuestring, want))
		rbp_error_at(p, "schema", "must be \"%s\"", want);
}

void rb_strlist_free(struct rb_strlist *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		ferry_free(l->v[i]);
	if (l) {
		ferry_free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}

ferry_err rb_issues_add(struct rb_issues *iss, const char *file, const char *pointer,
			const char *fmt, ...)
{
	char msg[512];
	struct rb_issue *it;
	va_list ap;

	if (iss->n == iss->cap) {
		size_t cap = iss->cap ? iss->cap * 2 : 8;
		struct rb_issue *v = ferry_realloc_array(iss->v, cap, sizeof(*v));

		if (!v)
			return FERRY_ENOMEM;
		iss->v = v;
		iss->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it = &iss->v[iss->n];
	it->file = ferry_strdup(file ? file : "");
	it->pointer = ferry_strdup(pointer ? pointer : "");
	it->message = ferry_strdup(msg);
	if (!it->file || !it->pointer || !it->message) {
		ferry_free(it->file);
		ferry_free(it->pointer);
		ferry_free(it->message);
		return FERRY_ENOMEM;
	}
	iss->n++;
	return FERRY_OK;
}

void rb_issues_clear(struct rb_issues *iss)
{
	if (!iss)
		return;
	for (size_t i = 0; i < iss->n; i++) {
		ferry_free(iss->v[i].file);
		ferry_free(iss->v[i].pointer);
		ferry_free(iss->v[i].message);
	}
	ferry_free(iss->v);
	iss->v = NULL;
	iss->n = iss->cap = 0;
}
