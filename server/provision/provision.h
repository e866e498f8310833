/*
 * The ODJ provisioning engine: makes a target computer account and its
 * Offline Domain Join blob ahead of a device's migration, with a delegated
 * service account, never a Domain Admin. No HTTP: ferry-server's queue
 * calls it from its worker threads.
 *
 * One job, prov_provision(machine, OU, policy), runs:
 *
 *   1. blob_get(key)            stored already -> return those bytes (every
 *                               retry gets the same blob; nothing touches the DC)
 *   2. wait for a DC slot       at most cfg.max_per_dc jobs talk to the DC
 *   3. kinit -k -t KEYTAB       a Kerberos ticket in a ccache private to the job
 *   4. ldbsearch (GSSAPI)       sAMAccountName=NAME$ : absent, or present with
 *                               its owner; the service account's SID
 *   5. decide                   absent -> create; present and owned by the
 *                               service account and (our own intent, or the
 *                               wave's policy is REUSE_OWNED) -> reuse; else
 *                               refuse with the reason (FERRY_EMISMATCH)
 *   6. intent_put(key)          durable before the DC is changed
 *   7. net offlinejoin provision [reuse] machine_account_ou=OU savefile=...
 *   8. validate                 core/odj: decodes, is for this machine and domain
 *   9. blob_put(key), blob_get  the first stored blob wins; that one is returned
 *
 * Invariants:
 *   1. Once a blob is stored for a key it is the only blob ever returned for
 *      it: the account's password is never reset again by this engine.
 *   2. A job killed at any step leaves either nothing, or an intent and
 *      maybe an account the service account owns; the next job for the key
 *      reuses that account (step 5), so no second account is ever made.
 *   3. An account the service account does not own is never reused, whatever
 *      the policy (it may be a live machine of the target domain).
 *   4. The engine never runs two jobs for one key at once (in-process); two
 *      processes must not share a storage key space without the server's
 *      own claim on the job.
 *   5. Secrets (the blob, the ccache) live only in the job's 0700 directory
 *      under cfg.work_dir, are wiped and removed when the job ends, and
 *      never reach an error detail. Tools run without a shell, with a fixed
 *      environment, in their own process group, killed at the timeout and
 *      when the calling thread dies (PR_SET_PDEATHSIG).
 *
 * Linux (server side): pthreads, fork/exec, Samba's net and ldbsearch, MIT
 * kinit (scripts/bootstrap: samba, ldb-tools, krb5-user).
 */
#ifndef FERRY_SERVER_PROVISION_H
#define FERRY_SERVER_PROVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"
#include "util/mem.h"

#define PROV_KEY_MAX 300u /* "<dns domain>/<MACHINE>" plus NUL */
#define PROV_BLOB_MAX (64u * 1024u)
#define PROV_MAX_PER_DC 64u

/* What may happen when sAMAccountName=NAME$ already exists (per wave). */
enum prov_policy {
	PROV_POLICY_FAIL,        /* refuse, with the account's DN and owner */
	PROV_POLICY_REUSE_OWNED, /* reuse it when the service account owns it */
};

/*
 * Where blobs and intents live: the server implements it over its database
 * (blobs sealed at rest is the server's business); prov_storage_dir is a
 * file implementation for tests and tools. Keys are "<dns domain>/<MACHINE>"
 * (prov_key). Every callback may be called from several threads at once.
 */
struct prov_storage {
	void *ctx;
	/** The blob stored for key: FERRY_OK and *blob (a secret the engine
	 *  frees), FERRY_ENOTFOUND when none, another code on failure. */
	ferry_err (*blob_get)(void *ctx, const char *key, struct ferry_secret **blob);
	/** Store durably unless a blob is stored already; then keep the first
	 *  and return FERRY_OK as well (the engine reads back with blob_get). */
	ferry_err (*blob_put)(void *ctx, const char *key, const uint8_t *blob, size_t len);
	/** Record durably that key's account is about to be made or reset. */
	ferry_err (*intent_put)(void *ctx, const char *key);
	/** FERRY_OK when intent_put was recorded for key, FERRY_ENOTFOUND if not. */
	ferry_err (*intent_get)(void *ctx, const char *key);
};

