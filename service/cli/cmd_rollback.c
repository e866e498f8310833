/*
 * `ferry rollback profile --user <source SID>`: undo the ProfileList remap
 * and the app resets of one migrated user from their backups
 * (docs/rollback.md). ACL changes are not undone: add mode kept the source
 * SID's access.
 *
 * `ferry rollback fallback`: delete the break-glass account Ferry created,
 * the one whose SID was recorded at its creation, never another account
 * (win_fallback_rollback). Running it again says there is nothing to do.
 *
 * Windows only, run as SYSTEM or an administrator; the native build says so
 * and fails.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifdef _WIN32
#include "win/profops.h"
#include "win/sysops.h"
#endif

/* Exit code when this build cannot do it (sysexits' EX_UNAVAILABLE). */
#define EXIT_UNAVAILABLE 69

static void usage(FILE *f)
{
	fprintf(f, "usage: ferry rollback profile --user <source SID>\n"
		   "  restores ProfileList\\<source SID> and the app-reconfiguration backups\n"
		   "  (Windows only; ACL changes are not undone)\n"
		   "       ferry rollback fallback\n"
		   "  deletes the break-glass account Ferry created (found by the SID recorded\n"
		   "  when it was made; never another account; Windows only)\n");
}

#ifdef _WIN32
static int fail(ferry_err e)
{
	fprintf(stderr, "ferry rollback: %s: %s\n", ferry_strerror(e), ferry_error_detail());
	return 1;
}

static int profile(const char *user)
{
	ferry_err e = win_profile_rollback(user);

	if (e != FERRY_OK)
		return fail(e);
	printf("rolled back the profile mapping of %s\n", user);
	return 0;
}

static int fallback(void)
{
	enum win_fallback_rollback what;
	char name[512], sid[192];
	ferry_err e = win_fallback_rollback(&what, name, sizeof(name), sid, sizeof(sid));

	if (e != FERRY_OK)
		return fail(e);
	switch (what) {
	case WIN_FALLBACK_NONE_RECORDED:
		printf("no break-glass account recorded (HKLM\\SOFTWARE\\Ferry\\State "
		       "FallbackSid): nothing to delete\n");
		break;
	case WIN_FALLBACK_ALREADY_GONE:
		printf("the break-glass account %s no longer exists: its record is cleared\n", sid);
		break;
	case WIN_FALLBACK_DELETED:
		printf("deleted the break-glass account \"%s\" (%s), the one Ferry created\n", name,
		       sid);
		break;
	}
	return 0;
}
#endif

int cmd_rollback(int argc, char **argv)
{
	bool is_profile = argc == 4 && !strcmp(argv[1], "profile") && !strcmp(argv[2], "--user") &&
			  !strncmp(argv[3], "S-1-", 4);
	bool is_fallback = argc == 2 && !strcmp(argv[1], "fallback");

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (!is_profile && !is_fallback) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
#ifdef _WIN32
	return is_profile ? profile(argv[3]) : fallback();
#else
	fprintf(stderr, "ferry rollback: only works on Windows (it restores registry keys, "
			"folders and accounts of the PC); nothing done\n");
	return EXIT_UNAVAILABLE;
#endif
}
