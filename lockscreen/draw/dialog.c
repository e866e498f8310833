/*
 * Dialog layout (see dialog.h). All sizes below are at 96 DPI and go
 * through S() to the layout's DPI. The layout fills the fixed client area
 * from both ends: image and title from the top, buttons and the dialog's
 * own controls from the bottom; the body text gets what is left between,
 * and body_cut says when it did not fit (ferry-preview warns about it).
 *
 *   +--------------------------------------------------+
 *   | [logo | QR]                                       |
 *   | Title                                             |
 *   | Body text ...                                     |
 *   | (dialog's block: snooze choice / countdown /      |
 *   |  progress / guidance / user name + password)      |
 *   |--------------------------------------------------|
 *   |                            [ Default ] [ Other ]  |  footer band
 *   +--------------------------------------------------+
 */
#include "draw/dialog.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw_int.h"
#include "strings_load.h"
#include "util/mem.h"

#define M 24       /* margin */
#define BTN_H 32
#define BTN_W 112
#define ROW_H 28
#define FOOTER_H (BTN_H + 2 * 14)

/* Labels come from the string table (ferry_label) when asked for, so the
 * language ferry_strings_apply installed at start-up is the one shown. */
static const struct {
	unsigned minutes;
	UINT label;
} snooze_ids[] = {
	{60, IDS_UI_SNOOZE_1H},
	{240, IDS_UI_SNOOZE_4H},
	{1440, IDS_UI_SNOOZE_1D},
};
#define SNOOZE_N (sizeof snooze_ids / sizeof snooze_ids[0])

static const char *const names[DRAW_DLG_COUNT] = {
	"migration_available", "migration_starting", "migration_in_progress",
	"migration_complete", "service_unavailable", "cache_credentials_session",
};

size_t draw_snooze_choices(const struct draw_snooze **out, unsigned limit_min)
{
	static struct draw_snooze all[SNOOZE_N];
	size_t n = 0;

	for (size_t i = 0; i < SNOOZE_N; i++) {
		all[i].minutes = snooze_ids[i].minutes;
		all[i].label = ferry_label(snooze_ids[i].label);
	}
	while (n < SNOOZE_N && all[n].minutes <= limit_min)
		n++;
	*out = all;
	return n;
}

const char *draw_dlg_name(enum draw_dlg d)
{
	return (unsigned)d < DRAW_DLG_COUNT ? names[d] : NULL;
}

void draw_countdown_text(wchar_t *buf, size_t cap, unsigned s)
{
	const wchar_t *fmt = ferry_label(IDS_UI_COUNTDOWN_CLOCK);
	const wchar_t *at = wcsstr(fmt, L"{time}");
	wchar_t clock[16];

	/* The label is data, never a printf format: only {time} is replaced. */
	_snwprintf(clock, 16, L"%u:%02u", s / 60, s % 60);
	clock[15] = 0;
	if (!at)
		_snwprintf(buf, cap, L"%ls %ls", fmt, clock);
	else
		_snwprintf(buf, cap, L"%.*ls%ls%ls", (int)(at - fmt), fmt, clock, at + 6);
	buf[cap - 1] = 0;
}

static int S(const struct draw_dlg_layout *l, int v)
{
	return MulDiv(v, l->dpi, 96);
}

/* Add an item; its text is copied (wide) or converted (UTF-8). */
static ferry_err add(struct draw_dlg_layout *l, enum draw_item_kind kind, int id,
		     enum draw_font_id font, RECT rc, const wchar_t *wtext, const char *u8)
{
	struct draw_item *it;

