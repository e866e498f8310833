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
#include "runbook/runbook.h"

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

/**
 * "Credentials cached" per target account (issue 17 §2): with a signed
 * mapping, `rule` over this PC's mapped users' accounts (NETBIOS\sam) and
 * `cached`; without one (a console --batch plan), `any_cached`.
 */
bool agent_map_credentials_ready(const struct agent_map *m, bool mapped, enum rb_creds_rule rule,
				 bool any_cached, const char *const *cached, size_t n_cached);

/** The name to record for a cached account: NETBIOS\sam of the mapped user
 *  it names (so a UPN and a sAMAccountName count once), else `typed`. */
void agent_map_cached_name(const struct agent_map *m, const char *user, const char *domain,
			   const char *typed, char *out, size_t cap);

/**
 * What ipc_authz_check reads for cache_credentials: the caller's own
 * account (`caller_sid`'s user row, in *own), this PC's users, the target
 * domain. *out borrows from m, map and own.
 */
void agent_map_authz(struct ipc_authz_mapping *out, struct ipc_authz_account *own,
		     const struct agent_map *m, const struct idmap *map, const char *caller_sid,
		     const char *target_domain);

/**
 * The pre-filled account (NETBIOS\sam) into out[cap], left as it is when
 * nothing applies: the user row of `caller_sid`, or with caller_sid NULL
 * (SYSTEM, the logon screen) agent_map_logon_prefill's. `allowed` false:
 * nothing (a caller the pipe does not serve).
 */
void agent_map_prefill(char *out, size_t cap, const struct agent_map *m, const struct idmap *map,
		       const char *caller_sid, bool allowed);

/** Free and forget (known = false). */
void agent_map_clear(struct agent_map *m);

#endif
