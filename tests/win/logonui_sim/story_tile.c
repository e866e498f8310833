/*
 * story_tile.exe: step 1 of scenario user-story through the real
 * ferrycp.dll, against the real service (tests/e2e/user_story.py).
 *
 *   story_tile PIPE USER PASSWORD_FILE
 *
 * It plays LogonUI as test_credprov_tiles does (the same fakes,
 * logonui_sim/sim_fakes.c): loads ferrycp.dll from beside itself, points it
 * at PIPE through HKLM\SOFTWARE\Ferry\PipeName (removed again at the end),
 * asks for the logon scenario's tiles, selects the cache tile, checks it
 * offers USER (DOMAIN\\user: the account the service expects; a tile never
 * takes a typed account), types the first line of PASSWORD_FILE into its
 * password field, and submits (GetSerialization). It prints what the tile
 * showed and the outcome:
 *
 *   tile user=<DOMAIN\user> title=<title>
 *   outcome=ok|refused|none status=<the tile's status line>
 *
 * The password is never printed; its copies are wiped. Exit 0 when the
 * service accepted, 2 when it refused, 1 when the harness could not run.
 */
#include <windows.h>
#include <objbase.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "cp_guids.h"
#include "cpapi.h"
#include "logonui_sim/sim_fakes.h"

#define FID_TITLE 1
#define FID_ACCOUNT 5
#define FID_PASSWORD 6
#define FERRY_KEY L"SOFTWARE\\Ferry"

typedef HRESULT(STDAPICALLTYPE *get_class_object_fn)(REFCLSID, REFIID, void **);

int wmain(int argc, wchar_t **argv);

static void print_field(ICredentialProviderCredential *c, DWORD id, const char *label)
{
	LPWSTR s = NULL;
	char u8[512] = "";

	if (SUCCEEDED(c->lpVtbl->GetStringValue(c, id, &s)) && s)
		WideCharToMultiByte(CP_UTF8, 0, s, -1, u8, (int)sizeof(u8), NULL, NULL);
	printf(" %s=%s", label, u8);
	CoTaskMemFree(s);
}

/* The first line of `path`, wide, in `out` (wiped by the caller). */
static bool read_password(const wchar_t *path, wchar_t *out, size_t cap)
{
	char line[256] = "";
	FILE *f = _wfopen(path, L"rb");
	bool ok;

	if (!f)
		return false;
	ok = fgets(line, (int)sizeof(line), f) != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	ok = ok && line[0] &&
	     MultiByteToWideChar(CP_UTF8, 0, line, -1, out, (int)cap) > 0;
	SecureZeroMemory(line, sizeof(line));
	return ok;
}

/* Select tile 0 (the only tile while the cache screen shows), type, submit. */
static int submit(ICredentialProvider *p, const wchar_t *user, const wchar_t *password)
{
	CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE resp = CPGSR_NO_CREDENTIAL_NOT_FINISHED;
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
	CREDENTIAL_PROVIDER_STATUS_ICON icon = CPSI_NONE;
	ICredentialProviderCredential *c = NULL;
	DWORD n = 0, def = 0;
	BOOL autologon = FALSE;
	LPWSTR status = NULL;
	char st[512] = "";
	int rc = 1;

	memset(&cs, 0, sizeof(cs));
	if (FAILED(p->lpVtbl->GetCredentialCount(p, &n, &def, &autologon)) || n < 1 ||
	    FAILED(p->lpVtbl->GetCredentialAt(p, 0, &c))) {
		printf("outcome=none status=no tile (%lu tiles)\n", (unsigned long)n);
		return 1;
	}
	printf("tile");
	print_field(c, FID_ACCOUNT, "user");
	print_field(c, FID_TITLE, "title");
	printf("\n");
	c->lpVtbl->SetSelected(c, &autologon);
	if (SUCCEEDED(c->lpVtbl->GetStringValue(c, FID_ACCOUNT, &status)) && status &&
	    _wcsicmp(status, user))
		printf("note: the tile offers \"%ls\", not %ls\n", status, user);
	CoTaskMemFree(status);
	status = NULL;
	if (SUCCEEDED(c->lpVtbl->SetStringValue(c, FID_PASSWORD, password)) &&
	    SUCCEEDED(c->lpVtbl->GetSerialization(c, &resp, &cs, &status, &icon))) {
		if (status)
			WideCharToMultiByte(CP_UTF8, 0, status, -1, st, (int)sizeof(st), NULL, NULL);
		rc = icon == CPSI_SUCCESS ? 0 : 2;
		printf("outcome=%s status=%s\n", rc == 0 ? "ok" : "refused", st);
	} else {
		printf("outcome=none status=the tile took no password\n");
	}
	CoTaskMemFree(status);
	if (cs.rgbSerialization) { /* the cache tile never returns a logon */
		SecureZeroMemory(cs.rgbSerialization, cs.cbSerialization);
		CoTaskMemFree(cs.rgbSerialization);
		rc = 1;
	}
	c->lpVtbl->Release(c);
	return rc;
}

int wmain(int argc, wchar_t **argv)
{
	wchar_t path[MAX_PATH], password[256], *slash;
	DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
	struct fake_provider_events pe;
	ICredentialProvider *p = NULL;
	IClassFactory *cf = NULL;
	get_class_object_fn get;
	HMODULE dll;
	int rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: story_tile PIPE USER PASSWORD_FILE\n");
		return 64;
	}
	if (!read_password(argv[3], password, 256)) {
		fprintf(stderr, "story_tile: cannot read the password file\n");
		return 1;
	}
	slash = n && n < MAX_PATH ? wcsrchr(path, L'\\') : NULL;
	if (slash)
		wcscpy(slash + 1, L"ferrycp.dll");
	if (!slash || !(dll = LoadLibraryW(path)) ||
	    !(get = (get_class_object_fn)(void *)GetProcAddress(dll, "DllGetClassObject"))) {
		fprintf(stderr, "story_tile: cannot load ferrycp.dll beside story_tile.exe\n");
		SecureZeroMemory(password, sizeof(password));
		return 1;
	}
	if (RegSetKeyValueW(HKEY_LOCAL_MACHINE, FERRY_KEY, L"PipeName", REG_SZ, argv[1],
			    (DWORD)((wcslen(argv[1]) + 1) * sizeof(wchar_t))) != ERROR_SUCCESS) {
		fprintf(stderr, "story_tile: cannot set HKLM\\%ls\\PipeName\n", FERRY_KEY);
		SecureZeroMemory(password, sizeof(password));
		return 1;
	}
	fake_provider_events_init(&pe);
	if (SUCCEEDED(get(&CLSID_FerryProvider, &IID_IClassFactory, (void **)&cf)) &&
	    SUCCEEDED(cf->lpVtbl->CreateInstance(cf, NULL, &CP_IID_ICredentialProvider,
						 (void **)&p)) &&
	    SUCCEEDED(p->lpVtbl->SetUsageScenario(p, CPUS_LOGON, 0)) &&
	    SUCCEEDED(p->lpVtbl->Advise(p, &pe.iface, 1))) {
		rc = submit(p, argv[2], password);
		p->lpVtbl->UnAdvise(p);
	} else {
		printf("outcome=none status=the provider did not start\n");
	}
	SecureZeroMemory(password, sizeof(password));
	if (p)
		p->lpVtbl->Release(p);
	if (cf)
		cf->lpVtbl->Release(cf);
	fake_provider_events_fini(&pe);
	RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, FERRY_KEY, L"PipeName");
	fflush(stdout);
	return rc;
}
