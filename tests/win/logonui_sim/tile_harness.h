/*
 * The LogonUI harness's common half for the tile suites, one per kind of
 * tile: test_credprov_tiles.c (the provider, the progress and waiting
 * tiles), test_credprov_tiles_cache.c (cache credentials) and
 * test_credprov_tiles_fallback.c (the helpdesk tile). Each suite runs in its
 * own process with tiles_group_setup/teardown around it and
 * tiles_setup/teardown around each case.
 *
 * What Wine cannot show: a real LogonUI (its threading, its drawing of the
 * tiles, its LsaLogonUser with our serialization); those are Windows-only.
 */
#ifndef FERRY_TESTS_TILE_HARNESS_H
#define FERRY_TESTS_TILE_HARNESS_H

#include <windows.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cmocka.h>

#include "cpapi.h"
#include "ipc/msg.h"

#define FID_IMAGE 0
#define FID_TITLE 1
#define FID_TEXT 2
#define FID_PHASE 3
#define FID_PERCENT 4
#define FID_ACCOUNT 5
#define FID_PASSWORD 6
#define FID_SUBMIT 7
#define FID_STATUS 8
#define FID_LOGO 9
#define FID_LABEL 10
#define FID_COUNT 11

#define STATE_KEY L"SOFTWARE\\Ferry\\State"
#define FERRY_KEY L"SOFTWARE\\Ferry"

/* The scripted service's pipe, this process's own (tiles_group_setup). */
extern wchar_t pipe_name[96];
/* The computer name, and the fallback tile's label HOST\ferry-helpdesk. */
extern wchar_t host[MAX_COMPUTERNAME_LENGTH + 1];
extern wchar_t helpdesk_label[MAX_COMPUTERNAME_LENGTH + 32];
/* The worst LogonUI-thread call since phase_report last reset it. */
extern double phase_worst_ms;

/* --- timing: every LogonUI-thread call within 1 s ------------------------------ */

/** Records the call `what` that ran from a to b; fails the case at 1 s or more. */
void note_ms(LARGE_INTEGER a, LARGE_INTEGER b, const char *what);
/** Prints the worst call since the last report under `label`, and resets it. */
void phase_report(const char *label);

#define TIMED(hr, expr)                                  \
	do {                                             \
		LARGE_INTEGER a_, b_;                    \
		QueryPerformanceCounter(&a_);            \
		(hr) = (expr);                           \
		QueryPerformanceCounter(&b_);            \
		note_ms(a_, b_, #expr);                  \
	} while (0)

/* --- HKLM\SOFTWARE\Ferry, which ferrycp.dll reads ------------------------------ */

void reg_set(const wchar_t *key, const wchar_t *name, DWORD type, const void *data, DWORD len);
void reg_set_sz(const wchar_t *key, const wchar_t *name, const wchar_t *v);
void reg_del(const wchar_t *key, const wchar_t *name);
/* No lease, no cap, no migration, no fallback account, no filter allow list. */
void clear_state(void);
void set_migrating(int on);

/* --- COM, as LogonUI calls it (each asserts what LogonUI relies on) ------------ */

/** A new object of ferrycp.dll's `clsid` for `iid`; the caller releases it. */
void *create(const CLSID *clsid, const IID *iid);
ICredentialProvider *provider_for(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus);
DWORD tile_count(ICredentialProvider *p);
/** Tile `i`, a reference the caller releases. */
ICredentialProviderCredential *tile_at(ICredentialProvider *p, DWORD i);
/* A tile of its own (V1): tied neither to a user nor to "Other user". */
void assert_v1(ICredentialProviderCredential *c);
/** S_OK once every object is gone (draw threads finish within 10 s). */
HRESULT can_unload_soon(void);
void assert_string(ICredentialProviderCredential *c, DWORD id, const wchar_t *want);
void assert_state(ICredentialProviderCredential *c, DWORD id, CREDENTIAL_PROVIDER_FIELD_STATE want,
		  CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE want_i);
/* UnAdvise and the last Release, after which the DLL may be unloaded. */
void release_provider(ICredentialProvider *p);
struct ipc_experience experience(enum ipc_screen screen, const char *title, const char *body,
				 const char *user, uint32_t pct, const char *step);

/* What GetSerialization answered. */
struct submit {
	HRESULT hr;
	CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE resp;
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
	LPWSTR status;
	CREDENTIAL_PROVIDER_STATUS_ICON icon;
};

/* Types `password` (NULL: nothing) and submits without Connect; submit_free after. */
void submit(ICredentialProviderCredential *c, const wchar_t *password, struct submit *s);
void submit_free(struct submit *s);

/* --- cmocka fixtures -------------------------------------------------------------- */

int tiles_setup(void **state);
int tiles_teardown(void **state);
/* Loads ferrycp.dll and points it at pipe_name; the teardown prints the worst call. */
int tiles_group_setup(void **state);
int tiles_group_teardown(void **state);

#define TILES_TEST(fn) cmocka_unit_test_setup_teardown(fn, tiles_setup, tiles_teardown)

#endif
