/*
 * Child processes in a job object with captured, size-capped output
 * (see cmd_run.h for the contract).
 *
 * Threads: the calling thread waits for the process with the timeout; a
 * reader thread drains the pipe until EOF so the child never blocks on a
 * full pipe, keeping the first WIN_CMD_OUTPUT_MAX bytes and counting the
 * rest. EOF comes when every holder of the write end is gone: our copy is
 * closed right after CreateProcessW, and the job is terminated after the
 * process exits, which ends any grandchild still holding it.
 */
#include <windows.h>

#include <string.h>

#include "util/mem.h"
#include "win/cmd_run.h"
#include "win/oplog.h"
#include "win/win_err.h"

#define READER_GRACE_MS 5000u

struct reader {
	HANDLE pipe;
	char *buf; /* WIN_CMD_OUTPUT_MAX + 1 bytes */
	size_t len;
	unsigned long long total;
};

static DWORD WINAPI reader_main(LPVOID arg)
{
	struct reader *r = arg;
	char chunk[4096];
	DWORD got;

	while (ReadFile(r->pipe, chunk, sizeof chunk, &got, NULL) && got > 0) {
		size_t keep = WIN_CMD_OUTPUT_MAX - r->len;
		if (keep > got)
			keep = got;
		memcpy(r->buf + r->len, chunk, keep);
		r->len += keep;
		r->total += got;
	}
	return 0;
}

void win_cmd_output_clear(struct win_cmd_output *o)
{
	if (!o)
		return;
	if (o->text)
		ferry_wipe(o->text, o->len);
	ferry_free(o->text);
	memset(o, 0, sizeof *o);
}

/* Length of the longest prefix of s[0..n) that ends on a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n)
{
	size_t i = n;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) {
		unsigned char lead = (unsigned char)s[i - 1];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
		if (n - (i - 1) < need)
			return i - 1;
	}
	return n;
}

/* Raw child bytes -> UTF-8 text in out (capped). */
static ferry_err finish_text(struct win_cmd_output *out, const char *raw, size_t len, bool cut)
{
	size_t vlen = cut ? utf8_cut(raw, len) : len;
	int wn = 0, un = 0;
	wchar_t *w = NULL;
	char *u = NULL;

	out->truncated = cut;
	if (vlen == 0 || MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, raw, (int)vlen, NULL, 0)) {
		u = ferry_malloc(vlen + 1);
		if (!u)
			return ferry_error_set(FERRY_ENOMEM, "child output");
		memcpy(u, raw, vlen);
		u[vlen] = 0;
		out->text = u;
		out->len = vlen;
		return FERRY_OK;
	}
	/* Not UTF-8: console programs write the OEM code page. */
	wn = MultiByteToWideChar(GetOEMCP(), 0, raw, (int)len, NULL, 0);
	w = ferry_calloc((size_t)wn + 1, sizeof *w);
	if (!w)
		return ferry_error_set(FERRY_ENOMEM, "child output");
	if (wn)
		MultiByteToWideChar(GetOEMCP(), 0, raw, (int)len, w, wn);
	if (wn)
		un = WideCharToMultiByte(CP_UTF8, 0, w, wn, NULL, 0, NULL, NULL);
	u = ferry_malloc((size_t)un + 1);
	if (!u) {
		ferry_free(w);
		return ferry_error_set(FERRY_ENOMEM, "child output");
	}
	if (un)
		WideCharToMultiByte(CP_UTF8, 0, w, wn, u, un, NULL, NULL);
	ferry_free(w);
	if ((size_t)un > WIN_CMD_OUTPUT_MAX) {
		un = (int)utf8_cut(u, WIN_CMD_OUTPUT_MAX);
		out->truncated = true;
	}
	u[un] = 0;
	out->text = u;
	out->len = (size_t)un;
	return FERRY_OK;
}

/* A job that ends every process in it when its last handle closes. */
static ferry_err make_job(HANDLE *job)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;

	*job = CreateJobObjectW(NULL, NULL);
	if (!*job)
		return win_last_error("CreateJobObjectW");
	memset(&lim, 0, sizeof lim);
	lim.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
					       JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
	if (!SetInformationJobObject(*job, JobObjectExtendedLimitInformation, &lim, sizeof lim))
		return win_last_error("SetInformationJobObject");
	return FERRY_OK;
}

