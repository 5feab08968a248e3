// SPDX-License-Identifier: MIT
/*
 * vhost face: a listening socket and a control thread per device.
 *
 * Control messages are rare, so each device's thread simply blocks in poll
 * on its socket (and an eventfd that device removal writes). The datapath
 * never passes through here: the device's worker waits on the front end's
 * kick eventfds itself and signals its call eventfds.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "vhost_conn.h"
#include "vhost_face.h"
#include "vhost_session.h"

#define KICK_RELAY_MAX 64

struct face_dev {
	struct face_dev *next;
	struct uvdpa_vhost_face *face;
	struct uvdpa_device *dev;
	char *path;
	int listen_fd;
	int stop_fd;
	pthread_t thread;
	struct vhost_session *session;
};

struct uvdpa_vhost_face {
	struct uvdpa_bus *bus;
	char *rundir;
	pthread_mutex_t lock;       /* devs, against socket_path from elsewhere */
	struct face_dev *devs;
	uvdpa_vhost_log_fn *log;
	void *log_opaque;
};

static void face_logf(struct face_dev *fd, enum uvdpa_vhost_log_level level,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void face_logf(struct face_dev *fd, enum uvdpa_vhost_log_level level,
		      const char *fmt, ...)
{
	struct uvdpa_vhost_face *face = fd->face;
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "vhost %s: ", fd->dev->name);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (face->log)
		face->log(face->log_opaque, level, line);
	else
		fprintf(stderr, "uvdpad: %s\n", line);
}

/* The session reports what a front end got wrong. */
static void session_log(void *opaque, const char *line)
{
	struct face_dev *fd = opaque;

	if (fd->face->log)
		fd->face->log(fd->face->log_opaque, UVDPA_VHOST_LOG_WARN, line);
	else
		fprintf(stderr, "uvdpad: %s\n", line);
}

/* ------------------------------------------------------------------ */
/* serving one device                                                  */
/* ------------------------------------------------------------------ */

