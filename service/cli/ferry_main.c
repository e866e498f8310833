/*
 * `ferry`: the admin command line. Each subcommand lives in its own file
 * (cmd_*.c) and is listed in the table below. The CLI builds natively and
 * for Windows; on Windows, wmain converts the arguments to UTF-8 first so
 * every command sees UTF-8 strings.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ferry_version.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("ferry %s\n", FERRY_VERSION);
	return 0;
}

static const struct cli_command commands[] = {
	{ "version", "print the version", cmd_version },
	{ "runbook", "check runbooks and batches: runbook check FILE...", cmd_runbook },
	{ "plan", "the scheduler's decision: plan --batch B --runbooks DIR --state S --now T [--json]", cmd_plan },
	{ "acl", "translate security descriptors (ReACL), check tables, bench", cmd_acl },
	{ "odj", "inspect, validate or compose an ODJ file", cmd_odj },
	{ "package", "make and check signed command packages: keygen, sign, verify", cmd_package },
	{ "uninstall-wait", "self-uninstall waiter: --service S --product {GUID} --log L (Windows)", cmd_uninstall_wait },
	{ "self-uninstall", "archive the journal and logs, then uninstall Ferry (Windows)", cmd_self_uninstall },
	{ "bundle", "make and check signed bundles: bundle keygen|sign|verify", cmd_bundle },
	{ "catalog", "protocol v2's admin-signed catalog: catalog sign|verify", cmd_catalog },
	{ "assignment", "protocol v2's server-signed assignment: assignment sign|verify", cmd_assignment },
	{ "seal", "sealed blobs: seal keygen|box|open", cmd_seal },
	{ "agent", "the migration-server client: agent enroll|poll|fetch-odj|...", cmd_agent },
	{ "dir", "directory snapshots over LDAP (native only) and their diff: dir snapshot|diff", cmd_dir },
	{ "table", "build the translation table from two snapshots: table build|verify", cmd_table },
	{ "rollback", "undo a migration's changes (Windows): rollback profile --user SID | rollback fallback", cmd_rollback },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ferry [--version] <command> [args...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "ferry: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
