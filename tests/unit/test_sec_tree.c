/*
 * core/sec/tree_policy: the state tree's folder-security decision, one
 * test per starting state a hostile local user can arrange, and the path
 * checks. Wine keeps no file security, so this is where the rule is proven;
 * the real ACL enforcement is a manual step in docs/windows-test-plan.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sec/sd.h"
#include "sec/sddl.h"
#include "sec/tree_policy.h"
#include "util/mem.h"

#define USER_SID "S-1-5-21-1004336348-1177238915-682003330-1105"
#define DIR_ATTR TREE_ATTR_DIRECTORY
/* A junction: FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT. */
#define JUNCTION_ATTR (TREE_ATTR_DIRECTORY | TREE_ATTR_REPARSE_POINT)
/* What a folder made under %ProgramData% with default security gets: its
 * DACL inherited from ProgramData (Users may read, create folders and
 * append; CREATOR OWNER gets full control of what they create). */
#define PROGRAMDATA_INHERITED                                                                   \
	"D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)(A;OICIID;0x1200a9;;;BU)" \
	"(A;CIID;0x116;;;BU)"

struct seen {
	uint8_t *sd;
	size_t len;
	struct tree_observed obs;
};

static struct seen *observe(bool existed, uint32_t attrs, const char *sddl)
{
	struct seen *s = test_calloc(1, sizeof(*s));

	if (sddl && sddl_parse(&s->sd, &s->len, sddl, strlen(sddl)) != FERRY_OK)
		fail_msg("fixture SDDL %s: %s", sddl, ferry_error_detail());
	s->obs = (struct tree_observed){
		.existed = existed,
		.is_dir = (attrs & TREE_ATTR_DIRECTORY) != 0,
		.attributes = attrs,
		.sd = s->sd,
		.sd_len = s->len,
	};
	return s;
}

static void release(struct seen *s)
{
	ferry_free(s->sd);
	test_free(s);
}

/* Decide for folder rel from the given state; returns the decision. */
static struct tree_decision decide(const char *rel, struct seen *s)
{
	struct tree_decision d;
	const struct tree_rule *rule = rel ? tree_rule_find(rel) : NULL;

	if (rel)
		assert_non_null(rule);
	if (tree_decide(&d, rule, &s->obs) != FERRY_OK)
		fail_msg("tree_decide: %s", ferry_error_detail());
	release(s);
	return d;
}

static void expect(struct tree_decision d, enum tree_action a, bool take_owner, const char *in_reason)
{
	if (d.action != a)
		fail_msg("action %s, expected %s (%s)", tree_action_name(d.action), tree_action_name(a),
			 d.reason);
	assert_int_equal(d.take_owner, take_owner);
	if (in_reason && !strstr(d.reason, in_reason))
		fail_msg("reason '%s' lacks '%s'", d.reason, in_reason);
}

/* --- folders ---------------------------------------------------------------- */

static void test_sec_tree__fresh_folder_with_its_rule_is_trusted(void **state)
{
	(void)state;
	expect(decide("state", observe(false, DIR_ATTR, tree_rule_find("state")->sddl)), TREE_TRUST,
	       false, "owner SYSTEM");
}

static void test_sec_tree__existing_folder_with_its_rule_is_trusted(void **state)
{
	(void)state;
	expect(decide("lockscreen", observe(true, DIR_ATTR, tree_rule_find("lockscreen")->sddl)),
	       TREE_TRUST, false, NULL);
}

static void test_sec_tree__ace_order_does_not_matter(void **state)
{
	(void)state;
	expect(decide("logs", observe(true, DIR_ATTR, "O:SYG:SYD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)")),
	       TREE_TRUST, false, NULL);
}

/* Under Wine every object belongs to the prefix's one user, the account the
 * service runs as: that account counts as SYSTEM, and only that one. */
#define WINE_USER "S-1-5-21-0-0-0-1000"

static struct tree_decision decide_as(const char *rel, struct seen *s, const char *service)
{
	s->obs.service_sid = service;
	return decide(rel, s);
}