	if (l->n == DRAW_DLG_ITEMS)
		return ferry_error_set(FERRY_ERANGE, "dialog: more than %d items", DRAW_DLG_ITEMS);
	it = &l->items[l->n];
	if (u8) {
		it->text = draw_wide(u8);
		if (!it->text)
			return ferry_error_wrap(FERRY_ECORRUPT, "dialog: text of item %d", id);
	} else {
		size_t n = wcslen(wtext ? wtext : L"") + 1;

		it->text = ferry_calloc(n, sizeof(wchar_t));
		if (!it->text)
			return ferry_error_set(FERRY_ENOMEM, "dialog: out of memory");
		memcpy(it->text, wtext ? wtext : L"", n * sizeof(wchar_t));
	}
	it->kind = kind;
	it->id = id;
	it->font = font;
	it->rc = rc;
	l->n++;
	return FERRY_OK;
}

/* Height of text wrapped to width in font f. */
static int measure_w(const struct draw_dlg_layout *l, enum draw_font_id f, const wchar_t *w,
		     int width)
{
	HDC dc = CreateCompatibleDC(NULL);
	RECT r = {0, 0, width, 0};
	int h = 0;

	if (w && dc) {
		HGDIOBJ old = SelectObject(dc, l->fonts[f]);

		DrawTextW(dc, w, -1, &r, DT_CALCRECT | DT_WORDBREAK | DT_NOPREFIX | DT_EDITCONTROL);
		h = r.bottom;
		SelectObject(dc, old);
	}
	if (dc)
		DeleteDC(dc);
	return h;
}

static int measure(const struct draw_dlg_layout *l, enum draw_font_id f, const char *u8,
		   int width)
{
	wchar_t *w = draw_wide(u8);
	int h = measure_w(l, f, w, width);

	ferry_free(w);
	return h;
}

static RECT rect(int x, int y, int w, int h)
{
	RECT r = {x, y, x + w, y + h};

	return r;
}

/* Buttons right-aligned in the footer; the first is the default. */
static ferry_err buttons(struct draw_dlg_layout *l, const int *ids, const wchar_t *const *labels,
			 size_t n)
{
	int x = l->w - S(l, M), y = l->footer_top + S(l, 14);
	ferry_err rc = FERRY_OK;

	for (size_t i = n; i-- > 0 && !rc;) {
		x -= S(l, BTN_W);
		rc = add(l, i == 0 ? DRAW_ITEM_DEFBUTTON : DRAW_ITEM_BUTTON, ids[i], DRAW_FONT_BODY,
			 rect(x, y, S(l, BTN_W), S(l, BTN_H)), labels[i], NULL);
		x -= S(l, 8);
	}
	return rc;
}

/* A label and its control on one row at y; the control's text is wvalue
 * when given, else the UTF-8 value. */
static ferry_err row(struct draw_dlg_layout *l, int y, int label_id, const wchar_t *label,
		     enum draw_item_kind kind, int id, const wchar_t *wvalue, const char *value,
		     int ctl_w)
{
	int lw = S(l, 140);
	ferry_err rc = add(l, DRAW_ITEM_LABEL, label_id, DRAW_FONT_BODY,
			   rect(S(l, M), y + S(l, 5), lw, S(l, ROW_H) - S(l, 5)), label, NULL);

	if (!rc)
		rc = add(l, kind, id, DRAW_FONT_BODY, rect(S(l, M) + lw, y, S(l, ctl_w), S(l, ROW_H)),
			 wvalue, wvalue ? NULL : value ? value : "");
	return rc;
}

