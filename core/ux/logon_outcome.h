/*
 * What an interactive logon against the target domain said, as the user
 * should read it. The service calls LogonUserExW and hands the Win32 error
 * (or, where an API gives one, the NTSTATUS) here; the decision of which
 * outcome, which stable IPC code and which sentence is pure and portable so
 * it is tested natively against the whole table.
 *
 * The codes are an IPC contract (the tile and the notifier switch on them):
 * append only, never rename.
 */
#ifndef FERRY_UX_LOGON_OUTCOME_H
#define FERRY_UX_LOGON_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

/* The one enum of logon outcomes: the service's logon check
 * (service/win/logon.c) returns it, the pipe carries its code, the tile and
 * the notifier map the code back with logon_outcome_from_code. */
enum logon_outcome {
	LOGON_OUTCOME_OK,
	LOGON_OUTCOME_WRONG_PASSWORD, /* or unknown user: the DC does not say which */
	LOGON_OUTCOME_LOCKED,
	LOGON_OUTCOME_DISABLED,       /* account disabled or expired */
	LOGON_OUTCOME_EXPIRED,        /* password expired */
	LOGON_OUTCOME_MUST_CHANGE,    /* password must change at next logon */
	LOGON_OUTCOME_NO_SERVERS,     /* no DC reachable: connect to the VPN */
	LOGON_OUTCOME_TRUST_FAILURE,  /* the source-target trust failed */
	LOGON_OUTCOME_OTHER,
	/* Appended with issue 16 (values above unchanged): */
	LOGON_OUTCOME_WRONG_ACCOUNT,  /* not the account this PC expects (an old account?) */
	LOGON_OUTCOME_NOT_CACHED_POLICY,    /* logon ok, but CachedLogonsCount is 0 */
	LOGON_OUTCOME_NOT_CACHED_PROTECTED, /* logon ok, but Protected Users keeps no verifier */
	LOGON_OUTCOME_COUNT_
};

/** The outcome of a Win32 error from LogonUserExW (0 = ERROR_SUCCESS). */
enum logon_outcome logon_outcome_from_win32(uint32_t win32);

/** The outcome of an NTSTATUS (LsaLogonUser's Status or SubStatus). */
enum logon_outcome logon_outcome_from_ntstatus(uint32_t status);

/** Stable IPC code ("wrong_password"); "other" for an out-of-range value. Never NULL. */
const char *logon_outcome_code(enum logon_outcome o);

/** One English sentence: what happened and what to do. Never NULL. */
const char *logon_outcome_text(enum logon_outcome o);

/**
 * The outcome whose IPC code is `code` (as a reply's error code carries it).
 * False, with *out = LOGON_OUTCOME_OTHER, when `code` is NULL or none of
 * ours (a pipe error such as "busy" or "denied").
 */
bool logon_outcome_from_code(enum logon_outcome *out, const char *code);

/* How a screen should mark the outcome (the tile's status icon). */
enum logon_severity {
	LOGON_SEVERITY_SUCCESS,
	LOGON_SEVERITY_WARNING, /* nothing wrong with the account: try again later */
	LOGON_SEVERITY_ERROR,   /* the account or password needs the user's action */
};

/** The severity of outcome `o` (out of range: error). */
enum logon_severity logon_outcome_severity(enum logon_outcome o);

#endif
