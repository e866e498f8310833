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
	wchar_t field[16][512]; /* last SetFieldString per field id */
	unsigned sets[16];
};

struct fake_user_array {
	ICredentialProviderUserArray iface;
	volatile LONG refs;
};

void fake_provider_events_init(struct fake_provider_events *e);
void fake_provider_events_fini(struct fake_provider_events *e);
void fake_cred_events_init(struct fake_cred_events *e);
void fake_user_array_init(struct fake_user_array *u);

#endif
