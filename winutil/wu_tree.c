/* The state tree on disk: see wu_tree.h. */
#include "wu_tree.h"

#include <aclapi.h>
#include <sddl.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "sec/tree_policy.h"
#include "util/mem.h"
#include "winutil.h"

#define LINE_MAX_CHARS 600

static struct {
	wu_tree_say_fn say;
	void *ctx;
	/* Folders (by rule) whose line this process has said: a folder is
	 * judged again at each use (cheap), but said again only when something
	 * is moved aside or refused, so the log shows each folder once per
	 * start and every problem. */
	volatile LONG said[32];
} sink;

static bool first_time(const struct tree_rule *rule)
{
	size_t count = 0, i = (size_t)(rule - tree_rules(&count));

	return i >= 32 || InterlockedExchange(&sink.said[i], 1) == 0;
}

void wu_tree_set_sink(wu_tree_say_fn say, void *ctx)
{
	sink.say = say;
	sink.ctx = ctx;
}

static void say(bool problem, const char *fmt, ...)
{
	char line[LINE_MAX_CHARS];
	va_list ap;

	if (!sink.say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sink.say(sink.ctx, problem, line);
}

static ferry_err win_fail(ferry_err code, const char *api, const wchar_t *path, DWORD e)
{
	char p[MAX_PATH * 3];

	wu_utf8_into(p, sizeof(p), path);
	return ferry_error_set(code, "tree: %s(%s) failed: Win32 error %lu", api, p,
			       (unsigned long)e);
}

void wu_tree_service_sid(char *out, size_t cap)
{
	HANDLE t = NULL;
	union {
		TOKEN_USER tu;
		BYTE raw[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
	} u;
	DWORD n = 0;
	wchar_t *s = NULL;

	out[0] = '\0';
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
		return;
	if (GetTokenInformation(t, TokenUser, &u, sizeof(u), &n) &&
	    !IsWellKnownSid(u.tu.User.Sid, WinLocalSystemSid) &&
	    ConvertSidToStringSidW(u.tu.User.Sid, &s)) {
		wu_utf8_into(out, cap, s);
		LocalFree(s);
	}
	CloseHandle(t);
}

ferry_err wu_tree_root(wchar_t *out, size_t cap)
{
	wchar_t base[MAX_PATH];
	DWORD n = ExpandEnvironmentStringsW(L"%ProgramData%", base, MAX_PATH);

	if (n == 0 || n > MAX_PATH || base[0] == L'%')
		return ferry_error_set(FERRY_ESYSTEM, "tree: %%ProgramData%% is not set");
	if (wu_fmt(out, cap, L"%ls\\Ferry", base) < 0)
		return ferry_error_set(FERRY_ERANGE, "tree: path too long");
	return FERRY_OK;
}

/* The rule's SD, without its owner when this process is not SYSTEM (only
 * SYSTEM may name SYSTEM as the owner of what it creates). LocalFree. */
static PSECURITY_DESCRIPTOR rule_sd(const struct tree_rule *rule, bool as_system)
{
	const char *sddl = as_system ? rule->sddl : strstr(rule->sddl, "D:");
	wchar_t w[512];
	PSECURITY_DESCRIPTOR sd = NULL;

	if (!sddl || !wu_wide_into(w, 512, sddl) ||
	    !ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1, &sd, NULL))
		return NULL;
	return sd;
}

/*
 * What an opened object is: attributes, links and its SD (LocalFree). The
 * attributes are those of the name (GetFileAttributesW reports a link's own)
 * and of the handle together. *followed: the name is a reparse point but
 * the handle, though opened with FILE_FLAG_OPEN_REPARSE_POINT, is not (Wine
 * 8 opens and renames a link's target): then nothing here can act on the
 * link itself, and the caller refuses instead of moving it aside.
 */
static void observe(HANDLE h, const wchar_t *path, struct tree_observed *o,
		    PSECURITY_DESCRIPTOR *sd, bool *followed)
{
	BY_HANDLE_FILE_INFORMATION bi;
	DWORD by_name = GetFileAttributesW(path);

	*sd = NULL;
	*followed = false;
	o->attributes = TREE_ATTR_INVALID;
	if (h == INVALID_HANDLE_VALUE || !GetFileInformationByHandle(h, &bi) ||
	    by_name == INVALID_FILE_ATTRIBUTES)
		return;
	o->attributes = bi.dwFileAttributes | by_name;
	o->links = bi.nNumberOfLinks;
	o->is_dir = (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
	*followed = (by_name & FILE_ATTRIBUTE_REPARSE_POINT) &&
		    !(bi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
	if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
			    NULL, NULL, NULL, NULL, sd) == ERROR_SUCCESS && *sd) {
		o->sd = *sd;
		o->sd_len = GetSecurityDescriptorLength(*sd);
	}
}

/* A reparse point this system cannot hold unfollowed: refused, not moved. */
static void refuse_followed(struct tree_decision *d)
{
	d->action = TREE_REFUSE;
	snprintf(d->reason, sizeof(d->reason), "%s",
		 "a reparse point (junction or link) that this system opens through even when "
		 "asked not to: neither followed nor moved, refused");
}

/* Open without following a link and without letting anyone rename it. */
static HANDLE open_unfollowed(const wchar_t *path, bool for_write)
{
	DWORD access = READ_CONTROL | FILE_READ_ATTRIBUTES | SYNCHRONIZE;

	if (for_write)
		access |= WRITE_DAC | WRITE_OWNER;
	return CreateFileW(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
			   FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
}

/* Rename `path` beside itself to <name>.untrusted-<time>[-n]; the object is
 * never opened through (MoveFileExW renames a link, not its target). */
static ferry_err move_aside(const wchar_t *path, wchar_t *aside, size_t cap)
{
	char name8[64];
	wchar_t suffix[64];
	DWORD e = 0;

	if (tree_aside_name(name8, sizeof(name8), "", (int64_t)time(NULL)) != FERRY_OK ||
	    !wu_wide_into(suffix, 64, name8))
		return ferry_error_set(FERRY_ERANGE, "tree: aside name");
	for (int n = 0; n < 10; n++) {
		if ((n ? wu_fmt(aside, cap, L"%ls%ls-%d", path, suffix, n) :
			 wu_fmt(aside, cap, L"%ls%ls", path, suffix)) < 0)
			return ferry_error_set(FERRY_ERANGE, "tree: aside path too long");
		if (MoveFileExW(path, aside, 0))
			return FERRY_OK;
		if ((e = GetLastError()) != ERROR_ALREADY_EXISTS && e != ERROR_FILE_EXISTS)
			break;
	}
	return win_fail(FERRY_EPERM, "MoveFileExW", path, e);
}

static PSID system_sid(BYTE buf[SECURITY_MAX_SID_SIZE])
{
	DWORD n = SECURITY_MAX_SID_SIZE;

	return CreateWellKnownSid(WinLocalSystemSid, NULL, buf, &n) ? (PSID)buf : NULL;
}

/* REPAIR of a folder: the rule's DACL, protected, and SYSTEM as owner. */
static ferry_err apply_folder(HANDLE h, const wchar_t *path, const struct tree_rule *rule,
			      bool take_owner, bool as_system, bool by_name)
{
	PSECURITY_DESCRIPTOR sd = rule_sd(rule, true);
	BYTE sys[SECURITY_MAX_SID_SIZE];
	PACL dacl = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	SECURITY_INFORMATION si = DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION;
	PSID owner = NULL;
	DWORD e;

	if (!sd || !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present) {
		LocalFree(sd);
		return ferry_error_set(FERRY_ESYSTEM, "tree: the rule's SDDL for %s does not convert",
				       rule->rel);
	}
	/* Only SYSTEM may give an object to SYSTEM; elsewhere (a console
	 * rehearsal, Wine) the owner is left as it is. */
	if (take_owner && as_system && (owner = system_sid(sys)))
		si |= OWNER_SECURITY_INFORMATION;
	e = by_name ? SetNamedSecurityInfoW((wchar_t *)path, SE_FILE_OBJECT, si, owner, NULL, dacl,
					    NULL) :
		      SetSecurityInfo(h, SE_FILE_OBJECT, si, owner, NULL, dacl, NULL);
	LocalFree(sd);
	return e == ERROR_SUCCESS ? FERRY_OK :
				    win_fail(FERRY_EPERM, by_name ? "SetNamedSecurityInfoW" : "SetSecurityInfo",
					     path, e);
}

/* REPAIR of an entry: its DACL back to what it inherits, owner SYSTEM. */
static ferry_err apply_entry(HANDLE h, const wchar_t *path, bool take_owner, bool as_system)
{
	ACL empty;
	BYTE sys[SECURITY_MAX_SID_SIZE];
	SECURITY_INFORMATION si = DACL_SECURITY_INFORMATION | UNPROTECTED_DACL_SECURITY_INFORMATION;
	PSID owner = NULL;
	DWORD e;

	if (!InitializeAcl(&empty, sizeof(empty), ACL_REVISION))
		return win_fail(FERRY_ESYSTEM, "InitializeAcl", path, GetLastError());
	if (take_owner && as_system && (owner = system_sid(sys)))
		si |= OWNER_SECURITY_INFORMATION;
	e = SetSecurityInfo(h, SE_FILE_OBJECT, si, owner, NULL, &empty, NULL);
	return e == ERROR_SUCCESS ? FERRY_OK : win_fail(FERRY_EPERM, "SetSecurityInfo", path, e);
}

static bool is_aside(const wchar_t *name)
{
	return wcsstr(name, L".untrusted-") != NULL;
}

/* Judge one entry of a folder (not a folder of the table); false when it
 * is still there and cannot be trusted (then the folder is refused). */
static bool sweep_entry(const wchar_t *folder, const char *rel, const struct tree_rule *rule,
			const wchar_t *name, const char *service, bool as_system, bool quiet)
{
	wchar_t path[MAX_PATH * 2], aside[MAX_PATH * 2 + 64];
	char name8[MAX_PATH * 3];
	struct tree_observed o = { .existed = true, .service_sid = service[0] ? service : NULL };
	struct tree_decision d;
	PSECURITY_DESCRIPTOR sd = NULL;
	HANDLE h;
	bool followed = false;
	ferry_err rc;

	if (wu_fmt(path, MAX_PATH * 2, L"%ls\\%ls", folder, name) < 0)
		return false;
	wu_utf8_into(name8, sizeof(name8), name);
	if ((h = open_unfollowed(path, true)) == INVALID_HANDLE_VALUE)
		h = open_unfollowed(path, false);
	observe(h, path, &o, &sd, &followed);
	/* A folder that is not in the table (a package's) inherits its
	 * parent's DACL: only its owner and attributes are judged. */
	rc = tree_decide(&d, o.is_dir ? rule : NULL, &o);
	LocalFree(sd);
	if (rc == FERRY_OK && (d.action == TREE_TRUST || (o.is_dir && d.action == TREE_REPAIR))) {
		CloseHandle(h);
		return true;
	}
	if (rc == FERRY_OK && followed) {
		CloseHandle(h);
		refuse_followed(&d);
		say(true, "tree: %s\\%s: refuse: %s", rel, name8, d.reason);
		return false;
	}
	if (rc == FERRY_OK && d.action == TREE_REPAIR) {
		rc = apply_entry(h, path, d.take_owner, as_system);
		CloseHandle(h);
		if (!quiet || rc != FERRY_OK)
			say(rc != FERRY_OK, "tree: %s\\%s: repair: %s%s%s", rel, name8, d.reason,
			    rc ? "; failed: " : "", rc ? ferry_error_detail() : "");
		return true;
	}
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	/* MOVE_ASIDE, and REFUSE too: what cannot be judged is not used. */
	rc = move_aside(path, aside, MAX_PATH * 2 + 64);
	say(true, "tree: %s\\%s: move aside: %s%s%s", rel, name8,
	    d.reason[0] ? d.reason : "could not be judged", rc ? "; failed: " : "",
	    rc ? ferry_error_detail() : "");
	return rc == FERRY_OK;
}

static bool is_table_child(const char *rel, const wchar_t *name)
{
	char child[MAX_PATH * 3], name8[MAX_PATH * 3];

	wu_utf8_into(name8, sizeof(name8), name);
	snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "\\" : "", name8);
	return tree_rule_find(child) != NULL;
}

/* FERRY_EPERM when an entry that cannot be trusted could not be moved away. */
static ferry_err sweep(const wchar_t *folder, const struct tree_rule *rule, const char *service,
		       bool as_system, bool quiet)
{
	wchar_t pattern[MAX_PATH * 2];
	WIN32_FIND_DATAW fd;
	HANDLE f;
	char bad[MAX_PATH * 3] = "";

	if (wu_fmt(pattern, MAX_PATH * 2, L"%ls\\*", folder) < 0)
		return ferry_error_set(FERRY_ERANGE, "tree: path too long");
	f = FindFirstFileExW(pattern, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
	if (f == INVALID_HANDLE_VALUE)
		return FERRY_OK;
	do {
		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L"..") ||
		    is_aside(fd.cFileName) || is_table_child(rule->rel, fd.cFileName))
			continue;
		if (!sweep_entry(folder, rule->rel[0] ? rule->rel : "(root)", rule, fd.cFileName,
				 service, as_system, quiet) && !bad[0])
			wu_utf8_into(bad, sizeof(bad), fd.cFileName);
	} while (FindNextFileW(f, &fd));
	FindClose(f);
	if (bad[0])
		return ferry_error_set(FERRY_EPERM, "tree: %s: refuse: holds %s, which cannot be "
				       "trusted nor moved aside", rule->rel[0] ? rule->rel : "(root)", bad);
	return FERRY_OK;
}

