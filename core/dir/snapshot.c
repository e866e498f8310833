/*
 * The directory snapshot's text form, version 1.
 *
 * FILE LAYOUT: UTF-8 lines ending in "\n", fields separated by one TAB.
 *
 *   line 1        ferry-dir-snapshot<TAB>1
 *   line 2        domain<TAB>dns<TAB>netbios<TAB>domain-sid<TAB>base-dn<TAB>server
 *                       <TAB>created<TAB>highest-usn
 *   lines 3..     one object per line, 18 fields:
 *                   1 kind (user|group|computer)   2 dn            3 objectSid
 *                   4 objectGUID                   5 sAMAccountName 6 userPrincipalName
 *                   7 mail                         8 employeeID    9 userAccountControl
 *                  10 accountExpires              11 whenChanged  12 uSNChanged
 *                  13 sIDHistory                  14 member       15 memberOf
 *                  16 dNSHostName                 17 operatingSystem
 *                  18 lastLogonTimestamp
 *   last line     end<TAB>object-count<TAB>sha256
 *
 *   Values are escaped: '%', TAB, LF, CR, '|', every byte below 0x20 and
 *   0x7F are written %XX (upper-case hex); nothing else is. Multi-valued
 *   fields (13-15) join their values with '|'. An empty field is an absent
 *   value (or an empty list); numbers are decimal.
 *
 * INVARIANTS (the parser refuses anything else, naming line and field)
 *   1. The trailer is present, is the last line, its count equals the
 *      number of object lines, and its sha256 is the SHA-256 (lower-case
 *      hex) of every byte before the trailer line. A truncated or edited
 *      file fails here first, before any object is trusted.
 *   2. The version is 1; any other is FERRY_EUNSUPPORTED (never guessed).
 *   3. Every decoded value is valid UTF-8 without NUL, 1..DIR_MAX_VALUE
 *      bytes; a list holds at most DIR_MAX_VALUES values, none empty.
 *   4. dn, objectSid and objectGUID are present; SIDs (objectSid,
 *      sIDHistory, the domain's) parse; GUIDs are 8-4-4-4-12 hex.
 *   5. No two objects share an objectSid or an objectGUID.
 *   6. Numbers fit their type (uac u32, usn u64, times i64 >= 0).
 *   7. One spelling per snapshot, so formatting a parsed file gives back its
 *      bytes: escapes only where put_escaped writes them, upper-case hex; no
 *      leading zeros; userAccountControl and accountExpires present for
 *      users and computers and empty for groups, lastLogonTimestamp present
 *      for computers only, uSNChanged always.
 */
#include "dir/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir/dir_internal.h"
#include "sec/sid.h"
#include "util/buf.h"
#include "util/mem.h"

const char *dir_kind_name(enum dir_kind k)
{
	switch (k) {
	case DIR_USER:
		return "user";
	case DIR_GROUP:
		return "group";
	case DIR_COMPUTER:
		return "computer";
	}
	return "?";
}

int dir_kind_from_span(enum dir_kind *k, const char *s, size_t n)
{
	static const enum dir_kind all[] = {DIR_USER, DIR_GROUP, DIR_COMPUTER};

	for (size_t i = 0; i < 3; i++) {
		const char *name = dir_kind_name(all[i]);
		if (strlen(name) == n && !memcmp(name, s, n)) {
			*k = all[i];
			return 1;
		}
	}
	return 0;
}

/* ---- escaping -------------------------------------------------------- */

static int needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7F || c == '%' || c == '|';
}

static ferry_err put_escaped(struct ferry_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	ferry_err rc = FERRY_OK;
	const char *run = s;

	for (; *s && rc == FERRY_OK; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3];

		if (!needs_escape(c))
			continue;
		rc = ferry_buf_append(b, run, (size_t)(s - run));
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (rc == FERRY_OK)
			rc = ferry_buf_append(b, esc, 3);
		run = s + 1;
	}
	if (rc == FERRY_OK)
		rc = ferry_buf_append(b, run, (size_t)(s - run));
	return rc;
}

static int upper_hex(char c)
{
	return (c >= 'a' && c <= 'f') ? -1 : ferry_hex_digit(c);
}

ferry_err dir_unescape(char *out, size_t *out_len, const char *s, size_t n, unsigned line,
                          unsigned field)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? upper_hex(s[i + 1]) : -1;
			int lo = hi >= 0 ? upper_hex(s[i + 2]) : -1;

			/* Only the bytes put_escaped escapes, in its spelling (invariant 7). */
			if (lo < 0 || !needs_escape((unsigned char)(hi << 4 | lo)))
				return ferry_error_set(FERRY_ECORRUPT,
				                       "snapshot line %u field %u: bad %% escape", line,
				                       field);
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0) /* needs_escape(0) holds, so it is refused here */
				return ferry_error_set(FERRY_ECORRUPT,
				                       "snapshot line %u field %u: NUL in a value", line,
				                       field);
			i += 2;
		} else if (needs_escape(c)) {
			return ferry_error_set(FERRY_ECORRUPT,
			                       "snapshot line %u field %u: unescaped control byte 0x%02x",
			                       line, field, c);
		}
		out[o++] = (char)c;
	}
	out[o] = 0;
	if (o > DIR_MAX_VALUE)
		return ferry_error_set(FERRY_ECORRUPT,
		                       "snapshot line %u field %u: value of %zu bytes (limit %u)",
		                       line, field, o, DIR_MAX_VALUE);
	if (!ferry_utf8_valid(out, o))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot line %u field %u: invalid UTF-8",
		                       line, field);
	*out_len = o;
	return FERRY_OK;
}

