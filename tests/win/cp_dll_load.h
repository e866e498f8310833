/*
 * ferrycp.dll loaded the way LogonUI loads it, for the suites that drive it
 * through COM (test_credprov_filter.c, logonui_sim/tile_harness.c): LoadLibrary
 * from beside the test, DllGetClassObject -> IClassFactory ->
 * CreateInstance, DllCanUnloadNow. Header-only, like svc_client.h.
 */
#ifndef FERRY_TESTS_CP_DLL_LOAD_H
#define FERRY_TESTS_CP_DLL_LOAD_H

#include <windows.h>
#include <objbase.h>

#include <stdbool.h>
#include <wchar.h>

typedef HRESULT(STDAPICALLTYPE *cp_get_class_object_fn)(REFCLSID, REFIID, void **);
typedef HRESULT(STDAPICALLTYPE *cp_can_unload_fn)(void);

struct cp_dll {
	HMODULE dll;
	cp_get_class_object_fn get_class_object;
	cp_can_unload_fn can_unload;
};

/** Load ferrycp.dll from the test's own folder; false when it or an export is missing. */
static inline bool cp_dll_load(struct cp_dll *d)
{
	wchar_t path[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
	wchar_t *slash = wcsrchr(path, L'\\');

	d->dll = NULL;
	if (n == 0 || n >= MAX_PATH || !slash)
		return false;
	wcscpy(slash + 1, L"ferrycp.dll");
	if (!(d->dll = LoadLibraryW(path)))
		return false;
	d->get_class_object =
		(cp_get_class_object_fn)(void *)GetProcAddress(d->dll, "DllGetClassObject");
	d->can_unload = (cp_can_unload_fn)(void *)GetProcAddress(d->dll, "DllCanUnloadNow");
	return d->get_class_object && d->can_unload;
}

static inline void cp_dll_free(struct cp_dll *d)
{
	if (d->dll)
		FreeLibrary(d->dll);
	d->dll = NULL;
}

/**
 * A new object of `clsid` for `iid` through the DLL's class factory, which
 * is released again (its count must drop to 0). S_OK or the failing HRESULT.
 */
static inline HRESULT cp_dll_create(const struct cp_dll *d, const CLSID *clsid, const IID *iid,
				    void **out)
{
	IClassFactory *cf = NULL;
	HRESULT hr = d->get_class_object(clsid, &IID_IClassFactory, (void **)&cf);

	*out = NULL;
	if (FAILED(hr))
		return hr;
	hr = cf->lpVtbl->CreateInstance(cf, NULL, iid, out);
	if (cf->lpVtbl->Release(cf) != 0 && SUCCEEDED(hr))
		hr = E_UNEXPECTED; /* the factory kept a reference */
	return hr;
}

#endif
