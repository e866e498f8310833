#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* Test hook state. Tests are single-threaded where they use it. */
static unsigned long fail_after;
static unsigned long alloc_counter;

static int hook_fails(void)
{
	alloc_counter++;
	return fail_after != 0 && alloc_counter >= fail_after;
}

void ferry_alloc_fail_after(unsigned long n)
{
	fail_after = n;
	alloc_counter = 0;
}

unsigned long ferry_alloc_count(void)
{
	return alloc_counter;
}

void *ferry_malloc(size_t size)
{
	if (hook_fails())
		return NULL;
	return malloc(size ? size : 1);
}

void *ferry_calloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if (hook_fails())
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *ferry_realloc_array(void *p, size_t n, size_t size)
{
	size_t total;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	total = n * size;
	if (hook_fails())
		return NULL;
	return realloc(p, total ? total : 1);
}

void ferry_free(void *p)
{
	free(p);
}

char *ferry_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ferry_malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void ferry_wipe(void *p, size_t n)
{
	/* A volatile function pointer keeps the store from being optimised out. */
	static void *(*const volatile do_memset)(void *, int, size_t) = memset;

	if (p && n)
		do_memset(p, 0, n);
}

ferry_err ferry_secret_new(struct ferry_secret **out, size_t len)
{
	struct ferry_secret *s;

	*out = NULL;
	if (len == SIZE_MAX)
		return ferry_error_set(FERRY_ENOMEM, "secret of %zu bytes is too large", len);
	s = ferry_calloc(1, sizeof(*s));
	if (!s)
		return ferry_error_set(FERRY_ENOMEM, "allocating a secret");
	s->data = ferry_calloc(len + 1, 1);
	if (!s->data) {
		ferry_free(s);
		return ferry_error_set(FERRY_ENOMEM, "allocating a secret of %zu bytes", len);
	}
	s->len = len;
	*out = s;
	return FERRY_OK;
}

ferry_err ferry_secret_from(struct ferry_secret **out, const void *data, size_t len)
{
	ferry_err rc = ferry_secret_new(out, len);

	if (rc == FERRY_OK && len)
		memcpy((*out)->data, data, len);
	return rc;
}

void ferry_secret_free(struct ferry_secret *s)
{
	if (!s)
		return;
	ferry_wipe(s->data, s->len + 1);
	ferry_free(s->data);
	ferry_wipe(s, sizeof(*s));
	ferry_free(s);
}