/* ---- building -------------------------------------------------------- */

ferry_err dir_snapshot_new(struct dir_snapshot **out)
{
	struct dir_snapshot *s = ferry_calloc(1, sizeof(*s));
	static const char *const which[] = {"domain", "netbios", "domain_sid",
	                                    "base",   "server",  "created"};
	ferry_err rc = s ? FERRY_OK : ferry_error_set(FERRY_ENOMEM, "snapshot: out of memory");

	*out = NULL;
	for (size_t i = 0; rc == FERRY_OK && i < 6; i++)
		rc = dir_snapshot_set(s, which[i], "");
	if (rc != FERRY_OK) {
		dir_snapshot_free(s);
		return rc;
	}
	*out = s;
	return FERRY_OK;
}

static void list_free(struct dir_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ferry_free(l->v[i]);
	ferry_free(l->v);
}

static void object_free(struct dir_object *o)
{
	char **strs[] = {&o->dn,          &o->sid,          &o->guid,
	                 &o->sam,         &o->upn,          &o->mail,
	                 &o->employee_id, &o->when_changed, &o->dns_host_name,
	                 &o->os};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		ferry_free(*strs[i]);
	list_free(&o->sid_history);
	list_free(&o->member);
	list_free(&o->member_of);
}

void dir_snapshot_free(struct dir_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->count; i++)
		object_free(&s->obj[i]);
	ferry_free(s->obj);
	ferry_free(s->domain);
	ferry_free(s->netbios);
	ferry_free(s->domain_sid);
	ferry_free(s->base);
	ferry_free(s->server);
	ferry_free(s->created);
	ferry_free(s);
}

ferry_err dir_object_set(char **field, const char *value, size_t len)
{
	char *copy;

	if (len > DIR_MAX_VALUE)
		return ferry_error_set(FERRY_ERANGE, "snapshot: value of %zu bytes (limit %u)", len,
		                       DIR_MAX_VALUE);
	if (memchr(value, 0, len) || !ferry_utf8_valid(value, len))
		return ferry_error_set(FERRY_ECORRUPT, "snapshot: value is not UTF-8 text");
	copy = ferry_malloc(len + 1);
	if (!copy)
		return ferry_error_set(FERRY_ENOMEM, "snapshot: out of memory");
	memcpy(copy, value, len);
	copy[len] = 0;
	ferry_free(*field);
	*field = copy;
	return FERRY_OK;
}

ferry_err dir_list_add(struct dir_list *l, const char *value, size_t len)
{
	char **v;

	if (l->n >= DIR_MAX_VALUES)
		return ferry_error_set(FERRY_ERANGE, "snapshot: more than %u values", DIR_MAX_VALUES);
	if (len == 0)
		return ferry_error_set(FERRY_ECORRUPT, "snapshot: empty value in a list");
	/* Grow by powers of two: n is a power of two exactly when the array is full. */
	if ((l->n & (l->n - 1)) == 0) {
		v = ferry_realloc_array(l->v, l->n ? l->n * 2 : 1, sizeof(*v));
		if (!v)
			return ferry_error_set(FERRY_ENOMEM, "snapshot: out of memory");
		l->v = v;
	}
	l->v[l->n] = NULL;
	if (dir_object_set(&l->v[l->n], value, len) != FERRY_OK)
		return ferry_error_wrap(FERRY_ECORRUPT, "list value %zu: ", l->n);
	l->n++;
	return FERRY_OK;
}

ferry_err dir_snapshot_set(struct dir_snapshot *s, const char *which, const char *value)
{
	char **f = !strcmp(which, "domain")       ? &s->domain
	           : !strcmp(which, "netbios")    ? &s->netbios
	           : !strcmp(which, "domain_sid") ? &s->domain_sid
	           : !strcmp(which, "base")       ? &s->base
	           : !strcmp(which, "server")     ? &s->server
	           : !strcmp(which, "created")    ? &s->created
	                                          : NULL;

	if (!f)
		return ferry_error_set(FERRY_EINVAL, "snapshot: no header field \"%s\"", which);
	return dir_object_set(f, value, strlen(value));
}

