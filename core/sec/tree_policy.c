/*
 * The state tree's folder-security decision (see tree_policy.h).
 *
 * The folders are the ones the service and its tools create today:
 *   (root)               svc_program_data, uninstall.c, lock.c
 *   state                svc_platform.c (--state overrides the place, not the rule)
 *   state\bundle         svc_net.c: the accepted bundle's batch and runbooks
 *   state\net            svc_net.c: agent.json, bundle.json, outbox, sealed keys
 *   state\packages       svc_platform.c, package_run.c: command packages
 *   state\packages\.staging package_stage.c: packages being unpacked
 *   state\packages\.done nothing reads or writes it since completion moved to
 *                        the journal; kept so old or planted markers are swept
 *   logs                 svc_log.c
 *   lockscreen           lockscreen/lock/lock.c: the migration picture
 *   uninstall            uninstall.c: the uninstall waiter's copy of ferry.exe
 *   archive              uninstall_archive.c: state and logs kept at uninstall
 * The journals are files in state (journal-<runbook>), not a folder.
 *
 * Every folder's DACL is protected and spelled out in full, so nothing is
 * inherited from %ProgramData% (whose default lets Users create folders
 * and files and own them). FA = FILE_ALL_ACCESS (0x1f01ff) and FR =
 * FILE_GENERIC_READ (0x120089), never generic rights: Windows stores
 * generic rights mapped on the object and kept on inherit-only ACEs, which
 * would make the stored DACL differ from the rule we compare it with.
 */
#include "sec/tree_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runbook/rfc3339.h"
#include "sec/sd.h"
#include "sec/sddl.h"
#include "util/mem.h"

#define ADMIN_ONLY "O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

static const struct tree_rule rules[] = {
	{"", ADMIN_ONLY, NULL},
	{"state", ADMIN_ONLY, NULL},
	{"state\\bundle", ADMIN_ONLY, NULL},
	{"state\\net", ADMIN_ONLY, NULL},
	{"state\\packages", ADMIN_ONLY, NULL},
	{"state\\packages\\.staging", ADMIN_ONLY, NULL},
	{"state\\packages\\.done", ADMIN_ONLY, NULL},
	{"logs", ADMIN_ONLY, NULL},
	{"lockscreen", "O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)",
	 "the lock screen of a signed-in session is drawn by LockApp.exe running as that user, "
	 "which reads the picture the PersonalizationCSP values name; the picture holds no secret"},
	{"uninstall", ADMIN_ONLY, NULL},
	{"archive", ADMIN_ONLY, NULL},
};

const struct tree_rule *tree_rules(size_t *count)
{
	*count = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return false;
	return *a == *b;
}

