/*
 * Is this blob for us? odj_validate compares a decoded provision with the
 * domain and machine the runbook expects, before the service hands the blob
 * to NetRequestOfflineDomainJoin. Names are compared ASCII-case-insensitively
 * (domain and NetBIOS names are ASCII in practice; any other byte must match
 * exactly). Details name the field; they never contain the password.
 */
#include <string.h>

#include "odj/odj.h"
#include "odj/odj_internal.h"

#define NETBIOS_MAX 15

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive compare of at most n bytes (n = SIZE_MAX: whole strings). */
static bool same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && a[i] && b[i]; i++) {
		if (lower(a[i]) != lower(b[i]))
			return false;
	}
	return i == n || (a[i] == 0 && b[i] == 0);
}

static bool same_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Every field of two ODJ_WIN7BLOBs, the password by its bytes. */
static const char *win7_differs(const struct odj_win7 *a, const struct odj_win7 *b)
{
	const struct ferry_secret *pa = a->machine_password, *pb = b->machine_password;

	if (!same_opt(a->domain, b->domain))
		return "lpDomain";
	if (!same_opt(a->machine_name, b->machine_name))
		return "lpMachineName";
	if ((!pa) != (!pb) || (pa && (pa->len != pb->len || memcmp(pa->data, pb->data, pa->len))))
		return "lpMachinePassword";
	if (!same_opt(a->netbios_name, b->netbios_name) || !same_opt(a->dns_name, b->dns_name) ||
	    !same_opt(a->forest_name, b->forest_name) ||
	    memcmp(&a->domain_guid, &b->domain_guid, sizeof(a->domain_guid)) ||
	    a->has_sid != b->has_sid || (a->has_sid && memcmp(&a->sid, &b->sid, sizeof(a->sid))))
		return "DnsDomainInfo";
	if (!same_opt(a->dc.name, b->dc.name) || !same_opt(a->dc.address, b->dc.address) ||
	    a->dc.address_type != b->dc.address_type || a->dc.flags != b->dc.flags ||
	    memcmp(&a->dc.domain_guid, &b->dc.domain_guid, sizeof(a->dc.domain_guid)) ||
	    !same_opt(a->dc.domain_name, b->dc.domain_name) ||
	    !same_opt(a->dc.forest_name, b->dc.forest_name) || !same_opt(a->dc.site, b->dc.site) ||
	    !same_opt(a->dc.client_site, b->dc.client_site))
		return "DcInfo";
	if (a->options != b->options)
		return "Options";
	return NULL;
}

static ferry_err check_agree(const struct odj_provision *p, const struct odj_win7 *w)
{
	for (size_t i = 0; i < p->nblobs; i++) {
		const struct odj_blob *b = &p->blobs[i];
		const char *f;

		if (b->win7 && (f = win7_differs(w, b->win7)))
			return ferry_error_set(FERRY_EMISMATCH,
					       "ODJ: blob %zu disagrees with the join data in %s", i, f);
		for (size_t j = 0; j < b->nparts; j++) {
			if (b->parts[j].win7 && (f = win7_differs(w, b->parts[j].win7)))
				return ferry_error_set(FERRY_EMISMATCH,
						       "ODJ: join-provider part disagrees with the WIN7 blob in %s", f);
		}
	}
	return FERRY_OK;
}

static bool machine_matches(const char *have, const char *want)
{
	/* NetBIOS keeps 15 characters: a longer name matches on those. */
	if (strlen(have) > NETBIOS_MAX || strlen(want) > NETBIOS_MAX)
		return same(have, want, NETBIOS_MAX);
	return same(have, want, (size_t)-1);
}

ferry_err odj_validate(const struct odj_provision *p, const char *expected_domain,
		       const char *expected_machine)
{
	const struct odj_win7 *w = odj_provision_win7(p);
	bool dns, nb;

	if (!w)
		return ferry_error_set(FERRY_ECORRUPT, "ODJ: no join data (no WIN7 blob, no join-provider part)");
	dns = w->dns_name && same(w->dns_name, expected_domain, (size_t)-1);
	nb = w->netbios_name && same(w->netbios_name, expected_domain, (size_t)-1);
	if (!dns && !nb)
		return ferry_error_set(FERRY_EMISMATCH,
				       "ODJ: DnsDomainInfo: domain is '%s' (NetBIOS '%s'), expected '%s'",
				       w->dns_name ? w->dns_name : "(none)",
				       w->netbios_name ? w->netbios_name : "(none)", expected_domain);
	if (!w->machine_name)
		return ferry_error_set(FERRY_EMISMATCH, "ODJ: lpMachineName is missing");
	if (expected_machine && !machine_matches(w->machine_name, expected_machine))
		return ferry_error_set(FERRY_EMISMATCH, "ODJ: lpMachineName is '%s', expected '%s'",
				       w->machine_name, expected_machine);
	if (!w->machine_password || w->machine_password->len == 0)
		return ferry_error_set(FERRY_EMISMATCH, "ODJ: lpMachinePassword is missing or empty");
	return check_agree(p, w);
}

enum odj_join_result odj_join_result_of(uint32_t status)
{
	if (status == 0)
		return ODJ_JOIN_DONE;
	if (status == ODJ_NERR_JOIN_PERFORMED_MUST_RESTART)
		return ODJ_JOIN_DONE_RESTART;
	return ODJ_JOIN_FAILED;
}
