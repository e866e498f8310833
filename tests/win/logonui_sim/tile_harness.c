/*
 * The LogonUI harness's common half for the tile suites
 * (test_credprov_tiles*.c): this program plays LogonUI against ferrycp.dll,
 * loaded by path from beside it (cp_dll_load.h), and plays the Ferry service
 * with a scripted pipe server (sim_server.c) on a private pipe name that the
 * DLL is pointed at through HKLM\SOFTWARE\Ferry\PipeName (tiles_group_setup).
 *
 * Every call LogonUI would make on its thread is timed (TIMED): each must
 * return within 1 s, whatever the service does; the worst is printed.
 */
#include "logonui_sim/tile_harness.h"

#include <stdio.h>
#include <string.h>

#include "cp_dll_load.h"
#include "cp_guids.h"

static struct cp_dll cp;
static double worst_ms;
static char worst_call[128];
double phase_worst_ms;
wchar_t pipe_name[96];
wchar_t host[MAX_COMPUTERNAME_LENGTH + 1];
wchar_t helpdesk_label[MAX_COMPUTERNAME_LENGTH + 32];

/* --- timing ----------------------------------------------------------------- */

void note_ms(LARGE_INTEGER a, LARGE_INTEGER b, const char *what)
{
	LARGE_INTEGER f;
	double ms;

	QueryPerformanceFrequency(&f);
	ms = (double)(b.QuadPart - a.QuadPart) * 1000.0 / (double)f.QuadPart;
	if (ms > phase_worst_ms)
		phase_worst_ms = ms;
	if (ms > worst_ms) {
		worst_ms = ms;
		snprintf(worst_call, sizeof(worst_call), "%s", what);
	}
	if (ms >= 1000.0)
		fail_msg("%s took %.1f ms (limit 1000 ms)", what, ms);
}

/* The worst call since the last reset, printed under a label. */
void phase_report(const char *label)
{
	print_message("%s: worst LogonUI-thread call %.1f ms\n", label, phase_worst_ms);
	phase_worst_ms = 0;
}

/* --- registry ------------------------------------------------------------- */

void reg_set(const wchar_t *key, const wchar_t *name, DWORD type, const void *data, DWORD len)
{
	assert_int_equal(RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, name, type, data, len),
			 ERROR_SUCCESS);
}

void reg_set_sz(const wchar_t *key, const wchar_t *name, const wchar_t *v)
{
	reg_set(key, name, REG_SZ, v, (DWORD)((wcslen(v) + 1) * sizeof(wchar_t)));
}

void reg_del(const wchar_t *key, const wchar_t *name)
{
	LSTATUS st = RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, key, name);

	assert_true(st == ERROR_SUCCESS || st == ERROR_FILE_NOT_FOUND);
}

void clear_state(void)
{
	reg_del(STATE_KEY, L"PreventLoginUntil");
	reg_del(STATE_KEY, L"PreventLoginCapHours");
	reg_del(STATE_KEY, L"MigrationRunning");
	reg_del(STATE_KEY, L"FallbackAccount");
	reg_del(FERRY_KEY, L"FilterAllow");
}

void set_migrating(int on)
{
	DWORD v = 1;

	if (on)
		reg_set(STATE_KEY, L"MigrationRunning", REG_DWORD, &v, sizeof(v));
	else
		reg_del(STATE_KEY, L"MigrationRunning");
}

/* --- COM helpers ------------------------------------------------------------ */

void *create(const CLSID *clsid, const IID *iid)
{
	void *obj = NULL;

	assert_int_equal(cp_dll_create(&cp, clsid, iid, &obj), S_OK);
	assert_non_null(obj);
	return obj;
}

ICredentialProvider *provider_for(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus)
{
	ICredentialProvider *p = create(&CLSID_FerryProvider, &CP_IID_ICredentialProvider);
	HRESULT hr;

	TIMED(hr, p->lpVtbl->SetUsageScenario(p, cpus, 0));
	assert_int_equal(hr, S_OK);
	return p;
}

DWORD tile_count(ICredentialProvider *p)
{
	DWORD n = 99, def = 0;
	BOOL autologon = TRUE;
	HRESULT hr;

	TIMED(hr, p->lpVtbl->GetCredentialCount(p, &n, &def, &autologon));
	assert_int_equal(hr, S_OK);
	assert_int_equal(def, (DWORD)-1); /* CREDENTIAL_PROVIDER_NO_DEFAULT */
	assert_false(autologon);
	return n;
}

ICredentialProviderCredential *tile_at(ICredentialProvider *p, DWORD i)
{
	ICredentialProviderCredential *c = NULL;
	HRESULT hr;

	TIMED(hr, p->lpVtbl->GetCredentialAt(p, i, &c));
	assert_int_equal(hr, S_OK);
	assert_non_null(c);
	return c;
}

