/*
 * ferry-notify.exe: the session notifier. This foundation build answers
 * --version on its standard output; the dialogs arrive with the lock-screen
 * issue, and until then any other argument is refused with a message.
 */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

#include "ferry_version.h"

int WINAPI wWinMain(HINSTANCE instance, HINSTANCE prev, PWSTR cmdline, int show);

int WINAPI wWinMain(HINSTANCE instance, HINSTANCE prev, PWSTR cmdline, int show)
{
	(void)instance;
	(void)prev;
	(void)show;
	/* A GUI-subsystem program has no console of its own; when started from
	 * one, its standard handles are still the parent's. */
	if (!wcscmp(cmdline, L"--version")) {
		printf("ferry-notify %s\n", FERRY_VERSION);
		fflush(stdout);
		return 0;
	}
	fprintf(stderr, "usage: ferry-notify --version\n"
			"(this build has no dialogs yet)\n");
	return 64;
}