struct prov_config {
	const char *dns_domain;      /* target domain, e.g. "target.test" */
	const char *netbios_domain;  /* its NetBIOS name, e.g. "TARGET" */
	const char *dc;              /* the DC's host name (Kerberos needs the name) */
	const char *keytab;          /* the delegated account's keytab file */
	const char *account;         /* its sAMAccountName, e.g. "ferry-odj" */
	const char *work_dir;        /* existing directory, mode 0700, for job dirs; one
				      * engine's own: prov_engine_new wipes and removes the
				      * job dirs a killed process left in it */
	unsigned max_per_dc;         /* 1..PROV_MAX_PER_DC concurrent jobs on this DC */
	unsigned timeout_s;          /* per tool run; 0 = 120 s */
	/* argv prepended to every tool (NULL-terminated, or NULL for none); the
	 * tests run the tools in the DC's network namespace with it. */
	const char *const *exec_prefix;
};

struct prov_engine;

struct prov_stats {
	unsigned long jobs, from_store, created, reused, refused, failed;
	unsigned max_concurrent; /* most jobs inside the DC slot at once */
};

/**
 * An engine for one DC of one domain, shared by the server's worker threads.
 * cfg's strings are copied; st is copied (st->ctx must outlive the engine).
 * FERRY_EINVAL naming the bad setting.
 */
ferry_err prov_engine_new(struct prov_engine **out, const struct prov_config *cfg,
			  const struct prov_storage *st);

/** NULL-safe; no job may be running. */
void prov_engine_free(struct prov_engine *e);

/**
 * Provision (or return the stored blob of) `machine` (a NetBIOS computer
 * name, 1..15 of letters, digits, '-') in OU `ou` (a DN inside the domain).
 * *blob is djoin's text form (UTF-16LE) as `net offlinejoin provision`
 * saves it, validated by core/odj; a secret the caller frees.
 * FERRY_EMISMATCH: a name collision the policy refuses (detail: DN, owner,
 * why). FERRY_EINVAL: bad name or OU. FERRY_ESYSTEM/FERRY_ETIMEOUT: a tool
 * failed (detail: which, and the tail of its output); retrying is safe.
 * FERRY_ECORRUPT: the DC's blob did not validate.
 */
ferry_err prov_provision(struct ferry_secret **blob, struct prov_engine *e, const char *machine,
			 const char *ou, enum prov_policy policy);

/**
 * The provisioning account's SID, asked of the DC with its keytab (what
 * prov_delegation needs as account_sid). Cached after the first call.
 */
ferry_err prov_engine_account_sid(struct prov_engine *e, char *sid, size_t cap);

/** A snapshot of the engine's counters. */
void prov_engine_stats(struct prov_engine *e, struct prov_stats *out);

/** The storage key of (domain, machine): "<lower domain>/<UPPER machine>". */
ferry_err prov_key(char out[PROV_KEY_MAX], const char *dns_domain, const char *machine);

/* --- the file storage (prov_store_dir.c) --- */

/**
 * A prov_storage over directory `dir` (created 0700 if missing): one file
 * per blob and per intent, written to a temporary name, fsynced and linked
 * into place, so the first blob stored for a key wins and a crash never
 * leaves half a blob. *ctx_out is freed with prov_storage_dir_free.
 */
ferry_err prov_storage_dir(struct prov_storage *out, const char *dir);

/** NULL-safe. */
void prov_storage_dir_free(struct prov_storage *st);

/* --- delegation (prov_delegation.c) --- */

struct prov_delegation {
	const char *ou;          /* DN the grants go on */
	const char *account;     /* "DOMAIN\\name" as dsacls takes it */
	const char *account_sid; /* the account's SID, for samba-tool's SDDL */
	const char *dc;          /* NULL: samba-tool on the DC itself, else -H ldap://dc */
};

/**
 * Print the exact grants the provisioning account needs on an OU, as
 * `dsacls` commands (Windows) and as `samba-tool dsacl set` commands:
 * create and delete computer objects (this OU and below), and on computer
 * objects below it Reset Password, validated writes to DNS host name and
 * to service principal name, and read/write Account Restrictions. One
 * command per line, shell-quoted; comment lines start with '#'.
 * FERRY_EINVAL naming the bad argument (a DN or name with a quote, a SID
 * that does not parse), FERRY_EIO if writing fails.
 */
ferry_err prov_delegation_print(FILE *f, const struct prov_delegation *d);

#endif
