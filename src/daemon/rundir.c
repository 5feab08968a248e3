// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/rundir.h"

int rundir_resolve(const char *opt, char *buf, size_t size)
{
	const char *env = getenv("UVDPA_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (opt && *opt)
		n = snprintf(buf, size, "%s", opt);
	else if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/run/uvdpa");
	else if (xdg && *xdg)
		n = snprintf(buf, size, "%s/uvdpa", xdg);
	else {
		dlog(DLOG_ERROR, "no run directory: use -r DIR or set UVDPA_RUNDIR "
		     "(XDG_RUNTIME_DIR is not set either)");
		return -1;
	}
	if (n < 0 || (size_t)n >= size) {
		dlog(DLOG_ERROR, "run directory path is too long");
		return -1;
	}
	return 0;
}

int rundir_create(const char *dir)
{
	char tmp[4096];
	size_t i, len = strlen(dir);

	if (len >= sizeof(tmp)) {
		dlog(DLOG_ERROR, "run directory path is too long");
		return -1;
	}
	memcpy(tmp, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
			dlog(DLOG_ERROR, "cannot create %s: %s", tmp, strerror(errno));
			return -1;
		}
		tmp[i] = dir[i];
	}
	return 0;
}

/* The lock file is removed at exit: a lock taken on an unlinked file (the
 * old daemon removed it between our open and our flock) is no lock at all. */
static bool lock_is_current(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void log_lock_holder(int fd, const char *dir)
{
	char pid[32] = "";
	ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	dlog(DLOG_ERROR, "another uvdpad%s%s%s is already running on %s",
	     *pid ? " (pid " : "", pid, *pid ? ")" : "", dir);
}

int rundir_lock(const char *dir)
{
	char path[4096];
	int fd, tries;

	if (snprintf(path, sizeof(path), "%s/%s", dir, UVDPAD_LOCK_NAME) >= (int)sizeof(path))
		return -1;
	for (tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			dlog(DLOG_ERROR, "cannot open %s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK)
				log_lock_holder(fd, dir);
			else
				dlog(DLOG_ERROR, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (lock_is_current(fd, path))
			return fd;
		close(fd);
	}
	dlog(DLOG_ERROR, "cannot lock %s: it keeps being replaced", path);
	return -1;
}

void rundir_unlock(const char *dir, int fd)
{
	char path[4096];

	/* Unlinked while still held, so no one can lock the old file after us. */
	if (snprintf(path, sizeof(path), "%s/%s", dir, UVDPAD_LOCK_NAME) < (int)sizeof(path))
		unlink(path);
	close(fd);
}

void rundir_lock_write_pid(int fd)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n)
		dlog(DLOG_WARN, "cannot write the pid to the lock file");
}

/* 0: nothing usable there (removed if stale), -1: in use or not ours to remove. */
static int clear_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		dlog(DLOG_ERROR, "%s exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		dlog(DLOG_ERROR, "%s is served by another process", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		dlog(DLOG_ERROR, "cannot probe %s: %s", path, strerror(errno));
		return -1;
	}
	dlog(DLOG_WARN, "replacing stale socket %s (left by a daemon that died)", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		dlog(DLOG_ERROR, "cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int rundir_listen(const char *dir, char *path, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n;

	n = snprintf(path, size, "%s/%s", dir, UVDPAD_SOCK_NAME);
	if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof(sa.sun_path)) {
		dlog(DLOG_ERROR, "socket path %s/%s is too long for a Unix socket",
		     dir, UVDPAD_SOCK_NAME);
		return -1;
	}
	if (clear_stale(path) < 0)
		return -1;
	memcpy(sa.sun_path, path, (size_t)n + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		dlog(DLOG_ERROR, "socket: %s", strerror(errno));
		return -1;
	}
	/* Messages name sa.sun_path, not path: GCC's -Wformat-overflow under
	 * -fsanitize=undefined cannot prove a pointer argument non-null. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		dlog(DLOG_ERROR, "cannot bind %s: %s", sa.sun_path, strerror(errno));
		goto fail;
	}
	if (chmod(sa.sun_path, 0660) < 0 || listen(fd, 128) < 0) {
		dlog(DLOG_ERROR, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		unlink(sa.sun_path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int rundir_vhost_dir(const char *dir, char *path, size_t size)
{
	struct stat st;
	int n = snprintf(path, size, "%s/%s", dir, UVDPAD_VHOST_DIR);

	if (n < 0 || (size_t)n >= size) {
		dlog(DLOG_ERROR, "run directory path is too long");
		return -1;
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		dlog(DLOG_ERROR, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	/* A symlink or someone else's directory would put device sockets
	 * where we do not control them. */
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		dlog(DLOG_ERROR, "%s is not a directory of ours", path);
		return -1;
	}
	if ((st.st_mode & 07777) != 0755 && chmod(path, 0755) < 0) {
		dlog(DLOG_ERROR, "cannot chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void rundir_vhost_dir_remove(const char *path)
{
	if (rmdir(path) < 0 && errno != ENOENT)
		dlog(DLOG_WARN, "cannot remove %s: %s", path, strerror(errno));
}