/* Create `path` with its rule's SD; *existed when it was there already. */
static ferry_err create(const wchar_t *path, const struct tree_rule *rule, bool as_system,
			bool *existed)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), rule_sd(rule, as_system), FALSE };
	DWORD e = 0;

	if (!sa.lpSecurityDescriptor)
		return ferry_error_set(FERRY_ESYSTEM, "tree: the rule's SDDL for %s does not convert",
				       rule->rel);
	*existed = !CreateDirectoryW(path, &sa);
	if (*existed)
		e = GetLastError();
	LocalFree(sa.lpSecurityDescriptor);
	if (*existed && e != ERROR_ALREADY_EXISTS)
		return win_fail(FERRY_EIO, "CreateDirectoryW", path, e);
	return FERRY_OK;
}

/* Open, observe and decide; *h stays open for the action. */
static ferry_err judge(HANDLE *h, struct tree_decision *d, const wchar_t *path,
		       const struct tree_rule *rule, bool existed, const char *service)
{
	struct tree_observed o = { .existed = existed, .service_sid = service[0] ? service : NULL };
	PSECURITY_DESCRIPTOR sd = NULL;
	bool followed = false;
	ferry_err rc;

	if ((*h = open_unfollowed(path, true)) == INVALID_HANDLE_VALUE)
		*h = open_unfollowed(path, false);
	observe(*h, path, &o, &sd, &followed);
	rc = tree_decide(d, rule, &o);
	LocalFree(sd);
	if (rc == FERRY_OK && followed)
		refuse_followed(d);
	return rc;
}

