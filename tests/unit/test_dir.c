/*
 * core/dir: the snapshot format, its delta, and the translation-table
 * builder on synthetic snapshots. The SID-history rule is exercised here
 * and live (tests/dir/dir_e2e.py writes sIDHistory with Samba's samdb).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dir/snapshot.h"
#include "dir/table_build.h"
#include "sec/table.h"
#include "util/mem.h"

#define SRC_DOM "S-1-5-21-1-2-3"
#define DST_DOM "S-1-5-21-7-8-9"

static unsigned guid_seq;

static struct dir_snapshot *snap_new(const char *dom, const char *netbios, const char *sid)
{
	struct dir_snapshot *s = NULL;

	assert_int_equal(dir_snapshot_new(&s), FERRY_OK);
	assert_int_equal(dir_snapshot_set(s, "domain", dom), FERRY_OK);
	assert_int_equal(dir_snapshot_set(s, "netbios", netbios), FERRY_OK);
	assert_int_equal(dir_snapshot_set(s, "domain_sid", sid), FERRY_OK);
	assert_int_equal(dir_snapshot_set(s, "base", "DC=x"), FERRY_OK);
	assert_int_equal(dir_snapshot_set(s, "server", "CN=NTDS Settings,CN=DC1"), FERRY_OK);
	assert_int_equal(dir_snapshot_set(s, "created", "2026-12-05T00:00:00Z"), FERRY_OK);
	s->highest_usn = 5000;
	return s;
}

static void set(char **f, const char *v)
{
	assert_int_equal(dir_object_set(f, v, strlen(v)), FERRY_OK);
}

/* A user or group: rid under the snapshot's domain, the given names ("" = absent). */
static struct dir_object *add(struct dir_snapshot *s, enum dir_kind k, unsigned rid,
                              const char *sam, const char *upn, const char *mail, const char *emp)
{
	struct dir_object *o;
	char buf[128];

	assert_int_equal(dir_snapshot_add(&o, s, k), FERRY_OK);
	snprintf(buf, sizeof(buf), "CN=%s,DC=x", sam);
	set(&o->dn, buf);
	snprintf(buf, sizeof(buf), "%s-%u", s->domain_sid, rid);
	set(&o->sid, buf);
	snprintf(buf, sizeof(buf), "%08x-0000-4000-8000-000000000000", ++guid_seq);
	set(&o->guid, buf);
	set(&o->sam, sam);
	set(&o->upn, upn);
	set(&o->mail, mail);
	set(&o->employee_id, emp);
	o->uac = k == DIR_USER ? 0x200 : 0;
	o->account_expires = k == DIR_USER ? DIR_NEVER_EXPIRES : 0;
	o->usn_changed = 100 + rid;
	set(&o->when_changed, "20261205000000.0Z");
	return o;
}

/* The default rules, for the whole run: pairs and findings borrow their names. */
static struct dir_rules *rules;

static int setup(void **state)
{
	(void)state;
	return dir_rules_default(&rules) == FERRY_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	dir_rules_free(rules);
	return 0;
}

static struct dir_build *build(const struct dir_snapshot *a, const struct dir_snapshot *b,
                               const char *overrides)
{
	struct dir_overrides *ov = NULL;
	struct dir_build *out = NULL;

	if (overrides)
		assert_int_equal(dir_overrides_parse(&ov, overrides, strlen(overrides)), FERRY_OK);
	assert_int_equal(dir_table_build(&out, a, b, rules, ov), FERRY_OK);
	dir_overrides_free(ov);
	return out;
}

/* The target sam a source sam was paired with, and by which rule; NULL when unpaired. */
static const char *paired(const struct dir_build *b, const struct dir_snapshot *a,
                          const struct dir_snapshot *t, const char *sam, const char **rule)
{
	for (size_t i = 0; i < b->n_pairs; i++) {
		if (!strcmp(a->obj[b->pairs[i].src].sam, sam)) {
			*rule = b->pairs[i].rule;
			return t->obj[b->pairs[i].dst].sam;
		}
	}
	return NULL;
}

