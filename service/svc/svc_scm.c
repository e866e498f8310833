/*
 * The Service Control Manager side: install (automatic start, restart on
 * failure, event source), uninstall, start, stop, the service's main and
 * its control handler, and the console run.
 *
 * Stop contract: SERVICE_CONTROL_STOP reports STOP_PENDING with a 5 s wait
 * hint, wakes every waiter, stops the pipe, then the engine worker (which
 * leaves between steps, so the journal is consistent), and reports STOPPED.
 */
#include "svc/svc.h"

#include <stdio.h>
#include <wchar.h>
#include <wtsapi32.h>

#include "win/session.h"
#include "win/win_err.h"
#include "wu_tree.h"

#define SCM_WAIT_MS 15000

static struct {
	struct svc_options opt;
	SERVICE_STATUS_HANDLE handle;
	SERVICE_STATUS status;
	HANDLE stop;
	struct svc_agent *agent;
} svc;

static void report(DWORD state, DWORD exit_code, DWORD wait_hint)
{
	static DWORD checkpoint = 1;

	svc.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	svc.status.dwCurrentState = state;
	svc.status.dwWin32ExitCode = exit_code;
	svc.status.dwWaitHint = wait_hint;
	svc.status.dwControlsAccepted = state == SERVICE_RUNNING ?
		SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_SESSIONCHANGE : 0;
	svc.status.dwCheckPoint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 :
											   checkpoint++;
	SetServiceStatus(svc.handle, &svc.status);
}

static DWORD WINAPI control(DWORD code, DWORD event, void *data, void *ctx)
{
	(void)ctx;
	switch (code) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
		report(SERVICE_STOP_PENDING, NO_ERROR, SVC_STOP_BUDGET_MS);
		SetEvent(svc.stop);
		return NO_ERROR;
	case SERVICE_CONTROL_SESSIONCHANGE:
		if (event == WTS_SESSION_LOGON && data) {
			DWORD session = ((WTSSESSION_NOTIFICATION *)data)->dwSessionId;
			ferry_err err = win_session_start_notifier(session);

			if (err != FERRY_OK)
				svc_log("session %lu: notifier: %s: %s", (unsigned long)session,
					ferry_strerror(err), ferry_error_detail());
			if (svc.agent)
				svc_agent_session_logon(svc.agent);
		}
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	}
	return ERROR_CALL_NOT_IMPLEMENTED;
}

static void request_stop(void)
{
	/* Wakes serve_until, which tears down and returns to service_main (or
	 * the console run); service_main then reports SERVICE_STOPPED itself. */
	if (svc.stop)
		SetEvent(svc.stop);
}

/* Start agent and pipe, wait for `stop`, tear down in order. */
static int serve_until(HANDLE stop, bool service)
{
	struct svc_pipe *pipe = NULL;
	ferry_err err;
	int code = 0;

	/* At every start, before anything is read from the state tree
	 * (docs/security.md §3): each folder made or judged, repaired, moved
	 * aside or refused, one log line each with the SDDL applied. */
	err = wu_tree_secure(NULL, svc.opt.state_dir);
	if (err != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "the state tree is refused; nothing runs");
	if (err == FERRY_OK)
		err = svc_agent_start(&svc.agent, &svc.opt, request_stop);
	if (err == FERRY_OK && !svc.opt.simulate)
		err = svc_pipe_start(&pipe, svc.opt.pipe, svc.agent);
	if (err != FERRY_OK) {
		svc_log_event(SVC_EV_FAILURE, "cannot start: %s: %s", ferry_strerror(err),
			      ferry_error_detail());
		svc_agent_stop(svc.agent);
		svc.agent = NULL;
		return 1;
	}
	if (service)
		report(SERVICE_RUNNING, NO_ERROR, 0);
	svc_log_event(SVC_EV_STARTED, "pipe %ls%s", svc.opt.simulate ? L"(none)" : svc.opt.pipe,
		      svc.opt.rehearse ? ", rehearsal: nothing on this PC changes" : "");
	if (svc.opt.simulate || svc.opt.fast_clock) {
		while (!svc_agent_finished(svc.agent, &code) &&
		       WaitForSingleObject(stop, 50) == WAIT_TIMEOUT)
			;
	} else {
		WaitForSingleObject(stop, INFINITE);
	}
	svc_agent_shutdown_begin(svc.agent);
	svc_pipe_stop(pipe);
	svc_agent_stop(svc.agent);
	svc.agent = NULL;
	svc_log_event(SVC_EV_STOPPED, "stopped cleanly");
	return code;
}

