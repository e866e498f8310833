/*
 * Reading the snapshot's text form (the layout and its invariants are at
 * the top of snapshot.c) and checking a snapshot, read or built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir/dir_internal.h"
#include "dir/snapshot.h"
#include "runbook/runbook.h"
#include "util/mem.h"

#define OBJECT_FIELDS 18
#define ENCODED_MAX (3 * (size_t)DIR_MAX_VALUE)

struct span {
	const char *p;
	size_t n;
};

struct reader {
	struct dir_snapshot *s;
	char *scratch; /* ENCODED_MAX + 1 bytes: one decoded value */
	unsigned line;
};

/* Split s[0..n) at TABs into exactly want spans. */
static ferry_err split_tabs(struct span *f, size_t want, const char *s, size_t n, unsigned line)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\t')
			continue;
		if (k == want)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "snapshot line %u: more than %zu fields", line, want);
		f[k].p = s + start;
		f[k].n = i - start;
		k++;
		start = i + 1;
	}
	if (k != want)
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line %u: %zu fields, expected %zu",
		                       line, k, want);
	return FERRY_OK;
}

static ferry_err decode(struct reader *r, size_t *len, struct span f, unsigned field)
{
	if (f.n > ENCODED_MAX)
		return ferry_error_set(FERRY_ECORRUPT,
		                       "snapshot line %u field %u: %zu bytes (limit %u decoded)",
		                       r->line, field, f.n, DIR_MAX_VALUE);
	return dir_unescape(r->scratch, len, f.p, f.n, r->line, field);
}

static ferry_err read_string(struct reader *r, char **dst, struct span f, unsigned field)
{
	size_t len;
	ferry_err rc = decode(r, &len, f, field);

	return rc == FERRY_OK ? dir_object_set(dst, r->scratch, len) : rc;
}

static ferry_err read_list(struct reader *r, struct dir_list *l, struct span f, unsigned field)
{
	size_t start = 0;

	if (f.n == 0)
		return FERRY_OK;
	for (size_t i = 0; i <= f.n; i++) {
		struct span v;
		size_t len;
		ferry_err rc;

		if (i < f.n && f.p[i] != '|')
			continue;
		v.p = f.p + start;
		v.n = i - start;
		start = i + 1;
		if (v.n == 0)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "snapshot line %u field %u: empty value in a list",
			                       r->line, field);
		if ((rc = decode(r, &len, v, field)) != FERRY_OK)
			return rc;
		if ((rc = dir_list_add(l, r->scratch, len)) != FERRY_OK)
			return ferry_error_wrap(rc, "snapshot line %u field %u: ", r->line, field);
	}
	return FERRY_OK;
}

enum presence { ABSENT, PRESENT };

/*
 * Decimal without sign or leading zeros, at most max, present or absent as
 * the kind demands (invariant 7: one spelling per value, so a parsed file
 * formats back to the same bytes).
 */
static ferry_err read_number(uint64_t *out, struct span f, uint64_t max, enum presence want,
                             unsigned line, unsigned field)
{
	uint64_t v = 0;

	*out = 0;
	if ((f.n != 0) != (want == PRESENT))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line %u field %u: must be %s", line,
		                       field, want == PRESENT ? "present" : "empty for this kind");
	if (f.n > 1 && f.p[0] == '0')
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line %u field %u: leading zero", line,
		                       field);
	for (size_t i = 0; i < f.n; i++) {
		unsigned d = (unsigned)(f.p[i] - '0');

		if (d > 9 || v > (max - d) / 10)
			return ferry_error_set(FERRY_ECORRUPT,
			                       "snapshot line %u field %u: not a number up to %llu",
			                       line, field, (unsigned long long)max);
		v = v * 10 + d;
	}
	*out = v;
	return FERRY_OK;
}

