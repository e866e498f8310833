/*
 * ferry-preview.exe --runbook R.json [--runbook R2.json ...] --out DIR
 *                   [--user NAME] [--lang en-US|en-GB]
 * ferry-preview.exe --default-lockscreen FILE.png
 *
 * Renders every experience of each runbook to PNG with the texts users
 * will read (core/ux/texts.h, the same function the service, the tile and
 * the notifier call), the logo and the QR code, so an admin can check a
 * runbook before rollout. The texts and labels are the string table's in
 * --lang (default: the user's UI language, as the notifier and the tile
 * pick theirs), installed by the same ferry_strings_apply call they make. Writes DIR/<runbook id>/<screen>.png; docs/preview.md
 * lists the files and their sizes. Exit 0 when every picture was written
 * (warnings, e.g. a missing logo, are printed but do not fail), 1 when a
 * runbook is invalid or a picture cannot be written, 64 on bad usage.
 *
 * --default-lockscreen writes the default lock-screen picture as ferrydraw
 * paints it (uncaptioned): the build makes the MSI's lockscreen-default.png
 * this way, so the code is the one source of that picture.
 */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

#include "draw/draw.h"
#include "ferry_version.h"
#include "preview.h"
#include "strings_load.h"

#define MAX_RUNBOOKS 32

int wmain(int argc, wchar_t **argv);

static void usage(void)
{
	fprintf(stderr, "usage: ferry-preview --runbook R.json [--runbook R2.json ...] --out DIR "
			"[--user NAME] [--lang en-US|en-GB]\n"
			"       ferry-preview --default-lockscreen FILE.png\n"
			"       ferry-preview --version\n");
}

/* --lang's value; 0 for one we have no table for. */
static LANGID parse_lang(const wchar_t *s)
{
	if (!wcscmp(s, L"en-US"))
		return FERRY_LANG_EN_US;
	if (!wcscmp(s, L"en-GB"))
		return FERRY_LANG_EN_GB;
	return 0;
}

/* Install the table's language; says which on stdout. */
static int apply_lang(LANGID lang)
{
	wchar_t name[LOCALE_NAME_MAX_LENGTH] = L"?";

	if (lang == FERRY_LANG_DEFAULT)
		lang = GetUserDefaultUILanguage();
	LCIDToLocaleName(MAKELCID(lang, SORT_DEFAULT), name, LOCALE_NAME_MAX_LENGTH, 0);
	if (ferry_strings_apply(GetModuleHandleW(NULL), lang) != FERRY_OK) {
		fprintf(stderr, "ferry-preview: strings (%ls): %s\n", name, ferry_error_detail());
		return 1;
	}
	printf("language: %ls (0x%04x)\n", name, (unsigned)lang);
	return 0;
}

int wmain(int argc, wchar_t **argv)
{
	const wchar_t *rbs[MAX_RUNBOOKS], *out = NULL, *user = NULL;
	LANGID lang = FERRY_LANG_DEFAULT;
	size_t n = 0;
	int fail = 0;

	if (argc == 2 && !wcscmp(argv[1], L"--version")) {
		printf("ferry-preview %s\n", FERRY_VERSION);
		return 0;
	}
	if (argc == 3 && !wcscmp(argv[1], L"--default-lockscreen")) {
		if (draw_lockscreen_image(argv[2], NULL, NULL) != FERRY_OK) {
			fprintf(stderr, "ferry-preview: %ls: %s\n", argv[2], ferry_error_detail());
			return 1;
		}
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!wcscmp(argv[i], L"--runbook") && i + 1 < argc && n < MAX_RUNBOOKS)
			rbs[n++] = argv[++i];
		else if (!wcscmp(argv[i], L"--out") && i + 1 < argc)
			out = argv[++i];
		else if (!wcscmp(argv[i], L"--user") && i + 1 < argc)
			user = argv[++i];
		else if (!wcscmp(argv[i], L"--lang") && i + 1 < argc && parse_lang(argv[i + 1]))
			lang = parse_lang(argv[++i]);
		else {
			usage();
			return 64;
		}
	}
	if (!n || !out) {
		usage();
		return 64;
	}
	if (!CreateDirectoryW(out, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
		fprintf(stderr, "ferry-preview: cannot create the output folder (Win32 error %lu)\n",
			(unsigned long)GetLastError());
		return 1;
	}
	if (apply_lang(lang))
		return 1;
	for (size_t i = 0; i < n; i++)
		fail |= preview_runbook(rbs[i], out, user);
	fflush(stdout);
	return fail ? 1 : 0;
}
