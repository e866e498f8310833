/*
 * The grants the provisioning account needs on its OU, printed for dsacls
 * and for samba-tool. The GUIDs are Active Directory's schema facts
 * ([MS-ADTS] 6.1.1.2.7, and the "adschema" pages named below):
 *
 *   computer class (schemaIDGUID)           bf967a86-0de6-11d0-a285-00aa003049e2
 *   User-Force-Change-Password ("Reset Password", extended right)
 *                                           00299570-246d-11d0-a768-00aa006e0529
 *   Validated-DNS-Host-Name (validated write)
 *                                           72e39547-7b18-11d1-adef-00c04fd8d5cd
 *   Validated-SPN (validated write)         f3a64788-5306-11d1-a9c5-0000f80367c1
 *   User-Account-Restrictions (property set: userAccountControl,
 *     pwdLastSet, accountExpires, ...)      4c164200-20c0-11d0-a768-00aa006e0529
 *
 * tests/provision/provision_samba.sh applies the samba-tool lines to a real
 * Samba DC and provisions with nothing else granted.
 */
#include "provision.h"

#include <string.h>

#include "sec/sid.h"

#define COMPUTER_CLASS "bf967a86-0de6-11d0-a285-00aa003049e2"

struct grant {
	const char *why;
	const char *dsacls_scope; /* /I:T this OU and below, /I:S objects below */
	const char *dsacls_perm;  /* after "ACCOUNT:" */
	const char *sddl;         /* the ACE up to its SID */
};

static const struct grant grants[] = {
	{ "create and delete computer objects in this OU and the OUs below it", "/I:T",
	  "CCDC;computer", "(OA;CI;CCDC;" COMPUTER_CLASS ";;" },
	{ "reset the password of the computer objects below it", "/I:S",
	  "CA;Reset Password;computer",
	  "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;" COMPUTER_CLASS ";" },
	{ "validated write to DNS host name", "/I:S",
	  "WS;Validated write to DNS host name;computer",
	  "(OA;CIIO;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;" COMPUTER_CLASS ";" },
	{ "validated write to service principal name", "/I:S",
	  "WS;Validated write to service principal name;computer",
	  "(OA;CIIO;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;" COMPUTER_CLASS ";" },
	{ "read and write Account Restrictions (userAccountControl, pwdLastSet, ...)", "/I:S",
	  "RPWP;Account Restrictions;computer",
	  "(OA;CIIO;RPWP;4c164200-20c0-11d0-a768-00aa006e0529;" COMPUTER_CLASS ";" },
};

/* Text that goes inside quotes on a command line: no quotes, no control characters. */
static int quotable(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\'' || s[i] == '`' ||
		    s[i] == '$' || s[i] == '%' || s[i] == 0x7f)
			return 0;
	return 1;
}

static ferry_err check(const struct prov_delegation *d)
{
	struct sid sid;

	if (!d || !quotable(d->ou, 1024) || strncmp(d->ou, "OU=", 3))
		return ferry_error_set(FERRY_EINVAL, "--ou must be an OU's DN (OU=...,DC=...) "
				       "without quotes");
	if (!quotable(d->account, 300) || !strchr(d->account, '\\'))
		return ferry_error_set(FERRY_EINVAL, "--account must be DOMAIN\\name");
	if (!d->account_sid ||
	    sid_from_string(&sid, d->account_sid, strlen(d->account_sid)) || !sid_is_account(&sid))
		return ferry_error_set(FERRY_EINVAL, "the account's SID must be a domain account "
				       "SID (S-1-5-21-...)");
	if (d->dc && (!quotable(d->dc, 253) || strpbrk(d->dc, " /\\")))
		return ferry_error_set(FERRY_EINVAL, "--dc must be a host name");
	return FERRY_OK;
}

ferry_err prov_delegation_print(FILE *f, const struct prov_delegation *d)
{
	const size_t n = sizeof(grants) / sizeof(grants[0]);
	ferry_err rc = check(d);
	int bad = 0;

	if (rc)
		return rc;
	bad |= fprintf(f, "# Ferry ODJ provisioning: grants for %s on %s\n", d->account, d->ou) < 0;
	for (size_t i = 0; i < n; i++)
		bad |= fprintf(f, "#   %zu. %s\n", i + 1, grants[i].why) < 0;
	bad |= fprintf(f, "# Windows (dsacls, as a domain admin):\n") < 0;
	for (size_t i = 0; i < n; i++)
		bad |= fprintf(f, "dsacls \"%s\" %s /G \"%s:%s\"\n", d->ou, grants[i].dsacls_scope,
			       d->account, grants[i].dsacls_perm) < 0;
	bad |= fprintf(f, "# Samba (samba-tool, as a domain admin%s):\n",
		       d->dc ? "; add -U or --use-kerberos" : ", on the DC") < 0;
	for (size_t i = 0; i < n; i++) {
		bad |= fprintf(f, "samba-tool dsacl set%s%s --objectdn='%s' --sddl='%s%s)'\n",
			       d->dc ? " -H ldap://" : "", d->dc ? d->dc : "", d->ou, grants[i].sddl,
			       d->account_sid) < 0;
	}
	return bad ? ferry_error_set(FERRY_EIO, "cannot write the delegation commands") : FERRY_OK;
}