static ferry_err read_object(struct reader *r, const char *s, size_t n)
{
	struct span f[OBJECT_FIELDS];
	struct dir_object *o;
	enum dir_kind kind;
	uint64_t v[4] = {0, 0, 0, 0};
	ferry_err rc = split_tabs(f, OBJECT_FIELDS, s, n, r->line);

	if (rc != FERRY_OK)
		return rc;
	if (!dir_kind_from_span(&kind, f[0].p, f[0].n))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line %u: unknown kind \"%.*s\"",
		                       r->line, (int)(f[0].n > 20 ? 20 : f[0].n), f[0].p);
	if ((rc = dir_snapshot_add(&o, r->s, kind)) != FERRY_OK)
		return rc;
	{
		char **strs[] = {&o->dn, &o->sid, &o->guid, &o->sam, &o->upn, &o->mail,
		                 &o->employee_id};
		for (unsigned i = 0; rc == FERRY_OK && i < 7; i++)
			rc = read_string(r, strs[i], f[i + 1], i + 2);
	}
	if (rc == FERRY_OK)
		rc = read_number(&v[0], f[8], UINT32_MAX, kind == DIR_GROUP ? ABSENT : PRESENT, r->line, 9);
	if (rc == FERRY_OK)
		rc = read_number(&v[1], f[9], INT64_MAX, kind == DIR_GROUP ? ABSENT : PRESENT, r->line, 10);
	if (rc == FERRY_OK)
		rc = read_string(r, &o->when_changed, f[10], 11);
	if (rc == FERRY_OK)
		rc = read_number(&v[2], f[11], UINT64_MAX, PRESENT, r->line, 12);
	if (rc == FERRY_OK)
		rc = read_list(r, &o->sid_history, f[12], 13);
	if (rc == FERRY_OK)
		rc = read_list(r, &o->member, f[13], 14);
	if (rc == FERRY_OK)
		rc = read_list(r, &o->member_of, f[14], 15);
	if (rc == FERRY_OK)
		rc = read_string(r, &o->dns_host_name, f[15], 16);
	if (rc == FERRY_OK)
		rc = read_string(r, &o->os, f[16], 17);
	if (rc == FERRY_OK)
		rc = read_number(&v[3], f[17], INT64_MAX, kind == DIR_COMPUTER ? PRESENT : ABSENT,
		                 r->line, 18);
	if (rc != FERRY_OK)
		return rc;
	o->uac = (uint32_t)v[0];
	o->account_expires = (int64_t)v[1];
	o->usn_changed = v[2];
	o->last_logon = (int64_t)v[3];
	return FERRY_OK;
}

static ferry_err read_header(struct reader *r, const char *s, size_t n)
{
	static const char *const which[] = {"domain", "netbios", "domain_sid",
	                                    "base",   "server",  "created"};
	struct span f[8];
	ferry_err rc = split_tabs(f, 8, s, n, r->line);

	if (rc != FERRY_OK)
		return rc;
	if (f[0].n != 6 || memcmp(f[0].p, "domain", 6))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line 2: expected the domain line");
	for (unsigned i = 0; rc == FERRY_OK && i < 6; i++) {
		size_t len;

		rc = decode(r, &len, f[i + 1], i + 2);
		if (rc == FERRY_OK)
			rc = dir_snapshot_set(r->s, which[i], r->scratch);
	}
	return rc == FERRY_OK ? read_number(&r->s->highest_usn, f[7], UINT64_MAX, PRESENT, r->line, 8)
	                      : rc;
}

/* Invariant 1: the trailer and the hash, before anything else is read. */
static ferry_err check_trailer(size_t *body_len, size_t *count, const char *text, size_t len)
{
	size_t start, digits = 0;
	uint64_t n = 0;
	char want[65];
	const char *p;
	ferry_err rc;

	if (len == 0 || text[len - 1] != '\n')
		return ferry_error_set(FERRY_ECORRUPT,
		                       "snapshot: does not end with a newline (truncated?)");
	for (start = len - 1; start > 0 && text[start - 1] != '\n'; start--)
		;
	p = text + start;
	if (len - start < 5 || memcmp(p, "end\t", 4))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot: no end line (truncated?)");
	for (p += 4; p < text + len && *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (!digits || (digits > 1 && text[start + 4] == '0') || n > DIR_MAX_OBJECTS || *p != '\t' ||
	    text + len - (p + 1) != 65)
		return ferry_error_set(FERRY_ECORRUPT, "snapshot: malformed end line");
	if ((rc = dir_sha256_hex(want, text, start)) != FERRY_OK)
		return rc;
	if (memcmp(p + 1, want, 64))
		return ferry_error_set(FERRY_ECORRUPT,
		                       "snapshot: SHA-256 does not match its end line (edited or "
		                       "truncated)");
	*body_len = start;
	*count = (size_t)n;
	return FERRY_OK;
}

static ferry_err check_magic(const char *s, size_t n)
{
	size_t m = strlen(DIR_SNAPSHOT_MAGIC);

	if (n <= m + 1 || memcmp(s, DIR_SNAPSHOT_MAGIC, m) || s[m] != '\t')
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line 1: not a ferry directory "
		                                       "snapshot");
	if (n != m + 2 || s[m + 1] != '0' + DIR_SNAPSHOT_VERSION)
		return ferry_error_set(FERRY_EUNSUPPORTED,
		                       "snapshot line 1: version \"%.*s\", this build reads %d",
		                       (int)(n - m - 1 > 10 ? 10 : n - m - 1), s + m + 1,
		                       DIR_SNAPSHOT_VERSION);
	return FERRY_OK;
}

