/*
 * ferrydraw: every picture Ferry composes with GDI, shared by the credential
 * provider's tile, the lock-screen image, the notifier and ferry-preview, so
 * that what an admin previews is what LogonUI shows.
 */
#ifndef FERRY_DRAW_H
#define FERRY_DRAW_H

#include <windows.h>

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

/** Write a 32-bpp DIB section as a PNG file (atomic replace). */
ferry_err draw_png_write(const wchar_t *path, HBITMAP bmp);

/**
 * The lock-screen image: `caption` composed onto in_image (NULL = Ferry's
 * default image), written as a PNG to out_path.
 */
ferry_err draw_lockscreen_image(const wchar_t *out_path, const wchar_t *in_image,
				const char *caption);

#endif
