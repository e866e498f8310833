/* Reading the translation table from CSV and JSON text and from files. */
#include "sec/table.h"

#include <stdio.h>

#include <cjson/cJSON.h>

#include "util/mem.h"

#define CSV_FIELDS 4
#define CSV_FIELD_MAX 512

struct csv_line {
	char field[CSV_FIELDS][CSV_FIELD_MAX];
	int n;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split one line (without its '\n') into fields: RFC 4180 quoting, outer
 * blanks of unquoted fields trimmed. */
static ferry_err csv_split(struct csv_line *out, const char *s, size_t len, unsigned line)
{
	size_t i = 0;

	out->n = 0;
	for (;;) {
		size_t n = 0;
		char *f;

		if (out->n == CSV_FIELDS)
			return ferry_error_set(FERRY_ECORRUPT, "table line %u: more than 4 fields",
			                       line);
		f = out->field[out->n++];
		while (i < len && is_space(s[i]))
			i++;
		if (i < len && s[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					return ferry_error_set(FERRY_ECORRUPT,
					                       "table line %u: unterminated quote",
					                       line);
				if (s[i] == '"' && !(i + 1 < len && s[i + 1] == '"'))
					break;
				if (s[i] == '"')
					i++;
				if (n + 1 >= CSV_FIELD_MAX)
					return ferry_error_set(
					    FERRY_ECORRUPT, "table line %u: field too long", line);
				f[n++] = s[i];
			}
			i++;
			while (i < len && is_space(s[i]))
				i++;
		} else {
			while (i < len && s[i] != ',') {
				if (n + 1 >= CSV_FIELD_MAX)
					return ferry_error_set(
					    FERRY_ECORRUPT, "table line %u: field too long", line);
				f[n++] = s[i++];
			}
			while (n && is_space(f[n - 1]))
				n--;
		}
		f[n] = 0;
		if (i >= len)
			return FERRY_OK;
		if (s[i] != ',')
			return ferry_error_set(FERRY_ECORRUPT,
			                       "table line %u: text after a quoted field", line);
		i++;
	}
}

static int blank_or_comment(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && is_space(s[i]))
		i++;
	return i == len || s[i] == '#';
}

ferry_err sec_table_load_csv(struct sec_table **out, const char *text, size_t len)
{
	struct sec_table *t = NULL;
	struct csv_line *cl = ferry_malloc(sizeof(*cl));
	size_t pos = 0;
	unsigned line = 0;
	int seen_data = 0;
	ferry_err rc =
	    cl ? sec_table_new(&t) : ferry_error_set(FERRY_ENOMEM, "table: out of memory");

	*out = NULL;
	/* A UTF-8 byte order mark, as spreadsheet exports write. */
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		pos = 3;
	while (rc == FERRY_OK && pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + 1;
		line++;
		if (blank_or_comment(s, n))
			continue;
		if ((rc = csv_split(cl, s, n, line)) != FERRY_OK)
			break;
		/* The first non-blank line is a header when it does not start with a SID. */
		if (!seen_data++ &&
		    !((cl->field[0][0] == 'S' || cl->field[0][0] == 's') && cl->field[0][1] == '-'))
			continue;
		if (cl->n != 2 && cl->n != 4) {
			rc = ferry_error_set(FERRY_ECORRUPT,
			                     "table line %u: %d fields, expected 2 or 4", line,
			                     cl->n);
			break;
		}
		rc = sec_table_add(t, cl->field[0], cl->field[1], cl->n == 4 ? cl->field[2] : NULL,
		                   cl->n == 4 ? cl->field[3] : NULL, line);
	}
	if (rc == FERRY_OK)
		rc = sec_table_finish(t);
	ferry_free(cl);
	if (rc != FERRY_OK) {
		sec_table_free(t);
		return rc;
	}
	*out = t;
	return FERRY_OK;
}

