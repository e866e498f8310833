/*
 * dir_table_build: the matching itself (table_build.h, docs/directory.md).
 *
 * STEPS, in order, each over the eligible sources (users and groups whose
 * objectSid is an account of the source domain):
 *   1. overrides: the admin's pairs and exclusions, resolved by SID or name;
 *   2. rules, in order, for every source without an override: the first rule
 *      with exactly one candidate (same kind, eligible target) decides; a
 *      rule with several is remembered for the report, and later rules may
 *      still decide;
 *   3. conflicts: a rule's pair whose target an override claims for another
 *      source is dropped (target_used); targets reached by several sources
 *      drop all of them (ambiguous_n_to_1); a target whose sIDHistory names
 *      another source account is dropped (target_used);
 *   4. warnings on the pairs kept: disabled or expired targets.
 *
 * INVARIANTS of the result
 *   1. No source and no target appears in two pairs.
 *   2. Every eligible source is in a pair, or has an error or info finding.
 *   3. A pair's source and target are of one kind and of their own domains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir/build_internal.h"
#include "runbook/rfc3339.h"
#include "util/mem.h"

static const uint32_t wellknown_rids[] = {500, 512, 513, 514, 515, 516};

/* ---- sorted indexes --------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	const struct idx_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->obj > y->obj) - (x->obj < y->obj);
}

ferry_err dir_idx_add(struct index *ix, const char *key, size_t obj)
{
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 256;
		struct idx_entry *e = ferry_realloc_array(ix->e, cap, sizeof(*e));

		if (!e)
			return ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
		ix->e = e;
		ix->cap = cap;
	}
	if (!(ix->e[ix->n].key = ferry_strdup(key)))
		return ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
	ix->e[ix->n++].obj = obj;
	return FERRY_OK;
}

static void idx_sort(struct index *ix)
{
	if (ix->n)
		qsort(ix->e, ix->n, sizeof(*ix->e), cmp_entry);
}

/* First entry with key, or ix->n. */
size_t dir_idx_find(const struct index *ix, const char *key)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->e[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && !strcmp(ix->e[lo].key, key) ? lo : ix->n;
}

static void idx_free(struct index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		ferry_free(ix->e[i].key);
	ferry_free(ix->e);
	memset(ix, 0, sizeof(*ix));
}

static const char *attr_value(const struct dir_object *o, enum dir_attr a)
{
	switch (a) {
	case DIR_ATTR_SAM:
		return o->sam;
	case DIR_ATTR_UPN:
		return o->upn;
	case DIR_ATTR_MAIL:
		return o->mail;
	case DIR_ATTR_EMPLOYEE_ID:
		return o->employee_id;
	}
	return "";
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		*s = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
}

/* ---- eligibility ------------------------------------------------------ */

/* The RID when sid is the domain's SID plus one sub-authority. */
static bool in_domain(const char *sid, const struct sid *dom, uint32_t *rid)
{
	struct sid s;

	if (sid_from_string(&s, sid, strlen(sid)) != FERRY_OK || s.count != dom->count + 1 ||
	    s.authority != dom->authority || memcmp(s.sub, dom->sub, 4u * dom->count))
		return false;
	*rid = s.sub[dom->count];
	return true;
}

static void mark_eligible(struct ctx *c, int side)
{
	const struct dir_snapshot *s = side ? c->dst : c->src;
	const struct sid *dom = side ? &c->dst_dom : &c->src_dom;
	uint8_t *ok = side ? c->dst_ok : c->src_ok;

	for (size_t i = 0; i < s->count; i++) {
		const struct dir_object *o = &s->obj[i];
		uint32_t rid;

		if (o->kind == DIR_COMPUTER) {
			c->b->computers_skipped += !side;
			continue;
		}
		/* RID 502 is the domain's KDC account (krbtgt): never a person's, never migrated. */
		ok[i] = in_domain(o->sid, dom, &rid) && rid != 502;
		if (!side) {
			c->b->sources += ok[i];
			c->b->builtin_skipped += !ok[i];
		}
	}
}

