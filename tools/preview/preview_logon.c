/*
 * The logon screen as LogonUI lays out a credential tile: the tile image
 * centred near the top, the tile's title and texts below it in white, the
 * fields as white boxes, the submit arrow beside the password, and the
 * status line under them. Centred column, like Windows 10/11.
 */
#include "preview.h"

#include <string.h>

#include "draw/draw.h"
#include "strings_load.h"
#include "util/mem.h"
#include "util/utf.h"

#define COL_W 460
#define FIELD_W 300
#define FIELD_H 34

static wchar_t *wide(const char *s)
{
	uint16_t *w = NULL;
	size_t n;

	if (ferry_utf8_to_utf16(&w, &n, s ? s : "", strlen(s ? s : "")))
		return NULL;
	return (wchar_t *)w;
}

static void fill(HDC dc, RECT r, COLORREF c)
{
	HBRUSH b = CreateSolidBrush(c);

	if (b) {
		FillRect(dc, &r, b);
		DeleteObject(b);
	}
}

static HFONT font(int px, int weight)
{
	return CreateFontW(-px, 0, 0, 0, weight, FALSE, FALSE, FALSE, DEFAULT_CHARSET,
			   OUT_DEFAULT_PRECIS, CLIP_DEFAULT_PRECIS, ANTIALIASED_QUALITY,
			   DEFAULT_PITCH | FF_SWISS, L"Segoe UI");
}

/* Draw text centred in the column at *y, wrapped, at most max_h high. */
static void text(HDC dc, int *y, const char *u8, int px, int weight, COLORREF c, int max_h)
{
	wchar_t *w = wide(u8);
	HFONT f = font(px, weight);
	RECT r = {(PREVIEW_LOGON_W - COL_W) / 2, *y, (PREVIEW_LOGON_W + COL_W) / 2, *y};
	UINT fmt = DT_CENTER | DT_WORDBREAK | DT_NOPREFIX | DT_EDITCONTROL;

	if (w && w[0] && f) {
		HGDIOBJ old = SelectObject(dc, f);

		DrawTextW(dc, w, -1, &r, fmt | DT_CALCRECT);
		r.left = (PREVIEW_LOGON_W - COL_W) / 2;
		r.right = (PREVIEW_LOGON_W + COL_W) / 2;
		if (r.bottom - r.top > max_h)
			r.bottom = r.top + max_h;
		SetTextColor(dc, c);
		DrawTextW(dc, w, -1, &r, fmt | DT_END_ELLIPSIS);
		*y = r.bottom + 12;
		SelectObject(dc, old);
	}
	if (f)
		DeleteObject(f);
	ferry_free(w);
}

/* A white field with grey placeholder or black value text. */
static void field(HDC dc, int y, const wchar_t *value, bool placeholder, bool arrow)
{
	int x = (PREVIEW_LOGON_W - FIELD_W) / 2;
	RECT r = {x, y, x + FIELD_W, y + FIELD_H}, t = r;
	HFONT f = font(15, FW_NORMAL);
	HGDIOBJ old = SelectObject(dc, f);

	fill(dc, r, RGB(0xFF, 0xFF, 0xFF));
	t.left += 10;
	SetTextColor(dc, placeholder ? RGB(0x6E, 0x6E, 0x6E) : RGB(0x1E, 0x1E, 0x1E));
	DrawTextW(dc, value, -1, &t, DT_VCENTER | DT_SINGLELINE | DT_NOPREFIX | DT_END_ELLIPSIS);
	if (arrow) {
		RECT a = {r.right - FIELD_H, r.top, r.right, r.bottom};

		fill(dc, a, RGB(0x00, 0x67, 0xB8));
		SetTextColor(dc, RGB(0xFF, 0xFF, 0xFF));
		DrawTextW(dc, L"\x2192", -1, &a, DT_CENTER | DT_VCENTER | DT_SINGLELINE);
	}
	SelectObject(dc, old);
	DeleteObject(f);
}

/* LogonUI's generic user picture: a grey disc with a head and shoulders. */
static void avatar(HDC dc, int *y)
{
	int cx = PREVIEW_LOGON_W / 2, r = 80;
	HBRUSH disc = CreateSolidBrush(RGB(0xC8, 0xC8, 0xC8));
	HBRUSH body = CreateSolidBrush(RGB(0xF5, 0xF5, 0xF5));
	HGDIOBJ ob = SelectObject(dc, disc), op = SelectObject(dc, GetStockObject(NULL_PEN));

	Ellipse(dc, cx - r, *y, cx + r, *y + 2 * r);
	SelectObject(dc, body);
	Ellipse(dc, cx - 28, *y + 34, cx + 28, *y + 90);
	Chord(dc, cx - 52, *y + 96, cx + 52, *y + 200, cx + 52, *y + 140, cx - 52, *y + 140);
	SelectObject(dc, op);
	SelectObject(dc, ob);
	DeleteObject(disc);
	DeleteObject(body);
	*y += 2 * r + 20;
}

