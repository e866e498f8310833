/*
 * "ferry.batch/1": which runbooks a set of devices gets, and when. Devices
 * come from an inline list and/or a CSV file (first column = computer name,
 * an optional header row "name"/"device", '#' comments). Times are RFC 3339;
 * null or absent means "no such time" (available at once / never enforced).
 */
#include <stdio.h>
#include <string.h>

#include "runbook/rb_json.h"
#include "runbook/rfc3339.h"
#include "runbook/runbook.h"
#include "util/mem.h"

#define CSV_MAX_BYTES (16u * 1024u * 1024u)
#define PATH_BUF 4096

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool eq_ci(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return *a == '\0' && *b == '\0';
}

/* A NetBIOS computer name: 1..15 of letters, digits, '-', '_', not all digits. */
static const char *check_device(const char *s)
{
	size_t n = strlen(s);
	bool digit_only = true;

	if (n == 0 || n > 15)
		return "computer name must be 1 to 15 characters";
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool digit = c >= '0' && c <= '9';

		if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-' &&
		    c != '_')
			return "computer name must be letters, digits, '-' or '_'";
		digit_only &= digit;
	}
	return digit_only ? "computer name must not be all digits" : NULL;
}

static void read_time(struct rbp *p, const cJSON *e, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);

	*out = RB_TIME_NONE;
	if (!v || cJSON_IsNull(v))
		return;
	if (!cJSON_IsString(v) || rfc3339_parse(out, v->valuestring) != FERRY_OK) {
		*out = RB_TIME_NONE;
		rbp_error_at(p, key, "must be an RFC 3339 time (2025-03-01T08:00:00Z) or null");
	}
}

static void read_entries(struct rbp *p, const cJSON *root, struct batch *b)
{
	static const char *const keys[] = { "runbook", "available_from", "enforced_after", NULL };
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "runbooks"), *it;
	size_t saved, i = 0, n;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
		rbp_error_at(p, "runbooks", "required, must be a non-empty array");
		return;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (!(b->entries = ferry_calloc(n, sizeof(*b->entries)))) {
		p->err = FERRY_ENOMEM;
		return;
	}
	saved = rbp_push(p, "runbooks");
	for (it = arr->child; it; it = it->next, i++) {
		size_t s2 = rbp_push_index(p, i);
		struct batch_entry *e = &b->entries[b->n_entries];

		if (!cJSON_IsObject(it)) {
			rbp_error(p, "must be an object {\"runbook\", \"available_from\", \"enforced_after\"}");
			rbp_pop(p, s2);
			continue;
		}
		rbp_check_keys(p, it, keys);
		rbp_string(p, it, "runbook", true, RUNBOOK_ID_MAX, &e->runbook);
		if (e->runbook && rb_check_id(e->runbook))
			rbp_error_at(p, "runbook", "%s", rb_check_id(e->runbook));
		for (size_t j = 0; e->runbook && j < b->n_entries; j++)
			if (!strcmp(b->entries[j].runbook, e->runbook))
				rbp_error_at(p, "runbook", "runbook listed twice in the batch");
		read_time(p, it, "available_from", &e->available_from);
		read_time(p, it, "enforced_after", &e->enforced_after);
		if (e->available_from != RB_TIME_NONE && e->enforced_after != RB_TIME_NONE &&
		    e->enforced_after < e->available_from)
			rbp_error_at(p, "enforced_after", "must not be before available_from");
		if (e->runbook)
			b->n_entries++;
		rbp_pop(p, s2);
	}
	rbp_pop(p, saved);
}

static ferry_err add_device(struct batch *b, const char *name, size_t len)
{
	char **v = ferry_realloc_array(b->devices.v, b->devices.n + 1, sizeof(*v));
	char *s;

	if (!v)
		return FERRY_ENOMEM;
	b->devices.v = v;
	if (!(s = ferry_malloc(len + 1)))
		return FERRY_ENOMEM;
	memcpy(s, name, len);
	s[len] = '\0';
	v[b->devices.n++] = s;
	return FERRY_OK;
}

