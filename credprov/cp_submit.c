/*
 * What the two tiles with a submit button do with what was typed.
 *
 * Cache credentials: LogonUI calls Connect when the user submits (the
 * IConnectableCredentialProviderCredential::Connect page: after Submit and
 * before GetSerialization). Connect sends cache_credentials for the
 * account the runbook names (never a typed one) with a budget for a logon
 * through a trust, asks IQueryContinueWithStatus every CP_CONNECT_TICK_MS
 * whether to go on (the user may cancel) and says how long it has been
 * waiting. GetSerialization then reports the outcome once, as LogonUI's
 * status text: CPGSR_NO_CREDENTIAL_NOT_FINISHED when the user may try
 * again, CPGSR_NO_CREDENTIAL_FINISHED when it is done. If LogonUI did not
 * call Connect, GetSerialization makes the check itself within
 * CP_CALL_BUDGET_MS (docs/windows-test-plan.md checks which one Windows
 * does). Attempts are rate-limited (core/ux/logon_policy.h).
 *
 * Fallback: a KERB_INTERACTIVE_UNLOCK_LOGON for COMPUTERNAME\<hint's name>
 * (the name the FallbackAccount hint gave when the tile was made, never
 * typed), the password passed through CredProtect as Microsoft's sample
 * does, for the Negotiate package.
 *
 * Both wipe the typed password on every path before returning.
 */
#include <windows.h>
#include <ntsecapi.h>
#include <shlwapi.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wincred.h>

#include "cp_guids.h"
#include "cp_pipe.h"
#include "cp_tile.h"
#include "cp_serialize.h"
#include "util/mem.h"
#include "util/utf.h"
#include "ux/logon_outcome.h"
#include "winutil.h"

/* A logon through a trust to a far DC takes seconds, tens of seconds
 * without a reachable DC (issue 16, finding 4); the service's own
 * LogonUserExW bounds the rest. */
#define CP_CHECK_BUDGET_MS 120000u
#define CP_CONNECT_TICK_MS 100u

/* Process-wide: a tile rebuilt by LogonUI must not reset the count. */
static SRWLOCK rl_lock = SRWLOCK_INIT;
static struct logon_ratelimit rl;

static CREDENTIAL_PROVIDER_STATUS_ICON icon_of(enum logon_severity sev)
{
	switch (sev) {
	case LOGON_SEVERITY_SUCCESS: return CPSI_SUCCESS;
	case LOGON_SEVERITY_WARNING: return CPSI_WARNING;
	case LOGON_SEVERITY_ERROR: break;
	}
	return CPSI_ERROR;
}

/* The service's answer, in words a user can act on; *o = the logon outcome
 * it carried (OTHER when it carried none). */
static CREDENTIAL_PROVIDER_STATUS_ICON outcome(char *msg, size_t cap, ferry_err rc,
					       const struct ipc_reply *rep, const char *cancel,
					       enum logon_outcome *o)
{
	*o = LOGON_OUTCOME_OTHER;
	if (rc == FERRY_ETIMEOUT && cancel) {
		snprintf(msg, cap, "%s", cancel);
		return CPSI_WARNING;
	}
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
		*o = LOGON_OUTCOME_OK;
		snprintf(msg, cap, "%s", logon_outcome_text(LOGON_OUTCOME_OK));
		return CPSI_SUCCESS;
	}
	if (logon_outcome_from_code(o, rep->u.error.code)) {
		snprintf(msg, cap, "%s", logon_outcome_text(*o));
		return icon_of(logon_outcome_severity(*o));
	}
	if (!strcmp(rep->u.error.code, "busy")) {
		snprintf(msg, cap, "The migration service is busy. Try again in a minute.");
		return CPSI_WARNING;
	}
	snprintf(msg, cap, "The migration service could not check the password (%s). "
			   "Call the service desk.", rep->u.error.code);
	return CPSI_ERROR;
}

static void set_result(struct cp_tile *t, const char *msg, CREDENTIAL_PROVIDER_STATUS_ICON ic,
		       bool retry)
{
	wchar_t *w = wu_wide(msg);

	EnterCriticalSection(&t->lock);
	ferry_free(t->result.msg);
	t->result.msg = w;
	t->result.icon = ic;
	t->result.retry = retry;
	t->result.done = w != NULL;
	LeaveCriticalSection(&t->lock);
}

/* The request for the tile's account and the typed password; NULL with msg
 * set when there is nothing to send. The password field is cleared. */
