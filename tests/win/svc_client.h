/*
 * A small pipe client for the ferrysvc Wine suites: start ferrysvc.exe
 * (found beside the test), connect, send frames, read replies. Header-only
 * (static inline) because each tests/win/test_NAME.c builds into their own program.
 */
#ifndef FERRY_TESTS_SVC_CLIENT_H
#define FERRY_TESTS_SVC_CLIENT_H

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "ipc/frame.h"
#include "ipc/msg.h"
#include "util/buf.h"
#include "util/mem.h"

#define SVC_TEST_SAMPLES FERRY_SOURCE_DIR "/resources/samples"

/* The path of a binary beside this test program. */
static inline void svc_test_beside(wchar_t *out, const wchar_t *file)
{
	DWORD n = GetModuleFileNameW(NULL, out, MAX_PATH);
	wchar_t *slash;

	out[n < MAX_PATH ? n : MAX_PATH - 1] = L'\0';
	slash = wcsrchr(out, L'\\');
	if (slash)
		wcscpy(slash + 1, file);
}

/* Run ferrysvc.exe with `args`, its stdout into out_file and its stderr
 * into err_file (NULL: both inherited); *proc receives the process. */
static inline bool svc_test_spawn_io(HANDLE *proc, const wchar_t *args, HANDLE out_file,
				     HANDLE err_file)
{
	wchar_t exe[MAX_PATH], cmd[4096];
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;

	svc_test_beside(exe, L"ferrysvc.exe");
	swprintf(cmd, 4096, L"\"%ls\" %ls", exe, args);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	if (out_file) {
		si.dwFlags = STARTF_USESTDHANDLES;
		si.hStdOutput = out_file;
		si.hStdError = err_file ? err_file : GetStdHandle(STD_ERROR_HANDLE);
		si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	}
	if (!CreateProcessW(exe, cmd, NULL, NULL, out_file != NULL, 0, NULL, NULL, &si, &pi))
		return false;
	CloseHandle(pi.hThread);
	*proc = pi.hProcess;
	return true;
}

/* Run ferrysvc.exe with `args`; *proc receives the process (close it). */
static inline bool svc_test_spawn(HANDLE *proc, const wchar_t *args, HANDLE out_file)
{
	return svc_test_spawn_io(proc, args, out_file, NULL);
}

/* A name part no earlier run can have used: Wine reuses process ids at
 * once, so a pid alone can meet a previous run's pipe server or folder. */
static inline unsigned long long svc_test_unique(void)
{
	LARGE_INTEGER t;

	QueryPerformanceCounter(&t);
	return ((unsigned long long)GetCurrentProcessId() << 40) ^ (unsigned long long)t.QuadPart;
}

/* Connect, retrying while the server starts (up to ms). */
static inline HANDLE svc_test_connect(const wchar_t *pipe, DWORD ms)
{
	ULONGLONG end = GetTickCount64() + ms;
	DWORD mode = PIPE_READMODE_MESSAGE;

	for (;;) {
		HANDLE h = CreateFileW(pipe, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
				       NULL);

		if (h != INVALID_HANDLE_VALUE) {
			SetNamedPipeHandleState(h, &mode, NULL, NULL);
			return h;
		}
		if (GetTickCount64() > end)
			return INVALID_HANDLE_VALUE;
		if (GetLastError() == ERROR_PIPE_BUSY)
			WaitNamedPipeW(pipe, 1000);
		else
			Sleep(50);
	}
}

static inline bool svc_test_write(HANDLE h, const void *data, size_t len)
{
	DWORD put = 0;

	return WriteFile(h, data, (DWORD)len, &put, NULL) && put == len;
}

/* Send one request frame with JSON text `json`. */
static inline bool svc_test_send_json(HANDLE h, const char *json)
{
	size_t n = strlen(json);
	uint8_t *b = ferry_malloc(n + 4);
	bool ok;

	if (!b)
		return false;
	b[0] = (uint8_t)n, b[1] = (uint8_t)(n >> 8), b[2] = (uint8_t)(n >> 16), b[3] = (uint8_t)(n >> 24);
	memcpy(b + 4, json, n);
	ok = svc_test_write(h, b, n + 4);
	ferry_free(b);
	return ok;
}

/* Read one reply for an `op` request; NULL if the pipe closed or it is malformed. */
static inline struct ipc_reply *svc_test_read(HANDLE h, enum ipc_op op)
{
	static _Thread_local uint8_t buf[IPC_PAYLOAD_MAX + IPC_HEADER_SIZE];
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	struct ipc_reply *r = NULL;
	DWORD got = 0;

	ipc_decoder_init(&d, IPC_FRAME_REPLY);
	while (!f) {
		size_t off = 0;

		if (!ReadFile(h, buf, sizeof(buf), &got, NULL) && GetLastError() != ERROR_MORE_DATA)
			break;
		while (off < got && !f) {
			size_t used = 0;

			if (ipc_decoder_feed(&d, buf + off, got - off, &used, &f) != FERRY_OK)
				goto out;
			off += used;
		}
	}
	if (f && ipc_reply_parse(&r, f, op) != FERRY_OK)
		r = NULL;
out:
	ipc_frame_free(f);
	ipc_decoder_free(&d);
	return r;
}

/* One request/reply round trip. */
static inline struct ipc_reply *svc_test_call(HANDLE h, const char *json, enum ipc_op op)
{
	return svc_test_send_json(h, json) ? svc_test_read(h, op) : NULL;
}

/*
 * Connect and prove the connection is served (a hello round trip) before a
 * test uses it. Under Wine, a client that connects while the instance of a
 * connection that just closed is still being recycled can be cut off by that
 * instance's DisconnectNamedPipe: its first read fails with
 * ERROR_PIPE_NOT_CONNECTED and no byte of a reply (seen in win.test_svc_pipe
 * on a loaded machine, after a probe that connected and closed). Windows
 * gives a new client only an instance that is listening, so this is the
 * harness's concern, not the service's: retry on a fresh connection until
 * `ms` runs out. Any reply that is not a served hello also retries, so a
 * service that never answers still fails the test.
 */
static inline HANDLE svc_test_connect_live(const wchar_t *pipe, DWORD ms)
{
	ULONGLONG end = GetTickCount64() + ms;

	for (;;) {
		HANDLE h = svc_test_connect(pipe, ms);
		struct ipc_reply *r;
		bool served;

		if (h == INVALID_HANDLE_VALUE)
			return h;
		r = svc_test_call(h, "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[1]}",
				  IPC_OP_HELLO);
		served = r && r->ok;
		ferry_free(r);
		if (served)
			return h;
		CloseHandle(h);
		if (GetTickCount64() > end)
			return INVALID_HANDLE_VALUE;
		Sleep(50);
	}
}

/* True when the server has closed this connection (a read fails). */
static inline bool svc_test_closed(HANDLE h)
{
	uint8_t b[64];
	DWORD got = 0;

	return !ReadFile(h, b, sizeof(b), &got, NULL) && GetLastError() != ERROR_MORE_DATA;
}

#endif