/* The dialog's own block, bottom-up from *yb; the buttons. */
static ferry_err block(struct draw_dlg_layout *l, const struct draw_dlg_model *m, int *yb)
{
	const wchar_t *const l_avail[] = {ferry_label(IDS_UI_START_NOW), ferry_label(IDS_UI_SNOOZE)};
	static const int i_avail[] = {DRAW_ID_START, DRAW_ID_SNOOZE};
	const wchar_t *const l_start[] = {ferry_label(IDS_UI_START_NOW), ferry_label(IDS_UI_OK)};
	static const int i_start[] = {DRAW_ID_START, DRAW_ID_OK};
	const wchar_t *const l_hide[] = {ferry_label(IDS_UI_HIDE)};
	const wchar_t *const l_ok[] = {ferry_label(IDS_UI_OK)};
	const wchar_t *const l_close[] = {ferry_label(IDS_UI_CLOSE)};
	static const int i_ok[] = {DRAW_ID_OK};
	const wchar_t *const l_cache[] = {ferry_label(IDS_UI_SIGN_IN), ferry_label(IDS_UI_LATER)};
	static const int i_cache[] = {DRAW_ID_SUBMIT, DRAW_ID_LATER};
	const wchar_t *guidance = ferry_label(IDS_UI_GUIDANCE);
	const struct draw_snooze *ch;
	int x = S(l, M), w = l->w - 2 * S(l, M), h;
	ferry_err rc = FERRY_OK;
	wchar_t cd[64];

	switch (m->kind) {
	case DRAW_DLG_AVAILABLE:
		*yb -= S(l, ROW_H);
		if (draw_snooze_choices(&ch, m->snooze_limit_min))
			rc = row(l, *yb, DRAW_ID_LABEL, ferry_label(IDS_UI_REMIND_ME), DRAW_ITEM_COMBO,
				 DRAW_ID_SNOOZE_CHOICE, ch[0].label, NULL, 180);
		return rc ? rc : buttons(l, i_avail, l_avail,
					 draw_snooze_choices(&ch, m->snooze_limit_min) ? 2 : 1);
	case DRAW_DLG_STARTING:
		*yb -= S(l, 36);
		draw_countdown_text(cd, 64, m->seconds_left);
		rc = add(l, DRAW_ITEM_COUNTDOWN, DRAW_ID_COUNTDOWN, DRAW_FONT_TITLE,
			 rect(x, *yb, w, S(l, 36)), cd, NULL);
		return rc ? rc : buttons(l, i_start, l_start, 2);
	case DRAW_DLG_IN_PROGRESS:
		*yb -= S(l, 20);
		rc = add(l, DRAW_ITEM_PROGRESS, DRAW_ID_PROGRESS, DRAW_FONT_BODY,
			 rect(x, *yb, w, S(l, 20)), NULL, "");
		*yb -= S(l, 26);
		if (!rc)
			rc = add(l, DRAW_ITEM_TEXT, DRAW_ID_STEP, DRAW_FONT_BODY,
				 rect(x, *yb, w, S(l, 20)), NULL, m->step ? m->step : "");
		return rc ? rc : buttons(l, i_ok, l_hide, 1);
	case DRAW_DLG_COMPLETE:
		h = measure_w(l, DRAW_FONT_BOLD, guidance, w);
		*yb -= h;
		rc = add(l, DRAW_ITEM_TEXT, DRAW_ID_EXTRA, DRAW_FONT_BOLD, rect(x, *yb, w, h), guidance,
			 NULL);
		return rc ? rc : buttons(l, i_ok, l_ok, 1);
	case DRAW_DLG_SERVICE_UNAVAILABLE:
		return buttons(l, i_ok, l_close, 1);
	case DRAW_DLG_CACHE_CREDENTIALS:
		*yb -= S(l, 20);
		rc = add(l, DRAW_ITEM_STATUS, DRAW_ID_STATUS, DRAW_FONT_BOLD, rect(x, *yb, w, S(l, 20)),
			 NULL, m->status ? m->status : "");
		*yb -= S(l, ROW_H + 8);
		if (!rc)
			rc = row(l, *yb, DRAW_ID_LABEL + 2, ferry_label(IDS_UI_PASSWORD_LABEL),
				 DRAW_ITEM_PASSWORD, DRAW_ID_PASSWORD, NULL, "", 300);
		*yb -= S(l, ROW_H + 8);
		if (!rc)
			rc = row(l, *yb, DRAW_ID_LABEL + 1, ferry_label(IDS_UI_USERNAME_LABEL),
				 DRAW_ITEM_EDIT, DRAW_ID_USER, NULL, m->username, 300);
		if (!rc && m->extra && m->extra[0]) {
			h = measure(l, DRAW_FONT_BODY, m->extra, w);
			if (h > S(l, 60))
				h = S(l, 60);
			*yb -= h + S(l, 8);
			rc = add(l, DRAW_ITEM_TEXT, DRAW_ID_EXTRA, DRAW_FONT_BODY, rect(x, *yb, w, h),
				 NULL, m->extra);
		}
		return rc ? rc : buttons(l, i_cache, l_cache, 2);
	default:
		return ferry_error_set(FERRY_EINVAL, "dialog: kind %d", (int)m->kind);
	}
}