ferry_err dir_snapshot_add(struct dir_object **out, struct dir_snapshot *s, enum dir_kind kind)
{
	struct dir_object *o;
	char **strs[10];
	size_t i;

	if (s->count >= DIR_MAX_OBJECTS)
		return ferry_error_set(FERRY_ERANGE, "snapshot: more than %u objects",
		                       DIR_MAX_OBJECTS);
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		o = ferry_realloc_array(s->obj, cap, sizeof(*o));
		if (!o)
			return ferry_error_set(FERRY_ENOMEM, "snapshot: out of memory");
		s->obj = o;
		s->cap = cap;
	}
	o = &s->obj[s->count];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	strs[0] = &o->dn, strs[1] = &o->sid, strs[2] = &o->guid, strs[3] = &o->sam;
	strs[4] = &o->upn, strs[5] = &o->mail, strs[6] = &o->employee_id;
	strs[7] = &o->when_changed, strs[8] = &o->dns_host_name, strs[9] = &o->os;
	for (i = 0; i < 10; i++) {
		if (dir_object_set(strs[i], "", 0) != FERRY_OK) {
			object_free(o);
			return FERRY_ENOMEM;
		}
	}
	s->count++;
	*out = o;
	return FERRY_OK;
}

/* ---- encoding -------------------------------------------------------- */

static ferry_err put_list(struct ferry_buf *b, const struct dir_list *l)
{
	ferry_err rc = ferry_buf_append(b, "\t", 1);

	for (size_t i = 0; rc == FERRY_OK && i < l->n; i++) {
		if (i)
			rc = ferry_buf_append(b, "|", 1);
		if (rc == FERRY_OK)
			rc = put_escaped(b, l->v[i]);
	}
	return rc;
}

static ferry_err put_field(struct ferry_buf *b, const char *s)
{
	ferry_err rc = ferry_buf_append(b, "\t", 1);

	return rc == FERRY_OK ? put_escaped(b, s) : rc;
}

static ferry_err put_object(struct ferry_buf *b, const struct dir_object *o)
{
	const char *strs[] = {o->dn, o->sid, o->guid, o->sam, o->upn, o->mail, o->employee_id};
	ferry_err rc = ferry_buf_puts(b, dir_kind_name(o->kind));
	size_t i;

	for (i = 0; rc == FERRY_OK && i < 7; i++)
		rc = put_field(b, strs[i]);
	if (rc == FERRY_OK && o->kind != DIR_GROUP)
		rc = ferry_buf_printf(b, "\t%lu\t%lld", (unsigned long)o->uac,
		                      (long long)o->account_expires);
	else if (rc == FERRY_OK)
		rc = ferry_buf_puts(b, "\t\t");
	if (rc == FERRY_OK)
		rc = put_field(b, o->when_changed);
	if (rc == FERRY_OK)
		rc = ferry_buf_printf(b, "\t%llu", (unsigned long long)o->usn_changed);
	if (rc == FERRY_OK)
		rc = put_list(b, &o->sid_history);
	if (rc == FERRY_OK)
		rc = put_list(b, &o->member);
	if (rc == FERRY_OK)
		rc = put_list(b, &o->member_of);
	if (rc == FERRY_OK)
		rc = put_field(b, o->dns_host_name);
	if (rc == FERRY_OK)
		rc = put_field(b, o->os);
	if (rc == FERRY_OK && o->kind == DIR_COMPUTER)
		rc = ferry_buf_printf(b, "\t%lld\n", (long long)o->last_logon);
	else if (rc == FERRY_OK)
		rc = ferry_buf_puts(b, "\t\n");
	return rc;
}

ferry_err dir_snapshot_format(char **out, size_t *len, const struct dir_snapshot *s)
{
	struct ferry_buf b;
	char hash[65];
	ferry_err rc;

	*out = NULL;
	*len = 0;
	if ((rc = dir_snapshot_check(s)) != FERRY_OK)
		return rc;
	ferry_buf_init(&b, DIR_MAX_FILE);
	rc = ferry_buf_printf(&b, "%s\t%d\ndomain", DIR_SNAPSHOT_MAGIC, DIR_SNAPSHOT_VERSION);
	{
		const char *hdr[] = {s->domain, s->netbios, s->domain_sid,
		                     s->base,   s->server,  s->created};
		for (size_t i = 0; rc == FERRY_OK && i < 6; i++)
			rc = put_field(&b, hdr[i]);
	}
	if (rc == FERRY_OK)
		rc = ferry_buf_printf(&b, "\t%llu\n", (unsigned long long)s->highest_usn);
	for (size_t i = 0; rc == FERRY_OK && i < s->count; i++)
		rc = put_object(&b, &s->obj[i]);
	if (rc == FERRY_OK)
		rc = dir_sha256_hex(hash, b.data, b.len);
	if (rc == FERRY_OK)
		rc = ferry_buf_printf(&b, "end\t%zu\t%s\n", s->count, hash);
	if (rc != FERRY_OK) {
		ferry_buf_free(&b);
		return rc == FERRY_ERANGE
		           ? ferry_error_set(FERRY_ERANGE, "snapshot: larger than %zu bytes",
		                             DIR_MAX_FILE)
		           : rc;
	}
	*out = (char *)ferry_buf_detach(&b, len);
	return FERRY_OK;
}
