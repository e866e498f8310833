/*
 * Internal: the NDR (MS-RPCE, little-endian, NDR32) primitives the ODJ codec
 * needs, for one type-serialisation stream at a time. Not a general NDR
 * engine: the ODJ structures are fixed, so odj_decode.c / odj_encode.c walk
 * them by hand in wire order and these helpers keep every read in bounds.
 *
 * Invariants of struct ndr_in: off <= len, always; `base` is the absolute
 * offset of p[0] in the outermost blob, so error details name real offsets.
 */
#ifndef FERRY_ODJ_NDR_H
#define FERRY_ODJ_NDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "odj/odj.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define NDR_TS_HEADER_LEN 16u

struct ndr_in {
	const uint8_t *p;
	size_t len;
	size_t off;
	size_t base;
};

ferry_err ndr_align(struct ndr_in *r, size_t n, const char *what);
ferry_err ndr_u8(struct ndr_in *r, uint8_t *v, const char *what);
ferry_err ndr_u16(struct ndr_in *r, uint16_t *v, const char *what);
ferry_err ndr_u32(struct ndr_in *r, uint32_t *v, const char *what);
ferry_err ndr_guid(struct ndr_in *r, struct odj_guid *g, const char *what);
/** A unique/full pointer: only zero versus non-zero matters. */
ferry_err ndr_ptr(struct ndr_in *r, bool *present, const char *what);

/**
 * Open a type-serialisation stream of exactly len bytes at r's position: read
 * its 16-byte header and set *sub to the object buffer (its own alignment
 * origin). Advances r past the whole stream.
 */
ferry_err ndr_ts_open(struct ndr_in *r, struct ndr_in *sub, size_t len, const char *what);
/** After decoding a stream's object: only < 8 bytes of padding may remain. */
ferry_err ndr_ts_close(const struct ndr_in *sub, const char *what);

/** [string] wchar_t*: conformant varying, NUL included; to new UTF-8. */
ferry_err ndr_string(struct ndr_in *r, char **out, const char *what);
/** Same wire form, kept as raw UTF-16LE bytes (without the NUL) in a secret. */
ferry_err ndr_string_secret(struct ndr_in *r, struct ferry_secret **out, const char *what);
/** The deferred part of an lsa_StringLarge (length/size were read inline). */
ferry_err ndr_string_large(struct ndr_in *r, char **out, uint16_t length, uint16_t size,
			   const char *what);
/** dom_sid2: hoisted count, revision, count, authority, sub-authorities. */
ferry_err ndr_sid(struct ndr_in *r, struct odj_sid *s, const char *what);
/** The deferred part of a [size_is(n)] uint8*: the max count then n bytes. */
ferry_err ndr_byte_array(struct ndr_in *r, const uint8_t **data, uint32_t n, const char *what);

/* --- writer: appends to a ferry_buf, alignment relative to the stream start --- */

struct ndr_out {
	struct ferry_buf b;
	uint32_t next_ref; /* referent IDs: 0x00020000, +4, ... */
};

void ndr_out_init(struct ndr_out *w);
ferry_err ndr_put_align(struct ndr_out *w, size_t n);
ferry_err ndr_put_u8(struct ndr_out *w, uint8_t v);
ferry_err ndr_put_u16(struct ndr_out *w, uint16_t v);
ferry_err ndr_put_u32(struct ndr_out *w, uint32_t v);
ferry_err ndr_put_guid(struct ndr_out *w, const struct odj_guid *g);
ferry_err ndr_put_ptr(struct ndr_out *w, bool present);
ferry_err ndr_put_string(struct ndr_out *w, const char *s);
ferry_err ndr_put_string_utf16(struct ndr_out *w, const uint8_t *units, size_t nunits);
/** Inline part of an lsa_StringLarge: length, size, pointer. */
ferry_err ndr_put_string_large_hdr(struct ndr_out *w, const char *s);
ferry_err ndr_put_string_large(struct ndr_out *w, const char *s);
ferry_err ndr_put_sid(struct ndr_out *w, const struct odj_sid *s);
ferry_err ndr_put_byte_array(struct ndr_out *w, const uint8_t *data, size_t n);
/**
 * Finish a stream: pad body to 8 and hand back its 16-byte header followed
 * by the body as new bytes (*out, ferry_free after ferry_wipe). Frees body.
 */
ferry_err ndr_ts_finish(uint8_t **out, size_t *len, struct ndr_out *body);
/** Discard a writer (wiping what it held). */
void ndr_out_free(struct ndr_out *w);

#endif
