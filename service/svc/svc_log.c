/*
 * The service's logs. A UTF-8 text file in %ProgramData%\Ferry\logs,
 * rotated by size (ferrysvc.log -> ferrysvc.1.log ... ferrysvc.<N-1>.log,
 * the oldest dropped), and the Windows Event Log for milestones and
 * failures through the message table in resources/ferry_events.mc.
 *
 * Invariant: no caller passes a secret; every op logs arguments that
 * platform.h guarantees are not secrets, and passwords never leave their
 * struct ferry_secret.
 */
/* Core security headers before <windows.h> (see win/profops_int.h). */
#include "win/profops.h"

#include "svc/svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "ferry_events.h"
#include "util/mem.h"
#include "util/utf.h"
#include "win/oplog.h"
#include "win/fileio.h"
#include "win/win_err.h"
#include "wu_file.h"
#include "wu_tree.h"

#define LOG_FILE_MAX (1024u * 1024u) /* bytes per file before rotation */
#define LOG_FILES 5u                 /* ferrysvc.log plus 4 older ones */
#define LOG_LINE_MAX 2048u

#define EARLY_LINES 8

static struct {
	bool open;
	CRITICAL_SECTION lock;
	wchar_t dir[MAX_PATH];
	HANDLE file;
	uint64_t size;
	HANDLE source;
	bool echo;
	/* The event hook: called under `hook_lock` shared, so that clearing it
	 * (exclusive) waits for calls in flight; never under `lock`, since the
	 * hook takes its own lock and that lock's holders log. */
	SRWLOCK hook_lock;
	svc_event_hook_fn hook;
	void *hook_ctx;
	/* The state tree's lines said before the file was open (svc_log_open). */
	struct {
		char line[EARLY_LINES][LOG_LINE_MAX / 2];
		bool problem[EARLY_LINES];
		unsigned n;
	} early;
} lg = { .file = INVALID_HANDLE_VALUE };

static void log_path(wchar_t *out, size_t cap, unsigned i)
{
	if (i == 0)
		swprintf(out, cap, L"%ls\\ferrysvc.log", lg.dir);
	else
		swprintf(out, cap, L"%ls\\ferrysvc.%u.log", lg.dir, i);
}

/* Appended to only when it is a plain file the service's side made
 * (wu_file_open_append); a planted one is left, and the lines go to stderr
 * and the Event Log only. */
static void open_file(void)
{
	wchar_t path[MAX_PATH + 32];
	LARGE_INTEGER sz;

	log_path(path, MAX_PATH + 32, 0);
	if (wu_file_open_append(&lg.file, path) != FERRY_OK)
		lg.file = INVALID_HANDLE_VALUE;
	lg.size = 0;
	if (lg.file != INVALID_HANDLE_VALUE && GetFileSizeEx(lg.file, &sz))
		lg.size = (uint64_t)sz.QuadPart;
}

/* Shift every file up one number, dropping the oldest. */
static void rotate(void)
{
	wchar_t from[MAX_PATH + 32], to[MAX_PATH + 32];

	CloseHandle(lg.file);
	lg.file = INVALID_HANDLE_VALUE;
	for (unsigned i = LOG_FILES - 1; i > 0; i--) {
		log_path(from, MAX_PATH + 32, i - 1);
		log_path(to, MAX_PATH + 32, i);
		MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING);
	}
	open_file();
}

static void write_line(const char *text);

/* The system ops' lines (win/oplog.h) and the profile ops' (win/profops.h)
 * go to this file log too; both promise to carry no secret. */
static void oplog_to_file(enum win_log_level level, const char *op, const char *msg)
{
	char text[LOG_LINE_MAX];

	if (!op) { /* a profile op's line, already complete */
		write_line(msg);
		return;
	}
	snprintf(text, sizeof(text), "%s%s: %s",
		 level == WIN_LOG_ERROR ? "error: " : level == WIN_LOG_WARN ? "warning: " : "", op,
		 msg);
	write_line(text);
}

/* The state tree's lines (winutil/wu_tree.h): a folder moved aside or
 * refused is a failure in the Event Log too. Until the file is open they
 * wait in `early` (the logs folder itself is judged before it is opened). */

static void tree_line(void *ctx, bool problem, const char *line)
{
	(void)ctx;
	if (problem)
		svc_log_event(SVC_EV_FAILURE, "%s", line);
	else
		write_line(line);
}

static void tree_early(void *ctx, bool problem, const char *line)
{
	(void)ctx;
	if (lg.early.n < EARLY_LINES) {
		snprintf(lg.early.line[lg.early.n], sizeof(lg.early.line[0]), "%s", line);
		lg.early.problem[lg.early.n++] = problem;
	}
}

void svc_log_open(const wchar_t *dir, const wchar_t *event_source, bool echo_stderr)
{
	if (lg.open)
		return;
	InitializeCriticalSection(&lg.lock);
	lg.open = true;
	lg.echo = echo_stderr;
	lg.early.n = 0;
	wu_tree_set_sink(tree_early, NULL);
	if (dir && *dir)
		swprintf(lg.dir, MAX_PATH, L"%ls", dir);
	else if (win_program_data(lg.dir, MAX_PATH, "logs") != FERRY_OK)
		lg.dir[0] = L'\0';
	if (lg.dir[0])
		open_file();
	if (event_source && *event_source)
		lg.source = RegisterEventSourceW(NULL, event_source);
	win_log_hook = oplog_to_file;
	for (unsigned i = 0; i < lg.early.n; i++)
		tree_line(NULL, lg.early.problem[i], lg.early.line[i]);
	wu_tree_set_sink(tree_line, NULL);
}

