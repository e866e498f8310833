/*
 * ferrycp.dll entry points: the DLL reference count behind DllCanUnloadNow,
 * the class factory for the provider and the filter, and COM
 * self-registration.
 *
 * Registration writes exactly these keys and DllUnregisterServer removes
 * exactly them (docs/credprov.md):
 *   HKCR\CLSID\{provider}            (default) "Ferry credential provider"
 *   HKCR\CLSID\{provider}\InprocServer32  (default) DLL path, ThreadingModel Apartment
 *   HKCR\CLSID\{filter}              (default) "Ferry credential provider filter"
 *   HKCR\CLSID\{filter}\InprocServer32    (default) DLL path, ThreadingModel Apartment
 *   HKLM\...\Authentication\Credential Providers\{provider}        (default) "Ferry"
 *   HKLM\...\Authentication\Credential Provider Filters\{filter}   (default) "Ferry"
 */
#include <windows.h>
#include <objbase.h>
#include <olectl.h>

#include "cp_dll.h"
#include "cp_guids.h"
#include "cp_provider.h"
#include "util/mem.h"

#define AUTH_KEY L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\"
#define PROVIDERS_KEY AUTH_KEY L"Credential Providers\\"
#define FILTERS_KEY AUTH_KEY L"Credential Provider Filters\\"

static volatile LONG dll_refs;
static HINSTANCE dll_instance;

void cp_dll_addref(void)
{
	InterlockedIncrement(&dll_refs);
}

void cp_dll_release(void)
{
	InterlockedDecrement(&dll_refs);
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)reserved;
	if (reason == DLL_PROCESS_ATTACH) {
		dll_instance = instance;
		DisableThreadLibraryCalls(instance);
	}
	return TRUE;
}

STDAPI DllCanUnloadNow(void)
{
	return InterlockedCompareExchange(&dll_refs, 0, 0) == 0 ? S_OK : S_FALSE;
}

/* --- class factory ---------------------------------------------------------- */

struct cp_factory {
	IClassFactory iface;
	volatile LONG refs;
	HRESULT (*create)(REFIID iid, void **out);
};

#define FACTORY(p) ((struct cp_factory *)(void *)(p))

static HRESULT STDMETHODCALLTYPE cf_query(IClassFactory *This, REFIID iid, void **out)
{
	if (!out)
		return E_POINTER;
	*out = NULL;
	if (!IsEqualIID(iid, &IID_IUnknown) && !IsEqualIID(iid, &IID_IClassFactory))
		return E_NOINTERFACE;
	InterlockedIncrement(&FACTORY(This)->refs);
	*out = This;
	return S_OK;
}

static ULONG STDMETHODCALLTYPE cf_addref(IClassFactory *This)
{
	return (ULONG)InterlockedIncrement(&FACTORY(This)->refs);
}

static ULONG STDMETHODCALLTYPE cf_release(IClassFactory *This)
{
	LONG n = InterlockedDecrement(&FACTORY(This)->refs);

	if (n == 0) {
		ferry_free(This);
		cp_dll_release();
	}
	return (ULONG)n;
}

static HRESULT STDMETHODCALLTYPE cf_create(IClassFactory *This, IUnknown *outer, REFIID iid,
					   void **out)
{
	if (!out)
		return E_POINTER;
	*out = NULL;
	if (outer)
		return CLASS_E_NOAGGREGATION;
	return FACTORY(This)->create(iid, out);
}

static HRESULT STDMETHODCALLTYPE cf_lock(IClassFactory *This, BOOL lock)
{
	(void)This;
	if (lock)
		cp_dll_addref();
	else
		cp_dll_release();
	return S_OK;
}

static const IClassFactoryVtbl factory_vtbl = {
	.QueryInterface = cf_query,
	.AddRef = cf_addref,
	.Release = cf_release,
	.CreateInstance = cf_create,
	.LockServer = cf_lock,
};

