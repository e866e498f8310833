/*
 * The notifier's dialogs as data: which items (texts, fields, buttons) a
 * dialog has and where they go, computed once by draw_dlg_layout. The
 * notifier creates a real Win32 control for each item (so screen readers
 * and the keyboard work); ferry-preview paints every item into a memory DC
 * with draw_dlg_paint. One layout, two renderers: a preview shows exactly
 * the rectangles and texts the notifier uses.
 */
#ifndef FERRY_DRAW_DIALOG_H
#define FERRY_DRAW_DIALOG_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum draw_dlg {
	DRAW_DLG_AVAILABLE,           /* Start now / Snooze */
	DRAW_DLG_STARTING,            /* starts within 60 minutes: countdown */
	DRAW_DLG_IN_PROGRESS,
	DRAW_DLG_COMPLETE,            /* VPN, then lock and unlock; shown once */
	DRAW_DLG_SERVICE_UNAVAILABLE,
	DRAW_DLG_CACHE_CREDENTIALS,   /* user name, password, outcome */
	DRAW_DLG_COUNT
};

/* The dialog's client area at 96 DPI; scaled by dpi / 96 elsewhere. */
#define DRAW_DLG_W 600
#define DRAW_DLG_H 500

/* Control ids (also the notifier's WM_COMMAND ids). */
enum {
	DRAW_ID_START = 101,
	DRAW_ID_SNOOZE,
	DRAW_ID_OK,
	DRAW_ID_SUBMIT,
	DRAW_ID_LATER,
	DRAW_ID_USER = 110,
	DRAW_ID_PASSWORD,
	DRAW_ID_SNOOZE_CHOICE,
	DRAW_ID_PROGRESS,
	DRAW_ID_STATUS,
	DRAW_ID_COUNTDOWN,
	DRAW_ID_TITLE,
	DRAW_ID_BODY,
	DRAW_ID_EXTRA,
	DRAW_ID_STEP,
	DRAW_ID_LABEL, /* labels: DRAW_ID_LABEL + n */
};

enum draw_item_kind {
	DRAW_ITEM_TITLE,
	DRAW_ITEM_TEXT,
	DRAW_ITEM_LABEL,    /* names the control that follows it */
	DRAW_ITEM_EDIT,
	DRAW_ITEM_PASSWORD,
	DRAW_ITEM_COMBO,
	DRAW_ITEM_PROGRESS,
	DRAW_ITEM_STATUS,
	DRAW_ITEM_COUNTDOWN,
	DRAW_ITEM_BUTTON,
	DRAW_ITEM_DEFBUTTON,
};

enum draw_font_id { DRAW_FONT_BODY, DRAW_FONT_TITLE, DRAW_FONT_BOLD, DRAW_FONT_COUNT };

/* What a dialog shows. Strings are UTF-8 and borrowed. */
struct draw_dlg_model {
	enum draw_dlg kind;
	const char *title, *body;
	const char *extra;          /* cache prompt: the login text */
	const char *username;       /* cache prompt: pre-filled */
	const char *status;         /* cache prompt: the outcome, "" none */
	bool status_ok;
	unsigned seconds_left;      /* starting */
	unsigned percent;           /* in progress */
	const char *step;           /* in progress, "" none */
	unsigned snooze_limit_min;  /* available: the experience's snooze_max_minutes;
				     * 0 = snooze not allowed (no Snooze button) */
	HBITMAP image;              /* logo + QR (draw_tile_image_ex), NULL none */
};

struct draw_item {
	enum draw_item_kind kind;
	int id;
	enum draw_font_id font;
	RECT rc;
	wchar_t *text; /* owned */
};

#define DRAW_DLG_ITEMS 24

struct draw_dlg_layout {
	int dpi, w, h;
	RECT image;          /* empty when no image */
	int footer_top;      /* the button band starts here */
	struct draw_item items[DRAW_DLG_ITEMS];
	size_t n;
	HFONT fonts[DRAW_FONT_COUNT];
	bool body_cut;       /* the body text needs more room than it has */
};

/* The snooze choices, longest last; labels from ferry_label (the table's
 * language), valid for the life of the process. */
struct draw_snooze {
	unsigned minutes;
	const wchar_t *label;
};

/** Choices that end within limit_min (0 = none: snooze not allowed); how many, in *out. */
size_t draw_snooze_choices(const struct draw_snooze **out, unsigned limit_min);

/** Stable name ("migration_available"); NULL when out of range. */
const char *draw_dlg_name(enum draw_dlg d);

/** "Starts in 59:30" for a countdown (IDS_UI_COUNTDOWN_CLOCK's {time}), into buf. */
void draw_countdown_text(wchar_t *buf, size_t cap, unsigned seconds_left);

/**
 * Lay out m at dpi (96 = 100%). The caller frees *out with
 * draw_dlg_layout_free (fonts included). FERRY_ECORRUPT for a text that is
 * not UTF-8; FERRY_ENOMEM; FERRY_ESYSTEM when GDI fails.
 */
ferry_err draw_dlg_layout(struct draw_dlg_layout **out, const struct draw_dlg_model *m, int dpi);

/** NULL-safe. */
void draw_dlg_layout_free(struct draw_dlg_layout *l);

/** The item with control id `id`, or NULL. */
const struct draw_item *draw_dlg_item(const struct draw_dlg_layout *l, int id);

/**
 * Paint the dialog into dc (client coordinates): the background, the
 * footer band and the image always; every item too when `items` is true
 * (ferry-preview; the notifier's controls paint themselves).
 */
void draw_dlg_paint(HDC dc, const struct draw_dlg_model *m, const struct draw_dlg_layout *l,
		    bool items);

#endif