const struct tree_rule *tree_rule_find(const char *rel)
{
	for (size_t i = 0; rel && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (same_name(rules[i].rel, rel))
			return &rules[i];
	return NULL;
}

const char *tree_action_name(enum tree_action a)
{
	switch (a) {
	case TREE_TRUST: return "trust";
	case TREE_REPAIR: return "repair";
	case TREE_MOVE_ASIDE: return "move aside";
	case TREE_REFUSE: return "refuse";
	}
	return "?";
}

/* --- owners and ACEs ------------------------------------------------------ */

static const struct sid sid_system = {1, 1, 5, {18}};
static const struct sid sid_admins = {1, 2, 5, {32, 544}};

static bool ace_equal(const struct sd_ace *a, const struct sd_ace *b)
{
	return a->type == b->type && a->flags == b->flags && a->mask == b->mask &&
	       a->obj_flags == b->obj_flags && sid_equal(&a->trustee, &b->trustee) &&
	       a->extra_len == b->extra_len &&
	       (!a->extra_len || !memcmp(a->extra, b->extra, a->extra_len));
}

/* Same ACEs as a set: Windows may store them in its canonical order. */
static bool acl_same_set(const struct sd_acl *got, const struct sd_acl *want)
{
	if (!got || got->count != want->count)
		return false;
	for (size_t i = 0; i < want->count; i++) {
		bool found = false;

		for (size_t j = 0; j < got->count && !found; j++)
			found = ace_equal(&want->aces[i], &got->aces[j]);
		if (!found)
			return false;
	}
	return true;
}

/* A file's DACL must come from its folder: unprotected, present, every ACE
 * inherited, and only for the folder's trustees (checked by the folder's
 * own decision, which re-applies the folder's DACL with inheritance). */
static bool file_dacl_inherited(const struct sd_doc *d)
{
	if (!(d->control & SE_DACL_PRESENT) || (d->control & SE_DACL_PROTECTED) || !d->dacl ||
	    !d->dacl->count)
		return false;
	for (size_t i = 0; i < d->dacl->count; i++)
		if (!(d->dacl->aces[i].flags & ACE_INHERITED))
			return false;
	return true;
}

static void say(struct tree_decision *out, enum tree_action a, bool take_owner, const char *fmt,
		...) FERRY_PRINTF(4, 5);
static void say(struct tree_decision *out, enum tree_action a, bool take_owner, const char *fmt,
		...)
{
	va_list ap;

	out->action = a;
	out->take_owner = take_owner;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* Judge an object whose owner is trusted: TRUST or REPAIR. owner_sy: the
 * owner is SYSTEM (or the service's own account). */
static ferry_err judge_dacl(struct tree_decision *out, const struct tree_rule *rule,
			    const struct sd_doc *got, bool owner_sy)
{
	struct sd_doc *want = NULL;
	bool dacl_ok;
	ferry_err rc = FERRY_OK;

	if (rule) {
		rc = sddl_parse_doc(&want, rule->sddl, strlen(rule->sddl));
		if (rc)
			return rc; /* the table is ours: a test proves every entry parses */
		dacl_ok = (got->control & SE_DACL_PRESENT) && (got->control & SE_DACL_PROTECTED) &&
			  acl_same_set(got->dacl, want->dacl);
	} else {
		dacl_ok = file_dacl_inherited(got);
	}
	if (dacl_ok && owner_sy)
		say(out, TREE_TRUST, false, "owner %s, %s",
		    sid_equal(&got->owner, &sid_system) ? "SYSTEM" : "the service's account", rule ? "protected DACL as the rule says"
									: "DACL inherited from its folder");
	else if (dacl_ok)
		say(out, TREE_REPAIR, true, "%s", "owner Administrators: taken by SYSTEM");
	else
		say(out, TREE_REPAIR, !owner_sy, "%s",
		    rule ? "DACL is not the rule's protected DACL: re-applied"
			 : "DACL not inherited from its folder: reset to inherit");
	sd_doc_free(want);
	return rc;
}

ferry_err tree_decide(struct tree_decision *out, const struct tree_rule *rule,
		      const struct tree_observed *obs)
{
	struct sd_doc *got = NULL;
	struct sid service;
	bool owner_sy, has_service = false;
	char owner[SID_STRING_MAX];
	const char *what = rule ? "folder" : "file";
	ferry_err rc = FERRY_OK;

	if (!out || !obs)
		return ferry_error_set(FERRY_EINVAL, "tree_decide: missing argument");
	if (obs->service_sid) {
		if (sid_from_string(&service, obs->service_sid, strlen(obs->service_sid)))
			return ferry_error_wrap(FERRY_EINVAL, "tree_decide: service account: ");
		has_service = true;
	}
	/* Fail closed: a caller that ignores an error return still refuses. */
	say(out, TREE_REFUSE, false, "%s", "not decided (out of memory)");
	if (obs->attributes == TREE_ATTR_INVALID) {
		say(out, TREE_REFUSE, false, "%s attributes could not be read", what);
		goto out;
	}
	/* Invariant 1, before anything is read through it. */
	if (obs->attributes & TREE_ATTR_REPARSE_POINT) {
		say(out, TREE_MOVE_ASIDE, false, "%s is a reparse point (junction or link): never followed",
		    what);
		goto out;
	}
	if (rule && !(obs->is_dir && (obs->attributes & TREE_ATTR_DIRECTORY))) {
		say(out, TREE_MOVE_ASIDE, false, "%s", "a file stands where the folder should be");
		goto out;
	}
	if (!rule && (obs->is_dir || (obs->attributes & TREE_ATTR_DIRECTORY))) {
		say(out, TREE_MOVE_ASIDE, false, "%s", "a folder stands where a file should be");
		goto out;
	}
	if (!obs->sd || !obs->sd_len) {
		say(out, TREE_REFUSE, false, "%s security descriptor could not be read", what);
		goto out;
	}
	rc = sd_doc_decode(&got, obs->sd, obs->sd_len);
	if (rc == FERRY_ENOMEM)
		goto out;
	if (rc) {
		rc = FERRY_OK;
		ferry_error_clear();
		say(out, TREE_REFUSE, false, "%s security descriptor does not parse", what);
		goto out;
	}
	if (!got->has_owner) {
		say(out, TREE_REFUSE, false, "%s security descriptor has no owner", what);
		goto out;
	}
	sid_format(&got->owner, owner);
	owner_sy = sid_equal(&got->owner, &sid_system) ||
		   (has_service && sid_equal(&got->owner, &service));
	/* Invariant 2. */
	if (!owner_sy && !sid_equal(&got->owner, &sid_admins)) {
		/* Just created by us and yet not ours: something raced the service. */
		if (!obs->existed)
			say(out, TREE_REFUSE, false,
			    "just created, yet owned by %s: another process got there first", owner);
		else
			say(out, TREE_MOVE_ASIDE, false,
			    "owned by %s, not SYSTEM or Administrators: made by someone else first", owner);
		goto out;
	}
	if (!rule && obs->links > 1) {
		say(out, TREE_MOVE_ASIDE, false, "%s", "file has more than one hard link");
		goto out;
	}
	rc = judge_dacl(out, rule, got, owner_sy);
out:
	sd_doc_free(got);
	return rc;
}

/* --- paths ------------------------------------------------------------------ */

ferry_err tree_path_check(size_t *bad, const char *const *names, const uint32_t *attrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = names && names[i] ? names[i] : "?";

		if (bad)
			*bad = i;
		if (attrs[i] == TREE_ATTR_INVALID)
			return ferry_error_set(FERRY_EPERM,
					       "path component %zu (%s): attributes could not be read",
					       i, name);
		if (attrs[i] & TREE_ATTR_REPARSE_POINT)
			return ferry_error_set(FERRY_EPERM,
					       "path component %zu (%s) is a reparse point: not followed",
					       i, name);
		if (!(attrs[i] & TREE_ATTR_DIRECTORY))
			return ferry_error_set(FERRY_EPERM, "path component %zu (%s) is not a folder", i,
					       name);
	}
	if (bad)
		*bad = n;
	return FERRY_OK;
}

void tree_prefixes_free(char **p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		ferry_free(p[i]);
	ferry_free(p);
}

static bool is_sep(char c)
{
	return c == '\\' || c == '/';
}

ferry_err tree_path_prefixes(char ***out, size_t *n, const char *path)
{
	size_t len = path ? strlen(path) : 0, k = 0, i = 3;
	char **p = NULL;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	*n = 0;
	if (len < 3 || !((path[0] | 0x20) >= 'a' && (path[0] | 0x20) <= 'z') || path[1] != ':' ||
	    !is_sep(path[2]))
		return ferry_error_set(FERRY_EINVAL, "tree path: not an absolute path with a drive letter");
	/* At most one prefix per character after the root, plus the root. */
	p = ferry_calloc(len - 1, sizeof(*p));
	if (!p || !(p[k++] = ferry_strdup("?:\\")))
		rc = ferry_error_set(FERRY_ENOMEM, "tree path");
	else
		p[0][0] = path[0];
	while (!rc && i < len) {
		size_t start = i;

		while (i < len && !is_sep(path[i]))
			i++;
		if (i == start)
			rc = ferry_error_set(FERRY_EINVAL, "tree path: empty component at offset %zu", i);
		else if (path[start] == '.' && (i - start == 1 || (i - start == 2 && path[start + 1] == '.')))
			rc = ferry_error_set(FERRY_EINVAL, "tree path: '.' or '..' at offset %zu", start);
		else if (!(p[k] = ferry_malloc(i + 1)))
			rc = ferry_error_set(FERRY_ENOMEM, "tree path");
		if (rc)
			break;
		for (size_t j = 0; j < i; j++)
			p[k][j] = path[j] == '/' ? '\\' : path[j];
		p[k++][i] = '\0';
		i++; /* the separator; a trailing one ends the loop */
	}
	if (rc) {
		tree_prefixes_free(p, k);
		return rc;
	}
	*out = p;
	*n = k;
	return FERRY_OK;
}

ferry_err tree_aside_name(char *out, size_t cap, const char *name, int64_t unix_utc)
{
	char iso[RFC3339_BUF], stamp[RFC3339_BUF];
	size_t k = 0;
	int w;
	ferry_err rc = rfc3339_format(iso, unix_utc);

	if (rc)
		return rc;
	for (const char *s = iso; *s; s++)
		if (*s != '-' && *s != ':')
			stamp[k++] = *s;
	stamp[k] = '\0';
	w = snprintf(out, cap, "%s.untrusted-%s", name, stamp);
	if (w < 0 || (size_t)w >= cap)
		return ferry_error_set(FERRY_ERANGE, "tree: aside name for %s does not fit", name);
	return FERRY_OK;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && same_name(s + n - t, tail);
}

bool tree_archive_keeps(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!strncmp(p, ".untrusted-", 11))
			return false;
	return !ends_with(name, ".dpapi") && !ends_with(name, ".sealed") && !ends_with(name, ".tmp");
}