ferry_err wu_tree_folder(const wchar_t *path, const char *rel)
{
	const struct tree_rule *rule = tree_rule_find(rel);
	const char *shown = rel && rel[0] ? rel : "(root)";
	char service[256], aside8[MAX_PATH * 3];
	wchar_t aside[MAX_PATH + 64];
	struct tree_decision d;
	HANDLE h = INVALID_HANDLE_VALUE;
	bool existed = false, as_system, moved = false, first;
	ferry_err rc;

	if (!rule || !path)
		return ferry_error_set(FERRY_EINVAL, "tree: no rule for folder \"%s\"", rel ? rel : "");
	wu_tree_service_sid(service, sizeof(service));
	as_system = !service[0];
	first = first_time(rule);
	if ((rc = create(path, rule, as_system, &existed)) != FERRY_OK ||
	    (rc = judge(&h, &d, path, rule, existed, service)) != FERRY_OK)
		goto out;
	if (d.action == TREE_MOVE_ASIDE) {
		CloseHandle(h);
		h = INVALID_HANDLE_VALUE;
		if ((rc = move_aside(path, aside, MAX_PATH + 64)) != FERRY_OK)
			goto refused;
		wu_utf8_into(aside8, sizeof(aside8), aside);
		say(true, "tree: %s: move aside: %s; renamed to %s, never read", shown, d.reason,
		    aside8);
		moved = true;
		if ((rc = create(path, rule, as_system, &existed)) != FERRY_OK ||
		    (rc = judge(&h, &d, path, rule, existed, service)) != FERRY_OK)
			goto out;
	}
	if (d.action == TREE_MOVE_ASIDE || d.action == TREE_REFUSE) {
		rc = ferry_error_set(FERRY_EPERM, "tree: %s: refuse: %s%s", shown, d.reason,
				     moved ? " (after moving the first one aside)" : "");
		goto refused;
	}
	if (d.action == TREE_REPAIR &&
	    (rc = apply_folder(h, path, rule, d.take_owner, as_system, false)) != FERRY_OK)
		goto refused;
	if ((rc = sweep(path, rule, service, as_system, !first)) != FERRY_OK)
		goto refused;
	/* By name, with our handle still open (no one can rename the folder):
	 * the inheritable ACEs reach what stays in it. */
	if (d.action == TREE_REPAIR &&
	    (rc = apply_folder(h, path, rule, false, as_system, true)) != FERRY_OK)
		goto refused;
	if (first || moved || !existed)
		say(false, "tree: %s: %s: %s; %s %s", shown,
		    !existed ? "create" : tree_action_name(d.action),
		    !existed ? "made by this start" : d.reason,
		    d.action == TREE_TRUST && existed ? "kept" : "applied", rule->sddl);
	goto out;
refused:
	if (!strncmp(ferry_error_detail(), "tree: ", 6))
		say(true, "%s", ferry_error_detail());
	else
		say(true, "tree: %s: refuse: %s", shown, ferry_error_detail());
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	return rc;
}

