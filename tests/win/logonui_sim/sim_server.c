/*
 * Scripted pipe server for the LogonUI harness (see sim_server.h).
 *
 * One accept thread creates pipe instances and hands each connection to a
 * thread of its own, because a subscribe long poll holds its connection
 * while LogonUI's thread makes other calls. Stopping sets an event every
 * wait watches, and wakes the accept thread with a connection of its own.
 */
#include "sim_server.h"

#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "ipc/frame.h"
#include "util/buf.h"
#include "util/mem.h"
#include "winutil.h"

struct sim_server {
	wchar_t pipe[128];
	bool trusted;     /* plays the service (see sim_server_start_as) */
	HANDLE stop;      /* manual reset */
	HANDLE changed;   /* auto reset: the experience changed */
	HANDLE accept_thread;
	volatile LONG live; /* connection threads running */
	volatile LONG stopping;
	CRITICAL_SECTION lock;
	struct ipc_experience exp;
	enum sim_mode exp_mode, cache_mode;
	DWORD cache_delay_ms; /* a slow DC: cache_credentials answers after this */
	char cache_code[IPC_OP_MAX + 1];
	char cache_message[IPC_TEXT_MAX + 1];
	struct sim_seen seen;
};

struct conn {
	struct sim_server *s;
	HANDLE pipe;
};

static bool read_request(HANDLE h, struct ipc_request **req)
{
	struct ipc_decoder dec;
	struct ipc_frame *f = NULL;
	uint8_t buf[4096];
	bool ok = false;

	*req = NULL;
	ipc_decoder_init(&dec, IPC_FRAME_REQUEST);
	while (!f) {
		DWORD got = 0;
		size_t off = 0;

		if (!ReadFile(h, buf, sizeof(buf), &got, NULL) && GetLastError() != ERROR_MORE_DATA)
			break;
		while (off < got && !f) {
			size_t used = 0;

			if (ipc_decoder_feed(&dec, buf + off, got - off, &used, &f) != FERRY_OK)
				goto out;
			off += used;
		}
	}
	ok = f && ipc_request_parse(req, f) == FERRY_OK;
out:
	ipc_frame_free(f);
	ipc_decoder_free(&dec);
	return ok;
}

static void send_reply(HANDLE h, const struct ipc_reply *r)
{
	struct ferry_buf b;
	DWORD put = 0;

	ferry_buf_init(&b, IPC_HEADER_SIZE + IPC_PAYLOAD_MAX);
	if (ipc_reply_build(&b, r) == FERRY_OK)
		WriteFile(h, b.data, (DWORD)b.len, &put, NULL);
	ferry_buf_free(&b);
}

/* Fill rep for one request; false when the scripted mode is to hang. */
static bool answer(struct sim_server *s, const struct ipc_request *req, struct ipc_reply *rep)
{
	enum sim_mode mode;
	DWORD delay;

	rep->id = req->id;
	rep->op = req->op;
	rep->ok = true;
	EnterCriticalSection(&s->lock);
	mode = req->op == IPC_OP_CACHE_CREDENTIALS ? s->cache_mode : s->exp_mode;
	if (req->op == IPC_OP_GET_EXPERIENCE) {
		s->seen.n_get++;
		rep->u.experience = s->exp;
	} else if (req->op == IPC_OP_CACHE_CREDENTIALS) {
		s->seen.n_cache++;
		snprintf(s->seen.user, sizeof(s->seen.user), "%s", req->u.creds.user);
		snprintf(s->seen.domain, sizeof(s->seen.domain), "%s", req->u.creds.domain);
		snprintf(s->seen.password, sizeof(s->seen.password), "%s",
			 (const char *)req->u.creds.password->data);
		if (s->cache_code[0])
			ipc_reply_error(rep, req->id, s->cache_code, s->cache_message);
	} else if (req->op == IPC_OP_START_NOW) {
		s->seen.n_start++;
	} else if (req->op == IPC_OP_SNOOZE) {
		s->seen.n_snooze++;
		s->seen.snooze_minutes = req->u.snooze.minutes;
		snprintf(rep->u.snooze.until, sizeof(rep->u.snooze.until), "2030-01-01T01:00:00Z");
	} else if (req->op == IPC_OP_ACK_COMPLETE) {
		s->seen.n_ack++;
	} else if (req->op != IPC_OP_SUBSCRIBE) {
		ipc_reply_error(rep, req->id, "not_implemented", "not scripted");
	}
	delay = req->op == IPC_OP_CACHE_CREDENTIALS ? s->cache_delay_ms : 0;
	LeaveCriticalSection(&s->lock);
	if (mode == SIM_HANG)
		return false;
	if (delay)
		WaitForSingleObject(s->stop, delay);
	if (req->op == IPC_OP_SUBSCRIBE) {
		HANDLE waits[2] = { s->stop, s->changed };
		bool now;

		EnterCriticalSection(&s->lock);
		s->seen.n_subscribe++;
		now = s->exp.generation != req->u.subscribe.since;
		LeaveCriticalSection(&s->lock);
		if (!now)
			WaitForMultipleObjects(2, waits, FALSE, req->u.subscribe.timeout_ms);
		EnterCriticalSection(&s->lock);
		rep->u.subscribe.changed = s->exp.generation != req->u.subscribe.since;
		rep->u.subscribe.experience = s->exp;
		LeaveCriticalSection(&s->lock);
	}
	return true;
}