/* One CSV line's first field, unquoted and trimmed, into field[cap]. */
static const char *csv_first_field(const char *line, size_t len, char *field, size_t cap)
{
	size_t a = 0, b, n;

	while (a < len && (line[a] == ' ' || line[a] == '\t'))
		a++;
	b = a;
	if (a < len && line[a] == '"') {
		for (b = ++a; b < len && line[b] != '"'; b++)
			;
		if (b == len)
			return "unterminated quote";
	} else {
		while (b < len && line[b] != ',')
			b++;
		while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r'))
			b--;
	}
	n = b - a;
	if (n >= cap)
		return "computer name must be 1 to 15 characters";
	memcpy(field, line + a, n);
	field[n] = '\0';
	return NULL;
}

static void read_csv(struct rbp *p, struct batch *b, const char *base_dir)
{
	char path[PATH_BUF], field[64];
	char *text = NULL;
	size_t len = 0, line_no = 0, pos = 0;
	size_t saved = rbp_push(p, "devices_csv");
	bool relative = !(b->devices_csv[0] == '/' || b->devices_csv[0] == '\\' ||
			  (b->devices_csv[0] && b->devices_csv[1] == ':'));

	snprintf(path, sizeof(path), "%s%s%s", relative && base_dir && *base_dir ? base_dir : "",
		 relative && base_dir && *base_dir ? "/" : "", b->devices_csv);
	if (rb_read_file(&text, &len, path, CSV_MAX_BYTES) != FERRY_OK) {
		rbp_error(p, "cannot read %s: %s", path, ferry_error_detail());
		goto out;
	}
	while (pos < len && !p->err) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		const char *why;

		pos += ll + (nl ? 1 : 0);
		line_no++;
		if ((why = csv_first_field(line, ll, field, sizeof(field)))) {
			rbp_error(p, "%s line %zu: %s", b->devices_csv, line_no, why);
			continue;
		}
		if (!field[0] || field[0] == '#' ||
		    (line_no == 1 && (eq_ci(field, "name") || eq_ci(field, "device"))))
			continue;
		if ((why = check_device(field)))
			rbp_error(p, "%s line %zu: %s", b->devices_csv, line_no, why);
		else if (batch_has_device(b, field))
			rbp_error(p, "%s line %zu: device %s listed twice", b->devices_csv, line_no, field);
		else if (add_device(b, field, strlen(field)) != FERRY_OK)
			p->err = FERRY_ENOMEM;
	}
out:
	ferry_free(text);
	rbp_pop(p, saved);
}

static void read_devices(struct rbp *p, const cJSON *root, struct batch *b, const char *base_dir,
			 bool load_csv)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "devices"), *it;
	size_t saved, i = 0;

	rbp_string(p, root, "devices_csv", false, PATH_BUF - 512, &b->devices_csv);
	if (!d && !cJSON_GetObjectItemCaseSensitive(root, "devices_csv")) {
		rbp_error_at(p, "devices", "required: a list of computer names and/or devices_csv");
		return;
	}
	if (d && !cJSON_IsArray(d)) {
		rbp_error_at(p, "devices", "must be an array of computer names");
		return;
	}
	saved = rbp_push(p, "devices");
	for (it = d ? d->child : NULL; it && !p->err; it = it->next, i++) {
		size_t s2 = rbp_push_index(p, i);
		const char *why = cJSON_IsString(it) ? check_device(it->valuestring) :
						       "must be a string";

		if (why)
			rbp_error(p, "%s", why);
		else if (batch_has_device(b, it->valuestring))
			rbp_error(p, "device listed twice");
		else if (add_device(b, it->valuestring, strlen(it->valuestring)) != FERRY_OK)
			p->err = FERRY_ENOMEM;
		rbp_pop(p, s2);
	}
	rbp_pop(p, saved);
	if (b->devices_csv && load_csv)
		read_csv(p, b, base_dir);
}

