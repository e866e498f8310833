/*
 * One runbook through ferry-preview: load and validate it (every issue
 * printed with its JSON Pointer), then render each logon screen, each
 * notifier dialog, the tile image and the lock-screen image.
 */
#include "preview.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw/dialog.h"
#include "draw/draw.h"
#include "ipc/msg.h"
#include "runbook/runbook.h"
#include "util/mem.h"
#include "util/utf.h"
#include "ux/texts.h"

struct ctx {
	wchar_t dir[MAX_PATH];   /* out\<id> */
	wchar_t rbdir[MAX_PATH]; /* the runbook's folder, for relative paths */
	const struct runbook *rb;
	struct ux_vars vars;
	char user[260], domain[260], fallback[300];
	wchar_t logo[MAX_PATH];
	HBITMAP tile, logo_only, dlg_tile, dlg_logo;
	int warnings, failures;
	unsigned empty_checked; /* screens whose empty placeholders were reported */
};

static char *u8(const wchar_t *w)
{
	char *s = NULL;
	size_t n;

	if (ferry_utf16_to_utf8(&s, &n, (const uint16_t *)w, wcslen(w)))
		return NULL;
	return s;
}

/* A runbook-relative path (UTF-8) as a wide path. */
static void resolve(wchar_t *out, size_t cap, const wchar_t *base, const char *rel)
{
	uint16_t *w = NULL;
	size_t n;

	out[0] = 0;
	if (ferry_utf8_to_utf16(&w, &n, rel, strlen(rel)))
		return;
	if ((n > 2 && w[1] == ':') || w[0] == '\\' || w[0] == '/' || !base[0])
		_snwprintf(out, cap, L"%ls", (wchar_t *)w);
	else
		_snwprintf(out, cap, L"%ls\\%ls", base, (wchar_t *)w);
	out[cap - 1] = 0;
	ferry_free(w);
}

static double now_ms(void)
{
	LARGE_INTEGER f, c;

	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&c);
	return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

static void warn(struct ctx *c, const char *what, const char *detail)
{
	fprintf(stderr, "ferry-preview: warning: %s: %s: %s\n", c->rb->id, what, detail);
	c->warnings++;
}

/* Write bmp as <dir>\<name>.png and report it; frees bmp unless keep. */
static void save_bmp(struct ctx *c, const char *name, HBITMAP bmp, double t0, ferry_err rc,
		     bool keep)
{
	wchar_t path[MAX_PATH];
	const uint32_t *bits;
	int w = 0, h = 0;
	char *p;

	_snwprintf(path, MAX_PATH, L"%ls\\%hs.png", c->dir, name);
	path[MAX_PATH - 1] = 0;
	if (!rc)
		rc = draw_dib_info(&bits, &w, &h, bmp);
	if (!rc)
		rc = draw_png_write(path, bmp);
	p = u8(path);
	if (rc) {
		fprintf(stderr, "ferry-preview: %s: %s\n", p ? p : name, ferry_error_detail());
		c->failures++;
	} else {
		WIN32_FILE_ATTRIBUTE_DATA fa;
		unsigned long size = GetFileAttributesExW(path, GetFileExInfoStandard, &fa)
					     ? fa.nFileSizeLow : 0;

		printf("%s %dx%d %lu bytes %.1f ms\n", p ? p : name, w, h, size, now_ms() - t0);
	}
	ferry_free(p);
	if (bmp && !keep)
		DeleteObject(bmp);
}

static void save(struct ctx *c, const char *name, HBITMAP bmp, double t0, ferry_err rc)
{
	save_bmp(c, name, bmp, t0, rc, false);
}