static DWORD WINAPI conn_thread(LPVOID arg)
{
	struct conn *c = arg;
	struct ipc_request *req = NULL;
	struct ipc_reply *rep = ferry_calloc(1, sizeof(*rep));

	while (rep && read_request(c->pipe, &req)) {
		memset(rep, 0, sizeof(*rep));
		if (answer(c->s, req, rep))
			send_reply(c->pipe, rep);
		else
			WaitForSingleObject(c->s->stop, INFINITE);
		ipc_request_free(req);
		req = NULL;
	}
	ipc_request_free(req);
	ferry_free(rep);
	DisconnectNamedPipe(c->pipe);
	CloseHandle(c->pipe);
	InterlockedDecrement(&c->s->live);
	ferry_free(c);
	return 0;
}

static DWORD WINAPI accept_thread(LPVOID arg)
{
	struct sim_server *s = arg;

	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };

	/* Playing the service, the pipe is owned by SYSTEM as the service's is
	 * (Wine lets a user set that owner; Windows would not). A squatter's
	 * pipe has the default security: its creator's. */
	if (s->trusted && !ConvertStringSecurityDescriptorToSecurityDescriptorW(
				  L"O:SYG:SYD:P(A;;GA;;;WD)", SDDL_REVISION_1,
				  &sa.lpSecurityDescriptor, NULL))
		return 1;
	while (!s->stopping) {
		HANDLE h = CreateNamedPipeW(s->pipe, PIPE_ACCESS_DUPLEX,
					    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
					    PIPE_UNLIMITED_INSTANCES, 65540, 65540, 0,
					    s->trusted ? &sa : NULL);
		struct conn *c;
		HANDLE t;

		if (h == INVALID_HANDLE_VALUE)
			return 1;
		if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
			CloseHandle(h);
			continue;
		}
		c = ferry_calloc(1, sizeof(*c));
		if (s->stopping || !c) {
			ferry_free(c);
			CloseHandle(h);
			break;
		}
		c->s = s;
		c->pipe = h;
		InterlockedIncrement(&s->live);
		t = CreateThread(NULL, 0, conn_thread, c, 0, NULL);
		if (t) {
			CloseHandle(t);
		} else {
			InterlockedDecrement(&s->live);
			CloseHandle(h);
			ferry_free(c);
		}
	}
	LocalFree(sa.lpSecurityDescriptor);
	return 0;
}

static void set_test_value(const wchar_t *name, const wchar_t *v)
{
	(void)wu_reg_set(HKEY_LOCAL_MACHINE, WU_TEST_KEY, name, REG_SZ, v,
			 (DWORD)((wcslen(v) + 1) * sizeof(wchar_t)));
}

/* What the pipe clients expect of the server (winutil/wu_pipe.c): this
 * program run as this user when trusted, else the real ferrysvc.exe. */
static void set_expectations(bool trusted)
{
	uint8_t buf[256];
	TOKEN_USER *u = (TOKEN_USER *)(void *)buf;
	wchar_t image[MAX_PATH], *sid = NULL, *slash;
	HANDLE tok;
	DWORD len = 0, n = GetModuleFileNameW(NULL, image, MAX_PATH);

	image[n < MAX_PATH ? n : MAX_PATH - 1] = L'\0';
	if (!trusted && (slash = wcsrchr(image, L'\\')))
		wcscpy(slash + 1, L"ferrysvc.exe");
	set_test_value(L"PipeServerImage", image);
	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		if (GetTokenInformation(tok, TokenUser, u, sizeof(buf), &len) &&
		    ConvertSidToStringSidW(u->User.Sid, &sid)) {
			set_test_value(L"PipeServerSid", sid);
			LocalFree(sid);
		}
		CloseHandle(tok);
	}
}

