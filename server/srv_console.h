/*
 * The admin console's insides (srv_console*.c): HTML written to a reply
 * with every outside string escaped, form bodies decoded, and the pages.
 *
 * Invariants:
 *   1. Text from the database, the request or an agent reaches the page
 *      only through con_text / con_attr (escaped for element text and
 *      for a quoted attribute; '&', '<', '>', '"', '\'' become entities,
 *      control characters a U+FFFD), and URLs only through con_url
 *      (percent-encoded). con_raw is for the page's own markup only.
 *   2. Every page runs for a session whose role the admin API's route
 *      table allows for the page's action (srv_admin_may), and writes one
 *      audit row; every state-changing form carries the session's CSRF
 *      token and is refused without it.
 */
#ifndef FERRY_SRV_CONSOLE_H
#define FERRY_SRV_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv.h"

#define CON_PAGE_ROWS 50u   /* devices and audit rows per page */
#define CON_FORM_MAX 1024u  /* a decoded form value, at most */

/* One console request: the server, the reply and who asks. */
struct con {
	struct srv *s;
	struct srv_req *rq;
	struct srv_reply *rp;
	struct srv_session ses;
	char target[128];               /* the audit row's target */
	char detail[256];               /* and its detail */
};

/* HTML output (srv_console_html.c): all of it appends to c->rp->body. */
void con_raw(struct con *c, const char *html);
void con_rawf(struct con *c, const char *fmt, ...) FERRY_PRINTF(2, 3);
/** Outside text as element text or a quoted attribute value (invariant 1). */
void con_text(struct con *c, const char *text);
/** Outside text percent-encoded for a query value or path part. */
void con_url(struct con *c, const char *text);
/** A Unix time as "2026-12-05 05:46 UTC", or "–" for 0. */
void con_time(struct con *c, int64_t t);

/** <a href="HREF{part percent-encoded}">{text}</a>: href is the server's own, a constant. */
void con_link(struct con *c, const char *href, const char *part, const char *text);
/** <td>{text}</td>. */
void con_cell(struct con *c, const char *text);
/** DOMAIN\\sam, both as text. */
void con_account(struct con *c, const char *domain, const char *sam);
/**
 * A list's pager: "prev" to page - 1 when page > 1, "next" to page + 1 when
 * more, each to HREF{part percent-encoded}&page=N.
 */
void con_pager(struct con *c, const char *href, const char *part, long page, bool more,
	       const char *prev, const char *next);

/** The page's head, navigation (the pages the role may see) and <main>. */
void con_page_start(struct con *c, const char *title, const char *current, unsigned refresh_s);
void con_page_end(struct con *c);

/**
 * The value of name in an application/x-www-form-urlencoded text (a body
 * or a query string) decoded into out; false when absent, malformed
 * (a bad %-escape, a NUL) or longer than cap - 1.
 */
bool con_form_get(char *out, size_t cap, const char *form, size_t len, const char *name);

/** A query parameter as libmicrohttpd decoded it, bounded; "" when absent or too long. */
const char *con_query(struct con *c, const char *name, size_t max);

/** The console's stylesheet and script (no build step; served as they are). */
extern const char con_css[];
extern const char con_js[];

/* The pages (srv_console_pages.c, srv_console_device.c); each answers c->rp. */
void con_waves(struct con *c);
void con_devices(struct con *c);
void con_device(struct con *c, const char *name);
void con_mapping(struct con *c);
void con_helpdesk(struct con *c, const char *device, const char *password, const char *error);
void con_audit(struct con *c);

/** An error page with status (the text is escaped). */
void con_error(struct con *c, int status, const char *text);

#endif
