/*
 * Bounded pipe client (see cp_pipe.h). Overlapped I/O throughout, so every
 * wait has a deadline and a cancel event; a timed-out operation is
 * cancelled and its completion collected before the buffers it uses go
 * away, so no kernel write lands in freed memory.
 */
#include "cp_pipe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cp_state.h"
#include "ipc/frame.h"
#include "winutil.h"

static volatile LONG64 next_id;

uint64_t cp_pipe_next_id(void)
{
	return (uint64_t)InterlockedIncrement64(&next_id);
}

void cp_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "ferrycp: ");

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strncat(line, "\n", sizeof(line) - strlen(line) - 1);
	OutputDebugStringA(line);
}

static DWORD remaining(ULONGLONG deadline)
{
	ULONGLONG now = GetTickCount64();

	return now >= deadline ? 0 : (DWORD)(deadline - now);
}

/* Open the pipe, waiting for a free instance until at most CP_CONNECT_MS. */
static ferry_err pipe_open(HANDLE *out, ULONGLONG deadline)
{
	wchar_t name[CP_PIPE_NAME_MAX];
	ULONGLONG connect_deadline = GetTickCount64() + CP_CONNECT_MS;

	if (connect_deadline > deadline)
		connect_deadline = deadline;
	cp_state_pipe_name(name, CP_PIPE_NAME_MAX);
	for (;;) {
		/* Identification is all the service needs to read our token. */
		HANDLE h = wu_pipe_open(name, FILE_FLAG_OVERLAPPED);
		DWORD err, left;

		if (h != INVALID_HANDLE_VALUE) {
			/* A squatter gets nothing: not the typed password, not a
			 * subscribe, and its texts and images are never shown. */
			ferry_err rc = wu_pipe_server_verify(h);

			if (rc != FERRY_OK) {
				CloseHandle(h);
				return rc;
			}
			*out = h;
			return FERRY_OK;
		}
		err = GetLastError();
		left = remaining(connect_deadline);
		if (err != ERROR_PIPE_BUSY)
			return ferry_error_set(err == ERROR_FILE_NOT_FOUND ? FERRY_ENOTFOUND
									   : FERRY_EIO,
					       "pipe: CreateFileW failed (Win32 %lu)",
					       (unsigned long)err);
		if (left == 0)
			return ferry_error_set(FERRY_EBUSY, "pipe: every instance busy for %u ms",
					       CP_CONNECT_MS);
		/* Fails at once when the pipe vanished; the next CreateFileW says why. */
		WaitNamedPipeW(name, left);
	}
}

/* One overlapped read or write, finished, cancelled or timed out by the deadline. */
static ferry_err pipe_io(HANDLE h, bool write, void *buf, DWORD len, DWORD *done,
			 ULONGLONG deadline, HANDLE cancel)
{
	OVERLAPPED ov = { 0 };
	HANDLE waits[2];
	DWORD n_waits = 1, w;
	BOOL ok;
	ferry_err rc = FERRY_OK;

	*done = 0;
	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!ov.hEvent)
		return ferry_error_set(FERRY_ESYSTEM, "pipe: CreateEventW (Win32 %lu)",
				       (unsigned long)GetLastError());
	waits[0] = ov.hEvent;
	if (cancel)
		waits[n_waits++] = cancel;
	ok = write ? WriteFile(h, buf, len, NULL, &ov) : ReadFile(h, buf, len, NULL, &ov);
	if (!ok && GetLastError() != ERROR_IO_PENDING) {
		rc = ferry_error_set(FERRY_EIO, "pipe: %s failed (Win32 %lu)",
				     write ? "WriteFile" : "ReadFile", (unsigned long)GetLastError());
		goto out;
	}
	w = WaitForMultipleObjects(n_waits, waits, FALSE, remaining(deadline));
	if (w != WAIT_OBJECT_0) {
		CancelIoEx(h, &ov);
		/* Collect the cancelled operation: buf must outlive it. */
		GetOverlappedResult(h, &ov, done, TRUE);
		*done = 0;
		rc = ferry_error_set(FERRY_ETIMEOUT, "pipe: %s %s",
				     write ? "write" : "read",
				     w == WAIT_OBJECT_0 + 1 ? "cancelled" : "timed out");
		goto out;
	}
	if (!GetOverlappedResult(h, &ov, done, FALSE) || (!write && *done == 0))
		rc = ferry_error_set(FERRY_EIO, "pipe: %s: the service closed the pipe (Win32 %lu)",
				     write ? "write" : "read", (unsigned long)GetLastError());
out:
	CloseHandle(ov.hEvent);
	return rc;
}

static ferry_err read_reply(struct ipc_frame **frame, HANDLE h, ULONGLONG deadline,
			    HANDLE cancel)
{
	struct ipc_decoder dec;
	uint8_t chunk[4096];
	ferry_err rc = FERRY_OK;

	*frame = NULL;
	ipc_decoder_init(&dec, IPC_FRAME_REPLY);
	while (!*frame) {
		DWORD got = 0;
		size_t off = 0;

		rc = pipe_io(h, false, chunk, sizeof(chunk), &got, deadline, cancel);
		while (rc == FERRY_OK && off < got && !*frame) {
			size_t used = 0;

			rc = ipc_decoder_feed(&dec, chunk + off, got - off, &used, frame);
			off += used;
		}
		if (rc != FERRY_OK)
			break;
	}
	ipc_decoder_free(&dec);
	return rc;
}

ferry_err cp_pipe_call(struct ipc_reply **out, const struct ipc_request *req, DWORD budget_ms,
		       HANDLE cancel)
{
	ULONGLONG deadline = GetTickCount64() + budget_ms;
	HANDLE h = INVALID_HANDLE_VALUE;
	struct ferry_buf frame;
	struct ipc_frame *reply = NULL;
	DWORD done = 0;
	ferry_err rc;

	*out = NULL;
	ferry_buf_init(&frame, IPC_HEADER_SIZE + IPC_PAYLOAD_MAX);
	rc = ipc_request_build(&frame, req);
	if (rc == FERRY_OK)
		rc = pipe_open(&h, deadline);
	if (rc == FERRY_OK)
		rc = pipe_io(h, true, frame.data, (DWORD)frame.len, &done, deadline, cancel);
	if (rc == FERRY_OK && done != frame.len)
		rc = ferry_error_set(FERRY_EIO, "pipe: short write");
	/* The frame may hold a password: wipe it as soon as it is sent. */
	ferry_buf_free(&frame);
	if (rc == FERRY_OK)
		rc = read_reply(&reply, h, deadline, cancel);
	if (rc == FERRY_OK)
		rc = ipc_reply_parse(out, reply, req->op);
	if (rc == FERRY_OK && (*out)->id != req->id) {
		ferry_free(*out);
		*out = NULL;
		rc = ferry_error_set(FERRY_ECORRUPT, "pipe: reply id does not match the request");
	}
	ipc_frame_free(reply);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (rc != FERRY_OK)
		cp_log("%s %s: %s (%s)", "pipe call", ipc_op_name(req->op), ferry_strerror(rc),
		       ferry_error_detail());
	return rc;
}
