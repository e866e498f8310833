/*
 * The notifier's pipe client: connect, send one request frame, read frames
 * until the reply is whole. Every wait is bounded, so a dead service shows
 * the "service unavailable" dialog instead of a hung notifier.
 */
#include "notify.h"

#include "util/buf.h"
#include "util/mem.h"
#include "winutil.h"

/* Identification level: the service reads our token, never acts as us. */
static HANDLE connect_pipe(const wchar_t *pipe)
{
	for (int tries = 0; tries < 2; tries++) {
		HANDLE h = wu_pipe_open(pipe, 0);

		if (h != INVALID_HANDLE_VALUE) {
			DWORD mode = PIPE_READMODE_MESSAGE;

			SetNamedPipeHandleState(h, &mode, NULL, NULL);
			return h;
		}
		if (GetLastError() != ERROR_PIPE_BUSY || !WaitNamedPipeW(pipe, NOTIFY_CONNECT_MS))
			break;
	}
	return INVALID_HANDLE_VALUE;
}

ferry_err notify_pipe_call(const wchar_t *pipe, const struct ipc_request *req,
			   struct ipc_reply **out)
{
	struct ferry_buf b;
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	HANDLE h;
	DWORD n = 0;
	uint8_t chunk[4096];
	ferry_err rc;

	*out = NULL;
	ferry_buf_init(&b, IPC_PAYLOAD_MAX + IPC_HEADER_SIZE);
	ipc_decoder_init(&d, IPC_FRAME_REPLY);
	rc = ipc_request_build(&b, req);
	if (rc)
		goto out;
	h = connect_pipe(pipe);
	if (h == INVALID_HANDLE_VALUE) {
		rc = ferry_error_set(FERRY_ENOTFOUND, "pipe: cannot connect (Win32 error %lu)",
				     (unsigned long)GetLastError());
		goto out;
	}
	/* Before the first byte: a squatter gets no request and shows nothing. */
	if ((rc = wu_pipe_server_verify(h)) != FERRY_OK) {
		CloseHandle(h);
		goto out;
	}
	if (!WriteFile(h, b.data, (DWORD)b.len, &n, NULL) || n != b.len)
		rc = ferry_error_set(FERRY_EIO, "pipe: write failed (Win32 error %lu)",
				     (unsigned long)GetLastError());
	while (!rc && !f) {
		size_t used = 0, off = 0;
		BOOL ok = ReadFile(h, chunk, sizeof chunk, &n, NULL);

		if (!ok && GetLastError() != ERROR_MORE_DATA) {
			rc = ferry_error_set(FERRY_EIO, "pipe: read failed (Win32 error %lu)",
					     (unsigned long)GetLastError());
			break;
		}
		while (!rc && !f && off < n) {
			rc = ipc_decoder_feed(&d, chunk + off, n - off, &used, &f);
			off += used;
		}
		if (!n)
			rc = ferry_error_set(FERRY_EIO, "pipe: closed before the reply");
	}
	CloseHandle(h);
	if (!rc)
		rc = ipc_reply_parse(out, f, req->op);
out:
	ipc_frame_free(f);
	ipc_decoder_free(&d);
	ferry_buf_free(&b);
	return rc;
}