static void test_sec_tree__service_account_owner_counts_as_system(void **state)
{
	(void)state;
	expect(decide_as("state", observe(true, DIR_ATTR, "O:" WINE_USER "G:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"),
			 WINE_USER),
	       TREE_TRUST, false, "the service's account");
	expect(decide_as("state", observe(true, DIR_ATTR, "O:" WINE_USER "G:SY" PROGRAMDATA_INHERITED),
			 WINE_USER),
	       TREE_REPAIR, false, "re-applied");
}

static void test_sec_tree__service_account_trusts_no_other_user(void **state)
{
	(void)state;
	expect(decide_as("state", observe(true, DIR_ATTR, "O:" USER_SID "G:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"),
			 WINE_USER),
	       TREE_MOVE_ASIDE, false, USER_SID);
	/* Without a service account (a real install), the Wine user is a user. */
	expect(decide("state", observe(true, DIR_ATTR, "O:" WINE_USER "G:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")),
	       TREE_MOVE_ASIDE, false, WINE_USER);
}

static void test_sec_tree__bad_service_account_is_an_error(void **state)
{
	struct tree_decision d;
	struct seen *s = observe(true, DIR_ATTR, tree_rule_find("state")->sddl);

	(void)state;
	s->obs.service_sid = "S-1-x";
	assert_int_equal(tree_decide(&d, tree_rule_find("state"), &s->obs), FERRY_EINVAL);
	release(s);
}

/* The uninstall archive: secrets, temporary files and what was moved aside
 * stay out; the audit trail goes in. */
static void test_sec_tree__archive_never_keeps_a_secret(void **state)
{
	static const char *const out[] = { "agent.key.dpapi", "agent.token.dpapi", "odj.sealed",
					   "rehearsal-odj.sealed", "ODJ.SEALED", "agent.json.1f2e.tmp",
					   "journal-x.untrusted-20260101T000000Z", "", NULL };
	static const char *const in[] = { "journal-migrate", "device-state.json", "agent.json",
					  "bundle.json", "outbox.jsonl", "ferrysvc.log", "sealed.txt" };

	(void)state;
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		if (tree_archive_keeps(out[i]))
			fail_msg("archive keeps %s", out[i] ? out[i] : "(null)");
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		if (!tree_archive_keeps(in[i]))
			fail_msg("archive drops %s", in[i]);
}

/* Today's builds: the service made the tree with default security. */
static void test_sec_tree__programdata_inherited_dacl_is_repaired(void **state)
{
	(void)state;
	expect(decide("", observe(true, DIR_ATTR, "O:SYG:SY" PROGRAMDATA_INHERITED)), TREE_REPAIR,
	       false, "re-applied");
}

static void test_sec_tree__unprotected_copy_of_the_rule_is_repaired(void **state)
{
	(void)state;
	/* Right ACEs, but without P: ProgramData's ACEs would flow in again. */
	expect(decide("state", observe(true, DIR_ATTR, "O:SYG:SYD:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")),
	       TREE_REPAIR, false, NULL);
}

static void test_sec_tree__users_write_ace_is_repaired(void **state)
{
	(void)state;
	expect(decide("state\\packages",
		      observe(true, DIR_ATTR,
			      "O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FW;;;BU)")),
	       TREE_REPAIR, false, NULL);
}

static void test_sec_tree__users_read_outside_lockscreen_is_repaired(void **state)
{
	(void)state;
	/* The lock screen's DACL is right for lockscreen, not for logs. */
	expect(decide("logs", observe(true, DIR_ATTR, tree_rule_find("lockscreen")->sddl)),
	       TREE_REPAIR, false, NULL);
}

static void test_sec_tree__null_dacl_is_repaired(void **state)
{
	(void)state;
	expect(decide("state\\net", observe(true, DIR_ATTR, "O:SYG:SYD:NO_ACCESS_CONTROL")),
	       TREE_REPAIR, false, NULL);
}