/* A crash leaves one line: what and where (no memory contents, so never a secret). */
static LONG WINAPI crash_filter(EXCEPTION_POINTERS *ep)
{
	svc_log_event(SVC_EV_FAILURE, "crash: exception 0x%08lx at %p",
		      (unsigned long)ep->ExceptionRecord->ExceptionCode,
		      ep->ExceptionRecord->ExceptionAddress);
	return EXCEPTION_CONTINUE_SEARCH;
}

static void WINAPI service_main(DWORD argc, wchar_t **argv)
{
	(void)argc, (void)argv;
	SetUnhandledExceptionFilter(crash_filter);
	svc.handle = RegisterServiceCtrlHandlerExW(svc.opt.name, control, NULL);
	if (!svc.handle)
		return;
	report(SERVICE_START_PENDING, NO_ERROR, 5000);
	svc_log_open(NULL, svc.opt.name, false);
	if (!(svc.stop = CreateEventW(NULL, TRUE, FALSE, NULL))) {
		report(SERVICE_STOPPED, GetLastError(), 0);
		return;
	}
	if (serve_until(svc.stop, true) != 0) {
		svc_log_close();
		report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, 0);
		return;
	}
	svc_log_close();
	report(SERVICE_STOPPED, NO_ERROR, 0);
}

int svc_scm_dispatch(const struct svc_options *o)
{
	SERVICE_TABLE_ENTRYW table[] = { { (wchar_t *)o->name, service_main }, { NULL, NULL } };

	svc.opt = *o;
	if (!StartServiceCtrlDispatcherW(table)) {
		fprintf(stderr, "ferrysvc: StartServiceCtrlDispatcherW failed (%lu); use `run` in a "
				"console\n", (unsigned long)GetLastError());
		return 1;
	}
	return 0;
}

static BOOL WINAPI console_ctrl(DWORD type)
{
	(void)type;
	SetEvent(svc.stop);
	return TRUE;
}

int svc_run_console(const struct svc_options *o)
{
	int code;

	svc.opt = *o;
	svc_log_open(NULL, NULL, !o->simulate);
	if (!(svc.stop = CreateEventW(NULL, TRUE, FALSE, NULL)))
		return 1;
	SetConsoleCtrlHandler(console_ctrl, TRUE);
	code = serve_until(svc.stop, false);
	svc_log_close();
	return code;
}

/* --- install / uninstall / start / stop ------------------------------------------ */

static int fail(const char *what)
{
	fprintf(stderr, "ferrysvc: %s failed: Win32 error %lu\n", what, (unsigned long)GetLastError());
	return 1;
}

static void command_line(const struct svc_options *o, wchar_t *cmd, size_t cap)
{
	wchar_t exe[MAX_PATH];
	size_t n;

	GetModuleFileNameW(NULL, exe, MAX_PATH);
	n = (size_t)swprintf(cmd, cap, L"\"%ls\" run --service --name \"%ls\" --pipe \"%ls\"", exe,
			     o->name, o->pipe);
	if (o->rehearse && n < cap)
		n += (size_t)swprintf(cmd + n, cap - n, L" --rehearse");
	if (o->state_dir[0] && n < cap)
		n += (size_t)swprintf(cmd + n, cap - n, L" --state \"%ls\"", o->state_dir);
	if (o->device[0] && n < cap)
		n += (size_t)swprintf(cmd + n, cap - n, L" --device \"%hs\"", o->device);
	if (o->batch[0] && n < cap)
		swprintf(cmd + n, cap - n, L" --batch \"%hs\"", o->batch);
}

static bool configure(SC_HANDLE s)
{
	SC_ACTION actions[3] = { { SC_ACTION_RESTART, 60000 }, { SC_ACTION_RESTART, 60000 },
				 { SC_ACTION_RESTART, 300000 } };
	SERVICE_FAILURE_ACTIONSW fa = { 86400, NULL, NULL, 3, actions };
	SERVICE_DESCRIPTIONW desc = { L"Moves this PC to its new domain (Ferry)." };

	return ChangeServiceConfig2W(s, SERVICE_CONFIG_FAILURE_ACTIONS, &fa) &&
	       ChangeServiceConfig2W(s, SERVICE_CONFIG_DESCRIPTION, &desc);
}

