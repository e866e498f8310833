/*
 * The pipe server: \\.\pipe\Ferry.Agent, message mode, a bounded pool of
 * SVC_PIPE_INSTANCES instances, each served by its own thread with
 * overlapped I/O so that every wait also watches the stop event and a
 * per-connection read timeout.
 *
 * Per connection: bytes -> ipc_decoder -> frame -> caller (impersonate the
 * client once, read its token, revert) -> admission (core/ipc/admit: at
 * most SVC_PIPE_PER_SESSION connections per session, SVC_PIPE_RESERVED_SYSTEM
 * instances only for SYSTEM; else `busy` and closed) -> ipc_request_parse ->
 * authz + op (svc_dispatch) -> reply frame. Every connection lives at most
 * SVC_CONN_LIFETIME_MS in all (each read waits at most what is left of it,
 * and SVC_READ_TIMEOUT_MS), so a held instance always comes back. A frame the decoder refuses gets a
 * bad_frame (or unsupported_version) reply with id 0; a request that does
 * not parse, or that authz refuses, gets its error reply; in all three
 * cases the connection is then closed. Other instances keep serving.
 *
 * The security descriptor, from SDDL:
 *   O:SYG:SYD:P(A;;GA;;;SY)(A;;0x12018b;;;IU)
 * Owner SYSTEM, set explicitly: the clients check it (winutil/wu_pipe.c),
 * and a user cannot create an object owned by SYSTEM. SYSTEM has full
 * control; interactive users get FILE_GENERIC_READ | FILE_WRITE_DATA |
 * FILE_WRITE_ATTRIBUTES and nothing else: not FILE_APPEND_DATA, which on a
 * pipe is FILE_CREATE_PIPE_INSTANCE (GENERIC_WRITE would include it), so no
 * user can add an instance of the service's pipe. Protected from inheritance.
 */
#include "svc/svc.h"

#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "ipc/admit.h"
#include "util/mem.h"
#include "win/win_err.h"

#define PIPE_SDDL L"O:SYG:SYD:P(A;;GA;;;SY)(A;;0x12018b;;;IU)"
#define PIPE_BUF (IPC_PAYLOAD_MAX + IPC_HEADER_SIZE)
#define READ_CHUNK 16384u
/* After an error reply the connection closes, and DisconnectNamedPipe drops
 * unread data: the client gets this long to read the reply (it is one
 * message already in its pipe buffer, so a live client needs microseconds). */
#define DRAIN_MS 500
#define WRITE_TIMEOUT_MS 10000

struct svc_pipe {
	struct svc_agent *agent;
	HANDLE stop; /* manual reset */
	HANDLE pipes[SVC_PIPE_INSTANCES];
	HANDLE threads[SVC_PIPE_INSTANCES];
	size_t n;
	PSECURITY_DESCRIPTOR sd;
	CRITICAL_SECTION caps_lock; /* guards caps */
	struct ipc_admit caps;
};

struct conn {
	struct svc_pipe *srv;
	HANDLE pipe;
	OVERLAPPED ov;
	uint8_t *buf;
	bool have_caller;
	bool admitted;        /* counted in srv->caps until the connection ends */
	ULONGLONG deadline;   /* the end of this connection's life */
	struct ipc_caller caller;
};

/* The token user's SID as text (the identity mapping's key); "" if it cannot be said. */
static void caller_sid(PSID sid, char *out, size_t cap)
{
	char *text = NULL;

	out[0] = '\0';
	if (ConvertSidToStringSidA(sid, &text)) {
		if (strlen(text) < cap)
			memcpy(out, text, strlen(text) + 1);
		LocalFree(text);
	}
}

