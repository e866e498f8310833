/*
 * The view of the service and the subscribe thread (see cp_watch.h).
 *
 * Lifetime: a cp_watch has two references, the provider's and the
 * thread's; whichever drops last frees it. The thread also pins the DLL
 * (GetModuleHandleExW) and leaves through FreeLibraryAndExitThread, so the
 * DLL cannot be unloaded under a thread still running its code.
 *
 * Events: the provider's ICredentialProviderEvents pointer is taken under
 * the lock and AddRef'd, then called without the lock held, so LogonUI may
 * call UnAdvise from inside CredentialsChanged without a deadlock. After
 * UnAdvise at most one late CredentialsChanged can arrive, through a
 * reference the thread still owns; LogonUI ignores a stale context.
 */
#include "cp_watch.h"

#include "cp_pipe.h"
#include "util/mem.h"

struct cp_watch {
	volatile LONG refs;
	CRITICAL_SECTION lock;
	HANDLE stop;
	HANDLE thread;
	ICredentialProviderEvents *events; /* owned; NULL after stop; under lock */
	UINT_PTR ctx;
	struct cp_view view; /* last view published; under lock */
	bool changed;        /* view not yet taken; under lock */
	cp_watch_apply_fn apply; /* NULL after stop; under lock */
	void *apply_ctx;
};

void cp_view_fetch(struct cp_view *out)
{
	struct ipc_request req = { 0 };
	struct ipc_reply *rep = NULL;

	memset(out, 0, sizeof(*out));
	req.id = cp_pipe_next_id();
	req.op = IPC_OP_GET_EXPERIENCE;
	req.session = IPC_NO_SESSION;
	if (cp_pipe_call(&rep, &req, CP_CALL_BUDGET_MS, NULL) == FERRY_OK && rep->ok) {
		out->answered = true;
		out->exp = rep->u.experience;
	}
	ferry_free(rep);
}

static void watch_unref(struct cp_watch *w)
{
	if (InterlockedDecrement(&w->refs) != 0)
		return;
	DeleteCriticalSection(&w->lock);
	CloseHandle(w->stop);
	ferry_free(w);
}

static bool view_differs(const struct cp_view *a, const struct cp_view *b)
{
	return a->answered != b->answered ||
	       (a->answered && a->exp.generation != b->exp.generation);
}

static void publish(struct cp_watch *w, const struct cp_view *v)
{
	ICredentialProviderEvents *ev;

	EnterCriticalSection(&w->lock);
	w->view = *v;
	w->changed = true;
	/* Texts that change within the same tiles go straight into their fields
	 * (CredentialsChanged would rebuild every tile and lose what was typed). */
	if (w->apply && w->apply(w->apply_ctx, v)) {
		w->changed = false;
		LeaveCriticalSection(&w->lock);
		return;
	}
	ev = w->events;
	if (ev)
		ev->lpVtbl->AddRef(ev);
	LeaveCriticalSection(&w->lock);
	if (ev) {
		ev->lpVtbl->CredentialsChanged(ev, w->ctx);
		ev->lpVtbl->Release(ev);
	}
}

/* One long poll; false when the thread was told to stop. */
static bool poll_once(struct cp_watch *w, struct cp_view *cur, struct cp_view *next)
{
	struct ipc_request req = { 0 };
	struct ipc_reply *rep = NULL;
	ferry_err rc;

	req.id = cp_pipe_next_id();
	req.op = IPC_OP_SUBSCRIBE;
	req.session = IPC_NO_SESSION;
	req.u.subscribe.timeout_ms = CP_WATCH_POLL_MS;
	req.u.subscribe.since = cur->answered ? cur->exp.generation : 0;
	/* The service answers by timeout_ms; allow it a little longer. */
	rc = cp_pipe_call(&rep, &req, CP_WATCH_POLL_MS + CP_CALL_BUDGET_MS, w->stop);
	memset(next, 0, sizeof(*next));
	if (rc == FERRY_OK && rep->ok) {
		next->answered = true;
		next->exp = rep->u.subscribe.experience;
	}
	ferry_free(rep);
	return WaitForSingleObject(w->stop, 0) != WAIT_OBJECT_0;
}

static DWORD WINAPI watch_thread(LPVOID arg)
{
	struct cp_watch *w = arg;
	struct cp_view *cur = ferry_malloc(sizeof(*cur));
	struct cp_view *next = ferry_malloc(sizeof(*next));
	HMODULE self = NULL;

	/* Pin the DLL for the thread's life (released by FreeLibraryAndExitThread). */
	GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)watch_thread,
			   &self);
	if (cur && next) {
		EnterCriticalSection(&w->lock);
		*cur = w->view;
		LeaveCriticalSection(&w->lock);
		while (poll_once(w, cur, next)) {
			if (view_differs(cur, next))
				publish(w, next);
			*cur = *next;
			/* A failed pipe is retried after a pause, not in a spin. */
			if (!cur->answered &&
			    WaitForSingleObject(w->stop, CP_WATCH_RETRY_MS) == WAIT_OBJECT_0)
				break;
		}
	}
	ferry_free(cur);
	ferry_free(next);
	watch_unref(w);
	if (self)
		FreeLibraryAndExitThread(self, 0);
	return 0;
}

HRESULT cp_watch_start(struct cp_watch **out, ICredentialProviderEvents *events, UINT_PTR ctx,
		       const struct cp_view *initial, cp_watch_apply_fn apply, void *apply_ctx)
{
	struct cp_watch *w = ferry_calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return E_OUTOFMEMORY;
	w->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!w->stop) {
		ferry_free(w);
		return HRESULT_FROM_WIN32(GetLastError());
	}
	InitializeCriticalSection(&w->lock);
	w->refs = 2; /* the caller's and the thread's */
	w->events = events;
	events->lpVtbl->AddRef(events);
	w->ctx = ctx;
	w->view = *initial;
	w->apply = apply;
	w->apply_ctx = apply_ctx;
	w->thread = CreateThread(NULL, 0, watch_thread, w, 0, NULL);
	if (!w->thread) {
		HRESULT hr = HRESULT_FROM_WIN32(GetLastError());

		events->lpVtbl->Release(events);
		w->events = NULL;
		w->refs = 1;
		watch_unref(w);
		return hr;
	}
	*out = w;
	return S_OK;
}

void cp_watch_stop(struct cp_watch *w)
{
	ICredentialProviderEvents *ev;

	if (!w)
		return;
	EnterCriticalSection(&w->lock);
	ev = w->events;
	w->events = NULL;
	w->apply = NULL;
	LeaveCriticalSection(&w->lock);
	SetEvent(w->stop);
	/* Bounded: the thread's pipe wait watches w->stop and cancels at once. */
	if (WaitForSingleObject(w->thread, CP_WATCH_STOP_MS) != WAIT_OBJECT_0)
		cp_log("subscribe thread still running after %u ms; it exits on its own",
		       CP_WATCH_STOP_MS);
	CloseHandle(w->thread);
	if (ev)
		ev->lpVtbl->Release(ev);
	watch_unref(w);
}

bool cp_watch_take(struct cp_watch *w, struct cp_view *out)
{
	bool changed;

	EnterCriticalSection(&w->lock);
	changed = w->changed;
	if (changed)
		*out = w->view;
	w->changed = false;
	LeaveCriticalSection(&w->lock);
	return changed;
}
