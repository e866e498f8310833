/*
 * The translation table on the server (issue 19, docs/server.md "The
 * translation table"): the admin imports a source and a target directory
 * snapshot (and optionally rules and overrides); the server checks both
 * with the snapshot library's own parser (trailer count and SHA-256, every
 * field), builds the table with dir_table_build, stores the snapshots, the
 * identity-map rows and a summary (the report's counts and the delta since
 * the previous import), and every v2 assignment then carries the rows.
 *
 * Invariants:
 *   1. An import is all or nothing: refused before anything is stored
 *      when a snapshot is truncated or edited, the rules or overrides are
 *      malformed, the build is refused, the table has more rows (or
 *      bytes) than an assignment may carry, or the catalog does not allow the target
 *      domain (agents would refuse the assignment).
 *   2. The rows agents get change only after the import's transaction
 *      committed: srv_table_load reads the committed table under the
 *      write lock, so of two concurrent imports the one committed last is
 *      the one served, in memory as in the database; an assignment's inputs digest
 *      includes the table hash, so a new table re-signs every assignment
 *      at its next poll and an unchanged one costs nothing.
 *   3. The slice: until agents report their profile SIDs, every device
 *      gets every user and group row (computers are never mapped).
 */
#include "srv_table.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dir/snapshot.h"
#include "dir/table_build.h"
#include "net/assignment.h"
#include "runbook/rfc3339.h"
#include "srv_assign.h"
#include "util/mem.h"

#define DELTA_NAMES_MAX 50u /* names listed per side and change in the summary */
#define ASSIGNMENT_HEADROOM (256u << 10) /* the payload's other members, the envelope */

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

void srv_table_clear(struct srv_table *t)
{
	if (!t)
		return;
	ferry_free(t->source);
	ferry_free(t->target);
	ferry_free(t->rows);
	ferry_free(t->summary);
	memset(t, 0, sizeof(*t));
}

/* A body member holding a file's text; NULL (and no error) when optional and absent. */
static ferry_err member_text(const char **out, const cJSON *body, const char *name, bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);

	*out = NULL;
	if (!v && !required)
		return FERRY_OK;
	if (!cJSON_IsString(v))
		return ferry_error_set(FERRY_EINVAL, "table import: /%s must be a string (the file's "
				       "text)%s", name, required ? "" : " when present");
	*out = v->valuestring;
	return FERRY_OK;
}

static ferry_err parse_snapshot(struct dir_snapshot **out, const char *text, const char *which)
{
	ferry_err rc = dir_snapshot_parse(out, text, strlen(text));

	if (rc == FERRY_EUNSUPPORTED)
		rc = FERRY_EINVAL;
	return rc ? ferry_error_wrap(rc, "%s snapshot refused: ", which) : FERRY_OK;
}

static cJSON *side_json(const struct dir_snapshot *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddStringToObject(o, "domain", s->domain) &&
	    cJSON_AddStringToObject(o, "netbios", s->netbios) &&
	    cJSON_AddStringToObject(o, "server", s->server) &&
	    cJSON_AddStringToObject(o, "created", s->created) &&
	    cJSON_AddNumberToObject(o, "highest_usn", (double)s->highest_usn) &&
	    cJSON_AddNumberToObject(o, "objects", (double)s->count))
		return o;
	cJSON_Delete(o);
	return NULL;
}

static bool add_names(cJSON *o, const char *key, const struct dir_snapshot *s, const size_t *idx,
		      size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	for (size_t i = 0; a && i < n && i < DELTA_NAMES_MAX; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(s->obj[idx[i]].sam)))
			return false;
	return a != NULL;
}

