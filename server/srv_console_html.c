/*
 * The console's HTML writer, form decoder, page frame and its two static
 * files (srv_console.h). Nothing here is fetched from outside: the
 * stylesheet and the script below are the whole of the console's assets.
 */
#include "srv_console.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/hex.h"

void con_raw(struct con *c, const char *html)
{
	(void)ferry_buf_puts(&c->rp->body, html);
}

void con_rawf(struct con *c, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	con_raw(c, tmp);
}

void con_text(struct con *c, const char *text)
{
	struct ferry_buf *b = &c->rp->body;
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	const unsigned char *run = p;

	for (; *p; p++) {
		const char *ent = NULL;

		switch (*p) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default:
			if (*p < 0x20 && *p != '\n' && *p != '\t')
				ent = "\xEF\xBF\xBD";
			else if (*p == 0x7f)
				ent = "\xEF\xBF\xBD";
		}
		if (!ent)
			continue;
		(void)ferry_buf_append(b, run, (size_t)(p - run));
		(void)ferry_buf_puts(b, ent);
		run = p + 1;
	}
	(void)ferry_buf_append(b, run, (size_t)(p - run));
}

void con_url(struct con *c, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	struct ferry_buf *b = &c->rp->body;

	for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
			(void)ferry_buf_append(b, p, 1);
		else
			(void)ferry_buf_append(b, e, 3);
	}
}

void con_time(struct con *c, int64_t t)
{
	char out[40];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		con_raw(c, "&ndash;");
		return;
	}
	strftime(out, sizeof(out), "%Y-%m-%d %H:%M UTC", &tm);
	con_rawf(c, "<time datetime=\"%lld\">%s</time>", (long long)t, out);
}

void con_link(struct con *c, const char *href, const char *part, const char *text)
{
	con_rawf(c, "<a href=\"%s", href);
	con_url(c, part);
	con_raw(c, "\">");
	con_text(c, text);
	con_raw(c, "</a>");
}

void con_cell(struct con *c, const char *text)
{
	con_raw(c, "<td>");
	con_text(c, text);
	con_raw(c, "</td>");
}

void con_account(struct con *c, const char *domain, const char *sam)
{
	con_text(c, domain);
	con_raw(c, "\\");
	con_text(c, sam);
}

void con_pager(struct con *c, const char *href, const char *part, long page, bool more,
	       const char *prev, const char *next)
{
	con_raw(c, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1) {
		con_rawf(c, "<a rel=\"prev\" href=\"%s", href);
		con_url(c, part);
		con_rawf(c, "&amp;page=%ld\">%s</a>", page - 1, prev);
	}
	if (more) {
		con_rawf(c, "<a rel=\"next\" href=\"%s", href);
		con_url(c, part);
		con_rawf(c, "&amp;page=%ld\">%s</a>", page + 1, next);
	}
	con_raw(c, "</nav>");
}

/* Decode one form value (n bytes at v) into out; false when malformed or too long. */
static bool form_decode(char *out, size_t cap, const char *v, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)v[i];

		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%') {
			int hi = i + 2 < n ? ferry_hex_digit(v[i + 1]) : -1;
			int lo = i + 2 < n ? ferry_hex_digit(v[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return false;
			ch = hi * 16 + lo;
			i += 2;
		}
		if (ch == 0 || o + 1 >= cap)
			return false;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return true;
}

bool con_form_get(char *out, size_t cap, const char *form, size_t len, const char *name)
{
	size_t nl = strlen(name), i = 0;

	if (!cap)
		return false;
	out[0] = '\0';
	while (i < len) {
		const char *pair = form + i, *amp = memchr(pair, '&', len - i);
		size_t plen = amp ? (size_t)(amp - pair) : len - i;
		const char *eq = memchr(pair, '=', plen);

		if (eq && (size_t)(eq - pair) == nl && !memcmp(pair, name, nl))
			return form_decode(out, cap, eq + 1, plen - nl - 1);
		i += plen + 1;
	}
	return false;
}