static ferry_err json_entry(struct sec_table *t, const cJSON *e, unsigned index)
{
	static const char *const keys[] = {"source_sid", "target_sid", "source_name",
	                                   "target_name"};
	const char *v[4] = {NULL, NULL, NULL, NULL};
	const cJSON *item;

	if (!cJSON_IsObject(e))
		return ferry_error_set(FERRY_ECORRUPT, "table entry %u: not an object", index);
	cJSON_ArrayForEach(item, e)
	{
		int k = 0;

		while (k < 4 && strcmp(item->string, keys[k]))
			k++;
		if (k == 4)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "table entry %u: unknown key \"%.40s\"", index,
			                       item->string);
		if (!cJSON_IsString(item))
			return ferry_error_set(FERRY_ECORRUPT, "table entry %u: %s is not a string",
			                       index, keys[k]);
		v[k] = item->valuestring;
	}
	if (!v[0] || !v[1])
		return ferry_error_set(FERRY_ECORRUPT,
		                       "table entry %u: source_sid and target_sid are required",
		                       index);
	return sec_table_add(t, v[0], v[1], v[2], v[3], index);
}

ferry_err sec_table_load_json(struct sec_table **out, const char *text, size_t len)
{
	struct sec_table *t = NULL;
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *arr = root, *e;
	unsigned index = 0;
	ferry_err rc;

	*out = NULL;
	if (!root)
		return ferry_error_set(FERRY_ECORRUPT, "table: invalid JSON");
	if (cJSON_IsObject(root))
		arr = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return ferry_error_set(FERRY_ECORRUPT,
		                       "table: expected an array or an object with \"entries\"");
	}
	rc = sec_table_new(&t);
	cJSON_ArrayForEach(e, arr)
	{
		if (rc != FERRY_OK)
			break;
		rc = json_entry(t, e, index++);
	}
	if (rc == FERRY_OK)
		rc = sec_table_finish(t);
	cJSON_Delete(root);
	if (rc != FERRY_OK) {
		sec_table_free(t);
		return rc;
	}
	*out = t;
	return FERRY_OK;
}

/* Read a whole file of at most SEC_TABLE_MAX_FILE bytes, growing as it goes. */
static ferry_err read_file(char **out, size_t *out_len, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!f)
		return ferry_error_set(FERRY_EIO, "table %.200s: cannot open", path);
	for (;;) {
		size_t got;

		if (len == cap) {
			char *p;

			if (cap > SEC_TABLE_MAX_FILE) {
				rc = ferry_error_set(FERRY_ERANGE,
				                     "table %.200s: larger than %u bytes", path,
				                     SEC_TABLE_MAX_FILE);
				break;
			}
			cap = cap ? cap * 2 : 65536;
			if (!(p = ferry_realloc_array(text, cap, 1))) {
				rc = ferry_error_set(FERRY_ENOMEM, "table: out of memory");
				break;
			}
			text = p;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (rc == FERRY_OK && ferror(f))
		rc = ferry_error_set(FERRY_EIO, "table %.200s: read failed", path);
	fclose(f);
	if (rc != FERRY_OK) {
		ferry_free(text);
		return rc;
	}
	*out = text;
	*out_len = len;
	return FERRY_OK;
}

ferry_err sec_table_load_file(struct sec_table **out, const char *path)
{
	char *text = NULL;
	size_t len = 0, i = 0;
	ferry_err rc = read_file(&text, &len, path);

	*out = NULL;
	if (rc != FERRY_OK)
		return rc;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && (is_space(text[i]) || text[i] == '\n'))
		i++;
	if (i < len && (text[i] == '[' || text[i] == '{'))
		rc = sec_table_load_json(out, text + i, len - i);
	else
		rc = sec_table_load_csv(out, text, len);
	if (rc != FERRY_OK)
		rc = ferry_error_wrap(rc, "%.200s: ", path);
	ferry_free(text);
	return rc;
}
