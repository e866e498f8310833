/*
 * The state tree on disk: core/sec/tree_policy's decision, applied.
 *
 * Every folder of %ProgramData%\Ferry is made or judged here, never with
 * CreateDirectoryW(path, NULL): a folder this start creates is born with its
 * rule's protected DACL (SECURITY_ATTRIBUTES); one that exists is opened
 * without following links (FILE_FLAG_OPEN_REPARSE_POINT |
 * FILE_FLAG_BACKUP_SEMANTICS, no FILE_SHARE_DELETE, so nobody can rename it
 * while it is judged), its attributes, owner and DACL are read, tree_decide
 * says trust / repair / move aside / refuse, and this code does it. Then the
 * folder's entries are swept: a reparse point, or an entry owned by someone
 * other than SYSTEM, Administrators or the service's own account, is renamed
 * aside unread (<name>.untrusted-<time>); a file with more than one link too.
 * After a repair the rule's DACL is applied again by name, which propagates
 * the inheritable ACEs to what stays. Each folder gets one line:
 *   tree: <rel>: <action>: <reason>; applied <SDDL>
 * and each entry acted on one more; the service logs them (file log and
 * Event Log), so a rehearsal under Wine shows the SDDL though Wine keeps no
 * file permissions.
 */
#ifndef FERRY_WU_TREE_H
#define FERRY_WU_TREE_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Where tree lines go; problem = something was moved aside or refused. */
typedef void (*wu_tree_say_fn)(void *ctx, bool problem, const char *line);

/** The process-wide sink (the service sets it to its log); NULL drops lines. */
void wu_tree_set_sink(wu_tree_say_fn say, void *ctx);

/** %ProgramData%\Ferry into out[cap] (nothing made). */
ferry_err wu_tree_root(wchar_t *out, size_t cap);

/**
 * Make `path` the folder of tree rule `rel` ("", "state", "state\\net", ...)
 * as described above. Its parent must already be a secured folder (or
 * %ProgramData%, or a --state folder's parent). FERRY_EPERM naming what and
 * why when the folder is refused or cannot be made safe; then nothing may
 * be read from or written to it.
 */
ferry_err wu_tree_folder(const wchar_t *path, const char *rel);

/**
 * Every folder of the table, parents first, under `root` (NULL: the
 * default %ProgramData%\Ferry); the "state" subtree at `state_dir` when one
 * is given (--state). The first refusal stops it.
 */
ferry_err wu_tree_secure(const wchar_t *root, const wchar_t *state_dir);

/** %ProgramData%\Ferry\<rel> into out[cap], root and folder secured. */
ferry_err wu_tree_dir(wchar_t *out, size_t cap, const char *rel);

/**
 * Every component of `path` from its volume root is a plain folder, not a
 * reparse point (tree_path_check). FERRY_EPERM naming the first that is not.
 */
ferry_err wu_tree_path_check(const wchar_t *path);

/**
 * Lock down INSTALLDIR `dir` (the folder ferrysvc.exe was installed to):
 * every component of it a plain folder (wu_tree_path_check), then
 * TREE_INSTALL_DIR_SDDL by name, protected, owner SYSTEM when this process
 * is SYSTEM; the inheritable ACEs reach the files below. One line to the
 * sink: "install: INSTALLDIR <dir>: applied <SDDL>" (or refuse: why).
 */
ferry_err wu_tree_lock_install_dir(const wchar_t *dir);

/** The SID of the account this process runs as, when it is not SYSTEM, into
 *  out (tree_observed.service_sid); "" when it is SYSTEM. */
void wu_tree_service_sid(char *out, size_t cap);

#endif