const char *con_query(struct con *c, const char *name, size_t max)
{
	const char *v = c->rq->query ? c->rq->query(c->rq->query_ctx, name) : NULL;

	return v && strlen(v) <= max ? v : "";
}

static const struct {
	const char *path, *title, *action;
} nav[] = {
	{ "waves", "Waves", "waves.list" },
	{ "devices", "Devices", "devices.list" },
	{ "mapping", "Mapping review", "table.status" },
	{ "helpdesk", "Helpdesk", "fallback.reveal" },
	{ "audit", "Audit", "audit.list" },
};

void con_page_start(struct con *c, const char *title, const char *current, unsigned refresh_s)
{
	c->rp->status = 200;
	c->rp->content_type = "text/html; charset=utf-8";
	c->rp->html = true;
	con_raw(c, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		"<title>");
	con_text(c, title);
	con_raw(c, " &middot; Ferry console</title>"
		"<link rel=\"stylesheet\" href=\"/console/static/console.css\">"
		"<script src=\"/console/static/console.js\" defer></script></head>\n<body");
	if (refresh_s)
		con_rawf(c, " data-refresh=\"%u\"", refresh_s);
	con_raw(c, "><a class=\"skip\" href=\"#main\">Skip to content</a>"
		"<header><span class=\"brand\">Ferry</span><nav aria-label=\"Console\"><ul>");
	for (size_t i = 0; c->ses.who.role[0] && i < sizeof(nav) / sizeof(nav[0]); i++) {
		if (!srv_admin_may(c->ses.who.role, nav[i].action))
			continue;
		con_rawf(c, "<li><a href=\"/console/%s\"%s>%s</a></li>", nav[i].path,
			 current && !strcmp(current, nav[i].path) ? " aria-current=\"page\"" : "",
			 nav[i].title);
	}
	con_raw(c, "</ul></nav>");
	if (c->ses.who.role[0]) {
		con_raw(c, "<form class=\"who\" method=\"post\" action=\"/console/logout\">"
			"<span>");
		con_text(c, c->ses.who.name);
		con_raw(c, " (");
		con_text(c, c->ses.who.role);
		con_raw(c, ")</span><input type=\"hidden\" name=\"csrf\" value=\"");
		con_text(c, c->ses.csrf);
		con_raw(c, "\"><button type=\"submit\">Log out</button></form>");
	}
	con_raw(c, "</header>\n<main id=\"main\" tabindex=\"-1\"><h1>");
	con_text(c, title);
	con_raw(c, "</h1>\n");
}

void con_page_end(struct con *c)
{
	con_raw(c, "</main>\n</body></html>\n");
}

void con_error(struct con *c, int status, const char *text)
{
	ferry_buf_free(&c->rp->body);
	ferry_buf_init(&c->rp->body, 1u << 20);
	con_page_start(c, status == 403 ? "Not allowed" : status == 404 ? "Not found" : "Error",
		       NULL, 0);
	c->rp->status = status;
	con_raw(c, "<p class=\"error\" role=\"alert\">");
	con_text(c, text);
	con_raw(c, "</p>");
	con_page_end(c);
	snprintf(c->rp->log_note, sizeof(c->rp->log_note), "%.150s", text);
}

