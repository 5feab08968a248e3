// SPDX-License-Identifier: MIT
/*
 * vhost-user socket I/O for the front end. The socket is non-blocking and
 * every wait goes through poll() against one deadline per message, so a back
 * end that stops answering costs the caller timeout_ms, never a hang. Fds a
 * back end pushes at us uninvited are closed at once.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "driver/vu_conn.h"

#define FD_CMSG_SPACE CMSG_SPACE(VU_MAX_REGIONS * sizeof(int))

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vu_conn_fail(struct vu_conn *c, int err)
{
	if (!c->err) {
		c->err = err;
		/* Whatever is still in flight is of no use: stop both ways. */
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
	}
	return c->err;
}

int vu_conn_open(struct vu_conn *c, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	int fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->side_fd = -1;
	c->timeout_ms = timeout_ms;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connect() to a Unix socket whose backlog is full sleeps: bound it. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;

		close(fd);
		return err;
	}
	c->fd = fd;
	return 0;
}

void vu_conn_adopt(struct vu_conn *c, int fd, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->side_fd = -1;
	c->timeout_ms = timeout_ms;
}

void vu_conn_close(struct vu_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int wait_fd(struct vu_conn *c, short events, int64_t deadline)
{
	struct pollfd p[2] = { { .fd = c->fd, .events = events } };
	int64_t left;
	int r;

	for (;;) {
		nfds_t n = c->side_fd >= 0 ? 2 : 1;

		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		p[1] = (struct pollfd){ .fd = c->side_fd, .events = POLLIN };
		r = poll(p, n, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && n == 2 && p[1].revents) {
			c->side(c->side_arg);
			if (c->err)
				return c->err;
		}
		if (r > 0 && p[0].revents)
			return 0;       /* ready, or hung up: the I/O call tells which */
	}
}

static int io_error(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ENOTCONN ? -ECONNRESET : -err;
}

static void put_fds(struct msghdr *mh, char *cbuf, const int *fds, unsigned nfds)
{
	struct cmsghdr *cm;

	if (!nfds)
		return;
	mh->msg_control = cbuf;
	mh->msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
}

/* Header and payload in one sendmsg, fds attached to its first byte. */
static int send_msg(struct vu_conn *c, const struct vu_hdr *h, const void *payload,
		    const int *fds, unsigned nfds, int64_t deadline)
{
	char cbuf[FD_CMSG_SPACE] __attribute__((aligned(8))) = { 0 };
	struct iovec iov[2] = {
		{ .iov_base = (void *)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)payload, .iov_len = h->size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = h->size ? 2 : 1 };
	ssize_t n;
	int err;

	if (nfds > VU_MAX_REGIONS)
		return -EINVAL;
	put_fds(&mh, cbuf, fds, nfds);
	while (mh.msg_iovlen) {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			err = wait_fd(c, POLLOUT, deadline);
			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return io_error(errno);
		/* The fds went with the first byte; the rest is plain data. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/*
 * Closes the fds a reply brought, except that keep (NULL: none wanted)
 * takes the first one while it is still -1: only GET_INFLIGHT_FD answers
 * with an fd, and only one.
 */
static void take_fds(struct msghdr *mh, int *keep)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n, i;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (keep && *keep < 0)
				*keep = fd;
			else
				close(fd);
		}
	}
}

static int recv_exact(struct vu_conn *c, void *buf, size_t len, int64_t deadline, int *keep)
{
	char cbuf[FD_CMSG_SPACE] __attribute__((aligned(8)));
	size_t got = 0;
	ssize_t n;
	int err;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			err = wait_fd(c, POLLIN, deadline);
			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return io_error(errno);
		take_fds(&mh, keep);
		if (mh.msg_flags & MSG_CTRUNC)
			return -EPROTO;     /* more fds than any reply may carry */
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

static int recv_reply(struct vu_conn *c, uint32_t req, struct vu_msg *m, int64_t deadline,
		      int *keep)
{
	int err;

	memset(m, 0, sizeof(*m));
	err = recv_exact(c, &m->hdr, sizeof(m->hdr), deadline, keep);
	if (!err)
		err = vu_check_hdr(&m->hdr, req);
	if (!err && m->hdr.size)
		err = recv_exact(c, &m->p, m->hdr.size, deadline, keep);
	return err;
}

/* One exchange; any failure kills the connection. */
static int exchange(struct vu_conn *c, uint32_t req, uint32_t flags, const void *payload,
		    uint32_t size, const int *fds, unsigned nfds, struct vu_msg *reply,
		    int *keep)
{
	struct vu_hdr h = { .request = req, .flags = VU_VERSION | flags, .size = size };
	int64_t deadline = now_ms() + c->timeout_ms;
	int err;

	if (c->err)
		return c->err;
	err = send_msg(c, &h, payload, fds, nfds, deadline);
	if (!err && reply)
		err = recv_reply(c, req, reply, deadline, keep);
	return err ? vu_conn_fail(c, err) : 0;
}

int vu_conn_request(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
		    const int *fds, unsigned nfds)
{
	struct vu_msg reply;
	uint64_t verdict;
	int err;

	if (!c->reply_ack)
		return exchange(c, req, 0, payload, size, fds, nfds, NULL, NULL);
	err = exchange(c, req, VU_F_NEED_REPLY, payload, size, fds, nfds, &reply, NULL);
	if (err)
		return err;
	if (vu_parse_u64(&reply, &verdict))
		return vu_conn_fail(c, -EPROTO);
	return verdict ? -EIO : 0;
}

int vu_conn_get(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
		struct vu_msg *reply)
{
	return exchange(c, req, 0, payload, size, NULL, 0, reply, NULL);
}

int vu_conn_get_fd(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
		   struct vu_msg *reply, int *fd)
{
	int err;

	*fd = -1;
	err = exchange(c, req, 0, payload, size, NULL, 0, reply, fd);
	if (err && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

int vu_conn_recv_request(struct vu_conn *c, struct vu_msg *m)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int64_t deadline;
	int err;

	if (c->err)
		return c->err;
	if (poll(&p, 1, 0) <= 0)
		return -EAGAIN;
	deadline = now_ms() + c->timeout_ms;
	memset(m, 0, sizeof(*m));
	err = recv_exact(c, &m->hdr, sizeof(m->hdr), deadline, NULL);
	if (!err)
		err = vu_check_backend_hdr(&m->hdr);
	if (!err && m->hdr.size)
		err = recv_exact(c, &m->p, m->hdr.size, deadline, NULL);
	return err ? vu_conn_fail(c, err) : 0;
}

int vu_conn_answer(struct vu_conn *c, const struct vu_hdr *req, uint64_t verdict)
{
	struct vu_hdr h = { .request = req->request, .flags = VU_VERSION | VU_F_REPLY,
			    .size = sizeof(verdict) };
	int err;

	if (c->err)
		return c->err;
	err = send_msg(c, &h, &verdict, NULL, 0, now_ms() + c->timeout_ms);
	return err ? vu_conn_fail(c, err) : 0;
}

int vu_conn_get_u64(struct vu_conn *c, uint32_t req, uint64_t *out)
{
	struct vu_msg reply;
	int err = vu_conn_get(c, req, NULL, 0, &reply);

	if (err)
		return err;
	return vu_parse_u64(&reply, out) ? vu_conn_fail(c, -EPROTO) : 0;
}