static const struct dir_finding *finding(const struct dir_build *b, const struct dir_snapshot *a,
                                         const char *sam, enum dir_reason r)
{
	for (size_t i = 0; i < b->n_findings; i++) {
		if (b->findings[i].reason == r && !strcmp(a->obj[b->findings[i].src].sam, sam))
			return &b->findings[i];
	}
	return NULL;
}

/* ---- the format ---------------------------------------------------------- */

static char *format(const struct dir_snapshot *s, size_t *len)
{
	char *text = NULL;

	assert_int_equal(dir_snapshot_format(&text, len, s), FERRY_OK);
	return text;
}

static void test_dir__snapshot_round_trips_with_escapes(void **state)
{
	struct dir_snapshot *s = snap_new("source.test", "SOURCE", SRC_DOM), *back = NULL;
	struct dir_object *o = add(s, DIR_GROUP, 1100, "odd|name%", "", "tab\there@x", "");
	char *text, *again;
	size_t len, len2;

	(void)state;
	set(&o->dn, "CN=line\nbreak|pipe,DC=x");
	assert_int_equal(dir_list_add(&o->member, "CN=a|b,DC=x", 11), FERRY_OK);
	assert_int_equal(dir_list_add(&o->member, "CN=c,DC=x", 9), FERRY_OK);
	assert_int_equal(dir_list_add(&o->sid_history, "S-1-5-21-4-5-6-77", 17), FERRY_OK);
	text = format(s, &len);
	assert_int_equal(dir_snapshot_parse(&back, text, len), FERRY_OK);
	assert_int_equal(back->count, 1);
	assert_string_equal(back->obj[0].dn, "CN=line\nbreak|pipe,DC=x");
	assert_string_equal(back->obj[0].sam, "odd|name%");
	assert_string_equal(back->obj[0].mail, "tab\there@x");
	assert_int_equal(back->obj[0].member.n, 2);
	assert_string_equal(back->obj[0].member.v[0], "CN=a|b,DC=x");
	assert_string_equal(back->obj[0].sid_history.v[0], "S-1-5-21-4-5-6-77");
	assert_int_equal(back->highest_usn, 5000);
	again = format(back, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, again, len);
	ferry_free(text);
	ferry_free(again);
	dir_snapshot_free(back);
	dir_snapshot_free(s);
}

static void expect_refused(const char *text, size_t len, ferry_err want, const char *needle)
{
	struct dir_snapshot *s = (struct dir_snapshot *)1;

	assert_int_equal(dir_snapshot_parse(&s, text, len), want);
	assert_null(s);
	if (!strstr(ferry_error_detail(), needle))
		fail_msg("detail \"%s\" lacks \"%s\"", ferry_error_detail(), needle);
}

static void test_dir__snapshot_refuses_truncated_and_edited(void **state)
{
	struct dir_snapshot *s = snap_new("source.test", "SOURCE", SRC_DOM);
	char *text;
	size_t len;

	(void)state;
	add(s, DIR_USER, 1105, "jdoe", "jdoe@source.test", "", "");
	add(s, DIR_USER, 1106, "asmith", "", "", "");
	text = format(s, &len);
	expect_refused(text, len - 1, FERRY_ECORRUPT, "truncated");
	expect_refused(text, len / 2, FERRY_ECORRUPT, "truncated");
	text[strlen("ferry-dir-snapshot\t1\ndomain\t") + 1] ^= 1; /* source.test -> sourde... */
	expect_refused(text, len, FERRY_ECORRUPT, "SHA-256 does not match");
	ferry_free(text);
	dir_snapshot_free(s);
}

/* Body text with a correct trailer, so the checks after the hash are reached. */
static char *sealed(const char *body)
{
	char hash[65], *out;
	size_t n = strlen(body);
	size_t lines = 0;

	for (const char *p = body; *p; p++)
		lines += *p == '\n';
	assert_int_equal(dir_sha256_hex(hash, body, n), FERRY_OK);
	out = ferry_malloc(n + 100);
	snprintf(out, n + 100, "%send\t%zu\t%s\n", body, lines - 2, hash);
	return out;
}

