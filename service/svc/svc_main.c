/*
 * ferrysvc.exe: the SYSTEM service. This foundation build answers
 * --version; the SCM entry, the pipe server and the platform ops arrive with
 * the service issue, and until then any other argument is refused with a
 * clear message rather than pretending to run.
 */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

#include "ferry_version.h"

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	if (argc == 2 && !wcscmp(argv[1], L"--version")) {
		printf("ferrysvc %s\n", FERRY_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: ferrysvc --version\n"
			"(this build has no service entry point yet)\n");
	return 64;
}
