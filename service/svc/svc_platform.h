/*
 * The Windows struct ferry_platform (svc_platform.c, with durable storage in
 * svc_storage.c and the profile ops' context in svc_profile.c), and the run
 * context it reads.
 *
 * The run context is pushed down: the agent's worker fills it before each
 * engine turn (which runbook runs, whose credentials were cached, this
 * device, the signing key, whether it rehearses), and the binding, the
 * texts layer and the profile code read only that, never the agent.
 */
#ifndef FERRY_SVC_PLATFORM_H
#define FERRY_SVC_PLATFORM_H

#include "svc/svc.h"

#include "engine/platform.h"
#include "runbook/runbook.h"
#include "win/sysops.h"

struct idmap;
struct cJSON;

struct svc_run {
	const struct runbook *rb;        /* the running runbook; NULL between runs */
	bool creds_cached;               /* the target credentials were checked */
	char user[IPC_NAME_MAX * 2 + 2]; /* whose (DOMAIN\user); "" when none */
	char device[256];                /* this device's name ("" = not checked) */
	char signing_key[80];            /* SigningPublicKey (64 hex digits); "" = none */
	const struct idmap *map;         /* the plan's signed identity mapping; NULL = none */
	const struct cJSON *packages;    /* the plan's signed /packages list; NULL = none */
	const char *packages_from;       /* whose list, for errors: "bundle" (NULL), "assignment" */
	char bundle_dir[MAX_PATH * 3];   /* BundleDir (UTF-8); may be "" */
	bool rehearse;                   /* the binding is under the rehearsal: no hints */
};

/* Unix seconds, UTC: the agent's clock (real, fast or simulated). */
typedef int64_t (*svc_clock_fn)(void *ctx);
/* Where a freshly made fallback password goes (the migration server's escrow). */
/* Escrow a fallback password; failing, the fallback step fails (the binding
 * deletes the account again: no account whose password nobody holds). */
typedef ferry_err (*svc_escrow_fn)(void *ctx, const struct ferry_secret *password);

struct svc_platform;

/**
 * Bind the Windows ops with storage under state_dir ("" = %ProgramData%
 * \Ferry\state, created). `run` and the clock are borrowed for the
 * binding's life. Free with svc_platform_free.
 */
ferry_err svc_platform_new(struct svc_platform **out, const wchar_t *state_dir,
			   const struct svc_run *run, svc_clock_fn clock, void *clock_ctx);
void svc_platform_free(struct svc_platform *p);

/** The Windows table (its ctx is the binding). */
const struct ferry_platform *svc_platform_ops(struct svc_platform *p);

/** create_fallback_account hands the new password here (NULL = nobody: helpdesk resets it). */
void svc_platform_set_escrow(struct svc_platform *p, svc_escrow_fn fn, void *ctx);

/**
 * The MigrationRunning hint for ferrycp.dll (win/hints.h) when runbook `rb`
 * (one with a startup phase) starts or ends; nothing in rehearsal.
 */
void svc_platform_migration_hint(struct svc_platform *p, const struct runbook *rb, bool running);

/**
 * run_command_package fetches a package blob the staged folder lacks from
 * here (the migration server); unset, from BundleDir\packages\<id> only.
 */
void svc_platform_set_package_fetch(struct svc_platform *p, win_package_fetch_fn fn, void *ctx);

/** Whether uninstall_agent scheduled the MSI removal (the worker then stops the service). */
bool svc_platform_uninstall_scheduled(struct svc_platform *p);

/** The account last signed in here ("DOMAIN\\user", "" when unknown): whose target account the cache prompt asks for. */
void svc_platform_source_user(struct svc_platform *p, char *out, size_t cap);

/** Delete a storage file (absent = success). */
ferry_err svc_platform_storage_delete(struct svc_platform *p, const char *name);

#endif
