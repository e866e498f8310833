/*
 * ferry-notify.exe: the session notifier.
 *
 *   ferry-notify [--pipe NAME] [--answer BUTTON] [--password-file F] [--once]
 *   ferry-notify --version
 *
 * One instance per session (mutex Local\Ferry.Notify). It asks the service
 * over the pipe what to show (get_experience), shows the matching dialog,
 * sends what the user did (start_now, snooze, ack_complete,
 * cache_credentials), then waits for the next change (subscribe). When
 * the pipe cannot be reached it shows "service unavailable".
 *
 * Test hooks: --pipe replaces \\.\pipe\Ferry.Agent; --answer presses a
 * button (start, snooze, ok, submit, later, close) as soon as each dialog is
 * up; --password-file types that file's first line into the password field
 * first, and is refused unless HKLM\SOFTWARE\Ferry\Test NotifyTestHooks
 * is 1 (never set by the MSI); --once exits after the first dialog,
 * printing "answer=<what was sent>" and, after cache_credentials,
 * "outcome=ok|failed" (never the password).
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw/draw.h"
#include "ferry_version.h"
#include "notify.h"
#include "runbook/rfc3339.h"
#include "strings_load.h"
#include "util/mem.h"
#include "ux/texts.h"

#define SUBSCRIBE_MS 300000u
#define RETRY_MS 60000u

struct opts {
	const wchar_t *pipe;
	int answer;
	bool once;
	const wchar_t *password_file;
	struct ferry_secret *password; /* from password_file; wiped on exit */
};

int WINAPI wWinMain(HINSTANCE instance, HINSTANCE prev, PWSTR cmdline, int show);

static void dpi_aware(void)
{
	typedef BOOL(WINAPI * set_ctx_fn)(HANDLE);
	HMODULE u = GetModuleHandleW(L"user32.dll");
	FARPROC p = u ? GetProcAddress(u, "SetProcessDpiAwarenessContext") : NULL;
	set_ctx_fn fn;

	/* Per-monitor v2 where Windows has it (1703+); else system-aware. */
	memcpy(&fn, &p, sizeof fn);
	if (!fn || !fn((HANDLE)(INT_PTR)-4))
		SetProcessDPIAware();
}

static ferry_err call(const struct opts *o, enum ipc_op op, struct ipc_request *req,
		      struct ipc_reply **rep)
{
	static uint64_t id;
	ferry_err rc;

	req->id = ++id;
	req->op = op;
	req->session = IPC_NO_SESSION;
	rc = notify_pipe_call(o->pipe, req, rep);
	if (!rc && !(*rep)->ok) {
		rc = ferry_error_set(FERRY_EPERM, "%s", (*rep)->u.error.message);
		ferry_free(*rep);
		*rep = NULL;
	}
	return rc;
}

static enum draw_dlg dialog_for(const struct ipc_experience *e)
{
	switch (e->screen) {
	case IPC_SCREEN_NOTICE:
		/* The enforced notice is the one with a start time. */
		return e->starts_at[0] ? DRAW_DLG_STARTING : DRAW_DLG_AVAILABLE;
	case IPC_SCREEN_CREDENTIALS: return DRAW_DLG_CACHE_CREDENTIALS;
	case IPC_SCREEN_PROGRESS: return DRAW_DLG_IN_PROGRESS;
	case IPC_SCREEN_COMPLETE: return DRAW_DLG_COMPLETE;
	default: return DRAW_DLG_SERVICE_UNAVAILABLE;
	}
}

/* Seconds from now to an RFC 3339 time (the service's starts_at), 0 when
 * past or unreadable: the countdown counts to the start the service set,
 * not from when the dialog appeared. */
static unsigned seconds_until(const char *when)
{
	FILETIME ft;
	ULARGE_INTEGER u;
	int64_t t, now;

	if (!when[0] || rfc3339_parse(&t, when) != FERRY_OK)
		return 0;
	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	now = (int64_t)(u.QuadPart / 10000000u) - INT64_C(11644473600);
	if (t <= now)
		return 0;
	return t - now > 24 * 3600 ? 24 * 3600 : (unsigned)(t - now);
}

/* "DOMAIN\user" or "user@domain" into the request's fields. */
static void split_account(struct ipc_request *r, const char *acct)
{
	const char *bs = strchr(acct, '\\'), *at = strrchr(acct, '@');

	if (bs) {
		snprintf(r->u.creds.domain, sizeof r->u.creds.domain, "%.*s", (int)(bs - acct), acct);
		snprintf(r->u.creds.user, sizeof r->u.creds.user, "%s", bs + 1);
	} else {
		snprintf(r->u.creds.user, sizeof r->u.creds.user, "%s", acct);
		snprintf(r->u.creds.domain, sizeof r->u.creds.domain, "%s", at ? at + 1 : ".");
	}
}

