/* Ferry's one error type and its per-thread detail message. */
#ifndef FERRY_UTIL_ERR_H
#define FERRY_UTIL_ERR_H

#include <stddef.h>

/*
 * printf-style checking. mingw's gcc takes plain `printf` to mean the MSVC
 * runtime's dialect (no %zu); Ferry builds with __USE_MINGW_ANSI_STDIO=1
 * and checks against the C99 dialect instead.
 */
#if defined(__MINGW32__)
#define FERRY_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#elif defined(__GNUC__)
#define FERRY_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FERRY_PRINTF(fmt, args)
#endif

/*
 * Append-only: never renumber, never reuse. 0 is success, failures are
 * negative. ferry_strerror() names each one.
 */
typedef enum ferry_err {
	FERRY_OK = 0,
	FERRY_EINVAL = -1,      /* a caller passed an invalid argument */
	FERRY_ENOMEM = -2,      /* an allocation failed or a size overflowed */
	FERRY_ECORRUPT = -3,    /* input from outside is malformed */
	FERRY_ERANGE = -4,      /* a value or size is beyond its limit */
	FERRY_EIO = -5,         /* reading or writing a file or stream failed */
	FERRY_ENOTFOUND = -6,   /* a named thing does not exist */
	FERRY_EMISMATCH = -7,   /* well-formed, but not what was expected */
	FERRY_EUNSUPPORTED = -8,/* well-formed, but a version or kind we refuse */
	FERRY_EPERM = -9,       /* the caller is not allowed to do this */
	FERRY_ETIMEOUT = -10,   /* a wait ran out */
	FERRY_ESYSTEM = -11,    /* an operating-system call failed (see detail) */
	FERRY_ENOTIMPL = -12,   /* an operation this build cannot perform */
	FERRY_EBUSY = -13,      /* try again later */
	FERRY_EAUTH = -14,      /* a signature, seal or credential was refused */
} ferry_err;

/** Static English name of an error code; never NULL. */
const char *ferry_strerror(ferry_err err);

/**
 * Record the detail of a failure where it starts, and return `err` so a
 * caller can write `return ferry_error_set(FERRY_ECORRUPT, "...", ...)`.
 * The detail is per thread and replaced by the next call. Never pass a
 * secret as an argument.
 */
ferry_err ferry_error_set(ferry_err err, const char *fmt, ...) FERRY_PRINTF(2, 3);

/**
 * Prefix the current detail with more context ("runbook.json: " + detail),
 * keeping the code. Returns `err`.
 */
ferry_err ferry_error_wrap(ferry_err err, const char *fmt, ...) FERRY_PRINTF(2, 3);

/** The calling thread's last detail message (borrowed; "" when none). */
const char *ferry_error_detail(void);

/** Forget the calling thread's detail message. */
void ferry_error_clear(void);

#endif
