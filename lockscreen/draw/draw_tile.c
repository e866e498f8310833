/*
 * The credential tile's image: the logo with the QR code beside it, on an
 * opaque white card (a QR code needs a light quiet zone around it, and a
 * logo with transparency then looks the same on any LogonUI background).
 *
 *   +------------------------------+-----+------------+
 *   | logo, fitted, never enlarged | gap | QR, 2..6 px |
 *   | (or the built-in placeholder)|     | per module  |
 *   +------------------------------+-----+------------+
 *
 * Invariants: the image is at most max_w x max_h; QR modules are whole
 * pixels (an integer number per module, so a camera sees sharp edges);
 * every failure of the logo or the QR code degrades that part only.
 */
#include "draw_int.h"

#include <stdio.h>
#include <string.h>

#include "ux/qr.h"

#define QR_PPM_MIN 2 /* the least a phone reads at a screen's distance */
#define QR_PPM_MAX 6 /* more only makes the code bigger, not better */
#define CARD_RGB 0xFFFFFFu

HFONT draw_font(int px, int weight)
{
	return CreateFontW(-px, 0, 0, 0, weight, FALSE, FALSE, FALSE, DEFAULT_CHARSET,
			   OUT_DEFAULT_PRECIS, CLIP_DEFAULT_PRECIS, ANTIALIASED_QUALITY,
			   DEFAULT_PITCH | FF_SWISS, L"Segoe UI");
}

static void note(ferry_err *rc, char *detail, size_t cap, ferry_err err)
{
	*rc = err;
	snprintf(detail, cap, "%s", ferry_error_detail());
}

/* The built-in logo: a plain badge that reads as "a logo goes here" to an
 * admin and as a neutral mark to a user, drawn with GDI at any size. */
void draw_placeholder_logo(HDC dc, const RECT *r)
{
	int w = r->right - r->left, h = r->bottom - r->top;
	HBRUSH bg = CreateSolidBrush(RGB(0x1F, 0x4E, 0x79));
	HFONT big = draw_font(h * 2 / 5, FW_SEMIBOLD), small = draw_font(h / 7 + 1, FW_NORMAL);
	HGDIOBJ ob = SelectObject(dc, bg), op = SelectObject(dc, GetStockObject(NULL_PEN));
	HGDIOBJ of;
	RECT t = *r;

	RoundRect(dc, r->left, r->top, r->right + 1, r->bottom + 1, h / 5, h / 5);
	SetBkMode(dc, TRANSPARENT);
	SetTextColor(dc, RGB(0xFF, 0xFF, 0xFF));
	of = SelectObject(dc, big);
	t.bottom = r->top + h * 2 / 3;
	DrawTextW(dc, L"Ferry", -1, &t, DT_CENTER | DT_BOTTOM | DT_SINGLELINE | DT_NOPREFIX);
	SelectObject(dc, small);
	t.top = t.bottom + h / 30;
	t.bottom = r->bottom;
	SetTextColor(dc, RGB(0xC8, 0xDC, 0xF0));
	DrawTextW(dc, L"PC migration", -1, &t, DT_CENTER | DT_TOP | DT_SINGLELINE | DT_NOPREFIX);
	SelectObject(dc, of);
	SelectObject(dc, op);
	SelectObject(dc, ob);
	DeleteObject(bg);
	DeleteObject(big);
	DeleteObject(small);
	(void)w;
}

void draw_qr_paint(uint32_t *px, int w, int h, int x, int y, int ppm, const struct qr_matrix *m)
{
	for (size_t j = 0; j < m->size; j++)
		for (size_t i = 0; i < m->size; i++)
			draw_fill(px, w, h, x + (int)i * ppm, y + (int)j * ppm, ppm, ppm,
				  qr_matrix_dark(m, i, j) ? 0x000000u : 0xFFFFFFu);
}

/* The QR matrix and its pixels per module for a box of max_h, or none. */
static struct qr_matrix *tile_qr(const char *url, int max_w, int max_h, int *ppm,
				 struct draw_tile_notes *n)
{
	struct qr_matrix *m = NULL;
	ferry_err rc;

