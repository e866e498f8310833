/*
 * The agent's view of the signed identity mapping (agent_map.c): which
 * local profiles a migration moves and which it leaves alone, who may cache
 * which target account, and which account each prompt pre-fills. It reads
 * the plan's mapping (net/idmap.h) and the PC's ProfileList; the agent owns
 * the result, under its lock.
 */
#ifndef FERRY_SVC_AGENT_MAP_H
#define FERRY_SVC_AGENT_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/platform.h"
#include "ipc/authz.h"
#include "net/idmap.h"

#define AGENT_MAP_MAX_USERS 64u

struct agent_map {
	bool known;                     /* scanned for the plan in force */
	struct idmap_profiles split;    /* ProfileList by the mapping */
	struct ferry_profile *profiles; /* split.mapped as the engine takes them */
	size_t n;
	/* The mapped target accounts of this PC's profile owners (authz, tile). */
	struct ipc_authz_account users[AGENT_MAP_MAX_USERS];
	size_t n_users;
	char last_sid[SID_STRING_MAX];  /* the last user to log on here ("" = unknown) */
};

/**
 * Read ProfileList and split it by `map` (NULL: every profile unmapped).
 * Replaces what *m held. Fails only when ProfileList cannot be read.
 */
ferry_err agent_map_scan(struct agent_map *m, const struct idmap *map);

/** The account `e` maps to, as authz and the prompts take it (borrows e). */
void agent_map_account(struct ipc_authz_account *out, const struct idmap_entry *e);

/** The pre-filled target account for a SYSTEM caller (the logon screen):
 *  the last user's mapped account, else the only mapped user's; NULL. */
const struct ipc_authz_account *agent_map_logon_prefill(const struct agent_map *m,
							 const struct idmap *map,
							 struct ipc_authz_account *buf);

/** Free and forget (known = false). */
void agent_map_clear(struct agent_map *m);

#endif
