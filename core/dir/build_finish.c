/*
 * dir_table_build's steps 1, 3 and 4 (see build.c): overrides, conflicts,
 * warnings, and the ordering of what it returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir/build_internal.h"
#include "dir/dir_internal.h"
#include "util/mem.h"

#define NAME_MAX_CHARS (DIR_MAX_VALUE + 64)
/* 100-ns intervals between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_EPOCH 116444736000000000ll

const char *dir_reason_name(enum dir_reason r)
{
	switch (r) {
	case DIR_R_UNMATCHED:
		return "unmatched";
	case DIR_R_AMBIGUOUS_1_TO_N:
		return "ambiguous_1_to_n";
	case DIR_R_AMBIGUOUS_N_TO_1:
		return "ambiguous_n_to_1";
	case DIR_R_TARGET_USED:
		return "target_already_used";
	case DIR_R_TARGET_DISABLED:
		return "target_disabled";
	case DIR_R_TARGET_EXPIRED:
		return "target_expired";
	case DIR_R_EXCLUDED:
		return "excluded";
	}
	return "?";
}

const char *dir_reason_severity(enum dir_reason r)
{
	return r == DIR_R_TARGET_DISABLED || r == DIR_R_TARGET_EXPIRED ? "warning"
	       : r == DIR_R_EXCLUDED                                   ? "info"
	                                                               : "error";
}

const char *dir_account_name(char *buf, size_t cap, const struct dir_snapshot *s, size_t i)
{
	const struct dir_object *o = &s->obj[i];

	if (o->sam[0])
		snprintf(buf, cap, "%s\\%s", s->netbios, o->sam);
	else
		snprintf(buf, cap, "%s", o->dn);
	return buf;
}

ferry_err dir_finding_add(struct ctx *c, enum dir_reason r, size_t src, size_t dst,
                          const char *rule, const char *fmt, ...)
{
	struct dir_build *b = c->b;
	struct dir_finding *f;
	char detail[1024];
	va_list ap;

	if (b->n_findings == b->cap_findings) {
		size_t cap = b->cap_findings ? b->cap_findings * 2 : 64;

		if (!(f = ferry_realloc_array(b->findings, cap, sizeof(*f))))
			return ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
		b->findings = f;
		b->cap_findings = cap;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	f = &b->findings[b->n_findings];
	f->reason = r, f->src = src, f->dst = dst, f->rule = rule;
	if (!(f->detail = ferry_strdup(detail)))
		return ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
	b->n_findings++;
	return FERRY_OK;
}

ferry_err dir_finding_ambiguous(struct ctx *c, size_t src, const char *rule, const size_t *cand,
                                size_t n)
{
	char detail[768], name[256];
	size_t len = 0;

	len += (size_t)snprintf(detail, sizeof(detail), "%zu candidates:", n);
	for (size_t i = 0; i < n && i < MAX_CAND && len < sizeof(detail); i++)
		len += (size_t)snprintf(detail + len, sizeof(detail) - len, " %s",
		                        dir_account_name(name, sizeof(name), c->dst, cand[i]));
	if (n > MAX_CAND && len < sizeof(detail))
		snprintf(detail + len, sizeof(detail) - len, " ...");
	return dir_finding_add(c, DIR_R_AMBIGUOUS_1_TO_N, src, DIR_NONE, rule, "%s", detail);
}

/* ---- step 1: overrides ------------------------------------------------- */

static bool prefix_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i] >= 'a' && a[i] <= 'z' ? (char)(a[i] - 32) : a[i];
		char y = b[i] >= 'a' && b[i] <= 'z' ? (char)(b[i] - 32) : b[i];

		if (x != y)
			return false;
	}
	return true;
}

/* An object of side (0 source, 1 target) by SID or sAMAccountName. */
static size_t resolve(struct ctx *c, int side, const char *who)
{
	const struct index *ix;
	size_t k;

	if ((who[0] == 'S' || who[0] == 's') && who[1] == '-') {
		ix = side ? &c->dst_sid : &c->src_sid;
		k = dir_idx_find(ix, who);
	} else {
		const char *bs = strchr(who, '\\');

		/* "NETBIOS\name" as the table writes it: the prefix must be the right domain. */
		if (bs && (size_t)(bs - who) == strlen((side ? c->dst : c->src)->netbios) &&
		    prefix_ieq(who, (side ? c->dst : c->src)->netbios, (size_t)(bs - who)))
			who = bs + 1;
		snprintf(c->key, DIR_MAX_VALUE + 1, "%s", who);
		for (char *p = c->key; *p; p++)
			*p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		ix = side ? &c->dst_sam : &c->src_sam;
		k = dir_idx_find(ix, c->key);
	}
	return k < ix->n ? ix->e[k].obj : DIR_NONE;
}