/* Once per screen: each placeholder that would show as nothing. */
static void warn_empty_vars(struct ctx *c, enum ux_screen s)
{
	struct ux_empty_var e[8];
	size_t n = 0;
	char what[160], detail[160];

	if (c->empty_checked & (1u << s))
		return;
	c->empty_checked |= 1u << s;
	if (ux_texts_empty_vars(e, 8, &n, c->rb, s, &c->vars))
		return;
	for (size_t i = 0; i < n && i < 8; i++) {
		snprintf(what, sizeof what, "%s: {%s}", ux_screen_name(s), e[i].name);
		snprintf(detail, sizeof detail, "has no value and shows as nothing (in %s)", e[i].field);
		warn(c, what, detail);
	}
}

static bool texts(struct ux_texts *t, struct ctx *c, enum ux_screen s)
{
	ferry_err rc = ux_texts_get(t, c->rb, s, &c->vars);

	warn_empty_vars(c, s);

	if (rc == FERRY_ERANGE) { /* cut, but still shown: say so */
		warn(c, ux_screen_name(s), ferry_error_detail());
		rc = FERRY_OK;
	}
	if (rc) {
		fprintf(stderr, "ferry-preview: %s: %s: %s\n", c->rb->id, ux_screen_name(s),
			ferry_error_detail());
		c->failures++;
	}
	return !rc;
}

static HBITMAP tile(struct ctx *c, const char *qr, int w, int h, bool report)
{
	struct draw_tile_notes n;
	HBITMAP bmp = NULL;
	ferry_err rc = draw_tile_image_ex(&bmp, c->logo[0] ? c->logo : NULL, qr, w, h, &n);

	if (rc) {
		fprintf(stderr, "ferry-preview: %s: tile: %s\n", c->rb->id, ferry_error_detail());
		c->failures++;
		return NULL;
	}
	if (report && n.logo_rc)
		warn(c, "logo (the built-in placeholder is shown)", n.logo_detail);
	if (report && n.qr_rc) {
		warn(c, "QR code (left out)", n.qr_detail);
		c->failures++; /* a runbook asking for a QR code must get one */
	}
	return bmp;
}

static void logon(struct ctx *c, enum ux_screen s, struct preview_logon *v)
{
	struct ux_texts t;
	HBITMAP bmp = NULL;
	double t0 = now_ms();
	char name[64];

	if (!texts(&t, c, s))
		return;
	v->title = t.title;
	v->body = t.body;
	if (!v->extra)
		v->extra = t.extra;
	snprintf(name, sizeof name, "logon-%s", ux_screen_name(s));
	save(c, name, bmp, t0, preview_logon_render(&bmp, v));
}

static void logon_screens(struct ctx *c)
{
	struct preview_logon v;

	memset(&v, 0, sizeof v);
	v = (struct preview_logon){c->tile, NULL, NULL, NULL, c->user, true, -1, NULL, NULL, false};
	logon(c, UX_SCREEN_CACHE_CREDENTIALS, &v);
	v = (struct preview_logon){c->logo_only, NULL, NULL, "", NULL, false, 40,
				   "Step 4 of 9: joining the new domain", NULL, false};
	logon(c, UX_SCREEN_MIGRATION_IN_PROGRESS, &v);
	v = (struct preview_logon){c->logo_only, NULL, NULL, "", NULL, false, -1, NULL, NULL, false};
	logon(c, UX_SCREEN_SERVICE_UNAVAILABLE, &v);
	v = (struct preview_logon){NULL, NULL, NULL, "", c->fallback, true, -1, NULL, NULL, false};
	logon(c, UX_SCREEN_FALLBACK, &v);
	v = (struct preview_logon){NULL, NULL, NULL, "", NULL, false, -1, NULL, NULL, true};
	logon(c, UX_SCREEN_LEGAL_NOTICE, &v);
}

