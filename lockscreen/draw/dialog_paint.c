/*
 * Painting a laid-out dialog (dialog.h). The notifier paints only the
 * background, the footer band and the image; its controls draw themselves.
 * ferry-preview paints everything, imitating the Windows 10 controls'
 * flat look closely enough for an admin to judge texts and spacing.
 */
#include "draw/dialog.h"

#include <string.h>

#include "draw_int.h"

#define C_BG RGB(0xFF, 0xFF, 0xFF)
#define C_FOOTER RGB(0xF0, 0xF0, 0xF0)
#define C_TEXT RGB(0x1E, 0x1E, 0x1E)
#define C_TITLE RGB(0x1F, 0x4E, 0x79)
#define C_BORDER RGB(0x7A, 0x7A, 0x7A)
#define C_BUTTON RGB(0xE1, 0xE1, 0xE1)
#define C_ACCENT RGB(0x00, 0x78, 0xD7)
#define C_OK RGB(0x10, 0x7C, 0x10)
#define C_FAIL RGB(0xC4, 0x2B, 0x1C)

static void fill(HDC dc, const RECT *r, COLORREF c)
{
	HBRUSH b = CreateSolidBrush(c);

	if (b) {
		FillRect(dc, r, b);
		DeleteObject(b);
	}
}

static void frame(HDC dc, const RECT *r, COLORREF c, int width)
{
	RECT t;

	for (int i = 0; i < width; i++) {
		t = *r;
		InflateRect(&t, -i, -i);
		{
			HBRUSH b = CreateSolidBrush(c);

			if (b) {
				FrameRect(dc, &t, b);
				DeleteObject(b);
			}
		}
	}
}

static void text(HDC dc, const struct draw_dlg_layout *l, const struct draw_item *it, RECT r,
		 COLORREF c, UINT fmt)
{
	HGDIOBJ old = SelectObject(dc, l->fonts[it->font]);

	SetTextColor(dc, c);
	SetBkMode(dc, TRANSPARENT);
	DrawTextW(dc, it->text, -1, &r, fmt | DT_NOPREFIX);
	SelectObject(dc, old);
}

/* A field: white box with a border; the text inset, or bullets. */
static void field(HDC dc, const struct draw_dlg_layout *l, const struct draw_item *it)
{
	RECT r = it->rc;
	int pad = MulDiv(6, l->dpi, 96);
	struct draw_item shown = *it;

	fill(dc, &r, C_BG);
	frame(dc, &r, C_BORDER, 1);
	if (it->kind == DRAW_ITEM_PASSWORD)
		shown.text = L"\x25CF\x25CF\x25CF\x25CF\x25CF\x25CF\x25CF\x25CF";
	r.left += pad;
	r.right -= pad;
	text(dc, l, &shown, r, C_TEXT, DT_VCENTER | DT_SINGLELINE | DT_END_ELLIPSIS);
	if (it->kind == DRAW_ITEM_COMBO) {
		RECT a = it->rc;

		a.left = a.right - MulDiv(24, l->dpi, 96);
		shown.text = L"\x25BE"; /* small down triangle */
		text(dc, l, &shown, a, C_TEXT, DT_CENTER | DT_VCENTER | DT_SINGLELINE);
	}
}

static void progress(HDC dc, const struct draw_dlg_model *m, const struct draw_item *it)
{
	RECT r = it->rc, bar;
	unsigned pc = m->percent > 100 ? 100 : m->percent;

	fill(dc, &r, RGB(0xE6, 0xE6, 0xE6));
	frame(dc, &r, RGB(0xBC, 0xBC, 0xBC), 1);
	bar = r;
	InflateRect(&bar, -1, -1);
	bar.right = bar.left + (int)((bar.right - bar.left) * (long)pc / 100);
	fill(dc, &bar, RGB(0x06, 0xB0, 0x25));
}

static void button(HDC dc, const struct draw_dlg_layout *l, const struct draw_item *it)
{
	RECT r = it->rc;

	fill(dc, &r, C_BUTTON);
	if (it->kind == DRAW_ITEM_DEFBUTTON)
		frame(dc, &r, C_ACCENT, MulDiv(2, l->dpi, 96));
	else
		frame(dc, &r, RGB(0xAD, 0xAD, 0xAD), 1);
	text(dc, l, it, r, C_TEXT, DT_CENTER | DT_VCENTER | DT_SINGLELINE);
}

static void item(HDC dc, const struct draw_dlg_model *m, const struct draw_dlg_layout *l,
		 const struct draw_item *it)
{
	UINT wrap = DT_WORDBREAK | DT_EDITCONTROL | DT_END_ELLIPSIS;

	switch (it->kind) {
	case DRAW_ITEM_TITLE:
		text(dc, l, it, it->rc, C_TITLE, wrap);
		break;
	case DRAW_ITEM_TEXT:
	case DRAW_ITEM_LABEL:
		text(dc, l, it, it->rc, C_TEXT, wrap);
		break;
	case DRAW_ITEM_COUNTDOWN:
		text(dc, l, it, it->rc, C_TITLE, DT_SINGLELINE | DT_VCENTER);
		break;
	case DRAW_ITEM_STATUS:
		text(dc, l, it, it->rc, m->status_ok ? C_OK : C_FAIL, DT_SINGLELINE | DT_END_ELLIPSIS);
		break;
	case DRAW_ITEM_EDIT:
	case DRAW_ITEM_PASSWORD:
	case DRAW_ITEM_COMBO:
		field(dc, l, it);
		break;
	case DRAW_ITEM_PROGRESS:
		progress(dc, m, it);
		break;
	case DRAW_ITEM_BUTTON:
	case DRAW_ITEM_DEFBUTTON:
		button(dc, l, it);
		break;
	}
}

void draw_dlg_paint(HDC dc, const struct draw_dlg_model *m, const struct draw_dlg_layout *l,
		    bool items)
{
	RECT all = {0, 0, l->w, l->h}, foot = {0, l->footer_top, l->w, l->h};

	fill(dc, &all, C_BG);
	fill(dc, &foot, C_FOOTER);
	if (m->image && !IsRectEmpty(&l->image)) {
		HDC src = CreateCompatibleDC(dc);

		if (src) {
			HGDIOBJ old = SelectObject(src, m->image);
			BITMAP bm;

			if (GetObjectW(m->image, sizeof bm, &bm) == (int)sizeof bm) {
				SetStretchBltMode(dc, COLORONCOLOR);
				StretchBlt(dc, l->image.left, l->image.top, l->image.right - l->image.left,
					   l->image.bottom - l->image.top, src, 0, 0, bm.bmWidth,
					   bm.bmHeight, SRCCOPY);
			}
			SelectObject(src, old);
			DeleteDC(src);
		}
	}
	for (size_t i = 0; items && i < l->n; i++)
		item(dc, m, l, &l->items[i]);
}
