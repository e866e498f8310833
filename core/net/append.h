/*
 * Appending to a file of the agent's state (the outbox) without trusting
 * what is already at its name, and creating its temporary files without
 * writing through anything planted there: the platform's secure file
 * primitives, provided at
 * link time by the platform layer, never by fopen("ab") (issue 15,
 * finding 5):
 *   Windows  winutil/wu_net_append.c: wu_file_open_append (an existing
 *            file only when core/sec/tree_policy trusts it as a file of the
 *            state tree: not a reparse point, one link, owned by SYSTEM,
 *            Administrators or the service's account; a missing one is
 *            made with CREATE_NEW);
 *   POSIX    core/net/posix/append.c: open(O_APPEND | O_NOFOLLOW |
 *            O_CLOEXEC | O_NONBLOCK), then the opened file must be a
 *            regular file with one link, owned by this process's user or
 *            root; a missing one is made 0600.
 * core/CMakeLists.txt picks one; core itself stays portable C.
 */
#ifndef FERRY_NET_APPEND_H
#define FERRY_NET_APPEND_H

#include <stddef.h>

#include "util/err.h"

/**
 * Append `len` bytes to `path` (UTF-8) as described above. FERRY_EPERM
 * naming the path and why when the file there is not trusted (nothing is
 * written to it), FERRY_EIO when it cannot be opened or written.
 */
ferry_err net_file_append(const char *path, const void *data, size_t len);

/**
 * Create `path` (UTF-8), which must not exist, and write `len` bytes to it:
 * exclusive creation that follows no link at the name (Windows CREATE_NEW
 * with FILE_FLAG_OPEN_REPARSE_POINT; POSIX O_CREAT | O_EXCL | O_NOFOLLOW,
 * mode 0600), so a file or link planted there is never written through.
 * FERRY_EPERM when something is already there (left alone), FERRY_EIO
 * when it cannot be created or written (what was created is removed).
 */
ferry_err net_file_write_new(const char *path, const void *data, size_t len);

#endif
