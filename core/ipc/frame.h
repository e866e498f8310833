/*
 * Pipe framing: 4-byte little-endian length, then that many bytes of UTF-8
 * JSON holding one object. See frame.c for the byte layout and invariants.
 */
#ifndef FERRY_IPC_FRAME_H
#define FERRY_IPC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "util/err.h"

#define IPC_HEADER_SIZE 4
#define IPC_PAYLOAD_MAX 65536u /* bytes of JSON, header not counted */
#define IPC_VERSION 1
#define IPC_OP_MAX 32          /* longest op name accepted, in bytes */
#define IPC_ID_MAX 9007199254740991ull /* 2^53 - 1: exact in a JSON double */

/* Which side of the pipe a decoder reads: it decides what a frame must hold. */
enum ipc_frame_kind {
	IPC_FRAME_REQUEST, /* {"v":1,"id":N,"op":"..."}: id 1..2^53-1 */
	IPC_FRAME_REPLY,   /* {"v":1,"id":N,"ok":bool}: id 0..2^53-1 */
};

/* One decoded frame. `root` is owned; free the whole with ipc_frame_free. */
struct ipc_frame {
	uint64_t id;
	char op[IPC_OP_MAX + 1]; /* requests only; "" in replies */
	bool ok;                 /* replies only */
	uint64_t offset;         /* stream offset of the frame's header */
	cJSON *root;
};

/* Wipe every string in the tree (a request may carry a password), then free. */
void ipc_frame_free(struct ipc_frame *f);

/* Wipe every string and key in a cJSON tree, then cJSON_Delete it. NULL-safe. */
void ipc_json_delete_wiped(cJSON *root);

/*
 * Incremental decoder for one connection. Bytes go in as they arrive, in
 * any split; whole frames come out. After any error the decoder is dead
 * (the connection is closed, per design §3) and keeps returning an error.
 */
struct ipc_decoder {
	enum ipc_frame_kind kind;
	uint8_t hdr[IPC_HEADER_SIZE];
	size_t hdr_have;
	uint32_t need;      /* payload length once the header is whole */
	size_t have;        /* payload bytes received */
	uint8_t *payload;   /* IPC_PAYLOAD_MAX + 1 bytes, allocated on first use */
	uint64_t offset;    /* stream offset of the next byte */
	uint64_t start;     /* stream offset of the current frame's header */
	ferry_err dead;     /* FERRY_OK while usable */
};

void ipc_decoder_init(struct ipc_decoder *d, enum ipc_frame_kind kind);

/** Wipe and release the decoder's buffer. NULL-safe. */
void ipc_decoder_free(struct ipc_decoder *d);

/**
 * Consume bytes from buf[0..len) up to the end of at most one frame.
 * *used says how many were consumed; *out receives a whole frame (the
 * caller frees it with ipc_frame_free) or NULL if more bytes are needed.
 * Call again with the rest of the chunk while bytes remain. On failure
 * *out is NULL and the detail names the problem and its stream offset:
 * FERRY_ERANGE (length 0 or over 64 KiB), FERRY_ECORRUPT (bad UTF-8,
 * JSON, or envelope), FERRY_EUNSUPPORTED (v is not 1), FERRY_ENOMEM.
 */
ferry_err ipc_decoder_feed(struct ipc_decoder *d, const uint8_t *buf, size_t len, size_t *used,
			   struct ipc_frame **out);

/** True when bytes of an unfinished frame are held (a close now truncates it). */
bool ipc_decoder_pending(const struct ipc_decoder *d);

/**
 * Append one frame (header + compact JSON of obj) to out. The printed JSON
 * is wiped after copying, since a request may carry a password.
 * FERRY_ERANGE if the JSON exceeds 64 KiB or out's maximum.
 */
ferry_err ipc_frame_encode(struct ferry_buf *out, const cJSON *obj);

#endif