#define HDR "ferry-dir-snapshot\t1\ndomain\ts.test\tS\t" SRC_DOM "\tDC=s\tsrv\t2026-12-05T00:00:00Z\t9\n"
#define OBJ(sid, guid, sam) "user\tCN=" sam "\t" sid "\t" guid "\t" sam "\t\t\t\t512\t0\t\t1\t\t\t\t\t\t\n"

static void test_dir__snapshot_refuses_bad_content_after_a_good_hash(void **state)
{
	static const struct {
		const char *body, *needle;
		ferry_err err;
	} cases[] = {
	    {"ferry-dir-snapshot\t2\ndomain\ts\tS\t" SRC_DOM "\tDC=s\t\t2026-12-05T00:00:00Z\t9\n",
	     "version", FERRY_EUNSUPPORTED},
	    {HDR OBJ("S-1-5-21-1-2-3-5", "00000001-0000-0000-0000-000000000000", "a")
	         OBJ("S-1-5-21-1-2-3-5", "00000002-0000-0000-0000-000000000000", "b"),
	     "share an objectSid", FERRY_ECORRUPT},
	    {HDR OBJ("S-1-5-21-1-2-3-5", "not-a-guid", "a"), "bad objectGUID", FERRY_ECORRUPT},
	    {HDR OBJ("S-1-5-21-x", "00000001-0000-0000-0000-000000000000", "a"), "bad objectSid",
	     FERRY_ECORRUPT},
	    {HDR OBJ("S-1-5-21-1-2-3-5", "00000001-0000-0000-0000-000000000000", "a%0"),
	     "bad % escape", FERRY_ECORRUPT},
	    {HDR OBJ("S-1-5-21-1-2-3-5", "00000001-0000-0000-0000-000000000000", "a%00"), "NUL",
	     FERRY_ECORRUPT},
	    {HDR OBJ("S-1-5-21-1-2-3-5", "00000001-0000-0000-0000-000000000000", "\xC3("),
	     "invalid UTF-8", FERRY_ECORRUPT},
	    {HDR "user\tCN=a\n", "fields, expected 18", FERRY_ECORRUPT},
	    /* One spelling per snapshot: these would not format back to themselves. */
	    {HDR OBJ("S-1-5-21-1-2-3-5", "00000001-0000-0000-0000-000000000000", "%41"),
	     "bad % escape", FERRY_ECORRUPT},
	    {HDR OBJ("S-1-5-21-1-2-3-5", "00000001-0000-0000-0000-000000000000", "a%7c"),
	     "bad % escape", FERRY_ECORRUPT},
	    {HDR "user\tCN=a\tS-1-5-21-1-2-3-5\t00000001-0000-0000-0000-000000000000\ta\t\t\t\t0512"
	         "\t0\t\t1\t\t\t\t\t\t\n",
	     "leading zero", FERRY_ECORRUPT},
	    {HDR "group\tCN=a\tS-1-5-21-1-2-3-5\t00000001-0000-0000-0000-000000000000\ta\t\t\t\t512"
	         "\t0\t\t1\t\t\t\t\t\t\n",
	     "empty for this kind", FERRY_ECORRUPT},
	    {HDR "printer\tCN=a\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", "unknown kind", FERRY_ECORRUPT},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = sealed(cases[i].body);

		expect_refused(t, strlen(t), cases[i].err, cases[i].needle);
		ferry_free(t);
	}
}

static void test_dir__snapshot_refuses_an_oversized_value(void **state)
{
	size_t n = DIR_MAX_VALUE + 1;
	char *big = ferry_malloc(n + 1), *body = ferry_malloc(n + 512), *t;

	(void)state;
	memset(big, 'a', n);
	big[n] = 0;
	snprintf(body, n + 512, HDR "user\tCN=a\tS-1-5-21-1-2-3-5\t00000001-0000-0000-0000-000000000000"
	                            "\ta\t\t%s\t\t512\t0\t\t1\t\t\t\t\t\t\n",
	         big);
	t = sealed(body);
	expect_refused(t, strlen(t), FERRY_ECORRUPT, "limit 4096");
	ferry_free(t);
	ferry_free(body);
	ferry_free(big);
}

