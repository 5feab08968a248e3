// SPDX-License-Identifier: MIT
/*
 * vhost face: a listening socket per device, one face thread, and a control
 * thread per connected front end.
 *
 * Idle devices cost no thread: the face thread waits (epoll) on every
 * device's listening socket and, when a front end connects, starts a thread
 * that serves that connection alone while it lives. A listening socket is
 * registered one-shot: from the accept until the connection's thread ends
 * it is the connection thread's to watch (it refuses a second front end),
 * and the face thread sees it again only when the device is free. The
 * datapath never passes through here: the device's worker waits on the
 * front end's kick eventfds itself and signals its call eventfds.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "vhost_conn.h"
#include "vhost_face.h"
#include "vhost_fault.h"
#include "vhost_session.h"

#define FACE_STOP_ID 0          /* epoll data of the face's own stop eventfd */

/* The driver claim's owner tag (uvdpa_device_claim). */
static const char vhost_owner[] = "a vhost-user front end";

struct face_dev {
	struct face_dev *next;
	struct uvdpa_vhost_face *face;
	struct uvdpa_device *dev;
	uint64_t id;                /* epoll data: never a pointer a removal frees */
	char *path;
	int listen_fd;
	struct vhost_session *session;

	/* the connection; has_thread and the thread are the face lock's */
	bool has_thread;
	pthread_t thread;
	int conn;
	pthread_mutex_t wake_lock;  /* wake_fd against its close at the end */
	int wake_fd;                /* stop or memory fault; only while connected */
	atomic_bool stopping;
};

