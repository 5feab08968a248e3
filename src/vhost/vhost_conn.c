// SPDX-License-Identifier: MIT
/*
 * vhost-user framing: a 12-byte header, then size bytes of payload; fds ride
 * on the first byte of the message. The socket is non-blocking and every
 * wait also watches a stop fd, so removing a device never hangs on a front
 * end that stalls in the middle of a message.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "vhost_conn.h"

int vhost_conn_wait(int fd, short ev, int stop_fd)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = ev },
		{ .fd = stop_fd, .events = POLLIN },
	};

	for (;;) {
		int r = poll(p, stop_fd >= 0 ? 2 : 1, -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (stop_fd >= 0 && p[1].revents)
			return -ECANCELED;
		if (p[0].revents)
			return 0;
	}
}

static void take_fds(struct msghdr *mh, int *fds, unsigned *nfds, bool *overflow)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		unsigned n;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (unsigned i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < VHOST_USER_MAX_FDS)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				*overflow = true;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		*overflow = true;
}

static int recv_bytes(int fd, int stop_fd, void *buf, size_t len, int *fds,
		      unsigned *nfds, bool *overflow)
{
	size_t got = 0;

	while (got < len) {
		/* room for one fd too many: the excess is seen and refused; the
		 * kernel cuts anything beyond (MSG_CTRUNC) */
		char cbuf[CMSG_SPACE(sizeof(int) * (VHOST_USER_MAX_FDS + 1))];
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err != EAGAIN && err != EWOULDBLOCK)
				return -err;
			err = vhost_conn_wait(fd, POLLIN, stop_fd);
			if (err)
				return err;
			continue;
		}
		take_fds(&mh, fds, nfds, overflow);
		if (n == 0)
			return got ? -EPROTO : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

static void close_all(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int vhost_conn_recv(int fd, int stop_fd, struct vhost_user_msg *m, int *fds, unsigned *nfds,
		    const char **why)
{
	bool overflow = false;
	int err;

	*nfds = 0;
	*why = "";
	err = recv_bytes(fd, stop_fd, &m->hdr, sizeof(m->hdr), fds, nfds, &overflow);
	if (err == -EPROTO)
		*why = "the stream ended inside a message header";
	if (!err && m->hdr.size > VHOST_USER_MAX_PAYLOAD) {
		*why = "the header announces a payload larger than any request's";
		err = -EPROTO;   /* cannot resynchronise on the stream */
	}
	if (!err && m->hdr.size) {
		err = recv_bytes(fd, stop_fd, &m->p, m->hdr.size, fds, nfds, &overflow);
		if (err == -EPROTO)
			*why = "the stream ended inside a message payload";
	}
	if (err) {
		close_all(fds, *nfds);
		*nfds = 0;
		return err;
	}
	if (overflow) {
		close_all(fds, *nfds);
		for (unsigned i = 0; i <= VHOST_USER_MAX_FDS; i++)
			fds[i] = -1;
		*nfds = VHOST_USER_MAX_FDS + 1;
	}
	return 0;
}

int vhost_conn_send(int fd, int stop_fd, const struct vhost_user_msg *m,
		    const int *fds, unsigned nfds)
{
	size_t len = sizeof(m->hdr) + m->hdr.size, off = 0;
	char cbuf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];

	if (nfds > VHOST_USER_MAX_FDS || m->hdr.size > VHOST_USER_MAX_PAYLOAD)
		return -EINVAL;
	while (off < len) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 0 };
		ssize_t n;

		if (off < sizeof(m->hdr))
			iov[mh.msg_iovlen++] = (struct iovec){
				.iov_base = (char *)&m->hdr + off,
				.iov_len = sizeof(m->hdr) - off,
			};
		if (m->hdr.size) {
			size_t poff = off > sizeof(m->hdr) ? off - sizeof(m->hdr) : 0;

			iov[mh.msg_iovlen++] = (struct iovec){
				.iov_base = (char *)&m->p + poff,
				.iov_len = m->hdr.size - poff,
			};
		}
		if (nfds && !off) {
			struct cmsghdr *c;

			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err != EAGAIN && err != EWOULDBLOCK)
				return -err;
			err = vhost_conn_wait(fd, POLLOUT, stop_fd);
			if (err)
				return err;
			continue;
		}
		off += (size_t)n;
	}
	return 0;
}