static void dialog(struct ctx *c, enum draw_dlg kind, enum ux_screen s, HBITMAP img)
{
	struct draw_dlg_model m;
	struct draw_dlg_layout *l = NULL;
	struct ux_texts t;
	HBITMAP bmp = NULL;
	uint32_t *px = NULL;
	double t0 = now_ms();
	char name[64];
	ferry_err rc;

	if (!texts(&t, c, s))
		return;
	memset(&m, 0, sizeof m);
	m.kind = kind;
	m.title = t.title;
	m.body = t.body;
	m.extra = t.extra;
	m.username = c->user;
	m.status = "";
	m.seconds_left = 59 * 60 + 30;
	m.snooze_limit_min = IPC_SNOOZE_MIN_MAX; /* nothing enforced yet: every choice */
	m.percent = 40;
	m.step = "Step 4 of 9: joining the new domain";
	m.image = img;
	rc = draw_dlg_layout(&l, &m, 96);
	if (!rc)
		rc = draw_dib_new(&bmp, &px, l->w, l->h);
	if (!rc) {
		HDC dc = CreateCompatibleDC(NULL);
		HGDIOBJ old = dc ? SelectObject(dc, bmp) : NULL;

		if (dc) {
			draw_dlg_paint(dc, &m, l, true);
			GdiFlush();
			SelectObject(dc, old);
			DeleteDC(dc);
		}
		for (size_t i = 0; i < (size_t)l->w * l->h; i++)
			px[i] |= 0xFF000000u;
		if (l->body_cut)
			warn(c, draw_dlg_name(kind), "the text is longer than the dialog shows");
	}
	snprintf(name, sizeof name, "notify-%s", draw_dlg_name(kind));
	save(c, name, bmp, t0, rc);
	draw_dlg_layout_free(l);
}

static void dialogs(struct ctx *c)
{
	dialog(c, DRAW_DLG_AVAILABLE, UX_SCREEN_MIGRATION_AVAILABLE, c->dlg_logo);
	c->vars.minutes = 60;
	dialog(c, DRAW_DLG_STARTING, UX_SCREEN_MIGRATION_STARTING, c->dlg_logo);
	dialog(c, DRAW_DLG_IN_PROGRESS, UX_SCREEN_MIGRATION_IN_PROGRESS, c->dlg_logo);
	dialog(c, DRAW_DLG_COMPLETE, UX_SCREEN_MIGRATION_COMPLETE, c->dlg_logo);
	dialog(c, DRAW_DLG_SERVICE_UNAVAILABLE, UX_SCREEN_SERVICE_UNAVAILABLE, c->dlg_logo);
	dialog(c, DRAW_DLG_CACHE_CREDENTIALS, UX_SCREEN_CACHE_CREDENTIALS, c->dlg_tile);
}

static void lock_image(struct ctx *c)
{
	struct ux_texts t;
	wchar_t img[MAX_PATH] = L"";
	HBITMAP bmp = NULL;
	double t0 = now_ms();
	ferry_err rc;

	if (!texts(&t, c, UX_SCREEN_MIGRATION_IN_PROGRESS))
		return;
	if (c->rb->startup.image_source == RB_IMAGE_CUSTOM && c->rb->startup.image_path)
		resolve(img, MAX_PATH, c->rbdir, c->rb->startup.image_path);
	rc = draw_lockscreen_bitmap(&bmp, img[0] ? img : NULL, t.title);
	if (rc && img[0]) {
		warn(c, "lock-screen image (Ferry's default is shown)", ferry_error_detail());
		rc = draw_lockscreen_bitmap(&bmp, NULL, t.title);
	}
	save(c, "lockscreen", bmp, t0, rc);
}

/* Parse the runbook; print every issue with its pointer. */
static struct runbook *load(const wchar_t *path)
{
	struct rb_issues iss = {0};
	struct runbook *rb = NULL;
	char *p = u8(path), *json = NULL;
	size_t len = 0;