/* Only one front end owns a device: later ones are told so by a closed socket. */
static void refuse_extra(struct face_dev *fd)
{
	int c = accept4(fd->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (c >= 0) {
		face_logf(fd, UVDPA_VHOST_LOG_WARN,
			  "refused a second front end (one is connected)");
		close(c);
	}
}

static int serve_message(struct face_dev *fd, int conn)
{
	struct vhost_user_msg msg, reply;
	int fds[VHOST_USER_MAX_FDS + 1];
	unsigned nfds;
	bool has_reply;
	int err;

	err = vhost_conn_recv(conn, fd->stop_fd, &msg, fds, &nfds);
	if (err)
		return err;
	face_logf(fd, UVDPA_VHOST_LOG_DEBUG, "%s (%u), %u bytes, %u fds",
		  vhost_user_request_name(msg.hdr.request), msg.hdr.request, msg.hdr.size, nfds);
	err = vhost_session_handle(fd->session, &msg, fds, nfds, &reply, &has_reply);
	if (err)
		return err;
	if (has_reply) {
		int rfd = vhost_session_reply_fd(fd->session);

		err = vhost_conn_send(conn, fd->stop_fd, &reply, rfd >= 0 ? &rfd : NULL, rfd >= 0);
	}
	return err;
}

/* Serves one connection; returns true when the device is being removed. */
static bool serve_conn(struct face_dev *fd, int conn)
{
	struct pollfd p[3 + KICK_RELAY_MAX];
	uint16_t ring[KICK_RELAY_MAX];

	for (;;) {
		unsigned nk = vhost_session_kick_fds(fd->session, p + 3, KICK_RELAY_MAX, ring);
		int err;

		p[0] = (struct pollfd){ .fd = conn, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = fd->stop_fd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = fd->listen_fd, .events = POLLIN };
		if (poll(p, 3 + nk, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[1].revents)
			return true;
		for (unsigned i = 0; i < nk; i++)
			if (p[3 + i].revents)
				vhost_session_relay_kick(fd->session, ring[i]);
		/* The current front end first: if it has just hung up, the one
		 * knocking is its successor, not an intruder. */
		if (!p[0].revents) {
			if (p[2].revents)
				refuse_extra(fd);
			continue;
		}
		err = serve_message(fd, conn);
		if (err == -ECANCELED)
			return true;
		if (err) {
			if (err != -ECONNRESET)
				face_logf(fd, UVDPA_VHOST_LOG_WARN, "dropping the front end: %s",
					  strerror(-err));
			return false;
		}
	}
}

static void log_peer(struct face_dev *fd, int conn)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
		face_logf(fd, UVDPA_VHOST_LOG_INFO, "front end connected: pid %d uid %u",
			  (int)cr.pid, (unsigned)cr.uid);
	else
		face_logf(fd, UVDPA_VHOST_LOG_INFO, "front end connected");
}

static void *serve_thread(void *arg)
{
	struct face_dev *fd = arg;

	for (;;) {
		bool stop;
		int conn;

		if (vhost_conn_wait(fd->listen_fd, POLLIN, fd->stop_fd))
			break;
		conn = accept4(fd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (conn < 0)
			continue;
		log_peer(fd, conn);
		stop = serve_conn(fd, conn);
		/* Whatever the front end left behind goes: the next one starts clean. */
		vhost_session_reset(fd->session);
		close(conn);
		face_logf(fd, UVDPA_VHOST_LOG_INFO, "front end gone; device reset");
		if (stop)
			break;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* sockets                                                             */
/* ------------------------------------------------------------------ */

/* A socket file left by a dead daemon is removed; a live one is not stolen. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int s, err;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	err = connect(s, (const struct sockaddr *)sa, sizeof(*sa));
	close(s);
	if (!err)
		return -EADDRINUSE;
	return unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	err = clear_stale(&sa);
	if (err)
		return err;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 4) < 0) {
		err = -errno;
		close(s);
		unlink(path);
		return err;
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* face API                                                            */
/* ------------------------------------------------------------------ */

struct uvdpa_vhost_face *uvdpa_vhost_face_new(struct uvdpa_bus *bus, const char *rundir)
{
	struct uvdpa_vhost_face *face = calloc(1, sizeof(*face));

	if (!face)
		return NULL;
	face->bus = bus;
	face->rundir = strdup(rundir ? rundir : ".");
	if (!face->rundir) {
		free(face);
		return NULL;
	}
	pthread_mutex_init(&face->lock, NULL);
	return face;
}

void uvdpa_vhost_face_set_log(struct uvdpa_vhost_face *face, uvdpa_vhost_log_fn *fn,
			      void *opaque)
{
	face->log = fn;
	face->log_opaque = opaque;
}

static void face_dev_free(struct face_dev *fd)
{
	if (fd->listen_fd >= 0) {
		close(fd->listen_fd);
		unlink(fd->path);
	}
	if (fd->stop_fd >= 0)
		close(fd->stop_fd);
	vhost_session_free(fd->session);
	free(fd->path);
	free(fd);
}

int uvdpa_vhost_face_device_added(struct uvdpa_vhost_face *face, struct uvdpa_device *d)
{
	struct face_dev *fd;
	char tname[16];
	int err = -ENOMEM;

	if (uvdpa_vhost_face_socket_path(face, d))
		return -EEXIST;
	fd = calloc(1, sizeof(*fd));
	if (!fd)
		return -ENOMEM;
	fd->dev = d;
	fd->face = face;
	fd->listen_fd = fd->stop_fd = -1;
	if (asprintf(&fd->path, "%s/%s.sock", face->rundir, d->name) < 0) {
		fd->path = NULL;
		goto fail;
	}
	fd->session = vhost_session_new(d, session_log, fd);
	if (!fd->session)
		goto fail;
	fd->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd->stop_fd < 0) {
		err = -errno;
		goto fail;
	}
	fd->listen_fd = listen_on(fd->path);
	if (fd->listen_fd < 0) {
		err = fd->listen_fd;
		fd->listen_fd = -1;
		goto fail;
	}
	err = -pthread_create(&fd->thread, NULL, serve_thread, fd);
	if (err)
		goto fail;
	snprintf(tname, sizeof(tname), "vhost:%s", d->name);
	pthread_setname_np(fd->thread, tname);
	pthread_mutex_lock(&face->lock);
	fd->next = face->devs;
	face->devs = fd;
	pthread_mutex_unlock(&face->lock);
	return 0;
fail:
	face_dev_free(fd);
	return err;
}

static struct face_dev *unlink_dev(struct uvdpa_vhost_face *face, struct uvdpa_device *d)
{
	struct face_dev **pp, *fd = NULL;

	pthread_mutex_lock(&face->lock);
	for (pp = &face->devs; *pp; pp = &(*pp)->next)
		if ((*pp)->dev == d) {
			fd = *pp;
			*pp = fd->next;
			break;
		}
	pthread_mutex_unlock(&face->lock);
	return fd;
}

static void stop_dev(struct face_dev *fd)
{
	uint64_t one = 1;

	if (write(fd->stop_fd, &one, sizeof(one)) != sizeof(one))
		face_logf(fd, UVDPA_VHOST_LOG_ERROR, "cannot stop the control thread: %s",
			  strerror(errno));
	pthread_join(fd->thread, NULL);
	face_dev_free(fd);
}

void uvdpa_vhost_face_device_removed(struct uvdpa_vhost_face *face, struct uvdpa_device *d)
{
	struct face_dev *fd = unlink_dev(face, d);

	if (fd)
		stop_dev(fd);
}

const char *uvdpa_vhost_face_socket_path(struct uvdpa_vhost_face *face, struct uvdpa_device *d)
{
	const char *path = NULL;

	pthread_mutex_lock(&face->lock);
	for (struct face_dev *fd = face->devs; fd; fd = fd->next)
		if (fd->dev == d) {
			path = fd->path;
			break;
		}
	pthread_mutex_unlock(&face->lock);
	return path;
}

void uvdpa_vhost_face_free(struct uvdpa_vhost_face *face)
{
	if (!face)
		return;
	while (face->devs) {
		struct face_dev *fd = face->devs;

		face->devs = fd->next;
		stop_dev(fd);
	}
	pthread_mutex_destroy(&face->lock);
	free(face->rundir);
	free(face);
}