/* Send what the user did; *status gets the cache outcome. */
static const char *act(const struct opts *o, const struct draw_dlg_model *m,
		       struct notify_result *res, char *status, size_t cap, bool *ok)
{
	const struct draw_snooze *ch;
	/* The shortest choice the dialog offered; 0 = snooze not allowed. */
	unsigned snooze_min = draw_snooze_choices(&ch, m->snooze_limit_min) ? ch[0].minutes : 0;
	enum draw_dlg kind = m->kind;
	struct ipc_request req;
	struct ipc_reply *rep = NULL;
	enum ipc_op op;
	const char *sent;
	ferry_err rc;

	memset(&req, 0, sizeof req);
	if (res->answer == NOTIFY_BUTTON && res->id == DRAW_ID_START) {
		op = IPC_OP_START_NOW, sent = "start_now";
	} else if (kind == DRAW_DLG_AVAILABLE && snooze_min &&
		   (res->id == DRAW_ID_SNOOZE || res->answer != NOTIFY_BUTTON)) {
		/* Closing = snooze, only where snooze is allowed, for the first
		 * (shortest) choice: never past enforcement. */
		op = IPC_OP_SNOOZE, sent = "snooze";
		req.u.snooze.minutes = res->snooze_minutes && res->snooze_minutes <= snooze_min
					       ? res->snooze_minutes
					       : snooze_min;
	} else if (kind == DRAW_DLG_COMPLETE) {
		op = IPC_OP_ACK_COMPLETE, sent = "ack_complete";
	} else if (kind == DRAW_DLG_CACHE_CREDENTIALS && res->id == DRAW_ID_SUBMIT) {
		if (!res->password) {
			snprintf(status, cap, "Type your password, then choose Sign in.");
			*ok = false;
			return "none";
		}
		op = IPC_OP_CACHE_CREDENTIALS, sent = "cache_credentials";
		split_account(&req, res->user);
		req.u.creds.password = res->password; /* freed with the request */
		res->password = NULL;
	} else {
		return "none";
	}
	rc = call(o, op, &req, &rep);
	if (op == IPC_OP_CACHE_CREDENTIALS) {
		*ok = !rc;
		snprintf(status, cap, "%s",
			 rc ? ferry_error_detail() : "Done: your new account is ready on this PC.");
	}
	if (op == IPC_OP_CACHE_CREDENTIALS)
		ferry_secret_free(req.u.creds.password); /* wiped, then freed */
	ferry_wipe(&req, sizeof req);
	ferry_free(rep);
	return sent;
}

/* One round: what to show, show it, act. Returns false to stop (--once). */
static bool round_trip(const struct opts *o, uint64_t *gen, char *status, bool *status_ok)
{
	struct ipc_request req;
	struct ipc_reply *rep = NULL;
	struct draw_dlg_model m;
	struct notify_result res;
	struct ux_texts t;
	HBITMAP logo = NULL;
	const char *sent;
	ferry_err rc;

	memset(&req, 0, sizeof req);
	memset(&m, 0, sizeof m);
	rc = call(o, IPC_OP_GET_EXPERIENCE, &req, &rep);
	if (rc) {
		ux_texts_get(&t, NULL, UX_SCREEN_SERVICE_UNAVAILABLE, NULL);
		m.kind = DRAW_DLG_SERVICE_UNAVAILABLE;
		m.title = t.title;
		m.body = t.body;
	} else if (rep->u.experience.screen == IPC_SCREEN_NONE) {
		*gen = rep->u.experience.generation;
		ferry_free(rep);
		return !o->once;
	} else {
		const struct ipc_experience *e = &rep->u.experience;

		*gen = e->generation;
		m.kind = dialog_for(e);
		m.title = e->title;
		m.body = e->body;
		m.username = e->target_user;
		m.percent = e->percent;
		m.step = e->step;
		m.seconds_left = seconds_until(e->starts_at);
		m.snooze_limit_min = e->snooze_max_minutes;
		if (e->image[0]) {
			wchar_t *w = NULL;
			int n = MultiByteToWideChar(CP_UTF8, 0, e->image, -1, NULL, 0);

			w = n > 0 ? ferry_calloc((size_t)n, sizeof *w) : NULL;
			if (w && MultiByteToWideChar(CP_UTF8, 0, e->image, -1, w, n) > 0)
				draw_tile_image_ex(&logo, w, NULL, 240, 80, NULL);
			ferry_free(w);
		}
	}
	m.image = logo;
	m.status = status;
	m.status_ok = *status_ok;
	rc = notify_dlg_run(&res, &m, o->answer, o->password);
	sent = rc ? "none" : act(o, &m, &res, status, 256, status_ok);
	if (res.password)
		ferry_secret_free(res.password);
	if (logo)
		DeleteObject(logo);
	ferry_free(rep);
	if (o->once) {
		if (!strcmp(sent, "cache_credentials"))
			printf("outcome=%s\n", *status_ok ? "ok" : "failed");
		printf("answer=%s\n", sent);
		fflush(stdout);
	}
	return !o->once;
}