void svc_log_close(void)
{
	if (!lg.open)
		return;
	win_log_hook = NULL;
	wu_tree_set_sink(NULL, NULL);
	EnterCriticalSection(&lg.lock);
	if (lg.file != INVALID_HANDLE_VALUE)
		CloseHandle(lg.file);
	lg.file = INVALID_HANDLE_VALUE;
	if (lg.source)
		DeregisterEventSource(lg.source);
	lg.source = NULL;
	lg.open = false;
	LeaveCriticalSection(&lg.lock);
	DeleteCriticalSection(&lg.lock);
}

static void write_line(const char *text)
{
	char line[LOG_LINE_MAX + 64];
	SYSTEMTIME t;
	DWORD put = 0;
	int n;

	GetSystemTime(&t);
	n = snprintf(line, sizeof(line), "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ [%lu] %s\r\n",
		     t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond, t.wMilliseconds,
		     (unsigned long)GetCurrentThreadId(), text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (lg.echo)
		fprintf(stderr, "%s\n", text);
	if (!lg.open)
		return;
	EnterCriticalSection(&lg.lock);
	if (lg.file != INVALID_HANDLE_VALUE && lg.size + (uint64_t)n > LOG_FILE_MAX)
		rotate();
	if (lg.file != INVALID_HANDLE_VALUE && WriteFile(lg.file, line, (DWORD)n, &put, NULL))
		lg.size += put;
	LeaveCriticalSection(&lg.lock);
}

void svc_log(const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	write_line(text);
}

static DWORD event_id(enum svc_event ev, WORD *type)
{
	static const struct {
		DWORD id;
		WORD type;
	} map[] = {
		[SVC_EV_STARTED] = { MSG_SVC_STARTED, EVENTLOG_INFORMATION_TYPE },
		[SVC_EV_STOPPED] = { MSG_SVC_STOPPED, EVENTLOG_INFORMATION_TYPE },
		[SVC_EV_RUNBOOK_STARTED] = { MSG_RUNBOOK_STARTED, EVENTLOG_INFORMATION_TYPE },
		[SVC_EV_RUNBOOK_COMPLETE] = { MSG_RUNBOOK_COMPLETE, EVENTLOG_INFORMATION_TYPE },
		[SVC_EV_RUNBOOK_STOPPED] = { MSG_RUNBOOK_STOPPED, EVENTLOG_ERROR_TYPE },
		[SVC_EV_STEP_FAILED] = { MSG_STEP_FAILED, EVENTLOG_WARNING_TYPE },
		[SVC_EV_FAILURE] = { MSG_FAILURE, EVENTLOG_ERROR_TYPE },
		[SVC_EV_REHEARSAL] = { MSG_REHEARSAL, EVENTLOG_INFORMATION_TYPE },
	};

	*type = map[ev].type;
	return map[ev].id;
}

/* The milestone's name in the server's event stream (docs/protocol.md). */
static const char *event_kind(enum svc_event ev)
{
	static const char *const k[] = { "service_started", "service_stopped", "runbook_started",
					 "runbook_complete", "runbook_stopped", "step_failed",
					 "failure", "rehearsal" };

	return (unsigned)ev < sizeof(k) / sizeof(k[0]) ? k[ev] : "event";
}

void svc_log_event(enum svc_event ev, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	uint16_t *w = NULL;
	size_t wn = 0;
	va_list ap;
	WORD type;
	DWORD id = event_id(ev, &type);

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	write_line(text);
	AcquireSRWLockShared(&lg.hook_lock);
	if (lg.hook)
		lg.hook(lg.hook_ctx, event_kind(ev), text);
	ReleaseSRWLockShared(&lg.hook_lock);
	if (!lg.open || !lg.source)
		return;
	if (ferry_utf8_to_utf16(&w, &wn, text, strlen(text)) == FERRY_OK) {
		const wchar_t *strings[1] = { (const wchar_t *)w };

		if (!ReportEventW(lg.source, type, 0, id, NULL, 1, 0, strings, NULL))
			write_line("ReportEventW failed; the event is only in this file");
	}
	ferry_free(w);
}

void svc_log_set_event_hook(svc_event_hook_fn fn, void *ctx)
{
	AcquireSRWLockExclusive(&lg.hook_lock);
	lg.hook = fn;
	lg.hook_ctx = ctx;
	ReleaseSRWLockExclusive(&lg.hook_lock);
}

ferry_err svc_log_register_source(const wchar_t *name, const wchar_t *exe_path)
{
	wchar_t key[256];
	DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
	HKEY h = NULL;
	LSTATUS rc;

	swprintf(key, 256, L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\%ls", name);
	rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL, &h, NULL);
	if (rc != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegCreateKeyExW(EventLog source)", (unsigned long)rc);
	rc = RegSetValueExW(h, L"EventMessageFile", 0, REG_EXPAND_SZ, (const BYTE *)exe_path,
			    (DWORD)((wcslen(exe_path) + 1) * sizeof(wchar_t)));
	if (rc == ERROR_SUCCESS)
		rc = RegSetValueExW(h, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types,
				    sizeof(types));
	RegCloseKey(h);
	if (rc != ERROR_SUCCESS)
		return win_error(FERRY_ESYSTEM, "RegSetValueExW(EventLog source)", (unsigned long)rc);
	return FERRY_OK;
}

ferry_err svc_log_unregister_source(const wchar_t *name)
{
	wchar_t key[256];
	LSTATUS rc;

	swprintf(key, 256, L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\%ls", name);
	rc = RegDeleteKeyW(HKEY_LOCAL_MACHINE, key);
	if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
		return win_error(FERRY_ESYSTEM, "RegDeleteKeyW(EventLog source)", (unsigned long)rc);
	return FERRY_OK;
}
