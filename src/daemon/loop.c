// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/loop.h"

#define CAP_NET_ADMIN_BIT 12

enum src_kind { SRC_LISTEN, SRC_SIGNAL, SRC_CLIENT };

struct src {
	enum src_kind kind;
};

struct conn {
	struct src src;         /* first: epoll data points here */
	int fd;
	uint32_t events;
	struct mgmt_client *mc;
	struct conn *prev, *next;
	pid_t pid;
	int pidfd;              /* the connecting process, for capability checks */
	bool opener_ok;         /* admin uid, or CAP_NET_ADMIN when accepted */
	uid_t uid;              /* the connecting process's (SO_PEERCRED) */
	struct ucred sender;    /* who sent the datagram being handled */
};

struct loop {
	int epfd;
	struct src listen_src, signal_src;
	int listen_fd, signal_fd;
	struct mgmt_server *mgmt;
	struct conn *conns;
	unsigned n_conns;
	bool stop;
	unsigned char buf[MGMT_REQUEST_MAX];
};

/* Linux 6.5's SO_PEERPIDFD, missing from older headers (Debian 12's 6.1). */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* CapEff of a process, from /proc/<pid>/status. */
static bool has_cap_net_admin(pid_t pid)
{
	unsigned long long eff = 0;
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (eff >> CAP_NET_ADMIN_BIT) & 1;
}

/*
 * A handle on the process that connected, which its pid is not: SO_PEERPIDFD
 * names that very process; pidfd_open(pid) (kernels before 6.5) names
 * whoever holds the pid when we ask, a moment after connect.
 */
static int peer_pidfd(int fd, pid_t pid)
{
	socklen_t len = sizeof(int);
	int pidfd = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
		return pidfd;
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* A pidfd polls readable once its process has exited. */
static bool pidfd_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/*
 * CapEff of the peer now. /proc/<pid> is trusted only if the pidfd's process
 * is still alive after the read: then <pid> could not have been reused, and
 * what we read was that process (after any exec it did).
 */
static bool peer_cap_now(pid_t pid, int pidfd)
{
	return pidfd >= 0 && has_cap_net_admin(pid) && pidfd_alive(pidfd);
}

static int ep_set(struct loop *l, int op, int fd, uint32_t events, struct src *s)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	return epoll_ctl(l->epfd, op, fd, &ev);
}

static void conn_close(struct loop *l, struct conn *c)
{
	dlog(DLOG_DEBUG, "client %d (pid %ld) disconnected", c->fd, (long)c->pid);
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	mgmt_client_free(c->mc);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->n_conns--;
	free(c);
}

static void conn_want(struct loop *l, struct conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	c->events = events;
	ep_set(l, EPOLL_CTL_MOD, c->fd, events, &c->src);
}

/*
 * Sends queued replies until the socket is full. While anything is pending
 * the client is not read: a client that does not read its replies cannot
 * make the daemon queue more. Returns false if the client is gone.
 */
static bool conn_flush(struct loop *l, struct conn *c)
{
	const void *p;
	size_t len;

	while ((p = mgmt_client_peek(c->mc, &len))) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_want(l, c, EPOLLOUT);
			return true;
		}
		if (n < 0) {
			dlog(DLOG_DEBUG, "client %d: send: %s", c->fd, strerror(errno));
			conn_close(l, c);
			return false;
		}
		mgmt_client_pop(c->mc);
	}
	conn_want(l, c, EPOLLIN);
	return true;
}

/*
 * The sender's credentials, as the kernel recorded them at send time. A
 * datagram sent before we accepted (and set SO_PASSCRED) carries none (pid
 * 0): it came from the opener, the only holder of the socket so far.
 */
static void take_sender(struct conn *c, struct msghdr *mh)
{
	struct cmsghdr *cm;

	c->sender = (struct ucred){ .pid = 0 };
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
			memcpy(&c->sender, CMSG_DATA(cm), sizeof(c->sender));
	if (c->sender.pid == 0)
		c->sender = (struct ucred){ .pid = c->pid, .uid = c->uid };
}