/* stdin = NUL, stdout = stderr = the pipe's write end; only those two are
 * inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), so a busy service never
 * leaks its pipes or files into a package. */
static ferry_err make_startup(STARTUPINFOEXW *si, HANDLE handles[2], HANDLE in, HANDLE outw)
{
	SIZE_T size = 0;

	memset(si, 0, sizeof *si);
	si->StartupInfo.cb = sizeof *si;
	si->StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si->StartupInfo.hStdInput = in;
	si->StartupInfo.hStdOutput = outw;
	si->StartupInfo.hStdError = outw;
	handles[0] = in;
	handles[1] = outw;
	InitializeProcThreadAttributeList(NULL, 1, 0, &size);
	si->lpAttributeList = ferry_malloc(size);
	if (!si->lpAttributeList)
		return ferry_error_set(FERRY_ENOMEM, "process attribute list");
	if (!InitializeProcThreadAttributeList(si->lpAttributeList, 1, 0, &size)) {
		ferry_free(si->lpAttributeList);
		si->lpAttributeList = NULL;
		return win_last_error("InitializeProcThreadAttributeList");
	}
	if (!UpdateProcThreadAttribute(si->lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
				       handles, 2 * sizeof(HANDLE), NULL, NULL))
		return win_last_error("UpdateProcThreadAttribute(HANDLE_LIST)");
	return FERRY_OK;
}

struct child {
	HANDLE job, rd, wr, nul, thread, reader;
	PROCESS_INFORMATION pi;
	STARTUPINFOEXW si;
	HANDLE inherit[2];
	struct reader r;
};

/*
 * The child's environment: the service's, with
 * NoDefaultCurrentDirectoryInExePath set, so that neither cmd.exe nor
 * CreateProcess/SearchPath in the child looks for a program in the current
 * directory before PATH ("NeedCurrentDirectoryForExePathW",
 * learn.microsoft.com). ferry_free.
 */
#define NO_CWD_VAR L"NoDefaultCurrentDirectoryInExePath="

static wchar_t *child_env(void)
{
	wchar_t *env = GetEnvironmentStringsW(), *out = NULL;
	size_t total = 0, k = 0, add = wcslen(NO_CWD_VAR) + 2;

	if (!env)
		return NULL;
	for (const wchar_t *e = env; *e; e += wcslen(e) + 1)
		total += wcslen(e) + 1;
	if ((out = ferry_calloc(total + add + 1, sizeof(*out)))) {
		for (const wchar_t *e = env; *e; e += wcslen(e) + 1) {
			size_t n = wcslen(e) + 1;

			if (_wcsnicmp(e, NO_CWD_VAR, wcslen(NO_CWD_VAR))) {
				memcpy(out + k, e, n * sizeof(*out));
				k += n;
			}
		}
		memcpy(out + k, NO_CWD_VAR L"1", (add - 1) * sizeof(*out));
		k += add; /* its NUL, then the block's final NUL (calloc) */
	}
	FreeEnvironmentStringsW(env);
	return out;
}

/* Everything up to a running child in its job, with the reader started. */
static ferry_err start_child(struct child *c, const wchar_t *cmdline, const wchar_t *cwd)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	wchar_t *cmd = NULL, *env = NULL;
	size_t n = wcslen(cmdline);
	ferry_err rc;

	rc = make_job(&c->job);
	if (rc)
		return rc;
	if (!CreatePipe(&c->rd, &c->wr, &sa, 0))
		return win_last_error("CreatePipe");
	if (!SetHandleInformation(c->rd, HANDLE_FLAG_INHERIT, 0))
		return win_last_error("SetHandleInformation");
	c->nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	if (c->nul == INVALID_HANDLE_VALUE) {
		c->nul = NULL;
		return win_last_error("CreateFileW(NUL)");
	}
	rc = make_startup(&c->si, c->inherit, c->nul, c->wr);
	if (rc)
		return rc;
	cmd = ferry_calloc(n + 1, sizeof *cmd); /* CreateProcessW may write into it */
	if (!cmd || !(env = child_env())) {
		ferry_free(cmd);
		return ferry_error_set(FERRY_ENOMEM, "command line and environment");
	}
	memcpy(cmd, cmdline, n * sizeof *cmd);
	if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE,
			    CREATE_SUSPENDED | CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT |
			    CREATE_UNICODE_ENVIRONMENT, env, cwd, &c->si.StartupInfo, &c->pi)) {
		rc = win_last_error("CreateProcessW");
		ferry_free(cmd);
		ferry_free(env);
		return rc;
	}
	ferry_free(cmd);
	ferry_free(env);
	if (!AssignProcessToJobObject(c->job, c->pi.hProcess)) {
		rc = win_last_error("AssignProcessToJobObject");
		TerminateProcess(c->pi.hProcess, 1);
		return rc;
	}
	CloseHandle(c->wr); /* the child's copy is the only writer left */
	c->wr = NULL;
	c->r.pipe = c->rd;
	c->r.buf = ferry_malloc(WIN_CMD_OUTPUT_MAX + 1);
	if (!c->r.buf) {
		TerminateJobObject(c->job, 1);
		return ferry_error_set(FERRY_ENOMEM, "child output buffer");
	}
	c->reader = CreateThread(NULL, 0, reader_main, &c->r, 0, NULL);
	if (!c->reader) {
		rc = win_last_error("CreateThread");
		TerminateJobObject(c->job, 1);
		return rc;
	}
	if (ResumeThread(c->pi.hThread) == (DWORD)-1) {
		rc = win_last_error("ResumeThread");
		TerminateJobObject(c->job, 1);
		return rc;
	}
	return FERRY_OK;
}

