/*
 * ferrycp.dll entry points: the DLL reference count behind DllCanUnloadNow,
 * the class-object lookup, and COM self-registration.
 *
 * Foundation state: the provider and filter classes arrive with the
 * credential-provider issue. Until then DllGetClassObject answers
 * CLASS_E_CLASSNOTAVAILABLE for every CLSID (the truth), and registration
 * writes only the two CLSIDs' InprocServer32 keys. It deliberately does not
 * write the Credential Providers or Credential Provider Filters keys, so
 * LogonUI is never pointed at a class this build cannot create.
 */
#include <windows.h>
#include <objbase.h>
#include <olectl.h>

#include "cp_dll.h"
#include "cp_guids.h"

static LONG dll_refs;
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
	return dll_refs == 0 ? S_OK : S_FALSE;
}

STDAPI DllGetClassObject(REFCLSID clsid, REFIID iid, void **out)
{
	(void)clsid;
	(void)iid;
	if (!out)
		return E_POINTER;
	*out = NULL;
	return CLASS_E_CLASSNOTAVAILABLE;
}

/* HKCR\CLSID\{clsid}\InprocServer32 = module path, ThreadingModel=Apartment. */
static HRESULT register_clsid(const wchar_t *clsid, const wchar_t *module)
{
	wchar_t path[128];
	HKEY key = NULL;
	LSTATUS st;

	wsprintfW(path, L"CLSID\\%ls\\InprocServer32", clsid);
	st = RegCreateKeyExW(HKEY_CLASSES_ROOT, path, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
	if (st == ERROR_SUCCESS)
		st = RegSetValueExW(key, NULL, 0, REG_SZ, (const BYTE *)module,
				    (DWORD)((lstrlenW(module) + 1) * sizeof(wchar_t)));
	if (st == ERROR_SUCCESS)
		st = RegSetValueExW(key, L"ThreadingModel", 0, REG_SZ, (const BYTE *)L"Apartment",
				    (DWORD)sizeof(L"Apartment"));
	if (key)
		RegCloseKey(key);
	return HRESULT_FROM_WIN32(st);
}

static HRESULT unregister_clsid(const wchar_t *clsid)
{
	wchar_t path[64];
	LSTATUS st;

	wsprintfW(path, L"CLSID\\%ls", clsid);
	st = RegDeleteTreeW(HKEY_CLASSES_ROOT, path);
	if (st == ERROR_FILE_NOT_FOUND)
		st = ERROR_SUCCESS;
	return HRESULT_FROM_WIN32(st);
}

STDAPI DllRegisterServer(void)
{
	wchar_t module[MAX_PATH];
	DWORD n = GetModuleFileNameW(dll_instance, module, MAX_PATH);
	HRESULT hr;

	if (n == 0 || n >= MAX_PATH)
		return SELFREG_E_CLASS;
	hr = register_clsid(FERRY_PROVIDER_CLSID_STR, module);
	if (SUCCEEDED(hr))
		hr = register_clsid(FERRY_FILTER_CLSID_STR, module);
	if (FAILED(hr)) {
		/* Never leave half a registration behind. */
		unregister_clsid(FERRY_PROVIDER_CLSID_STR);
		unregister_clsid(FERRY_FILTER_CLSID_STR);
		return SELFREG_E_CLASS;
	}
	return S_OK;
}

STDAPI DllUnregisterServer(void)
{
	HRESULT a = unregister_clsid(FERRY_PROVIDER_CLSID_STR);
	HRESULT b = unregister_clsid(FERRY_FILTER_CLSID_STR);

	return FAILED(a) || FAILED(b) ? SELFREG_E_CLASS : S_OK;
}