	if (!p)
		return NULL;
	if (rb_read_file(&json, &len, p, RUNBOOK_MAX_BYTES)) {
		fprintf(stderr, "ferry-preview: %s: %s\n", p, ferry_error_detail());
	} else if (rb_doc_kind(json, len) == RB_DOC_BATCH) {
		fprintf(stderr, "ferry-preview: %s: is a batch, not a runbook (pass its runbooks)\n", p);
	} else if (runbook_parse(&rb, &iss, p, json, len)) {
		for (size_t i = 0; i < iss.n; i++)
			fprintf(stderr, "ferry-preview: %s: %s: %s\n", p,
				iss.v[i].pointer[0] ? iss.v[i].pointer : "(document)",
				iss.v[i].message);
		if (!iss.n)
			fprintf(stderr, "ferry-preview: %s: %s\n", p, ferry_error_detail());
	}
	rb_issues_clear(&iss);
	ferry_free(json);
	ferry_free(p);
	return rb;
}

static void setup(struct ctx *c, const wchar_t *path, const wchar_t *out, const wchar_t *user)
{
	const struct runbook *rb = c->rb;
	const wchar_t *sep = wcsrchr(path, L'\\'), *sep2 = wcsrchr(path, L'/');
	char *u = user ? u8(user) : NULL;

	if (sep2 > sep)
		sep = sep2;
	if (sep)
		_snwprintf(c->rbdir, MAX_PATH, L"%.*ls", (int)(sep - path), path);
	c->rbdir[MAX_PATH - 1] = 0;
	_snwprintf(c->dir, MAX_PATH, L"%ls\\%hs", out, rb->id);
	c->dir[MAX_PATH - 1] = 0;
	snprintf(c->domain, sizeof c->domain, "%s",
		 rb->device_state.domain ? rb->device_state.domain : "target.example");
	if (u)
		snprintf(c->user, sizeof c->user, "%s", u);
	else
		snprintf(c->user, sizeof c->user, "j.doe@%s", c->domain);
	ferry_free(u);
	snprintf(c->fallback, sizeof c->fallback, ".\\%s",
		 rb->startup.fallback.username ? rb->startup.fallback.username : "helpdesk");
	c->vars.target_user = c->user;
	c->vars.source_user = "SOURCE\\j.doe";
	c->vars.target_domain = c->domain;
	c->vars.device_name = "PC-0001";
	c->vars.minutes = 60;
	if (rb->user_experience.cache_credentials.logo)
		resolve(c->logo, MAX_PATH, c->rbdir, rb->user_experience.cache_credentials.logo);
}

int preview_runbook(const wchar_t *path, const wchar_t *out, const wchar_t *user)
{
	struct ctx c;
	struct runbook *rb = load(path);
	const char *qr;
	double t0;

	if (!rb)
		return 1;
	memset(&c, 0, sizeof c);
	c.rb = rb;
	setup(&c, path, out, user);
	if (!CreateDirectoryW(c.dir, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
		fprintf(stderr, "ferry-preview: %s: cannot create its output folder (Win32 error %lu)\n",
			rb->id, (unsigned long)GetLastError());
		runbook_free(rb);
		return 1;
	}
	qr = rb->user_experience.qr_code_url;
	t0 = now_ms();
	c.tile = tile(&c, qr, DRAW_TILE_MAX_W, DRAW_TILE_MAX_H, true);
	c.logo_only = tile(&c, NULL, DRAW_TILE_MAX_W, DRAW_TILE_MAX_H, false);
	c.dlg_tile = tile(&c, qr, 400, 130, false);
	c.dlg_logo = tile(&c, NULL, 240, 80, false);
	if (c.tile)
		save_bmp(&c, "tile", c.tile, t0, FERRY_OK, true);
	logon_screens(&c);
	dialogs(&c);
	lock_image(&c);
	for (HBITMAP *b = &c.tile; b <= &c.dlg_logo; b++)
		if (*b)
			DeleteObject(*b);
	printf("%s: %d warning(s), %d failure(s)\n", rb->id, c.warnings, c.failures);
	runbook_free(rb);
	return c.failures ? 1 : 0;
}
