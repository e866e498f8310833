/*
 * The registry hints ferrycp.dll reads, so that LogonUI's thread can decide
 * without the pipe: the prevent-login lease (the filter), whether a
 * migration is running (service-unavailable vs. nothing when the pipe
 * fails), the fallback account's name (the helpdesk tile, even with no
 * service), the filter's allow-list and the pipe-name override for tests.
 * Every value is documented in docs/credprov.md; the service writes them.
 *
 * Every reader fails safe: a missing, mistyped or oversized value reads as
 * "absent", which means show everything / no migration / no fallback tile.
 */
#ifndef FERRY_CP_STATE_H
#define FERRY_CP_STATE_H

#include <windows.h>

#include <stdbool.h>

#include "ux/hints.h"

/* Names, types and ranges: core/ux/hints.h (the contract's one home). */
#define CP_KEY_FERRY HINT_W(HINT_KEY_FERRY)
#define CP_KEY_STATE HINT_W(HINT_KEY_STATE)
#define CP_VAL_LEASE HINT_W(HINT_LEASE)
#define CP_VAL_LEASE_CAP HINT_W(HINT_LEASE_CAP)
#define CP_VAL_MIGRATING HINT_W(HINT_MIGRATING)
#define CP_VAL_FALLBACK HINT_W(HINT_FALLBACK)
#define CP_VAL_ALLOW HINT_W(HINT_ALLOW)
#define CP_VAL_PIPE HINT_W(HINT_PIPE)

#define CP_PIPE_DEFAULT L"\\\\.\\pipe\\Ferry.Agent"
#define CP_PIPE_NAME_MAX 256
#define CP_ACCOUNT_MAX 256
#define CP_ALLOW_MAX 64 /* CLSIDs in the allow-list; more are ignored */

/** True while the lease is held (lease_decide says HIDE_OTHERS); reason for the log. */
bool cp_state_lease_held(const char **reason);

/** True when the service says a migration is running, or the lease is held. */
bool cp_state_migrating(void);

/** The fallback account's name into out[cap]; false when there is none. */
bool cp_state_fallback_account(wchar_t *out, size_t cap);

/**
 * Whether local account `name` exists and is enabled (NetUserGetInfo on
 * this computer's SAM: local, no network). The filter hides nothing
 * without it.
 */
bool cp_state_account_exists(const wchar_t *name);

/** This computer's NetBIOS name into out[cap] (the domain of a local account). */
bool cp_state_computer_name(wchar_t *out, size_t cap);

/**
 * The admin allow-list: up to CP_ALLOW_MAX CLSIDs into out; returns how
 * many. Entries that do not parse as a CLSID are skipped.
 */
size_t cp_state_allow_list(GUID *out, size_t cap);

/** The pipe's name: the PipeName override when it is a \\.\pipe\ path, else the default. */
void cp_state_pipe_name(wchar_t *out, size_t cap);

#endif
