#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"

void ferry_buf_init(struct ferry_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static ferry_err reserve(struct ferry_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > b->max - b->len)
		return ferry_error_set(FERRY_ERANGE, "buffer would exceed its %zu-byte limit", b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return FERRY_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = ferry_malloc(cap);
	if (!p)
		return ferry_error_set(FERRY_ENOMEM, "growing a buffer to %zu bytes", cap);
	/* Copy rather than realloc so the old bytes can be wiped: buffers may hold secrets. */
	if (b->data) {
		memcpy(p, b->data, b->len);
		ferry_wipe(b->data, b->cap);
		ferry_free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return FERRY_OK;
}

ferry_err ferry_buf_append(struct ferry_buf *b, const void *data, size_t len)
{
	ferry_err rc = reserve(b, len);

	if (rc != FERRY_OK)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
	return FERRY_OK;
}

ferry_err ferry_buf_puts(struct ferry_buf *b, const char *s)
{
	return ferry_buf_append(b, s, strlen(s));
}

ferry_err ferry_buf_printf(struct ferry_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	ferry_err rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ferry_error_set(FERRY_EINVAL, "bad format string");
	rc = reserve(b, (size_t)n);
	if (rc != FERRY_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return FERRY_OK;
}

uint8_t *ferry_buf_detach(struct ferry_buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len)
		*len = b->len;
	ferry_buf_init(b, b->max);
	return p;
}

void ferry_buf_free(struct ferry_buf *b)
{
	if (b->data) {
		ferry_wipe(b->data, b->cap);
		ferry_free(b->data);
	}
	ferry_buf_init(b, b->max);
}