static void test_dir__delta_finds_changes_by_usn(void **state)
{
	struct dir_snapshot *a = snap_new("s.test", "S", SRC_DOM), *b = snap_new("s.test", "S", SRC_DOM);
	struct dir_delta *d = NULL;

	(void)state;
	guid_seq = 100;
	add(a, DIR_USER, 1, "keep", "", "", "");
	add(a, DIR_USER, 2, "change", "", "", "");
	add(a, DIR_USER, 3, "gone", "", "", "");
	guid_seq = 100;
	add(b, DIR_USER, 1, "keep", "", "", "");
	add(b, DIR_USER, 2, "change", "", "", "")->usn_changed = 6001;
	guid_seq = 200;
	add(b, DIR_USER, 4, "new", "", "", "");
	b->highest_usn = 6100;
	assert_int_equal(dir_snapshot_delta(&d, a, b), FERRY_OK);
	assert_true(d->same_server);
	assert_int_equal(d->added, 1);
	assert_string_equal(b->obj[d->added_idx[0]].sam, "new");
	assert_int_equal(d->removed, 1);
	assert_string_equal(a->obj[d->removed_idx[0]].sam, "gone");
	assert_int_equal(d->changed, 1);
	assert_string_equal(b->obj[d->changed_idx[0]].sam, "change");
	assert_int_equal(d->unchanged, 1);
	dir_delta_free(d);
	/* A DC restored from a backup: its USN went back. */
	b->highest_usn = 10;
	assert_int_equal(dir_snapshot_delta(&d, a, b), FERRY_EMISMATCH);
	assert_int_equal(dir_snapshot_set(b, "domain_sid", DST_DOM), FERRY_OK);
	assert_int_equal(dir_snapshot_delta(&d, a, b), FERRY_EMISMATCH);
	dir_snapshot_free(a);
	dir_snapshot_free(b);
}

/* ---- the builder ----------------------------------------------------------- */

static void test_dir__default_chain_uses_each_rule(void **state)
{
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);
	struct dir_object *o;
	struct dir_build *b;
	const char *rule = NULL;

	(void)state;
	add(a, DIR_USER, 1105, "hist", "", "", "");
	o = add(t, DIR_USER, 2105, "renamed-hist", "", "", "");
	assert_int_equal(dir_list_add(&o->sid_history, SRC_DOM "-1105", strlen(SRC_DOM "-1105")),
	                 FERRY_OK);
	add(a, DIR_GROUP, 512, "Domain Admins", "", "", "");
	add(t, DIR_GROUP, 512, "Domänen-Admins", "", "", "");
	add(a, DIR_USER, 1106, "JDoe", "", "", "");
	add(t, DIR_USER, 2106, "jdoe", "", "", "");
	add(a, DIR_USER, 1107, "jane.old", "Jane.Doe@source.test", "", "");
	add(t, DIR_USER, 2107, "jane.new", "jane.doe@target.test", "", "");
	add(a, DIR_USER, 1108, "m1", "m1@source.test", " Max@Example.com", "");
	add(t, DIR_USER, 2108, "m2", "m2@target.test", "max@example.com", "");
	add(a, DIR_USER, 1109, "e1", "", "", "E7");
	add(t, DIR_USER, 2109, "e2", "", "", "E7");
	/* Builtin aliases need no translation and are no sources. */
	o = add(a, DIR_GROUP, 0, "Administrators", "", "", "");
	set(&o->sid, "S-1-5-32-544");
	b = build(a, t, NULL);
	assert_string_equal(paired(b, a, t, "hist", &rule), "renamed-hist");
	assert_string_equal(rule, "sid_history");
	assert_string_equal(paired(b, a, t, "Domain Admins", &rule), "Domänen-Admins");
	assert_string_equal(rule, "wellknown_rid");
	assert_string_equal(paired(b, a, t, "JDoe", &rule), "jdoe");
	assert_string_equal(rule, "sam");
	assert_string_equal(paired(b, a, t, "jane.old", &rule), "jane.new");
	assert_string_equal(rule, "upn");
	assert_string_equal(paired(b, a, t, "m1", &rule), "m2");
	assert_string_equal(rule, "mail");
	assert_string_equal(paired(b, a, t, "e1", &rule), "e2");
	assert_string_equal(rule, "employee_id");
	assert_null(paired(b, a, t, "Administrators", &rule));
	assert_int_equal(b->n_pairs, 6);
	assert_int_equal(b->n_findings, 0);
	assert_int_equal(b->builtin_skipped, 1);
	dir_build_free(b);
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

