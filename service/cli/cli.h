/* Shared declarations of the `ferry` command line. */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stddef.h>

#include "util/err.h"

/* Exit code for a command line that could not be understood. */
#define CLI_EXIT_USAGE 64

struct cli_command {
	const char *name;
	const char *help;
	/* argv[0] is the subcommand's own name; arguments are UTF-8. */
	int (*run)(int argc, char **argv);
};

/** The value after option `name` (argv[1..]), or NULL (cli_args.c). */
const char *cli_opt(int argc, char **argv, const char *name);

/** The first argument that is neither an option nor an option's value, or NULL. */
const char *cli_positional(int argc, char **argv);

/** Write data to path, or to stdout when path is NULL. FERRY_EIO naming it. */
ferry_err cli_write_output(const char *path, const void *data, size_t len);

/** Dispatch a UTF-8 argument vector; returns the process exit code. */
int cli_main(int argc, char **argv);

/* ferry runbook check FILE... (cmd_runbook.c) */
int cmd_runbook(int argc, char **argv);

/* ferry plan --batch B --runbooks DIR --state S.json --now T [--json] (cmd_plan.c) */
int cmd_plan(int argc, char **argv);

/** `ferry acl`: translate SDs, check a translation table, benchmark. */
int cmd_acl(int argc, char **argv);

/** `ferry acl bench`: the engine's throughput on a generated corpus. */
int cmd_acl_bench(int argc, char **argv);
/* `ferry odj inspect/validate/compose` (cmd_odj.c). */
int cmd_odj(int argc, char **argv);

/* `ferry package keygen/sign/verify` (cmd_package.c). */
int cmd_package(int argc, char **argv);

struct net_agent;
/** `ferry agent package`: fetch, check and verify one package blob into `out` (cmd_agent_package.c). */
ferry_err cli_agent_package(struct net_agent *a, const char *id, const char *out);
/** `ferry uninstall-wait`: the self-uninstall's detached waiter (Windows). */
int cmd_uninstall_wait(int argc, char **argv);
/** `ferry self-uninstall`: archive, then uninstall once the service stops (Windows). */
int cmd_self_uninstall(int argc, char **argv);
/* `ferry bundle keygen/sign/verify` (cmd_bundle.c). */
int cmd_bundle(int argc, char **argv);
/* `ferry catalog sign|verify` (cmd_catalog.c): protocol v2's admin-signed catalog. */
int cmd_catalog(int argc, char **argv);
/* `ferry assignment sign|verify` (cmd_catalog.c): protocol v2's server-signed assignment. */
int cmd_assignment(int argc, char **argv);
/* `ferry seal keygen/box/open` (cmd_seal.c). */
int cmd_seal(int argc, char **argv);
/* `ferry agent ...`: the migration-server client (cmd_agent.c). */
int cmd_agent(int argc, char **argv);
/** `ferry rollback profile --user SID` (cmd_rollback.c; Windows only). */
int cmd_rollback(int argc, char **argv);

/** `ferry dir snapshot|diff` (cmd_dir.c). */
int cmd_dir(int argc, char **argv);
/** `ferry dir snapshot` over LDAP (dir_ldap.c; native only, refused on Windows). */
int dir_ldap_snapshot(int argc, char **argv);
/** `ferry table build|verify` (cmd_table.c). */
int cmd_table(int argc, char **argv);

#endif
