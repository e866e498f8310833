/*
 * ferrycp.dll as LogonUI meets it: loaded by path with LoadLibraryW, its four
 * COM exports resolved, its class objects handed out only for Ferry's two
 * CLSIDs, and self-registration writing and removing exactly the CLSID keys,
 * the Credential Providers key and the Credential Provider Filters key. Runs
 * under Wine against Wine's real registry.
 */
#include <windows.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cmocka.h>

typedef HRESULT(STDAPICALLTYPE *get_class_object_fn)(REFCLSID, REFIID, void **);
typedef HRESULT(STDAPICALLTYPE *plain_fn)(void);

static const CLSID provider_clsid = {
	0x7747d03c, 0x2611, 0x4054, { 0x8a, 0x8b, 0x7a, 0x62, 0x3f, 0x1f, 0x45, 0x3a }
};
static const CLSID unknown_clsid = {
	0x01234567, 0x89ab, 0xcdef, { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef }
};
static const wchar_t cp_key[] = L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\"
				L"Credential Providers\\{7747D03C-2611-4054-8A8B-7A623F1F453A}";
static const wchar_t filter_reg_key[] =
	L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\"
	L"Credential Provider Filters\\{43C3F53E-5835-410B-8AAD-ED32A7C21A3C}";
static const wchar_t provider_key[] =
	L"CLSID\\{7747D03C-2611-4054-8A8B-7A623F1F453A}\\InprocServer32";
static const wchar_t filter_key[] =
	L"CLSID\\{43C3F53E-5835-410B-8AAD-ED32A7C21A3C}\\InprocServer32";

static wchar_t dll_path[MAX_PATH];

/* The DLL sits beside this test executable in build/windows/bin. */
static HMODULE load_dll(void)
{
	DWORD n = GetModuleFileNameW(NULL, dll_path, MAX_PATH);
	wchar_t *slash;

	assert_true(n > 0 && n < MAX_PATH);
	slash = wcsrchr(dll_path, L'\\');
	assert_non_null(slash);
	wcscpy(slash + 1, L"ferrycp.dll");
	return LoadLibraryW(dll_path);
}

static FARPROC must_resolve(HMODULE dll, const char *name)
{
	FARPROC p = GetProcAddress(dll, name);

	if (!p)
		fail_msg("export %s does not resolve", name);
	return p;
}

static void test_credprov__exports_resolve(void **state)
{
	HMODULE dll = load_dll();

	(void)state;
	assert_non_null(dll);
	must_resolve(dll, "DllGetClassObject");
	must_resolve(dll, "DllCanUnloadNow");
	must_resolve(dll, "DllRegisterServer");
	must_resolve(dll, "DllUnregisterServer");
	assert_true(FreeLibrary(dll));
}

static void test_credprov__class_objects_and_unloadable(void **state)
{
	HMODULE dll = load_dll();
	get_class_object_fn get;
	plain_fn can_unload;
	void *obj = (void *)1;
	IClassFactory *cf = NULL;

	(void)state;
	assert_non_null(dll);
	get = (get_class_object_fn)(void *)must_resolve(dll, "DllGetClassObject");
	can_unload = (plain_fn)(void *)must_resolve(dll, "DllCanUnloadNow");
	/* A class that is not ours: said so, and nothing handed out. */
	assert_int_equal(get(&unknown_clsid, &IID_IClassFactory, &obj), CLASS_E_CLASSNOTAVAILABLE);
	assert_null(obj);
	assert_int_equal(get(&provider_clsid, &IID_IClassFactory, NULL), E_POINTER);
	/* Ours: a factory that holds the DLL until it is released. */
	assert_int_equal(get(&provider_clsid, &IID_IClassFactory, (void **)&cf), S_OK);
	assert_non_null(cf);
	assert_int_equal(can_unload(), S_FALSE);
	assert_int_equal(cf->lpVtbl->Release(cf), 0);
	assert_int_equal(can_unload(), S_OK);
	FreeLibrary(dll);
}

static void read_sz(const wchar_t *key, const wchar_t *name, wchar_t *out, DWORD cap)
{
	DWORD bytes = cap * sizeof(wchar_t);
	LSTATUS st = RegGetValueW(HKEY_CLASSES_ROOT, key, name, RRF_RT_REG_SZ, NULL, out, &bytes);

	assert_int_equal(st, ERROR_SUCCESS);
}

static void test_credprov__register_then_unregister(void **state)
{
	HMODULE dll = load_dll();
	plain_fn reg, unreg;
	wchar_t value[MAX_PATH];
	DWORD bytes;
	HKEY key = NULL;

	(void)state;
	assert_non_null(dll);
	reg = (plain_fn)(void *)must_resolve(dll, "DllRegisterServer");
	unreg = (plain_fn)(void *)must_resolve(dll, "DllUnregisterServer");

	assert_int_equal(reg(), S_OK);
	read_sz(provider_key, NULL, value, MAX_PATH);
	assert_int_equal(_wcsicmp(value, dll_path), 0);
	read_sz(provider_key, L"ThreadingModel", value, MAX_PATH);
	assert_true(wcscmp(value, L"Apartment") == 0);
	read_sz(filter_key, NULL, value, MAX_PATH);
	assert_int_equal(_wcsicmp(value, dll_path), 0);
	read_sz(filter_key, L"ThreadingModel", value, MAX_PATH);
	assert_true(wcscmp(value, L"Apartment") == 0);
	bytes = sizeof(value);
	assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, cp_key, NULL, RRF_RT_REG_SZ, NULL, value,
				      &bytes), ERROR_SUCCESS);
	assert_true(wcscmp(value, L"Ferry") == 0);
	bytes = sizeof(value);
	assert_int_equal(RegGetValueW(HKEY_LOCAL_MACHINE, filter_reg_key, NULL, RRF_RT_REG_SZ, NULL,
				      value, &bytes), ERROR_SUCCESS);

	assert_int_equal(unreg(), S_OK);
	assert_int_equal(RegOpenKeyExW(HKEY_CLASSES_ROOT, provider_key, 0, KEY_READ, &key),
			 ERROR_FILE_NOT_FOUND);
	assert_int_equal(RegOpenKeyExW(HKEY_CLASSES_ROOT, filter_key, 0, KEY_READ, &key),
			 ERROR_FILE_NOT_FOUND);
	assert_int_equal(RegOpenKeyExW(HKEY_CLASSES_ROOT,
				       L"CLSID\\{7747D03C-2611-4054-8A8B-7A623F1F453A}", 0,
				       KEY_READ, &key),
			 ERROR_FILE_NOT_FOUND);
	assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, cp_key, 0, KEY_READ, &key),
			 ERROR_FILE_NOT_FOUND);
	assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, filter_reg_key, 0, KEY_READ, &key),
			 ERROR_FILE_NOT_FOUND);
	/* Unregistering twice is not an error. */
	assert_int_equal(unreg(), S_OK);
	FreeLibrary(dll);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credprov__exports_resolve),
		cmocka_unit_test(test_credprov__class_objects_and_unloadable),
		cmocka_unit_test(test_credprov__register_then_unregister),
	};
	return cmocka_run_group_tests_name("credprov_load", tests, NULL, NULL);
}
