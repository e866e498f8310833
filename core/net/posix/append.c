/* net_file_append and net_file_write_new for POSIX systems (net/append.h):
 * the native `ferry agent`. */
#define _POSIX_C_SOURCE 200809L
#include "net/append.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether the opened file may be appended to: what tree_policy asks of a
 * file of the state tree on Windows, in POSIX terms. NULL when it may. */
static const char *untrusted(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink != 1)
		return "more than one hard link";
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return "owned by another user";
	return NULL;
}

/* Write all of data to fd; path names it in the error. */
static ferry_err write_all(int fd, const char *path, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ferry_error_set(FERRY_EIO, "%s: cannot write: %s", path,
					       n < 0 ? strerror(errno) : "nothing written");
		p += n, len -= (size_t)n;
	}
	return FERRY_OK;
}

ferry_err net_file_write_new(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ferry_err rc;

	if (fd < 0)
		return errno == EEXIST || errno == ELOOP
			       ? ferry_error_set(FERRY_EPERM, "%s: not created: something is already "
						 "there", path)
			       : ferry_error_set(FERRY_EIO, "%s: cannot create: %s", path,
						 strerror(errno));
	rc = write_all(fd, path, data, len);
	if (close(fd) && !rc)
		rc = ferry_error_set(FERRY_EIO, "%s: cannot write: %s", path, strerror(errno));
	if (rc)
		unlink(path);
	return rc;
}

ferry_err net_file_append(const char *path, const void *data, size_t len)
{
	/* O_NOFOLLOW: a symbolic link at the name fails (ELOOP) instead of
	 * being followed; O_NONBLOCK: a FIFO planted there cannot hang us
	 * before fstat refuses it. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		      0600);
	const unsigned char *p = data;
	const char *why;
	struct stat st;
	ferry_err rc = FERRY_OK;

	if (fd < 0)
		return errno == ELOOP ? ferry_error_set(FERRY_EPERM, "%s: not appended to: a symbolic "
							"link", path)
				      : ferry_error_set(FERRY_EIO, "%s: cannot open for appending: %s",
							path, strerror(errno));
	if (fstat(fd, &st))
		rc = ferry_error_set(FERRY_EIO, "%s: fstat: %s", path, strerror(errno));
	else if ((why = untrusted(&st)))
		rc = ferry_error_set(FERRY_EPERM, "%s: not appended to: %s", path, why);
	if (!rc)
		rc = write_all(fd, path, p, len);
	close(fd);
	return rc;
}
