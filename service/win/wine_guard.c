#include <windows.h>

#include "win/wine_guard.h"

bool win_under_wine(void)
{
	HMODULE nt = GetModuleHandleW(L"ntdll.dll");
	return nt && GetProcAddress(nt, "wine_get_version") != NULL;
}

ferry_err win_wine_stub_guard(const char *api)
{
	if (!win_under_wine())
		return FERRY_OK;
	return ferry_error_set(FERRY_ENOTIMPL,
			       "%s is an unimplemented stub under Wine (calling it aborts the process); "
			       "this operation needs real Windows", api);
}
