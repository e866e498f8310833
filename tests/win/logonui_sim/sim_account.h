/*
 * The fallback account as the service creates it, for the suites whose
 * filter checks that it exists (NetUserGetInfo on the local SAM; Wine keeps
 * accounts NetUserAdd made for the process's life). Header-only.
 */
#ifndef FERRY_SIM_ACCOUNT_H
#define FERRY_SIM_ACCOUNT_H

#include <windows.h>
#include <lm.h>

#include <stdbool.h>
#include <string.h>

/** Add local account `name` (at most 20 characters); true when it exists afterwards. */
static inline bool sim_account_add(const wchar_t *name, wchar_t *password)
{
	USER_INFO_1 ui;
	DWORD err = 0;
	NET_API_STATUS st;

	memset(&ui, 0, sizeof(ui));
	ui.usri1_name = (LPWSTR)name;
	ui.usri1_password = password;
	ui.usri1_priv = USER_PRIV_USER;
	ui.usri1_flags = UF_SCRIPT | UF_NORMAL_ACCOUNT;
	st = NetUserAdd(NULL, 1, (LPBYTE)&ui, &err);
	return st == NERR_Success || st == NERR_UserExists;
}

#endif