static struct ipc_request *cache_request(struct cp_tile *t, char *msg, size_t cap,
					 CREDENTIAL_PROVIDER_STATUS_ICON *ic)
{
	struct ipc_request *req = ferry_calloc(1, sizeof(*req));
	uint64_t wait = 0;
	bool ok;

	EnterCriticalSection(&t->lock);
	if (!req) {
		snprintf(msg, cap, "Out of memory.");
		*ic = CPSI_ERROR;
	} else if (!t->password || !t->password[0]) {
		snprintf(msg, cap, "Enter your password.");
		*ic = CPSI_WARNING;
	} else if (!t->cache.user[0]) {
		snprintf(msg, cap, "This PC does not know your new account yet. Call the service desk.");
		*ic = CPSI_ERROR;
	} else if (!(req->u.creds.password = cp_password_utf8(t->password)) ||
		   req->u.creds.password->len > IPC_PASSWORD_MAX) {
		snprintf(msg, cap, "This password cannot be used (too long or invalid).");
		*ic = CPSI_ERROR;
	} else {
		AcquireSRWLockExclusive(&rl_lock);
		ok = logon_ratelimit_allow(&rl, GetTickCount64(), &wait);
		ReleaseSRWLockExclusive(&rl_lock);
		if (!ok) {
			snprintf(msg, cap, "Too many attempts. Wait %u seconds, then try again.",
				 (unsigned)((wait + 999) / 1000));
			*ic = CPSI_WARNING;
		} else {
			req->op = IPC_OP_CACHE_CREDENTIALS;
			req->session = IPC_NO_SESSION;
			req->id = cp_pipe_next_id();
			snprintf(req->u.creds.user, sizeof(req->u.creds.user), "%s", t->cache.user);
			snprintf(req->u.creds.domain, sizeof(req->u.creds.domain), "%s",
				 t->cache.domain);
			LeaveCriticalSection(&t->lock);
			cp_tile_clear_password(t);
			return req;
		}
	}
	LeaveCriticalSection(&t->lock);
	ipc_request_free(req);
	cp_tile_clear_password(t);
	return NULL;
}

/* The reply, in words; the rate limiter learns the outcome. */
static void cache_result(struct cp_tile *t, ferry_err rc, const struct ipc_reply *rep,
			 const char *cancel)
{
	char msg[IPC_TEXT_MAX + 128];
	enum logon_outcome o;
	CREDENTIAL_PROVIDER_STATUS_ICON ic = outcome(msg, sizeof(msg), rc, rep, cancel, &o);

	AcquireSRWLockExclusive(&rl_lock);
	logon_ratelimit_record(&rl, GetTickCount64(), o);
	ReleaseSRWLockExclusive(&rl_lock);
	cp_log("cache_credentials: %s", rc ? ferry_strerror(rc) : rep->ok ? "ok" : rep->u.error.code);
	set_result(t, msg, ic, o != LOGON_OUTCOME_OK);
}

struct connect_job {
	struct ipc_request *req;
	struct ipc_reply *rep;
	HANDLE cancel;
	ferry_err rc;
};

static DWORD WINAPI connect_call(LPVOID arg)
{
	struct connect_job *j = arg;

	j->rc = cp_pipe_call(&j->rep, j->req, CP_CHECK_BUDGET_MS, j->cancel);
	return 0;
}

HRESULT cp_submit_connect(struct cp_tile *t, IQueryContinueWithStatus *qc)
{
	struct connect_job j = { 0 };
	CREDENTIAL_PROVIDER_STATUS_ICON ic = CPSI_ERROR;
	char msg[256];
	wchar_t line[160];
	HANDLE th = NULL;
	ULONGLONG start = GetTickCount64();
	bool cancelled = false;
	unsigned shown = 0;

	if (!(j.req = cache_request(t, msg, sizeof(msg), &ic))) {
		set_result(t, msg, ic, true);
		return S_OK;
	}
	cp_log("cache_credentials for %s%s%s (Connect)", j.req->u.creds.domain,
	       j.req->u.creds.domain[0] ? "\\" : "", j.req->u.creds.user);
	j.cancel = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (j.cancel)
		th = CreateThread(NULL, 0, connect_call, &j, 0, NULL);
	if (!th) {
		/* No thread: check here, within the short budget. */
		j.rc = cp_pipe_call(&j.rep, j.req, CP_CALL_BUDGET_MS, NULL);
	} else {
		while (WaitForSingleObject(th, CP_CONNECT_TICK_MS) == WAIT_TIMEOUT) {
			unsigned secs = (unsigned)((GetTickCount64() - start) / 1000);

			if (qc && !cancelled && qc->lpVtbl->QueryContinue(qc) != S_OK) {
				cancelled = true;
				SetEvent(j.cancel); /* the pipe call returns at once */
			}
			if (qc && secs != shown) {
				shown = secs;
				swprintf(line, sizeof(line) / sizeof(line[0]),
					 L"Checking your new account with its domain... %u s", secs);
				qc->lpVtbl->SetStatusMessage(qc, line);
			}
		}
		CloseHandle(th);
	}
	cache_result(t, j.rc, j.rep,
		     cancelled ? "Cancelled. Your new account was not saved; try again when "
				 "you are ready." : NULL);
	if (j.cancel)
		CloseHandle(j.cancel);
	ipc_request_free(j.req);
	ferry_free(j.rep);
	return S_OK;
}

