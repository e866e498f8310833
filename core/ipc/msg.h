/*
 * Typed pipe messages: requests (client -> service) and replies (service ->
 * client) for every op in docs/ipc.md, parsed from and built into frames.
 *
 * Unknown keys: refused. A request or reply holding a key its op does not
 * define is FERRY_ECORRUPT naming the key. "v" is the versioning mechanism
 * (and hello negotiates it), so a silent ignore would only hide typos such
 * as "pasword" and let a client believe a field it sent took effect.
 */
#ifndef FERRY_IPC_MSG_H
#define FERRY_IPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ipc/frame.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

enum ipc_op {
	IPC_OP_HELLO,
	IPC_OP_GET_EXPERIENCE,
	IPC_OP_CACHE_CREDENTIALS,
	IPC_OP_START_NOW,
	IPC_OP_SNOOZE,
	IPC_OP_ACK_COMPLETE,
	IPC_OP_SUBSCRIBE,
	IPC_OP_COUNT
};

#define IPC_NAME_MAX 256         /* user, domain: UTF-8 bytes */
#define IPC_PASSWORD_MAX 512     /* UTF-8 bytes */
#define IPC_VERSIONS_MAX 8       /* protocol versions a hello may offer */
#define IPC_CLIENT_MAX 64
#define IPC_TEXT_MAX 2048        /* experience title/body */
#define IPC_PATH_MAX 1024        /* experience image path */
#define IPC_SNOOZE_MIN_MAX 10080 /* snooze minutes: 1..7 days */
#define IPC_URL_MAX 512          /* experience qr_url: printable ASCII (= QR_URL_MAX) */
#define IPC_TIME_MAX 32          /* experience starts_at: RFC 3339 */
#define IPC_SUBSCRIBE_MS_MAX 300000u /* subscribe timeout_ms: 1..5 min */
#define IPC_NO_SESSION UINT32_MAX

/** Op name ("hello"); NULL for an out-of-range value. */
const char *ipc_op_name(enum ipc_op op);

/** Op from its name; FERRY_ENOTFOUND if unknown. */
ferry_err ipc_op_from_name(enum ipc_op *out, const char *name);

struct ipc_request {
	uint64_t id;
	enum ipc_op op;
	/* Optional "session" on every op but hello: the session acted for.
	 * IPC_NO_SESSION when absent: the caller's own session. */
	uint32_t session;
	union {
		struct {
			uint32_t versions[IPC_VERSIONS_MAX];
			size_t n_versions;
			char client[IPC_CLIENT_MAX + 1];
		} hello;
		struct {
			char user[IPC_NAME_MAX + 1];
			char domain[IPC_NAME_MAX + 1];
			struct ferry_secret *password; /* owned; wiped on free */
		} creds;
		struct {
			uint32_t minutes;
		} snooze;
		struct {
			uint32_t timeout_ms;
			uint64_t since; /* experience generation the client holds */
		} subscribe;
	} u;
};

/** Wipe and free; NULL-safe. */
void ipc_request_free(struct ipc_request *r);

/**
 * Typed request from a decoded request frame. The caller frees *out with
 * ipc_request_free. FERRY_ENOTFOUND for an unknown op (reply "unknown_op"),
 * FERRY_ECORRUPT/FERRY_ERANGE for bad fields (reply "bad_request"). The
 * detail never holds a field's value, so never a password.
 */
ferry_err ipc_request_parse(struct ipc_request **out, const struct ipc_frame *f);

/** Append a request frame to out. The JSON text is wiped after use. */
ferry_err ipc_request_build(struct ferry_buf *out, const struct ipc_request *r);

enum ipc_screen {
	IPC_SCREEN_NONE,      /* nothing to show */
	IPC_SCREEN_NOTICE,    /* migration announced; snooze or start */
	IPC_SCREEN_CREDENTIALS, /* ask for the target account's password */
	IPC_SCREEN_PROGRESS,  /* migrating: do not use the machine */
	IPC_SCREEN_COMPLETE,  /* done: sign in as the target user */
	IPC_SCREEN_FAILED,    /* stopped: fallback or help text */
	IPC_SCREEN_COUNT
};

const char *ipc_screen_name(enum ipc_screen s);

struct ipc_experience {
	uint64_t generation; /* changes whenever anything below changes */
	enum ipc_screen screen;
	char title[IPC_TEXT_MAX + 1];
	char body[IPC_TEXT_MAX + 1];
	char image[IPC_PATH_MAX + 1];  /* "" when none */
	char target_user[IPC_NAME_MAX + 1];
	bool fallback_available;
	uint32_t percent;              /* 0..100 */
	char step[IPC_NAME_MAX + 1];   /* current step name, "" when none */
	char qr_url[IPC_URL_MAX + 1];  /* printable ASCII URL to show as a QR code; "" none */
	char starts_at[IPC_TIME_MAX + 1]; /* RFC 3339: when an announced migration starts; "" */
	uint32_t snooze_max_minutes;   /* longest snooze allowed now, 0..IPC_SNOOZE_MIN_MAX;
					* 0 = snooze not allowed */
};

struct ipc_reply {
	uint64_t id;
	enum ipc_op op; /* what the reply answers; the client knows it by id */
	bool ok;
	union {
		struct {
			char code[IPC_OP_MAX + 1];
			char message[IPC_TEXT_MAX + 1];
		} error;
		struct {
			uint32_t version;
			char service[IPC_CLIENT_MAX + 1];
		} hello;
		struct ipc_experience experience; /* get_experience, subscribe */
		struct {
			char until[32]; /* RFC 3339 UTC */
		} snooze;
		struct {
			bool changed;
			struct ipc_experience experience;
		} subscribe;
	} u;
};

/** Append a reply frame for r (ok or error) to out. */
ferry_err ipc_reply_build(struct ferry_buf *out, const struct ipc_reply *r);

/**
 * Typed reply from a decoded reply frame, for a request of op `op` (the
 * client tracks it by id). The caller frees *out with ferry_free.
 */
ferry_err ipc_reply_parse(struct ipc_reply **out, const struct ipc_frame *f, enum ipc_op op);

/**
 * Fill r as an error reply. `code` is one of docs/ipc.md's codes; message
 * is user-readable and must never hold a secret.
 */
void ipc_reply_error(struct ipc_reply *r, uint64_t id, const char *code, const char *message);

enum logon_outcome;
/**
 * Fill r as the reply to cache_credentials for a logon check's outcome:
 * ok for LOGON_OUTCOME_OK, else an error reply whose code is the outcome's
 * (core/ux/logon_outcome.h, the one vocabulary) and whose message is its
 * text. The service answers with it; the tile and the notifier map the code
 * back with logon_outcome_from_code.
 */
void ipc_reply_logon(struct ipc_reply *r, uint64_t id, enum logon_outcome o);

/** The error code for a failure: bad_request, unknown_op, denied, ... */
const char *ipc_error_code(ferry_err err);

#endif