	*ppm = 0;
	if (!url || !url[0])
		return NULL;
	rc = qr_matrix_from_url(&m, url, QR_QUIET_STANDARD);
	if (rc) {
		note(&n->qr_rc, n->qr_detail, sizeof n->qr_detail, rc);
		return NULL;
	}
	*ppm = max_h / (int)m->size;
	if (*ppm > QR_PPM_MAX)
		*ppm = QR_PPM_MAX;
	/* Leave at least half the width to the logo. */
	while (*ppm >= QR_PPM_MIN && *ppm * (int)m->size > max_w / 2)
		(*ppm)--;
	if (*ppm < QR_PPM_MIN) {
		note(&n->qr_rc, n->qr_detail, sizeof n->qr_detail,
		     ferry_error_set(FERRY_ERANGE,
				     "QR code: %u modules do not fit %dx%d at %d px per module",
				     (unsigned)m->size, max_w / 2, max_h, QR_PPM_MIN));
		qr_matrix_free(m);
		return NULL;
	}
	return m;
}

/* Paint the logo (or the placeholder, lw x lh) into the card at (0, y). */
static void tile_logo(HBITMAP card, uint32_t *px, int cw, int ch, HBITMAP logo,
		      const uint32_t *lbits, int lw, int lh)
{
	int y = (ch - lh) / 2;

	if (logo) {
		draw_blend(px, cw, ch, lbits, lw, lh, 0, y);
	} else {
		HDC dc = CreateCompatibleDC(NULL);
		RECT r = {0, y, lw, y + lh};

		if (dc) {
			HGDIOBJ old = SelectObject(dc, card);

			draw_placeholder_logo(dc, &r);
			GdiFlush();
			SelectObject(dc, old);
			DeleteDC(dc);
		}
	}
}

ferry_err draw_tile_image_ex(HBITMAP *out, const wchar_t *logo_path, const char *qr_url,
			     int max_w, int max_h, struct draw_tile_notes *notes)
{
	struct draw_tile_notes scratch;
	struct draw_tile_notes *n = notes ? notes : &scratch;
	struct qr_matrix *qr = NULL;
	HBITMAP logo = NULL;
	uint32_t *lbits = NULL, *px = NULL;
	int ppm, qs = 0, gap = 0, lw = 0, lh = 0, cw, ch;
	ferry_err rc;

	*out = NULL;
	memset(n, 0, sizeof *n);
	if (max_w < 64 || max_h < 32 || max_w > DRAW_TILE_MAX_W || max_h > DRAW_TILE_MAX_H)
		return ferry_error_set(FERRY_ERANGE, "tile: %dx%d is outside 64x32..%dx%d", max_w,
				       max_h, DRAW_TILE_MAX_W, DRAW_TILE_MAX_H);
	qr = tile_qr(qr_url, max_w, max_h, &ppm, n);
	if (qr) {
		qs = ppm * (int)qr->size;
		gap = max_h / 16 > 8 ? max_h / 16 : 8;
	}
	if (logo_path && logo_path[0]) {
		rc = draw_image_load(&logo, &lbits, &lw, &lh, logo_path, max_w - qs - gap, max_h);
		if (rc)
			note(&n->logo_rc, n->logo_detail, sizeof n->logo_detail, rc);
	}
	if (!logo) { /* the placeholder: 2:1, as large as the room allows */
		lw = max_w - qs - gap;
		lh = lw / 2 < max_h ? lw / 2 : max_h;
		lw = lh * 2 < lw ? lh * 2 : lw;
	}
	cw = lw + gap + qs;
	ch = lh > qs ? lh : qs;
	rc = draw_dib_new(out, &px, cw, ch);
	if (!rc) {
		draw_fill(px, cw, ch, 0, 0, cw, ch, CARD_RGB);
		tile_logo(*out, px, cw, ch, logo, lbits, lw, lh);
		draw_opaque(px, (size_t)cw * ch);
		if (qr)
			draw_qr_paint(px, cw, ch, lw + gap, (ch - qs) / 2, ppm, qr);
	}
	if (logo)
		DeleteObject(logo);
	qr_matrix_free(qr);
	return rc;
}

ferry_err draw_tile_image(HBITMAP *out, const wchar_t *logo_path, const char *qr_url)
{
	return draw_tile_image_ex(out, logo_path, qr_url, DRAW_TILE_MAX_W, DRAW_TILE_MAX_H, NULL);
}