/* The --password-file hook: only where an admin enabled test hooks. */
static bool test_hooks_enabled(void)
{
	DWORD v = 0, size = sizeof v;

	return RegGetValueW(HKEY_LOCAL_MACHINE, NOTIFY_TEST_KEY, NOTIFY_TEST_VALUE, RRF_RT_REG_DWORD,
			    NULL, &v, &size) == ERROR_SUCCESS &&
	       v == 1;
}

/* The file's first line (no CR/LF), 1..IPC_PASSWORD_MAX bytes, into a secret. */
static ferry_err read_password_file(struct ferry_secret **out, const wchar_t *path)
{
	char buf[IPC_PASSWORD_MAX + 2];
	FILE *f = _wfopen(path, L"rb");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	ferry_err rc;

	if (f)
		fclose(f);
	buf[n] = 0;
	n = strcspn(buf, "\r\n");
	if (!f || n == 0 || n > IPC_PASSWORD_MAX)
		rc = ferry_error_set(FERRY_EINVAL, "--password-file: unreadable, empty or too long");
	else
		rc = ferry_secret_from(out, buf, n);
	SecureZeroMemory(buf, sizeof buf);
	return rc;
}

/* Wait for the experience to change (or the service to come back). */
static void wait_change(const struct opts *o, uint64_t gen)
{
	struct ipc_request req;
	struct ipc_reply *rep = NULL;

	memset(&req, 0, sizeof req);
	req.u.subscribe.timeout_ms = SUBSCRIBE_MS;
	req.u.subscribe.since = gen;
	if (call(o, IPC_OP_SUBSCRIBE, &req, &rep))
		Sleep(RETRY_MS);
	ferry_free(rep);
}

static int parse(struct opts *o, int argc, wchar_t **argv)
{
	static const struct { const wchar_t *name; int id; } answers[] = {
		{L"start", DRAW_ID_START}, {L"snooze", DRAW_ID_SNOOZE}, {L"ok", DRAW_ID_OK},
		{L"later", DRAW_ID_LATER}, {L"close", IDCANCEL}, {L"submit", DRAW_ID_SUBMIT},
	};

	o->pipe = NOTIFY_PIPE_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (!wcscmp(argv[i], L"--pipe") && i + 1 < argc) {
			o->pipe = argv[++i];
		} else if (!wcscmp(argv[i], L"--password-file") && i + 1 < argc) {
			o->password_file = argv[++i];
		} else if (!wcscmp(argv[i], L"--once")) {
			o->once = true;
		} else if (!wcscmp(argv[i], L"--answer") && i + 1 < argc) {
			i++;
			for (size_t k = 0; k < sizeof answers / sizeof answers[0]; k++)
				if (!wcscmp(argv[i], answers[k].name))
					o->answer = answers[k].id;
			if (!o->answer)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

int WINAPI wWinMain(HINSTANCE instance, HINSTANCE prev, PWSTR cmdline, int show)
{
	struct opts o = {0};
	char status[256] = "";
	bool status_ok = false;
	uint64_t gen = 0;
	HANDLE mutex;

	(void)instance;
	(void)prev;
	(void)show;
	(void)cmdline;
	if (__argc == 2 && !wcscmp(__wargv[1], L"--version")) {
		printf("ferry-notify %s\n", FERRY_VERSION);
		fflush(stdout);
		return 0;
	}
	if (parse(&o, __argc, __wargv)) {
		fprintf(stderr, "usage: ferry-notify [--pipe NAME] "
				"[--answer start|snooze|ok|submit|later|close] [--password-file F] "
				"[--once]\n       ferry-notify --version\n");
		return 64;
	}
	if (o.password_file) {
		if (!test_hooks_enabled()) {
			fprintf(stderr, "ferry-notify: --password-file is a test hook; it needs "
					"HKLM\\SOFTWARE\\Ferry\\Test NotifyTestHooks=1\n");
			return 64;
		}
		if (read_password_file(&o.password, o.password_file)) {
			fprintf(stderr, "ferry-notify: %s\n", ferry_error_detail());
			return 64;
		}
	}
	/* The user's UI language for every screen text and label; a table
	 * that cannot be read leaves the built-in English (told on stderr). */
	if (ferry_strings_apply(GetModuleHandleW(NULL), FERRY_LANG_DEFAULT) != FERRY_OK)
		fprintf(stderr, "ferry-notify: strings: %s (built-in English kept)\n",
			ferry_error_detail());
	/* Local\ is this session's namespace: one notifier per session. */
	mutex = CreateMutexW(NULL, TRUE, L"Local\\Ferry.Notify");
	if (!mutex || GetLastError() == ERROR_ALREADY_EXISTS) {
		fprintf(stderr, "ferry-notify: already running in this session\n");
		ferry_secret_free(o.password);
		return 0;
	}
	dpi_aware();
	while (round_trip(&o, &gen, status, &status_ok))
		wait_change(&o, gen);
	ReleaseMutex(mutex);
	CloseHandle(mutex);
	ferry_secret_free(o.password);
	return 0;
}