HRESULT cp_submit_cache(struct cp_tile *t, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			LPWSTR *status, CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	struct ipc_request *req;
	struct ipc_reply *rep = NULL;
	char msg[256];
	CREDENTIAL_PROVIDER_STATUS_ICON ic = CPSI_ERROR;
	HRESULT hr;

	if (!t->result.done) {
		/* LogonUI did not call Connect: the check within a LogonUI call's budget. */
		if ((req = cache_request(t, msg, sizeof(msg), &ic))) {
			ferry_err rc = cp_pipe_call(&rep, req, CP_CALL_BUDGET_MS, NULL);

			cache_result(t, rc, rep, NULL);
			ipc_request_free(req);
			ferry_free(rep);
		} else {
			set_result(t, msg, ic, true);
		}
	}
	cp_tile_clear_password(t);
	EnterCriticalSection(&t->lock);
	/* Shown once, by LogonUI: not also in a field of the tile. */
	hr = t->result.msg ? SHStrDupW(t->result.msg, status) : E_OUTOFMEMORY;
	*icon = t->result.icon;
	*resp = t->result.retry ? CPGSR_NO_CREDENTIAL_NOT_FINISHED : CPGSR_NO_CREDENTIAL_FINISHED;
	ferry_free(t->result.msg);
	memset(&t->result, 0, sizeof(t->result));
	LeaveCriticalSection(&t->lock);
	return hr;
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

typedef BOOL(WINAPI *cred_protect_fn)(BOOL, LPWSTR, DWORD, LPWSTR, DWORD *,
				      CRED_PROTECTION_TYPE *);

/*
 * The password as Microsoft's credential provider sample hands it to
 * LogonUI: protected with CredProtect(fAsSelf = FALSE) unless it already
 * is. Looked up at run time (advapi32 forwards it to sechost; Wine 8 has
 * it only in sechost). NULL when it cannot be protected: the caller then
 * sends the plain password, which the package also accepts.
 */
static wchar_t *protect_password(const wchar_t *pw)
{
	HMODULE m = GetModuleHandleW(L"advapi32.dll");
	cred_protect_fn protect = m ? (cred_protect_fn)(void *)GetProcAddress(m, "CredProtectW") : NULL;
	DWORD n = 0;
	wchar_t *out = NULL, *in = NULL;
	CRED_PROTECTION_TYPE type;

	if (!protect && (m = GetModuleHandleW(L"sechost.dll")))
		protect = (cred_protect_fn)(void *)GetProcAddress(m, "CredProtectW");
	if (!protect || !pw[0])
		return NULL;
	/* CredProtectW takes a writable buffer. */
	if (!(in = ferry_calloc(wcslen(pw) + 1, sizeof(wchar_t))))
		return NULL;
	wcscpy(in, pw);
	if (!protect(FALSE, in, (DWORD)wcslen(in) + 1, NULL, &n, &type) &&
	    GetLastError() == ERROR_INSUFFICIENT_BUFFER && n && (out = ferry_calloc(n, sizeof(wchar_t))) &&
	    !protect(FALSE, in, (DWORD)wcslen(in) + 1, out, &n, &type)) {
		ferry_free(out);
		out = NULL;
	}
	ferry_wipe(in, wcslen(in) * sizeof(wchar_t));
	ferry_free(in);
	return out;
}

HRESULT cp_submit_fallback(struct cp_tile *t,
			   CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE *resp,
			   CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, LPWSTR *status,
			   CREDENTIAL_PROVIDER_STATUS_ICON *icon)
{
	const wchar_t *msg = NULL;
	wchar_t *pw = NULL, *protected_pw = NULL;
	ULONG package = 0;
	HRESULT hr;

	*resp = CPGSR_NO_CREDENTIAL_NOT_FINISHED;
	EnterCriticalSection(&t->lock);
	pw = t->password;
	t->password = NULL; /* ours now: wiped below */
	LeaveCriticalSection(&t->lock);
	hr = negotiate_package(&package);
	if (FAILED(hr)) {
		msg = L"Windows' logon service (LSA) did not answer. Restart the PC.";
	} else {
		protected_pw = protect_password(pw ? pw : L"");
		if (!protected_pw && pw && pw[0])
			cp_log("fallback: CredProtect unavailable: the password goes unprotected");
		/* The account is the hint's, read when the tile was made: never typed. */
		hr = cp_fallback_serialize(cs, package, t->cpus, t->fb_domain, t->fb_user,
					   protected_pw ? protected_pw : pw ? pw : L"");
		if (hr == E_INVALIDARG)
			msg = L"The fallback account's name cannot be used. Call the service desk.";
		else if (SUCCEEDED(hr))
			*resp = CPGSR_RETURN_CREDENTIAL_FINISHED;
	}
	if (FAILED(hr))
		cp_log("fallback: no credential (0x%08lx)", (unsigned long)hr);
	if (pw) {
		ferry_wipe(pw, wcslen(pw) * sizeof(wchar_t));
		ferry_free(pw);
	}
	if (protected_pw) {
		ferry_wipe(protected_pw, wcslen(protected_pw) * sizeof(wchar_t));
		ferry_free(protected_pw);
	}
	cp_tile_clear_password(t);
	if (msg) {
		*icon = CPSI_ERROR;
		return SHStrDupW(msg, status);
	}
	return hr;
}
