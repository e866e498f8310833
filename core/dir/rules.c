/*
 * The table rules: their JSON form, the default chain and the normalisers.
 *
 *   {"version": 1, "rules": [
 *     {"type": "sid_history"},
 *     {"type": "wellknown_rid"},
 *     {"type": "attribute", "name": "upn", "source": "userPrincipalName",
 *      "target": "userPrincipalName", "normalise": ["lower", "strip_domain"]},
 *     {"type": "attribute", "source": "mail", "target": "mail",
 *      "source_normalise": ["lower", {"replace_domain": "target.test"}],
 *      "target_normalise": ["lower"]},
 *     {"type": "attribute", "source": "mail", "target": "userPrincipalName",
 *      "normalise": ["lower", {"regex": "^([^@]+)@"}]}
 *   ]}
 *
 * "normalise" applies to both sides, then "source_normalise" or
 * "target_normalise" to one. Unknown keys, types, attributes and
 * normalisers are refused (a typo must not quietly change the matching).
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dir/table_build.h"
#include "util/mem.h"

static const struct {
	const char *name;
	enum dir_attr attr;
} attrs[] = {
	{"sAMAccountName", DIR_ATTR_SAM},
	{"userPrincipalName", DIR_ATTR_UPN},
	{"mail", DIR_ATTR_MAIL},
	{"employeeID", DIR_ATTR_EMPLOYEE_ID},
};

static const char *attr_name(enum dir_attr a)
{
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].attr == a)
			return attrs[i].name;
	}
	return "?";
}

static ferry_err parse_norm(struct dir_norm *n, const cJSON *item, size_t r, const char *key)
{
	const cJSON *arg;

	if (cJSON_IsString(item)) {
		const char *s = item->valuestring;

		n->op = !strcmp(s, "lower")          ? DIR_NORM_LOWER
		        : !strcmp(s, "trim")         ? DIR_NORM_TRIM
		        : !strcmp(s, "strip_domain") ? DIR_NORM_STRIP_DOMAIN
		                                     : 0;
		if (!n->op)
			return ferry_error_set(FERRY_ECORRUPT, "rules[%zu].%s: unknown normaliser \"%.40s\"",
			                       r, key, s);
		return FERRY_OK;
	}
	if (!cJSON_IsObject(item) || !item->child || item->child->next ||
	    !cJSON_IsString(item->child))
		return ferry_error_set(FERRY_ECORRUPT,
		                       "rules[%zu].%s: a normaliser is a name or {\"name\": \"arg\"}", r,
		                       key);
	arg = item->child;
	if (!strcmp(arg->string, "replace_domain"))
		n->op = DIR_NORM_REPLACE_DOMAIN;
	else if (!strcmp(arg->string, "regex"))
		n->op = DIR_NORM_REGEX;
	else
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu].%s: unknown normaliser \"%.40s\"", r,
		                       key, arg->string);
	if (strlen(arg->valuestring) > 255 || !arg->valuestring[0])
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu].%s: %s argument of 1..255 bytes", r,
		                       key, arg->string);
	if (!(n->arg = ferry_strdup(arg->valuestring)))
		return ferry_error_set(FERRY_ENOMEM, "rules: out of memory");
	if (n->op == DIR_NORM_REGEX && dir_regex_compile(&n->re, n->arg) != FERRY_OK)
		return ferry_error_wrap(FERRY_ECORRUPT, "rules[%zu].%s: ", r, key);
	return FERRY_OK;
}

/* Append the normalisers of list (may be NULL) to n[*count]. */
static ferry_err parse_norms(struct dir_norm *n, size_t *count, const cJSON *list, size_t r,
                             const char *key)
{
	const cJSON *item;

	if (!list)
		return FERRY_OK;
	if (!cJSON_IsArray(list))
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu].%s: not an array", r, key);
	cJSON_ArrayForEach(item, list)
	{
		ferry_err rc;

		if (*count == DIR_MAX_NORMS)
			return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: more than %d normalisers", r,
			                       DIR_MAX_NORMS);
		if ((rc = parse_norm(&n[*count], item, r, key)) != FERRY_OK)
			return rc;
		(*count)++;
	}
	return FERRY_OK;
}

static ferry_err parse_attr(enum dir_attr *out, const cJSON *v, size_t r, const char *key)
{
	if (!cJSON_IsString(v))
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: \"%s\" is required (an attribute)",
		                       r, key);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (!strcmp(v->valuestring, attrs[i].name)) {
			*out = attrs[i].attr;
			return FERRY_OK;
		}
	}
	return ferry_error_set(FERRY_ECORRUPT,
	                       "rules[%zu].%s: \"%.40s\" is not sAMAccountName, userPrincipalName, "
	                       "mail or employeeID",
	                       r, key, v->valuestring);
}

