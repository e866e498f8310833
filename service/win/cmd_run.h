/*
 * The one child-process runner of the service (dsregcmd, command packages):
 * a job object that kills everything on close, a timeout, stdin from NUL and
 * stdout+stderr captured into struct win_cmd_output, size-capped.
 */
#ifndef FERRY_SVC_CMD_RUN_H
#define FERRY_SVC_CMD_RUN_H

#include <stdint.h>
#include <wchar.h>

#include "win/sysops.h"

/**
 * Run `cmdline` (CreateProcessW's lpCommandLine; copied, so it may be
 * const) in `cwd` (NULL = the service's) as the calling token, inside a new
 * job object (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE). The child inherits only
 * its output pipe and NUL as stdin. When `timeout_ms` passes, the whole job
 * is terminated. When the process exits, whatever it left running in the
 * job is ended too, so no package outlives its run.
 *
 * Returns 0 when the process exited by itself (out->exit_code says how),
 * FERRY_ETIMEOUT when it was killed (out->timed_out, the output so far), or
 * a Win32 failure naming the API. out->text is at most WIN_CMD_OUTPUT_MAX
 * bytes of UTF-8 (converted from the OEM code page when the child did not
 * write UTF-8), cut at a character boundary, with out->truncated set.
 * The caller clears *out with win_cmd_output_clear on every path.
 */
ferry_err win_cmd_run(const wchar_t *cmdline, const wchar_t *cwd, uint32_t timeout_ms,
		      struct win_cmd_output *out);

#endif