ferry_err wu_tree_path_check(const wchar_t *path)
{
	char path8[MAX_PATH * 3], **names = NULL;
	uint32_t *attrs = NULL;
	size_t n = 0;
	ferry_err rc;

	if (!wu_utf8_into(path8, sizeof(path8), path))
		return ferry_error_set(FERRY_ERANGE, "tree: path too long");
	if ((rc = tree_path_prefixes(&names, &n, path8)) != FERRY_OK)
		return rc;
	if (!(attrs = ferry_calloc(n, sizeof(*attrs)))) {
		rc = ferry_error_set(FERRY_ENOMEM, "tree: path check");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		wchar_t w[MAX_PATH * 2];

		attrs[i] = wu_wide_into(w, MAX_PATH * 2, names[i]) ? GetFileAttributesW(w) :
								     TREE_ATTR_INVALID;
	}
	/* From the first folder below the volume root: a drive root is not a
	 * link anyone can plant (a mount point or junction is a folder on a
	 * volume), and Wine shows Z:\, its door to the Unix root, as one. */
	rc = n > 1 ? tree_path_check(NULL, (const char *const *)names + 1, attrs + 1, n - 1) :
		     FERRY_OK;
out:
	ferry_free(attrs);
	tree_prefixes_free(names, n);
	return rc;
}

