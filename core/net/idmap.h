/*
 * The device's identity mapping: the slice of the translation table a
 * signed document (v1 bundle or v2 assignment) carries for one PC
 * (docs/protocol.md, "The identity mapping"). It is the agent's ONLY
 * source of source -> target SIDs: ReACL, the ProfileList remap, who may
 * cache which target account, and what the prompts pre-fill.
 *
 * A row (JSON object; every member required):
 *   source_sid      S-1-5-21-... in the source domain
 *   target_sid      S-1-5-21-... in the target domain
 *   kind            "user", "group" or "computer"
 *   target_sam      the target sAMAccountName (users 20, groups 256,
 *                   computers 16 characters, SAM grammar)
 *   target_upn      "" or name@suffix
 *   netbios_domain  the target's NetBIOS domain (1-15 characters)
 *   dns_domain      the target's DNS domain
 *
 * Invariants (idmap_rows_read, for every document that carries rows):
 *   1. At most IDMAP_MAX_ROWS rows; each typed as above, no other member.
 *   2. No source SID twice (the agent never picks between two rows).
 *   3. No SID is both a source and a target (translation is one step, so
 *      running ReACL twice is harmless; sec_table_finish).
 *   4. With a catalog, every dns_domain is one of the catalog's.
 */
#ifndef FERRY_NET_IDMAP_H
#define FERRY_NET_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sec/sid.h"
#include "util/err.h"

#define IDMAP_MAX_ROWS 100000u

struct catalog;
struct sec_table;

enum idmap_kind { IDMAP_USER, IDMAP_GROUP, IDMAP_COMPUTER };

/* One row; strings borrowed from the JSON the rows were read from. */
struct idmap_entry {
	struct sid source_sid, target_sid;
	enum idmap_kind kind;
	const char *target_sam;
	const char *target_upn; /* "" when none */
	const char *netbios_domain;
	const char *dns_domain;
};

/* A mapping the agent holds: its own copy of the rows, typed and indexed. */
struct idmap {
	cJSON *rows;             /* owned; v borrows from it */
	struct idmap_entry *v;
	size_t n;
	struct sec_table *table; /* source -> target; table->lines[i] is the row index */
};

/* The local profiles split by the mapping (idmap_profiles). */
struct idmap_profile {
	char source_sid[SID_STRING_MAX];
	char target_sid[SID_STRING_MAX];
	const struct idmap_entry *row; /* NULL for an unmapped profile */
};

struct idmap_profiles {
	struct idmap_profile *mapped, *unmapped;
	size_t n_mapped, n_unmapped;
};

/**
 * Read and check rows (invariants 1, 2 and 4; cat may be NULL). *out
 * borrows from `rows` (ferry_free it); `what` names the document in errors
 * ("assignment", "bundle"), with the row's JSON pointer.
 */
ferry_err idmap_rows_read(struct idmap_entry **out, size_t *n, const cJSON *rows,
			  const struct catalog *cat, const char *what);

/**
 * The agent's mapping from a verified document's rows (copied; the
 * document may be freed). Checks every invariant, 3 included.
 */
ferry_err idmap_new(struct idmap **out, const cJSON *rows, const char *what);

/** The row whose source is `sid` (text), or NULL. */
const struct idmap_entry *idmap_by_source(const struct idmap *m, const char *sid);

/** Whether the typed user and domain name row e's target account: user is its
 *  sAMAccountName (domain its NetBIOS or DNS domain) or its UPN (domain its
 *  suffix). Names compare without case (sec/account.h). */
bool idmap_entry_names(const struct idmap_entry *e, const char *user, const char *domain);

/** "NETBIOS\sam" of a row into out[cap]. */
void idmap_entry_account(const struct idmap_entry *e, char *out, size_t cap);

/**
 * Split the PC's local profile SIDs (ProfileList, text) into those whose
 * SID is a user row's source (mapped, with that row's target) and the
 * other domain or local account profiles (unmapped: left alone, reported).
 * Well-known profiles (SYSTEM, LocalService, NetworkService) and malformed
 * SIDs are neither. Mapped profiles keep the order of `sids`. m may be
 * NULL (everything unmapped). Free with idmap_profiles_clear.
 */
ferry_err idmap_profiles(struct idmap_profiles *out, const struct idmap *m,
			 const char *const *sids, size_t n);

void idmap_profiles_clear(struct idmap_profiles *p);

/*
 * The agent's profile report (POST /v1/agents/{id}/profiles, docs/protocol.md):
 *   {"profiles": ["S-1-5-21-...", ...]}
 * at most IDMAP_MAX_PROFILES distinct domain or local account SIDs (the
 * well-known profiles are not sent). idmap_report_check refuses anything
 * else, naming the member; *n receives the count.
 */
#define IDMAP_MAX_PROFILES 4096u

ferry_err idmap_report_check(const cJSON *body, size_t *n);

/**
 * The device's slice of the table's rows (the server's side): the user rows
 * whose source SID is one of the reported profiles, and every group row
 * (ACLs on the PC name groups, not only users). *out is a new array
 * (cJSON_Delete); rows and report are a checked table and a checked report.
 */
ferry_err idmap_slice(cJSON **out, const cJSON *rows, const cJSON *report);

/** "user", "group", "computer". */
const char *idmap_kind_name(enum idmap_kind k);

/** NULL-safe. */
void idmap_free(struct idmap *m);

#endif
