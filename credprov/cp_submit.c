/*
 * What the two tiles with a submit button do with what was typed.
 *
 * Cache credentials: the account and password go to the service
 * (cache_credentials) within CP_CALL_BUDGET_MS; the outcome is shown in the
 * tile's status line and returned as LogonUI's status text with
 * CPGSR_NO_CREDENTIAL_FINISHED (nobody is logged on by this tile).
 *
 * Fallback: a KERB_INTERACTIVE_UNLOCK_LOGON for `.\name` (kerb_logon_pack),
 * for the Negotiate package, returned to LogonUI for a real logon.
 *
 * Both wipe the typed password on every path before returning.
 */
#include <windows.h>
#include <ntsecapi.h>
#include <shlwapi.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "cp_guids.h"
#include "cp_pipe.h"
#include "cp_tile.h"
#include "cp_serialize.h"
#include "util/mem.h"
#include "util/utf.h"
#include "ux/logon_outcome.h"

/* Show msg (UTF-8) in the status field and as LogonUI's status text. */
static HRESULT show_status(struct cp_tile *t, const char *msg, CREDENTIAL_PROVIDER_STATUS_ICON ic,
			   LPWSTR *status, CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	uint16_t *w = NULL;
	size_t n = 0;
	HRESULT hr;

	if (ferry_utf8_to_utf16(&w, &n, msg, strlen(msg)) != FERRY_OK)
		return E_OUTOFMEMORY;
	cp_tile_set_text(t, CP_FID_STATUS, (const wchar_t *)w);
	hr = SHStrDupW((const wchar_t *)w, status);
	ferry_free(w);
	*icon = ic;
	return hr;
}

static CREDENTIAL_PROVIDER_STATUS_ICON icon_of(enum logon_severity sev)
{
	switch (sev) {
	case LOGON_SEVERITY_SUCCESS: return CPSI_SUCCESS;
	case LOGON_SEVERITY_WARNING: return CPSI_WARNING;
	case LOGON_SEVERITY_ERROR: break;
	}
	return CPSI_ERROR;
}

/* The service's answer, in words a user can act on. A logon outcome's code
 * maps to its text and icon through core/ux (the one vocabulary); the
 * other codes are the pipe's own. */
static CREDENTIAL_PROVIDER_STATUS_ICON outcome(char *msg, size_t cap, ferry_err rc,
					       const struct ipc_reply *rep)
{
	enum logon_outcome o;

	if (rc == FERRY_ETIMEOUT) {
		snprintf(msg, cap, "The migration service did not answer in time. "
				   "Wait a minute, then try again.");
		return CPSI_WARNING;
	}
	if (rc != FERRY_OK) {
		snprintf(msg, cap, "The migration service is not available. "
				   "Try again later, or call the service desk.");
		return CPSI_ERROR;
	}
	if (rep->ok) {
		snprintf(msg, cap, "Your new account is saved on this PC. "
				   "You can sign in with it after the move.");
		return CPSI_SUCCESS;
	}
	if (logon_outcome_from_code(&o, rep->u.error.code)) {
		snprintf(msg, cap, "%s", logon_outcome_text(o));
		return icon_of(logon_outcome_severity(o));
	}
	if (!strcmp(rep->u.error.code, "busy")) {
		snprintf(msg, cap, "The migration service is busy. Try again in a minute.");
		return CPSI_WARNING;
	}
	snprintf(msg, cap, "The migration service could not check the password (%s). "
			   "Call the service desk.", rep->u.error.code);
	return CPSI_ERROR;
}

HRESULT cp_submit_cache(struct cp_tile *t, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			LPWSTR *status, CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	struct ipc_request *req = NULL;
	struct ipc_reply *rep = NULL;
	char msg[IPC_TEXT_MAX + 128];
	CREDENTIAL_PROVIDER_STATUS_ICON ic = CPSI_ERROR;
	ferry_err rc;

	*resp = CPGSR_NO_CREDENTIAL_FINISHED;
	req = ferry_calloc(1, sizeof(*req));
	if (!req) {
		cp_tile_clear_password(t);
		return E_OUTOFMEMORY;
	}
	req->op = IPC_OP_CACHE_CREDENTIALS;
	req->session = IPC_NO_SESSION;
	if (!t->password || !t->password[0]) {
		snprintf(msg, sizeof(msg), "Enter your password.");
		ic = CPSI_WARNING;
	} else if (!cp_split_account(t->text[CP_FID_USER], req->u.creds.user, req->u.creds.domain,
				  sizeof(req->u.creds.user))) {
		snprintf(msg, sizeof(msg), "Enter your account as DOMAIN\\name or name@domain.");
		ic = CPSI_WARNING;
	} else if (!(req->u.creds.password = cp_password_utf8(t->password)) ||
		   req->u.creds.password->len > IPC_PASSWORD_MAX) {
		snprintf(msg, sizeof(msg), "This password cannot be used (too long or invalid).");
	} else {
		req->id = cp_pipe_next_id();
		cp_log("cache_credentials for %s\\%s", req->u.creds.domain, req->u.creds.user);
		rc = cp_pipe_call(&rep, req, CP_CALL_BUDGET_MS, NULL);
		ic = outcome(msg, sizeof(msg), rc, rep);
		cp_log("cache_credentials: %s", rc ? ferry_strerror(rc) : rep->ok ? "ok" : rep->u.error.code);
	}
	/* Sent or not, the password goes now: the request copy and the field. */
	ipc_request_free(req);
	cp_tile_clear_password(t);
	ferry_free(rep);
	return show_status(t, msg, ic, status, icon);
}

/* The Negotiate package's id, as LsaLogonUser will be called with it. */
static HRESULT negotiate_package(ULONG *out)
{
	HANDLE lsa = NULL;
	LSA_STRING name;
	NTSTATUS st;
	char pkg[] = "Negotiate";

	st = LsaConnectUntrusted(&lsa);
	if (st != 0)
		return HRESULT_FROM_NT(st);
	name.Buffer = pkg;
	name.Length = (USHORT)strlen(pkg);
	name.MaximumLength = (USHORT)(name.Length + 1);
	st = LsaLookupAuthenticationPackage(lsa, &name, out);
	LsaDeregisterLogonProcess(lsa);
	return st == 0 ? S_OK : HRESULT_FROM_NT(st);
}

HRESULT cp_submit_fallback(struct cp_tile *t,
			   CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			   CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, LPWSTR *status,
			   CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	const char *msg = NULL;
	ULONG package = 0;
	HRESULT hr;

	*resp = CPGSR_NO_CREDENTIAL_FINISHED;
	hr = negotiate_package(&package);
	if (FAILED(hr)) {
		msg = "Windows' logon service (LSA) did not answer. Restart the PC.";
	} else {
		hr = cp_fallback_serialize(cs, package, t->cpus, t->text[CP_FID_USER],
					   t->password ? t->password : L"");
		if (hr == E_INVALIDARG)
			msg = "Enter the fallback account as .\\name, and its password.";
		else if (SUCCEEDED(hr))
			*resp = CPGSR_RETURN_CREDENTIAL_FINISHED;
	}
	if (FAILED(hr))
		cp_log("fallback: no credential (0x%08lx)", (unsigned long)hr);
	cp_tile_clear_password(t);
	if (msg)
		return show_status(t, msg, CPSI_ERROR, status, icon);
	return hr;
}
