/* Shared declarations of the `ferry` command line. */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

/* Exit code for a command line that could not be understood. */
#define CLI_EXIT_USAGE 64

struct cli_command {
	const char *name;
	const char *help;
	/* argv[0] is the subcommand's own name; arguments are UTF-8. */
	int (*run)(int argc, char **argv);
};

/** Dispatch a UTF-8 argument vector; returns the process exit code. */
int cli_main(int argc, char **argv);

/* `ferry odj inspect/validate/compose` (cmd_odj.c). */
int cmd_odj(int argc, char **argv);

#endif
