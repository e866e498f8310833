/*
 * libFuzzer target: the package archive parser (layout in
 * core/net/package_archive.c) must never crash nor read past the blob on
 * any bytes; every blob it accepts must be canonical (re-encoding its
 * entries gives back the same bytes, so one folder has one digest); and
 * verification against a key that signed nothing must refuse it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/package_archive.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pub[32] = { 0x3b, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d,
					 0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, 0x0d, 0x73,
					 0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6,
					 0x3a, 0xc0, 0x48, 0xa1, 0x8b, 0x59, 0xda, 0x29 };
	struct package_archive *a = NULL;
	struct package *p = NULL;
	uint8_t head[PACKAGE_ARCHIVE_ENTRY_HEAD_MAX];
	struct ferry_buf b;

	if (package_archive_parse(&a, data, size) != FERRY_OK)
		return 0;
	ferry_buf_init(&b, size + 1);
	package_archive_header(head, (uint32_t)a->n);
	if (ferry_buf_append(&b, head, PACKAGE_ARCHIVE_HEADER))
		abort();
	for (size_t i = 0; i < a->n; i++) {
		if (ferry_buf_append(&b, head, package_archive_entry_head(head, a->e[i].name, a->e[i].len)) ||
		    ferry_buf_append(&b, a->e[i].data, (size_t)a->e[i].len))
			abort();
	}
	if (b.len != size || memcmp(b.data, data, size))
		abort();
	if (package_archive_verify(&p, a, pub, "fuzz") == FERRY_OK)
		abort(); /* nothing here was signed with that key's private half */
	package_free(p);
	ferry_buf_free(&b);
	package_archive_free(a);
	return 0;
}