ferry_err svc_caller_from_token(HANDLE token, struct ipc_caller *out)
{
	uint8_t user_buf[256], interactive[SECURITY_MAX_SID_SIZE];
	TOKEN_USER *user = (TOKEN_USER *)(void *)user_buf;
	TOKEN_GROUPS *groups = NULL;
	DWORD len = 0, sid_len = sizeof(interactive), session = 0;
	ferry_err err = FERRY_OK;

	out->cls = IPC_CALLER_OTHER;
	out->session = IPC_NO_SESSION;
	out->sid[0] = '\0';
	if (!GetTokenInformation(token, TokenSessionId, &session, sizeof(session), &len))
		return win_last_error("GetTokenInformation(TokenSessionId)");
	out->session = session;
	if (!GetTokenInformation(token, TokenUser, user, sizeof(user_buf), &len))
		return win_last_error("GetTokenInformation(TokenUser)");
	caller_sid(user->User.Sid, out->sid, sizeof(out->sid));
	if (IsWellKnownSid(user->User.Sid, WinLocalSystemSid)) {
		out->cls = IPC_CALLER_SYSTEM;
		return FERRY_OK;
	}
	if (!CreateWellKnownSid(WinInteractiveSid, NULL, interactive, &sid_len))
		return win_last_error("CreateWellKnownSid(Interactive)");
	GetTokenInformation(token, TokenGroups, NULL, 0, &len);
	if (!len || !(groups = ferry_malloc(len)))
		return ferry_error_set(FERRY_ENOMEM, "token groups: out of memory");
	if (!GetTokenInformation(token, TokenGroups, groups, len, &len)) {
		err = win_last_error("GetTokenInformation(TokenGroups)");
	} else {
		for (DWORD i = 0; i < groups->GroupCount; i++)
			if ((groups->Groups[i].Attributes & SE_GROUP_ENABLED) &&
			    EqualSid(groups->Groups[i].Sid, interactive))
				out->cls = IPC_CALLER_INTERACTIVE_USER;
	}
	ferry_free(groups);
	return err;
}

static ferry_err caller_of(struct conn *c)
{
	HANDLE tok = NULL;
	ferry_err err;

	if (c->have_caller)
		return FERRY_OK;
	if (!ImpersonateNamedPipeClient(c->pipe))
		return win_last_error("ImpersonateNamedPipeClient");
	if (!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok))
		err = win_last_error("OpenThreadToken");
	else
		err = FERRY_OK;
	if (!RevertToSelf()) { /* never keep running as the client */
		svc_log_event(SVC_EV_FAILURE, "RevertToSelf failed (%lu); stopping",
			      (unsigned long)GetLastError());
		ExitProcess(1);
	}
	if (err == FERRY_OK)
		err = svc_caller_from_token(tok, &c->caller);
	if (tok)
		CloseHandle(tok);
	c->have_caller = err == FERRY_OK;
	return err;
}

/* Wait for the overlapped op started with result `ok`. FERRY_ETIMEOUT after
 * timeout_ms, FERRY_EBUSY when the server stops, FERRY_EIO when the client left. */
static ferry_err io_finish(struct conn *c, BOOL ok, DWORD *n, DWORD timeout_ms)
{
	HANDLE hs[2] = { c->ov.hEvent, c->srv->stop };
	DWORD e = ok ? ERROR_SUCCESS : GetLastError(), w;

	*n = 0;
	if (!ok && e != ERROR_IO_PENDING && e != ERROR_MORE_DATA)
		return win_error(FERRY_EIO, "pipe I/O", e);
	w = ok || e == ERROR_MORE_DATA ? WAIT_OBJECT_0 : WaitForMultipleObjects(2, hs, FALSE, timeout_ms);
	if (w != WAIT_OBJECT_0) {
		CancelIoEx(c->pipe, &c->ov);
		GetOverlappedResult(c->pipe, &c->ov, n, TRUE);
		*n = 0;
		return w == WAIT_TIMEOUT ? ferry_error_set(FERRY_ETIMEOUT, "pipe: client idle") :
					   ferry_error_set(FERRY_EBUSY, "pipe: stopping");
	}
	if (!GetOverlappedResult(c->pipe, &c->ov, n, FALSE) && GetLastError() != ERROR_MORE_DATA)
		return win_error(FERRY_EIO, "GetOverlappedResult", GetLastError());
	return FERRY_OK;
}

static ferry_err read_some(struct conn *c, DWORD *n, DWORD timeout_ms)
{
	ResetEvent(c->ov.hEvent);
	return io_finish(c, ReadFile(c->pipe, c->buf, READ_CHUNK, NULL, &c->ov), n, timeout_ms);
}

static ferry_err send_reply(struct conn *c, const struct ipc_reply *reply)
{
	struct ferry_buf out;
	DWORD put = 0;
	ferry_err err;

	ferry_buf_init(&out, PIPE_BUF);
	err = ipc_reply_build(&out, reply);
	if (err == FERRY_OK) {
		ResetEvent(c->ov.hEvent);
		err = io_finish(c, WriteFile(c->pipe, out.data, (DWORD)out.len, NULL, &c->ov), &put,
				WRITE_TIMEOUT_MS);
		if (err == FERRY_OK && put != out.len)
			err = ferry_error_set(FERRY_EIO, "pipe: short write");
	}
	ferry_buf_free(&out);
	return err;
}