int svc_scm_install(const struct svc_options *o)
{
	wchar_t cmd[4 * MAX_PATH], exe[MAX_PATH];
	SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE), s;
	ferry_err err;

	if (!m)
		return fail("OpenSCManagerW");
	command_line(o, cmd, sizeof(cmd) / sizeof(cmd[0]));
	s = CreateServiceW(m, o->name, L"Ferry migration agent", SERVICE_ALL_ACCESS,
			   SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd,
			   NULL, NULL, NULL, NULL, NULL);
	if (!s) {
		int rc = fail("CreateServiceW");

		CloseServiceHandle(m);
		return rc;
	}
	if (!configure(s)) {
		int rc = fail("ChangeServiceConfig2W (recovery actions)");

		DeleteService(s);
		CloseServiceHandle(s);
		CloseServiceHandle(m);
		return rc;
	}
	CloseServiceHandle(s);
	CloseServiceHandle(m);
	GetModuleFileNameW(NULL, exe, MAX_PATH);
	if ((err = svc_log_register_source(o->name, exe)) != FERRY_OK)
		fprintf(stderr, "ferrysvc: event source: %s\n", ferry_error_detail());
	printf("installed service %ls (automatic start, restart on failure)\n", o->name);
	return 0;
}

static bool wait_state(SC_HANDLE s, DWORD want)
{
	SERVICE_STATUS st;
	ULONGLONG end = GetTickCount64() + SCM_WAIT_MS;

	while (QueryServiceStatus(s, &st)) {
		if (st.dwCurrentState == want)
			return true;
		if (GetTickCount64() > end ||
		    (want == SERVICE_RUNNING && st.dwCurrentState == SERVICE_STOPPED))
			return false;
		Sleep(50);
	}
	return false;
}

static int control_service(const struct svc_options *o, bool start)
{
	SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT), s = NULL;
	SERVICE_STATUS st;
	int rc = 1;

	if (!m)
		return fail("OpenSCManagerW");
	s = OpenServiceW(m, o->name, SERVICE_START | SERVICE_STOP | SERVICE_QUERY_STATUS);
	if (!s)
		rc = fail("OpenServiceW");
	else if (start && !StartServiceW(s, 0, NULL))
		rc = fail("StartServiceW");
	else if (!start && !ControlService(s, SERVICE_CONTROL_STOP, &st) &&
		 GetLastError() != ERROR_SERVICE_NOT_ACTIVE)
		rc = fail("ControlService(STOP)");
	else if (!wait_state(s, start ? SERVICE_RUNNING : SERVICE_STOPPED))
		fprintf(stderr, "ferrysvc: service %ls did not reach the %s state\n", o->name,
			start ? "running" : "stopped");
	else
		rc = 0, printf("service %ls %s\n", o->name, start ? "running" : "stopped");
	if (s)
		CloseServiceHandle(s);
	CloseServiceHandle(m);
	return rc;
}

int svc_scm_start(const struct svc_options *o)
{
	return control_service(o, true);
}

int svc_scm_stop(const struct svc_options *o)
{
	return control_service(o, false);
}

int svc_scm_uninstall(const struct svc_options *o)
{
	SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT), s;
	SERVICE_STATUS st;
	int rc = 0;

	if (!m)
		return fail("OpenSCManagerW");
	s = OpenServiceW(m, o->name, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS);
	if (!s) {
		rc = fail("OpenServiceW");
	} else {
		if (ControlService(s, SERVICE_CONTROL_STOP, &st))
			wait_state(s, SERVICE_STOPPED);
		if (!DeleteService(s) && GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE)
			rc = fail("DeleteService");
		CloseServiceHandle(s);
	}
	CloseServiceHandle(m);
	if (svc_log_unregister_source(o->name) != FERRY_OK)
		fprintf(stderr, "ferrysvc: event source: %s\n", ferry_error_detail());
	if (!rc)
		printf("uninstalled service %ls\n", o->name);
	return rc;
}
