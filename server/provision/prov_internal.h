/* server/provision's private parts: the tool runner and the LDAP lookups. */
#ifndef FERRY_SERVER_PROV_INTERNAL_H
#define FERRY_SERVER_PROV_INTERNAL_H

#include <stddef.h>

#include "provision.h"

#define PROV_OUT_MAX (1u << 20) /* most bytes of a tool's output read back */
#define PROV_ARGV_MAX 32

/* One tool run: argv (with the engine's prefix), a fixed environment, its
 * stdout and stderr into out_path, killed after timeout_s. */
struct prov_run {
	const char *const *prefix; /* may be NULL */
	const char *argv[PROV_ARGV_MAX];
	const char *env[8];        /* NULL-terminated "NAME=value" */
	const char *out_path;
	unsigned timeout_s;
};

/**
 * Run it and wait. FERRY_OK on exit status 0; FERRY_ESYSTEM naming the tool
 * and the tail of its output otherwise; FERRY_ETIMEOUT when it was killed.
 */
ferry_err prov_exec(const struct prov_run *r);

/** Read at most PROV_OUT_MAX bytes of a file as text (ferry_free). */
ferry_err prov_read_text(char **out, const char *path);

/** The last line-ish tail of a tool's output, printable ASCII only, into buf. */
void prov_output_tail(char *buf, size_t cap, const char *path);

/* What ldbsearch found for sAMAccountName=NAME$. */
struct prov_account {
	int exists;
	char dn[1024];
	char owner[192]; /* SID text of the owner, or an SDDL alias */
};

/**
 * Parse ldbsearch's LDIF output for one computer account (dn and
 * nTSecurityDescriptor: O:<owner>...). Pure; tested without a DC.
 */
ferry_err prov_parse_account(struct prov_account *a, const char *ldif);

/** Parse ldbsearch's output for an objectSid into sid (at least 192 bytes). */
ferry_err prov_parse_sid(char *sid, size_t cap, const char *ldif);

/** The LDAP base DN of a DNS domain ("DC=a,DC=b") into out. */
ferry_err prov_domain_dn(char *out, size_t cap, const char *dns_domain);

#endif