const char con_css[] =
	":root{--fg:#1b1f24;--bg:#fff;--mut:#57606a;--line:#d0d7de;--acc:#0b5cad;--bad:#b3261e;"
	"--ok:#1a7f37;--warn:#9a6700;--band:#f6f8fa;font-family:system-ui,sans-serif;"
	"font-size:100%;line-height:1.45;color:var(--fg);background:var(--bg)}\n"
	"body{margin:0}\n"
	".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;"
	"padding:.4em;z-index:9}\n"
	"header{display:flex;flex-wrap:wrap;align-items:center;gap:.5em 1.5em;padding:.5em 1em;"
	"background:#102a43;color:#fff}\n"
	"header a{color:#fff}.brand{font-weight:700;font-size:1.15em}\n"
	"nav ul{display:flex;flex-wrap:wrap;gap:.25em 1em;list-style:none;margin:0;padding:0}\n"
	"nav a[aria-current]{font-weight:700;text-decoration-thickness:3px}\n"
	".who{margin-left:auto;display:flex;gap:.5em;align-items:center}\n"
	"main{padding:1em;max-width:80rem}\n"
	"h1{font-size:1.5em;margin:.2em 0 .6em}h2{font-size:1.2em;margin:1.2em 0 .4em}\n"
	"a{color:var(--acc)}:focus-visible{outline:3px solid #f5a623;outline-offset:2px}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid var(--line);"
	"vertical-align:top;overflow-wrap:break-word}\n"
	"th{background:var(--band)}th a{color:inherit}\n"
	".scroll{overflow-x:auto}\n"
	"form.filters{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:end;margin:.5em 0}\n"
	"label{display:flex;flex-direction:column;font-size:.9em;color:var(--mut)}\n"
	"input,select,button,textarea{font:inherit;padding:.3em .5em;border:1px solid #8c959f;"
	"border-radius:4px;color:var(--fg);background:#fff}\n"
	"button{background:var(--acc);color:#fff;border-color:var(--acc);cursor:pointer}\n"
	"header button{background:transparent;border-color:#fff}\n"
	".error{color:var(--bad);font-weight:600}.ok{color:var(--ok)}.warn{color:var(--warn)}\n"
	".muted{color:var(--mut)}\n"
	".state-stuck,.state-failed{color:var(--bad);font-weight:600}"
	".state-complete{color:var(--ok)}\n"
	".wave{border:1px solid var(--line);border-radius:6px;padding:.5em 1em;margin:0 0 1em}\n"
	".funnel{width:100%;max-width:56rem;height:auto}\n"
	".funnel text{font-size:13px;fill:var(--fg)}.funnel .bar{fill:#4a90d9}"
	".funnel .bad{fill:#d9534f}\n"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}"
	"dl.facts dt{color:var(--mut)}dl.facts dd{margin:0;overflow-wrap:anywhere}\n"
	".secret{font:1.4em monospace;background:#fff8c5;padding:.4em .6em;border:1px solid "
	"var(--warn);display:inline-block}\n"
	".pager{display:flex;gap:1em;margin:.5em 0}\n"
	"@media (max-width:40rem){main{padding:.5em}.hide-narrow{display:none}"
	"th,td{padding:.25em .3em}header{padding:.5em}}\n";

/* Live refresh: a page with data-refresh re-fetches itself and swaps its
 * <main>, unless the tab is hidden or the user is typing in a form. */
const char con_js[] =
	"'use strict';\n"
	"(function(){\n"
	"var s=parseInt(document.body.dataset.refresh||'0',10);\n"
	"if(!s)return;\n"
	"function busy(){var a=document.activeElement;"
	"return a&&(a.tagName==='INPUT'||a.tagName==='SELECT'||a.tagName==='TEXTAREA');}\n"
	"function tick(){\n"
	" if(document.hidden||busy()){setTimeout(tick,s*1000);return;}\n"
	" fetch(location.href,{credentials:'same-origin',headers:{'X-Console-Refresh':'1'}})"
	".then(function(r){if(!r.ok)throw r.status;return r.text();})\n"
	" .then(function(t){var d=new DOMParser().parseFromString(t,'text/html');"
	"var n=d.querySelector('main'),o=document.querySelector('main');"
	"if(n&&o){o.innerHTML=n.innerHTML;}})\n"
	" .catch(function(){}).then(function(){setTimeout(tick,s*1000);});\n"
	"}\n"
	"setTimeout(tick,s*1000);\n"
	"})();\n";
