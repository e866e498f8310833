/*
 * Domain membership: what the machine is joined to now, and leaving the
 * source domain.
 *
 * query: NetGetJoinInformation says whether the machine is in a domain (and
 * its NetBIOS name); DsRoleGetPrimaryDomainInformation gives the DNS name
 * the engine compares with runbooks (the NetBIOS name is kept when the DNS
 * name is not available). Entra (Azure AD) join is read from the registry,
 * not from `dsregcmd /status`: a device join writes one subkey per join
 * certificate under HKLM\SYSTEM\CurrentControlSet\Control\CloudDomainJoin\
 * JoinInfo and `dsregcmd /leave` removes it. The registry answers in
 * microseconds without a child process and without parsing localised text;
 * workplace join (HKCU) is not a device join and is not counted.
 */
#include <windows.h>
#include <dsrole.h>
#include <lm.h>

#include <string.h>

#include "util/utf.h"
#include "win/netapi_dyn.h"
#include "win/oplog.h"
#include "win/sysops.h"
#include "win/win_err.h"

#define NERR_SETUP_NOT_JOINED 2692u /* lmerr.h NERR_SetupNotJoined */
#define ENTRA_JOININFO_KEY L"SYSTEM\\CurrentControlSet\\Control\\CloudDomainJoin\\JoinInfo"

static ferry_err copy_name(char *dst, size_t cap, const wchar_t *w)
{
	char *u = NULL;
	size_t n = 0;
	ferry_err rc = ferry_utf16_to_utf8(&u, &n, (const uint16_t *)w, wcslen(w));

	if (rc)
		return ferry_error_wrap(rc, "domain name: ");
	if (n >= cap) {
		ferry_free(u);
		return ferry_error_set(FERRY_ERANGE, "domain name of %zu bytes", n);
	}
	memcpy(dst, u, n + 1);
	ferry_free(u);
	return FERRY_OK;
}

static ferry_err query_entra(bool *joined)
{
	HKEY k = NULL;
	DWORD subkeys = 0;
	LSTATUS st = RegOpenKeyExW(HKEY_LOCAL_MACHINE, ENTRA_JOININFO_KEY, 0, KEY_READ, &k);

	*joined = false;
	if (st == ERROR_FILE_NOT_FOUND)
		return FERRY_OK;
	if (st != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegOpenKeyExW(CloudDomainJoin\\JoinInfo)", (unsigned long)st);
	st = RegQueryInfoKeyW(k, NULL, NULL, NULL, &subkeys, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	RegCloseKey(k);
	if (st != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegQueryInfoKeyW(CloudDomainJoin\\JoinInfo)", (unsigned long)st);
	*joined = subkeys > 0;
	return FERRY_OK;
}

/* The DNS name of the primary domain, or "" when DsRole has none. */
static ferry_err query_dns_domain(char *dst, size_t cap)
{
	DSROLE_PRIMARY_DOMAIN_INFO_BASIC *info = NULL;
	DWORD st = DsRoleGetPrimaryDomainInformation(NULL, DsRolePrimaryDomainInfoBasic, (PBYTE *)&info);
	ferry_err rc = FERRY_OK;

	dst[0] = 0;
	if (st != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "DsRoleGetPrimaryDomainInformation", st);
	if (info->DomainNameDns && info->DomainNameDns[0])
		rc = copy_name(dst, cap, info->DomainNameDns);
	DsRoleFreeMemory(info);
	return rc;
}

ferry_err win_join_query(struct ferry_join_state *out)
{
	static const char op[] = "join_query";
	NETSETUP_JOIN_STATUS status = NetSetupUnknownStatus;
	LPWSTR name = NULL;
	NET_API_STATUS st;
	ferry_err rc;

	if (!out)
		return ferry_error_set(FERRY_EINVAL, "win_join_query: missing output");
	memset(out, 0, sizeof *out);
	st = NetGetJoinInformation(NULL, &name, &status);
	if (st != NERR_Success)
		return win_op_result(op, win_error(FERRY_ESYSTEM, "NetGetJoinInformation", st));
	rc = FERRY_OK;
	if (status == NetSetupDomainName) {
		rc = query_dns_domain(out->ad_domain, sizeof out->ad_domain);
		if (rc == 0 && !out->ad_domain[0] && name)
			rc = copy_name(out->ad_domain, sizeof out->ad_domain, name);
	}
	NetApiBufferFree(name);
	if (rc == 0)
		rc = query_entra(&out->entra_joined);
	if (rc)
		return win_op_result(op, rc);
	win_op_log(WIN_LOG_INFO, op, "AD domain \"%s\" (join status %d), Entra joined: %s", out->ad_domain,
		   (int)status, out->entra_joined ? "yes" : "no");
	return FERRY_OK;
}

ferry_err win_join_unjoin(void)
{
	static const char op[] = "unjoin";
	win_net_unjoin_fn unjoin;
	FARPROC fn = NULL;
	DWORD st;
	ferry_err rc;

	/* Options 0: the source computer account is left as it is. Disabling it
	 * (NETSETUP_ACCT_DELETE) needs source-domain credentials the agent never
	 * holds; the source domain's admins retire the account. */
	win_op_log(WIN_LOG_INFO, op, "NetUnjoinDomain from the current domain (computer account left as is)");
	rc = win_netapi_resolve(&fn, "NetUnjoinDomain");
	if (rc)
		return win_op_result(op, rc);
	unjoin = (win_net_unjoin_fn)(void (*)(void))fn;
	st = unjoin(NULL, NULL, NULL, 0);
	if (st == NERR_SETUP_NOT_JOINED) {
		win_op_log(WIN_LOG_INFO, op, "not joined to a domain: nothing to do");
		return FERRY_OK;
	}
	if (st != NERR_Success)
		return win_op_result(op, win_error(st == ERROR_ACCESS_DENIED ? FERRY_EPERM : FERRY_ESYSTEM,
							"NetUnjoinDomain", st));
	return win_op_result(op, 0);
}