struct uvdpa_vhost_face {
	struct uvdpa_bus *bus;
	char *rundir;
	pthread_mutex_t lock;       /* devs, next_id, each dev's thread */
	struct face_dev *devs;
	uint64_t next_id;
	uvdpa_vhost_log_fn *log;
	void *log_opaque;
	int epfd;
	int stop_fd;
	pthread_t thread;
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
/* serving one connection                                              */
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

/*
 * poll() samples its fds one after another, so a front end that hangs up
 * and reconnects between the samples of its socket and of the listener
 * looks like a second front end. Its hang-up came before its knock: a new
 * look at its socket, taken after the knock was seen, tells them apart.
 */
static bool hung_up_before_knock(struct face_dev *fd)
{
	struct pollfd p = { .fd = fd->conn, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Why the wake fd fired: true to stop serving (device removal). */
static bool woken_to_stop(struct face_dev *fd)
{
	uint64_t v;

	if (read(fd->wake_fd, &v, sizeof(v)) < 0) {
		/* nothing pending: the flags below still say why */
	}
	return atomic_load(&fd->stopping);
}

static void log_fault(struct face_dev *fd)
{
	face_logf(fd, UVDPA_VHOST_LOG_WARN,
		  "guest memory shrank under the device (a shared memory file was "
		  "truncated after it was mapped); dropping the front end");
}

/* *req is the request being handled, for the log when it fails. */
static int serve_message(struct face_dev *fd, uint32_t *req)
{
	struct vhost_user_msg msg, reply;
	int fds[VHOST_USER_MAX_FDS + 1];
	const char *why;
	unsigned nfds;
	bool has_reply;
	int err;

	err = vhost_conn_recv(fd->conn, fd->wake_fd, &msg, fds, &nfds, &why);
	if (err == -EPROTO)
		face_logf(fd, UVDPA_VHOST_LOG_WARN, "malformed message: %s", why);
	if (err)
		return err;
	*req = msg.hdr.request;
	face_logf(fd, UVDPA_VHOST_LOG_DEBUG, "%s (%u), %u bytes, %u fds",
		  vhost_user_request_name(msg.hdr.request), msg.hdr.request, msg.hdr.size, nfds);
	err = vhost_session_handle(fd->session, &msg, fds, nfds, &reply, &has_reply);
	if (err)
		return err;
	if (has_reply) {
		int rfd = vhost_session_reply_fd(fd->session);

		err = vhost_conn_send(fd->conn, fd->wake_fd, &reply, rfd >= 0 ? &rfd : NULL,
				      rfd >= 0);
	}
	return err;
}

enum conn_end { END_DROPPED, END_STOP };

/* What ended a connection whose message handling failed with err. */
static enum conn_end message_failed(struct face_dev *fd, int err, uint32_t req)
{
	if (err == -ECANCELED) {
		if (woken_to_stop(fd))
			return END_STOP;
		if (vhost_session_faulted(fd->session))
			log_fault(fd);
		return END_DROPPED;
	}
	if (vhost_session_faulted(fd->session))
		log_fault(fd);
	else if (err == -EPIPE)
		face_logf(fd, UVDPA_VHOST_LOG_WARN, "dropping the front end: it closed "
			  "its socket before reading a reply");
	else if (err == -EPROTO)
		face_logf(fd, UVDPA_VHOST_LOG_WARN, "dropping the front end: the stream "
			  "cannot be trusted after a malformed %s", req == UINT32_MAX ?
			  "message" : vhost_user_request_name(req));
	else if (err != -ECONNRESET)
		face_logf(fd, UVDPA_VHOST_LOG_WARN, "dropping the front end: %s failed (%s) "
			  "and it cannot be told (no REPLY_ACK, or a request with its own "
			  "reply)", vhost_user_request_name(req), strerror(-err));
	return END_DROPPED;
}

static enum conn_end serve_conn(struct face_dev *fd)
{
	for (;;) {
		int kick = vhost_session_kick_fd(fd->session);
		uint32_t req = UINT32_MAX;
		struct pollfd p[5] = {
			{ .fd = fd->conn, .events = POLLIN },
			{ .fd = fd->wake_fd, .events = POLLIN },
			{ .fd = fd->listen_fd, .events = POLLIN },
			{ .fd = vhost_session_config_fd(fd->session), .events = POLLIN },
			{ .fd = kick, .events = POLLIN },
		};
		int err;

		if (poll(p, kick >= 0 ? 5 : 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return END_DROPPED;
		}
		if (p[1].revents) {
			if (woken_to_stop(fd))
				return END_STOP;
			if (vhost_session_faulted(fd->session)) {
				log_fault(fd);
				return END_DROPPED;
			}
		}
		if (p[3].revents && vhost_session_needs_reset(fd->session)) {
			face_logf(fd, UVDPA_VHOST_LOG_WARN, "the device stopped a queue the "
				  "front end corrupted and needs a reset, which vhost-user "
				  "cannot ask for; dropping the front end");
			return END_DROPPED;
		}
		if (p[3].revents && vhost_session_notify_config(fd->session)) {
			face_logf(fd, UVDPA_VHOST_LOG_WARN, "the front end does not read the "
				  "back-end channel it gave (config changes pile up); "
				  "dropping it");
			return END_DROPPED;
		}
		if (kick >= 0 && p[4].revents)
			vhost_session_relay_kicks(fd->session);
		/* The current front end first: if it has just hung up, the one
		 * knocking is its successor, not an intruder. */
		if (!p[0].revents && p[2].revents && hung_up_before_knock(fd))
			p[0].revents = POLLIN;
		if (!p[0].revents) {
			if (p[2].revents)
				refuse_extra(fd);
			continue;
		}
		err = serve_message(fd, &req);
		if (err)
			return message_failed(fd, err, req);
		if (vhost_session_faulted(fd->session)) {
			log_fault(fd);
			return END_DROPPED;
		}
	}
}

static void log_peer(struct face_dev *fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd->conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
		face_logf(fd, UVDPA_VHOST_LOG_INFO, "front end connected: pid %d uid %u",
			  (int)cr.pid, (unsigned)cr.uid);
	else
		face_logf(fd, UVDPA_VHOST_LOG_INFO, "front end connected");
}

/* The face thread sees the listening socket again (one-shot). */
static void arm_listen(struct face_dev *fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = fd->id };

	/* ENOENT: the device is being removed and took the socket off. */
	if (epoll_ctl(fd->face->epfd, EPOLL_CTL_MOD, fd->listen_fd, &ev) < 0 && errno != ENOENT)
		face_logf(fd, UVDPA_VHOST_LOG_ERROR, "cannot watch the socket again: %s",
			  strerror(errno));
}

static void *conn_thread(void *arg)
{
	struct face_dev *fd = arg;
	sigset_t bus;
	enum conn_end end;

	/* Guest memory is touched on this thread too (through device ops): a
	 * SIGBUS that hits a thread blocking it would kill the process. */
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &bus, NULL);
	log_peer(fd);
	end = serve_conn(fd);
	/* Whatever the front end left behind goes: the next one starts clean. */
	vhost_session_reset(fd->session);
	uvdpa_device_release(fd->dev, vhost_owner);
	vhost_session_set_wake_fd(fd->session, -1);
	close(fd->conn);
	fd->conn = -1;
	pthread_mutex_lock(&fd->wake_lock);
	close(fd->wake_fd);
	fd->wake_fd = -1;
	pthread_mutex_unlock(&fd->wake_lock);
	face_logf(fd, UVDPA_VHOST_LOG_INFO, "front end gone; device reset");
	if (end != END_STOP)
		arm_listen(fd);
	return NULL;
}

/* Face thread, under the face lock. The previous connection's thread has
 * ended (it re-armed the socket last), so joining it does not wait. */
static void accept_conn(struct face_dev *fd)
{
	const char *holder = NULL;
	char tname[16];
	int conn, wake, err;

	if (fd->has_thread) {
		pthread_join(fd->thread, NULL);
		fd->has_thread = false;
	}
	conn = accept4(fd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0) {
		arm_listen(fd);
		return;
	}
	wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake < 0) {
		face_logf(fd, UVDPA_VHOST_LOG_ERROR, "refused a front end: eventfd: %s",
			  strerror(errno));
		close(conn);
		arm_listen(fd);
		return;
	}
	/* The session touches the device from the first message (features,
	 * memory table) and resets it at the end: it may not start while
	 * another driver (the kernel, through VDUSE) has the device. */
	if (uvdpa_device_claim(fd->dev, vhost_owner, &holder) < 0) {
		face_logf(fd, UVDPA_VHOST_LOG_WARN, "refused a front end: the device is driven "
			  "by %s", holder ? holder : "another driver");
		close(conn);
		close(wake);
		arm_listen(fd);
		return;
	}
	fd->conn = conn;
	fd->wake_fd = wake;
	atomic_store(&fd->stopping, false);
	vhost_session_set_wake_fd(fd->session, wake);
	err = pthread_create(&fd->thread, NULL, conn_thread, fd);
	if (err) {
		face_logf(fd, UVDPA_VHOST_LOG_ERROR, "refused a front end: no thread: %s",
			  strerror(err));
		vhost_session_set_wake_fd(fd->session, -1);
		uvdpa_device_release(fd->dev, vhost_owner);
		close(conn);
		close(wake);
		fd->conn = fd->wake_fd = -1;
		arm_listen(fd);
		return;
	}
	fd->has_thread = true;
	snprintf(tname, sizeof(tname), "vhost:%s", fd->dev->name);
	pthread_setname_np(fd->thread, tname);
}

static struct face_dev *find_id(struct uvdpa_vhost_face *face, uint64_t id)
{
	for (struct face_dev *fd = face->devs; fd; fd = fd->next)
		if (fd->id == id)
			return fd;
	return NULL;
}

static void *face_thread(void *arg)
{
	struct uvdpa_vhost_face *face = arg;

	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(face->epfd, ev, 16, -1);

		if (n < 0 && errno != EINTR)
			return NULL;
		for (int i = 0; i < n; i++) {
			struct face_dev *fd;

			if (ev[i].data.u64 == FACE_STOP_ID)
				return NULL;
			pthread_mutex_lock(&face->lock);
			fd = find_id(face, ev[i].data.u64);
			if (fd)
				accept_conn(fd);
			pthread_mutex_unlock(&face->lock);
		}
	}
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

static void face_close(struct uvdpa_vhost_face *face)
{
	if (face->epfd >= 0)
		close(face->epfd);
	if (face->stop_fd >= 0)
		close(face->stop_fd);
	pthread_mutex_destroy(&face->lock);
	free(face->rundir);
	free(face);
}

static int face_start(struct uvdpa_vhost_face *face)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = FACE_STOP_ID };
	sigset_t all, old;
	int err;

	face->epfd = epoll_create1(EPOLL_CLOEXEC);
	face->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (face->epfd < 0 || face->stop_fd < 0 ||
	    epoll_ctl(face->epfd, EPOLL_CTL_ADD, face->stop_fd, &ev) < 0)
		return -errno;
	/* The daemon's signals are its main thread's business; SIGBUS stays
	 * deliverable (connection threads inherit this mask). */
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSEGV);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&face->thread, NULL, face_thread, face);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pthread_setname_np(face->thread, "vhost-face");
	return 0;
}