/* After an error reply: give the client time to read it, then close. */
static void drain(struct conn *c)
{
	DWORD n;
	ULONGLONG end = GetTickCount64() + DRAIN_MS;

	while (GetTickCount64() < end && read_some(c, &n, DRAIN_MS) == FERRY_OK)
		;
}

/* Count the connection once its caller is known; false: over the caps. */
static bool admit(struct conn *c)
{
	struct ipc_authz_decision d;

	if (c->admitted)
		return true;
	EnterCriticalSection(&c->srv->caps_lock);
	d = ipc_admit_take(&c->srv->caps, &c->caller);
	LeaveCriticalSection(&c->srv->caps_lock);
	if (!d.allow)
		svc_log("pipe: refused a class-%d caller in session %lu: %s", (int)c->caller.cls,
			(unsigned long)c->caller.session, d.reason);
	c->admitted = d.allow;
	return d.allow;
}

static void release(struct conn *c)
{
	if (!c->admitted)
		return;
	EnterCriticalSection(&c->srv->caps_lock);
	ipc_admit_release(&c->srv->caps, &c->caller);
	LeaveCriticalSection(&c->srv->caps_lock);
	c->admitted = false;
}

/* What is left of this connection's life, bounded by the idle timeout. */
static DWORD read_budget(const struct conn *c)
{
	ULONGLONG now = GetTickCount64();
	ULONGLONG left = now >= c->deadline ? 0 : c->deadline - now;

	return left < SVC_READ_TIMEOUT_MS ? (DWORD)left : SVC_READ_TIMEOUT_MS;
}

/* One frame. Returns false when the connection must close. */
static bool handle_frame(struct conn *c, struct ipc_frame *f)
{
	struct ipc_request *r = NULL;
	struct ipc_reply *reply = ferry_calloc(1, sizeof(*reply));
	bool keep = false;
	ferry_err err;

	if (!reply)
		return false;
	if ((err = caller_of(c)) != FERRY_OK) {
		svc_log("pipe: cannot identify the caller: %s", ferry_error_detail());
		ipc_reply_error(reply, f->id, "denied", "the caller could not be identified");
	} else if (!admit(c)) {
		ipc_reply_error(reply, f->id, "busy", "too many pipe connections; try again later");
	} else if ((err = ipc_request_parse(&r, f)) != FERRY_OK) {
		ipc_reply_error(reply, f->id, ipc_error_code(err), ferry_error_detail());
	} else {
		/* A long poll ends within the connection's life, so it is bounded too. */
		if (r->op == IPC_OP_SUBSCRIBE) {
			ULONGLONG now = GetTickCount64();
			uint32_t left = now < c->deadline ? (uint32_t)(c->deadline - now) : 0;

			if (r->u.subscribe.timeout_ms > left)
				r->u.subscribe.timeout_ms = left ? left : 1;
		}
		svc_dispatch(c->srv->agent, &c->caller, r, reply);
		/* A refused caller is cut off; op errors keep the connection. */
		keep = reply->ok || strcmp(reply->u.error.code, "denied");
	}
	ipc_request_free(r);
	if (send_reply(c, reply) != FERRY_OK)
		keep = false;
	else if (!keep)
		drain(c);
	ferry_free(reply);
	return keep;
}

static void serve(struct conn *c)
{
	struct ipc_decoder dec;
	bool open = true;

	ipc_decoder_init(&dec, IPC_FRAME_REQUEST);
	c->have_caller = false;
	c->admitted = false;
	c->deadline = GetTickCount64() + SVC_CONN_LIFETIME_MS;
	while (open) {
		DWORD n = 0, budget = read_budget(c);
		size_t off = 0;

		if (!budget || read_some(c, &n, budget) != FERRY_OK)
			break;
		while (open && off < n) {
			struct ipc_frame *f = NULL;
			size_t used = 0;
			ferry_err err = ipc_decoder_feed(&dec, c->buf + off, n - off, &used, &f);

			off += used;
			if (err != FERRY_OK) {
				struct ipc_reply reply;

				svc_log("pipe: bad frame: %s", ferry_error_detail());
				ipc_reply_error(&reply, 0,
						err == FERRY_EUNSUPPORTED ? "unsupported_version" :
									    "bad_frame",
						ferry_error_detail());
				if (send_reply(c, &reply) == FERRY_OK)
					drain(c);
				open = false;
			} else if (f) {
				open = handle_frame(c, f);
				ipc_frame_free(f);
			} else if (!used) {
				break;
			}
		}
	}
	release(c);
	ipc_decoder_free(&dec);
}

