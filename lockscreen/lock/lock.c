/*
 * The migration lock-screen image and the legal notice. Both save the
 * values they change once, before the first change (regbackup.h), and
 * restore puts back exactly those values, type and bytes, or their absence.
 *
 * The image: ferrydraw composes the caption onto the source image and
 * writes %ProgramData%\Ferry\lockscreen\migration.png. When it cannot
 * (an error from draw_lockscreen_image), the source image is copied there
 * uncaptioned as migration-uncaptioned.<ext>: a lock screen that says
 * nothing is still better than the user's usual one during a migration,
 * and the caller gets FERRY_OK only when one of the two files exists.
 * The PersonalizationCSP values then point at that file.
 */
#include "lock/lock.h"

#include <string.h>
#include <stdarg.h>
#include <wchar.h>

#include "draw/draw.h"
#include "lock/regbackup.h"
#include "util/mem.h"
#include "util/utf.h"
#include "winutil.h"
#include "wu_tree.h"

#define CSP_KEY L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\PersonalizationCSP"
#define LEGAL_KEY L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System"
#define DEFAULT_IMAGE L"lockscreen-default.png"

static const wchar_t *const csp_names[] = {
	L"LockScreenImagePath", L"LockScreenImageUrl", L"LockScreenImageStatus", NULL,
};
static const wchar_t *const legal_names[] = {
	L"legalnoticecaption", L"legalnoticetext", NULL,
};
static const struct lock_reg_set csp_set = {CSP_KEY, csp_names, L"LockScreen"};
static const struct lock_reg_set legal_set = {LEGAL_KEY, legal_names, L"LegalNotice"};

static ferry_err win_error(const char *api, DWORD code)
{
	ferry_err e = code == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM;

	return ferry_error_set(e, "%s failed: Win32 error %lu", api, (unsigned long)code);
}

static ferry_err to_wide(wchar_t **out, const char *s)
{
	size_t n;

	return ferry_utf8_to_utf16((uint16_t **)out, &n, s ? s : "", s ? strlen(s) : 0);
}

/* %ProgramData%\Ferry\lockscreen, made or judged with its parent by their
 * tree rules (winutil/wu_tree.h: Users may read the picture, nothing else). */
static ferry_err lockscreen_dir(wchar_t *out, size_t cap)
{
	return wu_tree_dir(out, cap, "lockscreen");
}

/* Ferry's default image, installed beside the running program. */
static ferry_err default_image(wchar_t *out, size_t cap)
{
	DWORD n = GetModuleFileNameW(NULL, out, (DWORD)cap);
	wchar_t *slash;

	if (n == 0 || n >= cap)
		return win_error("GetModuleFileNameW", GetLastError());
	slash = wcsrchr(out, L'\\');
	if (!slash || (size_t)(slash + 1 - out) + wcslen(DEFAULT_IMAGE) >= cap)
		return ferry_error_set(FERRY_ERANGE, "lock screen: module path too long");
	wcscpy(slash + 1, DEFAULT_IMAGE);
	return FERRY_OK;
}

/* The uncaptioned copy; its extension is the source's, so Windows decodes it. */
static ferry_err copy_uncaptioned(wchar_t *out, size_t cap, const wchar_t *dir, const wchar_t *src)
{
	const wchar_t *dot = wcsrchr(src, L'.');
	const wchar_t *ext = L".png";

	if (dot && !wcschr(dot, L'\\') && wcslen(dot) <= 5)
		ext = dot;
	if (wu_fmt(out, cap, L"%ls\\migration-uncaptioned%ls", dir, ext) < 0)
		return ferry_error_set(FERRY_ERANGE, "lock screen: path too long");
	if (!CopyFileW(src, out, FALSE))
		return win_error("CopyFileW(lock-screen image)", GetLastError());
	return FERRY_OK;
}

