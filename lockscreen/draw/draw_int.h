/*
 * ferrydraw's internals, shared by its files (not by its callers).
 */
#ifndef FERRY_DRAW_INT_H
#define FERRY_DRAW_INT_H

#include <windows.h>

#include <stdint.h>

#include "draw/draw.h"

/* Largest picture file read (logo or lock-screen image) and side decoded. */
#define DRAW_FILE_MAX (64u * 1024u * 1024u)
#define DRAW_SIDE_MAX 8192

/**
 * Decode the picture at path (PNG, JPEG, BMP, anything WIC reads) scaled to
 * fit max_w x max_h, never enlarged, aspect kept, into a new 32-bpp top-down
 * DIB section of premultiplied BGRA. FERRY_ENOTFOUND for a missing file,
 * FERRY_ECORRUPT for a file WIC cannot decode, FERRY_ERANGE for an oversized
 * one; the detail names the path's failure and the HRESULT.
 */
ferry_err draw_image_load(HBITMAP *out, uint32_t **bits, int *w, int *h, const wchar_t *path,
			  int max_w, int max_h);

/** Composite premultiplied src (sw x sh) onto opaque dst at (x, y), clipped. */
void draw_blend(uint32_t *dst, int dw, int dh, const uint32_t *src, int sw, int sh, int x, int y);

/** Set every pixel's alpha byte to 255 (GDI text clears it). */
void draw_opaque(uint32_t *px, size_t n);

/** Fill a rectangle of a 32-bpp buffer with an opaque colour (0xRRGGBB). */
void draw_fill(uint32_t *px, int w, int h, int x, int y, int rw, int rh, uint32_t rgb);

/* A wide path as UTF-8 for an error detail (msvcrt's %ls follows the C
 * locale and would drop non-ASCII letters): buf is filled and returned. */
#define DRAW_U8_MAX (MAX_PATH * 3 + 1)
const char *draw_u8(char *buf, size_t cap, const wchar_t *w);

/** Ferry's UI font at px pixels high (Segoe UI, or what the system maps it to). */
HFONT draw_font(int px, int weight);

/** The built-in logo placeholder, drawn to fill r. */
void draw_placeholder_logo(HDC dc, const RECT *r);

struct qr_matrix;
/** Paint a QR matrix with ppm x ppm pixels per module at (x, y). */
void draw_qr_paint(uint32_t *px, int w, int h, int x, int y, int ppm, const struct qr_matrix *m);

/** A UTF-8 string as a new wide string (ferry_free); NULL on failure. */
wchar_t *draw_wide(const char *s);

#endif
