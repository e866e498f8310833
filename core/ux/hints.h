/*
 * The registry contract between the service and ferrycp.dll: the values the
 * service writes so that LogonUI's thread can decide without the pipe
 * (docs/credprov.md, "Registry hints"). This header is its one home: the
 * writer (service/win/hints.c, service/win/lease.c) and the reader
 * (credprov/cp_state.c) take names, types and ranges from here.
 *
 *   key HKLM\SOFTWARE\Ferry\State (HINT_KEY_STATE)
 *   value                 type                       meaning
 *   PreventLoginUntil     REG_QWORD or 8-byte BINARY  the lease, a FILETIME (core/ux/lease.h)
 *   PreventLoginCapHours  REG_DWORD                  the runbook's cap, 1..HINT_CAP_MAX_HOURS
 *   MigrationRunning      REG_DWORD                  1 from a migration's start to its end
 *   FallbackAccount       REG_SZ                     the fallback account's local name
 *
 *   key HKLM\SOFTWARE\Ferry (HINT_KEY_FERRY), written by the MSI or an admin
 *   FilterAllow           REG_MULTI_SZ               {CLSID}s the filter never hides
 *   PipeName              REG_SZ                     \\.\pipe\... (tests)
 *
 * A cleared hint is a deleted value. Every reader fails safe: missing,
 * mistyped or out of range reads as absent.
 *
 * Names are narrow literals; Windows code widens them with HINT_W().
 */
#ifndef FERRY_UX_HINTS_H
#define FERRY_UX_HINTS_H

#include <stdbool.h>
#include <stdint.h>

#define HINT_W_(s) L##s
/** The wide (UTF-16 on Windows) form of a narrow literal below. */
#define HINT_W(s) HINT_W_(s)

#define HINT_KEY_FERRY "SOFTWARE\\Ferry"
#define HINT_KEY_STATE "SOFTWARE\\Ferry\\State"

#define HINT_LEASE "PreventLoginUntil"
#define HINT_LEASE_CAP "PreventLoginCapHours"
#define HINT_MIGRATING "MigrationRunning"
#define HINT_FALLBACK "FallbackAccount"
#define HINT_ALLOW "FilterAllow"
#define HINT_PIPE "PipeName"

/* Registry type codes (winnt.h); an ABI, never renumber. */
#define HINT_REG_SZ 1u
#define HINT_REG_BINARY 3u
#define HINT_REG_DWORD 4u
#define HINT_REG_MULTI_SZ 7u
#define HINT_REG_QWORD 11u

/* The prevent-login lease's cap: the runbook's prevent_login_max_hours,
 * 1..HINT_CAP_MAX_HOURS, HINT_CAP_DEFAULT_HOURS when it sets none. */
#define HINT_CAP_DEFAULT_HOURS 4u
#define HINT_CAP_MAX_HOURS 24u

/** The cap the service applies and writes: `runbook_hours`, or the default for 0, at most the max. */
unsigned hint_cap_hours(unsigned runbook_hours);

/**
 * The cap the filter applies, in seconds, from the PreventLoginCapHours it
 * read (`present` false when absent or mistyped): the value when it is in
 * 1..HINT_CAP_MAX_HOURS, else the default.
 */
uint64_t hint_cap_seconds_read(bool present, uint32_t hours);

/** Whether `name` (UTF-8) may be a FallbackAccount: non-empty, no '\', '/' or '@'. */
bool hint_fallback_name_ok(const char *name);

#endif
