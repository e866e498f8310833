/*
 * ferrydraw: every picture Ferry composes with GDI, shared by the credential
 * provider's tile, the lock-screen image, the notifier and ferry-preview, so
 * that what an admin previews is what LogonUI shows.
 */
#ifndef FERRY_DRAW_H
#define FERRY_DRAW_H

#include <windows.h>

#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* The tile image's bounds (LogonUI scales anything larger). */
#define DRAW_TILE_MAX_W 500
#define DRAW_TILE_MAX_H 250

/**
 * The credential tile's image: the logo (logo_path, NULL = Ferry's default
 * placeholder) with the QR code of qr_url beside it (NULL or "" = no QR),
 * at most DRAW_TILE_MAX_W x DRAW_TILE_MAX_H, as a 32-bpp top-down DIB
 * section. The caller owns *out (DeleteObject).
 */
ferry_err draw_tile_image(HBITMAP *out, const wchar_t *logo_path, const char *qr_url);

/* What draw_tile_image_ex had to leave out: the tile is still made, with
 * the built-in placeholder for a logo that failed and no QR code for a URL
 * that failed; each *_rc is the reason (FERRY_OK when that part is fine). */
struct draw_tile_notes {
	ferry_err logo_rc;
	char logo_detail[256];
	ferry_err qr_rc;
	char qr_detail[256];
};

/**
 * draw_tile_image within max_w x max_h (each at most the DRAW_TILE_MAX_*
 * bounds), saying in *notes (may be NULL) what was degraded. The tile
 * fails only for a size out of range or when GDI cannot allocate.
 * (Additive to the contract above, which is this with the full bounds.)
 */
ferry_err draw_tile_image_ex(HBITMAP *out, const wchar_t *logo_path, const char *qr_url,
			     int max_w, int max_h, struct draw_tile_notes *notes);

/** A new zeroed 32-bpp top-down DIB section; *bits is its first row. */
ferry_err draw_dib_new(HBITMAP *out, uint32_t **bits, int w, int h);

/** The pixels and size of a 32-bpp top-down DIB section (after GdiFlush). */
ferry_err draw_dib_info(const uint32_t **bits, int *w, int *h, HBITMAP bmp);

/** Append the PNG of a 32-bpp DIB section (alpha dropped) to out. */
ferry_err draw_png_encode(struct ferry_buf *out, HBITMAP bmp);

/** Write a 32-bpp DIB section as a PNG file (atomic replace). */
ferry_err draw_png_write(const wchar_t *path, HBITMAP bmp);

/**
 * The lock-screen image: `caption` composed onto in_image (NULL = Ferry's
 * default image), written as a PNG to out_path.
 */
ferry_err draw_lockscreen_image(const wchar_t *out_path, const wchar_t *in_image,
				const char *caption);

/**
 * The lock-screen picture itself (what draw_lockscreen_image writes), as a
 * DIB section the caller deletes; for ferry-preview. A custom image that
 * cannot be read is an error (the caller chooses to fall back to NULL).
 * (Additive to the contract.)
 */
ferry_err draw_lockscreen_bitmap(HBITMAP *out, const wchar_t *in_image, const char *caption);

#endif