/* A tile of its own (V1): no ICredentialProviderCredential2, so LogonUI
 * ties it neither to a user nor to the "Other user" tile. */
void assert_v1(ICredentialProviderCredential *c)
{
	void *c2 = (void *)1;

	assert_int_equal(c->lpVtbl->QueryInterface(c, &CP_IID_ICredentialProviderCredential2, &c2),
			 E_NOINTERFACE);
	assert_null(c2);
}

/* ferrycp.dll may be unloaded once every object is gone; a tile's draw
 * thread holds its tile until the image is drawn (milliseconds). */
HRESULT can_unload_soon(void)
{
	for (int i = 0; i < 200 && cp.can_unload() != S_OK; i++)
		Sleep(50);
	return cp.can_unload();
}

void assert_string(ICredentialProviderCredential *c, DWORD id, const wchar_t *want)
{
	LPWSTR s = NULL;
	HRESULT hr;

	TIMED(hr, c->lpVtbl->GetStringValue(c, id, &s));
	assert_int_equal(hr, S_OK);
	assert_non_null(s);
	if (wcscmp(s, want) != 0)
		fail_msg("field %lu is \"%ls\", want \"%ls\"", (unsigned long)id, s, want);
	CoTaskMemFree(s);
}

void assert_state(ICredentialProviderCredential *c, DWORD id, CREDENTIAL_PROVIDER_FIELD_STATE want,
		  CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE want_i)
{
	CREDENTIAL_PROVIDER_FIELD_STATE st;
	CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE is;

	assert_int_equal(c->lpVtbl->GetFieldState(c, id, &st, &is), S_OK);
	assert_int_equal(st, want);
	assert_int_equal(is, want_i);
}

void release_provider(ICredentialProvider *p)
{
	HRESULT hr;

	TIMED(hr, p->lpVtbl->UnAdvise(p));
	assert_int_equal(hr, S_OK);
	assert_int_equal(p->lpVtbl->Release(p), 0);
	assert_int_equal(can_unload_soon(), S_OK);
}

struct ipc_experience experience(enum ipc_screen screen, const char *title, const char *body,
				 const char *user, uint32_t pct, const char *step)
{
	struct ipc_experience e;

	memset(&e, 0, sizeof(e));
	e.generation = 1;
	e.screen = screen;
	snprintf(e.title, sizeof(e.title), "%s", title);
	snprintf(e.body, sizeof(e.body), "%s", body);
	snprintf(e.target_user, sizeof(e.target_user), "%s", user);
	e.percent = pct;
	snprintf(e.step, sizeof(e.step), "%s", step);
	return e;
}

void submit(ICredentialProviderCredential *c, const wchar_t *password, struct submit *s)
{
	memset(s, 0, sizeof(*s));
	if (password)
		assert_int_equal(c->lpVtbl->SetStringValue(c, FID_PASSWORD, password), S_OK);
	TIMED(s->hr, c->lpVtbl->GetSerialization(c, &s->resp, &s->cs, &s->status, &s->icon));
}

void submit_free(struct submit *s)
{
	CoTaskMemFree(s->status);
	CoTaskMemFree(s->cs.rgbSerialization);
	memset(s, 0, sizeof(*s));
}

/* --- fixtures ---------------------------------------------------------------- */

int tiles_setup(void **state)
{
	(void)state;
	clear_state();
	return 0;
}

int tiles_teardown(void **state)
{
	(void)state;
	clear_state();
	/* Every object of every case is gone: the DLL may be unloaded. */
	return can_unload_soon() == S_OK ? 0 : -1;
}

int tiles_group_setup(void **state)
{
	(void)state;
	DWORD n = MAX_COMPUTERNAME_LENGTH + 1;

	if (!cp_dll_load(&cp) || !GetComputerNameW(host, &n))
		return -1;
	swprintf(helpdesk_label, MAX_COMPUTERNAME_LENGTH + 32, L"%ls\\ferry-helpdesk", host);
	swprintf(pipe_name, 96, L"\\\\.\\pipe\\Ferry.Sim.%lu", (unsigned long)GetCurrentProcessId());
	reg_set_sz(FERRY_KEY, L"PipeName", pipe_name);
	return 0;
}

int tiles_group_teardown(void **state)
{
	(void)state;
	reg_del(FERRY_KEY, L"PipeName");
	clear_state();
	print_message("worst LogonUI-thread call: %.1f ms (%s)\n", worst_ms, worst_call);
	cp_dll_free(&cp);
	return 0;
}
