/*
 * One notifier dialog as a real window: a control per laid-out item
 * (draw/dialog.h), so the keyboard (Tab, Enter, Esc through
 * IsDialogMessage) and screen readers (each field follows its label) work;
 * WM_PAINT paints the background and the logo/QR with the same code
 * ferry-preview uses. The countdown ticks once a second.
 */
#include "notify.h"

#include <commctrl.h>

#include <string.h>

#include "util/mem.h"

#define CLASS_NAME L"FerryNotifyDialog"
#define TIMER_ID 1

struct dlg {
	const struct draw_dlg_model *m;
	struct draw_dlg_layout *l;
	struct notify_result *res;
	ULONGLONG deadline; /* GetTickCount64 when the countdown reaches 0 */
	bool done;
	HBRUSH bg;
};

static const wchar_t *control_class(enum draw_item_kind k, DWORD *style)
{
	*style = WS_CHILD | WS_VISIBLE;
	switch (k) {
	case DRAW_ITEM_EDIT:
		*style |= WS_TABSTOP | WS_BORDER | ES_AUTOHSCROLL;
		return L"EDIT";
	case DRAW_ITEM_PASSWORD:
		*style |= WS_TABSTOP | WS_BORDER | ES_AUTOHSCROLL | ES_PASSWORD;
		return L"EDIT";
	case DRAW_ITEM_COMBO:
		*style |= WS_TABSTOP | CBS_DROPDOWNLIST | WS_VSCROLL;
		return L"COMBOBOX";
	case DRAW_ITEM_PROGRESS:
		return PROGRESS_CLASSW;
	case DRAW_ITEM_BUTTON:
		*style |= WS_TABSTOP | BS_PUSHBUTTON;
		return L"BUTTON";
	case DRAW_ITEM_DEFBUTTON:
		*style |= WS_TABSTOP | BS_DEFPUSHBUTTON;
		return L"BUTTON";
	default:
		*style |= SS_NOPREFIX | SS_EDITCONTROL;
		return L"STATIC";
	}
}

static void create_controls(HWND hwnd, struct dlg *d)
{
	HWND first = NULL;

	for (size_t i = 0; i < d->l->n; i++) {
		const struct draw_item *it = &d->l->items[i];
		DWORD style;
		const wchar_t *cls = control_class(it->kind, &style);
		HWND c = CreateWindowExW(0, cls, it->kind == DRAW_ITEM_COMBO ? L"" : it->text, style,
					 it->rc.left, it->rc.top, it->rc.right - it->rc.left,
					 it->kind == DRAW_ITEM_COMBO ? (it->rc.bottom - it->rc.top) * 5
								     : it->rc.bottom - it->rc.top,
					 hwnd, (HMENU)(INT_PTR)it->id, GetModuleHandleW(NULL), NULL);

		if (!c)
			continue;
		SendMessageW(c, WM_SETFONT, (WPARAM)d->l->fonts[it->font], FALSE);
		if (it->kind == DRAW_ITEM_COMBO) {
			const struct draw_snooze *ch;
			size_t n = draw_snooze_choices(&ch, d->m->snooze_limit_min);

			for (size_t k = 0; k < n; k++)
				SendMessageW(c, CB_ADDSTRING, 0, (LPARAM)ch[k].label);
			SendMessageW(c, CB_SETCURSEL, 0, 0);
		} else if (it->kind == DRAW_ITEM_PROGRESS) {
			SendMessageW(c, PBM_SETPOS, d->m->percent > 100 ? 100 : d->m->percent, 0);
		}
		if (!first && (style & WS_TABSTOP))
			first = c;
		if (it->kind == DRAW_ITEM_PASSWORD)
			first = c; /* the user name is pre-filled: start at the password */
	}
	if (first)
		SetFocus(first);
}