static void test_dir__ambiguity_is_reported_never_guessed(void **state)
{
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);
	const struct dir_finding *f;
	struct dir_build *b;
	const char *rule;

	(void)state;
	/* 1 -> n: a mail two targets share. */
	add(a, DIR_USER, 1101, "box", "", "shared@x", "");
	add(t, DIR_USER, 2101, "dup.a", "", "shared@x", "");
	add(t, DIR_USER, 2102, "dup.b", "", "shared@x", "");
	/* n -> 1: two sources reach one target by different rules. */
	add(a, DIR_USER, 1102, "jsmith", "", "", "");
	add(a, DIR_USER, 1103, "john.smith", "", "john.smith@x", "");
	add(t, DIR_USER, 2103, "jsmith", "", "john.smith@x", "");
	/* A group that only the source has; a group must not match a user. */
	add(a, DIR_GROUP, 1104, "legacy", "", "", "");
	add(t, DIR_USER, 2104, "legacy", "", "", "");
	b = build(a, t, NULL);
	assert_int_equal(b->n_pairs, 0);
	f = finding(b, a, "box", DIR_R_AMBIGUOUS_1_TO_N);
	assert_non_null(f);
	assert_string_equal(f->rule, "mail");
	assert_non_null(strstr(f->detail, "2 candidates: TARGET\\dup.a TARGET\\dup.b"));
	assert_non_null(finding(b, a, "jsmith", DIR_R_AMBIGUOUS_N_TO_1));
	assert_non_null(finding(b, a, "john.smith", DIR_R_AMBIGUOUS_N_TO_1));
	assert_non_null(finding(b, a, "legacy", DIR_R_UNMATCHED));
	assert_null(paired(b, a, t, "jsmith", &rule));
	assert_int_equal(b->n_findings, 4);
	dir_build_free(b);
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

static void test_dir__overrides_win_and_displace_rules(void **state)
{
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);
	struct dir_build *b;
	const char *rule;

	(void)state;
	add(a, DIR_USER, 1101, "alice", "", "", "");
	add(a, DIR_USER, 1102, "bob", "", "", "");
	add(a, DIR_USER, 1103, "svc-old", "", "", "");
	add(t, DIR_USER, 2101, "alice", "", "", "");
	add(t, DIR_USER, 2102, "bob", "", "", "");
	b = build(a, t, "source,target,comment\n# the admin's word\nSOURCE\\alice,bob,swap\n"
	                "\"svc-old\",-\n");
	assert_string_equal(paired(b, a, t, "alice", &rule), "bob");
	assert_string_equal(rule, "override");
	assert_null(paired(b, a, t, "bob", &rule));
	assert_non_null(finding(b, a, "bob", DIR_R_TARGET_USED));
	assert_non_null(finding(b, a, "svc-old", DIR_R_EXCLUDED));
	assert_int_equal(b->by_rule[6], 1);
	dir_build_free(b);
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

