/*
 * Running Samba's and Kerberos' tools for a provisioning job: fork/exec
 * without a shell, a fixed environment, output to a file in the job's
 * private directory, a timeout, and no orphan left behind (the child gets
 * its own process group and dies with the thread that started it).
 */
#define _GNU_SOURCE
#include "prov_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"

/* The full path of a tool from PATH, resolved before fork (execve only after). */
static int resolve(char *out, size_t cap, const char *name)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return snprintf(out, cap, "%s", name) < (int)cap && access(out, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	for (const char *p = path; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n && snprintf(out, cap, "%.*s/%s", (int)n, p, name) < (int)cap &&
		    access(out, X_OK) == 0)
			return 1;
		p += n + (end ? 1 : 0);
	}
	return 0;
}

ferry_err prov_read_text(char **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	*out = NULL;
	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: cannot open", path);
	buf = ferry_malloc(PROV_OUT_MAX + 1);
	if (buf)
		n = fread(buf, 1, PROV_OUT_MAX, f);
	fclose(f);
	if (!buf)
		return ferry_error_set(FERRY_ENOMEM, "%s", path);
	buf[n] = '\0';
	*out = buf;
	return FERRY_OK;
}

void prov_output_tail(char *buf, size_t cap, const char *path)
{
	char *text = NULL;
	size_t n, start, j = 0;

	buf[0] = '\0';
	if (prov_read_text(&text, path))
		return;
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	start = n > 240 ? n - 240 : 0;
	for (size_t i = start; i < n && j + 1 < cap; i++)
		buf[j++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : ' ';
	buf[j] = '\0';
	ferry_free(text);
}

static void child(const char *file, char *const argv[], char *const env[], int out_fd)
{
	/* Only async-signal-safe calls between fork and execve. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	if (out_fd > 2)
		close(out_fd);
	execve(file, argv, env);
	_exit(127);
}

static ferry_err wait_for(pid_t pid, unsigned timeout_s, const char *tool, const char *out_path)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	unsigned long waited_ms = 0;
	char tail[256];
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return ferry_error_set(FERRY_ESYSTEM, "%s: waitpid failed (errno %d)", tool,
					       errno);
		if (waited_ms >= timeout_s * 1000ul) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return ferry_error_set(FERRY_ETIMEOUT, "%s: no answer within %u s", tool,
					       timeout_s);
		}
		nanosleep(&nap, NULL);
		waited_ms += 20;
	}
	kill(-pid, SIGKILL); /* anything it left running in its group */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return FERRY_OK;
	prov_output_tail(tail, sizeof(tail), out_path);
	if (WIFEXITED(status))
		return ferry_error_set(FERRY_ESYSTEM, "%s exited %d: %s", tool, WEXITSTATUS(status),
				       tail);
	return ferry_error_set(FERRY_ESYSTEM, "%s killed by signal %d", tool,
			       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

ferry_err prov_exec(const struct prov_run *r)
{
	char *argv[2 * PROV_ARGV_MAX + 1];
	char file[4096];
	size_t n = 0;
	int fd;
	pid_t pid;
	ferry_err rc;

	for (size_t i = 0; r->prefix && r->prefix[i] && n < PROV_ARGV_MAX; i++)
		argv[n++] = (char *)r->prefix[i];
	for (size_t i = 0; r->argv[i] && i < PROV_ARGV_MAX; i++)
		argv[n++] = (char *)r->argv[i];
	argv[n] = NULL;
	if (!n || !resolve(file, sizeof(file), argv[0]))
		return ferry_error_set(FERRY_ENOTFOUND, "%s: not found in PATH", n ? argv[0] : "tool");
	fd = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ferry_error_set(FERRY_EIO, "%s: cannot create (errno %d)", r->out_path, errno);
	pid = fork();
	if (pid == 0) {
		/* O_CLOEXEC would close it at exec: the child's 1 and 2 are dup2 copies. */
		child(file, argv, (char *const *)r->env, fd);
	}
	close(fd);
	if (pid < 0)
		return ferry_error_set(FERRY_ESYSTEM, "fork failed (errno %d)", errno);
	rc = wait_for(pid, r->timeout_s ? r->timeout_s : 120, r->argv[0], r->out_path);
	return rc;
}
