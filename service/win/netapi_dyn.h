/*
 * netapi32 functions that not every netapi32 exports (Wine has neither
 * NetUnjoinDomain nor NetRequestOfflineDomainJoin, and mingw-w64 10 does not
 * declare the latter): resolved at run time, so a missing one is a clear
 * error at the op instead of a program that cannot start.
 */
#ifndef FERRY_SVC_NETAPI_DYN_H
#define FERRY_SVC_NETAPI_DYN_H

#include <windows.h>

#include "util/err.h"

/* lmjoin.h (Windows 7+ SDK): provision flags of NetRequestOfflineDomainJoin. */
#ifndef NETSETUP_PROVISION_ONLINE_CALLER
#define NETSETUP_PROVISION_ONLINE_CALLER 0x40000000u
#endif

typedef DWORD(WINAPI *win_net_unjoin_fn)(LPCWSTR server, LPCWSTR account, LPCWSTR password,
					 DWORD options);
/* NetRequestOfflineDomainJoin(pProvisionBinData, cbProvisionBinDataSize,
 * dwOptions, lpWindowsPath), as Microsoft's lmjoin.h declares it. */
typedef DWORD(WINAPI *win_net_request_odj_fn)(BYTE *bin, DWORD len, DWORD options,
					      LPCWSTR windows_path);

/**
 * GetProcAddress(netapi32, name) into *fn. FERRY_ENOTIMPL naming the export
 * when this system's netapi32.dll does not have it (Wine), FERRY_ESYSTEM
 * when netapi32.dll cannot be loaded at all.
 */
ferry_err win_netapi_resolve(FARPROC *fn, const char *name);

#endif
