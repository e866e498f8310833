/*
 * `ferry uninstall-wait --service NAME --product {GUID} --log PATH
 *  [--timeout SECONDS]`: the detached waiter of the agent's self-uninstall
 * (service/win/uninstall.h). Waits until the service is stopped, runs
 * msiexec /x, and exits with msiexec's exit code (0, 3010 = reboot
 * needed, 1605 = not installed, ...). Run as a copy named
 * ferry-uninstall.exe, it also deletes itself at the next reboot. Windows
 * only; the native build says so.
 *
 * `ferry self-uninstall`: what the service's uninstall_agent op does (the
 * same function, win_uninstall_agent), for an administrator or a script:
 * archive the journal and logs, start the waiter, return at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifdef _WIN32
#include <windows.h>

#include <wchar.h>

#include "util/mem.h"
#include "util/utf.h"
#include "win/uninstall.h"

static wchar_t *wide(const char *s)
{
	uint16_t *w = NULL;
	size_t n;

	if (ferry_utf8_to_utf16(&w, &n, s, strlen(s)))
		return NULL;
	return (wchar_t *)w;
}

/* Only the staged copy removes itself, never an admin's ferry.exe. */
static void delete_self_at_reboot(void)
{
	wchar_t self[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, self, MAX_PATH);
	const wchar_t *base = wcsrchr(self, L'\\');

	if (n && n < MAX_PATH && base && !_wcsicmp(base + 1, L"ferry-uninstall.exe"))
		MoveFileExW(self, NULL, MOVEFILE_DELAY_UNTIL_REBOOT);
}

int cmd_uninstall_wait(int argc, char **argv)
{
	const char *service = NULL, *product = NULL, *log = NULL;
	unsigned long timeout_s = WIN_UNINSTALL_WAIT_MS / 1000u;
	wchar_t *ws = NULL, *wp = NULL, *wl = NULL;
	DWORD code = 0;
	int ret = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--service"))
			service = argv[i + 1];
		else if (!strcmp(argv[i], "--product"))
			product = argv[i + 1];
		else if (!strcmp(argv[i], "--log"))
			log = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout"))
			timeout_s = strtoul(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (!service || !product || !log || argc % 2 == 0 || timeout_s > 86400) {
		fprintf(stderr, "usage: ferry uninstall-wait --service NAME --product {GUID} "
				"--log PATH [--timeout SECONDS]\n");
		return CLI_EXIT_USAGE;
	}
	ws = wide(service);
	wp = wide(product);
	wl = wide(log);
	if (!ws || !wp || !wl) {
		fprintf(stderr, "ferry uninstall-wait: arguments are not valid UTF-8\n");
	} else if (win_uninstall_wait_and_run(&code, ws, wp, wl, (DWORD)(timeout_s * 1000u))) {
		fprintf(stderr, "ferry uninstall-wait: %s\n", ferry_error_detail());
	} else {
		printf("msiexec /x %s exited with %lu\n", product, (unsigned long)code);
		ret = code == ERROR_SUCCESS_REBOOT_REQUIRED ? 0 : (int)code;
		delete_self_at_reboot();
	}
	ferry_free(ws);
	ferry_free(wp);
	ferry_free(wl);
	return ret;
}
int cmd_self_uninstall(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: ferry self-uninstall\n");
		return CLI_EXIT_USAGE;
	}
	if (win_uninstall_agent()) {
		fprintf(stderr, "ferry self-uninstall: %s\n", ferry_error_detail());
		return 1;
	}
	printf("Ferry: journal and logs archived under %%ProgramData%%\\Ferry\\archive; "
	       "msiexec /x starts once the Ferry service has stopped\n");
	return 0;
}
#else
int cmd_self_uninstall(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ferry self-uninstall: only on Windows\n");
	return 1;
}

int cmd_uninstall_wait(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ferry uninstall-wait: only on Windows (it waits for the Ferry service "
			"and runs msiexec)\n");
	return 1;
}
#endif