static void test_dir__overrides_that_do_not_resolve_refuse_the_build(void **state)
{
	static const char *const bad[] = {"nobody,alice\n", "alice,nobody\n", "alice,grp\n",
	                                  "alice,alice\nalice,-\n", "alice,alice\nbob,alice\n"};
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);

	(void)state;
	add(a, DIR_USER, 1101, "alice", "", "", "");
	add(a, DIR_USER, 1102, "bob", "", "", "");
	add(t, DIR_USER, 2101, "alice", "", "", "");
	add(t, DIR_GROUP, 2102, "grp", "", "", "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dir_overrides *ov = NULL;
		struct dir_build *b = (struct dir_build *)1;

		assert_int_equal(dir_overrides_parse(&ov, bad[i], strlen(bad[i])), FERRY_OK);
		assert_int_not_equal(dir_table_build(&b, a, t, rules, ov), FERRY_OK);
		assert_null(b);
		assert_non_null(strstr(ferry_error_detail(), "overrides line"));
		dir_overrides_free(ov);
	}
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

static void test_dir__target_standing_for_another_source_is_refused(void **state)
{
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);
	struct dir_object *o;
	struct dir_build *b;
	const struct dir_finding *f;

	(void)state;
	add(a, DIR_USER, 1101, "kim", "", "", "");
	add(a, DIR_USER, 1102, "old-kim", "", "", "");
	o = add(t, DIR_USER, 2101, "kim", "", "", "");
	/* The target carries old-kim's SID, and the admin sent old-kim elsewhere:
	 * kim must not silently take over an account that stands for old-kim. */
	assert_int_equal(dir_list_add(&o->sid_history, SRC_DOM "-1102", strlen(SRC_DOM "-1102")),
	                 FERRY_OK);
	add(t, DIR_USER, 2102, "other", "", "", "");
	add(a, DIR_USER, 1103, "dis", "", "", "");
	add(t, DIR_USER, 2103, "dis", "", "", "")->uac = 0x202;
	add(a, DIR_USER, 1104, "exp", "", "", "");
	add(t, DIR_USER, 2104, "exp", "", "", "")->account_expires = 130000000000000000ll;
	b = build(a, t, "old-kim,other\n");
	f = finding(b, a, "kim", DIR_R_TARGET_USED);
	assert_non_null(f);
	assert_non_null(strstr(f->detail, "sIDHistory names SOURCE\\old-kim"));
	assert_non_null(finding(b, a, "dis", DIR_R_TARGET_DISABLED));
	assert_non_null(finding(b, a, "exp", DIR_R_TARGET_EXPIRED));
	/* Warnings stay in the table. */
	assert_int_equal(b->n_pairs, 3);
	assert_null(finding(b, a, "old-kim", DIR_R_AMBIGUOUS_N_TO_1));
	dir_build_free(b);
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

static void test_dir__table_loads_in_ferry_acl_and_carries_its_hash(void **state)
{
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);
	struct sec_table *st = NULL;
	struct dir_build *b;
	char *csv = NULL, *rep = NULL, hash[65], got[65];
	size_t len, rlen;

	(void)state;
	add(a, DIR_USER, 1101, "alice", "", "", "");
	add(t, DIR_USER, 2101, "alice", "", "", "");
	add(a, DIR_USER, 1102, "=HYPERLINK(1)", "", "", "");
	b = build(a, t, NULL);
	assert_int_equal(dir_table_csv(&csv, &len, hash, b, a, t), FERRY_OK);
	assert_int_equal(sec_table_load_csv(&st, csv, len), FERRY_OK);
	assert_int_equal(st->count, 1);
	assert_int_equal(dir_table_verify(got, csv, len), FERRY_OK);
	assert_string_equal(got, hash);
	csv[len - 2] ^= 1;
	assert_int_equal(dir_table_verify(got, csv, len), FERRY_EMISMATCH);
	assert_int_equal(dir_report_csv(&rep, &rlen, b, a, t), FERRY_OK);
	assert_non_null(strstr(rep, "reason,severity,kind,source_name,source_sid,target_name,"
	                            "target_sid,rule,detail\nunmatched,error,user,SOURCE\\=HYPERLINK(1),"));
	sec_table_free(st);
	ferry_free(csv);
	ferry_free(rep);
	dir_build_free(b);
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