static void test_sec_tree__admins_owner_is_taken_by_system(void **state)
{
	(void)state;
	expect(decide("archive", observe(true, DIR_ATTR, "O:BAG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")),
	       TREE_REPAIR, true, "Administrators");
}

static void test_sec_tree__admins_owner_and_wrong_dacl_repairs_both(void **state)
{
	(void)state;
	expect(decide("uninstall", observe(true, DIR_ATTR, "O:BAG:SY" PROGRAMDATA_INHERITED)),
	       TREE_REPAIR, true, NULL);
}

/* A user created C:\ProgramData\Ferry before the first start. */
static void test_sec_tree__user_precreated_root_is_moved_aside(void **state)
{
	(void)state;
	expect(decide("", observe(true, DIR_ATTR, "O:" USER_SID "G:" USER_SID PROGRAMDATA_INHERITED)),
	       TREE_MOVE_ASIDE, false, USER_SID);
}

/* Even with the "right" DACL a user wrote onto it: the owner can change it back. */
static void test_sec_tree__user_owner_with_perfect_dacl_is_moved_aside(void **state)
{
	(void)state;
	expect(decide("state\\bundle",
		      observe(true, DIR_ATTR,
			      "O:" USER_SID "G:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")),
	       TREE_MOVE_ASIDE, false, "someone else first");
}

static void test_sec_tree__everyone_owner_is_moved_aside(void **state)
{
	(void)state;
	expect(decide("logs", observe(true, DIR_ATTR, "O:WDG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")),
	       TREE_MOVE_ASIDE, false, "S-1-1-0");
}

/* A junction at logs pointing anywhere (finding 14): not followed. */
static void test_sec_tree__junction_is_moved_aside_unread(void **state)
{
	(void)state;
	/* The link's own SD looks perfect; it does not matter. */
	expect(decide("logs", observe(true, JUNCTION_ATTR, tree_rule_find("logs")->sddl)),
	       TREE_MOVE_ASIDE, false, "reparse point");
}

static void test_sec_tree__junction_root_is_moved_aside(void **state)
{
	(void)state;
	expect(decide("", observe(true, JUNCTION_ATTR, NULL)), TREE_MOVE_ASIDE, false,
	       "reparse point");
}

static void test_sec_tree__file_in_place_of_folder_is_moved_aside(void **state)
{
	(void)state;
	expect(decide("state", observe(true, 0x20 /* ARCHIVE */, tree_rule_find("state")->sddl)),
	       TREE_MOVE_ASIDE, false, "a file stands");
}

static void test_sec_tree__unreadable_attributes_are_refused(void **state)
{
	(void)state;
	expect(decide("state", observe(true, TREE_ATTR_INVALID, NULL)), TREE_REFUSE, false, NULL);
}

static void test_sec_tree__unreadable_sd_is_refused(void **state)
{
	(void)state;
	expect(decide("state", observe(true, DIR_ATTR, NULL)), TREE_REFUSE, false, "could not be read");
}

static void test_sec_tree__garbage_sd_is_refused(void **state)
{
	static uint8_t junk[24] = {1, 0, 0x04, 0x80, 0xff, 0xff, 0xff, 0x7f};
	struct seen *s = observe(true, DIR_ATTR, NULL);

	(void)state;
	s->obs.sd = junk;
	s->obs.sd_len = sizeof(junk);
	expect(decide("state", s), TREE_REFUSE, false, "does not parse");
}

