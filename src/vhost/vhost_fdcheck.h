/* SPDX-License-Identifier: MIT */
/*
 * What the fds a front end passes really are. The protocol says "eventfd"
 * and "shared memory file"; a hostile front end may pass a pipe, a socket or
 * a file it will truncate later. Every fd is checked when it arrives.
 */
#ifndef UVDPA_VHOST_FDCHECK_H
#define UVDPA_VHOST_FDCHECK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * 0 if fd is an eventfd, else -EINVAL with *why set. fstat cannot tell an
 * eventfd from other anonymous inodes; /proc/self/fd/N names it.
 */
int vhost_fd_check_eventfd(int fd, const char **why);
/* The back end's channel must be a connected-style Unix stream socket, as
 * the spec's socketpair: anything else is refused with a reason. */
int vhost_fd_check_unix_socket(int fd, const char **why);

/*
 * 0 if fd is a regular file (memfd, tmpfs, hugetlbfs) at least `need` bytes
 * long, else -EINVAL with *why set. *sealed says whether the file can no
 * longer shrink (F_SEAL_SHRINK), so mapping it cannot fault later.
 */
int vhost_fd_check_memory(int fd, uint64_t need, bool *sealed, const char **why);

/* Makes a call fd non-blocking; the front end shares the file description
 * and may clear it again, so writers must still not rely on it. */
int vhost_fd_set_nonblock(int fd);

#endif