static void test_dir__report_neutralises_spreadsheet_formulas(void **state)
{
	struct dir_snapshot *a = snap_new("source.test", "SOURCE", SRC_DOM);
	struct dir_snapshot *t = snap_new("target.test", "TARGET", DST_DOM);
	struct dir_object *o;
	struct dir_build *b;
	char *rep = NULL;
	size_t len;

	(void)state;
	o = add(a, DIR_USER, 1101, "x", "", "", "");
	set(&o->sam, "");
	set(&o->dn, "=cmd|' /C calc'!A0");
	b = build(a, t, NULL);
	assert_int_equal(dir_report_csv(&rep, &len, b, a, t), FERRY_OK);
	/* The DN stands in for the missing name; Excel would run it without the quote. */
	assert_non_null(strstr(rep, "\nunmatched,error,user,\"'=cmd|' /C calc'!A0\","));
	ferry_free(rep);
	dir_build_free(b);
	dir_snapshot_free(a);
	dir_snapshot_free(t);
}

/* ---- rules, normalisers, overrides ------------------------------------------- */

static void test_dir__rules_refuse_what_they_do_not_know(void **state)
{
	static const struct {
		const char *json, *needle;
	} cases[] = {
	    {"{\"version\":2,\"rules\":[{\"type\":\"sid_history\"}]}", "version"},
	    {"{\"version\":1,\"rules\":[]}", "1..32 rules"},
	    {"{\"version\":1,\"rules\":[{\"type\":\"fuzzy\"}]}", "unknown type"},
	    {"{\"version\":1,\"rules\":[{\"type\":\"attribute\",\"source\":\"cn\",\"target\":\"mail\"}]}",
	     "is not sAMAccountName"},
	    {"{\"version\":1,\"rules\":[{\"type\":\"attribute\",\"source\":\"mail\",\"target\":\"mail\","
	     "\"normalize\":[]}]}",
	     "unknown key \"normalize\""},
	    {"{\"version\":1,\"rules\":[{\"type\":\"attribute\",\"source\":\"mail\",\"target\":\"mail\","
	     "\"normalise\":[{\"regex\":\"(a|b)\"}]}]}",
	     "regex"},
	    {"{\"version\":1,\"rules\":[{\"type\":\"attribute\",\"source\":\"mail\",\"target\":\"mail\","
	     "\"normalise\":[\"soundex\"]}]}",
	     "unknown normaliser"},
	    {"{\"version\":1,\"rules\":[{\"type\":\"sid_history\"},{\"type\":\"sid_history\"}]}",
	     "already used"},
	    {"{\"version\":1,\"rules\":[{\"type\":\"sid_history\",\"source\":\"mail\"}]}", "takes no"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dir_rules *r = (struct dir_rules *)1;

		assert_int_not_equal(dir_rules_parse(&r, cases[i].json, strlen(cases[i].json)), FERRY_OK);
		assert_null(r);
		if (!strstr(ferry_error_detail(), cases[i].needle))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, ferry_error_detail(), cases[i].needle);
	}
}

