/*
 * Reading ldbsearch's LDIF: the computer account a name collides with, its
 * owner, and the service account's SID. Pure functions over the tool's
 * output, so the unit tests cover them without a DC.
 */
#include "prov_internal.h"

#include <stdio.h>
#include <string.h>

/* The value of the first "name: value" line of ldif, into out. */
static int attr(char *out, size_t cap, const char *ldif, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = ldif; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\r\n");

		if (len > n + 1 && !strncmp(l, name, n) && l[n] == ':' && l[n + 1] == ' ') {
			len -= n + 2;
			if (len >= cap)
				return 0;
			memcpy(out, l + n + 2, len);
			out[len] = '\0';
			return 1;
		}
	}
	return 0;
}

ferry_err prov_parse_account(struct prov_account *a, const char *ldif)
{
	char sd[4096];
	size_t n;

	memset(a, 0, sizeof(*a));
	if (!attr(a->dn, sizeof(a->dn), ldif, "dn"))
		return FERRY_OK; /* no record: the name is free */
	a->exists = 1;
	if (!attr(sd, sizeof(sd), ldif, "nTSecurityDescriptor") || strncmp(sd, "O:", 2))
		return ferry_error_set(FERRY_ECORRUPT, "ldbsearch: %.200s has no readable owner",
				       a->dn);
	/* O:<SID> runs over digits and '-'; otherwise it is a two-letter alias. */
	if (!strncmp(sd + 2, "S-", 2)) {
		n = 2;
		while (sd[2 + n] == '-' || (sd[2 + n] >= '0' && sd[2 + n] <= '9'))
			n++;
	} else {
		n = 2; /* an SDDL alias: two letters */
	}
	if (n == 0 || n >= sizeof(a->owner))
		return ferry_error_set(FERRY_ECORRUPT, "ldbsearch: bad owner in %.200s", a->dn);
	memcpy(a->owner, sd + 2, n);
	a->owner[n] = '\0';
	return FERRY_OK;
}

ferry_err prov_parse_sid(char *sid, size_t cap, const char *ldif)
{
	if (!attr(sid, cap, ldif, "objectSid") || strncmp(sid, "S-1-", 4))
		return ferry_error_set(FERRY_ENOTFOUND, "ldbsearch: no objectSid in the reply");
	return FERRY_OK;
}

ferry_err prov_domain_dn(char *out, size_t cap, const char *dns_domain)
{
	size_t j = 0;

	for (const char *p = dns_domain; *p;) {
		size_t n = strcspn(p, ".");
		int w = snprintf(out + j, cap - j, "%sDC=%.*s", j ? "," : "", (int)n, p);

		if (w < 0 || (size_t)w >= cap - j)
			return ferry_error_set(FERRY_ERANGE, "domain %.64s: DN too long", dns_domain);
		j += (size_t)w;
		p += n + (p[n] == '.');
	}
	return j ? FERRY_OK : ferry_error_set(FERRY_EINVAL, "empty domain");
}