/* One side's delta, or {"error": why} when the two cannot be compared. */
static cJSON *delta_json(const struct dir_snapshot *old_snap, const struct dir_snapshot *new_snap)
{
	struct dir_delta *d = NULL;
	cJSON *o = cJSON_CreateObject();
	ferry_err rc = o ? dir_snapshot_delta(&d, old_snap, new_snap) : FERRY_ENOMEM;
	bool ok;

	if (rc == FERRY_EMISMATCH) {
		if (!cJSON_AddStringToObject(o, "error", ferry_error_detail())) {
			cJSON_Delete(o);
			o = NULL;
		}
		return o;
	}
	ok = !rc && cJSON_AddNumberToObject(o, "added", (double)d->added) &&
	     cJSON_AddNumberToObject(o, "removed", (double)d->removed) &&
	     cJSON_AddNumberToObject(o, "changed", (double)d->changed) &&
	     cJSON_AddNumberToObject(o, "unchanged", (double)d->unchanged) &&
	     cJSON_AddStringToObject(o, "compared_by", d->same_server ? "uSNChanged" : "whenChanged") &&
	     add_names(o, "added_names", new_snap, d->added_idx, d->added) &&
	     add_names(o, "removed_names", old_snap, d->removed_idx, d->removed) &&
	     add_names(o, "changed_names", new_snap, d->changed_idx, d->changed);
	dir_delta_free(d);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* {"source": delta, "target": delta} against the stored import, or null without one. */
static ferry_err delta_since(cJSON **out, struct srv *s, const struct dir_snapshot *src,
			     const struct dir_snapshot *dst)
{
	struct srv_table prev;
	struct dir_snapshot *ps = NULL, *pt = NULL;
	ferry_err rc = s->store->ops->table_get(s->store, &prev, true);

	*out = NULL;
	if (rc == FERRY_ENOTFOUND) {
		*out = cJSON_CreateNull();
		return *out ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "table delta");
	}
	if (!rc)
		rc = dir_snapshot_parse(&ps, (const char *)prev.source, prev.source_len);
	if (!rc)
		rc = dir_snapshot_parse(&pt, (const char *)prev.target, prev.target_len);
	if (rc) {
		rc = ferry_error_wrap(rc, "the previously imported snapshots: ");
		goto out;
	}
	*out = cJSON_CreateObject();
	if (!*out || !cJSON_AddItemToObject(*out, "source", delta_json(ps, src)) ||
	    !cJSON_AddItemToObject(*out, "target", delta_json(pt, dst)))
		rc = ferry_error_set(FERRY_ENOMEM, "table delta");
out:
	if (rc) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	dir_snapshot_free(ps);
	dir_snapshot_free(pt);
	srv_table_clear(&prev);
	return rc;
}

static ferry_err summary_json(cJSON **out, const struct dir_build *b, const struct dir_rules *r,
			      const struct dir_snapshot *src, const struct dir_snapshot *dst,
			      cJSON *delta)
{
	cJSON *o = cJSON_CreateObject(), *reasons = NULL, *rules = NULL;
	size_t by_reason[DIR_R_EXCLUDED + 1] = { 0 }, errors = 0;
	bool ok;

	for (size_t i = 0; i < b->n_findings; i++) {
		by_reason[b->findings[i].reason]++;
		errors += !strcmp(dir_reason_severity(b->findings[i].reason), "error");
	}
	ok = o && cJSON_AddNumberToObject(o, "rows", (double)b->n_pairs) &&
	     cJSON_AddNumberToObject(o, "sources", (double)b->sources) &&
	     cJSON_AddNumberToObject(o, "builtin_skipped", (double)b->builtin_skipped) &&
	     cJSON_AddNumberToObject(o, "computers_skipped", (double)b->computers_skipped) &&
	     cJSON_AddNumberToObject(o, "findings", (double)b->n_findings) &&
	     cJSON_AddNumberToObject(o, "errors", (double)errors) &&
	     (reasons = cJSON_AddObjectToObject(o, "by_reason")) &&
	     (rules = cJSON_AddObjectToObject(o, "by_rule"));
	for (int k = DIR_R_UNMATCHED; ok && k <= DIR_R_EXCLUDED; k++)
		ok = cJSON_AddNumberToObject(reasons, dir_reason_name((enum dir_reason)k),
					     (double)by_reason[k]) != NULL;
	for (size_t k = 0; ok && k < r->n; k++)
		ok = cJSON_AddNumberToObject(rules, r->rule[k].name, (double)b->by_rule[k]) != NULL;
	ok = ok && cJSON_AddNumberToObject(rules, "override", (double)b->by_rule[r->n]) &&
	     cJSON_AddItemToObject(o, "source", side_json(src)) &&
	     cJSON_AddItemToObject(o, "target", side_json(dst)) &&
	     cJSON_AddItemToObject(o, "delta", delta);
	if (!ok) {
		if (!o || !cJSON_GetObjectItemCaseSensitive(o, "delta"))
			cJSON_Delete(delta);
		cJSON_Delete(o);
		return ferry_error_set(FERRY_ENOMEM, "table summary");
	}
	*out = o;
	return FERRY_OK;
}

/* The identity_map rows (net/assignment.h): one per pair, the target domain's names. */
static ferry_err rows_json(cJSON **out, const struct dir_build *b, const struct dir_snapshot *src,
			   const struct dir_snapshot *dst)
{
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < b->n_pairs; i++) {
		const struct dir_object *so = &src->obj[b->pairs[i].src];
		const struct dir_object *to = &dst->obj[b->pairs[i].dst];
		cJSON *r = cJSON_CreateObject();

		ok = r && cJSON_AddItemToArray(a, r) &&
		     cJSON_AddStringToObject(r, "source_sid", so->sid) &&
		     cJSON_AddStringToObject(r, "target_sid", to->sid) &&
		     cJSON_AddStringToObject(r, "kind", dir_kind_name(to->kind)) &&
		     cJSON_AddStringToObject(r, "target_sam", to->sam) &&
		     cJSON_AddStringToObject(r, "target_upn", to->upn) &&
		     cJSON_AddStringToObject(r, "netbios_domain", dst->netbios) &&
		     cJSON_AddStringToObject(r, "dns_domain", dst->domain);
		if (!ok && r && !cJSON_GetArrayItem(a, (int)i))
			cJSON_Delete(r);
	}
	if (!ok) {
		cJSON_Delete(a);
		return ferry_error_set(FERRY_ENOMEM, "identity map");
	}
	*out = a;
	return FERRY_OK;
}