struct uvdpa_vhost_face *uvdpa_vhost_face_new(struct uvdpa_bus *bus, const char *rundir)
{
	struct uvdpa_vhost_face *face = calloc(1, sizeof(*face));

	if (!face)
		return NULL;
	face->bus = bus;
	face->epfd = face->stop_fd = -1;
	face->next_id = FACE_STOP_ID + 1;
	face->rundir = strdup(rundir ? rundir : ".");
	pthread_mutex_init(&face->lock, NULL);
	if (!face->rundir || face_start(face)) {
		face_close(face);
		return NULL;
	}
	vhost_fault_install();
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
	vhost_session_free(fd->session);
	pthread_mutex_destroy(&fd->wake_lock);
	free(fd->path);
	free(fd);
}

static int watch_listen(struct uvdpa_vhost_face *face, struct face_dev *fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = fd->id };

	return epoll_ctl(face->epfd, EPOLL_CTL_ADD, fd->listen_fd, &ev) < 0 ? -errno : 0;
}

int uvdpa_vhost_face_device_added(struct uvdpa_vhost_face *face, struct uvdpa_device *d)
{
	struct face_dev *fd;
	int err = -ENOMEM;

	if (uvdpa_vhost_face_socket_path(face, d))
		return -EEXIST;
	fd = calloc(1, sizeof(*fd));
	if (!fd)
		return -ENOMEM;
	fd->dev = d;
	fd->face = face;
	fd->listen_fd = fd->conn = fd->wake_fd = -1;
	pthread_mutex_init(&fd->wake_lock, NULL);
	if (asprintf(&fd->path, "%s/%s.sock", face->rundir, d->name) < 0) {
		fd->path = NULL;
		goto fail;
	}
	fd->session = vhost_session_new(d, session_log, fd);
	if (!fd->session)
		goto fail;
	fd->listen_fd = listen_on(fd->path);
	if (fd->listen_fd < 0) {
		err = fd->listen_fd;
		fd->listen_fd = -1;
		goto fail;
	}
	pthread_mutex_lock(&face->lock);
	fd->id = face->next_id++;
	err = watch_listen(face, fd);
	if (!err) {
		fd->next = face->devs;
		face->devs = fd;
	}
	pthread_mutex_unlock(&face->lock);
	if (err)
		goto fail;
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

/* fd is off the list: the face thread no longer starts connections on it. */
static void stop_dev(struct face_dev *fd)
{
	uint64_t one = 1;

	epoll_ctl(fd->face->epfd, EPOLL_CTL_DEL, fd->listen_fd, NULL);
	if (fd->has_thread) {
		atomic_store(&fd->stopping, true);
		pthread_mutex_lock(&fd->wake_lock);
		if (fd->wake_fd >= 0 && write(fd->wake_fd, &one, sizeof(one)) != sizeof(one))
			face_logf(fd, UVDPA_VHOST_LOG_ERROR, "cannot stop the connection: %s",
				  strerror(errno));
		pthread_mutex_unlock(&fd->wake_lock);
		pthread_join(fd->thread, NULL);
	}
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
	uint64_t one = 1;

	if (!face)
		return;
	if (write(face->stop_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "uvdpad: vhost face: cannot stop its thread: %s\n",
			strerror(errno));
	pthread_join(face->thread, NULL);
	while (face->devs) {
		struct face_dev *fd = face->devs;

		face->devs = fd->next;
		stop_dev(fd);
	}
	face_close(face);
}