static ferry_err build_indexes(struct ctx *c)
{
	ferry_err rc = FERRY_OK;

	for (size_t i = 0; rc == FERRY_OK && i < c->dst->count; i++) {
		const struct dir_object *o = &c->dst->obj[i];

		if (!c->dst_ok[i])
			continue;
		rc = dir_idx_add(&c->dst_sid, o->sid, i);
		for (size_t k = 0; rc == FERRY_OK && k < o->sid_history.n; k++)
			rc = dir_idx_add(&c->dst_history, o->sid_history.v[k], i);
		if (rc == FERRY_OK && o->sam[0]) {
			strcpy(c->key, o->sam);
			lower_ascii(c->key);
			rc = dir_idx_add(&c->dst_sam, c->key, i);
		}
	}
	for (size_t i = 0; rc == FERRY_OK && i < c->src->count; i++) {
		const struct dir_object *o = &c->src->obj[i];

		if (!c->src_ok[i])
			continue;
		rc = dir_idx_add(&c->src_sid, o->sid, i);
		if (rc == FERRY_OK && o->sam[0]) {
			strcpy(c->key, o->sam);
			lower_ascii(c->key);
			rc = dir_idx_add(&c->src_sam, c->key, i);
		}
	}
	for (size_t r = 0; rc == FERRY_OK && r < c->rules->n; r++) {
		const struct dir_rule *rule = &c->rules->rule[r];

		if (rule->type != DIR_RULE_ATTRIBUTE)
			continue;
		for (size_t i = 0; rc == FERRY_OK && i < c->dst->count; i++) {
			if (c->dst_ok[i] &&
			    dir_norm_apply(c->key, DIR_MAX_VALUE + 1, rule->dst_norm, rule->n_dst_norm,
			                   attr_value(&c->dst->obj[i], rule->dst_attr)))
				rc = dir_idx_add(&c->attr[r], c->key, i);
		}
		idx_sort(&c->attr[r]);
	}
	idx_sort(&c->dst_sid);
	idx_sort(&c->dst_history);
	idx_sort(&c->dst_sam);
	idx_sort(&c->src_sid);
	idx_sort(&c->src_sam);
	return rc;
}

/* ---- step 2: rules ---------------------------------------------------- */

/* Candidates of one kind under key in ix; the first few land in cand. */
static size_t candidates(struct ctx *c, const struct index *ix, const char *key,
                         enum dir_kind kind, size_t *cand)
{
	size_t n = 0;

	for (size_t k = dir_idx_find(ix, key); k < ix->n && !strcmp(ix->e[k].key, key); k++) {
		size_t t = ix->e[k].obj;

		if (c->dst->obj[t].kind != kind)
			continue;
		if (n < MAX_CAND)
			cand[n] = t;
		n++;
	}
	return n;
}

static size_t rule_candidates(struct ctx *c, size_t r, size_t s, size_t *cand)
{
	const struct dir_rule *rule = &c->rules->rule[r];
	const struct dir_object *o = &c->src->obj[s];
	uint32_t rid = 0;
	char sid[SID_STRING_MAX + 16];

	switch (rule->type) {
	case DIR_RULE_SID_HISTORY:
		return candidates(c, &c->dst_history, o->sid, o->kind, cand);
	case DIR_RULE_WELLKNOWN_RID:
		in_domain(o->sid, &c->src_dom, &rid);
		for (size_t i = 0; i < sizeof(wellknown_rids) / sizeof(wellknown_rids[0]); i++) {
			if (rid != wellknown_rids[i])
				continue;
			snprintf(sid, sizeof(sid), "%s-%lu", c->dst->domain_sid, (unsigned long)rid);
			return candidates(c, &c->dst_sid, sid, o->kind, cand);
		}
		return 0;
	case DIR_RULE_ATTRIBUTE:
		if (!dir_norm_apply(c->key, DIR_MAX_VALUE + 1, rule->src_norm, rule->n_src_norm,
		                    attr_value(o, rule->src_attr)))
			return 0;
		return candidates(c, &c->attr[r], c->key, o->kind, cand);
	}
	return 0;
}

