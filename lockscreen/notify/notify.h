/*
 * ferry-notify.exe's parts: the pipe client (notify_pipe.c), the dialog
 * window (notify_dlg.c) and the loop (notify_main.c).
 */
#ifndef FERRY_NOTIFY_H
#define FERRY_NOTIFY_H

#include <windows.h>

#include "draw/dialog.h"
#include "ipc/msg.h"
#include "util/err.h"

#define NOTIFY_PIPE_DEFAULT L"\\\\.\\pipe\\Ferry.Agent"
#define NOTIFY_CONNECT_MS 2000

/** One request, one reply over a fresh connection; free *out with ferry_free. */
ferry_err notify_pipe_call(const wchar_t *pipe, const struct ipc_request *req,
			   struct ipc_reply **out);

/* What the user did with a dialog. */
enum notify_answer { NOTIFY_CLOSED, NOTIFY_TIMEOUT, NOTIFY_BUTTON };

struct notify_result {
	enum notify_answer answer;
	int id;                        /* the button, DRAW_ID_* */
	unsigned snooze_minutes;       /* the choice when id == DRAW_ID_SNOOZE */
	struct ferry_secret *password; /* DRAW_ID_SUBMIT: owned by the caller */
	char user[IPC_NAME_MAX + 1];
};

/**
 * Show the dialog for m until the user answers. auto_id != 0 presses that
 * button once the dialog is up (the --answer test hook); auto_password, when
 * not NULL, is typed into the password field first (--password-file).
 */
ferry_err notify_dlg_run(struct notify_result *out, const struct draw_dlg_model *m, int auto_id,
			 const struct ferry_secret *auto_password);

/* HKLM\SOFTWARE\Ferry\Test, DWORD NotifyTestHooks = 1: allows
 * --password-file (tests only; an admin must set it, and the MSI never does). */
#define NOTIFY_TEST_KEY L"SOFTWARE\\Ferry\\Test"
#define NOTIFY_TEST_VALUE L"NotifyTestHooks"

#endif