/* Remove the images Ferry wrote (migration*.*) from the lock-screen folder. */
static void remove_images(const wchar_t *dir)
{
	wchar_t pattern[MAX_PATH + 32], path[MAX_PATH + 64];
	WIN32_FIND_DATAW fd;
	HANDLE h;

	if (wu_fmt(pattern, MAX_PATH + 32, L"%ls\\migration*", dir) < 0)
		return;
	h = FindFirstFileW(pattern, &fd);
	if (h == INVALID_HANDLE_VALUE)
		return;
	do {
		if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
		    wu_fmt(path, MAX_PATH + 64, L"%ls\\%ls", dir, fd.cFileName) >= 0)
			DeleteFileW(path);
	} while (FindNextFileW(h, &fd));
	FindClose(h);
}

static ferry_err write_values(const wchar_t *key, const wchar_t *const *names,
			      const wchar_t *const *sz, const DWORD *dword)
{
	HKEY k = NULL;
	LSTATUS st = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, REG_OPTION_NON_VOLATILE,
				     KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, NULL);

	for (size_t i = 0; st == ERROR_SUCCESS && names[i]; i++) {
		if (sz[i])
			st = RegSetValueExW(k, names[i], 0, REG_SZ, (const BYTE *)sz[i],
					    (DWORD)((wcslen(sz[i]) + 1) * sizeof(wchar_t)));
		else
			st = RegSetValueExW(k, names[i], 0, REG_DWORD, (const BYTE *)dword,
					    sizeof *dword);
	}
	if (st == ERROR_SUCCESS)
		st = RegFlushKey(k);
	if (k)
		RegCloseKey(k);
	return st == ERROR_SUCCESS ? FERRY_OK : win_error("RegSetValueExW", (DWORD)st);
}

ferry_err lock_screen_set(const char *image_path, const char *caption)
{
	wchar_t dir[MAX_PATH], out[MAX_PATH + 64], src[MAX_PATH];
	wchar_t *in = NULL;
	const DWORD status = 1; /* the CSP's "image set" */
	ferry_err rc;

	rc = lock_backup_save(&csp_set);
	if (!rc)
		rc = lockscreen_dir(dir, MAX_PATH);
	if (!rc && image_path)
		rc = to_wide(&in, image_path);
	if (rc)
		goto out;
	if (wu_fmt(out, MAX_PATH + 64, L"%ls\\migration.png", dir) < 0) {
		rc = ferry_error_set(FERRY_ERANGE, "lock screen: path too long");
		goto out;
	}
	if (draw_lockscreen_image(out, in, caption) != FERRY_OK) {
		/* See the file comment: uncaptioned beats nothing. */
		DeleteFileW(out);
		rc = in ? FERRY_OK : default_image(src, MAX_PATH);
		if (!rc)
			rc = copy_uncaptioned(out, MAX_PATH + 64, dir, in ? in : src);
		if (rc)
			goto out;
	}
	{
		const wchar_t *sz[] = {out, out, NULL};

		rc = write_values(CSP_KEY, csp_names, sz, &status);
	}
out:
	ferry_free(in);
	return rc;
}

ferry_err lock_screen_restore(void)
{
	wchar_t dir[MAX_PATH];
	ferry_err rc = lock_backup_restore(&csp_set);

	/* The images go only once the values no longer point at them. */
	if (!rc && lockscreen_dir(dir, MAX_PATH) == FERRY_OK)
		remove_images(dir);
	return rc;
}

ferry_err lock_legal_set(const char *caption, const char *text)
{
	wchar_t *wc = NULL, *wt = NULL;
	ferry_err rc;

	if (!caption || !text)
		return ferry_error_set(FERRY_EINVAL, "legal notice: caption and text are required");
	rc = to_wide(&wc, caption);
	if (!rc)
		rc = to_wide(&wt, text);
	if (!rc)
		rc = lock_backup_save(&legal_set);
	if (!rc) {
		const wchar_t *sz[] = {wc, wt};

		rc = write_values(LEGAL_KEY, legal_names, sz, NULL);
	}
	ferry_free(wc);
	ferry_free(wt);
	return rc;
}

ferry_err lock_legal_restore(void)
{
	return lock_backup_restore(&legal_set);
}
