/*
 * Ferry's tiles (credentials, in LogonUI's words) and the provider-wide
 * field table they share. One object per tile with three interfaces:
 * ICredentialProviderCredential2 (first member), ICredentialProviderCredential-
 * WithFieldOptions and IConnectableCredentialProviderCredential. Each tile
 * kind shows a subset of the same fields (docs/credprov.md draws them).
 *
 * V1 or V2 (docs/credprov.md, "Rules LogonUI imposes"): a tile without a
 * user SID answers E_NOINTERFACE for ICredentialProviderCredential2, so
 * LogonUI shows it as a tile of its own (a V1 credential), whatever the
 * domain membership and the user array; a tile with a SID is a V2
 * credential grouped under that user's tile.
 */
#ifndef FERRY_CP_TILE_H
#define FERRY_CP_TILE_H

#include <stdbool.h>

#include "cpapi.h"
#include "ux/logon_policy.h"

#ifndef CREDENTIAL_PROVIDER_NO_DEFAULT
#define CREDENTIAL_PROVIDER_NO_DEFAULT ((DWORD)-1)
#endif

enum cp_tile_kind {
	CP_TILE_CACHE,       /* the target account's password, checked by the service in Connect */
	CP_TILE_PROGRESS,    /* migration in progress (or stopped): texts only */
	CP_TILE_UNAVAILABLE, /* the pipe failed while a migration runs */
	CP_TILE_FALLBACK,    /* helpdesk: the local fallback account, a real logon */
	CP_TILE_KIND_COUNT
};

/* The provider's fields, in GetFieldDescriptorAt order. An ABI with LogonUI
 * for the life of a provider object: never reorder while one exists. */
enum cp_field {
	CP_FID_IMAGE,   /* the tile image: logo and QR code */
	CP_FID_TITLE,
	CP_FID_TEXT,
	CP_FID_PHASE,
	CP_FID_PERCENT,
	CP_FID_ACCOUNT, /* the account the tile signs in or checks: a label, never typed */
	CP_FID_PASSWORD,
	CP_FID_SUBMIT,
	CP_FID_STATUS,
	CP_FID_LOGO,    /* the provider logo ("Sign-in options" icon, 72x72) */
	CP_FID_LABEL,   /* the provider label (the icon's tooltip) */
	CP_FID_COUNT
};

#define CP_LOGO_PX 72 /* the recommended size of the provider logo */

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
	const char *account; /* shown in CP_FID_ACCOUNT */
	const char *image;   /* logo path, "" = default; drawn off LogonUI's thread */
	const char *qr_url;  /* QR code beside the logo (cache tile), NULL or "" = none */
	const wchar_t *sid;  /* NULL = a V1 tile of its own; else the listed user it belongs to */
	/* The account a submit uses, never what was typed: */
	const struct cache_account *cache; /* CP_TILE_CACHE */
	const wchar_t *fallback_user;      /* CP_TILE_FALLBACK: the hint's name */
	const wchar_t *fallback_domain;    /* CP_TILE_FALLBACK: the computer name */
};

struct cp_tile;

/** A new tile with one reference, held by the caller (cp_tile_release). */
HRESULT cp_tile_new(struct cp_tile **out, const struct cp_tile_init *init);
void cp_tile_release(struct cp_tile *t);
/** QueryInterface on the tile (for GetCredentialAt). */
HRESULT cp_tile_query(struct cp_tile *t, REFIID iid, void **out);
/** The tile's kind and SID (borrowed; NULL for a V1 tile), for the provider's in-place update. */
enum cp_tile_kind cp_tile_kind_of(const struct cp_tile *t);
const wchar_t *cp_tile_sid(const struct cp_tile *t);
/** Replace the texts an experience change touches (title, text, phase, percent) in place. */
void cp_tile_update_texts(struct cp_tile *t, const struct cp_tile_init *in);

/* --- for cp_submit.c ------------------------------------------------------ */

/* What Connect found, for the GetSerialization that follows it. */
struct cp_connect_result {
	bool done;
	bool retry; /* the user may try again (CPGSR_NO_CREDENTIAL_NOT_FINISHED) */
	CREDENTIAL_PROVIDER_STATUS_ICON icon;
	wchar_t *msg; /* ferry_malloc'ed */
};

struct cp_tile {
	ICredentialProviderCredential2 cred;
	ICredentialProviderCredentialWithFieldOptions opts;
	IConnectableCredentialProviderCredential conn;
	volatile LONG refs;
	enum cp_tile_kind kind;
	CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus;
	CRITICAL_SECTION lock;        /* texts, bitmaps, events: LogonUI's thread vs the others */
	ICredentialProviderCredentialEvents *events; /* Advise'd, owned ref; under lock */
	wchar_t *text[CP_FID_COUNT];  /* ferry_malloc'ed strings; [PASSWORD] unused */
	wchar_t *image_path;
	char *qr_url;                 /* ferry_malloc'ed, "" = no QR */
	wchar_t *sid;                 /* NULL = V1 tile */
	wchar_t *password;            /* ferry_malloc'ed; wiped on every replace/clear */
	HBITMAP bitmap;               /* tile image, NULL until drawn or when drawing fails */
	HBITMAP logo;                 /* provider logo, likewise */
	HANDLE draw_thread;           /* draws both off LogonUI's thread */
	struct cache_account cache;   /* CP_TILE_CACHE: the account the service expects */
	wchar_t *fb_user, *fb_domain; /* CP_TILE_FALLBACK */
	struct cp_connect_result result;
};

/** Replace field fid's text (not the password) and tell LogonUI if advised. */
void cp_tile_set_text(struct cp_tile *t, enum cp_field fid, const wchar_t *s);
/** Wipe and free the password, and clear the field in LogonUI if advised. */
void cp_tile_clear_password(struct cp_tile *t);

/** Connect for the cache tile: the service's check, with progress and cancel. */
HRESULT cp_submit_connect(struct cp_tile *t, IQueryContinueWithStatus *qc);
/** GetSerialization for the cache tile: the outcome Connect found (or a short check). */
HRESULT cp_submit_cache(struct cp_tile *t, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			LPWSTR *status, CREDENTIAL_PROVIDER_STATUS_ICON *icon);
/** GetSerialization for the fallback tile: pack KERB_INTERACTIVE_UNLOCK_LOGON. */
HRESULT cp_submit_fallback(struct cp_tile *t,
			   CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			   CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, LPWSTR *status,
			   CREDENTIAL_PROVIDER_STATUS_ICON *icon);

#endif
