/*
 * libFuzzer target: the pipe's frame decoder and message parsers must never
 * crash on any byte stream. The first input byte picks the chunk size, so
 * split headers and payloads are exercised; the stream is decoded both as
 * requests and as replies, and every request that parses is rebuilt and must
 * decode again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ipc/frame.h"
#include "ipc/msg.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rebuild(const struct ipc_request *r)
{
	struct ferry_buf b;
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	size_t used = 0;

	ferry_buf_init(&b, 1 << 17);
	if (ipc_request_build(&b, r) == FERRY_OK) {
		ipc_decoder_init(&d, IPC_FRAME_REQUEST);
		if (ipc_decoder_feed(&d, b.data, b.len, &used, &f) != FERRY_OK || !f ||
		    used != b.len)
			abort();
		ipc_frame_free(f);
		ipc_decoder_free(&d);
	}
	ferry_buf_free(&b);
}

static void run(const uint8_t *p, size_t n, size_t chunk, enum ipc_frame_kind kind)
{
	struct ipc_decoder d;

	ipc_decoder_init(&d, kind);
	while (n) {
		struct ipc_frame *f = NULL;
		size_t used = 0, give = n < chunk ? n : chunk;

		if (ipc_decoder_feed(&d, p, give, &used, &f) != FERRY_OK)
			break;
		if (f && kind == IPC_FRAME_REQUEST) {
			struct ipc_request *r = NULL;

			if (ipc_request_parse(&r, f) == FERRY_OK)
				rebuild(r);
			ipc_request_free(r);
		} else if (f) {
			struct ipc_reply *r = NULL;

			(void)ipc_reply_parse(&r, f, (enum ipc_op)(f->id % IPC_OP_COUNT));
			ferry_free(r);
		}
		ipc_frame_free(f);
		p += used;
		n -= used;
	}
	ipc_decoder_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;

	if (size == 0)
		return 0;
	chunk = data[0] ? data[0] : 65536;
	run(data + 1, size - 1, chunk, IPC_FRAME_REQUEST);
	run(data + 1, size - 1, chunk, IPC_FRAME_REPLY);
	return 0;
}
