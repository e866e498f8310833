/*
 * Who may call which op, as a pure function of facts the pipe server reads
 * from the caller's token, the runbook and the signed identity mapping. No
 * I/O, so it is tested as a table.
 */
#ifndef FERRY_IPC_AUTHZ_H
#define FERRY_IPC_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/msg.h"

#define IPC_SID_MAX 192 /* text form, as sec/sid.h's SID_STRING_MAX */

enum ipc_caller_class {
	IPC_CALLER_SYSTEM,           /* LocalSystem: LogonUI's credential provider, our tools */
	IPC_CALLER_INTERACTIVE_USER, /* the notifier in a user's session */
	IPC_CALLER_OTHER,            /* anything else the DACL let through */
};

struct ipc_caller {
	enum ipc_caller_class cls;
	uint32_t session;      /* the token's session id */
	char sid[IPC_SID_MAX]; /* the token's user SID; "" when unknown */
};

/* A target account of the identity mapping (borrowed strings). */
struct ipc_authz_account {
	const char *sam;            /* sAMAccountName */
	const char *upn;            /* "" when none */
	const char *netbios_domain;
	const char *dns_domain;
};

/*
 * What cache_credentials and the device-wide ops are checked against
 * (docs/ipc.md, "Who caches", "Who decides for the device"). A NULL
 * mapping means no signed identity mapping is in force (a console
 * --batch plan): nobody may cache, and no interactive user decides for the
 * device.
 *   own       the interactive caller's mapped target account (its token's
 *             SID is a user row's source); NULL: the caller is not mapped;
 *   users     the mapped target accounts of this PC's profile owners, the
 *             only ones the logon-screen tile (SYSTEM) may cache;
 *   target_domain  the runbook's target DNS domain; every account cached is
 *             in it. NULL: no runbook names one, nothing may be cached.
 */
struct ipc_authz_mapping {
	const struct ipc_authz_account *own;
	const struct ipc_authz_account *users;
	size_t n_users;
	const char *target_domain;
};

struct ipc_authz_decision {
	bool allow;
	/* English, safe for an error reply: it names at most target accounts
	 * (from the signed mapping) and what the caller typed. */
	char reason[384];
};

/**
 * Decide whether `caller` may run request `r`. The target session is
 * r->session, or the caller's own when absent. `mapping` is read only for
 * cache_credentials and the device-wide ops (NULL: no signed mapping).
 * Rules (docs/ipc.md): SYSTEM may run every op for any session, and cache
 * only a mapped target account of this PC's users; an interactive user may
 * run every op for its own session only, cache only its own mapped target
 * account, and run a device-wide op (ipc_op_device_wide) only when it is a
 * migrated user: its token's SID is a user row's source in the signed
 * identity mapping (mapping->own). Without a mapping no profile migrates,
 * so no interactive user may start, snooze or acknowledge the device's
 * migration. Every cached account is in the runbook's target domain; a name
 * the mapping knows typed with another domain (the source domain) is
 * refused with a sentence naming the account to use. Any other caller is
 * refused. Names compare without case, as Windows account names do
 * (sec/account.h).
 */
struct ipc_authz_decision ipc_authz_check(const struct ipc_caller *caller,
					  const struct ipc_request *r,
					  const struct ipc_authz_mapping *mapping);

/** Whether op acts on the whole device, not on the caller's session:
 *  start_now, snooze and ack_complete (issue 15, finding 8). */
bool ipc_op_device_wide(enum ipc_op op);

/** Whether user/domain (as typed) name account a: its sAMAccountName in its
 *  NetBIOS or DNS domain, or its UPN (whole, or split at its '@'). */
bool ipc_authz_names(const struct ipc_authz_account *a, const char *user, const char *domain);

#endif
