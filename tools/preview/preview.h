/*
 * ferry-preview's parts: the LogonUI-style screens (preview_logon.c) and
 * the driver (preview_main.c).
 */
#ifndef FERRY_PREVIEW_H
#define FERRY_PREVIEW_H

#include <windows.h>

#include <stdbool.h>

#include "util/err.h"

/* A LogonUI screen as ferry-preview draws it: the size of a 4:3 display at
 * 100% scaling, the smallest LogonUI lays a tile out for. */
#define PREVIEW_LOGON_W 1024
#define PREVIEW_LOGON_H 768

/* One screen at the logon screen. Strings are UTF-8 and borrowed. */
struct preview_logon {
	HBITMAP image;            /* tile image, NULL = a generic user picture */
	const char *title, *body, *extra;
	const char *user_value;   /* NULL: no user-name field */
	bool password;            /* a password field and the submit arrow */
	int percent;              /* progress bar 0..100, or -1 for none */
	const char *step;
	const char *status;       /* "" or NULL for none */
	bool ok_button;           /* the legal notice's OK */
};

/** Paint a logon screen into a new PREVIEW_LOGON_W x H DIB section. */
ferry_err preview_logon_render(HBITMAP *out, const struct preview_logon *v);

/**
 * Render every screen of the runbook at rb_path into out\<id>\ (user:
 * the target user shown, NULL = a sample name). Prints one line per file
 * on stdout and every problem on stderr; returns 0 when all were written.
 */
int preview_runbook(const wchar_t *rb_path, const wchar_t *out, const wchar_t *user);

#endif