/* The builder's report, one object per finding (the console's mapping review). */
static ferry_err findings_json(char **out, const struct dir_build *b,
			       const struct dir_snapshot *src, const struct dir_snapshot *dst)
{
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < b->n_findings; i++) {
		const struct dir_finding *f = &b->findings[i];
		cJSON *r = cJSON_CreateObject();

		ok = r && cJSON_AddItemToArray(a, r) &&
		     cJSON_AddStringToObject(r, "reason", dir_reason_name(f->reason)) &&
		     cJSON_AddStringToObject(r, "severity", dir_reason_severity(f->reason)) &&
		     cJSON_AddStringToObject(r, "rule", f->rule ? f->rule : "") &&
		     cJSON_AddStringToObject(r, "detail", f->detail);
		if (ok && f->src != DIR_NONE)
			ok = cJSON_AddStringToObject(r, "source_sam", src->obj[f->src].sam) &&
			     cJSON_AddStringToObject(r, "source_sid", src->obj[f->src].sid) &&
			     cJSON_AddStringToObject(r, "source_domain", src->netbios);
		if (ok && f->dst != DIR_NONE)
			ok = cJSON_AddStringToObject(r, "target_sam", dst->obj[f->dst].sam) &&
			     cJSON_AddStringToObject(r, "target_sid", dst->obj[f->dst].sid) &&
			     cJSON_AddStringToObject(r, "target_domain", dst->netbios);
		if (!ok && r && !cJSON_GetArrayItem(a, (int)i))
			cJSON_Delete(r);
	}
	*out = ok ? cJSON_PrintUnformatted(a) : NULL;
	cJSON_Delete(a);
	return *out ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "table findings");
}

ferry_err srv_table_import(struct srv *s, cJSON **summary, char hash[SRV_HASH_HEX],
			   const char *actor, const cJSON *body)
{
	const char *src_text, *dst_text, *rules_text, *ov_text;
	struct dir_snapshot *src = NULL, *dst = NULL;
	struct dir_rules *rules = NULL;
	struct dir_overrides *ov = NULL;
	struct dir_build *b = NULL;
	struct srv_table t = { 0 };
	cJSON *delta = NULL, *rows = NULL;
	char *csv = NULL;
	size_t csv_len = 0;
	ferry_err rc;

	*summary = NULL;
	rc = member_text(&src_text, body, "source", true);
	if (!rc)
		rc = member_text(&dst_text, body, "target", true);
	if (!rc)
		rc = member_text(&rules_text, body, "rules", false);
	if (!rc)
		rc = member_text(&ov_text, body, "overrides", false);
	if (!rc)
		rc = parse_snapshot(&src, src_text, "source");
	if (!rc)
		rc = parse_snapshot(&dst, dst_text, "target");
	if (!rc)
		rc = rules_text ? dir_rules_parse(&rules, rules_text, strlen(rules_text)) :
				  dir_rules_default(&rules);
	if (!rc && ov_text)
		rc = dir_overrides_parse(&ov, ov_text, strlen(ov_text));
	if (rc) {
		if (rc == FERRY_EUNSUPPORTED)
			rc = FERRY_EINVAL;
		goto out;
	}
	rc = dir_table_build(&b, src, dst, rules, ov);
	if (rc) {
		rc = ferry_error_wrap(rc == FERRY_EUNSUPPORTED ? FERRY_EINVAL : rc,
				      "the table build refused: ");
		goto out;
	}
	if (b->n_pairs > ASSIGNMENT_MAX_MAP) {
		rc = ferry_error_set(FERRY_ERANGE, "the table has %zu rows; an assignment carries at "
				     "most %u", b->n_pairs, ASSIGNMENT_MAX_MAP);
		goto out;
	}
	rc = srv_catalog_allows_domain(s, dst->domain);
	if (!rc)
		rc = dir_table_csv(&csv, &csv_len, t.hash, b, src, dst);
	if (!rc)
		rc = rows_json(&rows, b, src, dst);
	if (!rc && (rc = assignment_idmap_check(rows, NULL)))
		rc = ferry_error_wrap(rc, "the table's rows would not pass an agent's checks: ");
	if (!rc)
		rc = delta_since(&delta, s, src, dst);
	if (!rc)
		rc = summary_json(summary, b, rules, src, dst, delta);
	if (rc)
		goto out;
	snprintf(t.actor, sizeof(t.actor), "%s", actor);
	t.imported = s->now();
	t.source = (uint8_t *)src_text;
	t.source_len = strlen(src_text);
	t.target = (uint8_t *)dst_text;
	t.target_len = strlen(dst_text);
	t.rows = cJSON_PrintUnformatted(rows);
	t.summary = cJSON_PrintUnformatted(*summary);
	if (t.rows && t.summary && (rc = findings_json(&t.findings, b, src, dst)))
		goto out;
	if (!t.rows || !t.summary)
		rc = ferry_error_set(FERRY_ENOMEM, "table");
	else if (strlen(t.rows) > ASSIGNMENT_MAX - ASSIGNMENT_HEADROOM)
		rc = ferry_error_set(FERRY_ERANGE, "the identity map is %zu bytes; a signed assignment "
				     "holds at most %u with the rest of its payload", strlen(t.rows),
				     ASSIGNMENT_MAX);
	else
		rc = s->store->ops->table_put(s->store, &t);
	if (!rc)
		memcpy(hash, t.hash, SRV_HASH_HEX);
out:
	if (rc) {
		cJSON_Delete(*summary);
		*summary = NULL;
	}
	cJSON_Delete(rows);
	cJSON_free(t.rows);
	cJSON_free(t.summary);
	cJSON_free(t.findings);
	ferry_free(csv);
	dir_build_free(b);
	dir_overrides_free(ov);
	dir_rules_free(rules);
	dir_snapshot_free(src);
	dir_snapshot_free(dst);
	return rc;
}