struct sim_server *sim_server_start(const wchar_t *pipe, const struct ipc_experience *exp)
{
	return sim_server_start_as(pipe, exp, true);
}

struct sim_server *sim_server_start_as(const wchar_t *pipe, const struct ipc_experience *exp,
				       bool trusted)
{
	struct sim_server *s = ferry_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->trusted = trusted;
	set_expectations(trusted);
	wcsncpy(s->pipe, pipe, 127);
	s->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
	s->changed = CreateEventW(NULL, FALSE, FALSE, NULL);
	InitializeCriticalSection(&s->lock);
	s->exp = *exp;
	s->accept_thread = CreateThread(NULL, 0, accept_thread, s, 0, NULL);
	/* Serve only once the first instance exists, or a client would see "no service". */
	for (int i = 0; i < 200 && !WaitNamedPipeW(pipe, 10); i++)
		Sleep(5);
	return s;
}

void sim_server_stop(struct sim_server *s)
{
	HANDLE wake;

	if (!s)
		return;
	s->stopping = 1;
	SetEvent(s->stop);
	/* Wake ConnectNamedPipe with a connection of our own. */
	wake = CreateFileW(s->pipe, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
	if (wake != INVALID_HANDLE_VALUE)
		CloseHandle(wake);
	WaitForSingleObject(s->accept_thread, 5000);
	CloseHandle(s->accept_thread);
	for (int i = 0; i < 500 && s->live > 0; i++)
		Sleep(10);
	DeleteCriticalSection(&s->lock);
	CloseHandle(s->stop);
	CloseHandle(s->changed);
	ferry_wipe(&s->seen, sizeof(s->seen));
	ferry_free(s);
	wu_reg_delete(HKEY_LOCAL_MACHINE, WU_TEST_KEY, L"PipeServerImage");
	wu_reg_delete(HKEY_LOCAL_MACHINE, WU_TEST_KEY, L"PipeServerSid");
}

void sim_server_set_experience(struct sim_server *s, const struct ipc_experience *exp)
{
	uint64_t generation;

	EnterCriticalSection(&s->lock);
	generation = s->exp.generation;
	s->exp = *exp;
	s->exp.generation = generation + 1;
	LeaveCriticalSection(&s->lock);
	SetEvent(s->changed);
}

void sim_server_set_modes(struct sim_server *s, enum sim_mode exp_mode, enum sim_mode cache_mode)
{
	EnterCriticalSection(&s->lock);
	s->exp_mode = exp_mode;
	s->cache_mode = cache_mode;
	LeaveCriticalSection(&s->lock);
}

void sim_server_set_cache_error(struct sim_server *s, const char *code, const char *message)
{
	EnterCriticalSection(&s->lock);
	snprintf(s->cache_code, sizeof(s->cache_code), "%s", code ? code : "");
	snprintf(s->cache_message, sizeof(s->cache_message), "%s", message ? message : "");
	LeaveCriticalSection(&s->lock);
}

void sim_server_set_cache_outcome(struct sim_server *s, enum logon_outcome o)
{
	struct ipc_reply r;

	/* The service's own reply builder (core/ipc ipc_reply_logon), so the
	 * tile sees exactly the code and text the service sends. */
	ipc_reply_logon(&r, 0, o);
	EnterCriticalSection(&s->lock);
	snprintf(s->cache_code, sizeof(s->cache_code), "%s", r.ok ? "" : r.u.error.code);
	snprintf(s->cache_message, sizeof(s->cache_message), "%s", r.ok ? "" : r.u.error.message);
	LeaveCriticalSection(&s->lock);
}

void sim_server_seen(struct sim_server *s, struct sim_seen *out)
{
	EnterCriticalSection(&s->lock);
	*out = s->seen;
	LeaveCriticalSection(&s->lock);
}

void sim_server_set_cache_delay(struct sim_server *s, DWORD ms)
{
	EnterCriticalSection(&s->lock);
	s->cache_delay_ms = ms;
	LeaveCriticalSection(&s->lock);
}
