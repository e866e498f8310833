/*
 * LogonUI's side of the COM conversation, faked for the harness: the
 * provider events (CredentialsChanged), the credential events (what the
 * tile pushes into its fields) and a user array. Each counts its
 * references so the harness can check the DLL gives back what it took.
 */
#ifndef FERRY_SIM_FAKES_H
#define FERRY_SIM_FAKES_H

#include "cpapi.h"

struct fake_provider_events {
	ICredentialProviderEvents iface;
	volatile LONG refs;
	volatile LONG changed; /* CredentialsChanged calls */
	UINT_PTR last_ctx;
	HANDLE signal; /* auto reset, set on each CredentialsChanged */
};

struct fake_cred_events {
	ICredentialProviderCredentialEvents iface;
	volatile LONG refs;
	CRITICAL_SECTION lock;  /* the subscribe and draw threads call too */
	wchar_t field[16][512]; /* last SetFieldString per field id */
	unsigned sets[16];
	unsigned bitmaps[16];   /* SetFieldBitmap calls per field id */
};

#define FAKE_USERS_MAX 8

/* One ICredentialProviderUser of the array: GetSid only. */
struct fake_user {
	ICredentialProviderUser iface;
	volatile LONG refs;
	wchar_t sid[96];
};

/* The users LogonUI enumerates (none unless fake_user_array_add) and its account options. */
struct fake_user_array {
	ICredentialProviderUserArray iface;
	volatile LONG refs;
	struct fake_user users[FAKE_USERS_MAX];
	DWORD n;
	CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS options;
	unsigned options_asked; /* GetAccountOptions calls */
};

void fake_provider_events_init(struct fake_provider_events *e);
void fake_provider_events_fini(struct fake_provider_events *e);
void fake_cred_events_init(struct fake_cred_events *e);
void fake_cred_events_fini(struct fake_cred_events *e);
/** The last string field id got (copied under the fake's lock). */
void fake_cred_events_field(struct fake_cred_events *e, DWORD id, wchar_t *out, size_t cap);
void fake_user_array_init(struct fake_user_array *u);
void fake_user_array_add(struct fake_user_array *u, const wchar_t *sid);

#endif
