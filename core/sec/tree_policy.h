/*
 * Who owns %ProgramData%\Ferry: the state tree's folder-security decision,
 * pure, so that it is tested natively (Wine keeps no file permissions).
 *
 * The service, at every start, opens each folder of the tree without
 * following reparse points (FILE_FLAG_OPEN_REPARSE_POINT |
 * FILE_FLAG_BACKUP_SEMANTICS), reads its attributes, owner and DACL, and
 * asks tree_decide what to do; it then applies the rule's SDDL and logs it.
 * The table of folders, their SDDL and the reason behind every right a
 * user gets is in tree_policy.c and docs/security.md.
 *
 * Invariants the decision keeps:
 *  1. A reparse point (junction, symlink, mount point) is never trusted
 *     and never followed: it is moved aside (the link itself is renamed).
 *  2. A folder or file whose owner is neither SYSTEM nor Administrators (nor
 *     the service's own account, tree_observed.service_sid) was
 *     made by someone else first: its contents are never trusted, it is
 *     moved aside, and the service makes a fresh one.
 *  3. TRUST needs all of: owner SYSTEM, a protected DACL, and exactly the
 *     rule's ACEs (as a set). Anything less, from a trusted owner, is
 *     REPAIR: the DACL is re-applied (and the owner set to SYSTEM).
 *  4. What cannot be judged (no security descriptor, no owner, bytes that
 *     do not parse, a folder the service just created that is not its own)
 *     is REFUSE: the service stops using the tree and says why.
 */
#ifndef FERRY_SEC_TREE_POLICY_H
#define FERRY_SEC_TREE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* FILE_ATTRIBUTE_* values the decision reads (winnt.h; MS-FSCC 2.6). */
#define TREE_ATTR_DIRECTORY 0x00000010u
#define TREE_ATTR_REPARSE_POINT 0x00000400u
#define TREE_ATTR_INVALID 0xFFFFFFFFu /* INVALID_FILE_ATTRIBUTES: could not be read */

/* One folder of the tree. rel is relative to %ProgramData%\Ferry with
 * backslashes ("" is the root itself); users_reason is NULL when users get
 * no access at all, else why they may read. */
struct tree_rule {
	const char *rel;
	const char *sddl;
	const char *users_reason;
};

/*
 * INSTALLDIR, the MSI's program folder (ferrysvc.exe, ferry.exe, the
 * notifier): users read and run what is there (the notifier runs in their
 * session), nobody but SYSTEM and Administrators may write, so nothing
 * SYSTEM runs can be swapped or planted beside it. 0x1200a9 is
 * FILE_GENERIC_READ | FILE_GENERIC_EXECUTE. One home: the MSI's
 * MsiLockPermissionsEx row (installer/finish-msi reads it from here) and
 * `ferrysvc secure-install` (service/svc/svc_install.c) both apply it.
 */
#define TREE_INSTALL_DIR_SDDL "O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"

/** The table, parents before children (apply it in this order). Borrowed. */
const struct tree_rule *tree_rules(size_t *count);

/** The rule of one folder by rel (case-insensitive ASCII), or NULL. Borrowed. */
const struct tree_rule *tree_rule_find(const char *rel);

enum tree_action {
	TREE_TRUST = 0,      /* use it as it is */
	TREE_REPAIR = 1,     /* re-apply the DACL (and owner, see take_owner); then use it */
	TREE_MOVE_ASIDE = 2, /* rename it away unfollowed, make a fresh one; never read it */
	TREE_REFUSE = 3,     /* stop: the tree cannot be judged or made safe here */
};

/** "trust", "repair", "move aside", "refuse". */
const char *tree_action_name(enum tree_action a);

/* What the service saw, from a handle opened without following links. */
struct tree_observed {
	bool existed;        /* false: this start created it (CreateDirectoryW succeeded) */
	bool is_dir;         /* the object is a directory (for a rule: a folder is expected) */
	uint32_t attributes; /* FILE_ATTRIBUTE_* (TREE_ATTR_INVALID: unreadable) */
	uint32_t links;      /* files: NumberOfLinks (0 = not known); ignored for folders */
	const uint8_t *sd;   /* self-relative SD with owner and DACL; NULL = unreadable */
	size_t sd_len;
	/* The account the service runs as, when it is not SYSTEM (NULL on a
	 * real install, where it is SYSTEM). Its objects are the service's own:
	 * an owner equal to it counts as SYSTEM. It exists so that the same code
	 * judges a tree under Wine, where every process and every file belongs
	 * to the prefix's one user; it never widens who else is trusted. */
	const char *service_sid;
};

struct tree_decision {
	enum tree_action action;
	bool take_owner;  /* REPAIR: set the owner to SYSTEM too */
	char reason[200]; /* what and why, for the log (SIDs, never file contents) */
};

/**
 * Decide for the folder of `rule` (a NULL rule decides for a file inside a
 * tree folder: its DACL must be inherited from the folder, it has one
 * link). Returns FERRY_OK with a decision for every observed state,
 * hostile or not; FERRY_EINVAL only for missing arguments and FERRY_ENOMEM
 * when decoding runs out of memory, and then *out says TREE_REFUSE.
 */
ferry_err tree_decide(struct tree_decision *out, const struct tree_rule *rule,
		      const struct tree_observed *obs);

/**
 * Every component of a path must be a plain folder: attrs[i] are the
 * attributes of names[i], the path's prefixes from the volume root down
 * (tree_path_prefixes). FERRY_EPERM naming the first component that is a
 * reparse point or whose attributes could not be read; FERRY_OK otherwise.
 * *bad (may be NULL) receives its index (n when none).
 */
ferry_err tree_path_check(size_t *bad, const char *const *names, const uint32_t *attrs,
			  size_t n);

/**
 * Split a Windows path ("C:\\ProgramData\\Ferry\\state", backslashes or
 * slashes) into its prefixes, root first: "C:\\", "C:\\ProgramData",
 * "C:\\ProgramData\\Ferry", ... The caller frees *out with
 * tree_prefixes_free. A path that is not absolute with a drive letter, or
 * has an empty, "." or ".." component, is FERRY_EINVAL: a tree path is
 * always spelled out in full.
 */
ferry_err tree_path_prefixes(char ***out, size_t *n, const char *path);

/** NULL-safe. */
void tree_prefixes_free(char **p, size_t n);

/**
 * The name an untrusted object is renamed to, beside it:
 * "<name>.untrusted-<yyyymmddThhmmssZ>" from the UTC time given as Unix
 * seconds. FERRY_ERANGE when it does not fit in cap.
 */
ferry_err tree_aside_name(char *out, size_t cap, const char *name, int64_t unix_utc);

/**
 * Whether the uninstall archive may copy the file `name` (a file name, no
 * folder): never a secret at rest ("*.dpapi": the agent's key and token;
 * "*.sealed": ODJ blobs; any case), never a temporary file ("*.tmp", it may
 * be a secret being written), never something moved aside
 * ("*.untrusted-*", never read). Everything else (journals, device state,
 * agent.json, bundle.json, logs) is kept for audit.
 */
bool tree_archive_keeps(const char *name);

#endif
