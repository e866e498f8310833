/*
 * A growable byte buffer with a hard maximum size, for building output
 * (JSON, encoded blobs, frames). Appending past the maximum fails with
 * FERRY_ERANGE instead of growing without bound. The data is always
 * NUL-terminated so text can be read as a string.
 */
#ifndef FERRY_UTIL_BUF_H
#define FERRY_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ferry_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

/** Start an empty buffer that may hold at most max bytes. */
void ferry_buf_init(struct ferry_buf *b, size_t max);

/** Append len bytes. */
ferry_err ferry_buf_append(struct ferry_buf *b, const void *data, size_t len);

/** Append a NUL-terminated string (without the NUL). */
ferry_err ferry_buf_puts(struct ferry_buf *b, const char *s);

/** Append printf-style text. */
ferry_err ferry_buf_printf(struct ferry_buf *b, const char *fmt, ...) FERRY_PRINTF(2, 3);

/** Hand the data to the caller (free with ferry_free) and reset the buffer. */
uint8_t *ferry_buf_detach(struct ferry_buf *b, size_t *len);

/** Wipe and release the data; the buffer may be reused after ferry_buf_init. */
void ferry_buf_free(struct ferry_buf *b);

#endif
