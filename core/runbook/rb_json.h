/*
 * Internal to core/runbook: a validating reader over cJSON that tracks the
 * JSON Pointer of the value being read, so every problem is reported where
 * it is. Readers never fail hard on bad input: they record an issue, leave
 * the default in place, and carry on, so one pass reports every problem.
 * Only allocation failure is sticky (`err`).
 */
#ifndef FERRY_RUNBOOK_RB_JSON_H
#define FERRY_RUNBOOK_RB_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "runbook/runbook.h"

#define RBP_PTR_MAX 512

struct rbp {
	struct rb_issues *iss;
	const char *file;
	char ptr[RBP_PTR_MAX];
	size_t len;
	size_t n_issues; /* issues added by this reader */
	ferry_err err;   /* FERRY_ENOMEM once any allocation failed */
};

void rbp_init(struct rbp *p, struct rb_issues *iss, const char *file);

/* Descend into a key or index; returns the length to restore with rbp_pop. */
size_t rbp_push(struct rbp *p, const char *key);
size_t rbp_push_index(struct rbp *p, size_t i);
void rbp_pop(struct rbp *p, size_t saved);

/* Record an issue at the current pointer, or at pointer + "/key". */
void rbp_error(struct rbp *p, const char *fmt, ...) FERRY_PRINTF(2, 3);
void rbp_error_at(struct rbp *p, const char *key, const char *fmt, ...) FERRY_PRINTF(3, 4);

/* Record an issue at the current pointer + `rel` (already escaped, "/a/b"). */
void rbp_error_ptr(struct rbp *p, const char *rel, const char *fmt, ...) FERRY_PRINTF(3, 4);

/* Every key of obj must be in `allowed` (NULL-terminated) and appear once. */
void rbp_check_keys(struct rbp *p, const cJSON *obj, const char *const *allowed);

/* Typed reads of obj[key]. Absent keys keep the default (or are an issue
 * when `required`). Wrong types are issues. */
const cJSON *rbp_object(struct rbp *p, const cJSON *obj, const char *key, bool required);
void rbp_bool(struct rbp *p, const cJSON *obj, const char *key, bool *out);
void rbp_uint(struct rbp *p, const cJSON *obj, const char *key, unsigned min, unsigned max,
	      unsigned *out);
/* A string of 1..maxlen bytes; *out is a copy (ferry_free) or stays NULL. */
void rbp_string(struct rbp *p, const cJSON *obj, const char *key, bool required,
		size_t maxlen, char **out);
/* One of names[] (NULL-terminated); *out is the index. */
void rbp_enum(struct rbp *p, const cJSON *obj, const char *key, bool required,
	      const char *const *names, int *out);
/* An array of distinct non-empty strings; `check` (may be NULL) returns a
 * reason the element is bad, or NULL. */
void rbp_strlist(struct rbp *p, const cJSON *obj, const char *key, size_t maxlen,
		 const char *(*check)(const char *s), struct rb_strlist *out);

/* Ids: 1..64 of [A-Za-z0-9._-], starting with a letter or digit. */
const char *rb_check_id(const char *s);

/* Texts shown to users: every {placeholder} must be known. A text that is
 * empty or blank leaves *out NULL (the built-in text stands), even where the
 * key is required. */
void rbp_text(struct rbp *p, const cJSON *obj, const char *key, bool required, char **out);

/** Parse JSON text; on a syntax error, records an issue at "" and returns NULL. */
cJSON *rbp_parse_json(struct rbp *p, const char *json, size_t len);

/** The document's "schema" must equal `want`. */
void rbp_schema(struct rbp *p, const cJSON *root, const char *want);

void rb_strlist_free(struct rb_strlist *l);

#endif