static void image(HDC dc, HBITMAP img, int *y)
{
	HDC src = CreateCompatibleDC(dc);
	BITMAP bm;

	if (src && GetObjectW(img, sizeof bm, &bm) == (int)sizeof bm) {
		HGDIOBJ old = SelectObject(src, img);

		BitBlt(dc, (PREVIEW_LOGON_W - bm.bmWidth) / 2, *y, bm.bmWidth, bm.bmHeight, src, 0, 0,
		       SRCCOPY);
		SelectObject(src, old);
		*y += bm.bmHeight + 20;
	}
	if (src)
		DeleteDC(src);
}

static void controls(HDC dc, const struct preview_logon *v, int *y)
{
	if (v->user_value) {
		wchar_t *u = wide(v->user_value);

		field(dc, *y, u && u[0] ? u : ferry_label(IDS_UI_USERNAME), !(u && u[0]), false);
		ferry_free(u);
		*y += FIELD_H + 10;
	}
	if (v->password) {
		field(dc, *y, ferry_label(IDS_UI_PASSWORD), true, true);
		*y += FIELD_H + 14;
	}
	if (v->percent >= 0) {
		int x = (PREVIEW_LOGON_W - FIELD_W) / 2;
		RECT bar = {x, *y, x + FIELD_W, *y + 6}, done = bar;

		fill(dc, bar, RGB(0x4A, 0x6A, 0x8A));
		done.right = x + FIELD_W * (v->percent > 100 ? 100 : v->percent) / 100;
		fill(dc, done, RGB(0xFF, 0xFF, 0xFF));
		*y += 18;
		text(dc, y, v->step, 14, FW_NORMAL, RGB(0xDD, 0xE6, 0xF0), 40);
	}
	if (v->ok_button) {
		int x = (PREVIEW_LOGON_W - 120) / 2;
		RECT b = {x, *y + 8, x + 120, *y + 8 + FIELD_H};
		HFONT f = font(15, FW_NORMAL);
		HGDIOBJ old = SelectObject(dc, f);

		fill(dc, b, RGB(0x3C, 0x5A, 0x7D));
		SetTextColor(dc, RGB(0xFF, 0xFF, 0xFF));
		DrawTextW(dc, ferry_label(IDS_UI_OK), -1, &b, DT_CENTER | DT_VCENTER | DT_SINGLELINE);
		SelectObject(dc, old);
		DeleteObject(f);
		*y += FIELD_H + 16;
	}
	if (v->status && v->status[0])
		text(dc, y, v->status, 14, FW_SEMIBOLD, RGB(0xFF, 0xE0, 0x80), 60);
}

ferry_err preview_logon_render(HBITMAP *out, const struct preview_logon *v)
{
	uint32_t *px = NULL;
	HDC dc = NULL;
	HGDIOBJ old;
	int y = 56;
	ferry_err rc = draw_dib_new(out, &px, PREVIEW_LOGON_W, PREVIEW_LOGON_H);

	if (rc)
		return rc;
	dc = CreateCompatibleDC(NULL);
	if (!dc) {
		DeleteObject(*out);
		*out = NULL;
		return ferry_error_set(FERRY_ESYSTEM, "preview: CreateCompatibleDC failed");
	}
	old = SelectObject(dc, *out);
	for (int j = 0; j < PREVIEW_LOGON_H; j++) { /* LogonUI's default blue, shaded */
		RECT r = {0, j, PREVIEW_LOGON_W, j + 1};

		fill(dc, r, RGB(0x0B + j * 0x10 / PREVIEW_LOGON_H, 0x2A + j * 0x30 / PREVIEW_LOGON_H,
				0x55 + j * 0x40 / PREVIEW_LOGON_H));
	}
	SetBkMode(dc, TRANSPARENT);
	if (v->image)
		image(dc, v->image, &y);
	else if (!v->ok_button)
		avatar(dc, &y);
	else
		y = 200; /* the legal notice has no picture */
	text(dc, &y, v->title, 30, 350 /* semi-light */, RGB(0xFF, 0xFF, 0xFF), 80);
	text(dc, &y, v->body, 15, FW_NORMAL, RGB(0xFF, 0xFF, 0xFF), 140);
	if (v->extra && v->extra[0])
		text(dc, &y, v->extra, 14, FW_NORMAL, RGB(0xDD, 0xE6, 0xF0), 60);
	controls(dc, v, &y);
	GdiFlush();
	SelectObject(dc, old);
	DeleteDC(dc);
	for (size_t i = 0; i < (size_t)PREVIEW_LOGON_W * PREVIEW_LOGON_H; i++)
		px[i] |= 0xFF000000u;
	return FERRY_OK;
}