/* Copy the answer's fields, wiping the password edit's text. */
static void collect(HWND hwnd, struct dlg *d, int id)
{
	HWND pw = GetDlgItem(hwnd, DRAW_ID_PASSWORD), user = GetDlgItem(hwnd, DRAW_ID_USER);
	HWND combo = GetDlgItem(hwnd, DRAW_ID_SNOOZE_CHOICE);
	wchar_t buf[IPC_PASSWORD_MAX + 1];

	d->res->answer = NOTIFY_BUTTON;
	d->res->id = id;
	if (combo) {
		const struct draw_snooze *ch;
		size_t n = draw_snooze_choices(&ch, d->m->snooze_limit_min);
		LRESULT sel = SendMessageW(combo, CB_GETCURSEL, 0, 0);

		d->res->snooze_minutes = sel >= 0 && (size_t)sel < n ? ch[sel].minutes : ch[0].minutes;
	}
	if (user && id == DRAW_ID_SUBMIT) {
		int n = GetWindowTextW(user, buf, IPC_NAME_MAX);

		WideCharToMultiByte(CP_UTF8, 0, buf, n + 1, d->res->user, IPC_NAME_MAX, NULL, NULL);
	}
	if (pw) {
		int n = id == DRAW_ID_SUBMIT ? GetWindowTextW(pw, buf, IPC_PASSWORD_MAX) : 0;

		if (n > 0) {
			char u8[IPC_PASSWORD_MAX * 3 + 1];
			int m = WideCharToMultiByte(CP_UTF8, 0, buf, n, u8, (int)sizeof u8 - 1, NULL, NULL);

			if (m > 0 && ferry_secret_from(&d->res->password, u8, (size_t)m))
				d->res->password = NULL;
			SecureZeroMemory(u8, sizeof u8);
		}
		SecureZeroMemory(buf, sizeof buf);
		SetWindowTextW(pw, L""); /* the edit's own copy */
	}
}

static LRESULT CALLBACK wndproc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct dlg *d = (struct dlg *)GetWindowLongPtrW(hwnd, GWLP_USERDATA);
	PAINTSTRUCT ps;

	switch (msg) {
	case WM_CREATE:
		d = ((CREATESTRUCTW *)lp)->lpCreateParams;
		SetWindowLongPtrW(hwnd, GWLP_USERDATA, (LONG_PTR)d);
		create_controls(hwnd, d);
		if (d->m->kind == DRAW_DLG_STARTING)
			SetTimer(hwnd, TIMER_ID, 1000, NULL);
		return 0;
	case WM_PAINT:
		if (BeginPaint(hwnd, &ps)) {
			draw_dlg_paint(ps.hdc, d->m, d->l, false);
			EndPaint(hwnd, &ps);
		}
		return 0;
	case WM_CTLCOLORSTATIC:
		SetBkColor((HDC)wp, RGB(0xFF, 0xFF, 0xFF));
		if (GetDlgCtrlID((HWND)lp) == DRAW_ID_TITLE || GetDlgCtrlID((HWND)lp) == DRAW_ID_COUNTDOWN)
			SetTextColor((HDC)wp, RGB(0x1F, 0x4E, 0x79));
		return (LRESULT)d->bg;
	case WM_TIMER: {
		wchar_t t[64];

		ULONGLONG now = GetTickCount64();
		/* From the deadline, not by counting ticks: WM_TIMER is late under load. */
		unsigned left = now >= d->deadline ? 0 : (unsigned)((d->deadline - now + 999) / 1000);

		draw_countdown_text(t, 64, left);
		SetDlgItemTextW(hwnd, DRAW_ID_COUNTDOWN, t);
		if (!left) {
			d->res->answer = NOTIFY_TIMEOUT;
			DestroyWindow(hwnd);
		}
		return 0;
	}
	case WM_COMMAND:
		if (HIWORD(wp) == BN_CLICKED && LOWORD(wp) >= DRAW_ID_START &&
		    LOWORD(wp) <= DRAW_ID_LATER) {
			collect(hwnd, d, LOWORD(wp));
			DestroyWindow(hwnd);
		} else if (LOWORD(wp) == IDCANCEL) {
			DestroyWindow(hwnd); /* Esc = close */
		}
		return 0;
	case WM_CLOSE:
		DestroyWindow(hwnd);
		return 0;
	case WM_DESTROY:
		KillTimer(hwnd, TIMER_ID);
		d->done = true;
		return 0;
	}
	return DefWindowProcW(hwnd, msg, wp, lp);
}