ferry_err dir_snapshot_parse(struct dir_snapshot **out, const char *text, size_t len)
{
	struct reader r = {NULL, NULL, 0};
	size_t body = 0, count = 0, pos = 0;
	ferry_err rc;

	*out = NULL;
	if (len > DIR_MAX_FILE)
		return ferry_error_set(FERRY_ERANGE, "snapshot: %zu bytes (limit %zu)", len,
		                       DIR_MAX_FILE);
	if ((rc = check_trailer(&body, &count, text, len)) != FERRY_OK)
		return rc;
	r.scratch = ferry_malloc(ENCODED_MAX + 1);
	rc = r.scratch ? dir_snapshot_new(&r.s)
	               : ferry_error_set(FERRY_ENOMEM, "snapshot: out of memory");
	while (rc == FERRY_OK && pos < body) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', body - pos);
		size_t n = (size_t)(nl - s); /* body ends in '\n' */

		pos += n + 1;
		r.line++;
		if (n > DIR_MAX_LINE)
			rc = ferry_error_set(FERRY_ECORRUPT, "snapshot line %u: longer than %zu bytes",
			                     r.line, DIR_MAX_LINE);
		else if (r.line == 1)
			rc = check_magic(s, n);
		else if (r.line == 2)
			rc = read_header(&r, s, n);
		else
			rc = read_object(&r, s, n);
	}
	if (rc == FERRY_OK && r.line < 2)
		rc = ferry_error_set(FERRY_ECORRUPT, "snapshot: no domain line");
	if (rc == FERRY_OK && r.s->count != count)
		rc = ferry_error_set(FERRY_ECORRUPT, "snapshot: %zu objects, end line says %zu",
		                     r.s->count, count);
	if (rc == FERRY_OK)
		rc = dir_snapshot_check(r.s);
	ferry_free(r.scratch);
	if (rc != FERRY_OK) {
		dir_snapshot_free(r.s);
		return rc;
	}
	*out = r.s;
	return FERRY_OK;
}

ferry_err dir_snapshot_load(struct dir_snapshot **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	ferry_err rc = rb_read_file(&text, &len, path, DIR_MAX_FILE);

	*out = NULL;
	if (rc == FERRY_OK)
		rc = dir_snapshot_parse(out, text, len);
	ferry_free(text);
	return rc == FERRY_OK ? rc : ferry_error_wrap(rc, "%s: ", path);
}

/* ---- checks (invariants 4 and 5) ------------------------------------- */

struct keyed {
	const char *key;
	size_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static ferry_err check_object(const struct dir_object *o, size_t i)
{
	if (!o->dn[0])
		return ferry_error_set(FERRY_ECORRUPT, "snapshot object %zu: no dn", i + 1);
	if (!dir_sid_valid(o->sid))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot object %zu (%.200s): bad objectSid",
		                       i + 1, o->dn);
	if (!dir_guid_valid(o->guid))
		return ferry_error_set(FERRY_ECORRUPT,
		                       "snapshot object %zu (%.200s): bad objectGUID", i + 1, o->dn);
	for (size_t k = 0; k < o->sid_history.n; k++) {
		if (!dir_sid_valid(o->sid_history.v[k]))
			return ferry_error_set(FERRY_ECORRUPT,
			                       "snapshot object %zu (%.200s): bad sIDHistory value",
			                       i + 1, o->dn);
	}
	return FERRY_OK;
}

/* Invariant 5: no duplicate objectSid (guid false) or objectGUID (true). */
static ferry_err check_unique(const struct dir_snapshot *s, struct keyed *k, bool guid)
{
	for (size_t i = 0; i < s->count; i++) {
		k[i].key = guid ? s->obj[i].guid : s->obj[i].sid;
		k[i].idx = i;
	}
	qsort(k, s->count, sizeof(*k), cmp_keyed);
	for (size_t i = 1; i < s->count; i++) {
		if (!strcmp(k[i - 1].key, k[i].key))
			return ferry_error_set(FERRY_ECORRUPT,
			                       "snapshot: objects %zu and %zu share an %s",
			                       k[i - 1].idx + 1, k[i].idx + 1,
			                       guid ? "objectGUID" : "objectSid");
	}
	return FERRY_OK;
}

ferry_err dir_snapshot_check(const struct dir_snapshot *s)
{
	struct keyed *idx = NULL;
	ferry_err rc = FERRY_OK;

	if (!s->domain[0] || !s->netbios[0] || !s->base[0] || !s->created[0])
		return ferry_error_set(FERRY_ECORRUPT,
		                       "snapshot: domain, netbios, base and created are required");
	if (!dir_sid_valid(s->domain_sid))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot: bad domain SID");
	for (size_t i = 0; rc == FERRY_OK && i < s->count; i++)
		rc = check_object(&s->obj[i], i);
	if (rc == FERRY_OK && s->count > 1) {
		idx = ferry_calloc(s->count, sizeof(*idx));
		rc = idx ? check_unique(s, idx, false)
		         : ferry_error_set(FERRY_ENOMEM, "snapshot: out of memory");
		if (rc == FERRY_OK)
			rc = check_unique(s, idx, true);
	}
	ferry_free(idx);
	return rc;
}