static void test_sec_tree__sd_without_owner_is_refused(void **state)
{
	(void)state;
	expect(decide("state", observe(true, DIR_ATTR, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")),
	       TREE_REFUSE, false, "no owner");
}

/* CreateDirectoryW said it made the folder, yet a user owns it: a race. */
static void test_sec_tree__fresh_folder_owned_by_user_is_refused(void **state)
{
	(void)state;
	expect(decide("state", observe(false, DIR_ATTR, "O:" USER_SID "D:P(A;OICI;FA;;;SY)")),
	       TREE_REFUSE, false, "got there first");
}

/* --- files inside a folder ---------------------------------------------------- */

#define FILE_ATTR 0x20u
#define INHERITED_FILE "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)"

static void test_sec_tree__inherited_file_is_trusted(void **state)
{
	struct seen *s = observe(true, FILE_ATTR, "O:SYG:SY" INHERITED_FILE);

	(void)state;
	s->obs.links = 1;
	expect(decide(NULL, s), TREE_TRUST, false, "inherited");
}

/* finding 5: a planted X.tmp owned by the user who made it. */
static void test_sec_tree__user_planted_file_is_moved_aside(void **state)
{
	(void)state;
	expect(decide(NULL, observe(true, FILE_ATTR, "O:" USER_SID "G:SY" INHERITED_FILE)),
	       TREE_MOVE_ASIDE, false, USER_SID);
}

static void test_sec_tree__file_with_explicit_dacl_is_repaired(void **state)
{
	(void)state;
	expect(decide(NULL, observe(true, FILE_ATTR, "O:SYG:SYD:(A;;FA;;;SY)(A;;FR;;;BU)")),
	       TREE_REPAIR, false, "reset to inherit");
}

static void test_sec_tree__protected_file_dacl_is_repaired(void **state)
{
	(void)state;
	expect(decide(NULL, observe(true, FILE_ATTR, "O:SYG:SYD:PAI(A;ID;FA;;;SY)(A;ID;FA;;;BA)")),
	       TREE_REPAIR, false, NULL);
}

static void test_sec_tree__hard_linked_file_is_moved_aside(void **state)
{
	struct seen *s = observe(true, FILE_ATTR, "O:SYG:SY" INHERITED_FILE);

	(void)state;
	s->obs.links = 2;
	expect(decide(NULL, s), TREE_MOVE_ASIDE, false, "hard link");
}

static void test_sec_tree__symlinked_file_is_moved_aside(void **state)
{
	(void)state;
	expect(decide(NULL, observe(true, FILE_ATTR | TREE_ATTR_REPARSE_POINT, "O:SYG:SY" INHERITED_FILE)),
	       TREE_MOVE_ASIDE, false, "reparse point");
}

static void test_sec_tree__folder_in_place_of_file_is_moved_aside(void **state)
{
	(void)state;
	expect(decide(NULL, observe(true, DIR_ATTR, "O:SYG:SY" INHERITED_FILE)), TREE_MOVE_ASIDE,
	       false, "a folder stands");
}

/* --- the table ----------------------------------------------------------------- */

/* Every rule parses, is protected, grants SYSTEM and Administrators full
 * control inherited to everything, and grants anyone else only read, and
 * only with a written reason. */
/*
 * What every DACL of the tree and INSTALLDIR share: protected, owned by
 * SYSTEM, only allow ACEs inherited by files and folders, SYSTEM and
 * Administrators full control. Returns the other ACEs (borrowed from d), at
 * most cap, their count in *n_others.
 */
static void check_admin_shape(const struct sd_doc *d, const struct sd_ace **others, size_t cap,
			      size_t *n_others)
{
	char sid[SID_STRING_MAX];
	int full = 0;

	*n_others = 0;
	assert_true(d->control & SE_DACL_PROTECTED);
	sid_format(&d->owner, sid);
	assert_string_equal(sid, "S-1-5-18");
	for (size_t k = 0; k < d->dacl->count; k++) {
		const struct sd_ace *a = &d->dacl->aces[k];

		assert_int_equal(a->type, ACE_ACCESS_ALLOWED);
		assert_int_equal(a->flags, ACE_OBJECT_INHERIT | ACE_CONTAINER_INHERIT);
		sid_format(&a->trustee, sid);
		if (!strcmp(sid, "S-1-5-18") || !strcmp(sid, "S-1-5-32-544")) {
			assert_int_equal(a->mask, 0x1f01ff);
			full++;
		} else {
			assert_true(*n_others < cap);
			others[(*n_others)++] = a;
		}
	}
	assert_int_equal(full, 2);
}

/* INSTALLDIR (issue 15, finding 14): Users exactly read and execute, no
 * right that writes, deletes, or changes the DACL or owner. */
static void test_sec_tree__install_dir_lets_users_read_and_run_only(void **state)
{
	/* FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, FILE_DELETE_CHILD,
	 * FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC, WRITE_OWNER, GENERIC_WRITE,
	 * GENERIC_ALL (winnt.h). */
	const uint32_t writes = 0x2u | 0x4u | 0x10u | 0x40u | 0x100u | 0x10000u | 0x40000u |
				0x80000u | 0x40000000u | 0x10000000u;
	const struct sd_ace *users[4];
	struct sd_doc *d = NULL;
	char sid[SID_STRING_MAX];
	size_t n;

	(void)state;
	assert_int_equal(sddl_parse_doc(&d, TREE_INSTALL_DIR_SDDL, strlen(TREE_INSTALL_DIR_SDDL)),
			 FERRY_OK);
	check_admin_shape(d, users, 4, &n);
	assert_int_equal(n, 1);
	sid_format(&users[0]->trustee, sid);
	assert_string_equal(sid, "S-1-5-32-545"); /* BUILTIN\Users */
	assert_int_equal(users[0]->mask, 0x1200a9);
	assert_int_equal(users[0]->mask & writes, 0);
	sd_doc_free(d);
}

static void test_sec_tree__every_rule_is_protected_and_admin_owned(void **state)
{
	size_t n;
	const struct tree_rule *r = tree_rules(&n);

	(void)state;
	assert_true(n >= 10);
	assert_string_equal(r[0].rel, ""); /* the root first: parents before children */
	for (size_t i = 0; i < n; i++) {
		const struct sd_ace *others[4];
		struct sd_doc *d = NULL;
		size_t n_others;

		if (sddl_parse_doc(&d, r[i].sddl, strlen(r[i].sddl)) != FERRY_OK)
			fail_msg("%s: %s", r[i].rel, ferry_error_detail());
		check_admin_shape(d, others, 4, &n_others);
		for (size_t k = 0; k < n_others; k++) {
			char sid[SID_STRING_MAX];

			/* FILE_GENERIC_READ at most, and a reason in the table. */
			assert_int_equal(others[k]->mask & ~0x120089u, 0);
			sid_format(&others[k]->trustee, sid);
			if (!r[i].users_reason)
				fail_msg("%s grants %s without a reason", r[i].rel, sid);
		}
		if (i > 0)
			assert_non_null(tree_rule_find(r[i].rel));
		sd_doc_free(d);
	}
}

/* The folders the service creates today (see the list atop tree_policy.c). */
static void test_sec_tree__every_service_folder_has_a_rule(void **state)
{
	static const char *const folders[] = {
	    "", "state", "state\\bundle", "state\\net", "state\\packages", "State\\Packages\\.done",
	    "state\\packages\\.staging",
	    "logs", "lockscreen", "uninstall", "archive",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++)
		if (!tree_rule_find(folders[i]))
			fail_msg("no rule for %s", folders[i]);
	assert_null(tree_rule_find("state\\elsewhere"));
	assert_null(tree_rule_find(NULL));
}

/* Out of memory while decoding is an error, never a decision. */
static void test_sec_tree__out_of_memory_is_an_error(void **state)
{
	struct seen *s = observe(true, DIR_ATTR, "O:SYG:SY" PROGRAMDATA_INHERITED);
	struct tree_decision d;
	ferry_err rc = FERRY_OK;
	unsigned long k;

	(void)state;
	for (k = 1; k < 64; k++) {
		ferry_alloc_fail_after(k);
		rc = tree_decide(&d, tree_rule_find("state"), &s->obs);
		ferry_alloc_fail_after(0);
		if (rc == FERRY_OK)
			break;
		assert_int_equal(rc, FERRY_ENOMEM);
		assert_int_equal(d.action, TREE_REFUSE); /* fails closed */
	}
	assert_true(k > 1); /* at least the first allocation failed visibly */
	assert_int_equal(d.action, TREE_REPAIR);
	release(s);
}

/* --- paths ------------------------------------------------------------------------ */

static void test_sec_tree__path_prefixes_root_first(void **state)
{
	char **p = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(tree_path_prefixes(&p, &n, "C:\\ProgramData/Ferry\\state\\"), FERRY_OK);
	assert_int_equal(n, 4);
	assert_string_equal(p[0], "C:\\");
	assert_string_equal(p[1], "C:\\ProgramData");
	assert_string_equal(p[2], "C:\\ProgramData\\Ferry");
	assert_string_equal(p[3], "C:\\ProgramData\\Ferry\\state");
	tree_prefixes_free(p, n);
}

static void test_sec_tree__path_prefixes_refuse_unclear_paths(void **state)
{
	static const char *const bad[] = {
	    "", "C:", "ProgramData\\Ferry", "\\\\server\\share\\Ferry", "C:\\ProgramData\\\\Ferry",
	    "C:\\ProgramData\\..\\Users", "C:\\.\\ProgramData", "1:\\x",
	};
	char **p = NULL;
	size_t n = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tree_path_prefixes(&p, &n, bad[i]) != FERRY_EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(p);
		assert_int_equal(n, 0);
	}
}

static void test_sec_tree__path_with_junction_in_the_middle_is_refused(void **state)
{
	static const char *const names[] = {"C:\\", "C:\\ProgramData", "C:\\ProgramData\\Ferry",
					    "C:\\ProgramData\\Ferry\\logs"};
	const uint32_t attrs[] = {DIR_ATTR, DIR_ATTR, JUNCTION_ATTR, DIR_ATTR};
	size_t bad = 0;

	(void)state;
	assert_int_equal(tree_path_check(&bad, names, attrs, 4), FERRY_EPERM);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(ferry_error_detail(), "C:\\ProgramData\\Ferry"));
	assert_non_null(strstr(ferry_error_detail(), "reparse point"));
}