static void close_child(struct child *c)
{
	HANDLE hs[] = { c->pi.hThread, c->pi.hProcess, c->reader, c->rd, c->wr, c->nul, c->job };

	/* On a failed start the job was terminated, so the pipe's last writer is
	 * gone and the reader ends; never free its buffer while it may run. */
	if (c->reader && c->r.buf && WaitForSingleObject(c->reader, READER_GRACE_MS) != WAIT_OBJECT_0)
		c->r.buf = NULL;

	for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
		if (hs[i])
			CloseHandle(hs[i]);
	if (c->si.lpAttributeList) {
		DeleteProcThreadAttributeList(c->si.lpAttributeList);
		ferry_free(c->si.lpAttributeList);
	}
	if (c->r.buf)
		ferry_wipe(c->r.buf, c->r.len);
	ferry_free(c->r.buf);
}

ferry_err win_cmd_run(const wchar_t *cmdline, const wchar_t *cwd, uint32_t timeout_ms,
		      struct win_cmd_output *out)
{
	struct child c;
	DWORD w, code = 0;
	ferry_err rc;

	memset(&c, 0, sizeof c);
	if (!out || !cmdline)
		return ferry_error_set(FERRY_EINVAL, "win_cmd_run: missing argument");
	memset(out, 0, sizeof *out);
	rc = start_child(&c, cmdline, cwd);
	if (rc)
		goto out;
	w = WaitForSingleObject(c.pi.hProcess, timeout_ms);
	if (w == WAIT_TIMEOUT) {
		out->timed_out = true;
		win_op_log(WIN_LOG_WARN, "cmd_run", "timed out after %lu ms; terminating its job",
			   (unsigned long)timeout_ms);
	} else if (w != WAIT_OBJECT_0) {
		rc = win_last_error("WaitForSingleObject");
	}
	/* Ends the process on timeout, and anything it left behind otherwise. */
	TerminateJobObject(c.job, out->timed_out ? ERROR_TIMEOUT : 0);
	WaitForSingleObject(c.pi.hProcess, READER_GRACE_MS);
	if (WaitForSingleObject(c.reader, READER_GRACE_MS) != WAIT_OBJECT_0) {
		CancelSynchronousIo(c.reader);
		if (WaitForSingleObject(c.reader, READER_GRACE_MS) != WAIT_OBJECT_0) {
			/* Never free what a live thread may still write: leak the buffer. */
			win_op_log(WIN_LOG_ERROR, "cmd_run", "output reader did not stop; its buffer is leaked");
			c.r.buf = NULL;
			c.r.len = 0;
			c.r.total = 0;
		}
	}
	if (!GetExitCodeProcess(c.pi.hProcess, &code) && rc == 0)
		rc = win_last_error("GetExitCodeProcess");
	out->exit_code = code;
	if (rc == 0)
		rc = finish_text(out, c.r.buf ? c.r.buf : "", c.r.len, c.r.total > c.r.len);
	if (rc == 0 && out->timed_out)
		rc = ferry_error_set(FERRY_ETIMEOUT, "the command ran longer than %lu ms and was terminated",
				     (unsigned long)timeout_ms);
out:
	close_child(&c);
	return rc;
}