static void test_dir__normalisers_and_regex(void **state)
{
	static const char json[] =
	    "{\"version\":1,\"rules\":[{\"type\":\"attribute\",\"source\":\"mail\",\"target\":"
	    "\"userPrincipalName\",\"normalise\":[\"trim\",\"lower\",{\"regex\":\"^([a-z.]+)[0-9]*@\"}]},"
	    "{\"type\":\"attribute\",\"name\":\"move\",\"source\":\"mail\",\"target\":\"mail\","
	    "\"source_normalise\":[{\"replace_domain\":\"new.example\"}]},"
	    "{\"type\":\"attribute\",\"name\":\"nt\",\"source\":\"sAMAccountName\",\"target\":"
	    "\"sAMAccountName\",\"normalise\":[\"strip_domain\"]}]}";
	struct dir_rules *r = NULL;
	struct dir_regex *re = NULL;
	char out[64];
	size_t off, len;

	(void)state;
	assert_int_equal(dir_rules_parse(&r, json, strlen(json)), FERRY_OK);
	assert_string_equal(r->rule[0].name, "mail=userPrincipalName");
	assert_true(dir_norm_apply(out, sizeof(out), r->rule[0].src_norm, r->rule[0].n_src_norm,
	                           "  Jane.Doe42@Example.COM "));
	assert_string_equal(out, "jane.doe");
	assert_false(dir_norm_apply(out, sizeof(out), r->rule[0].src_norm, r->rule[0].n_src_norm,
	                            "no-at-sign"));
	assert_true(dir_norm_apply(out, sizeof(out), r->rule[1].src_norm, r->rule[1].n_src_norm,
	                           "a@old.example"));
	assert_string_equal(out, "a@new.example");
	assert_int_equal(r->rule[1].n_dst_norm, 0);
	assert_true(dir_norm_apply(out, sizeof(out), r->rule[2].src_norm, r->rule[2].n_src_norm,
	                           "SOURCE\\jdoe"));
	assert_string_equal(out, "jdoe");
	dir_rules_free(r);
	/* A pathological pattern spends its step budget and then does not match. */
	assert_int_equal(dir_regex_compile(&re, "a*a*a*a*a*a*a*a*b$"), FERRY_OK);
	assert_false(dir_regex_extract(re, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", 46, &off,
	                               &len));
	dir_regex_free(re);
	assert_int_equal(dir_regex_compile(&re, "[^@]+"), FERRY_OK);
	assert_true(dir_regex_extract(re, "ab@c", 4, &off, &len));
	assert_int_equal(off, 0);
	assert_int_equal(len, 2);
	dir_regex_free(re);
}

static void test_dir__overrides_parse_and_refuse(void **state)
{
	static const char good[] = "\xEF\xBB\xBFsource,target\n\n# c\nS-1-5-21-1-2-3-4,\"a,b\"\r\n"
	                           "x,-,why not\n";
	struct dir_overrides *o = NULL;

	(void)state;
	assert_int_equal(dir_overrides_parse(&o, good, strlen(good)), FERRY_OK);
	assert_int_equal(o->n, 2);
	assert_string_equal(o->v[0].target, "a,b");
	assert_int_equal(o->v[0].line, 4);
	assert_string_equal(o->v[1].target, "-");
	dir_overrides_free(o);
	assert_int_equal(dir_overrides_parse(&o, "only-one\n", 9), FERRY_ECORRUPT);
	assert_int_equal(dir_overrides_parse(&o, "a,\"b\n", 5), FERRY_ECORRUPT);
	assert_int_equal(dir_overrides_parse(&o, "a,,c\n", 5), FERRY_ECORRUPT);
	assert_null(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dir__snapshot_round_trips_with_escapes),
	    cmocka_unit_test(test_dir__snapshot_refuses_truncated_and_edited),
	    cmocka_unit_test(test_dir__snapshot_refuses_bad_content_after_a_good_hash),
	    cmocka_unit_test(test_dir__snapshot_refuses_an_oversized_value),
	    cmocka_unit_test(test_dir__delta_finds_changes_by_usn),
	    cmocka_unit_test(test_dir__default_chain_uses_each_rule),
	    cmocka_unit_test(test_dir__ambiguity_is_reported_never_guessed),
	    cmocka_unit_test(test_dir__overrides_win_and_displace_rules),
	    cmocka_unit_test(test_dir__overrides_that_do_not_resolve_refuse_the_build),
	    cmocka_unit_test(test_dir__target_standing_for_another_source_is_refused),
	    cmocka_unit_test(test_dir__table_loads_in_ferry_acl_and_carries_its_hash),
	    cmocka_unit_test(test_dir__report_neutralises_spreadsheet_formulas),
	    cmocka_unit_test(test_dir__rules_refuse_what_they_do_not_know),
	    cmocka_unit_test(test_dir__normalisers_and_regex),
	    cmocka_unit_test(test_dir__overrides_parse_and_refuse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