static ferry_err parse_rule(struct dir_rule *rule, const cJSON *o, size_t r)
{
	static const char *const keys[] = {"type",      "name",             "source",
	                                   "target",    "normalise",        "source_normalise",
	                                   "target_normalise"};
	const cJSON *item, *type = cJSON_GetObjectItemCaseSensitive(o, "type");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	ferry_err rc = FERRY_OK;

	if (!cJSON_IsObject(o))
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: not an object", r);
	cJSON_ArrayForEach(item, o)
	{
		size_t k = 0;
		while (k < 7 && strcmp(item->string, keys[k]))
			k++;
		if (k == 7)
			return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: unknown key \"%.40s\"", r,
			                       item->string);
	}
	if (!cJSON_IsString(type))
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: \"type\" is required", r);
	rule->type = !strcmp(type->valuestring, "sid_history")     ? DIR_RULE_SID_HISTORY
	             : !strcmp(type->valuestring, "wellknown_rid") ? DIR_RULE_WELLKNOWN_RID
	             : !strcmp(type->valuestring, "attribute")     ? DIR_RULE_ATTRIBUTE
	                                                           : 0;
	if (!rule->type)
		return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: unknown type \"%.40s\"", r,
		                       type->valuestring);
	if (name && (!cJSON_IsString(name) || !name->valuestring[0] ||
	             strlen(name->valuestring) >= DIR_RULE_NAME_MAX ||
	             strpbrk(name->valuestring, ",\"\r\n")))
		return ferry_error_set(FERRY_ECORRUPT,
		                       "rules[%zu].name: 1..%d characters without , \" or newlines", r,
		                       DIR_RULE_NAME_MAX - 1);
	strcpy(rule->name, name ? name->valuestring : type->valuestring);
	if (rule->type != DIR_RULE_ATTRIBUTE) {
		for (size_t k = 2; k < 7; k++) {
			if (cJSON_GetObjectItemCaseSensitive(o, keys[k]))
				return ferry_error_set(FERRY_ECORRUPT, "rules[%zu]: %s takes no \"%s\"", r,
				                       type->valuestring, keys[k]);
		}
		return FERRY_OK;
	}
	rc = parse_attr(&rule->src_attr, cJSON_GetObjectItemCaseSensitive(o, "source"), r, "source");
	if (rc == FERRY_OK)
		rc = parse_attr(&rule->dst_attr, cJSON_GetObjectItemCaseSensitive(o, "target"), r,
		                "target");
	if (rc == FERRY_OK && !name)
		snprintf(rule->name, sizeof(rule->name), "%s=%s", attr_name(rule->src_attr),
		         attr_name(rule->dst_attr));
	for (size_t side = 0; rc == FERRY_OK && side < 2; side++) {
		struct dir_norm *n = side ? rule->dst_norm : rule->src_norm;
		size_t *c = side ? &rule->n_dst_norm : &rule->n_src_norm;

		rc = parse_norms(n, c, cJSON_GetObjectItemCaseSensitive(o, "normalise"), r, "normalise");
		if (rc == FERRY_OK)
			rc = parse_norms(n, c, cJSON_GetObjectItemCaseSensitive(o, keys[5 + side]), r,
			                 keys[5 + side]);
	}
	return rc;
}

void dir_rules_free(struct dir_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < DIR_MAX_NORMS; k++) {
			ferry_free(r->rule[i].src_norm[k].arg);
			dir_regex_free(r->rule[i].src_norm[k].re);
			ferry_free(r->rule[i].dst_norm[k].arg);
			dir_regex_free(r->rule[i].dst_norm[k].re);
		}
	}
	ferry_free(r);
}