static void conn_read(struct loop *l, struct conn *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = l->buf, .iov_len = sizeof(l->buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(c->fd, &mh, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(l, c);
		return;
	}
	take_sender(c, &mh);
	mgmt_client_input(c->mc, l->buf, (size_t)n < sizeof(l->buf) ? (size_t)n : sizeof(l->buf),
			  (size_t)n);
	conn_flush(l, c);
}

static bool admin_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* CAP_NET_ADMIN of a sender other than the opener, through a pidfd of our own. */
static bool other_cap_now(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool cap = peer_cap_now(pid, pidfd);

	if (pidfd >= 0)
		close(pidfd);
	return cap;
}

/*
 * netlink_capable(): the socket's opener (the kernel's file f_cred; here its
 * uid at connect or its capability at accept) and the sender of this very
 * message (SCM_CREDENTIALS, recorded by the kernel at send time) must both
 * be privileged.
 */
static bool conn_admin_now(void *opaque)
{
	struct conn *c = opaque;

	if (!c->opener_ok)
		return false;
	if (admin_uid(c->sender.uid))
		return true;
	if (c->sender.pid == c->pid)
		return peer_cap_now(c->pid, c->pidfd);
	return other_cap_now(c->sender.pid);
}

/*
 * Root and the daemon's own uid (SO_PEERCRED, fixed at connect) may open a
 * privileged connection (they could drive the daemon's devices through its
 * sockets anyway), and so may a process holding CAP_NET_ADMIN when accepted,
 * read through its pidfd. Each privileged request is checked again.
 */
static struct conn *conn_new(struct loop *l, int fd, const struct ucred *cred)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct mgmt_peer peer = { .pid = cred->pid, .uid = cred->uid, .gid = cred->gid,
				  .admin_now = conn_admin_now, .opaque = c };
	int one = 1;

	if (!c)
		return NULL;
	c->pid = cred->pid;
	c->uid = cred->uid;
	c->pidfd = peer_pidfd(fd, cred->pid);
	c->opener_ok = admin_uid(cred->uid) || peer_cap_now(c->pid, c->pidfd);
	/* Every datagram then says who sent it. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		dlog(DLOG_WARN, "SO_PASSCRED: %s", strerror(errno));
	c->mc = mgmt_client_new(l->mgmt, &peer);
	if (!c->mc) {
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);
		return NULL;
	}
	c->src.kind = SRC_CLIENT;
	c->fd = fd;
	c->events = EPOLLIN;
	return c;
}

static void conn_accept(struct loop *l)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct conn *c;
	int fd;

	fd = accept4(l->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
			dlog(DLOG_WARN, "accept: %s", strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		dlog(DLOG_WARN, "SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	c = conn_new(l, fd, &cred);
	if (!c) {
		dlog(DLOG_WARN, "out of memory accepting a client");
		close(fd);
		return;
	}
	if (ep_set(l, EPOLL_CTL_ADD, fd, EPOLLIN, &c->src) < 0) {
		mgmt_client_free(c->mc);
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);
		close(fd);
		return;
	}
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	dlog(DLOG_DEBUG, "client %d connected: pid %ld uid %ld%s", fd, (long)cred.pid,
	     (long)cred.uid, c->opener_ok ? " (privileged)" : "");
}

static void signal_read(struct loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	dlog(DLOG_INFO, "%s received, shutting down", strsignal((int)si.ssi_signo));
	l->stop = true;
}

struct loop *loop_new(int listen_fd, struct mgmt_server *mgmt)
{
	struct loop *l = calloc(1, sizeof(*l));
	sigset_t set;

	if (!l)
		return NULL;
	l->listen_fd = listen_fd;
	l->mgmt = mgmt;
	l->listen_src.kind = SRC_LISTEN;
	l->signal_src.kind = SRC_SIGNAL;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	l->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->signal_fd < 0 || l->epfd < 0 ||
	    ep_set(l, EPOLL_CTL_ADD, listen_fd, EPOLLIN, &l->listen_src) < 0 ||
	    ep_set(l, EPOLL_CTL_ADD, l->signal_fd, EPOLLIN, &l->signal_src) < 0) {
		dlog(DLOG_ERROR, "event loop setup: %s", strerror(errno));
		loop_free(l);
		return NULL;
	}
	return l;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];
	int i, n;

	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			dlog(DLOG_ERROR, "epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n && !l->stop; i++) {
			struct src *s = evs[i].data.ptr;
			struct conn *c = (struct conn *)s;

			switch (s->kind) {
			case SRC_LISTEN:
				conn_accept(l);
				break;
			case SRC_SIGNAL:
				signal_read(l);
				break;
			case SRC_CLIENT:
				/* A client closed earlier in this batch is not in evs
				 * twice: each fd appears once per epoll_wait. */
				if (evs[i].events & EPOLLOUT)
					conn_flush(l, c);
				else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					conn_read(l, c);
				break;
			}
		}
	}
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->conns)
		conn_close(l, l->conns);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	close(l->listen_fd);
	free(l);
}