/* The folders of the table: those of the "state" subtree go under
 * state_dir when one is given, the others under root. */
static ferry_err secure_rules(const wchar_t *root, const wchar_t *state_dir)
{
	size_t count = 0;
	const struct tree_rule *rules = tree_rules(&count);
	ferry_err rc = FERRY_OK;

	for (size_t i = 0; rc == FERRY_OK && i < count; i++) {
		const char *rel = rules[i].rel;
		bool in_state = !strncmp(rel, "state", 5) && (!rel[5] || rel[5] == '\\');
		wchar_t path[MAX_PATH * 2];
		int w;

		if (state_dir && in_state)
			w = wu_fmt(path, MAX_PATH * 2, L"%ls%hs", state_dir, rel + 5);
		else
			w = wu_fmt(path, MAX_PATH * 2, L"%ls%ls%hs", root, rel[0] ? L"\\" : L"", rel);
		if (w < 0)
			return ferry_error_set(FERRY_ERANGE, "tree: path too long");
		rc = wu_tree_folder(path, rel);
	}
	return rc;
}

/* Every component above `path` is a plain folder (the folder itself may not
 * exist yet: it is judged by wu_tree_folder). */
static ferry_err parent_check(const wchar_t *path)
{
	wchar_t parent[MAX_PATH * 2];
	wchar_t *cut;

	if (wu_fmt(parent, MAX_PATH * 2, L"%ls", path) < 0)
		return ferry_error_set(FERRY_ERANGE, "tree: path too long");
	cut = wcsrchr(parent, L'\\');
	if (!cut || cut - parent < 3)
		return FERRY_OK; /* the volume root's child: nothing above but the root */
	*cut = L'\0';
	return wu_tree_path_check(parent);
}