static ferry_err fonts(struct draw_dlg_layout *l)
{
	l->fonts[DRAW_FONT_BODY] = draw_font(S(l, 15), FW_NORMAL);
	l->fonts[DRAW_FONT_TITLE] = draw_font(S(l, 24), FW_SEMIBOLD);
	l->fonts[DRAW_FONT_BOLD] = draw_font(S(l, 15), FW_SEMIBOLD);
	for (int i = 0; i < DRAW_FONT_COUNT; i++)
		if (!l->fonts[i])
			return ferry_error_set(FERRY_ESYSTEM, "dialog: CreateFontW failed");
	return FERRY_OK;
}

ferry_err draw_dlg_layout(struct draw_dlg_layout **out, const struct draw_dlg_model *m, int dpi)
{
	struct draw_dlg_layout *l;
	int y, yb, w, th, bh;
	ferry_err rc;

	*out = NULL;
	if (!m || (unsigned)m->kind >= DRAW_DLG_COUNT || dpi < 48 || dpi > 480)
		return ferry_error_set(FERRY_EINVAL, "dialog: bad model or DPI %d", dpi);
	l = ferry_calloc(1, sizeof *l);
	if (!l)
		return ferry_error_set(FERRY_ENOMEM, "dialog: out of memory");
	l->dpi = dpi;
	l->w = S(l, DRAW_DLG_W);
	l->h = S(l, DRAW_DLG_H);
	l->footer_top = l->h - S(l, FOOTER_H);
	w = l->w - 2 * S(l, M);
	rc = fonts(l);
	y = S(l, M);
	if (!rc && m->image) {
		BITMAP bm;

		if (GetObjectW(m->image, sizeof bm, &bm) == (int)sizeof bm) {
			/* Whole-pixel scaling keeps the QR modules sharp. */
			int k = dpi >= 192 ? dpi / 96 : 1;

			l->image = rect(S(l, M), y, bm.bmWidth * k, bm.bmHeight * k);
			y = l->image.bottom + S(l, 16);
		}
	}
	if (!rc) {
		th = measure(l, DRAW_FONT_TITLE, m->title ? m->title : "", w);
		if (th > S(l, 64))
			th = S(l, 64); /* two lines at most */
		rc = add(l, DRAW_ITEM_TITLE, DRAW_ID_TITLE, DRAW_FONT_TITLE, rect(S(l, M), y, w, th),
			 NULL, m->title ? m->title : "");
		y += th + S(l, 10);
	}
	yb = l->footer_top - S(l, 16);
	if (!rc)
		rc = block(l, m, &yb);
	if (!rc) {
		bh = measure(l, DRAW_FONT_BODY, m->body ? m->body : "", w);
		yb -= S(l, 12);
		l->body_cut = bh > yb - y;
		rc = add(l, DRAW_ITEM_TEXT, DRAW_ID_BODY, DRAW_FONT_BODY,
			 rect(S(l, M), y, w, yb - y > 0 ? yb - y : 0), NULL, m->body ? m->body : "");
	}
	if (rc) {
		draw_dlg_layout_free(l);
		return rc;
	}
	*out = l;
	return FERRY_OK;
}

void draw_dlg_layout_free(struct draw_dlg_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		ferry_free(l->items[i].text);
	for (int i = 0; i < DRAW_FONT_COUNT; i++)
		if (l->fonts[i])
			DeleteObject(l->fonts[i]);
	ferry_free(l);
}

const struct draw_item *draw_dlg_item(const struct draw_dlg_layout *l, int id)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->items[i].id == id)
			return &l->items[i];
	return NULL;
}
