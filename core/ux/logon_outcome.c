/*
 * Win32 / NTSTATUS -> logon outcome. The numbers are ABI facts from
 * winerror.h and ntstatus.h (Microsoft's published values); they are spelt
 * out here because core/ never includes <windows.h>.
 */
#include "ux/logon_outcome.h"

#include <stddef.h>
#include <string.h>

struct code_map {
	uint32_t code;
	enum logon_outcome outcome;
};

static const struct code_map win32_map[] = {
	{ 0u, LOGON_OUTCOME_OK },                              /* ERROR_SUCCESS */
	{ 1317u, LOGON_OUTCOME_WRONG_PASSWORD },               /* ERROR_NO_SUCH_USER */
	{ 1323u, LOGON_OUTCOME_WRONG_PASSWORD },               /* ERROR_WRONG_PASSWORD */
	{ 1326u, LOGON_OUTCOME_WRONG_PASSWORD },               /* ERROR_LOGON_FAILURE */
	{ 1909u, LOGON_OUTCOME_LOCKED },                       /* ERROR_ACCOUNT_LOCKED_OUT */
	{ 1331u, LOGON_OUTCOME_DISABLED },                     /* ERROR_ACCOUNT_DISABLED */
	{ 1793u, LOGON_OUTCOME_DISABLED },                     /* ERROR_ACCOUNT_EXPIRED */
	{ 1330u, LOGON_OUTCOME_EXPIRED },                      /* ERROR_PASSWORD_EXPIRED */
	{ 1907u, LOGON_OUTCOME_MUST_CHANGE },                  /* ERROR_PASSWORD_MUST_CHANGE */
	{ 1311u, LOGON_OUTCOME_NO_SERVERS },                   /* ERROR_NO_LOGON_SERVERS */
	{ 1355u, LOGON_OUTCOME_NO_SERVERS },                   /* ERROR_NO_SUCH_DOMAIN */
	{ 1786u, LOGON_OUTCOME_TRUST_FAILURE },                /* ERROR_NO_TRUST_LSA_SECRET */
	{ 1787u, LOGON_OUTCOME_TRUST_FAILURE },                /* ERROR_NO_TRUST_SAM_ACCOUNT */
	{ 1788u, LOGON_OUTCOME_TRUST_FAILURE },                /* ERROR_TRUSTED_DOMAIN_FAILURE */
	{ 1789u, LOGON_OUTCOME_TRUST_FAILURE },                /* ERROR_TRUSTED_RELATIONSHIP_FAILURE */
	{ 1810u, LOGON_OUTCOME_TRUST_FAILURE },                /* ERROR_DOMAIN_TRUST_INCONSISTENT */
};

static const struct code_map ntstatus_map[] = {
	{ 0x00000000u, LOGON_OUTCOME_OK },                     /* STATUS_SUCCESS */
	{ 0xC0000064u, LOGON_OUTCOME_WRONG_PASSWORD },         /* STATUS_NO_SUCH_USER */
	{ 0xC000006Au, LOGON_OUTCOME_WRONG_PASSWORD },         /* STATUS_WRONG_PASSWORD */
	{ 0xC000006Du, LOGON_OUTCOME_WRONG_PASSWORD },         /* STATUS_LOGON_FAILURE */
	{ 0xC0000234u, LOGON_OUTCOME_LOCKED },                 /* STATUS_ACCOUNT_LOCKED_OUT */
	{ 0xC0000072u, LOGON_OUTCOME_DISABLED },               /* STATUS_ACCOUNT_DISABLED */
	{ 0xC0000193u, LOGON_OUTCOME_DISABLED },               /* STATUS_ACCOUNT_EXPIRED */
	{ 0xC0000071u, LOGON_OUTCOME_EXPIRED },                /* STATUS_PASSWORD_EXPIRED */
	{ 0xC0000224u, LOGON_OUTCOME_MUST_CHANGE },            /* STATUS_PASSWORD_MUST_CHANGE */
	{ 0xC000005Eu, LOGON_OUTCOME_NO_SERVERS },             /* STATUS_NO_LOGON_SERVERS */
	{ 0xC00000DFu, LOGON_OUTCOME_NO_SERVERS },             /* STATUS_NO_SUCH_DOMAIN */
	{ 0xC000018Au, LOGON_OUTCOME_TRUST_FAILURE },          /* STATUS_NO_TRUST_LSA_SECRET */
	{ 0xC000018Bu, LOGON_OUTCOME_TRUST_FAILURE },          /* STATUS_NO_TRUST_SAM_ACCOUNT */
	{ 0xC000018Cu, LOGON_OUTCOME_TRUST_FAILURE },          /* STATUS_TRUSTED_DOMAIN_FAILURE */
	{ 0xC000018Du, LOGON_OUTCOME_TRUST_FAILURE },          /* STATUS_TRUSTED_RELATIONSHIP_FAILURE */
};

