/*
 * The migration lock-screen image: a picture (the runbook's, or Ferry's
 * default drawn here) with the caption on a darkened band across its lower
 * part, written as PNG. The default is drawn in code rather than shipped as
 * a file, so the service can never miss it; resources/images/ holds a copy
 * rendered by ferry-preview for admins to look at.
 */
#include "draw_int.h"

#include "util/mem.h"

#define LOCK_DEFAULT_W 1920
#define LOCK_DEFAULT_H 1080
#define LOCK_MAX_W 3840
#define LOCK_MAX_H 2160

/* Ferry's default: a calm vertical gradient from navy to teal. */
static void paint_default(uint32_t *px, int w, int h)
{
	for (int y = 0; y < h; y++) {
		unsigned t = (unsigned)(y * 255 / (h - 1 ? h - 1 : 1));
		unsigned r = (0x0B * (255 - t) + 0x0E * t) / 255;
		unsigned g = (0x1F * (255 - t) + 0x5A * t) / 255;
		unsigned b = (0x3D * (255 - t) + 0x6E * t) / 255;

		draw_fill(px, w, h, 0, y, w, 1, r << 16 | g << 8 | b);
	}
}

/* Darken the band [y0, y1) to 45% so white text reads on any picture. */
static void darken(uint32_t *px, int w, int y0, int y1)
{
	for (int y = y0; y < y1; y++)
		for (int x = 0; x < w; x++) {
			uint32_t p = px[(size_t)y * w + x], o = 0;

			for (int c = 0; c < 24; c += 8)
				o |= (((p >> c) & 0xFF) * 45 / 100) << c;
			px[(size_t)y * w + x] = o | 0xFF000000u;
		}
}

static ferry_err caption_paint(HBITMAP bmp, uint32_t *px, int w, int h, const char *caption)
{
	wchar_t *text = draw_wide(caption);
	HDC dc = NULL;
	HFONT font = NULL;
	HGDIOBJ ob = NULL, of = NULL;
	RECT band = {w / 20, h * 2 / 3, w - w / 20, h * 2 / 3 + h / 6};
	ferry_err rc = FERRY_OK;

	if (!text)
		return ferry_error_wrap(FERRY_ECORRUPT, "lock screen: caption");
	darken(px, w, band.top, band.bottom);
	dc = CreateCompatibleDC(NULL);
	font = draw_font(h / 20 > 12 ? h / 20 : 12, FW_SEMIBOLD);
	if (!dc || !font) {
		rc = ferry_error_set(FERRY_ESYSTEM, "lock screen: GDI objects (Win32 error %lu)",
				     (unsigned long)GetLastError());
		goto out;
	}
	ob = SelectObject(dc, bmp);
	of = SelectObject(dc, font);
	SetBkMode(dc, TRANSPARENT);
	SetTextColor(dc, RGB(0xFF, 0xFF, 0xFF));
	DrawTextW(dc, text, -1, &band,
		  DT_CENTER | DT_VCENTER | DT_SINGLELINE | DT_NOPREFIX | DT_END_ELLIPSIS);
	GdiFlush();
	SelectObject(dc, of);
	SelectObject(dc, ob);
	draw_opaque(px, (size_t)w * h);
out:
	if (font)
		DeleteObject(font);
	if (dc)
		DeleteDC(dc);
	ferry_free(text);
	return rc;
}

ferry_err draw_lockscreen_bitmap(HBITMAP *out, const wchar_t *in_image, const char *caption)
{
	HBITMAP src = NULL;
	uint32_t *px = NULL, *sbits = NULL;
	int w = LOCK_DEFAULT_W, h = LOCK_DEFAULT_H;
	ferry_err rc;

	*out = NULL;
	if (in_image && in_image[0]) {
		rc = draw_image_load(&src, &sbits, &w, &h, in_image, LOCK_MAX_W, LOCK_MAX_H);
		if (rc)
			return rc; /* the service decides whether to fall back */
	}
	rc = draw_dib_new(out, &px, w, h);
	if (rc)
		goto out;
	if (src) {
		draw_fill(px, w, h, 0, 0, w, h, 0x000000u);
		draw_blend(px, w, h, sbits, w, h, 0, 0);
	} else {
		paint_default(px, w, h);
	}
	if (caption && caption[0])
		rc = caption_paint(*out, px, w, h, caption);
	if (rc) {
		DeleteObject(*out);
		*out = NULL;
	}
out:
	if (src)
		DeleteObject(src);
	return rc;
}

ferry_err draw_lockscreen_image(const wchar_t *out_path, const wchar_t *in_image,
				const char *caption)
{
	HBITMAP bmp = NULL;
	ferry_err rc = draw_lockscreen_bitmap(&bmp, in_image, caption);

	if (!rc)
		rc = draw_png_write(out_path, bmp);
	if (bmp)
		DeleteObject(bmp);
	return rc;
}
