/* ferry-admin: the admin CLI over the server's admin API (docs/server.md). */
#ifndef FERRY_ADMIN_H
#define FERRY_ADMIN_H

#include <stddef.h>

#include "net/client.h"
#include "util/mem.h"

struct admin {
	struct net_config cfg;
	struct ferry_secret *token;
	int argc;
	char **argv;  /* the command's words and options, after the global options */
};

/* One admin API call; prints the reply (JSON pretty, or raw text) to stdout.
 * Exit code: 0 for 2xx, 1 otherwise (the server's error on stderr). */
int admin_call(struct admin *a, const char *method, const char *path, const char *body,
	       size_t len, int raw);

/* The option's value after the command words, or NULL. */
const char *admin_opt(struct admin *a, const char *name);

/* Dispatch a command (admin_cmds.c); 64 for unknown commands. */
int admin_run(struct admin *a);

int admin_usage(void);

/* `odj delegation`: the grants the provisioning account needs, printed locally. */
int admin_delegation(struct admin *a);

#endif