static ferry_err override_one(struct ctx *c, const struct dir_override *o, size_t *claimed)
{
	size_t s = resolve(c, 0, o->source), t;

	if (s == DIR_NONE)
		return ferry_error_set(FERRY_ENOTFOUND,
		                       "overrides line %u: source \"%.200s\" is no user or group of %s",
		                       o->line, o->source, c->src->domain);
	if (c->state[s] != SRC_OPEN)
		return ferry_error_set(FERRY_ECORRUPT, "overrides line %u: source \"%.200s\" listed twice",
		                       o->line, o->source);
	if (!strcmp(o->target, "-")) {
		c->state[s] = SRC_EXCLUDED;
		return dir_finding_add(c, DIR_R_EXCLUDED, s, DIR_NONE, "override",
		                       "overrides line %u excludes it", o->line);
	}
	t = resolve(c, 1, o->target);
	if (t == DIR_NONE)
		return ferry_error_set(FERRY_ENOTFOUND,
		                       "overrides line %u: target \"%.200s\" is no user or group of %s",
		                       o->line, o->target, c->dst->domain);
	if (c->src->obj[s].kind != c->dst->obj[t].kind)
		return ferry_error_set(FERRY_EMISMATCH, "overrides line %u: maps a %s to a %s", o->line,
		                       dir_kind_name(c->src->obj[s].kind),
		                       dir_kind_name(c->dst->obj[t].kind));
	if (claimed[t] != DIR_NONE)
		return ferry_error_set(FERRY_ECORRUPT,
		                       "overrides line %u: target \"%.200s\" is already the target of "
		                       "line %zu",
		                       o->line, o->target, claimed[t]);
	claimed[t] = o->line;
	c->state[s] = SRC_OVERRIDE;
	c->assigned[s] = t;
	c->rule_of[s] = c->rules->n;
	return FERRY_OK;
}

ferry_err dir_apply_overrides(struct ctx *c, const struct dir_overrides *ov)
{
	size_t *claimed = ferry_calloc(c->dst->count + 1, sizeof(*claimed));
	ferry_err rc = claimed ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "overrides: out of memory");

	for (size_t i = 0; claimed && i <= c->dst->count; i++)
		claimed[i] = DIR_NONE;
	for (size_t i = 0; rc == FERRY_OK && i < ov->n; i++)
		rc = override_one(c, &ov->v[i], claimed);
	ferry_free(claimed);
	return rc;
}

/* ---- step 3: conflicts ------------------------------------------------- */

static void drop(struct ctx *c, size_t s)
{
	c->assigned[s] = DIR_NONE;
}

/* A target whose sIDHistory names another eligible source stands for that one. */
static ferry_err check_history(struct ctx *c, size_t s)
{
	const struct dir_object *t = &c->dst->obj[c->assigned[s]];
	char name[NAME_MAX_CHARS];

	for (size_t k = 0; k < t->sid_history.n; k++) {
		size_t i = dir_idx_find(&c->src_sid, t->sid_history.v[k]);
		size_t other = i < c->src_sid.n ? c->src_sid.e[i].obj : DIR_NONE;

		if (other == DIR_NONE || other == s)
			continue;
		drop(c, s);
		return dir_finding_add(c, DIR_R_TARGET_USED, s, (size_t)(t - c->dst->obj),
		                       c->rules->rule[c->rule_of[s]].name,
		                       "its sIDHistory names %s", dir_account_name(name, sizeof(name), c->src, other));
	}
	return FERRY_OK;
}

ferry_err dir_resolve_conflicts(struct ctx *c)
{
	size_t nd = c->dst->count + 1;
	size_t *owner = ferry_calloc(nd, sizeof(size_t)), *count = ferry_calloc(nd, sizeof(size_t));
	char name[NAME_MAX_CHARS];
	ferry_err rc = owner && count ? FERRY_OK
	                              : ferry_error_set(FERRY_ENOMEM, "table build: out of memory");

	for (size_t t = 0; owner && t < nd; t++)
		owner[t] = DIR_NONE;
	for (size_t s = 0; rc == FERRY_OK && s < c->src->count; s++) {
		if (c->state[s] == SRC_OVERRIDE)
			owner[c->assigned[s]] = s;
	}
	for (size_t s = 0; rc == FERRY_OK && s < c->src->count; s++) {
		size_t t = c->assigned[s];

		if (t == DIR_NONE || c->state[s] != SRC_OPEN)
			continue;
		if (owner[t] != DIR_NONE) {
			drop(c, s);
			rc = dir_finding_add(c, DIR_R_TARGET_USED, s, t, c->rules->rule[c->rule_of[s]].name,
			                     "an override maps %s to it",
			                     dir_account_name(name, sizeof(name), c->src, owner[t]));
		} else {
			count[t]++;
		}
	}
	for (size_t s = 0; rc == FERRY_OK && s < c->src->count; s++) {
		size_t t = c->assigned[s];

		if (t == DIR_NONE || c->state[s] != SRC_OPEN || count[t] < 2)
			continue;
		drop(c, s);
		rc = dir_finding_add(c, DIR_R_AMBIGUOUS_N_TO_1, s, t, c->rules->rule[c->rule_of[s]].name,
		                     "%zu sources resolve to this target; none is mapped", count[t]);
	}
	for (size_t s = 0; rc == FERRY_OK && s < c->src->count; s++) {
		if (c->assigned[s] != DIR_NONE && c->state[s] == SRC_OPEN)
			rc = check_history(c, s);
	}
	ferry_free(owner);
	ferry_free(count);
	return rc;
}

