/*
 * ferry-preview.exe: renders each experience of a runbook to PNG. This
 * foundation build answers --version; rendering arrives with the
 * credential-provider issue, and until then any other argument is refused.
 */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

#include "ferry_version.h"

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	if (argc == 2 && !wcscmp(argv[1], L"--version")) {
		printf("ferry-preview %s\n", FERRY_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: ferry-preview --version\n"
			"(this build renders nothing yet)\n");
	return 64;
}
