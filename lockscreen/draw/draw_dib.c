/*
 * DIB sections and pixel helpers: every picture ferrydraw makes is a 32-bpp
 * top-down DIB section, so GDI can draw text on it and the PNG encoder can
 * read its rows directly.
 */
#include "draw_int.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/utf.h"

ferry_err draw_dib_new(HBITMAP *out, uint32_t **bits, int w, int h)
{
	BITMAPINFO bi;
	void *p = NULL;

	*out = NULL;
	*bits = NULL;
	if (w <= 0 || h <= 0 || w > DRAW_SIDE_MAX || h > DRAW_SIDE_MAX)
		return ferry_error_set(FERRY_ERANGE, "picture: %dx%d is out of range", w, h);
	memset(&bi, 0, sizeof bi);
	bi.bmiHeader.biSize = sizeof bi.bmiHeader;
	bi.bmiHeader.biWidth = w;
	bi.bmiHeader.biHeight = -h; /* top-down: row 0 first, as PNG wants */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	*out = CreateDIBSection(NULL, &bi, DIB_RGB_COLORS, &p, NULL, 0);
	if (!*out || !p) {
		if (*out)
			DeleteObject(*out);
		*out = NULL;
		return ferry_error_set(FERRY_ENOMEM, "CreateDIBSection %dx%d failed", w, h);
	}
	*bits = p;
	memset(p, 0, (size_t)w * (size_t)h * 4);
	return FERRY_OK;
}

ferry_err draw_dib_info(const uint32_t **bits, int *w, int *h, HBITMAP bmp)
{
	DIBSECTION ds;

	if (!bmp || GetObjectW(bmp, sizeof ds, &ds) != (int)sizeof ds)
		return ferry_error_set(FERRY_EINVAL, "picture: not a DIB section");
	/* Orientation cannot be asked back (GetObject reports a positive
	 * height for both); ferrydraw only ever makes top-down sections. */
	if (ds.dsBm.bmBitsPixel != 32 || !ds.dsBm.bmBits)
		return ferry_error_set(FERRY_EINVAL, "picture: not a 32-bpp DIB section");
	GdiFlush(); /* GDI may still be drawing into it */
	*bits = ds.dsBm.bmBits;
	*w = ds.dsBm.bmWidth;
	*h = ds.dsBm.bmHeight;
	return FERRY_OK;
}

void draw_blend(uint32_t *dst, int dw, int dh, const uint32_t *src, int sw, int sh, int x, int y)
{
	for (int j = 0; j < sh; j++) {
		if (y + j < 0 || y + j >= dh)
			continue;
		for (int i = 0; i < sw; i++) {
			uint32_t s = src[(size_t)j * sw + i], d, a, r = 0;

			if (x + i < 0 || x + i >= dw)
				continue;
			d = dst[(size_t)(y + j) * dw + x + i];
			a = s >> 24;
			/* out = src + dst * (1 - alpha), per channel (premultiplied src) */
			for (int c = 0; c < 24; c += 8) {
				uint32_t v = ((s >> c) & 0xFF) + (((d >> c) & 0xFF) * (255 - a) + 127) / 255;

				r |= (v > 255 ? 255 : v) << c;
			}
			dst[(size_t)(y + j) * dw + x + i] = r | 0xFF000000u;
		}
	}
}

void draw_opaque(uint32_t *px, size_t n)
{
	for (size_t i = 0; i < n; i++)
		px[i] |= 0xFF000000u;
}

void draw_fill(uint32_t *px, int w, int h, int x, int y, int rw, int rh, uint32_t rgb)
{
	for (int j = y < 0 ? 0 : y; j < y + rh && j < h; j++)
		for (int i = x < 0 ? 0 : x; i < x + rw && i < w; i++)
			px[(size_t)j * w + i] = rgb | 0xFF000000u;
}

wchar_t *draw_wide(const char *s)
{
	uint16_t *w = NULL;
	size_t n = 0;

	if (ferry_utf8_to_utf16(&w, &n, s ? s : "", strlen(s ? s : "")))
		return NULL;
	return (wchar_t *)w;
}

const char *draw_u8(char *buf, size_t cap, const wchar_t *w)
{
	int n = w ? WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)cap, NULL, NULL) : 0;

	if (n <= 0)
		snprintf(buf, cap, "%s", w ? "(unprintable path)" : "(none)");
	return buf;
}
