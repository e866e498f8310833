/*
 * `ferry rollback profile --user <source SID>`: undo the ProfileList remap
 * and the app resets of one migrated user from their backups
 * (docs/rollback.md). ACL changes are not undone: add mode kept the source
 * SID's access. Windows only, run as SYSTEM or an administrator; the native
 * build says so and fails.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifdef _WIN32
#include "win/profops.h"
#endif

/* Exit code when this build cannot do it (sysexits' EX_UNAVAILABLE). */
#define EXIT_UNAVAILABLE 69

static void usage(FILE *f)
{
	fprintf(f, "usage: ferry rollback profile --user <source SID>\n"
		   "  restores ProfileList\\<source SID> and the app-reconfiguration backups\n"
		   "  (Windows only; ACL changes are not undone)\n");
}

int cmd_rollback(int argc, char **argv)
{
	const char *user = NULL;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "profile") || strcmp(argv[2], "--user") ||
	    strncmp(argv[3], "S-1-", 4)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	user = argv[3];
#ifdef _WIN32
	{
		ferry_err e = win_profile_rollback(user);

		if (e != FERRY_OK) {
			fprintf(stderr, "ferry rollback: %s: %s\n", ferry_strerror(e), ferry_error_detail());
			return 1;
		}
		printf("rolled back the profile mapping of %s\n", user);
		return 0;
	}
#else
	fprintf(stderr, "ferry rollback: only works on Windows (it restores registry keys and "
			"folders of the PC); nothing done for %s\n", user);
	return EXIT_UNAVAILABLE;
#endif
}
