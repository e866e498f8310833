/*
 * ferrysvc.exe: the SYSTEM service (docs/service.md).
 *
 *   ferrysvc --version
 *   ferrysvc install   [--name N] [--pipe P] [--state DIR] [--batch FILE] [--rehearse]
 *   ferrysvc uninstall [--name N]
 *   ferrysvc start|stop [--name N]
 *   ferrysvc secure-install   (Ferry.msi's custom action: svc_install.c)
 *   ferrysvc run [--rehearse [--serve [--fast-clock]]] [--batch FILE] [--device NAME]
 *                [--pipe P] [--state DIR] [--name N] [--service]
 *                [--server URL --signing-key B64 [--pin SHA256] [--ca PEM] [--poll-s N]]
 *
 * Settings not given on the command line come from win_config_load
 * (win/config.h): Group Policy (HKLM\SOFTWARE\Policies\Ferry) over the MSI's
 * HKLM\SOFTWARE\Ferry.
 *
 * `run` stays in the console. `run --rehearse` without --serve plays the
 * batch with a simulated clock and simulated user answers, prints every
 * planned op and exits; with --serve it serves the pipe on the real clock
 * and records instead of acting (what the service does in rehearsal).
 * The test clock's switches exist only in ferrysvc-test.exe (built with
 * FERRY_TEST_SWITCHES for the Wine end-to-end tests); the shipped
 * ferrysvc.exe refuses them as unknown options.
 * --fast-clock (tests): serving, but on a test clock that jumps to each wake
 * time and never past a wait for the user, who answers over the pipe; the
 * run exits when nothing is left for the device. --simulate-cache-after S:
 * the simulated user caches the credentials after S real seconds without a
 * real answer (a test whose harness cannot be SYSTEM). --fast-clock-pace-ms N:
 * each jump of the test clock takes N real ms (a test that acts while a
 * runbook runs: tests/e2e/bundle_midrun.py).
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "ferry_version.h"
#include "strings_load.h"
#include "svc/svc.h"
#include "util/mem.h"
#include "win/config.h"
#include "winutil.h"

#define EXIT_USAGE 64

int wmain(int argc, wchar_t **argv);

static int usage(void)
{
	fprintf(stderr,
		"usage: ferrysvc --version\n"
		"       ferrysvc install [--name N] [--pipe P] [--state DIR] [--batch FILE] [--rehearse]\n"
		"       ferrysvc uninstall|start|stop [--name N]\n"
		"       ferrysvc secure-install\n"
		"       ferrysvc run [--rehearse [--serve]] [--batch FILE]\n"
		"                    [--device NAME] [--pipe P] [--state DIR] [--name N] [--service]\n"
		"                    [--server URL --signing-key B64 [--pin SHA256] [--ca PEM] [--poll-s N]]\n");
	return EXIT_USAGE;
}

/* A setting from the command line wins; otherwise policy/MSI's value. */
static void copy_setting(char *dst, size_t cap, const char *v)
{
	if (dst[0])
		return;
	if (v && strlen(v) < cap)
		memcpy(dst, v, strlen(v) + 1);
	else
		dst[0] = '\0';
}

ferry_err svc_options_load_config(struct svc_options *o)
{
	struct win_config *c = NULL;
	ferry_err err = win_config_load(&c);

	if (err != FERRY_OK)
		return err;
	copy_setting(o->bundle_dir, sizeof(o->bundle_dir), c->bundle_dir);
	copy_setting(o->signing_key, sizeof(o->signing_key), c->signing_public_key);
	if (!o->rehearse)
		o->rehearse = c->rehearse != 0;
	win_config_free(c);
	return FERRY_OK;
}

