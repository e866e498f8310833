/*
 * ferry-preview.exe --runbook R.json [--runbook R2.json ...] --out DIR
 *                   [--user NAME]
 *
 * Renders every experience of each runbook to PNG with the texts users
 * will read (core/ux/texts.h, the same function the service, the tile and
 * the notifier call), the logo and the QR code, so an admin can check a
 * runbook before rollout. Writes DIR/<runbook id>/<screen>.png; docs/preview.md
 * lists the files and their sizes. Exit 0 when every picture was written
 * (warnings, e.g. a missing logo, are printed but do not fail), 1 when a
 * runbook is invalid or a picture cannot be written, 64 on bad usage.
 */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

#include "ferry_version.h"
#include "preview.h"

#define MAX_RUNBOOKS 32

int wmain(int argc, wchar_t **argv);

static void usage(void)
{
	fprintf(stderr, "usage: ferry-preview --runbook R.json [--runbook R2.json ...] --out DIR "
			"[--user NAME]\n       ferry-preview --version\n");
}

int wmain(int argc, wchar_t **argv)
{
	const wchar_t *rbs[MAX_RUNBOOKS], *out = NULL, *user = NULL;
	size_t n = 0;
	int fail = 0;

	if (argc == 2 && !wcscmp(argv[1], L"--version")) {
		printf("ferry-preview %s\n", FERRY_VERSION);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!wcscmp(argv[i], L"--runbook") && i + 1 < argc && n < MAX_RUNBOOKS)
			rbs[n++] = argv[++i];
		else if (!wcscmp(argv[i], L"--out") && i + 1 < argc)
			out = argv[++i];
		else if (!wcscmp(argv[i], L"--user") && i + 1 < argc)
			user = argv[++i];
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
	for (size_t i = 0; i < n; i++)
		fail |= preview_runbook(rbs[i], out, user);
	fflush(stdout);
	return fail ? 1 : 0;
}