static DWORD WINAPI instance_thread(void *arg)
{
	struct conn *c = arg;

	while (WaitForSingleObject(c->srv->stop, 0) != WAIT_OBJECT_0) {
		DWORD n;
		BOOL ok;

		ResetEvent(c->ov.hEvent);
		ok = ConnectNamedPipe(c->pipe, &c->ov);
		if (!ok && GetLastError() == ERROR_PIPE_CONNECTED)
			ok = TRUE;
		if (io_finish(c, ok, &n, INFINITE) == FERRY_OK)
			serve(c);
		DisconnectNamedPipe(c->pipe);
	}
	CloseHandle(c->ov.hEvent);
	ferry_free(c->buf);
	ferry_free(c);
	return 0;
}

static ferry_err make_instance(struct svc_pipe *p, const wchar_t *name, bool first, HANDLE *out)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), p->sd, FALSE };
	DWORD open = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
		     (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);

	*out = CreateNamedPipeW(name, open,
				PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
					PIPE_REJECT_REMOTE_CLIENTS,
				SVC_PIPE_INSTANCES, PIPE_BUF, PIPE_BUF, 0, &sa);
	if (*out == INVALID_HANDLE_VALUE)
		return win_last_error("CreateNamedPipeW");
	return FERRY_OK;
}

ferry_err svc_pipe_start(struct svc_pipe **out, const wchar_t *name, struct svc_agent *agent)
{
	struct svc_pipe *p;
	ferry_err err = FERRY_OK;

	*out = NULL;
	if (!(p = ferry_calloc(1, sizeof(*p))))
		return ferry_error_set(FERRY_ENOMEM, "pipe: out of memory");
	p->agent = agent;
	InitializeCriticalSection(&p->caps_lock);
	(void)ipc_admit_init(&p->caps, SVC_PIPE_INSTANCES, SVC_PIPE_RESERVED_SYSTEM,
			     SVC_PIPE_PER_SESSION);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(PIPE_SDDL, SDDL_REVISION_1, &p->sd,
								  NULL)) {
		err = win_last_error("ConvertStringSecurityDescriptorToSecurityDescriptorW");
		goto fail;
	}
	if (!(p->stop = CreateEventW(NULL, TRUE, FALSE, NULL))) {
		err = win_last_error("CreateEventW");
		goto fail;
	}
	for (; p->n < SVC_PIPE_INSTANCES; p->n++) {
		struct conn *c = ferry_calloc(1, sizeof(*c));

		if (!c || !(c->buf = ferry_malloc(READ_CHUNK)) ||
		    !(c->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL))) {
			if (c)
				ferry_free(c->buf);
			ferry_free(c);
			err = ferry_error_set(FERRY_ENOMEM, "pipe: out of resources");
			goto fail;
		}
		c->srv = p;
		if ((err = make_instance(p, name, p->n == 0, &c->pipe)) != FERRY_OK ||
		    !(p->threads[p->n] = CreateThread(NULL, 0, instance_thread, c, 0, NULL))) {
			if (err == FERRY_OK)
				err = win_last_error("CreateThread(pipe)");
			if (c->pipe && c->pipe != INVALID_HANDLE_VALUE)
				CloseHandle(c->pipe);
			CloseHandle(c->ov.hEvent);
			ferry_free(c->buf);
			ferry_free(c);
			goto fail;
		}
		p->pipes[p->n] = c->pipe;
	}
	*out = p;
	return FERRY_OK;
fail:
	svc_pipe_stop(p);
	return err;
}

void svc_pipe_stop(struct svc_pipe *p)
{
	if (!p)
		return;
	if (p->stop)
		SetEvent(p->stop);
	for (size_t i = 0; i < p->n; i++)
		CancelIoEx(p->pipes[i], NULL);
	if (p->n)
		WaitForMultipleObjects((DWORD)p->n, p->threads, TRUE, 2000);
	for (size_t i = 0; i < p->n; i++) {
		CloseHandle(p->threads[i]);
		CloseHandle(p->pipes[i]);
	}
	if (p->stop)
		CloseHandle(p->stop);
	LocalFree(p->sd);
	DeleteCriticalSection(&p->caps_lock);
	ferry_free(p);
}
