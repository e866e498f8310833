/*
 * A model of LogonUI's documented rules, for the harness: which tiles a
 * user would see and which of them can sign someone in, given the machine
 * (domain membership, policies, scenario, the user list), the registered
 * providers and ferrycp.dll's real filter and provider driven through COM.
 * Wine has no LogonUI; every rule the model applies is Microsoft's, and
 * each names its page (docs/credprov.md, "Rules LogonUI imposes"):
 *
 * R1 ICredentialProviderCredential2::GetUserSid: S_FALSE with a NULL SID puts
 *    the credential on the "Other user" tile, which "is normally only valid
 *    when the PC is joined to a domain".
 * R2 ICredentialProviderCredential2 (interface page): a V2 credential is
 *    grouped under the tile of the user whose SID it returns, valid only for
 *    a user LogonUI enumerates (the user array, ICredentialProviderSetUserArray,
 *    handed over before GetCredentialCount).
 * R3 Credential Providers in Windows 10: V1 and V2 providers are both
 *    supported; a V1 credential (no ICredentialProviderCredential2) is a tile
 *    of its own, not tied to a user or to the "Other user" tile.
 * R4 ICredentialProviderFilter::Filter: providers whose rgbAllow the filter
 *    sets FALSE are not used; LogonUI asks the filter at each enumeration.
 *    A provider disabled by policy arrives with rgbAllow FALSE; one whose DLL
 *    fails to load is absent, and so is its filter.
 * R5 "Interactive logon: Do not display last user name"
 *    (DontDisplayLastUserName): no user tiles, only the "Other user" entry.
 *    ICredentialProviderUserArray::GetAccountOptions tells a provider
 *    whether empty "Other user" tiles show for local/Microsoft accounts.
 * R6 CPUS_UNLOCK_WORKSTATION (CREDENTIAL_PROVIDER_USAGE_SCENARIO page): the
 *    locked session's user unlocks it; with HideFastUserSwitching there is
 *    no "Other user"/switch-user entry at the lock screen.
 * R7 ICredentialProviderEvents::CredentialsChanged: LogonUI enumerates all
 *    the provider's credentials again (what was typed into them is lost);
 *    the model counts re-enumerations.
 * R8 IConnectableCredentialProviderCredential::Connect: called after Submit
 *    and before GetSerialization; the provider polls QueryContinue.
 */
#ifndef FERRY_LOGONUI_MODEL_H
#define FERRY_LOGONUI_MODEL_H

#include <stdbool.h>

#include "cp_dll_load.h"
#include "cpapi.h"
#include "logonui_sim/sim_fakes.h"

struct lui_machine {
	CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
	bool domain_joined;
	bool dont_display_last_user;   /* DontDisplayLastUserName = 1 (R5) */
	bool hide_fast_user_switching; /* HideFastUserSwitching = 1 (R6) */
	const wchar_t *owner_sid;      /* CPUS_UNLOCK_WORKSTATION: the locked session's user */
	const wchar_t *users[FAKE_USERS_MAX]; /* the users LogonUI lists at logon (R2) */
	size_t n_users;
	CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS account_options; /* R5 */
	bool ferry_fails_to_load;      /* R4: ferrycp.dll does not load */
	bool ferry_disabled;           /* R4: policy passes Ferry's rgbAllow FALSE */
};

enum lui_place {
	LUI_OWN_TILE,   /* R3 */
	LUI_USER_TILE,  /* R2 */
	LUI_OTHER_USER, /* R1 */
};

struct lui_way {
	bool ferry;          /* Ferry's credential; else the system password provider's */
	enum lui_place place;
	wchar_t sid[96];     /* LUI_USER_TILE: whose tile */
	ICredentialProviderCredential *cred; /* Ferry's, owned by the screen */
};

#define LUI_WAYS_MAX 32

struct lui_screen {
	struct lui_way ways[LUI_WAYS_MAX];
	size_t n;
	bool password_provider_allowed; /* after the filter (R4) */
	bool other_user_tile;           /* R1, R5, R6 */
	ICredentialProvider *ferry;     /* alive while the screen is */
	struct fake_user_array ua;
	struct fake_provider_events pe;
	unsigned enumerations;          /* R7: GetCredentialCount rounds */
};

/** LogonUI's enumeration for machine m (Filter, SetUsageScenario, SetUserArray, Advise, tiles). */
void lui_show(struct lui_screen *s, const struct lui_machine *m, const struct cp_dll *dll);
/** Enumerate again, as after CredentialsChanged (R7); Ferry's credentials are replaced. */
void lui_reenumerate(struct lui_screen *s, const struct lui_machine *m);
/** Release everything the screen holds (UnAdvise, credentials, provider). */
void lui_close(struct lui_screen *s);

/** Ferry's way whose account label is `account` ("HOST\\name"), or NULL. */
const struct lui_way *lui_ferry_account(const struct lui_screen *s, const wchar_t *account);
/** The password provider offers a usable entry: the "Other user" tile or the user `sid`'s tile (NULL = any user's). */
bool lui_password_way(const struct lui_screen *s, const struct lui_machine *m, const wchar_t *sid);

#endif
