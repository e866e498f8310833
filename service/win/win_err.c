#include "win/win_err.h"

#include <stdio.h>

ferry_err win_error(ferry_err code, const char *api, unsigned long win32)
{
	return ferry_error_set(code, "%s failed: Win32 error %lu (0x%08lx)", api, win32, win32);
}

ferry_err win_last_error(const char *api)
{
	unsigned long e = GetLastError();
	ferry_err code = FERRY_ESYSTEM;

	if (e == ERROR_ACCESS_DENIED || e == ERROR_PRIVILEGE_NOT_HELD)
		code = FERRY_EPERM;
	else if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
		code = FERRY_ENOTFOUND;
	else if (e == ERROR_NOT_ENOUGH_MEMORY || e == ERROR_OUTOFMEMORY)
		code = FERRY_ENOMEM;
	return win_error(code, api, e);
}
