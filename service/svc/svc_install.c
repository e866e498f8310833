/*
 * `ferrysvc secure-install`: what Ferry.msi runs right after InstallFiles,
 * as SYSTEM (a deferred custom action without impersonation, before the
 * service is installed or started; installer/Ferry.wxs.in), and what an
 * administrator may run again by hand:
 *  1. %ProgramData%\Ferry and every folder of the state tree, made or
 *     judged with their protected DACLs (wu_tree_secure, the code every
 *     service start runs; docs/security.md §3): the tree exists with its
 *     DACL before the service first starts, and a tree a user made first,
 *     or a link there, is moved aside or refused, never followed;
 *  2. INSTALLDIR, the folder this ferrysvc.exe was installed to, locked
 *     down (TREE_INSTALL_DIR_SDDL: users read and execute only). The MSI
 *     has already applied the same SDDL when it created the folder
 *     (MsiLockPermissionsEx, before any file was copied); this applies it
 *     again by name so a folder that existed before the install is locked
 *     too, and says so in the log.
 * Each folder gets one line with the SDDL applied, in the service's file
 * log (and the Event Log for a refusal), so an administrator compares it
 * with `icacls` (docs/windows-test-plan.md). Exit 0, or 1 when either step
 * refused: the MSI's custom action then fails the install.
 */
#include <windows.h>

#include <wchar.h>

#include "svc/svc.h"
#include "wu_tree.h"

/* The folder of this executable, without a trailing backslash. */
static bool own_folder(wchar_t *out, DWORD cap)
{
	DWORD n = GetModuleFileNameW(NULL, out, cap);
	wchar_t *slash;

	if (!n || n >= cap || !(slash = wcsrchr(out, L'\\')))
		return false;
	*slash = L'\0';
	return true;
}

int svc_secure_install(const struct svc_options *o)
{
	wchar_t dir[MAX_PATH];
	ferry_err tree, lock = FERRY_OK;

	svc_log_open(NULL, o->name, true);
	tree = wu_tree_secure(NULL, NULL);
	if (tree != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "install: the state tree is refused: %s",
			      ferry_error_detail());
	if (!own_folder(dir, MAX_PATH))
		lock = ferry_error_set(FERRY_ESYSTEM, "GetModuleFileNameW failed (Win32 %lu)",
				       (unsigned long)GetLastError());
	else
		lock = wu_tree_lock_install_dir(dir);
	if (lock != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "install: INSTALLDIR is not locked down: %s",
			      ferry_error_detail());
	else if (tree == FERRY_OK)
		svc_log("install: the state tree and INSTALLDIR are secured");
	svc_log_close();
	return tree == FERRY_OK && lock == FERRY_OK ? 0 : 1;
}