ferry_err dir_rules_parse(struct dir_rules **out, const char *json, size_t len)
{
	cJSON *root = NULL;
	const cJSON *list, *v, *item;
	struct dir_rules *r = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (len > DIR_RULES_MAX_FILE)
		return ferry_error_set(FERRY_ERANGE, "rules: %zu bytes (limit %u)", len,
		                       DIR_RULES_MAX_FILE);
	if (!(root = cJSON_ParseWithLength(json, len)) || !cJSON_IsObject(root)) {
		rc = ferry_error_set(FERRY_ECORRUPT, "rules: not a JSON object");
		goto out;
	}
	cJSON_ArrayForEach(item, root)
	{
		if (strcmp(item->string, "version") && strcmp(item->string, "rules")) {
			rc = ferry_error_set(FERRY_ECORRUPT, "rules: unknown key \"%.40s\"", item->string);
			goto out;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble != DIR_RULES_VERSION) {
		rc = ferry_error_set(FERRY_EUNSUPPORTED, "rules: \"version\" must be %d",
		                     DIR_RULES_VERSION);
		goto out;
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "rules");
	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list) ||
	    cJSON_GetArraySize(list) > DIR_MAX_RULES) {
		rc = ferry_error_set(FERRY_ECORRUPT, "rules: \"rules\" must list 1..%d rules",
		                     DIR_MAX_RULES);
		goto out;
	}
	if (!(r = ferry_calloc(1, sizeof(*r)))) {
		rc = ferry_error_set(FERRY_ENOMEM, "rules: out of memory");
		goto out;
	}
	cJSON_ArrayForEach(item, list)
	{
		/* Counted before parsing, so a half-parsed rule is freed too. */
		r->n++;
		if ((rc = parse_rule(&r->rule[r->n - 1], item, r->n - 1)) != FERRY_OK)
			goto out;
		for (size_t k = 0; k + 1 < r->n; k++) {
			if (!strcmp(r->rule[k].name, r->rule[r->n - 1].name)) {
				rc = ferry_error_set(FERRY_ECORRUPT,
				                     "rules[%zu]: name \"%s\" already used by rules[%zu]",
				                     r->n - 1, r->rule[k].name, k);
				goto out;
			}
		}
	}
out:
	cJSON_Delete(root);
	if (rc != FERRY_OK) {
		dir_rules_free(r);
		return rc;
	}
	*out = r;
	return FERRY_OK;
}

ferry_err dir_rules_default(struct dir_rules **out)
{
	static const char json[] =
	    "{\"version\":1,\"rules\":["
	    "{\"type\":\"sid_history\"},"
	    "{\"type\":\"wellknown_rid\"},"
	    "{\"type\":\"attribute\",\"name\":\"sam\",\"source\":\"sAMAccountName\","
	    "\"target\":\"sAMAccountName\",\"normalise\":[\"lower\"]},"
	    "{\"type\":\"attribute\",\"name\":\"upn\",\"source\":\"userPrincipalName\","
	    "\"target\":\"userPrincipalName\",\"normalise\":[\"lower\",\"strip_domain\"]},"
	    "{\"type\":\"attribute\",\"name\":\"mail\",\"source\":\"mail\",\"target\":\"mail\","
	    "\"normalise\":[\"lower\",\"trim\"]},"
	    "{\"type\":\"attribute\",\"name\":\"employee_id\",\"source\":\"employeeID\","
	    "\"target\":\"employeeID\",\"normalise\":[\"trim\"]}]}";

	return dir_rules_parse(out, json, sizeof(json) - 1);
}

/* ---- normalisers ------------------------------------------------------ */

/* One step on buf (NUL-terminated, cap bytes); false when nothing is left. */
static bool norm_step(char *buf, size_t cap, const struct dir_norm *n)
{
	size_t len = strlen(buf), off, k;
	char *at;

	switch (n->op) {
	case DIR_NORM_LOWER:
		for (char *p = buf; *p; p++)
			*p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		break;
	case DIR_NORM_TRIM:
		for (off = 0; buf[off] == ' ' || buf[off] == '\t'; off++)
			;
		for (k = len; k > off && (buf[k - 1] == ' ' || buf[k - 1] == '\t'); k--)
			;
		memmove(buf, buf + off, k - off);
		buf[k - off] = 0;
		break;
	case DIR_NORM_STRIP_DOMAIN:
		if ((at = strrchr(buf, '@')))
			*at = 0;
		else if ((at = strchr(buf, '\\')))
			memmove(buf, at + 1, strlen(at + 1) + 1);
		break;
	case DIR_NORM_REPLACE_DOMAIN:
		if ((at = strrchr(buf, '@'))) {
			if ((size_t)(at + 1 - buf) + strlen(n->arg) + 1 > cap)
				return false;
			strcpy(at + 1, n->arg);
		}
		break;
	case DIR_NORM_REGEX:
		if (!dir_regex_extract(n->re, buf, len, &off, &k))
			return false;
		memmove(buf, buf + off, k);
		buf[k] = 0;
		break;
	}
	return buf[0] != 0;
}

bool dir_norm_apply(char *out, size_t cap, const struct dir_norm *n, size_t count,
                    const char *value)
{
	size_t len = strlen(value);

	if (len == 0 || len + 1 > cap)
		return false;
	memcpy(out, value, len + 1);
	for (size_t i = 0; i < count; i++) {
		if (!norm_step(out, cap, &n[i]))
			return false;
	}
	return true;
}