STDAPI DllGetClassObject(REFCLSID clsid, REFIID iid, void **out)
{
	struct cp_factory *f;
	HRESULT hr;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (!clsid || !iid)
		return E_INVALIDARG;
	if (!IsEqualCLSID(clsid, &CLSID_FerryProvider) && !IsEqualCLSID(clsid, &CLSID_FerryFilter))
		return CLASS_E_CLASSNOTAVAILABLE;
	f = ferry_calloc(1, sizeof(*f));
	if (!f)
		return E_OUTOFMEMORY;
	f->iface.lpVtbl = (IClassFactoryVtbl *)&factory_vtbl;
	f->refs = 1;
	f->create = IsEqualCLSID(clsid, &CLSID_FerryProvider) ? cp_provider_create
							      : cp_filter_create;
	cp_dll_addref();
	hr = cf_query(&f->iface, iid, out);
	cf_release(&f->iface);
	return hr;
}

/* --- registration ----------------------------------------------------------- */

static LSTATUS set_sz(HKEY root, const wchar_t *path, const wchar_t *name, const wchar_t *value)
{
	HKEY key = NULL;
	LSTATUS st = RegCreateKeyExW(root, path, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);

	if (st == ERROR_SUCCESS)
		st = RegSetValueExW(key, name, 0, REG_SZ, (const BYTE *)value,
				    (DWORD)((lstrlenW(value) + 1) * sizeof(wchar_t)));
	if (key)
		RegCloseKey(key);
	return st;
}

static LSTATUS register_class(const wchar_t *clsid, const wchar_t *name, const wchar_t *module)
{
	wchar_t path[128];
	LSTATUS st;

	wsprintfW(path, L"CLSID\\%ls", clsid);
	st = set_sz(HKEY_CLASSES_ROOT, path, NULL, name);
	wsprintfW(path, L"CLSID\\%ls\\InprocServer32", clsid);
	if (st == ERROR_SUCCESS)
		st = set_sz(HKEY_CLASSES_ROOT, path, NULL, module);
	if (st == ERROR_SUCCESS)
		st = set_sz(HKEY_CLASSES_ROOT, path, L"ThreadingModel", L"Apartment");
	return st;
}

static LSTATUS delete_tree(HKEY root, const wchar_t *prefix, const wchar_t *clsid)
{
	wchar_t path[256];
	LSTATUS st;

	wsprintfW(path, L"%ls%ls", prefix, clsid);
	st = RegDeleteTreeW(root, path); /* the key itself and everything under it */
	return st == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : st;
}

STDAPI DllUnregisterServer(void)
{
	LSTATUS st[4] = {
		delete_tree(HKEY_LOCAL_MACHINE, PROVIDERS_KEY, FERRY_PROVIDER_CLSID_STR),
		delete_tree(HKEY_LOCAL_MACHINE, FILTERS_KEY, FERRY_FILTER_CLSID_STR),
		delete_tree(HKEY_CLASSES_ROOT, L"CLSID\\", FERRY_PROVIDER_CLSID_STR),
		delete_tree(HKEY_CLASSES_ROOT, L"CLSID\\", FERRY_FILTER_CLSID_STR),
	};

	for (int i = 0; i < 4; i++) {
		if (st[i] != ERROR_SUCCESS)
			return SELFREG_E_CLASS;
	}
	return S_OK;
}

STDAPI DllRegisterServer(void)
{
	wchar_t module[MAX_PATH];
	DWORD n = GetModuleFileNameW(dll_instance, module, MAX_PATH);
	LSTATUS st;

	if (n == 0 || n >= MAX_PATH)
		return SELFREG_E_CLASS;
	/* The classes first, so LogonUI is never pointed at a class COM cannot find. */
	st = register_class(FERRY_PROVIDER_CLSID_STR, L"Ferry credential provider", module);
	if (st == ERROR_SUCCESS)
		st = register_class(FERRY_FILTER_CLSID_STR, L"Ferry credential provider filter",
				    module);
	if (st == ERROR_SUCCESS)
		st = set_sz(HKEY_LOCAL_MACHINE, PROVIDERS_KEY FERRY_PROVIDER_CLSID_STR, NULL,
			    L"Ferry");
	if (st == ERROR_SUCCESS)
		st = set_sz(HKEY_LOCAL_MACHINE, FILTERS_KEY FERRY_FILTER_CLSID_STR, NULL, L"Ferry");
	if (st != ERROR_SUCCESS) {
		/* Never leave half a registration behind. */
		DllUnregisterServer();
		return SELFREG_E_CLASS;
	}
	return S_OK;
}