static enum logon_outcome lookup(const struct code_map *map, size_t n, uint32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (map[i].code == code)
			return map[i].outcome;
	return LOGON_OUTCOME_OTHER;
}

enum logon_outcome logon_outcome_from_win32(uint32_t win32)
{
	return lookup(win32_map, sizeof win32_map / sizeof win32_map[0], win32);
}

enum logon_outcome logon_outcome_from_ntstatus(uint32_t status)
{
	return lookup(ntstatus_map, sizeof ntstatus_map / sizeof ntstatus_map[0], status);
}

struct outcome_text {
	const char *code;
	const char *text;
};

static const struct outcome_text texts[LOGON_OUTCOME_COUNT_] = {
	[LOGON_OUTCOME_OK] = { "ok", "Your new account was checked and saved on this PC." },
	[LOGON_OUTCOME_WRONG_PASSWORD] = { "wrong_password",
		"The user name or password is incorrect. Check them and try again." },
	[LOGON_OUTCOME_LOCKED] = { "account_locked",
		"Your new account is locked. Wait a few minutes or contact the helpdesk." },
	[LOGON_OUTCOME_DISABLED] = { "account_disabled",
		"Your new account is disabled or has expired. Contact the helpdesk." },
	[LOGON_OUTCOME_EXPIRED] = { "password_expired",
		"The password of your new account has expired. Change it, then try again." },
	[LOGON_OUTCOME_MUST_CHANGE] = { "password_must_change",
		"You must change the password of your new account before you can use it. "
		"Change it, then try again." },
	[LOGON_OUTCOME_NO_SERVERS] = { "no_logon_servers",
		"Your new domain cannot be reached. Connect to the VPN, then try again." },
	[LOGON_OUTCOME_TRUST_FAILURE] = { "trust_failure",
		"This PC's domain cannot check your new account right now (trust failure). "
		"Try again later or contact the helpdesk." },
	[LOGON_OUTCOME_OTHER] = { "other",
		"Your new account could not be checked. Try again later or contact the helpdesk." },
	[LOGON_OUTCOME_WRONG_ACCOUNT] = { "wrong_account",
		"This is not the account this PC is moving to. Type the password of the account "
		"shown, not your old one." },
	[LOGON_OUTCOME_NOT_CACHED_POLICY] = { "not_cached_policy",
		"Your password is right, but this PC keeps no cached logons (CachedLogonsCount "
		"is 0). Your administrator must allow cached logons before the move." },
	[LOGON_OUTCOME_NOT_CACHED_PROTECTED] = { "not_cached_protected",
		"Your password is right, but your new account is in Protected Users, which "
		"Windows never caches. Your administrator must take it out of that group before "
		"the move." },
};

const char *logon_outcome_code(enum logon_outcome o)
{
	if ((unsigned)o >= LOGON_OUTCOME_COUNT_)
		o = LOGON_OUTCOME_OTHER;
	return texts[o].code;
}

const char *logon_outcome_text(enum logon_outcome o)
{
	if ((unsigned)o >= LOGON_OUTCOME_COUNT_)
		o = LOGON_OUTCOME_OTHER;
	return texts[o].text;
}

bool logon_outcome_from_code(enum logon_outcome *out, const char *code)
{
	*out = LOGON_OUTCOME_OTHER;
	for (size_t i = 0; code && i < LOGON_OUTCOME_COUNT_; i++)
		if (!strcmp(texts[i].code, code)) {
			*out = (enum logon_outcome)i;
			return true;
		}
	return false;
}

enum logon_severity logon_outcome_severity(enum logon_outcome o)
{
	switch (o) {
	case LOGON_OUTCOME_OK:
		return LOGON_SEVERITY_SUCCESS;
	case LOGON_OUTCOME_NO_SERVERS:
	case LOGON_OUTCOME_TRUST_FAILURE:
		return LOGON_SEVERITY_WARNING;
	default:
		return LOGON_SEVERITY_ERROR;
	}
}