static bool parse(struct svc_options *o, int argc, wchar_t **argv, bool *serve)
{
	for (int i = 2; i < argc; i++) {
		const wchar_t *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!wcscmp(a, L"--rehearse"))
			o->rehearse = true;
		else if (!wcscmp(a, L"--serve"))
			*serve = true;
#ifdef FERRY_TEST_SWITCHES
		else if (!wcscmp(a, L"--fast-clock"))
			o->fast_clock = true;
#endif
		else if (!wcscmp(a, L"--service"))
			o->service = true;
		else if (!v)
			return false;
		else if (!wcscmp(a, L"--name") && wcslen(v) < 128)
			swprintf(o->name, 128, L"%ls", v), i++;
		else if (!wcscmp(a, L"--pipe") && wcslen(v) < 200)
			swprintf(o->pipe, 256, wcsncmp(v, L"\\\\", 2) ? L"\\\\.\\pipe\\%ls" : L"%ls", v),
				i++;
		else if (!wcscmp(a, L"--state") && wcslen(v) < MAX_PATH)
			swprintf(o->state_dir, MAX_PATH, L"%ls", v), i++;
		else if (!wcscmp(a, L"--batch") &&
			 wu_utf8_into(o->batch, sizeof(o->batch), v))
			i++;
		else if (!wcscmp(a, L"--server") && wu_utf8_into(o->server, sizeof(o->server), v))
			i++;
		else if (!wcscmp(a, L"--pin") && wu_utf8_into(o->pin, sizeof(o->pin), v))
			i++;
		else if (!wcscmp(a, L"--ca") && wu_utf8_into(o->ca, sizeof(o->ca), v))
			i++;
		else if (!wcscmp(a, L"--signing-key") && wu_utf8_into(o->signing_key, sizeof(o->signing_key), v))
			i++;
#ifdef FERRY_TEST_SWITCHES
		else if (!wcscmp(a, L"--simulate-cache-after") &&
			 (o->simulate_cache_s = (uint32_t)wcstoul(v, NULL, 10)) > 0)
			i++;
#endif
		else if (!wcscmp(a, L"--poll-s") && (o->poll_s = (uint32_t)wcstoul(v, NULL, 10)) > 0)
			i++;
#ifdef FERRY_TEST_SWITCHES
		else if (!wcscmp(a, L"--fast-clock-pace-ms") &&
			 (o->pace_ms = (uint32_t)wcstoul(v, NULL, 10)) > 0 && o->pace_ms <= 60000)
			i++;
#endif
		else if (!wcscmp(a, L"--device") &&
			 wu_utf8_into(o->device, sizeof(o->device), v))
			i++;
		else
			return false;
	}
	return true;
}

int wmain(int argc, wchar_t **argv)
{
	struct svc_options o;
	bool serve = false;

	if (argc == 2 && !wcscmp(argv[1], L"--version")) {
		printf("ferrysvc %s\n", FERRY_VERSION);
		return 0;
	}
	if (argc < 2)
		return usage();
	memset(&o, 0, sizeof(o));
	wcscpy(o.name, SVC_DEFAULT_NAME);
	wcscpy(o.pipe, SVC_DEFAULT_PIPE);
	if (!parse(&o, argc, argv, &serve))
		return usage();
	if (!wcscmp(argv[1], L"install"))
		return svc_scm_install(&o);
	if (!wcscmp(argv[1], L"uninstall"))
		return svc_scm_uninstall(&o);
	if (!wcscmp(argv[1], L"start"))
		return svc_scm_start(&o);
	if (!wcscmp(argv[1], L"stop"))
		return svc_scm_stop(&o);
	if (!wcscmp(argv[1], L"secure-install") && argc == 2)
		return svc_secure_install(&o);
	if (wcscmp(argv[1], L"run"))
		return usage();
	if (svc_options_load_config(&o) != FERRY_OK) {
		/* A broken policy is refused, not replaced by the MSI's values. */
		fprintf(stderr, "ferrysvc: settings: %s\n", ferry_error_detail());
		return 1;
	}
	/* The experience texts the service builds (tile, notifier, lock
	 * screen, legal notice) in the system's UI language; a table that
	 * cannot be read leaves the built-in English. */
	if (ferry_strings_apply(GetModuleHandleW(NULL), FERRY_LANG_DEFAULT) != FERRY_OK)
		fprintf(stderr, "ferrysvc: strings: %s (built-in English kept)\n",
			ferry_error_detail());
	if (o.service)
		return svc_scm_dispatch(&o);
	o.simulate = o.rehearse && !serve;
	if ((o.fast_clock && (!o.rehearse || !serve || o.service)) ||
	    (o.simulate_cache_s && !o.fast_clock))
		return usage(); /* a test clock only in a console's serving rehearsal */
	if (o.simulate && !o.batch[0] && !o.server[0] && !o.bundle_dir[0]) {
		fprintf(stderr, "ferrysvc: a simulated rehearsal needs --batch FILE, --server URL or BundleDir\n");
		return EXIT_USAGE;
	}
	return svc_run_console(&o);
}
