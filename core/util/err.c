#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DETAIL_MAX 512

static _Thread_local char detail[DETAIL_MAX];

const char *ferry_strerror(ferry_err err)
{
	switch (err) {
	case FERRY_OK: return "success";
	case FERRY_EINVAL: return "invalid argument";
	case FERRY_ENOMEM: return "out of memory";
	case FERRY_ECORRUPT: return "malformed input";
	case FERRY_ERANGE: return "value out of range";
	case FERRY_EIO: return "input/output error";
	case FERRY_ENOTFOUND: return "not found";
	case FERRY_EMISMATCH: return "does not match";
	case FERRY_EUNSUPPORTED: return "unsupported";
	case FERRY_EPERM: return "not permitted";
	case FERRY_ETIMEOUT: return "timed out";
	case FERRY_ESYSTEM: return "system call failed";
	case FERRY_ENOTIMPL: return "not implemented in this build";
	case FERRY_EBUSY: return "busy";
	case FERRY_EAUTH: return "authentication failed";
	}
	return "unknown error";
}

ferry_err ferry_error_set(ferry_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err;
}

ferry_err ferry_error_wrap(ferry_err err, const char *fmt, ...)
{
	char prefix[DETAIL_MAX];
	char old[DETAIL_MAX];
	va_list ap;

	memcpy(old, detail, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Truncation is acceptable: the prefix comes first and matters most. */
	{
		size_t a = strlen(prefix), b = strlen(old);

		if (b > sizeof(detail) - 1 - a)
			b = sizeof(detail) - 1 - a;
		memcpy(detail, prefix, a);
		memcpy(detail + a, old, b);
		detail[a + b] = '\0';
	}
	return err;
}

const char *ferry_error_detail(void)
{
	return detail;
}

void ferry_error_clear(void)
{
	detail[0] = '\0';
}
