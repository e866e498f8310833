#include "win/netapi_dyn.h"

#include "win/win_err.h"

ferry_err win_netapi_resolve(FARPROC *fn, const char *name)
{
	/* netapi32 is an import of ferrywin already, so this only takes a
	 * reference; never freed (the pointer must stay valid). */
	HMODULE m = LoadLibraryExW(L"netapi32.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);

	*fn = NULL;
	if (!m)
		return win_last_error("LoadLibraryExW(netapi32.dll)");
	*fn = GetProcAddress(m, name);
	if (!*fn)
		return ferry_error_set(FERRY_ENOTIMPL,
				       "netapi32.dll on this system has no %s export (Win32 error %lu); "
				       "this Windows (or Wine) cannot perform the operation",
				       name, (unsigned long)GetLastError());
	return FERRY_OK;
}