ferry_err batch_parse(struct batch **out, struct rb_issues *iss, const char *file,
		      const char *json, size_t len, const char *base_dir, bool load_csv)
{
	static const char *const keys[] = { "schema", "id", "name", "description", "runbooks",
		"devices", "devices_csv", NULL };
	struct batch *b;
	struct rbp p;
	cJSON *root;
	ferry_err err;

	*out = NULL;
	rbp_init(&p, iss, file);
	if (!(b = ferry_calloc(1, sizeof(*b))))
		return ferry_error_set(FERRY_ENOMEM, "batch: out of memory");
	root = rbp_parse_json(&p, json, len);
	if (root) {
		char *scratch = NULL;

		rbp_schema(&p, root, BATCH_SCHEMA);
		rbp_check_keys(&p, root, keys);
		rbp_string(&p, root, "id", true, RUNBOOK_ID_MAX, &b->id);
		if (b->id && rb_check_id(b->id))
			rbp_error_at(&p, "id", "%s", rb_check_id(b->id));
		rbp_string(&p, root, "name", false, 256, &scratch);
		ferry_free(scratch);
		scratch = NULL;
		rbp_string(&p, root, "description", false, RUNBOOK_MAX_TEXT, &scratch);
		ferry_free(scratch);
		read_entries(&p, root, b);
		read_devices(&p, root, b, base_dir, load_csv);
	}
	cJSON_Delete(root);
	if (p.err) {
		err = ferry_error_set(FERRY_ENOMEM, "batch: out of memory");
	} else if (p.n_issues) {
		err = ferry_error_set(FERRY_ECORRUPT, "batch %s: %zu problem(s)", p.file, p.n_issues);
	} else {
		*out = b;
		return FERRY_OK;
	}
	batch_free(b);
	return err;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_entries; i++)
		ferry_free(b->entries[i].runbook);
	ferry_free(b->entries);
	rb_strlist_free(&b->devices);
	ferry_free(b->devices_csv);
	ferry_free(b->id);
	ferry_free(b);
}

bool batch_has_device(const struct batch *b, const char *device)
{
	for (size_t i = 0; i < b->devices.n; i++)
		if (eq_ci(b->devices.v[i], device))
			return true;
	return false;
}

enum rb_doc_kind rb_doc_kind(const char *json, size_t len)
{
	cJSON *root = cJSON_ParseWithLengthOpts(json, len, NULL, 0);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "schema");
	enum rb_doc_kind k = cJSON_IsObject(root) ? RB_DOC_UNKNOWN : RB_DOC_NOT_JSON;

	if (cJSON_IsString(s) && !strcmp(s->valuestring, RUNBOOK_SCHEMA))
		k = RB_DOC_RUNBOOK;
	else if (cJSON_IsString(s) && !strcmp(s->valuestring, BATCH_SCHEMA))
		k = RB_DOC_BATCH;
	cJSON_Delete(root);
	return k;
}

ferry_err rb_read_file(char **out, size_t *len, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	ferry_err err = FERRY_OK;

	*out = NULL;
	*len = 0;
	if (!f)
		return ferry_error_set(FERRY_EIO, "cannot open %s", path);
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap > max) {
				err = ferry_error_set(FERRY_ERANGE, "%s is larger than %zu bytes", path, max);
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			if (!(nb = ferry_realloc_array(buf, cap + 1, 1))) {
				err = ferry_error_set(FERRY_ENOMEM, "reading %s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err = ferry_error_set(FERRY_EIO, "reading %s failed", path);
		goto out;
	}
	if (n > max) {
		err = ferry_error_set(FERRY_ERANGE, "%s is larger than %zu bytes", path, max);
		goto out;
	}
	if (!buf && !(buf = ferry_malloc(1))) {
		err = ferry_error_set(FERRY_ENOMEM, "reading %s: out of memory", path);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	ferry_free(buf);
	fclose(f);
	return err;
}