/* ---- step 4 and the order of the result -------------------------------- */

struct sortable {
	char *key;
	size_t i;
};

static int cmp_sortable(const void *a, const void *b)
{
	return strcmp(((const struct sortable *)a)->key, ((const struct sortable *)b)->key);
}

/* "<prefix><lower-case source name>\x01<sid>" */
static char *sort_key(const struct ctx *c, unsigned prefix, size_t s)
{
	char name[NAME_MAX_CHARS], *k;
	size_t n;

	if (s == DIR_NONE)
		s = 0;
	dir_account_name(name, sizeof(name), c->src, s);
	n = strlen(name) + strlen(c->src->obj[s].sid) + 8;
	if (!(k = ferry_malloc(n)))
		return NULL;
	snprintf(k, n, "%02u%s\x01%s", prefix, name, c->src->obj[s].sid);
	for (char *p = k; *p; p++)
		*p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
	return k;
}

/* Sort n elements of size sz at base by the keys key(i); false when out of memory. */
static ferry_err sort_by_keys(struct ctx *c, void *base, size_t n, size_t sz, bool findings)
{
	struct sortable *v = ferry_calloc(n + 1, sizeof(*v));
	char *copy = ferry_malloc(n * sz + 1);
	ferry_err rc = v && copy ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "table build: out of memory");

	if (n == 0) {
		ferry_free(v);
		ferry_free(copy);
		return rc;
	}

	for (size_t i = 0; rc == FERRY_OK && i < n; i++) {
		const struct dir_finding *f = &c->b->findings[i];

		v[i].i = i;
		v[i].key = findings ? sort_key(c, (unsigned)f->reason, f->src)
		                    : sort_key(c, 0, c->b->pairs[i].src);
		if (!v[i].key)
			rc = ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
	}
	if (rc == FERRY_OK) {
		qsort(v, n, sizeof(*v), cmp_sortable);
		memcpy(copy, base, n * sz);
		for (size_t i = 0; i < n; i++)
			memcpy((char *)base + i * sz, copy + v[i].i * sz, sz);
	}
	for (size_t i = 0; v && i < n; i++)
		ferry_free(v[i].key);
	ferry_free(v);
	ferry_free(copy);
	return rc;
}

static ferry_err warn(struct ctx *c, size_t s, size_t t, const char *rule)
{
	const struct dir_object *o = &c->dst->obj[t];
	int64_t now_ft = c->now * 10000000ll + FILETIME_UNIX_EPOCH;
	ferry_err rc = FERRY_OK;

	if (o->kind == DIR_USER && (o->uac & DIR_UAC_ACCOUNTDISABLE))
		rc = dir_finding_add(c, DIR_R_TARGET_DISABLED, s, t, rule,
		                     "userAccountControl 0x%lx has ACCOUNTDISABLE", (unsigned long)o->uac);
	if (rc == FERRY_OK && o->kind == DIR_USER && o->account_expires != 0 &&
	    o->account_expires != DIR_NEVER_EXPIRES && o->account_expires < now_ft)
		rc = dir_finding_add(c, DIR_R_TARGET_EXPIRED, s, t, rule,
		                     "accountExpires %lld is before the target snapshot's time",
		                     (long long)o->account_expires);
	return rc;
}

ferry_err dir_finish(struct ctx *c)
{
	struct dir_build *b = c->b;
	size_t n = 0;
	ferry_err rc = FERRY_OK;

	for (size_t s = 0; s < c->src->count; s++)
		n += c->assigned[s] != DIR_NONE;
	if (!(b->pairs = ferry_calloc(n + 1, sizeof(*b->pairs))))
		return ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
	for (size_t s = 0; rc == FERRY_OK && s < c->src->count; s++) {
		size_t t = c->assigned[s], r = c->rule_of[s];
		const char *rule = r == c->rules->n ? "override" : c->rules->rule[r].name;

		if (t == DIR_NONE)
			continue;
		b->pairs[b->n_pairs].src = s;
		b->pairs[b->n_pairs].dst = t;
		b->pairs[b->n_pairs++].rule = rule;
		b->by_rule[r]++;
		rc = warn(c, s, t, rule);
	}
	if (rc == FERRY_OK)
		rc = sort_by_keys(c, b->pairs, b->n_pairs, sizeof(*b->pairs), false);
	if (rc == FERRY_OK)
		rc = sort_by_keys(c, b->findings, b->n_findings, sizeof(*b->findings), true);
	return rc;
}

void dir_build_free(struct dir_build *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_findings; i++)
		ferry_free(b->findings[i].detail);
	ferry_free(b->findings);
	ferry_free(b->pairs);
	ferry_free(b);
}