static void test_sec_tree__path_with_junction_at_the_top_is_refused(void **state)
{
	static const char *const names[] = {"C:\\", "C:\\ProgramData", "C:\\ProgramData\\Ferry"};
	const uint32_t attrs[] = {DIR_ATTR, JUNCTION_ATTR, DIR_ATTR};
	size_t bad = 0;

	(void)state;
	assert_int_equal(tree_path_check(&bad, names, attrs, 3), FERRY_EPERM);
	assert_int_equal(bad, 1);
}

static void test_sec_tree__path_with_unreadable_or_file_component_is_refused(void **state)
{
	static const char *const names[] = {"C:\\", "C:\\x"};
	const uint32_t unreadable[] = {DIR_ATTR, TREE_ATTR_INVALID};
	const uint32_t file[] = {DIR_ATTR, FILE_ATTR};
	size_t bad = 0;

	(void)state;
	assert_int_equal(tree_path_check(&bad, names, unreadable, 2), FERRY_EPERM);
	assert_int_equal(bad, 1);
	assert_int_equal(tree_path_check(&bad, names, file, 2), FERRY_EPERM);
	assert_non_null(strstr(ferry_error_detail(), "not a folder"));
}

static void test_sec_tree__plain_path_passes(void **state)
{
	static const char *const names[] = {"C:\\", "C:\\ProgramData", "C:\\ProgramData\\Ferry"};
	/* Attributes other than reparse (hidden, system, not indexed) are fine. */
	const uint32_t attrs[] = {DIR_ATTR | 0x6, DIR_ATTR | 0x2000, DIR_ATTR};
	size_t bad = 0;

	(void)state;
	assert_int_equal(tree_path_check(&bad, names, attrs, 3), FERRY_OK);
	assert_int_equal(bad, 3);
}