static void publish(struct srv *s, cJSON *rows, const char *hash)
{
	cJSON_Delete(s->table_rows);
	s->table_rows = rows;
	snprintf(s->table_hash, sizeof(s->table_hash), "%s", hash);
}

ferry_err srv_table_load(struct srv *s)
{
	struct srv_table t;
	cJSON *rows = NULL;
	ferry_err rc;

	pthread_rwlock_wrlock(&table_lock);
	rc = s->store->ops->table_get(s->store, &t, false);
	if (rc == FERRY_ENOTFOUND) {
		rc = FERRY_OK; /* no table imported yet: assignments carry an empty map */
		publish(s, NULL, "");
		goto out;
	}
	if (rc) {
		rc = ferry_error_wrap(rc, "the stored translation table: ");
		goto out;
	}
	rows = cJSON_Parse(t.rows);
	if (!cJSON_IsArray(rows)) {
		cJSON_Delete(rows);
		rc = ferry_error_set(FERRY_ECORRUPT, "the stored translation table's rows are not "
				     "a JSON array");
	} else {
		publish(s, rows, t.hash);
	}
	srv_table_clear(&t);
out:
	pthread_rwlock_unlock(&table_lock);
	return rc;
}

void srv_table_close(struct srv *s)
{
	pthread_rwlock_wrlock(&table_lock);
	publish(s, NULL, "");
	pthread_rwlock_unlock(&table_lock);
}

const cJSON *srv_table_hold(struct srv *s, char hash[SRV_HASH_HEX])
{
	pthread_rwlock_rdlock(&table_lock);
	memcpy(hash, s->table_hash, SRV_HASH_HEX);
	return s->table_rows;
}

void srv_table_release(void)
{
	pthread_rwlock_unlock(&table_lock);
}

ferry_err srv_table_status(cJSON **out, struct srv *s)
{
	struct srv_table t;
	char when[RFC3339_BUF];
	cJSON *o = NULL, *sum;
	ferry_err rc = s->store->ops->table_get(s->store, &t, false);

	*out = NULL;
	if (rc == FERRY_ENOTFOUND)
		return ferry_error_set(rc, "no translation table imported yet (ferry-admin table "
				       "import)");
	if (rc)
		return rc;
	sum = cJSON_Parse(t.summary);
	rc = rfc3339_format(when, t.imported);
	if (!rc && (!sum || !(o = cJSON_CreateObject()) ||
		    !cJSON_AddStringToObject(o, "table_sha256", t.hash) ||
		    !cJSON_AddStringToObject(o, "imported", when) ||
		    !cJSON_AddStringToObject(o, "imported_by", t.actor) ||
		    !cJSON_AddItemToObject(o, "summary", sum)))
		rc = ferry_error_set(FERRY_ENOMEM, "table status");
	if (rc) {
		if (!o || !cJSON_GetObjectItemCaseSensitive(o, "summary"))
			cJSON_Delete(sum);
		cJSON_Delete(o);
		o = NULL;
	}
	srv_table_clear(&t);
	*out = o;
	return rc;
}