static ferry_err match_one(struct ctx *c, size_t s)
{
	size_t cand[MAX_CAND], amb[MAX_CAND], n_amb = 0, amb_rule = 0;

	for (size_t r = 0; r < c->rules->n; r++) {
		size_t n = rule_candidates(c, r, s, cand);

		if (n == 1) {
			c->assigned[s] = cand[0];
			c->rule_of[s] = r;
			return FERRY_OK;
		}
		if (n > 1 && !n_amb) {
			n_amb = n;
			amb_rule = r;
			memcpy(amb, cand, sizeof(amb));
		}
	}
	if (!n_amb)
		return dir_finding_add(c, DIR_R_UNMATCHED, s, DIR_NONE, NULL, "no rule found a candidate");
	return dir_finding_ambiguous(c, s, c->rules->rule[amb_rule].name, amb, n_amb);
}

/* ---- the build -------------------------------------------------------- */

static ferry_err ctx_init(struct ctx *c)
{
	size_t ns = c->src->count + 1, nd = c->dst->count + 1;

	if (sid_from_string(&c->src_dom, c->src->domain_sid, strlen(c->src->domain_sid)) ||
	    sid_from_string(&c->dst_dom, c->dst->domain_sid, strlen(c->dst->domain_sid)))
		return ferry_error_set(FERRY_ECORRUPT, "table build: bad domain SID");
	if (!strcmp(c->src->domain_sid, c->dst->domain_sid))
		return ferry_error_set(FERRY_EMISMATCH,
		                       "table build: source and target are the same domain (%s)",
		                       c->src->domain_sid);
	if (rfc3339_parse(&c->now, c->dst->created) != FERRY_OK)
		return ferry_error_wrap(FERRY_ECORRUPT, "table build: target snapshot's created: ");
	c->b = ferry_calloc(1, sizeof(*c->b));
	c->assigned = ferry_calloc(ns, sizeof(size_t));
	c->rule_of = ferry_calloc(ns, sizeof(size_t));
	c->src_ok = ferry_calloc(ns, 1);
	c->dst_ok = ferry_calloc(nd, 1);
	c->state = ferry_calloc(ns, 1);
	c->key = ferry_malloc(DIR_MAX_VALUE + 1);
	if (!c->b || !c->assigned || !c->rule_of || !c->src_ok || !c->dst_ok || !c->state || !c->key)
		return ferry_error_set(FERRY_ENOMEM, "table build: out of memory");
	for (size_t i = 0; i < ns; i++)
		c->assigned[i] = DIR_NONE;
	return FERRY_OK;
}

static void ctx_free(struct ctx *c)
{
	idx_free(&c->dst_sid);
	idx_free(&c->dst_history);
	idx_free(&c->dst_sam);
	idx_free(&c->src_sid);
	idx_free(&c->src_sam);
	for (size_t r = 0; r < DIR_MAX_RULES; r++)
		idx_free(&c->attr[r]);
	ferry_free(c->assigned);
	ferry_free(c->rule_of);
	ferry_free(c->src_ok);
	ferry_free(c->dst_ok);
	ferry_free(c->state);
	ferry_free(c->key);
}

ferry_err dir_table_build(struct dir_build **out, const struct dir_snapshot *src,
                          const struct dir_snapshot *dst, const struct dir_rules *rules,
                          const struct dir_overrides *ov)
{
	struct ctx c;
	ferry_err rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.src = src, c.dst = dst, c.rules = rules;
	rc = ctx_init(&c);
	if (rc == FERRY_OK) {
		mark_eligible(&c, 0);
		mark_eligible(&c, 1);
		rc = build_indexes(&c);
	}
	if (rc == FERRY_OK && ov)
		rc = dir_apply_overrides(&c, ov);
	for (size_t s = 0; rc == FERRY_OK && s < src->count; s++) {
		if (c.src_ok[s] && c.state[s] == SRC_OPEN)
			rc = match_one(&c, s);
	}
	if (rc == FERRY_OK)
		rc = dir_resolve_conflicts(&c);
	if (rc == FERRY_OK)
		rc = dir_finish(&c);
	if (rc != FERRY_OK) {
		dir_build_free(c.b);
		c.b = NULL;
	}
	*out = c.b;
	ctx_free(&c);
	return rc;
}
