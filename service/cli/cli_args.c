/* Argument and output helpers shared by the `ferry` subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char *cli_opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	}
	return NULL;
}

const char *cli_positional(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2))
			i++;
		else
			return argv[i];
	}
	return NULL;
}

ferry_err cli_write_output(const char *path, const void *data, size_t len)
{
	FILE *f = path ? fopen(path, "wb") : stdout;
	ferry_err rc = FERRY_OK;

	if (!f || fwrite(data, 1, len, f) != len || fflush(f))
		rc = ferry_error_set(FERRY_EIO, "%s: cannot write", path ? path : "stdout");
	if (f && f != stdout)
		fclose(f);
	return rc;
}