static void test_sec_tree__aside_name_carries_utc_time(void **state)
{
	char out[64];

	(void)state;
	/* 2026-12-05T03:04:05Z */
	assert_int_equal(tree_aside_name(out, sizeof(out), "Ferry", 1796439845), FERRY_OK);
	assert_string_equal(out, "Ferry.untrusted-20261205T030405Z");
	assert_int_equal(tree_aside_name(out, 20, "Ferry", 1796439845), FERRY_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sec_tree__fresh_folder_with_its_rule_is_trusted),
		cmocka_unit_test(test_sec_tree__existing_folder_with_its_rule_is_trusted),
		cmocka_unit_test(test_sec_tree__ace_order_does_not_matter),
		cmocka_unit_test(test_sec_tree__programdata_inherited_dacl_is_repaired),
		cmocka_unit_test(test_sec_tree__unprotected_copy_of_the_rule_is_repaired),
		cmocka_unit_test(test_sec_tree__users_write_ace_is_repaired),
		cmocka_unit_test(test_sec_tree__users_read_outside_lockscreen_is_repaired),
		cmocka_unit_test(test_sec_tree__null_dacl_is_repaired),
		cmocka_unit_test(test_sec_tree__admins_owner_is_taken_by_system),
		cmocka_unit_test(test_sec_tree__admins_owner_and_wrong_dacl_repairs_both),
		cmocka_unit_test(test_sec_tree__user_precreated_root_is_moved_aside),
		cmocka_unit_test(test_sec_tree__user_owner_with_perfect_dacl_is_moved_aside),
		cmocka_unit_test(test_sec_tree__everyone_owner_is_moved_aside),
		cmocka_unit_test(test_sec_tree__junction_is_moved_aside_unread),
		cmocka_unit_test(test_sec_tree__junction_root_is_moved_aside),
		cmocka_unit_test(test_sec_tree__file_in_place_of_folder_is_moved_aside),
		cmocka_unit_test(test_sec_tree__unreadable_attributes_are_refused),
		cmocka_unit_test(test_sec_tree__unreadable_sd_is_refused),
		cmocka_unit_test(test_sec_tree__garbage_sd_is_refused),
		cmocka_unit_test(test_sec_tree__sd_without_owner_is_refused),
		cmocka_unit_test(test_sec_tree__fresh_folder_owned_by_user_is_refused),
		cmocka_unit_test(test_sec_tree__inherited_file_is_trusted),
		cmocka_unit_test(test_sec_tree__user_planted_file_is_moved_aside),
		cmocka_unit_test(test_sec_tree__file_with_explicit_dacl_is_repaired),
		cmocka_unit_test(test_sec_tree__protected_file_dacl_is_repaired),
		cmocka_unit_test(test_sec_tree__hard_linked_file_is_moved_aside),
		cmocka_unit_test(test_sec_tree__service_account_owner_counts_as_system),
		cmocka_unit_test(test_sec_tree__service_account_trusts_no_other_user),
		cmocka_unit_test(test_sec_tree__bad_service_account_is_an_error),
		cmocka_unit_test(test_sec_tree__archive_never_keeps_a_secret),
		cmocka_unit_test(test_sec_tree__symlinked_file_is_moved_aside),
		cmocka_unit_test(test_sec_tree__folder_in_place_of_file_is_moved_aside),
		cmocka_unit_test(test_sec_tree__every_rule_is_protected_and_admin_owned),
		cmocka_unit_test(test_sec_tree__install_dir_lets_users_read_and_run_only),
		cmocka_unit_test(test_sec_tree__every_service_folder_has_a_rule),
		cmocka_unit_test(test_sec_tree__out_of_memory_is_an_error),
		cmocka_unit_test(test_sec_tree__path_prefixes_root_first),
		cmocka_unit_test(test_sec_tree__path_prefixes_refuse_unclear_paths),
		cmocka_unit_test(test_sec_tree__path_with_junction_in_the_middle_is_refused),
		cmocka_unit_test(test_sec_tree__path_with_junction_at_the_top_is_refused),
		cmocka_unit_test(test_sec_tree__path_with_unreadable_or_file_component_is_refused),
		cmocka_unit_test(test_sec_tree__plain_path_passes),
		cmocka_unit_test(test_sec_tree__aside_name_carries_utc_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
