#include "win/oplog.h"

#include <stdarg.h>
#include <stdio.h>

win_log_fn win_log_hook = NULL;

void win_op_log(enum win_log_level level, const char *op, const char *fmt, ...)
{
	static const char *const names[] = { "info", "warn", "error" };
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (win_log_hook) {
		win_log_hook(level, op, line);
		return;
	}
	fprintf(stderr, "ferry %s %s: %s\n", names[(unsigned)level < 3 ? level : 2], op, line);
	fflush(stderr);
}

ferry_err win_op_result(const char *op, ferry_err rc)
{
	if (rc == FERRY_OK)
		win_op_log(WIN_LOG_INFO, op, "done");
	else
		win_op_log(WIN_LOG_ERROR, op, "failed: %s: %s", ferry_strerror(rc), ferry_error_detail());
	return rc;
}
