/*
 * Ferry's tiles (credentials, in LogonUI's words) and the provider-wide
 * field table they share. One ICredentialProviderCredential2 +
 * ICredentialProviderCredentialWithFieldOptions object per tile; each tile
 * kind shows a subset of the same fields (docs/credprov.md draws them).
 */
#ifndef FERRY_CP_TILE_H
#define FERRY_CP_TILE_H

#include <stdbool.h>

#include "cpapi.h"

#ifndef CREDENTIAL_PROVIDER_NO_DEFAULT
#define CREDENTIAL_PROVIDER_NO_DEFAULT ((DWORD)-1)
#endif

enum cp_tile_kind {
	CP_TILE_CACHE,       /* ask for the target account's password, send it to the service */
	CP_TILE_PROGRESS,    /* migration in progress (or stopped): texts only */
	CP_TILE_UNAVAILABLE, /* the pipe failed while a migration runs */
	CP_TILE_FALLBACK,    /* helpdesk: the local fallback account, a real logon */
	CP_TILE_KIND_COUNT
};

/* The provider's fields, in GetFieldDescriptorAt order. An ABI with LogonUI
 * for the life of a provider object: never reorder while one exists. */
enum cp_field {
	CP_FID_IMAGE,
	CP_FID_TITLE,
	CP_FID_TEXT,
	CP_FID_PHASE,
	CP_FID_PERCENT,
	CP_FID_USER,
	CP_FID_PASSWORD,
	CP_FID_SUBMIT,
	CP_FID_STATUS,
	CP_FID_COUNT
};

struct cp_field_def {
	CREDENTIAL_PROVIDER_FIELD_TYPE type;
	UINT label; /* IDS_UI_* (resources/strings.h), read with ferry_label */
	const GUID *guid; /* NULL = GUID_NULL */
};

struct cp_field_state {
	CREDENTIAL_PROVIDER_FIELD_STATE state;
	CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE interactive;
};

extern const struct cp_field_def cp_fields[CP_FID_COUNT];
extern const struct cp_field_state cp_field_states[CP_TILE_KIND_COUNT][CP_FID_COUNT];

/** A CoTaskMemAlloc'ed descriptor of field i for LogonUI (it frees both parts). */
HRESULT cp_field_descriptor(DWORD i, CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR **out);

/* What a tile shows, UTF-8 (NULL = ""). */
struct cp_tile_init {
	enum cp_tile_kind kind;
	CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
	const char *title;
	const char *text;
	const char *phase;
	const char *percent;
	const char *user;
	const char *image; /* logo path, "" = default */
	const char *qr_url; /* QR code beside the logo (cache tile), NULL or "" = none */
};

struct cp_tile;

/** A new tile with one reference, held by the caller (cp_tile_release). */
HRESULT cp_tile_new(struct cp_tile **out, const struct cp_tile_init *init);
void cp_tile_release(struct cp_tile *t);
/** QueryInterface on the tile (for GetCredentialAt). */
HRESULT cp_tile_query(struct cp_tile *t, REFIID iid, void **out);

/* --- for cp_submit.c ------------------------------------------------------ */

struct cp_tile {
	ICredentialProviderCredential2 cred;
	ICredentialProviderCredentialWithFieldOptions opts;
	volatile LONG refs;
	enum cp_tile_kind kind;
	CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
	ICredentialProviderCredentialEvents *events; /* Advise'd, owned ref */
	wchar_t *text[CP_FID_COUNT];  /* ferry_malloc'ed strings; [PASSWORD] unused */
	wchar_t *image_path;
	char *qr_url;                 /* ferry_malloc'ed, "" = no QR */
	wchar_t *password;            /* ferry_malloc'ed; wiped on every replace/clear */
	HBITMAP bitmap;               /* cached tile image, NULL until drawn or when drawing fails */
	bool bitmap_tried;
};

/** Replace field fid's text (not the password) and tell LogonUI if advised. */
void cp_tile_set_text(struct cp_tile *t, enum cp_field fid, const wchar_t *s);
/** Wipe and free the password, and clear the field in LogonUI if advised. */
void cp_tile_clear_password(struct cp_tile *t);

/** GetSerialization for the cache tile: send cache_credentials, show the outcome. */
HRESULT cp_submit_cache(struct cp_tile *t, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			LPWSTR *status, CREDENTIAL_PROVIDER_STATUS_ICON *icon);
/** GetSerialization for the fallback tile: pack KERB_INTERACTIVE_UNLOCK_LOGON. */
HRESULT cp_submit_fallback(struct cp_tile *t,
			   CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			   CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, LPWSTR *status,
			   CREDENTIAL_PROVIDER_STATUS_ICON *icon);

#endif
