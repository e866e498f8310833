/*
 * A directory snapshot: the users, groups and computers of one AD domain,
 * as `ferry dir snapshot` reads them over LDAP and as `ferry table build`
 * and the migration server read them back. The text format (version 1) is
 * drawn at the top of snapshot.c and in docs/directory.md.
 *
 * A parsed snapshot is read-only; strings are UTF-8 and NUL-terminated, and
 * an absent single value is "" (never NULL).
 */
#ifndef FERRY_DIR_SNAPSHOT_H
#define FERRY_DIR_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define DIR_SNAPSHOT_VERSION 1
#define DIR_SNAPSHOT_MAGIC "ferry-dir-snapshot"
/* Bounds on what a snapshot may hold; the LDAP reader enforces the same. */
#define DIR_MAX_FILE ((size_t)1 << 30)      /* 1 GiB */
#define DIR_MAX_OBJECTS 2000000u
#define DIR_MAX_VALUE 4096u                 /* bytes of one value, decoded */
#define DIR_MAX_VALUES 1000000u             /* values of one multi-valued attribute */
#define DIR_MAX_LINE ((size_t)256 << 20)    /* one object line, encoded */

enum dir_kind {
	DIR_USER = 1,
	DIR_GROUP = 2,
	DIR_COMPUTER = 3,
};

/* userAccountControl bits the builder reads (MS-ADTS 2.2.16). */
#define DIR_UAC_ACCOUNTDISABLE 0x0002u

/* accountExpires: 0 and 0x7FFFFFFFFFFFFFFF mean "never" (MS-ADA1 accountExpires). */
#define DIR_NEVER_EXPIRES INT64_MAX

struct dir_list {
	char **v;
	size_t n;
};

struct dir_object {
	enum dir_kind kind;
	char *dn;
	char *sid;  /* objectSid, string form */
	char *guid; /* objectGUID, 8-4-4-4-12 lower-case hex */
	char *sam;  /* sAMAccountName */
	char *upn;  /* userPrincipalName */
	char *mail;
	char *employee_id;
	uint32_t uac;            /* userAccountControl; 0 when absent (groups) */
	int64_t account_expires; /* FILETIME, or 0 / DIR_NEVER_EXPIRES */
	char *when_changed;      /* GeneralizedTime as the DC wrote it */
	uint64_t usn_changed;
	struct dir_list sid_history; /* SID strings */
	struct dir_list member;      /* DNs (groups) */
	struct dir_list member_of;   /* DNs */
	char *dns_host_name;         /* computers */
	char *os;                    /* computers: operatingSystem */
	int64_t last_logon;          /* computers: lastLogonTimestamp (FILETIME), 0 = never */
};

struct dir_snapshot {
	char *domain;     /* DNS name, e.g. source.test */
	char *netbios;    /* e.g. SOURCE */
	char *domain_sid; /* S-1-5-21-a-b-c */
	char *base;       /* the search base DN */
	char *server;     /* dsServiceName of the DC read (uSNChanged is per DC) */
	char *created;    /* RFC 3339 UTC time the read started */
	uint64_t highest_usn; /* the DC's highestCommittedUSN when the read started */
	struct dir_object *obj;
	size_t count, cap;
};

/** An empty snapshot; free with dir_snapshot_free. */
ferry_err dir_snapshot_new(struct dir_snapshot **out);

/** Free; NULL-safe. */
void dir_snapshot_free(struct dir_snapshot *s);

/**
 * Set a header string (copied): which is one of "domain", "netbios",
 * "domain_sid", "base", "server", "created". Values are checked as the
 * parser checks them.
 */
ferry_err dir_snapshot_set(struct dir_snapshot *s, const char *which, const char *value);

/**
 * Append a zeroed object of the given kind; *out points into s (valid until
 * the next add). Fill it with dir_object_set / dir_list_add.
 */
ferry_err dir_snapshot_add(struct dir_object **out, struct dir_snapshot *s, enum dir_kind kind);

/** Replace one string field of o (a pointer to one of its char * members) with a copy. */
ferry_err dir_object_set(char **field, const char *value, size_t len);

/** Append a copy of value (len bytes, no NUL inside) to a list. */
ferry_err dir_list_add(struct dir_list *l, const char *value, size_t len);

/**
 * Check a snapshot built in memory as the parser would check a file
 * (required fields, SIDs, GUIDs, duplicates); names the object in errors.
 */
ferry_err dir_snapshot_check(const struct dir_snapshot *s);

/**
 * Encode to the version-1 text form, trailer and hash included. *out is
 * NUL-terminated; free it with ferry_free.
 */
ferry_err dir_snapshot_format(char **out, size_t *len, const struct dir_snapshot *s);

/**
 * Parse version-1 text. Refused with FERRY_ECORRUPT naming the line and
 * field: a missing or edited trailer (object count or SHA-256), bad
 * escapes, invalid UTF-8, an oversized value, a malformed SID or GUID, a
 * duplicate SID or GUID; FERRY_EUNSUPPORTED for another version.
 */
ferry_err dir_snapshot_parse(struct dir_snapshot **out, const char *text, size_t len);

/** Read and parse a file of at most DIR_MAX_FILE bytes. */
ferry_err dir_snapshot_load(struct dir_snapshot **out, const char *path);

/** "user", "group", "computer". */
const char *dir_kind_name(enum dir_kind k);

/*
 * What changed between two snapshots of one domain (the server's "since the
 * last import"). Objects are matched by objectGUID. When both were read
 * from the same DC (same server), an object changed iff its uSNChanged
 * differs; across DCs (uSNChanged is per DC) iff its whenChanged differs.
 */
struct dir_delta {
	size_t added, removed, changed, unchanged;
	/* Indices: added and changed into the newer snapshot, removed into the older. */
	size_t *added_idx, *removed_idx, *changed_idx;
	int same_server; /* 1 when uSNChanged was compared */
};

/**
 * Compare old and new. Refused (FERRY_EMISMATCH) when they are of different
 * domains (domain SIDs differ) or, from one DC, when the newer one's
 * highest USN is below the older's (a restored DC: compare in full instead).
 */
ferry_err dir_snapshot_delta(struct dir_delta **out, const struct dir_snapshot *old_snap,
                             const struct dir_snapshot *new_snap);

/** Free; NULL-safe. */
void dir_delta_free(struct dir_delta *d);

/** SHA-256 of len bytes as 64 lower-case hex digits and a NUL. */
ferry_err dir_sha256_hex(char out[65], const void *data, size_t len);

#endif
