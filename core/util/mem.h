/*
 * Checked allocation, secret wiping, and an allocation-failure hook so that
 * tests can fail the Nth allocation and walk every out-of-memory path.
 */
#ifndef FERRY_UTIL_MEM_H
#define FERRY_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/** malloc that honours the failure hook; NULL on failure. */
void *ferry_malloc(size_t size);

/** calloc of n*size bytes with overflow checking; NULL on failure. */
void *ferry_calloc(size_t n, size_t size);

/** realloc of n*size bytes with overflow checking; NULL (p untouched) on failure. */
void *ferry_realloc_array(void *p, size_t n, size_t size);

/** free; NULL-safe. */
void ferry_free(void *p);

/** strdup through ferry_malloc; NULL on failure. */
char *ferry_strdup(const char *s);

/** Overwrite n bytes with zeros in a way the compiler may not elide. */
void ferry_wipe(void *p, size_t n);

/**
 * Test hook: the Nth allocation from now (1-based) and every later one
 * fail. 0 turns failures off.
 */
void ferry_alloc_fail_after(unsigned long n);

/** Test hook: allocations made since the counter was last reset. */
unsigned long ferry_alloc_count(void);

/*
 * A secret (password, machine password, blob). Its bytes are wiped before
 * the memory is released; it is never logged. One NUL byte always follows
 * the data so that text secrets can be passed as strings.
 */
struct ferry_secret {
	uint8_t *data;
	size_t len;
};

/** Allocate a zeroed secret of len bytes. The caller frees it with ferry_secret_free. */
ferry_err ferry_secret_new(struct ferry_secret **out, size_t len);

/** Copy len bytes into a new secret. The source is not wiped. */
ferry_err ferry_secret_from(struct ferry_secret **out, const void *data, size_t len);

/** Wipe and free; NULL-safe. */
void ferry_secret_free(struct ferry_secret *s);

#endif
