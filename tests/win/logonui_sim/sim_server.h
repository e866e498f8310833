/*
 * The LogonUI harness's scripted pipe server: a thread that plays the
 * Ferry service on a private pipe name, speaking core/ipc, answering each
 * op as the test scripted it and recording what it was sent.
 */
#ifndef FERRY_SIM_SERVER_H
#define FERRY_SIM_SERVER_H

#include <windows.h>

#include <stdbool.h>

#include "ipc/msg.h"
#include "ux/logon_outcome.h"

enum sim_mode {
	SIM_ANSWER, /* answer every op */
	SIM_HANG,   /* accept, read the request, never answer (until stopped) */
};

struct sim_server;

/**
 * Start serving `pipe` (\\.\pipe\...) with experience *exp, playing the
 * service: its pipe owned by SYSTEM, and HKLM\SOFTWARE\Ferry\Test naming
 * this program and user as what pipe clients expect (winutil/wu_pipe.c).
 */
struct sim_server *sim_server_start(const wchar_t *pipe, const struct ipc_experience *exp);
/**
 * trusted false: a squatter instead. Its pipe has a user's default
 * security, and the clients expect the real ferrysvc.exe, so they must
 * refuse it before sending anything.
 */
struct sim_server *sim_server_start_as(const wchar_t *pipe, const struct ipc_experience *exp,
				       bool trusted);
/** Stop and free; waits for every connection thread. NULL-safe. */
void sim_server_stop(struct sim_server *s);

/** Replace the experience (generation bumped) and wake a pending subscribe. */
void sim_server_set_experience(struct sim_server *s, const struct ipc_experience *exp);
/** How get_experience/subscribe (exp_mode) and cache_credentials (cache_mode) behave. */
void sim_server_set_modes(struct sim_server *s, enum sim_mode exp_mode, enum sim_mode cache_mode);
/** cache_credentials answers this error (code NULL = ok). */
void sim_server_set_cache_error(struct sim_server *s, const char *code, const char *message);
/** Answer cache_credentials as the service does for logon outcome `o` (ipc_reply_logon). */
void sim_server_set_cache_outcome(struct sim_server *s, enum logon_outcome o);

/** cache_credentials answers only after ms (a logon through a trust to a far DC). */
void sim_server_set_cache_delay(struct sim_server *s, DWORD ms);

struct sim_seen {
	unsigned n_get, n_subscribe, n_cache;
	unsigned n_start, n_snooze, n_ack;
	unsigned snooze_minutes; /* the last snooze's */
	char user[IPC_NAME_MAX + 1];
	char domain[IPC_NAME_MAX + 1];
	char password[IPC_PASSWORD_MAX + 1];
};
/** What the server has been sent so far. */
void sim_server_seen(struct sim_server *s, struct sim_seen *out);

#endif