ferry_err wu_tree_secure(const wchar_t *root, const wchar_t *state_dir)
{
	wchar_t def[MAX_PATH];
	ferry_err rc;

	if (!root || !*root) {
		if ((rc = wu_tree_root(def, MAX_PATH)) != FERRY_OK)
			return rc;
		root = def;
	}
	if (state_dir && !*state_dir)
		state_dir = NULL;
	if ((rc = parent_check(root)) != FERRY_OK ||
	    (state_dir && (rc = parent_check(state_dir)) != FERRY_OK)) {
		say(true, "tree: refuse: %s", ferry_error_detail());
		return rc;
	}
	return secure_rules(root, state_dir);
}

ferry_err wu_tree_dir(wchar_t *out, size_t cap, const char *rel)
{
	wchar_t root[MAX_PATH];
	ferry_err rc = wu_tree_root(root, MAX_PATH);
	char parent[MAX_PATH];

	if (rc != FERRY_OK)
		return rc;
	if ((rc = wu_tree_folder(root, "")) != FERRY_OK)
		return rc;
	/* Parents of a nested folder first (state before state\net). */
	for (const char *s = strchr(rel, '\\'); s; s = strchr(s + 1, '\\')) {
		wchar_t p[MAX_PATH * 2];

		snprintf(parent, sizeof(parent), "%.*s", (int)(s - rel), rel);
		if (wu_fmt(p, MAX_PATH * 2, L"%ls\\%hs", root, parent) < 0)
			return ferry_error_set(FERRY_ERANGE, "tree: path too long");
		if ((rc = wu_tree_folder(p, parent)) != FERRY_OK)
			return rc;
	}
	if (wu_fmt(out, cap, L"%ls\\%hs", root, rel) < 0)
		return ferry_error_set(FERRY_ERANGE, "tree: path too long");
	return wu_tree_folder(out, rel);
}

ferry_err wu_tree_lock_install_dir(const wchar_t *dir)
{
	static const struct tree_rule install = { "INSTALLDIR", TREE_INSTALL_DIR_SDDL, NULL };
	char service[256], dir8[MAX_PATH * 3];
	ferry_err rc;

	wu_tree_service_sid(service, sizeof(service));
	wu_utf8_into(dir8, sizeof(dir8), dir);
	/* No component may be a link: the DACL must land on this folder, and
	 * SetNamedSecurityInfoW follows one. */
	if ((rc = wu_tree_path_check(dir)) == FERRY_OK)
		rc = apply_folder(INVALID_HANDLE_VALUE, dir, &install, true, !service[0], true);
	if (rc != FERRY_OK) {
		say(true, "install: INSTALLDIR %s: refuse: %s", dir8, ferry_error_detail());
		return rc;
	}
	say(false, "install: INSTALLDIR %s: applied %s%s", dir8, TREE_INSTALL_DIR_SDDL,
	    service[0] ? " (DACL only: the owner is set only when running as SYSTEM)" : "");
	return FERRY_OK;
}
