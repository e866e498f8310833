/*
 * The words on every screen. A runbook may set a screen's title and text;
 * where it leaves them out, the built-in English text stands. Placeholders
 * ("{target_user}", see runbook/placeholder.h) are filled in here, at show
 * time, by one function that the service, the credential tile, the
 * notifier and ferry-preview all call, so a preview shows exactly what a
 * user will read.
 */
#ifndef FERRY_UX_TEXTS_H
#define FERRY_UX_TEXTS_H

#include <stddef.h>

#include "runbook/runbook.h"
#include "util/err.h"

/* Every screen Ferry can show, at the logon screen or in the session. */
enum ux_screen {
	UX_SCREEN_CACHE_CREDENTIALS,
	UX_SCREEN_MIGRATION_AVAILABLE,
	UX_SCREEN_MIGRATION_STARTING,
	UX_SCREEN_MIGRATION_IN_PROGRESS,
	UX_SCREEN_MIGRATION_COMPLETE,
	UX_SCREEN_SERVICE_UNAVAILABLE,
	UX_SCREEN_FALLBACK,     /* helpdesk's tile */
	UX_SCREEN_LEGAL_NOTICE,
	UX_SCREEN_COUNT
};

/* Values for the placeholders; NULL strings expand to "". */
struct ux_vars {
	const char *target_user;
	const char *source_user;
	const char *target_domain;
	const char *device_name;
	const char *support_phone; /* NULL = the runbook's */
	const char *runbook_name;  /* NULL = the runbook's */
	unsigned minutes;
};

#define UX_TITLE_MAX 256
#define UX_BODY_MAX 2048

struct ux_texts {
	char title[UX_TITLE_MAX + 1];
	char body[UX_BODY_MAX + 1];
	char extra[UX_BODY_MAX + 1]; /* cache prompt: the login text; otherwise "" */
};

/** Stable name ("cache_credentials"); NULL when out of range. */
const char *ux_screen_name(enum ux_screen s);

/**
 * Expand placeholders of `tmpl` into out[cap]. FERRY_ECORRUPT for an
 * unknown or unclosed placeholder (runbook validation refuses those
 * first); FERRY_ERANGE when the result does not fit: out then holds the
 * text cut at a UTF-8 boundary, so a screen still shows something.
 */
ferry_err ux_expand(char *out, size_t cap, const char *tmpl, const struct ux_vars *v);

/**
 * The texts of screen `s` for runbook `rb` (NULL = built-in texts only),
 * placeholders filled from `v`.
 */
ferry_err ux_texts_get(struct ux_texts *out, const struct runbook *rb, enum ux_screen s,
		       const struct ux_vars *v);

/* A placeholder that shows as nothing, and the runbook field it stands in
 * ("user_experience.migration_complete.text", or "built-in text of ..."). */
struct ux_empty_var {
	char field[96];
	char name[32];
};

/**
 * The placeholders of screen `s` that `v` and the runbook leave without a
 * value, so the user would read "Call ." for "Call {support_phone}.". Fills
 * out[0..cap) in the order they appear; *n is how many there are (it may
 * exceed cap). For ferry-preview's warnings; never fails on runbook text.
 */
ferry_err ux_texts_empty_vars(struct ux_empty_var *out, size_t cap, size_t *n,
			      const struct runbook *rb, enum ux_screen s, const struct ux_vars *v);

/**
 * Replace the built-in texts of screen `s` (the English of texts.c), for
 * Windows binaries that load a translated string table at start-up
 * (resources/strings_load.h). NULL leaves that part as it is. The strings
 * are copied; each must fit UX_TITLE_MAX / UX_BODY_MAX bytes and use only
 * known placeholders, else FERRY_ERANGE / FERRY_ECORRUPT and nothing
 * changes, so a bad translation can never break a screen. Not thread-safe:
 * call before other threads ask for texts.
 */
ferry_err ux_texts_set_builtin(enum ux_screen s, const char *title, const char *body);

/** The current built-in templates of screen `s` (borrowed, unexpanded). */
ferry_err ux_texts_builtin(enum ux_screen s, const char **title, const char **body);

/** Back to the compiled-in English texts. */
void ux_texts_reset_builtin(void);

#endif