static int window_dpi(void)
{
	HDC dc = GetDC(NULL);
	int dpi = dc ? GetDeviceCaps(dc, LOGPIXELSX) : 96;

	if (dc)
		ReleaseDC(NULL, dc);
	return dpi >= 48 && dpi <= 480 ? dpi : 96;
}

/* The test hook's typing: the secret into the edit, the wide copy wiped. */
static void type_password(HWND edit, const struct ferry_secret *pw)
{
	wchar_t w[IPC_PASSWORD_MAX + 1];
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, (const char *)pw->data,
				    (int)pw->len, w, IPC_PASSWORD_MAX);

	if (n > 0) {
		w[n] = 0;
		SetWindowTextW(edit, w);
	}
	SecureZeroMemory(w, sizeof w);
}

ferry_err notify_dlg_run(struct notify_result *out, const struct draw_dlg_model *m, int auto_id,
			 const struct ferry_secret *auto_password)
{
	static bool registered;
	struct dlg d = {0};
	RECT r;
	HWND hwnd;
	MSG msg;
	wchar_t *title;
	ferry_err rc;

	memset(out, 0, sizeof *out);
	out->answer = NOTIFY_CLOSED;
	d.m = m;
	d.res = out;
	d.deadline = GetTickCount64() + (ULONGLONG)m->seconds_left * 1000u;
	rc = draw_dlg_layout(&d.l, m, window_dpi());
	if (rc)
		return rc;
	if (!registered) {
		WNDCLASSEXW wc;
		INITCOMMONCONTROLSEX icc;

		memset(&wc, 0, sizeof wc);
		wc.cbSize = sizeof wc;
		icc.dwSize = sizeof icc;
		icc.dwICC = ICC_PROGRESS_CLASS | ICC_STANDARD_CLASSES;
		InitCommonControlsEx(&icc);
		wc.lpfnWndProc = wndproc;
		wc.hInstance = GetModuleHandleW(NULL);
		wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
		wc.lpszClassName = CLASS_NAME;
		registered = RegisterClassExW(&wc) != 0;
	}
	d.bg = CreateSolidBrush(RGB(0xFF, 0xFF, 0xFF));
	r = (RECT){0, 0, d.l->w, d.l->h};
	AdjustWindowRectEx(&r, WS_CAPTION | WS_SYSMENU, FALSE, WS_EX_TOPMOST);
	title = draw_dlg_item(d.l, DRAW_ID_TITLE) ? draw_dlg_item(d.l, DRAW_ID_TITLE)->text : L"Ferry";
	hwnd = CreateWindowExW(WS_EX_TOPMOST | WS_EX_CONTROLPARENT, CLASS_NAME, title,
			       WS_CAPTION | WS_SYSMENU, CW_USEDEFAULT, CW_USEDEFAULT, r.right - r.left,
			       r.bottom - r.top, NULL, NULL, GetModuleHandleW(NULL), &d);
	if (!hwnd) {
		rc = ferry_error_set(FERRY_ESYSTEM, "notifier: CreateWindowExW failed (Win32 error %lu)",
				     (unsigned long)GetLastError());
		goto out;
	}
	ShowWindow(hwnd, SW_SHOWNORMAL);
	SetForegroundWindow(hwnd);
	if (auto_password && GetDlgItem(hwnd, DRAW_ID_PASSWORD))
		type_password(GetDlgItem(hwnd, DRAW_ID_PASSWORD), auto_password);
	if (auto_id)
		PostMessageW(hwnd, WM_COMMAND, MAKEWPARAM(auto_id, BN_CLICKED), 0);
	while (!d.done && GetMessageW(&msg, NULL, 0, 0) > 0) {
		if (!IsDialogMessageW(hwnd, &msg)) {
			TranslateMessage(&msg);
			DispatchMessageW(&msg);
		}
	}
out:
	if (d.bg)
		DeleteObject(d.bg);
	draw_dlg_layout_free(d.l);
	return rc;
}
