// SPDX-License-Identifier: MIT
/*
 * Fd type checks at the vhost-user boundary.
 *
 * A kick fd that is a pipe or a socket at EOF is readable for ever and makes
 * its reader spin; a call fd that is a pipe fills up and blocks its writer;
 * a memory fd that is not a file cannot be mapped sensibly, and one shorter
 * than the region faults on first touch. Refusing them when they arrive
 * turns each of these into a clear error on the front end's own request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "vhost_fdcheck.h"

int vhost_fd_check_unix_socket(int fd, const char **why)
{
	int domain = 0, type = 0;
	socklen_t len = sizeof(int);
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		*why = "no file descriptor";
		return -EINVAL;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*why = "it is not a socket";
		return -EINVAL;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) || domain != AF_UNIX) {
		*why = "it is not a Unix socket";
		return -EINVAL;
	}
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_STREAM) {
		*why = "it is not a stream socket";
		return -EINVAL;
	}
	return 0;
}

int vhost_fd_check_eventfd(int fd, const char **why)
{
	static const char want[] = "anon_inode:[eventfd]";
	char path[64], target[64];
	ssize_t n;

	if (fd < 0) {
		*why = "no file descriptor";
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		*why = "cannot read its type from /proc/self/fd";
		return -EINVAL;
	}
	target[n] = '\0';
	if (strcmp(target, want)) {
		*why = !strncmp(target, "pipe:", 5) ? "it is a pipe, not an eventfd" :
		       !strncmp(target, "socket:", 7) ? "it is a socket, not an eventfd" :
		       "it is not an eventfd";
		return -EINVAL;
	}
	return 0;
}

int vhost_fd_check_memory(int fd, uint64_t need, bool *sealed, const char **why)
{
	struct stat st;
	int seals;

	*sealed = false;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = "cannot fstat the file descriptor";
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "it is not a shared memory file (memfd, tmpfs or hugetlbfs)";
		return -EINVAL;
	}
	/* Touching a page past EOF raises SIGBUS. */
	if ((uint64_t)st.st_size < need) {
		*why = "the file is smaller than the area it should hold";
		return -EINVAL;
	}
	seals = fcntl(fd, F_GET_SEALS);
	*sealed = seals >= 0 && (seals & F_SEAL_SHRINK);
	return 0;
}

int vhost_fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}
